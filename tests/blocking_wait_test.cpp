// A blocking wait() where it would deadlock throws misuse_error at once,
// saying what to use instead (SPEC 1.1).
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "service_actor.hpp"
#include "test_support.hpp"

using namespace parallel;
using namespace std::chrono_literals;

namespace {

bool says(const std::string& what, const char* part) {
  return what.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("wait() inside an actor's handler throws misuse_error, even with one scheduler thread") {
  // With one scheduler thread, a handler blocked in wait() would leave no
  // thread to deliver the service's reply: the whole system would stop.
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 1);
  caf::actor_system sys{cfg};
  auto svc = test::spawn_service(sys, 1ms);
  std::string what;
  test::counter done;
  // (One argument: CAF 0.17 trips UBSan spawning a function-based actor
  // with none.)
  sys.spawn(
    [&](caf::event_based_actor* self, int x) {
    collect<int> g{parallel::limited(sys, {}, 2)};
    g.go_request(svc, 10s, x);
    try {
      g.wait();
    } catch (const misuse_error& e) {
      what = e.what();
    }
    g.await(self, [&](expected<std::vector<int>> r) {
      if (r && *r == std::vector<int>{40})
        done.add();
    });
    },
    4);
  done.wait_for(1);
  CHECK(says(what, "parallel executor misuse: "));
  CHECK(says(what, "await"));
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(test::system_fixture, "wait() inside a task of the same group throws misuse_error") {
  for (auto k : {test::kind::unlimited, test::kind::limited, test::kind::serial}) {
    SECTION(test::name(k)) {
      auto ex = std::make_shared<executor>(test::make(sys, k));
      test::gate gate;
      ex->go([ex, &gate](const context&) {
        gate.open();
        ex->wait(); // would wait for itself forever
      });
      gate.wait();
      std::string what;
      try {
        ex->wait();
      } catch (const misuse_error& e) {
        what = e.what();
      }
      CHECK(says(what, "child group"));
      ex.reset(); // the task's copy is gone with the task
    }
  }
}

TEST_CASE_METHOD(test::system_fixture, "wait() inside a receiver throws misuse_error") {
  auto f = std::make_shared<std::unique_ptr<feed<int>>>();
  std::string what;
  *f = std::make_unique<feed<int>>(parallel::limited(sys, {}, 2),
                                   [f, &what](const context&, int) {
                                     try {
                                       (*f)->wait();
                                     } catch (const misuse_error& e) {
                                       what = e.what();
                                     }
                                   });
  (*f)->go([](const context&) { return 1; });
  CHECK(!(*f)->wait()); // the receiver has seen the value by now
  CHECK(says(what, "await"));
  f->reset();
}

TEST_CASE_METHOD(test::system_fixture, "a task may wait for its own child group") {
  auto ex = parallel::limited(sys, {}, 2);
  std::atomic<int> sum{0};
  ex.go([&](const context& ctx) {
    auto child = parallel::limited(sys, ctx, 2);
    for (int i = 1; i <= 3; ++i)
      child.go([&, i](const context&) { sum += i; });
    child.wait(); // a different group: fine
  });
  ex.wait();
  CHECK(sum == 6);
}
