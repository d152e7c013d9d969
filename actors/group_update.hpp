// group_state::update, shared by the files that implement group_state.
#pragma once

#include "group_state.hpp"

namespace parallel::detail {

// Runs `f(actions&)` under the group's lock, checks whether the group
// finished, then performs the decided side effects (messages, spawns,
// destroying tasks) after releasing the lock.
template <class F>
void group_state::update(F&& f) {
  actions a;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    f(a);
    check_finished_locked(a);
  }
  perform(a);
}

} // namespace parallel::detail
