// service: a simulated remote service as a CAF actor. It answers
// `(fetch_atom, call id)` after the call's drawn latency, with the id (a
// "profile") or an error, never blocking: a pending call is a response
// promise plus a delayed message to itself. With a capacity it serves that
// many calls at once and queues the rest, like a server with a worker pool.
#pragma once

#include <memory>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include "recorder.hpp"
#include "scenario.hpp"

namespace sim {

using fetch_atom = caf::atom_constant<caf::atom("sim_fetch")>;

/// Spawns the service `spec` for one configuration run.
caf::actor spawn_service(caf::actor_system& sys, std::shared_ptr<run_tables> tables,
                         const service_spec& spec);

/// Blocks until every service has answered every call it received, so the
/// records are complete (a cancelled group stops waiting for replies; the
/// services do not know and finish their work). Then stops the services.
void drain_and_stop(caf::actor_system& sys, const std::vector<caf::actor>& services);

} // namespace sim
