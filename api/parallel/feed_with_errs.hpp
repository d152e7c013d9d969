// feed_with_errs<T>: Go's FeedWithErrs, a receiver plus every error collected.
#pragma once

#include "parallel/detail/receiver.hpp"
#include "parallel/detail/results.hpp"
#include "parallel/detail/wrapper_handle.hpp"
#include "parallel/detail/wrapper_state.hpp"
#include "parallel/multi_error.hpp"

namespace parallel {

namespace detail {

template <class T>
class feed_with_errs_state final : public wrapper_state<indexed<expected<T>>> {
public:
  feed_with_errs_state(std::shared_ptr<group_core> core, receiver_fn<T> recv)
    : wrapper_state<indexed<expected<T>>>(std::move(core)),
      recv_(std::move(recv)) {
  }

  using value_type = T;

  task_outcome ok(std::size_t i, T&& x) {
    this->push({i, expected<T>{std::move(x)}});
    return task_outcome::succeeded;
  }

  task_outcome fail(std::size_t i, error e) {
    this->push({i, expected<T>{std::move(e)}});
    return task_outcome::failed;
  }

  multi_error result(const error& cause) const {
    return gather_errors(cause, errors_);
  }

protected:
  void consume(indexed<expected<T>>& x) override {
    if (!x.value) {
      errors_.push_back({x.index, std::move(x.value.error())});
      return;
    }
    if (auto e = recv_(this->core().ctx(), std::move(*x.value)))
      errors_.push_back({x.index, std::move(e)});
  }

private:
  receiver_fn<T> recv_;
  std::vector<indexed<error>> errors_;
};

} // namespace detail

/// Tasks `expected<T>(const context&)` (or plain `T`). Values of successful
/// tasks go to `receiver(const context&, T)` in the reducer actor (never
/// concurrently). Nothing stops the group: task errors and receiver errors are
/// collected and `wait()` returns them as a `multi_error` (submission order,
/// flattened, the group's stop cause first).
template <class T>
class feed_with_errs : public detail::wrapper_handle<detail::feed_with_errs_state<T>> {
  using base = detail::wrapper_handle<detail::feed_with_errs_state<T>>;

public:
  template <class Receiver>
  feed_with_errs(executor ex, Receiver receiver)
    : base(ex, std::make_shared<detail::feed_with_errs_state<T>>(
                 ex.handle()->core_ptr(),
                 detail::make_receiver<T>(std::move(receiver)))) {
  }

  /// Waits for every task and every value's delivery; returns every error.
  multi_error wait() {
    return this->wait_result();
  }

  /// Non-blocking `wait()`: `on_done(multi_error)` runs later inside `self`.
  template <class Self, class Handler>
  void await(Self* self, Handler on_done) {
    this->await_result(self, std::move(on_done));
  }
};

} // namespace parallel
