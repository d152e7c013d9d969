#include "worker.hpp"

#include "parallel/detail/atoms.hpp"

namespace parallel::detail {

worker::worker(caf::actor_config& cfg, std::shared_ptr<group_core> core,
               worker_record* rec)
  : caf::event_based_actor(cfg), core_(std::move(core)), rec_(rec) {
}

caf::behavior worker::make_behavior() {
  return {
    [this](wake_atom) { core_->work(*rec_); },
    [this](retire_atom) { quit(); },
  };
}

void worker::on_exit() {
  core_.reset();
}

} // namespace parallel::detail
