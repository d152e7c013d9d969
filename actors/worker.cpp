#include "worker.hpp"

#include <stdexcept>

#include <caf/actor_cast.hpp>
#include <caf/default_attachable.hpp>
#include <caf/actor_system.hpp>

#include "group_state.hpp"
#include "parallel/detail/atoms.hpp"
#include "thread_state.hpp"

namespace parallel::detail {

namespace {

// The worker under construction on this thread, for spawn_in's clean-up.
thread_local worker* constructing = nullptr;

} // namespace

worker::worker(caf::actor_config& cfg, std::shared_ptr<worker_pool> pool)
  : caf::event_based_actor(cfg), pool_(std::move(pool)) {
  constructing = this;
}

worker_slot* worker::spawn_in(caf::actor_system& sys,
                              std::shared_ptr<worker_pool> pool) {
  constructing = nullptr;
  // The system's internal actors exit once every non-hidden actor is done
  // (~actor_system), right before it waits for detached threads: that is
  // this worker's cue to quit. Watched from here, not from make_behavior:
  // the new thread may first run after the system has let go of them.
  const auto& config_server = sys.config_serv();
  if (!config_server)
    throw std::runtime_error{"the actor system is shutting down"};
  caf::actor self;
  try {
    self = sys.spawn<worker, caf::detached + caf::hidden>(std::move(pool));
  } catch (...) {
    // CAF 0.17 creates the actor's private thread object, which counts a
    // detached thread and holds a reference to the actor, and only then
    // starts the std::thread that failed. Undo both, or ~actor_system waits
    // for a thread that never existed.
    if (auto* w = constructing; w != nullptr && w->private_thread_ != nullptr) {
      sys.dec_detached_threads();
      intrusive_ptr_release(w->ctrl());
    }
    constructing = nullptr;
    throw;
  }
  constructing = nullptr;
  config_server->get()->attach(caf::default_attachable::make_monitor(
    config_server->get()->address(), self.address()));
  auto* w = static_cast<worker*>(caf::actor_cast<caf::abstract_actor*>(self));
  w->slot_.self = std::move(self);
  return &w->slot_;
}

caf::behavior worker::make_behavior() {
  // The config server's down message (see spawn_in): the system shuts down.
  set_down_handler([this](caf::down_msg&) {
    if (pool_->close(&slot_))
      retire(); // idle: quit now; a lent worker quits when handed back
  });
  return {
    [this](wake_atom) {
      if (slot_.tid.load(std::memory_order_relaxed) == 0)
        slot_.tid.store(current_thread_id(), std::memory_order_relaxed);
      if (auto g = slot_.group) // the group lets go of us inside work()
        g->work(slot_);
      go_idle();
    },
    [this](retire_atom) {
      retire(); // the pool's reaper took us off the idle list
    },
  };
}

void worker::go_idle() {
  if (!pool_->give_back(&slot_))
    retire(); // the system is shutting down
}

void worker::retire() {
  slot_.self = nullptr; // the pool's reference: this actor may now go away
  quit();
}

} // namespace parallel::detail
