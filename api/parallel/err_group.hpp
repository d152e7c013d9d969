// err_group: Go's ErrGroup, the first error stops the group and is returned.
#pragma once

#include "parallel/detail/results.hpp"
#include "parallel/detail/wrapper_handle.hpp"
#include "parallel/detail/wrapper_state.hpp"

namespace parallel {

namespace detail {

class err_group_state final : public wrapper_state<indexed<error>> {
public:
  using wrapper_state::wrapper_state;
  using value_type = void;

  task_outcome ok(std::size_t) {
    return task_outcome::succeeded;
  }

  task_outcome fail(std::size_t i, error e) {
    core().cancel(e);
    push({i, std::move(e)});
    return task_outcome::failed;
  }

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
/// sibling wrapper's error), `wait()` returns that cause.
class err_group : public detail::wrapper_handle<detail::err_group_state> {
public:
  explicit err_group(executor ex)
    : wrapper_handle(ex, std::make_shared<detail::err_group_state>(
                           ex.handle()->core_ptr())) {
  }

  /// Waits for every task of the executor; returns the first error, or none.
  error wait() {
    return wait_result();
  }

  /// Non-blocking `wait()`: `on_done(error)` runs later inside `self`.
  template <class Self, class Handler>
  void await(Self* self, Handler on_done) {
    await_result(self, std::move(on_done));
  }
};

} // namespace parallel
