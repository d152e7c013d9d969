// executors.cpp: the three bare executors, and what their bound means.
//
//   unlimited(sys)        no cap: here 8 tasks wait for each other and finish,
//                         because every one of them runs at the same time.
//   limited(sys, ctx, 3)  never more than 3 tasks at once, however many are sent.
//   limited(sys, ctx, 0)  the serial executor: go() runs the task right away,
//                         on the caller's thread, so tasks run in order.
// In every case wait() returns only once every submitted task has finished.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <latch>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "parallel/parallel.hpp"

using namespace std::chrono_literals;

int main() {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  int failures = 0;
  auto check = [&](bool ok, const char* claim) {
    std::printf("%-58s %s\n", claim, ok ? "ok" : "FAILED");
    failures += ok ? 0 : 1;
  };

  { // unlimited: every task gets to run, so tasks that wait for each other
    // cannot deadlock (under limited(sys, {}, 4) these 8 would hang forever).
    auto group = parallel::unlimited(sys);
    std::latch all_running{8};
    for (int i = 0; i < 8; ++i)
      group.go([&](const parallel::context&) { all_running.arrive_and_wait(); });
    group.wait();
    check(group.stats().succeeded == 8, "unlimited: 8 tasks that wait for each other finished");
  }

  { // limited: count how many tasks run at the same moment.
    auto group = parallel::limited(sys, {}, 3);
    std::atomic<int> running{0}, peak{0}, done{0};
    for (int i = 0; i < 30; ++i)
      group.go([&](const parallel::context& ctx) {
        int now = ++running;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {}
        ctx.sleep_for(2ms);
        --running;
        ++done;
      });
    group.wait();
    std::printf("limited(3): peak in flight %d\n", peak.load());
    check(peak <= 3 && group.stats().peak_in_flight <= 3, "limited(3): never more than 3 tasks at once");
    check(done == 30, "limited(3): wait() returned after all 30 tasks");
  }

  { // serial: go() itself runs the task, on this thread, before returning.
    auto group = parallel::limited(sys, {}, 0);
    const auto caller = std::this_thread::get_id();
    std::vector<int> order; // no lock needed: everything runs on this thread
    bool inline_and_here = true;
    for (int i = 0; i < 5; ++i) {
      group.go([&, i](const parallel::context&) {
        inline_and_here = inline_and_here && std::this_thread::get_id() == caller;
        order.push_back(i);
      });
      inline_and_here = inline_and_here && order.size() == std::size_t(i + 1);
    }
    group.wait();
    check(inline_and_here, "serial: each task ran inside go(), on the caller's thread");
    check(std::is_sorted(order.begin(), order.end()), "serial: tasks ran in submission order");
  }
  return failures == 0 ? 0 : 1;
}
