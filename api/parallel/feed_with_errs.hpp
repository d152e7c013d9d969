// feed_with_errs<T>: Go's FeedWithErrs, a receiver plus every error collected.
#pragma once

#include "parallel/detail/receiver.hpp"
#include "parallel/detail/sinks.hpp"
#include "parallel/detail/wrapper_handle.hpp"
#include "parallel/multi_error.hpp"

namespace parallel {

namespace detail {

template <class T>
class feed_with_errs_state final : public value_sink<T, false> {
public:
  feed_with_errs_state(std::shared_ptr<group_core> core, receiver_fn<T> recv)
    : value_sink<T, false>(std::move(core)),
      recv_(std::move(recv)) {
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

  void release_callbacks() override {
    recv_ = nullptr;
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
/// flattened, the group's stop cause first). `wait()` and `await` deliver
/// a `multi_error`.
template <class T>
class feed_with_errs : public detail::wrapper_handle<detail::feed_with_errs_state<T>> {
  using base = detail::wrapper_handle<detail::feed_with_errs_state<T>>;

public:
  /// A wrapper over the group of `ex` whose values go to `receiver`.
  template <class Receiver>
  feed_with_errs(executor ex, Receiver receiver)
    : base(std::move(ex), detail::make_receiver<T>(std::move(receiver))) {
  }
};

} // namespace parallel
