// progress: one line on stderr, refreshed while a run takes longer than a
// second, only when stderr is a terminal; erased when the run ends. It shows
// the time so far against the estimate, the configuration and its calls.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

namespace sim {

class progress {
public:
  /// `enabled == false` makes every call a no-op (stderr is not a terminal).
  explicit progress(bool enabled) : enabled_(enabled) {
  }

  ~progress() {
    finish();
  }

  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;

  /// The run moves to a new configuration: "label: done/total calls".
  /// `done` must stay valid until the next `stage`, `end_stage` or `finish`.
  void stage(std::string label, std::size_t total, const std::atomic<std::size_t>* done);

  /// The whole run is expected to take about `ms` (shown on the line).
  void set_estimate(double ms);

  /// The current configuration is over (its counter is going away).
  void end_stage();

  /// The run is over: stops refreshing and erases the line.
  void finish();

  /// True if stderr is a terminal.
  static bool stderr_is_tty();

private:
  void loop(std::stop_token st);

  bool enabled_;
  std::mutex mtx_;
  std::string label_;
  std::size_t total_ = 0;
  double estimate_ms_ = 0;
  const std::atomic<std::size_t>* done_ = nullptr;
  std::chrono::steady_clock::time_point t0_;
  std::jthread thread_;
};

} // namespace sim
