// deadline_timer: the one thread that cancels contexts whose deadline passed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

namespace parallel::detail {

class context_state;

/// Cancels contexts with `errc::deadline_exceeded` when their deadline comes,
/// so that waiters on a context's `stop_token` wake up even if nobody polls.
/// One lazily started thread per process. It holds contexts weakly, and a
/// context leaves the timer as soon as it is cancelled or destroyed: a task
/// that ended keeps nothing here, however far away its deadline was (a weak
/// pointer would otherwise pin the context's whole allocation until then).
class deadline_timer {
public:
  using clock = std::chrono::steady_clock;

  /// Identifies one scheduled context: its deadline and a serial number.
  using key = std::pair<clock::time_point, uint64_t>;

  /// The process's timer, started on first use; null once it is destroyed
  /// (at exit): a deadline then never fires, and contexts destroyed later
  /// have nothing to leave.
  static deadline_timer* instance();

  /// Schedules `ctx` (not yet cancelled) for `when`; records the entry's key
  /// in it, so that it leaves the timer when cancelled or destroyed.
  void schedule(clock::time_point when, std::weak_ptr<context_state> ctx);

  /// Removes the entry `k`, if it is still there.
  void unschedule(const key& k);

  /// Contexts waiting for their deadline (for tests and diagnostics).
  std::size_t size() const;

  ~deadline_timer();

private:
  deadline_timer();

  void run(std::stop_token stop);

  mutable std::mutex mtx_;
  std::condition_variable_any cv_;
  std::map<key, std::weak_ptr<context_state>> entries_; // earliest first
  uint64_t next_serial_ = 1;
  std::jthread thread_;
};

} // namespace parallel::detail
