// The two shapes of a wrapper's sink: tasks that return only an error, and
// tasks that return a value or an error. Whether an error stops the group is
// the only difference between err_group and gather_errs, collect and
// collect_with_errs, feed and feed_with_errs.
#pragma once

#include <cstddef>

#include "parallel/detail/results.hpp"
#include "parallel/extension/task.hpp"
#include "parallel/detail/wrapper_state.hpp"

namespace parallel::detail {

/// Sink of error-only tasks: successes send nothing to the reducer.
template <bool StopOnError>
class error_sink : public wrapper_state<indexed<error>> {
public:
  using wrapper_state::wrapper_state;
  using value_type = void;

  task_outcome ok(std::size_t) {
    return task_outcome::succeeded;
  }

  task_outcome fail(std::size_t i, error e) {
    if constexpr (StopOnError)
      core().cancel(e); // stop the others now, before the reducer sees it
    push({i, std::move(e)});
    return task_outcome::failed;
  }
};

/// Sink of value tasks: every value and error goes to the reducer.
template <class T, bool StopOnError>
class value_sink : public wrapper_state<indexed<expected<T>>> {
public:
  using wrapper_state<indexed<expected<T>>>::wrapper_state;
  using value_type = T;

  task_outcome ok(std::size_t i, T&& x) {
    this->push({i, expected<T>{std::move(x)}});
    return task_outcome::succeeded;
  }

  task_outcome fail(std::size_t i, error e) {
    if constexpr (StopOnError)
      this->core().cancel(e);
    this->push({i, expected<T>{std::move(e)}});
    return task_outcome::failed;
  }
};

} // namespace parallel::detail
