// collect<T>: Go's Collect, values in submission order or the first error.
#pragma once

#include <vector>

#include "parallel/detail/results.hpp"
#include "parallel/detail/wrapper_handle.hpp"
#include "parallel/detail/wrapper_state.hpp"

namespace parallel {

namespace detail {

template <class T>
class collect_state final : public wrapper_state<indexed<expected<T>>> {
public:
  using wrapper_state<indexed<expected<T>>>::wrapper_state;
  using value_type = T;

  task_outcome ok(std::size_t i, T&& x) {
    this->push({i, expected<T>{std::move(x)}});
    return task_outcome::succeeded;
  }

  task_outcome fail(std::size_t i, error e) {
    this->core().cancel(e);
    this->push({i, expected<T>{std::move(e)}});
    return task_outcome::failed;
  }

  expected<std::vector<T>> result(const error& cause) const {
    if (cause)
      return cause;
    if (first_)
      return first_;
    return values_.values();
  }

protected:
  void consume(indexed<expected<T>>& x) override {
    if (x.value)
      values_.put(x.index, std::move(*x.value));
    else if (!first_)
      first_ = std::move(x.value.error());
  }

private:
  ordered_values<T> values_;
  error first_;
};

} // namespace detail

/// Tasks `expected<T>(const context&)` (or plain `T`). `wait()` returns every
/// value in the order the tasks were submitted, or the first error, which
/// also cancels the group (then no values are returned).
template <class T>
class collect : public detail::wrapper_handle<detail::collect_state<T>> {
  using base = detail::wrapper_handle<detail::collect_state<T>>;

public:
  explicit collect(executor ex)
    : base(ex, std::make_shared<detail::collect_state<T>>(
                 ex.handle()->core_ptr())) {
  }

  /// Waits for every task of the executor; returns the values or the error.
  expected<std::vector<T>> wait() {
    return this->wait_result();
  }

  /// Non-blocking `wait()`: `on_done(expected<std::vector<T>>)` runs later
  /// inside `self`.
  template <class Self, class Handler>
  void await(Self* self, Handler on_done) {
    this->await_result(self, std::move(on_done));
  }
};

} // namespace parallel
