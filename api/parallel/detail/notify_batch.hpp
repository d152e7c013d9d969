// notify_batch: lets a worker running a streak of short tasks wake reducers
// once per batch instead of once per result.
#pragma once

#include <atomic>
#include <chrono>
#include <vector>

namespace parallel::detail {

class wrapper_base;

/// Per worker thread. While `active`, a wrapper that would wake its reducer
/// for a new result registers here instead; `flush()` wakes them all. The
/// worker flushes when its streak of short tasks ends and before it goes
/// idle, so a result waits at most one short streak.
struct notify_batch {
  /// A task shorter than this continues a streak (20 us). Tests raise it to
  /// make batching deterministic.
  static inline std::atomic<std::chrono::nanoseconds::rep> short_task_ns{20'000};

  bool active = false;
  std::vector<wrapper_base*> pending;

  /// The calling thread's batch.
  static notify_batch& local() noexcept;

  /// Wakes every reducer with results waiting; ends the batch.
  void flush();
};

} // namespace parallel::detail
