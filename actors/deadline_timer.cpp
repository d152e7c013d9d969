#include "deadline_timer.hpp"

#include "context_state.hpp"

namespace parallel::detail {

deadline_timer& deadline_timer::instance() {
  static deadline_timer timer;
  return timer;
}

deadline_timer::deadline_timer()
  : thread_([this](std::stop_token stop) { run(stop); }) {
}

deadline_timer::~deadline_timer() {
  thread_.request_stop();
  thread_.join();
}

void deadline_timer::schedule(clock::time_point when,
                              std::weak_ptr<context_state> ctx) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    queue_.push(entry{when, std::move(ctx)});
  }
  cv_.notify_one();
}

void deadline_timer::run(std::stop_token stop) {
  std::unique_lock<std::mutex> lk{mtx_};
  while (!stop.stop_requested()) {
    if (queue_.empty()) {
      cv_.wait(lk, stop, [this] { return !queue_.empty(); });
      continue;
    }
    auto next = queue_.top().when;
    if (clock::now() < next) {
      // Wake for an earlier entry, for stop, or at `next`.
      cv_.wait_until(lk, stop, next,
                     [this, next] { return queue_.top().when < next; });
      continue;
    }
    auto ctx = queue_.top().ctx;
    queue_.pop();
    lk.unlock();
    if (auto st = ctx.lock())
      st->cancel(make_error(errc::deadline_exceeded));
    lk.lock();
  }
}

} // namespace parallel::detail
