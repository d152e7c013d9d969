// Which actors a group spawns, and when: none until it needs one.
#include <catch2/catch.hpp>

#include "service_actor.hpp"
#include "test_support.hpp"

using namespace parallel;
using namespace std::chrono_literals;

namespace {

// Actors the system counts as running (the supervisor, reducers and
// requesters are; workers and sentinels are hidden).
std::size_t running(caf::actor_system& sys) {
  return sys.registry().running();
}

} // namespace

TEST_CASE_METHOD(test::system_fixture, "a group spawns no actor unless it needs one") {
  auto before = running(sys);
  {
    // Creating and waiting a group needs no supervisor.
    auto empty = unlimited(sys);
    empty.wait();
    CHECK(running(sys) == before);
    // Nor does running tasks inline (serial), nor a successful err_group
    // (it has no reducer until a task fails or an await asks for one).
    err_group eg{limited(sys, {}, 0)};
    int sum = 0;
    for (int i = 1; i <= 10; ++i)
      eg.go([&sum, i](const context&) { sum += i; });
    CHECK(!eg.wait());
    CHECK(sum == 55);
    CHECK(running(sys) == before);
    // A collect's reducer exists once a result does.
    collect<int> col{limited(sys, {}, 0)};
    col.go([](const context&) { return 1; });
    CHECK(running(sys) == before + 1);
    CHECK(col.wait() == std::vector<int>{1});
  }
  quiesce(); // and every actor a group made is gone with its handles
}

TEST_CASE_METHOD(test::system_fixture, "the last handle gone cancels the group at once: no queued task starts") {
  test::gate release;
  test::counter started;
  test::counter cancelled;
  {
    auto ex = limited(sys, {}, 1);
    ex.go([&](const context& ctx) {
      started.add();
      release.wait();
      if (ctx.cancelled())
        cancelled.add();
    });
    ex.go([](const context&) { FAIL("a queued task of an abandoned group ran"); });
    started.wait_for(1);
  } // the last handle is gone while a task runs and another waits
  release.open();
  cancelled.wait_for(1);
  quiesce(); // its supervisor (it started the worker) quits once it is finished
}

TEST_CASE("a deadline that cancels a pending request lets ~actor_system return") {
  // The deadline fires on the library's timer thread. Spawning an actor
  // there would tie that thread to CAF's logger and hang ~actor_system.
  caf::actor_system_config cfg;
  auto sys = std::make_unique<caf::actor_system>(cfg);
  auto svc = test::spawn_service(*sys, 1ms);
  {
    auto [ctx, cancel] = with_timeout(context::background(), 20ms);
    collect_with_errs<int> g(unlimited(*sys, ctx));
    g.go_request(svc, caf::infinite, test::hold_atom::value);
    auto r = g.wait();
    REQUIRE(r.errors.size() >= 1);
    CHECK(is(r.errors.errors().front(), errc::deadline_exceeded));
  }
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
  sys.reset(); // hangs (ctest's timeout) if the timer thread holds the logger
}
