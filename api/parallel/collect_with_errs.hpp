// collect_with_errs<T>: Go's CollectWithErrs, values and errors, nothing stops.
#pragma once

#include <vector>

#include "parallel/detail/sinks.hpp"
#include "parallel/detail/task_check.hpp"
#include "parallel/detail/wrapper_handle.hpp"
#include "parallel/multi_error.hpp"

namespace parallel {

/// What `collect_with_errs<T>::wait()` returns: the values of the tasks that
/// succeeded, in submission order, and every error.
template <class T>
struct collected {
  std::vector<T> values; ///< the successful tasks' values, in submission order
  multi_error errors;    ///< every error, flattened
};

namespace detail {

template <class T>
class collect_with_errs_state final : public value_sink<T, false> {
public:
  using value_sink<T, false>::value_sink;

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
/// the group's stop cause first). `wait()` and `await` deliver a
/// `collected<T>`.
template <class T>
class collect_with_errs
  : public detail::wrapper_handle<detail::collect_with_errs_state<T>> {
  using base = detail::wrapper_handle<detail::collect_with_errs_state<T>>;
  static_assert(detail::check_collectable<T>()); // the sentence is inside

public:
  /// A wrapper over the group of `ex` (which it shares with `ex`'s copies).
  explicit collect_with_errs(executor ex)
    : base(std::move(ex)) {
  }
};

} // namespace parallel
