// Which actors a group spawns, and when: none until it needs one.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <stdexcept>
#include <string>
#include <vector>

#include "service_actor.hpp"
#include "test_support.hpp"

using namespace parallel;
using namespace std::chrono_literals;

namespace {

// Actors the system counts as running (the supervisor, reducers and a
// requester while a group uses it are; workers, idle requesters in the
// system's pool and sentinels are hidden).
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
  CHECK(started.value() == 1); // the queued task FAILs the case if it runs
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

TEST_CASE_METHOD(test::system_fixture, "a wrapper of go_requests needs one actor: its requester is its reducer") {
  test::counter held;
  auto svc = test::spawn_service(sys, 1ms, &held);
  auto before = running(sys);
  std::promise<std::size_t> during;
  std::promise<std::string> outcome;
  {
    collect<int> col{limited(sys, {}, 4)};
    col.go_request(svc, caf::infinite, test::hold_atom::value);
    held.wait_for(1); // the request is out: its requester is bound
    CHECK(running(sys) == before + 1);
    // An await needs the wrapper's reducer: the requester is it, so no
    // second actor appears.
    // (An unused argument: CAF 0.17 trips UBSan on argument-less lambdas.)
    sys.spawn(
      [&, col](caf::event_based_actor* self, int) mutable {
        col.await(self, [&](expected<std::vector<int>> r) {
          outcome.set_value(r ? std::string{"values"} : message(r.error()));
        });
        during.set_value(running(sys));
      },
      0);
    CHECK(during.get_future().get() == before + 1 + 1); // + the awaiting actor
    caf::anon_send_exit(svc, caf::exit_reason::user_shutdown); // fails the request
    CHECK_THAT(outcome.get_future().get(), Catch::Contains("down")
                                             || Catch::Contains("receiver"));
  }
  quiesce();
}

TEST_CASE_METHOD(test::system_fixture, "feed of go_requests: its requester consumes replies in order, one at a time") {
  auto svc = test::spawn_service(sys, 0ms);
  std::vector<int> seen;
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  {
    feed<int> f{limited(sys, {}, 1), [&](const context&, int x) {
                  if (inside.fetch_add(1) != 0)
                    overlapped = true;
                  seen.push_back(x);
                  inside.fetch_sub(1);
                }};
    // One request at a time, so replies (i * 10 > 0) come back in submission
    // order. Closures in between (-i < 0) push from other threads to the same
    // reducer, by message, while the requester consumes replies itself.
    for (int i = 1; i <= 50; ++i) {
      f.go_request(svc, caf::infinite, i);
      if (i % 10 == 0)
        f.go([i](const context&) { return -i; });
    }
    CHECK(!f.wait());
  }
  CHECK(!overlapped);
  std::vector<int> replies;
  int closures = 0;
  for (auto x : seen)
    if (x > 0)
      replies.push_back(x);
    else
      closures += -x;
  std::vector<int> expected;
  for (int i = 1; i <= 50; ++i)
    expected.push_back(i * 10);
  CHECK(replies == expected);
  CHECK(closures == 10 + 20 + 30 + 40 + 50);
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(test::system_fixture, "a receiver that throws on a reply is the group's panic") {
  auto svc = test::spawn_service(sys, 0ms);
  {
    feed<int> f{limited(sys, {}, 2), [](const context&, int x) {
                  if (x == 30)
                    throw std::runtime_error{"receiver refuses 30"};
                }};
    // The reply to 3 may come back before the last go_request, which then
    // rethrows the panic itself; either way the same exception surfaces.
    auto submit_and_wait = [&] {
      for (int i = 1; i <= 5; ++i)
        f.go_request(svc, caf::infinite, i);
      f.wait();
    };
    CHECK_THROWS_WITH(submit_and_wait(), Catch::Contains("receiver refuses 30"));
  }
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(test::system_fixture, "two wrappers on one executor: each gets its own replies") {
  // Neither is the group's only wrapper, so requesters send them their
  // replies, holding a burst's results back for one message: the group may
  // finish before that message leaves, and neither receiver may be dropped.
  auto svc = test::spawn_service(sys, 0ms);
  for (int round = 0; round < 20; ++round) {
    std::vector<int> got_a;
    std::vector<int> got_b;
    {
      auto ex = limited(sys, {}, 3);
      feed<int> a{ex, [&](const context&, int x) { got_a.push_back(x); }};
      feed<int> b{ex, [&](const context&, int x) { got_b.push_back(x); }};
      // Few requests: a wrapper's results may all be held back when the
      // group finishes.
      for (int i = 0; i < round % 3 + 1; ++i) {
        a.go_request(svc, caf::infinite, i);
        b.go_request(svc, caf::infinite, 100 + i);
      }
      CHECK(!a.wait());
      CHECK(!b.wait());
    }
    std::sort(got_a.begin(), got_a.end());
    std::sort(got_b.begin(), got_b.end());
    std::vector<int> want_a;
    std::vector<int> want_b;
    for (int i = 0; i < round % 3 + 1; ++i) {
      want_a.push_back(i * 10);
      want_b.push_back((100 + i) * 10);
    }
    REQUIRE(got_a == want_a);
    REQUIRE(got_b == want_b);
  }
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(test::system_fixture, "await_all_actors_done waits for a requester still dropping a receiver") {
  // The feed's requester is its reducer; it answers the await, then drops
  // the receiver. A pooled requester counts as running while it is bound,
  // so await_all_actors_done waits for that drop too.
  auto svc = test::spawn_service(sys, 0ms);
  test::counter entered;
  test::gate release;
  test::counter dropped;
  struct on_drop {
    test::counter* entered;
    test::gate* release;
    test::counter* dropped;
    ~on_drop() {
      entered->add();
      release->wait(); // the requester's thread holds here
      dropped->add();
    }
  };
  std::promise<bool> answered;
  {
    auto receiver_state = std::make_shared<on_drop>(&entered, &release, &dropped);
    sys.spawn(
      [&, receiver_state](caf::event_based_actor* self, int) mutable {
        feed<int> f{limited(sys, {}, 2), [receiver_state](const context&, int) {}};
        receiver_state.reset();
        f.go_request(svc, caf::infinite, 1);
        f.await(self, [&, self](error e) {
          answered.set_value(!e);
          self->quit();
        });
      },
      0);
  }
  CHECK(answered.get_future().get());
  caf::anon_send_exit(svc, caf::exit_reason::user_shutdown);
  entered.wait_for(1); // the receiver is being dropped, and held there
  auto all_done = std::async(std::launch::async, [&] {
    quiesce();
    return dropped.value();
  });
  // Held, so await_all_actors_done cannot return yet: a requester that did
  // not count as running would let it return at once.
  CHECK(all_done.wait_for(100ms) == std::future_status::timeout);
  release.open();
  CHECK(all_done.get() == 1);
}
