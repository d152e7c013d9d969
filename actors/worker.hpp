// worker: a detached actor (one thread) that runs blocking tasks for
// whichever group borrowed it from its system's worker pool.
#pragma once

#include <caf/event_based_actor.hpp>

#include "worker_pool.hpp"

namespace parallel::detail {

/// Runs tasks on a thread of its own, so tasks may block without starving
/// CAF's scheduler. Hidden from CAF's count of running actors: it belongs to
/// the pool, not to a group, and quits when the system shuts down. Woken
/// with one message when a group borrows it; it then takes that group's
/// tasks straight from the group's queue until none is left for it, and
/// hands itself back to the pool. Retires after a while idle.
class worker : public caf::event_based_actor {
public:
  worker(caf::actor_config& cfg, std::shared_ptr<worker_pool> pool);

  /// Spawns a worker of `pool` and returns its slot. If no thread can be
  /// started, throws, having undone what CAF 0.17 counted for the thread
  /// that never started (else `~actor_system` would wait for it forever).
  static worker_slot* spawn_in(caf::actor_system& sys,
                               std::shared_ptr<worker_pool> pool);

  caf::behavior make_behavior() override;

private:
  void go_idle();
  void retire();

  std::shared_ptr<worker_pool> pool_;
  worker_slot slot_;
};

} // namespace parallel::detail
