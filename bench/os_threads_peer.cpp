// The request_fanout floor for any design that runs each task on an OS thread
// of its own. No parallel:: code and no CAF in here.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "peers.hpp"

namespace bench {

namespace {

// One caller's helper threads, made once and kept for every request. A
// request is a generation: the caller bumps it and wakes every helper with one
// notify_all; each participant (the caller is participant 0) runs the tasks
// k = its index, + participants, ...; the caller then waits for the helpers.
class crew {
public:
  crew(std::size_t tasks, std::size_t participants, std::chrono::microseconds wait)
    : tasks_(tasks), participants_(std::max<std::size_t>(participants, 1)), wait_(wait) {
    for (std::size_t i = 1; i < participants_; ++i)
      helpers_.emplace_back([this, i] { serve(i); });
  }

  crew(const crew&) = delete;
  crew& operator=(const crew&) = delete;

  ~crew() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stop_ = true;
    }
    start_cv_.notify_all();
    for (auto& t : helpers_)
      t.join();
  }

  void request() {
    sum_ = 0;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      ++generation_;
      done_ = 0;
    }
    start_cv_.notify_all();
    run_share(0);
    std::unique_lock<std::mutex> lk{mtx_};
    done_cv_.wait(lk, [this] { return done_ == helpers_.size(); });
    auto expected = static_cast<int64_t>(tasks_ * (tasks_ - 1) / 2);
    if (sum_.load() != expected)
      throw std::runtime_error("os_threads request_fanout: sum "
                               + std::to_string(sum_.load()) + ", expected "
                               + std::to_string(expected));
  }

private:
  void serve(std::size_t who) {
    std::size_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lk{mtx_};
        start_cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
        if (stop_)
          return;
        seen = generation_;
      }
      run_share(who);
      std::lock_guard<std::mutex> guard{mtx_};
      if (++done_ == helpers_.size())
        done_cv_.notify_one();
    }
  }

  void run_share(std::size_t who) {
    for (auto k = who; k < tasks_; k += participants_) {
      if (wait_.count() > 0)
        std::this_thread::sleep_for(wait_);
      sum_.fetch_add(static_cast<int64_t>(k), std::memory_order_relaxed);
    }
  }

  const std::size_t tasks_;
  const std::size_t participants_;
  const std::chrono::microseconds wait_;
  std::vector<std::thread> helpers_;
  std::mutex mtx_;
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  std::size_t generation_ = 0;
  std::size_t done_ = 0;
  bool stop_ = false;
  std::atomic<int64_t> sum_{0};
};

} // namespace

request_fn os_threads_fanout_caller(std::size_t tasks, std::size_t bound,
                                    std::chrono::microseconds task_wait) {
  auto c = std::make_shared<crew>(tasks, std::min(tasks, bound), task_wait);
  return [c] { c->request(); };
}

} // namespace bench
