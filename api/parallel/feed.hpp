// feed<T>: Go's Feed, values go to a receiver that runs in one reducer actor.
#pragma once

#include "parallel/detail/receiver.hpp"
#include "parallel/detail/results.hpp"
#include "parallel/detail/wrapper_handle.hpp"
#include "parallel/detail/wrapper_state.hpp"

namespace parallel {

namespace detail {

template <class T>
class feed_state final : public wrapper_state<indexed<expected<T>>> {
public:
  feed_state(std::shared_ptr<group_core> core, receiver_fn<T> recv)
    : wrapper_state<indexed<expected<T>>>(std::move(core)),
      recv_(std::move(recv)) {
  }

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

  error result(const error& cause) const {
    return cause ? cause : first_;
  }

protected:
  void consume(indexed<expected<T>>& x) override {
    if (first_)
      return; // the group failed: no more values for the receiver
    if (!x.value) {
      first_ = std::move(x.value.error());
      return;
    }
    if (auto e = recv_(this->core().ctx(), std::move(*x.value))) {
      first_ = e;
      this->core().cancel(std::move(e));
    }
  }

private:
  receiver_fn<T> recv_;
  error first_;
};

} // namespace detail

/// Tasks `expected<T>(const context&)` (or plain `T`). Each value goes to
/// `receiver(const context&, T)`, which runs in the wrapper's reducer actor:
/// never concurrently with itself, so it may touch unguarded state, and every
/// value has been received when `wait()` returns. The first error, from a task
/// or from the receiver (`error` return), cancels the group and is returned.
/// Keep the receiver short: it runs on CAF's scheduler.
template <class T>
class feed : public detail::wrapper_handle<detail::feed_state<T>> {
  using base = detail::wrapper_handle<detail::feed_state<T>>;

public:
  template <class Receiver>
  feed(executor ex, Receiver receiver)
    : base(ex, std::make_shared<detail::feed_state<T>>(
                 ex.handle()->core_ptr(),
                 detail::make_receiver<T>(std::move(receiver)))) {
  }

  /// Waits for every task and every value's delivery; returns the first error.
  error wait() {
    return this->wait_result();
  }

  /// Non-blocking `wait()`: `on_done(error)` runs later inside `self`.
  template <class Self, class Handler>
  void await(Self* self, Handler on_done) {
    this->await_result(self, std::move(on_done));
  }
};

} // namespace parallel
