#include "caller_load.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace bench {

request_timing run_callers(std::size_t callers, std::size_t requests,
                           const std::function<request_fn(std::size_t)>& make_caller) {
  std::vector<std::vector<double>> latencies(callers);
  std::latch ready{static_cast<std::ptrdiff_t>(callers)};
  std::latch go{1};
  std::atomic<bool> failed{false};
  std::mutex error_mtx;
  std::exception_ptr first_error;
  auto fail = [&](std::exception_ptr e) {
    std::lock_guard<std::mutex> guard{error_mtx};
    if (!first_error)
      first_error = e;
    failed = true;
  };
  std::vector<std::thread> threads;
  threads.reserve(callers);
  for (std::size_t c = 0; c < callers; ++c)
    threads.emplace_back([&, c] {
      request_fn request;
      try {
        request = make_caller(c);
      } catch (...) {
        fail(std::current_exception());
      }
      auto& lat = latencies[c];
      lat.reserve(requests);
      ready.count_down();
      go.wait();
      // After a failure elsewhere the others stop early: the run is lost anyway.
      for (std::size_t r = 0; r < requests && request && !failed.load(); ++r) {
        auto t0 = clock::now();
        try {
          request();
        } catch (...) {
          fail(std::current_exception());
          break;
        }
        lat.push_back(std::chrono::duration<double, std::micro>(clock::now() - t0)
                        .count());
      }
    });
  ready.wait();
  auto t0 = clock::now();
  go.count_down();
  for (auto& t : threads)
    t.join();
  auto secs = seconds_since(t0);
  if (first_error)
    std::rethrow_exception(first_error);
  std::vector<double> all;
  all.reserve(callers * requests);
  for (auto& lat : latencies)
    all.insert(all.end(), lat.begin(), lat.end());
  std::sort(all.begin(), all.end());
  request_timing out;
  if (all.empty())
    return out;
  out.us_per_request = secs * 1e6 / static_cast<double>(all.size());
  out.p50_us = all[all.size() / 2];
  out.p99_us = all[all.size() * 99 / 100];
  return out;
}

} // namespace bench
