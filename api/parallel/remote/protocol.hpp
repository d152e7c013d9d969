// The wire vocabulary between a client group and a parallel node.
//
// Every message crosses the node boundary, so it carries only names,
// `inspect`-able values and `caf::error`, never closures or exception_ptr.
//
//   client -> node  (request)  (run_atom, uint64 group, string name,
//                               caf::message args, int64 deadline_ns)
//     The node runs the registered task `name` with `args` under a context of
//     its own, cancelled by `cancel_atom` for `group`, by the client's death,
//     or when `deadline_ns` (nanoseconds left on the client's deadline; < 0
//     means none) passes. It always answers with a message, never with an
//     error response, so a CAF error on the client side is a transport
//     failure (the node died, the request timed out), never the task's:
//       (ok_atom, R...)                      the task's value (none for void)
//       (fail_atom, caf::error)              the task returned an error
//       (panic_atom, string type, string what)  the task threw
//   client -> node  (cancel_atom, uint64 group)   stop that group's tasks
//   client -> node  (stats_atom) -> node_report fields (see node.hpp)
//   client -> node  (tasks_atom) -> vector<string>: the task names it offers,
//     asked once when a client connects (the client routes by them)
#pragma once

#include <caf/atom.hpp>

namespace parallel::remote {

/// client -> node: run a named task.
using run_atom = caf::atom_constant<caf::atom("prrun")>;
/// node -> client: the task's value follows.
using ok_atom = caf::atom_constant<caf::atom("prok")>;
/// node -> client: the task returned the error that follows.
using fail_atom = caf::atom_constant<caf::atom("prfail")>;
/// node -> client: the task threw; its type name and what() follow.
using panic_atom = caf::atom_constant<caf::atom("prpanic")>;
/// client -> node: cancel every task of a group.
using cancel_atom = caf::atom_constant<caf::atom("prcancel")>;
/// client -> node: report counters.
using stats_atom = caf::atom_constant<caf::atom("prstats")>;
/// client -> node: list the names of the tasks this node offers.
using tasks_atom = caf::atom_constant<caf::atom("prtasks")>;

} // namespace parallel::remote
