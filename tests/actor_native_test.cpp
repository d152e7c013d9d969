// Actor-native groups: go_request, await, nesting, stats (spec 2).
#include <catch2/catch.hpp>

#include <fstream>
#include <future>
#include <stdexcept>
#include <thread>

#include "service_actor.hpp"
#include "test_support.hpp"

using namespace parallel;
using namespace std::chrono_literals;

namespace {

using ping_atom = caf::atom_constant<caf::atom("tping")>;


} // namespace

TEST_CASE_METHOD(test::system_fixture, "go_request: replies become values, in submission order") {
  auto svc = test::spawn_service(sys, 5ms);
  {
    collect<int> g{parallel::limited(sys, {}, 8)};
    for (int i = 0; i < 100; ++i)
      g.go_request(svc, caf::infinite, i);
    auto r = g.wait();
    REQUIRE(r);
    REQUIRE(r->size() == 100);
    for (int i = 0; i < 100; ++i)
      CHECK((*r)[i] == i * 10);
    CHECK(g.stats().peak_in_flight == 8); // the bound holds for requests too
  }
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(test::system_fixture, "go_request: error replies, wrong types and timeouts are task errors") {
  auto svc = test::spawn_service(sys, 1ms);
  {
    collect_with_errs<int> g{parallel::unlimited(sys)};
    g.go_request(svc, caf::infinite, 1);
    g.go_request(svc, caf::infinite, std::string{"that"});
    g.go_request(svc, caf::infinite, test::wrong_atom::value);
    g.go_request(svc, 20ms, test::hold_atom::value);
    auto r = g.wait();
    CHECK(r.values == std::vector<int>{10});
    REQUIRE(r.errors.size() == 3);
    CHECK(message(r.errors.errors()[0]) == "service refuses that");
    CHECK(message(r.errors.errors()[1])
          == "go_request: expected a reply of type int, got (std::string)");
    CHECK(r.errors.errors()[2] == caf::sec::request_timeout);
    auto st = g.stats();
    CHECK(st.succeeded == 1);
    CHECK(st.failed == 3);
  }
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(test::system_fixture, "go_request: a destination that dies fails its tasks at once") {
  test::counter held;
  auto svc = test::spawn_service(sys, 1ms, &held);
  gather_errs g{parallel::unlimited(sys)};
  for (int i = 0; i < 10; ++i)
    g.go_request(svc, caf::infinite, test::hold_atom::value); // never answered
  held.wait_for(10); // kill the service once it holds all ten
  caf::anon_send_exit(svc, caf::exit_reason::kill);
  auto errs = g.wait();
  REQUIRE(errs.size() == 10);
  for (auto& e : errs.errors())
    CHECK(e == caf::sec::request_receiver_down);
}

TEST_CASE_METHOD(test::system_fixture, "go_request: cancelling the group stops waiting for replies") {
  test::counter held;
  auto svc = test::spawn_service(sys, 1ms, &held);
  {
    auto [parent, cancel] = with_cancel(context::background());
    err_group g{parallel::limited(sys, parent, 4)};
    for (int i = 0; i < 20; ++i)
      g.go_request(svc, caf::infinite, test::hold_atom::value);
    held.wait_for(4); // four requests are out, sixteen queued
    cancel(make_error("user left"));
    CHECK(message(g.wait()) == "user left");
    auto st = g.stats();
    CHECK(st.failed == 4);   // were waiting for a reply
    CHECK(st.skipped == 16); // never sent
    CHECK(st.running == 0);
  }
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(test::system_fixture, "go_request on the executor and on the serial executor") {
  auto svc = test::spawn_service(sys, 1ms);
  {
    auto ex = parallel::unlimited(sys);
    ex.go_request(svc, 10s, 1);
    ex.go_request(svc, 10s, std::string{"x"});
    ex.wait();
    CHECK(ex.stats().succeeded == 1);
    CHECK(ex.stats().failed == 1);
    collect<int> serial{parallel::limited(sys, {}, 0)};
    serial.go_request(svc, 10s, 4);
    serial.go_request(svc, 10s, 5);
    auto r = serial.wait();
    REQUIRE(r);
    CHECK(*r == std::vector<int>{40, 50});
    CHECK(serial.stats().peak_in_flight == 1);
  }
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(test::system_fixture, "serial go_request holds no thread: one request at a time, in order") {
  test::counter held;
  auto holder = test::spawn_service(sys, 1ms, &held);
  auto svc = test::spawn_service(sys, 1ms);
  {
    collect_with_errs<int> serial{parallel::limited(sys, {}, 0)};
    serial.go_request(holder, caf::infinite, test::hold_atom::value); // never answered
    serial.go_request(svc, 10s, 5);  // waits behind it; go_request returned
    held.wait_for(1);
    CHECK(serial.stats().running == 1);
    // A closure waits for the requests before it (on its caller's thread).
    std::atomic<bool> closure_ran{false};
    std::thread caller{[&] {
      serial.go([&](const context&) {
        closure_ran = true;
        return 7;
      });
    }};
    while (serial.stats().submitted < 3) // the closure is waiting in go()
      std::this_thread::yield();
    // wait() on this thread must wait for that closure too.
    std::atomic<bool> ran_before_wait_returned{false};
    std::thread waiter{[&] {
      static_cast<void>(serial.wait());
      ran_before_wait_returned = closure_ran.load();
    }};
    CHECK_FALSE(closure_ran); // the held request is still pending
    caf::anon_send_exit(holder, caf::exit_reason::kill); // the held one fails
    caller.join();
    waiter.join();
    CHECK(ran_before_wait_returned);
    auto r = serial.wait();
    CHECK(r.values == std::vector<int>{50, 7});
    CHECK(r.errors.size() == 1);
    CHECK(serial.stats().peak_in_flight == 1);
  }
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
}

TEST_CASE("serial go_request from actors never blocks the scheduler") {
  // One scheduler thread and several actors each sending a serial request:
  // a request that blocked its caller would leave no thread to send it.
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 1);
  caf::actor_system sys{cfg};
  auto svc = test::spawn_service(sys, 1ms);
  constexpr int actors = 4;
  test::counter done;
  test::counter right;
  for (int i = 0; i < actors; ++i)
    sys.spawn(
      [&](caf::event_based_actor* self, int x) {
        collect<int> g{parallel::limited(sys, {}, 0)};
        g.go_request(svc, 10s, x);
        g.await(self, [&, x](expected<std::vector<int>> r) {
          if (r && *r == std::vector<int>{x * 10})
            right.add();
          done.add();
        });
      },
      i);
  done.wait_for(actors); // a blocked scheduler never gets here (ctest's timeout)
  CHECK(right.value() == actors);
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(test::system_fixture, "100,000 concurrent go_requests need no thread per request") {
  auto svc = test::spawn_service(sys, 10ms);
  auto threads_before = test::thread_count();
  {
    collect<int> g{parallel::unlimited(sys)};
    for (int i = 0; i < 100000; ++i)
      g.go_request(svc, caf::infinite, i);
    auto r = g.wait();
    REQUIRE(r);
    CHECK(r->size() == 100000);
    CHECK((*r)[99999] == 999990);
    CHECK(g.stats().succeeded == 100000);
    CHECK(test::thread_count() - threads_before < 8); // no worker per request
  }
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(test::system_fixture, "await: the result arrives inside the actor, which keeps serving") {
  test::gate release;
  std::promise<std::vector<int>> result;
  auto fut = result.get_future();
  auto actor = sys.spawn(
    [&](caf::event_based_actor* self, int n) -> caf::behavior {
      collect<int> g{parallel::limited(sys, {}, 2)};
      for (int i = 0; i < n; ++i)
        g.go([&, i](const context&) {
          release.wait();
          return i;
        });
      g.await(self, [&](expected<std::vector<int>> r) { result.set_value(*r); });
      return {[](ping_atom) { return 1; }};
    },
    5);
  caf::scoped_actor self{sys};
  int pong = 0;
  self->request(actor, 30s, ping_atom::value).receive([&](int x) { pong = x; }, [](caf::error&) {});
  CHECK(pong == 1); // answered while the tasks were still blocked
  release.open();
  CHECK(fut.get() == std::vector<int>{0, 1, 2, 3, 4});
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(test::system_fixture, "await on every handle kind delivers what wait would return") {
  std::promise<std::string> out;
  auto fut = out.get_future();
  sys.spawn(
    [&](caf::event_based_actor* self, int) {
      auto ex = parallel::unlimited(sys);
      auto errs = gather_errs{ex};
      errs.go([](const context&) { return make_error("e1"); });
      errs.await(self, [&, self, ex](multi_error m) mutable {
        // A second level: the executor's own await after the wrapper's.
        ex.await(self, [&, m] { out.set_value(m.message()); });
      });
    },
    0);
  CHECK(fut.get() == "e1");
}

TEST_CASE_METHOD(test::system_fixture, "await before any result, after the end, and twice: each is answered once") {
  // An err_group whose tasks succeed has no reducer until an await needs
  // one; an await after the reduction completed (its reducer quits then)
  // is answered at once; two awaits on one wrapper both are.
  test::gate release;
  test::gate awaiting;
  std::promise<std::vector<std::string>> out;
  auto fut = out.get_future();
  sys.spawn(
    [&](caf::event_based_actor* self, int) {
      err_group g{parallel::limited(sys, {}, 2)};
      for (int i = 0; i < 4; ++i)
        g.go([&](const context&) -> error {
          release.wait();
          return {};
        });
      auto seen = std::make_shared<std::vector<std::string>>();
      auto record = [&, seen, self, g](std::string what) mutable {
        seen->push_back(std::move(what));
        if (seen->size() == 2) {
          // Both are in: one more, now that everything is over.
          g.await(self, [&, seen](error e) {
            seen->push_back(e ? message(e) : "late ok");
            out.set_value(*seen);
          });
        }
      };
      g.await(self, [record](error e) mutable { record(e ? message(e) : "first ok"); });
      g.await(self, [record](error e) mutable { record(e ? message(e) : "second ok"); });
      awaiting.open();
    },
    0);
  awaiting.wait(); // both awaits are in before any task can end
  release.open();
  CHECK(fut.get() == std::vector<std::string>{"first ok", "second ok", "late ok"});
  quiesce();
}

TEST_CASE_METHOD(test::system_fixture, "await rethrows a task's exception inside the actor") {
  std::promise<std::string> caught;
  auto fut = caught.get_future();
  sys.spawn(
    [&](caf::event_based_actor* self, int) {
      self->set_exception_handler([&](std::exception_ptr& p) -> caf::error {
        try {
          std::rethrow_exception(p);
        } catch (const std::out_of_range& e) {
          caught.set_value(std::string{"out_of_range: "} + e.what());
        } catch (...) {
          caught.set_value("other");
        }
        return caf::exit_reason::user_shutdown;
      });
      err_group g{parallel::unlimited(sys)};
      g.go([](const context&) -> error { throw std::out_of_range("idx"); });
      g.await(self, [&](error) { caught.set_value("no exception"); });
    },
    0);
  CHECK(fut.get() == "out_of_range: idx");
}

TEST_CASE_METHOD(test::system_fixture, "await from an actor that dies first delivers nothing and leaks nothing") {
  test::gate release;
  std::atomic<bool> delivered{false};
  test::gate awaiting;
  auto actor = sys.spawn(
    [&](caf::event_based_actor* self, int) -> caf::behavior {
      collect<int> g{parallel::limited(sys, {}, 1)};
      g.go([&](const context&) {
        release.wait();
        return 1;
      });
      g.await(self, [&](expected<std::vector<int>>) { delivered = true; });
      awaiting.open();
      return {[](ping_atom) {}};
    },
    0);
  awaiting.wait();
  caf::anon_send_exit(actor, caf::exit_reason::kill);
  actor = nullptr;
  release.open();
  quiesce(); // the group and every actor of it end
  CHECK_FALSE(delivered);
}

TEST_CASE_METHOD(test::system_fixture, "stats are exact under mixed outcomes") {
  auto [parent, cancel] = with_cancel(context::background());
  auto ex = parallel::limited(sys, parent, 3);
  gather_errs g{ex};
  for (int i = 0; i < 10; ++i)
    g.go([](const context&) -> error { return {}; });
  for (int i = 0; i < 4; ++i)
    g.go([](const context&) { return make_error("no"); });
  std::atomic<int> throws{0};
  // A panic makes every later go() rethrow it, so the throwing tasks hold
  // back until all sixteen are submitted.
  test::gate all_submitted;
  for (int i = 0; i < 2; ++i)
    g.go([&](const context&) -> error {
      all_submitted.wait();
      ++throws;
      throw std::runtime_error("x");
    });
  all_submitted.open();
  CHECK_THROWS_AS(g.wait(), std::runtime_error);
  auto st = g.stats();
  CHECK(st.submitted == 16);
  CHECK(st.running == 0);
  CHECK(st.panicked == static_cast<std::size_t>(throws.load()));
  CHECK(st.panicked >= 1);
  CHECK(st.succeeded + st.failed + st.panicked + st.skipped == 16);
  CHECK(st.peak_in_flight <= 3);
}

TEST_CASE_METHOD(test::system_fixture, "nested groups: cancelling the root reaches three levels, failures travel only by return") {
  auto [root, cancel] = with_cancel(context::background());
  test::counter leaves_running;
  std::atomic<int> leaves_saw_cause{0};
  err_group top{parallel::unlimited(sys, root)};
  for (int i = 0; i < 2; ++i)
    top.go([&](const context& ctx) {
      err_group mid{parallel::limited(sys, ctx, 2)};
      for (int j = 0; j < 2; ++j)
        mid.go([&](const context& ctx2) {
          err_group leaf{parallel::limited(sys, ctx2, 2)};
          for (int k = 0; k < 2; ++k)
            leaf.go([&](const context& ctx3) -> error {
              leaves_running.add();
              ctx3.sleep_for(std::chrono::hours(1));
              if (message(ctx3.cause()) == "shutdown")
                ++leaves_saw_cause;
              return ctx3.cause();
            });
          return leaf.wait();
        });
      return mid.wait();
    });
  leaves_running.wait_for(8);
  cancel(make_error("shutdown"));
  CHECK(message(top.wait()) == "shutdown");
  CHECK(leaves_saw_cause == 8);

  // A child's failure does not cancel the parent by itself.
  auto parent = parallel::unlimited(sys);
  std::atomic<bool> parent_cancelled_inside{true};
  parent.go([&](const context& ctx) {
    err_group child{parallel::unlimited(sys, ctx)};
    child.go([](const context&) { return make_error("child failed"); });
    auto e = child.wait();
    parent_cancelled_inside = ctx.cancelled();
    CHECK(message(e) == "child failed");
  });
  parent.wait();
  CHECK_FALSE(parent_cancelled_inside);
}
