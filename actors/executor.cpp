// Creating groups, and the executor's blocking wait.
#include "parallel/executor.hpp"

#include <caf/actor_system.hpp>

#include "parallel/detail/spawn.hpp"
#include "group_state.hpp"
#include "parallel/detail/group_handle.hpp"
#include "parallel/misuse_error.hpp"

namespace parallel {

namespace detail {

std::shared_ptr<group_handle> make_group(caf::actor_system& sys,
                                         const context& parent,
                                         std::size_t bound) {
  // No actor yet: the supervisor and its sentinel are spawned when the
  // group first needs them (group_state::need_supervisor), which most groups
  // never do.
  auto core = std::make_shared<group_state>(sys, parent, bound);
  core->start();
  return std::make_shared<group_handle>(std::move(core));
}

void throw_moved_from() {
  throw misuse_error("this executor or wrapper was moved from: use the one it was moved to");
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
