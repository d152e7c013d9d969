// context: Go's context.Context for tasks (cancellation, cause, deadline).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <utility>

#include "parallel/error.hpp"

namespace parallel {

namespace detail {
class context_state;
} // namespace detail

/// Carries cancellation, its cause and a deadline to tasks. Cheap to copy;
/// copies share one state; every member is thread-safe. A cancelled context
/// never becomes uncancelled and its first cause wins. Cancelling a parent
/// cancels every descendant with the parent's cause; a child's cancellation
/// never reaches its parent.
class context {
public:
  /// Same as `background()`.
  context() noexcept = default;

  /// The root context: never cancelled, no deadline.
  static context background() noexcept {
    return context{};
  }

  /// True once cancelled (also once a deadline of this context or of an
  /// ancestor has passed). Applying a deadline that just passed cancels at
  /// once, which runs stop callbacks on the calling thread.
  bool cancelled() const noexcept;

  /// Empty until cancelled, then why: the canceller's cause, the parent's
  /// cause, or `errc::deadline_exceeded`.
  error cause() const;

  /// Requested on cancellation; for `std::jthread`, `std::stop_callback` and
  /// `std::condition_variable_any`. The background context's token never stops.
  std::stop_token stop_token() const noexcept;

  /// The earliest deadline of this context and its ancestors, if any.
  std::optional<std::chrono::steady_clock::time_point> deadline() const;

  /// Sleeps for `d` or until cancelled, whichever comes first. Returns false
  /// if the context was cancelled (before or during the sleep).
  bool sleep_for(std::chrono::steady_clock::duration d) const;

  /// @private
  explicit context(std::shared_ptr<detail::context_state> st) noexcept
    : state_(std::move(st)) {
  }

  /// @private
  const std::shared_ptr<detail::context_state>& state() const noexcept {
    return state_;
  }

private:
  std::shared_ptr<detail::context_state> state_;
};

/// Cancels the context it came with. Copyable; calling it again is harmless
/// (the first cause wins).
class canceller {
public:
  canceller() noexcept = default;

  /// Cancels with `cause` (default: `errc::cancelled`).
  void operator()(error cause = make_error(errc::cancelled)) const;

  /// @private
  explicit canceller(std::shared_ptr<detail::context_state> st) noexcept
    : state_(std::move(st)) {
  }

private:
  std::shared_ptr<detail::context_state> state_;
};

/// A child of `parent` that its canceller (or the parent) cancels.
std::pair<context, canceller> with_cancel(const context& parent);

/// A child of `parent` that is also cancelled with `errc::deadline_exceeded`
/// after `d`.
std::pair<context, canceller>
with_timeout(const context& parent, std::chrono::steady_clock::duration d);

/// A child of `parent` that is also cancelled with `errc::deadline_exceeded`
/// at `t`.
std::pair<context, canceller>
with_deadline(const context& parent, std::chrono::steady_clock::time_point t);

} // namespace parallel
