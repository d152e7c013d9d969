// The system's worker pool: groups borrow threads, request tasks need none,
// and many small groups (one per request) keep threads and memory bounded.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <latch>
#include <mutex>
#include <set>
#include <thread>

#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

#include "service_actor.hpp"
#include "test_support.hpp"

using namespace parallel;
using namespace std::chrono_literals;

TEST_CASE_METHOD(test::system_fixture, "groups of go_requests start no thread") {
  auto svc = test::spawn_service(sys, 1ms);
  auto threads_before = test::thread_count();
  for (int i = 0; i < 1000; ++i) {
    // limited groups used to start worker threads for requests queued before
    // their first requester existed.
    auto ex = i % 2 == 0 ? parallel::limited(sys, {}, 20) : parallel::unlimited(sys);
    collect<int> g{ex};
    for (int k = 0; k < 5; ++k)
      g.go_request(svc, caf::infinite, k);
    auto r = g.wait();
    REQUIRE(r);
    REQUIRE(*r == std::vector<int>{0, 10, 20, 30, 40});
  }
  CHECK(test::thread_count() <= threads_before);
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(test::system_fixture, "groups of go_requests share the system's requesters") {
  // A service that notes who asks: the requester actors of the groups.
  // (By id: ids are never reused, addresses of dead actors may be.)
  auto senders = std::make_shared<std::set<caf::actor_id>>();
  // (An unused argument: CAF 0.17 trips UBSan on argument-less lambdas.)
  auto svc = sys.spawn(
    [senders](caf::event_based_actor* self, int) -> caf::behavior {
      return {[self, senders](int x) {
        senders->insert(self->current_sender()->id());
        return x;
      }};
    },
    0);
  for (int i = 0; i < 500; ++i) {
    collect<int> g{parallel::limited(sys, {}, 4)};
    for (int k = 0; k < 3; ++k)
      g.go_request(svc, caf::infinite, k);
    REQUIRE(g.wait() == std::vector<int>{0, 1, 2});
  }
  // Every insert happened before its reply, so before wait() returned.
  // One group at a time: each borrows an idle requester (the one before
  // may still be on its way back, hence not exactly one), where a requester
  // per group would make 500.
  CHECK(senders->size() >= 1);
  CHECK(senders->size() <= 4);
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(test::system_fixture, "creating a group starts no thread, and groups share the pool's workers") {
  auto threads_before = test::thread_count();
  {
    std::vector<executor> groups;
    for (int i = 0; i < 200; ++i)
      groups.push_back(parallel::limited(sys, {}, 4));
    CHECK(test::thread_count() == threads_before);
  }
  // One group after another, each with blocking tasks under bound 4: the
  // second and later ones reuse the first one's worker threads.
  std::mutex mtx;
  std::set<pid_t> tids; // kernel thread ids are not reused soon
  for (int round = 0; round < 50; ++round) {
    auto ex = parallel::limited(sys, {}, 4);
    test::counter started;
    test::gate gate;
    for (int k = 0; k < 4; ++k)
      ex.go([&](const context&) {
        {
          std::lock_guard<std::mutex> guard{mtx};
          tids.insert(static_cast<pid_t>(::syscall(SYS_gettid)));
        }
        started.add();
        gate.wait();
      });
    started.wait_for(4); // four tasks run at once: four threads
    gate.open();
    ex.wait();
  }
  // Four at once, plus a few more when a round starts before the last
  // round's workers are back in the pool: nowhere near 4 per group.
  CHECK(tids.size() <= 12);
}

TEST_CASE_METHOD(test::system_fixture, "idle workers retire: a quiet process gives its threads back") {
  auto threads_before = test::thread_count();
  {
    // Eight tasks that wait for each other: the group holds seven pool
    // workers (the eighth task runs on the thread in wait()).
    auto ex = parallel::limited(sys, {}, 8);
    std::latch all_running{8};
    for (int i = 0; i < 8; ++i)
      ex.go([&](const context&) { all_running.arrive_and_wait(); });
    ex.wait();
  }
  REQUIRE(test::thread_count() >= threads_before + 7);
  // The reaper retires workers idle for 2 s (worker_pool::idle_timeout);
  // the reaper's own thread stays while the system lives. Polled, not
  // slept: the test ends as soon as the threads are gone, and ctest's
  // timeout fails it if they never go.
  while (test::thread_count() > threads_before + 1)
    std::this_thread::sleep_for(10ms);
  CHECK(test::thread_count() <= threads_before + 1);
}

TEST_CASE("100,000 groups from 4 threads, half waited and half abandoned") {
  std::atomic<long> peak_threads{0};
  long rss_early = 0;
  long rss_late = 0;
  long threads_before = 0;
  {
    caf::actor_system_config cfg;
    caf::actor_system sys{cfg};
    threads_before = test::thread_count();
    constexpr int callers = 4;
    constexpr int per_caller = 25000;
    std::atomic<int> done_groups{0};
    std::atomic<long> wrong{0};
    auto caller = [&](int c) {
      for (int i = 0; i < per_caller; ++i) {
        int tasks = 1 + (i + c) % 10;
        auto ex = (i % 3 == 0) ? parallel::unlimited(sys)
                               : parallel::limited(sys, {}, 1 + i % 8);
        if (i % 2 == 0) {
          collect<int> g{ex};
          for (int k = 0; k < tasks; ++k)
            g.go([k](const context&) { return k; });
          auto r = g.wait();
          if (!r || static_cast<int>(r->size()) != tasks || r->back() != tasks - 1)
            ++wrong;
        } else {
          err_group g{ex};
          for (int k = 0; k < tasks; ++k)
            g.go([](const context&) -> error { return {}; });
          // abandoned: the handles die here, without wait()
        }
        auto n = ++done_groups;
        if (c == 0 && i % 500 == 0) {
          auto t = test::thread_count();
          auto p = peak_threads.load();
          while (t > p && !peak_threads.compare_exchange_weak(p, t)) {
          }
        }
        if (n == callers * per_caller / 5)
          rss_early = test::proc_status("VmRSS:");
      }
    };
    std::vector<std::thread> threads;
    for (int c = 0; c < callers; ++c)
      threads.emplace_back(caller, c);
    for (auto& t : threads)
      t.join();
    rss_late = test::proc_status("VmRSS:");
    CHECK(wrong == 0);
    CHECK(done_groups == callers * per_caller);
  } // ~actor_system returns: no group leaked an actor or a thread
  INFO("threads before " << threads_before << ", peak " << peak_threads.load()
                         << "; RSS " << rss_early << " KiB at 20%, "
                         << rss_late << " KiB at the end");
  // Every caller's bound at once (8), twice over for workers still on their
  // way back to the pool when the next group starts, plus an unlimited
  // group's first workers: bounded by the callers, not by the 100,000 groups.
  CHECK(peak_threads - threads_before <= 4 * 8 * 2 + 32);
  // Groups are freed as they finish: 80,000 more groups add little memory.
  // (Not under AddressSanitizer: it keeps freed memory in a quarantine of
  // 256 MiB; LeakSanitizer checks for leaks there instead.)
#if !defined(__SANITIZE_ADDRESS__)
  CHECK(rss_late - rss_early < 64 * 1024);
#endif
}
