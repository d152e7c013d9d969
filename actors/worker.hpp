// worker: a detached actor (one thread) that runs a group's blocking tasks.
#pragma once

#include <memory>

#include <caf/event_based_actor.hpp>

#include "parallel/detail/group_core.hpp"

namespace parallel::detail {

/// Runs tasks on a thread of its own, so tasks may block without starving
/// CAF's scheduler. Woken with one message when idle; while busy it takes the
/// next task straight from the group's queue. Reused until the group is
/// finished, then retired by the supervisor.
class worker : public caf::event_based_actor {
public:
  worker(caf::actor_config& cfg, std::shared_ptr<group_core> core,
         worker_record* rec);

  caf::behavior make_behavior() override;

  void on_exit() override;

private:
  std::shared_ptr<group_core> core_;
  worker_record* rec_;
};

} // namespace parallel::detail
