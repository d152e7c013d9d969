#include "progress.hpp"

#include <condition_variable>
#include <cstdio>

#include <unistd.h>

namespace sim {

bool progress::stderr_is_tty() {
  return ::isatty(STDERR_FILENO) == 1;
}

void progress::stage(std::string label, std::size_t total,
                     const std::atomic<std::size_t>* done) {
  if (!enabled_)
    return;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    label_ = std::move(label);
    total_ = total;
    done_ = done;
  }
  if (!thread_.joinable()) {
    t0_ = std::chrono::steady_clock::now();
    thread_ = std::jthread{[this](std::stop_token st) { loop(st); }};
  }
}

void progress::set_estimate(double ms) {
  std::lock_guard<std::mutex> guard{mtx_};
  estimate_ms_ = ms;
}

void progress::end_stage() {
  std::lock_guard<std::mutex> guard{mtx_};
  done_ = nullptr;
}

void progress::finish() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void progress::loop(std::stop_token st) {
  using namespace std::chrono;
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lk{m};
  // Nothing for the first second: short runs print no progress at all.
  cv.wait_for(lk, st, seconds(1), [] { return false; });
  bool shown = false;
  while (!st.stop_requested()) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      double secs = duration<double>(steady_clock::now() - t0_).count();
      std::size_t done = done_ ? done_->load(std::memory_order_relaxed) : total_;
      if (estimate_ms_ > 0)
        std::fprintf(stderr, "\r\033[Kparallel-sim: %.1f s of ~%.1f s, %s: %zu/%zu calls",
                     secs, estimate_ms_ / 1000, label_.c_str(), done, total_);
      else
        std::fprintf(stderr, "\r\033[Kparallel-sim: %.1f s, %s: %zu/%zu calls", secs,
                     label_.c_str(), done, total_);
      std::fflush(stderr);
      shown = true;
    }
    cv.wait_for(lk, st, milliseconds(200), [] { return false; });
  }
  if (shown) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
}

} // namespace sim
