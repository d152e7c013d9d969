// feed<T>: Go's Feed, values go to a receiver that runs in one reducer actor.
#pragma once

#include "parallel/detail/receiver.hpp"
#include "parallel/detail/sinks.hpp"
#include "parallel/detail/wrapper_handle.hpp"

namespace parallel {

namespace detail {

template <class T>
class feed_state final : public value_sink<T, true> {
public:
  feed_state(std::shared_ptr<group_core> core, receiver_fn<T> recv)
    : value_sink<T, true>(std::move(core)),
      recv_(std::move(recv)) {
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

  void release_callbacks() override {
    recv_ = nullptr;
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
/// Keep the receiver short: it runs on CAF's scheduler. `wait()` and
/// `await` deliver an `error`.
template <class T>
class feed : public detail::wrapper_handle<detail::feed_state<T>> {
  using base = detail::wrapper_handle<detail::feed_state<T>>;

public:
  /// A wrapper over the group of `ex` whose values go to `receiver`.
  template <class Receiver>
  feed(executor ex, Receiver receiver)
    : base(std::move(ex), detail::make_receiver<T>(std::move(receiver))) {
  }
};

} // namespace parallel
