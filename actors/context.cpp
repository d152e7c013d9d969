// context, canceller and the with_* constructors.
#include "parallel/context.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "context_state.hpp"
#include "deadline_timer.hpp"

namespace parallel {

using detail::context_state;

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
  auto until = std::chrono::steady_clock::now() + d;
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
    detail::deadline_timer::instance().schedule(*deadline, st);
  return {context{st}, canceller{st}};
}

} // namespace

std::pair<context, canceller> with_cancel(const context& parent) {
  return make_child(parent, std::nullopt);
}

std::pair<context, canceller>
with_timeout(const context& parent, std::chrono::steady_clock::duration d) {
  return make_child(parent, std::chrono::steady_clock::now() + d);
}

std::pair<context, canceller>
with_deadline(const context& parent, std::chrono::steady_clock::time_point t) {
  return make_child(parent, t);
}

} // namespace parallel
