// context, canceller and the with_* constructors.
#include "parallel/context.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "context_state.hpp"
#include "deadline_timer.hpp"

namespace parallel {

using detail::context_state;

namespace detail {

namespace {

// `t + d`, or nothing if that is outside the clock's range.
std::optional<std::chrono::steady_clock::time_point>
checked_add(std::chrono::steady_clock::time_point t,
            std::chrono::steady_clock::duration d) {
  std::chrono::steady_clock::duration::rep sum;
  if (__builtin_add_overflow(t.time_since_epoch().count(), d.count(), &sum))
    return std::nullopt;
  return std::chrono::steady_clock::time_point{
    std::chrono::steady_clock::duration{sum}};
}

} // namespace

} // namespace detail

bool context::cancelled() const noexcept {
  return state_ && state_->cancelled();
}

error context::cause() const {
  return state_ ? state_->cause() : error{};
}

std::stop_token context::stop_token() const noexcept {
  return state_ ? state_->token() : std::stop_token{};
}

std::optional<std::chrono::steady_clock::time_point> context::deadline() const {
  return state_ ? state_->deadline() : std::nullopt;
}

bool context::sleep_for(std::chrono::steady_clock::duration d) const {
  if (!state_) {
    std::this_thread::sleep_for(d);
    return true;
  }
  using tp = std::chrono::steady_clock::time_point;
  auto until = detail::checked_add(std::chrono::steady_clock::now(), d)
                 .value_or(d.count() > 0 ? tp::max() : tp::min());
  if (auto dl = state_->deadline(); dl && *dl < until)
    until = *dl;
  std::mutex mtx;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lk{mtx};
  cv.wait_until(lk, state_->token(), until, [] { return false; });
  return !state_->cancelled();
}

void canceller::operator()(error cause) const {
  if (state_)
    state_->cancel(std::move(cause));
}

namespace {

std::pair<context, canceller>
make_child(const context& parent,
           std::optional<std::chrono::steady_clock::time_point> deadline) {
  auto st = std::make_shared<context_state>(parent.state(), deadline);
  st->attach_to_parent();
  if (deadline)
    if (auto* timer = detail::deadline_timer::instance())
      timer->schedule(*deadline, st);
  return {context{st}, canceller{st}};
}

} // namespace

std::pair<context, canceller> with_cancel(const context& parent) {
  return make_child(parent, std::nullopt);
}

std::pair<context, canceller>
with_timeout(const context& parent, std::chrono::steady_clock::duration d) {
  // A timeout too long to represent (duration::max(), say) is no deadline;
  // one too far in the past has passed already.
  auto when = detail::checked_add(std::chrono::steady_clock::now(), d);
  if (!when && d.count() < 0)
    when = std::chrono::steady_clock::time_point::min();
  return make_child(parent, when);
}

std::pair<context, canceller>
with_deadline(const context& parent, std::chrono::steady_clock::time_point t) {
  return make_child(parent, t);
}

} // namespace parallel
