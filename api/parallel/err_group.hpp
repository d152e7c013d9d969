// err_group: Go's ErrGroup, the first error stops the group and is returned.
#pragma once

#include "parallel/detail/sinks.hpp"
#include "parallel/detail/wrapper_handle.hpp"

namespace parallel {

namespace detail {

class err_group_state final : public error_sink<true> {
public:
  using error_sink::error_sink;

  error result(const error& cause) const {
    return cause ? cause : first_;
  }

protected:
  void consume(indexed<error>& x) override {
    if (!first_)
      first_ = std::move(x.value);
  }

private:
  error first_;
};

} // namespace detail

/// Tasks `error(const context&)` (or `void`). The first error cancels the
/// group's context with that error as its cause, and `wait()` returns it.
/// If the group was stopped otherwise first (the parent's cancellation, a
/// sibling wrapper's error), `wait()` returns that cause. `wait()` and
/// `await` deliver an `error`.
class err_group : public detail::wrapper_handle<detail::err_group_state> {
public:
  /// A wrapper over the group of `ex` (which it shares with `ex`'s copies).
  explicit err_group(executor ex)
    : wrapper_handle(std::move(ex)) {
  }
};

} // namespace parallel
