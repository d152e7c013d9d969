#include "worker.hpp"

#include "parallel/detail/atoms.hpp"
#include "thread_state.hpp"

namespace parallel::detail {

worker::worker(caf::actor_config& cfg, std::shared_ptr<group_core> core,
               worker_record* rec)
  : caf::event_based_actor(cfg), core_(std::move(core)), rec_(rec) {
}

caf::behavior worker::make_behavior() {
  return {
    [this](wake_atom) {
      // A detached actor keeps its thread; record it for blocking checks.
      if (rec_->tid.load(std::memory_order_relaxed) == 0)
        rec_->tid.store(current_thread_id(), std::memory_order_relaxed);
      core_->work(*rec_);
    },
    [this](retire_atom) { quit(); },
  };
}

void worker::on_exit() {
  core_.reset();
}

} // namespace parallel::detail
