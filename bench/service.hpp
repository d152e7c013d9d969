// The slow service the request figures talk to, and the bench's atoms.
#pragma once

#include <chrono>
#include <cstdint>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

namespace bench {

using ping_atom = caf::atom_constant<caf::atom("b_ping")>;
using reply_atom = caf::atom_constant<caf::atom("b_reply")>;
using task_atom = caf::atom_constant<caf::atom("b_task")>;
using result_atom = caf::atom_constant<caf::atom("b_result")>;
using await_atom = caf::atom_constant<caf::atom("b_await")>;
using done_atom = caf::atom_constant<caf::atom("b_done")>;
using run_atom = caf::atom_constant<caf::atom("b_run")>;
using block_atom = caf::atom_constant<caf::atom("b_block")>;

/// An event-based actor that answers `(ping_atom, uint64_t i)` with
/// `int32_t(i)` after `latency`, without ever blocking: it keeps the response
/// promise and delivers it when its own delayed message comes back.
caf::actor spawn_service(caf::actor_system& sys, std::chrono::milliseconds latency);

} // namespace bench
