// gather_errs: Go's GatherErrs, every error is collected and nothing stops.
#pragma once

#include "parallel/detail/results.hpp"
#include "parallel/detail/wrapper_handle.hpp"
#include "parallel/detail/wrapper_state.hpp"
#include "parallel/multi_error.hpp"

namespace parallel {

namespace detail {

class gather_errs_state final : public wrapper_state<indexed<error>> {
public:
  using wrapper_state::wrapper_state;
  using value_type = void;

  task_outcome ok(std::size_t) {
    return task_outcome::succeeded;
  }

  task_outcome fail(std::size_t i, error e) {
    push({i, std::move(e)});
    return task_outcome::failed;
  }

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
/// group's stop cause (e.g. the parent's cancellation) first.
class gather_errs : public detail::wrapper_handle<detail::gather_errs_state> {
public:
  explicit gather_errs(executor ex)
    : wrapper_handle(ex, std::make_shared<detail::gather_errs_state>(
                           ex.handle()->core_ptr())) {
  }

  /// Waits for every task of the executor; returns every error.
  multi_error wait() {
    return wait_result();
  }

  /// Non-blocking `wait()`: `on_done(multi_error)` runs later inside `self`.
  template <class Self, class Handler>
  void await(Self* self, Handler on_done) {
    await_result(self, std::move(on_done));
  }
};

} // namespace parallel
