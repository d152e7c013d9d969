// collect_with_errs<T>: Go's CollectWithErrs, values and errors, nothing stops.
#pragma once

#include <vector>

#include "parallel/detail/results.hpp"
#include "parallel/detail/wrapper_handle.hpp"
#include "parallel/detail/wrapper_state.hpp"
#include "parallel/multi_error.hpp"

namespace parallel {

/// What `collect_with_errs<T>::wait()` returns: the values of the tasks that
/// succeeded, in submission order, and every error.
template <class T>
struct collected {
  std::vector<T> values;
  multi_error errors;
};

namespace detail {

template <class T>
class collect_with_errs_state final
  : public wrapper_state<indexed<expected<T>>> {
public:
  using wrapper_state<indexed<expected<T>>>::wrapper_state;
  using value_type = T;

  task_outcome ok(std::size_t i, T&& x) {
    this->push({i, expected<T>{std::move(x)}});
    return task_outcome::succeeded;
  }

  task_outcome fail(std::size_t i, error e) {
    this->push({i, expected<T>{std::move(e)}});
    return task_outcome::failed;
  }

  collected<T> result(const error& cause) const {
    return {values_.values(), gather_errors(cause, errors_)};
  }

protected:
  void consume(indexed<expected<T>>& x) override {
    if (x.value)
      values_.put(x.index, std::move(*x.value));
    else
      errors_.push_back({x.index, std::move(x.value.error())});
  }

private:
  ordered_values<T> values_;
  std::vector<indexed<error>> errors_;
};

} // namespace detail

/// Tasks `expected<T>(const context&)` (or plain `T`). Errors never cancel the
/// group. `wait()` returns the successful tasks' values in submission order
/// and every error as a `multi_error` (flattened, in submission order, with
/// the group's stop cause first).
template <class T>
class collect_with_errs
  : public detail::wrapper_handle<detail::collect_with_errs_state<T>> {
  using base = detail::wrapper_handle<detail::collect_with_errs_state<T>>;

public:
  explicit collect_with_errs(executor ex)
    : base(ex, std::make_shared<detail::collect_with_errs_state<T>>(
                 ex.handle()->core_ptr())) {
  }

  /// Waits for every task of the executor; returns values and errors.
  collected<T> wait() {
    return this->wait_result();
  }

  /// Non-blocking `wait()`: `on_done(collected<T>)` runs later inside `self`.
  template <class Self, class Handler>
  void await(Self* self, Handler on_done) {
    this->await_result(self, std::move(on_done));
  }
};

} // namespace parallel
