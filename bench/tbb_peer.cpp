// The oneTBB equivalents. No parallel:: code in here.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <vector>

#include "harness.hpp"
#include "peers.hpp"

#ifdef PARALLEL_BENCH_HAVE_TBB
#include <oneapi/tbb/task_group.h>
#endif

namespace bench {

#ifdef PARALLEL_BENCH_HAVE_TBB

bool have_tbb() {
  return true;
}

double tbb_trivial_collect(std::size_t n) {
  std::mutex mtx;
  std::vector<int32_t> out;
  auto t0 = clock::now();
  out.reserve(n);
  tbb::task_group tg;
  for (uint64_t i = 0; i < n; ++i)
    tg.run([i, &mtx, &out] {
      auto value = trivial(i);
      std::lock_guard<std::mutex> guard{mtx};
      out.push_back(value);
    });
  tg.wait();
  auto secs = seconds_since(t0);
  if (out.size() != n)
    throw std::runtime_error("tbb trivial_collect: lost values");
  return secs;
}

void tbb_fanout_request(std::size_t tasks, std::chrono::microseconds task_wait) {
  std::atomic<int64_t> sum{0};
  std::stop_source stop;  // a request's cancellation; nothing here cancels it
  tbb::task_group tg;
  for (std::size_t k = 0; k < tasks; ++k)
    tg.run([&sum, &stop, k, task_wait] {
      if (task_wait.count() > 0) {
        std::mutex mtx;
        std::condition_variable_any cv;
        std::unique_lock<std::mutex> lock{mtx};
        cv.wait_for(lock, stop.get_token(), task_wait, [] { return false; });
      }
      sum.fetch_add(static_cast<int64_t>(k), std::memory_order_relaxed);
    });
  tg.wait();
  auto expected = static_cast<int64_t>(tasks * (tasks - 1) / 2);
  if (sum.load() != expected)
    throw std::runtime_error("tbb request_fanout: sum " + std::to_string(sum.load())
                             + ", expected " + std::to_string(expected));
}

double tbb_group_overhead(std::size_t iterations) {
  auto t0 = clock::now();
  for (std::size_t k = 0; k < iterations; ++k) {
    tbb::task_group tg;
    tg.run([k] {
      volatile int32_t x = trivial(k);
      (void) x;
    });
    tg.wait();
  }
  return seconds_since(t0) * 1e9 / static_cast<double>(iterations);
}

#else

bool have_tbb() {
  return false;
}

double tbb_trivial_collect(std::size_t) {
  throw std::logic_error("built without oneTBB");
}

void tbb_fanout_request(std::size_t, std::chrono::microseconds) {
  throw std::logic_error("built without oneTBB");
}

double tbb_group_overhead(std::size_t) {
  throw std::logic_error("built without oneTBB");
}

#endif

} // namespace bench
