// gather_errs: Go's GatherErrs, every error is collected and nothing stops.
#pragma once

#include "parallel/detail/sinks.hpp"
#include "parallel/detail/wrapper_handle.hpp"
#include "parallel/multi_error.hpp"

namespace parallel {

namespace detail {

class gather_errs_state final : public error_sink<false> {
public:
  using error_sink::error_sink;

  multi_error result(const error& cause) const {
    return gather_errors(cause, errors_);
  }

protected:
  void consume(indexed<error>& x) override {
    errors_.push_back(std::move(x));
  }

private:
  std::vector<indexed<error>> errors_;
};

} // namespace detail

/// Tasks `error(const context&)` (or `void`). Errors never cancel the group;
/// `wait()` returns them all as a `multi_error`, in submission order, with an
/// error that came from a `multi_error` flattened into its parts, and the
/// group's stop cause (e.g. the parent's cancellation) first. `wait()` and
/// `await` deliver a `multi_error`.
class gather_errs : public detail::wrapper_handle<detail::gather_errs_state> {
public:
  /// A wrapper over the group of `ex` (which it shares with `ex`'s copies).
  explicit gather_errs(executor ex)
    : wrapper_handle(std::move(ex)) {
  }
};

} // namespace parallel
