// The shared state behind `context` and `canceller`.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>

#include "deadline_timer.hpp"
#include "parallel/error.hpp"

namespace parallel::detail {

/// One node in the tree of contexts. Cancellation is a one-way latch: the
/// first cause is kept, then the stop source fires, which runs the children's
/// forwarding callbacks (and any `std::stop_callback` users registered).
class context_state {
public:
  using clock = std::chrono::steady_clock;

  context_state(std::shared_ptr<context_state> parent,
                std::optional<clock::time_point> deadline);

  context_state(const context_state&) = delete;
  context_state& operator=(const context_state&) = delete;

  /// Leaves the deadline timer, if still there.
  ~context_state();

  /// Wires this state to its parent: call once, right after construction.
  void attach_to_parent();

  /// True once cancelled. Also cancels at once when a deadline on the path to
  /// the root has passed, which runs stop callbacks on this thread: never
  /// call it while holding a lock a stop callback may take (use `latched`).
  bool cancelled() const noexcept;

  /// True once cancelled, without looking at the clock. Never runs a
  /// callback; a deadline counts only once the timer (or a `cancelled()`
  /// call) has applied it.
  bool latched() const noexcept {
    return cancelled_.load(std::memory_order_acquire);
  }

  /// Empty until cancelled.
  error cause() const;

  /// Cancels with `cause` unless already cancelled (the first cause wins);
  /// returns the cause that won. Never call this while holding a lock a stop
  /// callback may take.
  error cancel(error cause) const;

  std::stop_token token() const noexcept {
    return source_.get_token();
  }

  /// Remembers the deadline timer's entry for this context, to remove it
  /// when cancelled or destroyed. False if already cancelled (the caller
  /// removes the entry then).
  bool track_deadline(const deadline_timer::key& k);

  /// The earliest deadline on the path to the root.
  std::optional<clock::time_point> deadline() const noexcept {
    return effective_deadline_;
  }

private:
  // Forwards the parent's cancellation, with the parent's cause.
  struct forward_cancel {
    const context_state* child;
    void operator()() const noexcept;
  };

  std::shared_ptr<context_state> parent_;
  std::optional<clock::time_point> own_deadline_;
  std::optional<clock::time_point> effective_deadline_;
  mutable std::mutex mtx_;
  mutable error cause_;
  mutable std::atomic<bool> cancelled_{false};
  mutable std::stop_source source_;
  std::optional<std::stop_callback<forward_cancel>> on_parent_stop_;
  // The deadline timer's entry, while there is one (guarded by mtx_).
  mutable std::optional<deadline_timer::key> timer_entry_;
};

} // namespace parallel::detail
