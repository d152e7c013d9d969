// deadline_timer: the one thread that cancels contexts whose deadline passed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace parallel::detail {

class context_state;

/// Cancels contexts with `errc::deadline_exceeded` when their deadline comes,
/// so that waiters on a context's `stop_token` wake up even if nobody polls.
/// One lazily started thread per process; it holds contexts weakly, so a
/// forgotten context costs one queue entry until its deadline.
class deadline_timer {
public:
  using clock = std::chrono::steady_clock;

  static deadline_timer& instance();

  void schedule(clock::time_point when, std::weak_ptr<context_state> ctx);

  ~deadline_timer();

private:
  deadline_timer();

  void run(std::stop_token stop);

  struct entry {
    clock::time_point when;
    std::weak_ptr<context_state> ctx;
    bool operator>(const entry& other) const {
      return when > other.when;
    }
  };

  std::mutex mtx_;
  std::condition_variable_any cv_;
  std::priority_queue<entry, std::vector<entry>, std::greater<entry>> queue_;
  std::jthread thread_;
};

} // namespace parallel::detail
