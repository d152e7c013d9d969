// collect<T>: Go's Collect, values in submission order or the first error.
#pragma once

#include <vector>

#include "parallel/detail/sinks.hpp"
#include "parallel/detail/task_check.hpp"
#include "parallel/detail/wrapper_handle.hpp"

namespace parallel {

namespace detail {

template <class T>
class collect_state final : public value_sink<T, true> {
public:
  using value_sink<T, true>::value_sink;

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
/// also cancels the group (then no values are returned). `wait()` and
/// `await` deliver an `expected<std::vector<T>>`.
template <class T>
class collect : public detail::wrapper_handle<detail::collect_state<T>> {
  using base = detail::wrapper_handle<detail::collect_state<T>>;
  static_assert(detail::check_collectable<T>()); // the sentence is inside

public:
  /// A wrapper over the group of `ex` (which it shares with `ex`'s copies).
  explicit collect(executor ex)
    : base(std::move(ex)) {
  }
};

} // namespace parallel
