// Creating groups, and the executor's blocking wait.
#include "parallel/executor.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/default_attachable.hpp>

#include "parallel/detail/spawn.hpp"
#include "sentinel.hpp"
#include "supervisor.hpp"

namespace parallel {

namespace detail {

std::shared_ptr<group_handle> make_group(caf::actor_system& sys,
                                         const context& parent,
                                         std::size_t bound) {
  auto core = std::make_shared<group_core>(sys, parent, bound);
  // Both spawned lazily: neither runs until it gets a message, so a group
  // costs two allocations of actors, not two turns on the scheduler. The
  // sentinel never runs at all; the supervisor first runs when it has work
  // (its down message from the sentinel, at the latest).
  auto guard = sys.spawn<sentinel, caf::lazy_init + caf::hidden>();
  auto sup = sys.spawn<supervisor, caf::lazy_init>(core, guard.address());
  caf::actor_cast<caf::abstract_actor*>(guard)->attach(
    caf::default_attachable::make_monitor(guard.address(), sup.address()));
  core->start(sup);
  return std::make_shared<group_handle>(std::move(core), std::move(guard));
}

} // namespace detail

void executor::wait() {
  core().wait_tasks();
  finish();
}

void executor::finish() {
  core().finish_cause();
  core().rethrow_if_panicked();
}

group_stats executor::stats() const {
  return core().stats();
}

const context& executor::group_context() const {
  return core().ctx();
}

executor unlimited(caf::actor_system& sys, context ctx) {
  return executor{detail::make_group(sys, ctx, detail::group_core::unbounded)};
}

executor limited(caf::actor_system& sys, context ctx, std::size_t max_in_flight) {
  return executor{detail::make_group(sys, ctx, max_in_flight)};
}

} // namespace parallel
