// teardown_watchdog: ends the process with a message if the actor system
// cannot shut down.
//
// CAF 0.17 registers a detached actor as running before it starts its
// thread. If the thread cannot start (out of threads) after a simulated
// exception has already panicked the group, the library's first panic wins
// and the spawn failure is not reported; ~actor_system then waits for that
// actor forever. Only the teardown itself can tell this from a healthy run
// (an actor that lives on, e.g. a pool of the library, stops at shutdown),
// so the watchdog times the teardown: a healthy one takes milliseconds.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace sim {

class teardown_watchdog {
public:
  /// Starts the watchdog's thread now, while threads can still be had.
  /// `on_stuck` runs on that thread if a teardown takes longer than
  /// `limit`; it must end the process.
  teardown_watchdog(std::chrono::milliseconds limit, std::function<void()> on_stuck)
    : limit_(limit), on_stuck_(std::move(on_stuck)), thread_([this] { watch(); }) {
  }

  ~teardown_watchdog() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  teardown_watchdog(const teardown_watchdog&) = delete;
  teardown_watchdog& operator=(const teardown_watchdog&) = delete;

  /// The teardown starts now: from here it has `limit` to finish (the
  /// destructor marks its end).
  void teardown_begins() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      started_ = true;
    }
    cv_.notify_all();
  }

private:
  void watch() {
    std::unique_lock<std::mutex> lk{mtx_};
    cv_.wait(lk, [this] { return started_ || done_; });
    if (done_)
      return;
    if (!cv_.wait_for(lk, limit_, [this] { return done_; }))
      on_stuck_();
  }

  std::chrono::milliseconds limit_;
  std::function<void()> on_stuck_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool started_ = false;
  bool done_ = false;
  std::thread thread_;
};

} // namespace sim
