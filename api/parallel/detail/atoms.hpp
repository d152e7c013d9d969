// The message vocabulary between handles, supervisor, workers and reducers.
#pragma once

#include <caf/atom.hpp>

namespace parallel::detail {

/// handle -> supervisor/reducer (request): reply `done_atom` once finished.
using await_atom = caf::atom_constant<caf::atom("pawait")>;
/// Reply to `await_atom`.
using done_atom = caf::atom_constant<caf::atom("pdone")>;
/// group -> worker: take your assigned task.
using wake_atom = caf::atom_constant<caf::atom("pwake")>;
/// group -> requester: the group is finished, go back to your pool. Pool ->
/// worker: idle too long, quit.
using retire_atom = caf::atom_constant<caf::atom("pretire")>;
/// group -> supervisor: spawn N more workers.
using spawn_atom = caf::atom_constant<caf::atom("pspawn")>;
/// group -> supervisor: tasks are queued and every worker is busy.
using tick_atom = caf::atom_constant<caf::atom("ptick")>;
/// supervisor -> itself: check whether the busy workers made progress.
using check_atom = caf::atom_constant<caf::atom("pcheck")>;
/// group -> pooled requester: you serve this group now (a binding), and
/// its first requests wait in your inbox.
using bind_atom = caf::atom_constant<caf::atom("pbind")>;
/// group -> requester: request tasks wait in your inbox.
using requests_atom = caf::atom_constant<caf::atom("preqs")>;
/// context -> supervisor -> requesters: the group's context was cancelled.
using cancel_atom = caf::atom_constant<caf::atom("pcancel")>;
/// group -> supervisor and reducers: every task has finished, none may follow.
using finished_atom = caf::atom_constant<caf::atom("pfinished")>;
/// group -> supervisor: a worker held back results; send them soon.
using flush_atom = caf::atom_constant<caf::atom("pflush")>;
/// supervisor -> itself: send every wrapper's held-back results now.
using flushnow_atom = caf::atom_constant<caf::atom("pflushnow")>;
/// handle -> supervisor: the last handle is gone, and the supervisor was
/// spawned after that (so no sentinel's down message will say it).
using abandoned_atom = caf::atom_constant<caf::atom("pabandon")>;
/// producer -> reducer: a `result_batch_ptr` of results to consume.
using results_atom = caf::atom_constant<caf::atom("presults")>;

} // namespace parallel::detail
