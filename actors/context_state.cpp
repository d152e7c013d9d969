#include "context_state.hpp"

#include "deadline_timer.hpp"

namespace parallel::detail {

context_state::context_state(std::shared_ptr<context_state> parent,
                             std::optional<clock::time_point> deadline)
  : parent_(std::move(parent)), own_deadline_(deadline) {
  effective_deadline_ = own_deadline_;
  if (parent_ && parent_->effective_deadline_
      && (!effective_deadline_
          || *parent_->effective_deadline_ < *effective_deadline_))
    effective_deadline_ = parent_->effective_deadline_;
}

context_state::~context_state() {
  if (timer_entry_)
    if (auto* timer = deadline_timer::instance())
      timer->unschedule(*timer_entry_);
}

bool context_state::track_deadline(const deadline_timer::key& k) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (cancelled_.load(std::memory_order_relaxed))
    return false;
  timer_entry_ = k;
  return true;
}

void context_state::attach_to_parent() {
  // Registering runs the callback at once if the parent is already cancelled.
  if (parent_)
    on_parent_stop_.emplace(parent_->token(), forward_cancel{this});
}

void context_state::forward_cancel::operator()() const noexcept {
  child->cancel(child->parent_->cause());
}

bool context_state::cancelled() const noexcept {
  if (latched())
    return true;
  if (!effective_deadline_ || clock::now() < *effective_deadline_)
    return false;
  // A deadline passed that the timer thread has not acted on yet: cancel
  // now, so no one sees "not cancelled" after it. An inherited deadline is
  // applied where it belongs, on the ancestor that owns it; its stop
  // callbacks then reach us, but possibly on another thread still, so we
  // also take its cause ourselves (the first cause wins either way).
  if (own_deadline_ && clock::now() >= *own_deadline_)
    cancel(make_error(errc::deadline_exceeded));
  else if (parent_->cancelled())
    cancel(parent_->cause());
  return latched();
}

error context_state::cause() const {
  if (!cancelled())
    return {};
  std::lock_guard<std::mutex> guard{mtx_};
  return cause_;
}

error context_state::cancel(error cause) const {
  if (!cause)
    cause = make_error(errc::cancelled);
  std::optional<deadline_timer::key> entry;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (cancelled_.load(std::memory_order_relaxed))
      return cause_;
    cause_ = cause;
    cancelled_.store(true, std::memory_order_release);
    entry.swap(timer_entry_);
  }
  // A cancelled context needs no deadline: leave the timer now, so a task
  // that ended releases everything, however far away its deadline was.
  if (entry)
    if (auto* timer = deadline_timer::instance())
      timer->unschedule(*entry);
  // Outside the lock: callbacks (children, group supervisors) read our cause.
  // A callback may destroy this state: a group's cancel callback can drop
  // the last reference to the group, which owns its context. The copy keeps
  // the stop state alive until request_stop has returned; nothing here
  // touches `this` after it.
  auto source = source_;
  source.request_stop();
  return cause;
}

} // namespace parallel::detail
