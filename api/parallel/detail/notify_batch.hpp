// notify_batch: lets a worker running a streak of short tasks, or a
// requester handling a burst of replies, send its results to each reducer as
// one message per streak or burst, not one per result.
#pragma once

#include <atomic>
#include <chrono>
#include <vector>

namespace parallel::detail {

class group_core;
class wrapper_base;

/// Per thread. While `active`, a wrapper of the `owner` group that would send
/// a new result to its reducer holds it back in its outbox and registers here
/// instead; `flush()` sends each outbox as one message. A worker flushes when
/// its streak of short tasks ends, under the group's lock before the group can
/// finish (so every pending wrapper is alive), and the supervisor flushes 1 ms
/// after the first held-back result in case the worker is stuck in a long
/// task. A requester takes the pending wrappers over after each reply (keeping
/// them alive) and sends them when a message it sent itself comes up.
struct notify_batch {
  /// A task shorter than this continues a streak (20 us). Tests raise it to
  /// make batching deterministic.
  static inline std::atomic<std::chrono::nanoseconds::rep> short_task_ns{20'000};

  /// Only results of this group's wrappers are held back (a nested group's
  /// serial tasks run on this thread too, and its wrappers may die first).
  const group_core* owner = nullptr;
  bool active = false;
  std::vector<wrapper_base*> pending;

  /// The batch's owner sends it soon by itself (a requester, at the end of
  /// its mailbox burst): no flush by the supervisor is needed.
  bool flushes_itself = false;

  /// The wrapper whose reducer runs on this thread right now (a requester
  /// that doubles as its reducer, in a reply handler): its new results may be
  /// consumed at once instead of sent (see `wrapper_state::push`).
  const wrapper_base* consuming = nullptr;

  /// The calling thread's batch.
  static notify_batch& local() noexcept;

  /// Sends every held-back result; ends the batch.
  void flush();
};

} // namespace parallel::detail
