#include "deadline_timer.hpp"

#include "context_state.hpp"

#include <atomic>

namespace parallel::detail {

namespace {

// Set when the timer is destroyed (at exit, before objects created earlier
// than its first use: a global context, say). Never destroyed itself.
constinit std::atomic<bool> timer_destroyed{false};

} // namespace

deadline_timer* deadline_timer::instance() {
  if (timer_destroyed.load(std::memory_order_acquire))
    return nullptr;
  static deadline_timer timer;
  return &timer;
}

deadline_timer::deadline_timer()
  : thread_([this](std::stop_token stop) { run(stop); }) {
}

deadline_timer::~deadline_timer() {
  timer_destroyed.store(true, std::memory_order_release);
  thread_.request_stop();
  thread_.join();
}

void deadline_timer::schedule(clock::time_point when,
                              std::weak_ptr<context_state> ctx) {
  auto st = ctx.lock();
  if (!st)
    return;
  key k;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    k = key{when, next_serial_++};
    entries_.emplace(k, std::move(ctx));
  }
  // Cancelled meanwhile (its parent was, say): it must not stay behind.
  if (!st->track_deadline(k))
    unschedule(k);
  cv_.notify_one();
}

void deadline_timer::unschedule(const key& k) {
  std::weak_ptr<context_state> gone; // released outside the lock
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = entries_.find(k); i != entries_.end()) {
    gone = std::move(i->second);
    entries_.erase(i);
  }
}

std::size_t deadline_timer::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return entries_.size();
}

void deadline_timer::run(std::stop_token stop) {
  std::unique_lock<std::mutex> lk{mtx_};
  while (!stop.stop_requested()) {
    if (entries_.empty()) {
      cv_.wait(lk, stop, [this] { return !entries_.empty(); });
      continue;
    }
    auto next = entries_.begin()->first.first;
    if (clock::now() < next) {
      // Wake for an earlier entry, for stop, or at `next`.
      cv_.wait_until(lk, stop, next, [this, next] {
        return !entries_.empty() && entries_.begin()->first.first < next;
      });
      continue;
    }
    auto ctx = std::move(entries_.begin()->second);
    entries_.erase(entries_.begin());
    lk.unlock();
    if (auto st = ctx.lock())
      st->cancel(make_error(errc::deadline_exceeded));
    ctx.reset();
    lk.lock();
  }
}

} // namespace parallel::detail
