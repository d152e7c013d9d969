// recorder: what happened to every call of one configuration run, written by
// the services and the tasks, read after the run for the timeline and counts.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "plan.hpp"

namespace sim {

/// What the client's task got for a call (set by `recorded_request`).
enum class client_result : std::uint8_t {
  none,   ///< nothing: never sent, or in flight when its group was cancelled
  ok,     ///< the reply, counted as succeeded
  failed, ///< an error reply, counted as failed
};

struct call_record {
  double arrive_ms = -1; ///< reached the service; -1: never
  double begin_ms = -1;  ///< the service started work on it (after its capacity queue)
  double end_ms = -1;    ///< the service answered
  bool failed = false;   ///< the service answered with an error
  bool threw = false;    ///< the client code threw on the reply
  bool queued = false;   ///< waited in the service's capacity queue
  client_result client = client_result::none; ///< what the client's task got
  std::uint32_t group = 0; ///< 0: the top group; i + 1: item i's child group
};

/// One slot per call. Each slot is written by one actor or task at a time
/// and read after `wait()` and a drain of the services, which order the
/// accesses. Group cancellations arrive from any thread and take the lock.
class recorder {
public:
  recorder(std::size_t calls, std::size_t groups)
    : calls_(calls), cancel_ms_(groups, -1.0) {
  }

  /// Time zero of the run.
  void start_clock() {
    t0_ = std::chrono::steady_clock::now();
  }

  /// Milliseconds since `start_clock()`.
  double now_ms() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now()
                                                     - t0_)
      .count();
  }

  call_record& at(std::uint64_t call) {
    return calls_[call];
  }

  const std::vector<call_record>& calls() const {
    return calls_;
  }

  /// Group `g`'s context was cancelled (not by its normal end) at `ms`.
  void cancelled(std::size_t g, double ms, std::string cause) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (cancel_ms_[g] >= 0)
      return;
    cancel_ms_[g] = ms;
    if (g == 0)
      top_cause_ = std::move(cause);
  }

  std::optional<double> cancel_ms(std::size_t g) const {
    std::lock_guard<std::mutex> guard{mtx_};
    if (cancel_ms_[g] < 0)
      return std::nullopt;
    return cancel_ms_[g];
  }

  std::string top_cause() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return top_cause_;
  }

  /// Calls finished (answered or thrown), for the progress line.
  std::atomic<std::size_t> done{0};

private:
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
  std::vector<call_record> calls_;
  mutable std::mutex mtx_;
  std::vector<double> cancel_ms_;
  std::string top_cause_;
};

/// What the services and tasks of one configuration run share.
struct run_tables {
  run_tables(const plan& p, std::vector<planned> outcomes, std::size_t groups)
    : calls(p.calls), outcomes(std::move(outcomes)), rec(p.calls.size(), groups) {
  }
  const std::vector<call_plan>& calls;
  const std::vector<planned> outcomes; ///< per call, for this configuration
  recorder rec;
};

} // namespace sim
