// The six wrappers (spec 1.4).
#include <catch2/catch.hpp>

#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

#include "test_support.hpp"

using namespace parallel;
using test::kind;

namespace {

const auto all_kinds = {kind::unlimited, kind::limited, kind::serial};

} // namespace

TEST_CASE_METHOD(test::system_fixture, "err_group: nothing, success, void tasks") {
  for (auto k : all_kinds) {
    SECTION(test::name(k)) {
      err_group none{test::make(sys, k)};
      CHECK_FALSE(none.wait());
      err_group g{test::make(sys, k)};
      std::atomic<int> ran{0};
      g.go([&](const context&) -> error {
        ++ran;
        return {};
      });
      g.go([&](const context&) { ++ran; }); // void is accepted too
      CHECK_FALSE(g.wait());
      CHECK(ran == 2);
    }
  }
}

TEST_CASE_METHOD(test::system_fixture, "err_group: the first error cancels the group and is returned") {
  for (auto k : all_kinds) {
    SECTION(test::name(k)) {
      auto ex = test::make(sys, k);
      err_group g{ex};
      g.go([](const context&) { return make_error("uh oh"); });
      std::atomic<int> later{0};
      for (int i = 0; i < 20; ++i)
        g.go([&](const context&) -> error {
          ++later;
          return {};
        });
      auto err = g.wait();
      CHECK(message(err) == "uh oh");
      CHECK(message(ex.group_context().cause()) == "uh oh");
      if (k == kind::serial)
        CHECK(later == 0); // inline: the group was already cancelled
      auto st = g.stats();
      CHECK(st.failed == 1);
      CHECK(st.submitted == 21);
      CHECK(st.succeeded + st.skipped == 20);
    }
  }
}

TEST_CASE_METHOD(test::system_fixture, "err_group: one of several errors is returned") {
  err_group g{parallel::unlimited(sys)};
  g.go([](const context&) { return make_error("uh oh"); });
  g.go([](const context&) { return make_error("bad foo"); });
  auto text = message(g.wait());
  CHECK((text == "uh oh" || text == "bad foo"));
}

TEST_CASE_METHOD(test::system_fixture, "err_group reports the parent's cause when nothing failed first") {
  auto [parent, cancel] = with_cancel(context::background());
  err_group g{parallel::limited(sys, parent, 2)};
  test::gate running;
  g.go([&](const context& ctx) -> error {
    running.open();
    ctx.sleep_for(std::chrono::hours(1));
    return {};
  });
  running.wait();
  cancel(make_error("request cancelled"));
  CHECK(message(g.wait()) == "request cancelled");
}

TEST_CASE_METHOD(test::system_fixture, "collect: values in submission order, plain T accepted") {
  for (auto k : all_kinds) {
    SECTION(test::name(k)) {
      collect<int> g{test::make(sys, k)};
      for (int i = 0; i < 500; ++i) {
        if (i % 2 == 0)
          g.go([i](const context&) -> expected<int> { return i; });
        else
          g.go([i](const context&) { return i; });
      }
      auto r = g.wait();
      REQUIRE(r);
      REQUIRE(r->size() == 500);
      for (int i = 0; i < 500; ++i)
        CHECK((*r)[i] == i);
      auto again = g.wait();
      REQUIRE(again);
      CHECK(*again == *r);
    }
  }
}

TEST_CASE_METHOD(test::system_fixture, "collect: the first error cancels and no values are returned") {
  for (auto k : all_kinds) {
    SECTION(test::name(k)) {
      collect<std::string> g{test::make(sys, k)};
      g.go([](const context&) { return std::string{"a"}; });
      g.go([](const context&) -> expected<std::string> { return make_error("oops"); });
      g.go([](const context&) { return std::string{"c"}; });
      auto r = g.wait();
      REQUIRE_FALSE(r);
      CHECK(message(r.error()) == "oops");
    }
  }
}

TEST_CASE_METHOD(test::system_fixture, "collect of nothing is an empty vector") {
  collect<int> g{parallel::unlimited(sys)};
  auto r = g.wait();
  REQUIRE(r);
  CHECK(r->empty());
}

TEST_CASE_METHOD(test::system_fixture, "feed: the receiver runs one value at a time and sees every value") {
  for (auto k : all_kinds) {
    SECTION(test::name(k)) {
      std::map<int, bool> result; // unguarded on purpose
      std::atomic<int> inside{0};
      std::atomic<bool> overlapped{false};
      feed<int> g{test::make(sys, k), [&](const context&, int n) -> error {
                    if (++inside > 1)
                      overlapped = true;
                    result[n] = true;
                    --inside;
                    return {};
                  }};
      for (int i = 0; i < 300; ++i)
        g.go([i](const context&) { return i; });
      CHECK_FALSE(g.wait());
      CHECK(result.size() == 300); // every value received when wait returns
      CHECK_FALSE(overlapped);
    }
  }
}

TEST_CASE_METHOD(test::system_fixture, "feed: a void receiver, and a receiver error stops the group") {
  std::vector<int> seen;
  feed<int> ok{parallel::limited(sys, {}, 3), [&](const context&, int n) { seen.push_back(n); }};
  ok.go([](const context&) { return 1; });
  CHECK_FALSE(ok.wait());
  CHECK(seen == std::vector<int>{1});

  auto ex = parallel::limited(sys, {}, 1);
  feed<int> bad{ex, [&](const context&, int n) -> error {
                  return n == 3 ? make_error("receiver says no") : error{};
                }};
  for (int i = 0; i < 5; ++i)
    bad.go([i](const context&) { return i; });
  CHECK(message(bad.wait()) == "receiver says no");
  CHECK(message(ex.group_context().cause()) == "receiver says no");
}

TEST_CASE_METHOD(test::system_fixture, "feed: a task error is returned and cancels") {
  feed<int> g{parallel::unlimited(sys), [](const context&, int) {}};
  g.go([](const context&) -> expected<int> { return make_error("oh no"); });
  CHECK(message(g.wait()) == "oh no");
}

TEST_CASE_METHOD(test::system_fixture, "gather_errs: every error collected, in order, flattened, and nothing stops") {
  for (auto k : all_kinds) {
    SECTION(test::name(k)) {
      auto ex = test::make(sys, k);
      gather_errs g{ex};
      std::atomic<int> ran{0};
      g.go([&](const context&) -> error {
        ++ran;
        return {};
      });
      g.go([](const context&) { return make_error("uh oh"); });
      g.go([](const context&) -> error {
        return make_multi_error({make_error("bad foo"), make_error("bad bar")});
      });
      g.go([&](const context&) { ++ran; });
      auto errs = g.wait();
      CHECK(ran == 2);
      CHECK(errs.size() == 3);
      CHECK(errs.message() == "uh oh\nbad foo\nbad bar");
      CHECK(message(errs.one()) == "uh oh");
      CHECK_FALSE(is(ex.group_context().cause(), errc::cancelled));
      CHECK(is(ex.group_context().cause(), errc::group_done));
    }
  }
}

TEST_CASE_METHOD(test::system_fixture, "gather_errs: errors come in submission order whatever finishes first") {
  gather_errs g{parallel::unlimited(sys)};
  test::gate last_done;
  g.go([&](const context&) {
    last_done.wait(); // finishes after the second task
    return make_error("first");
  });
  g.go([&](const context&) {
    struct opener {
      test::gate& g;
      ~opener() {
        g.open();
      }
    } o{last_done};
    return make_error("second");
  });
  CHECK(g.wait().message() == "first\nsecond");
}

TEST_CASE_METHOD(test::system_fixture, "multi-error wrappers put the parent's cause first") {
  auto [parent, cancel] = with_cancel(context::background());
  auto ex = parallel::limited(sys, parent, 1);
  gather_errs g{ex};
  test::gate running;
  g.go([&](const context& ctx) {
    running.open();
    ctx.sleep_for(std::chrono::hours(1));
    return make_error("task saw the cancel");
  });
  g.go([](const context&) -> error { return {}; }); // skipped
  running.wait();
  cancel(make_error("parent gone"));
  auto errs = g.wait();
  REQUIRE(errs.size() == 2);
  CHECK(message(errs.errors()[0]) == "parent gone");
  CHECK(message(errs.errors()[1]) == "task saw the cancel");
}

TEST_CASE_METHOD(test::system_fixture, "collect_with_errs: values of successes only, every error") {
  for (auto k : all_kinds) {
    SECTION(test::name(k)) {
      collect_with_errs<int> g{test::make(sys, k)};
      g.go([](const context&) -> expected<int> { return 1; });
      g.go([](const context&) -> expected<int> { return make_error("oops"); });
      g.go([](const context&) -> expected<int> { return make_error("bad foo"); });
      g.go([](const context&) { return 4; });
      auto r = g.wait();
      CHECK(r.values == std::vector<int>{1, 4});
      CHECK(r.errors.message() == "oops\nbad foo");
    }
  }
}

TEST_CASE_METHOD(test::system_fixture, "feed_with_errs: receiver gets successes, task and receiver errors collected") {
  for (auto k : all_kinds) {
    SECTION(test::name(k)) {
      std::map<int, bool> result;
      feed_with_errs<int> g{test::make(sys, k), [&](const context&, int n) -> error {
                              if (n == 5)
                                return make_error("receiver rejects 5");
                              result[n] = true;
                              return {};
                            }};
      g.go([](const context&) -> expected<int> { return 1; });
      g.go([](const context&) -> expected<int> { return make_error("oh no"); });
      g.go([](const context&) -> expected<int> { return make_error("bad bar"); });
      g.go([](const context&) -> expected<int> { return 5; });
      auto errs = g.wait();
      CHECK(result == std::map<int, bool>{{1, true}});
      CHECK(errs.message() == "oh no\nbad bar\nreceiver rejects 5");
    }
  }
}

TEST_CASE_METHOD(test::system_fixture, "wrappers share one executor, and each wait waits for all its tasks") {
  auto ex = parallel::limited(sys, {}, 2);
  collect<int> values{ex};
  gather_errs errs{ex};
  test::gate slow;
  std::atomic<bool> slow_done{false};
  ex.go([&](const context&) {
    slow.wait();
    slow_done = true;
  });
  values.go([](const context&) { return 7; });
  errs.go([](const context&) { return make_error("x"); });
  std::jthread opener{[&] { slow.open(); }};
  auto v = values.wait();
  CHECK(slow_done); // the executor's own task finished too
  REQUIRE(v);
  CHECK(*v == std::vector<int>{7});
  CHECK(errs.wait().message() == "x");
  CHECK_THROWS_AS(errs.go([](const context&) -> error { return {}; }), misuse_error);
}

TEST_CASE_METHOD(test::system_fixture, "panics in tasks and receivers are rethrown by every wrapper's wait") {
  SECTION("task in collect") {
    collect<int> g{parallel::unlimited(sys)};
    g.go([](const context&) -> int { throw std::out_of_range("oob"); });
    CHECK_THROWS_AS(g.wait(), std::out_of_range);
    CHECK_THROWS_AS(g.wait(), std::out_of_range);
  }
  SECTION("receiver in feed") {
    feed<int> g{parallel::limited(sys, {}, 2),
                [](const context&, int) { throw std::invalid_argument("bad value"); }};
    g.go([](const context&) { return 1; });
    try {
      g.wait();
      FAIL("no throw");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string{e.what()} == "bad value");
    }
  }
  SECTION("task in gather_errs (which never stops on errors)") {
    gather_errs g{parallel::limited(sys, {}, 0)};
    g.go([](const context&) -> error { throw std::length_error("len"); });
    CHECK_THROWS_AS(g.wait(), std::length_error);
  }
}

TEST_CASE_METHOD(test::system_fixture, "abandoning any wrapper cleans up like its executor") {
  auto check = [&](auto make_wrapper) {
    test::gate running;
    std::atomic<int> queued_ran{0};
    std::atomic<bool> saw_abandon{false};
    {
      auto w = make_wrapper(parallel::limited(sys, {}, 1));
      w.go([&](const context& ctx) {
        running.open();
        ctx.sleep_for(std::chrono::hours(1));
        saw_abandon = is(ctx.cause(), errc::group_abandoned);
        return decltype(w.wait()){};
      });
      for (int i = 0; i < 20; ++i)
        w.go([&](const context&) {
          ++queued_ran;
          return decltype(w.wait()){};
        });
      running.wait();
    }
    quiesce();
    CHECK(queued_ran == 0);
    CHECK(saw_abandon);
  };
  check([](executor ex) { return err_group{ex}; });
  check([](executor ex) { return gather_errs{ex}; });
  // Value wrappers: tasks return an int.
  auto check_values = [&](auto make_wrapper) {
    test::gate running;
    std::atomic<int> queued_ran{0};
    {
      auto w = make_wrapper(parallel::limited(sys, {}, 1));
      w.go([&](const context& ctx) {
        running.open();
        ctx.sleep_for(std::chrono::hours(1));
        return 0;
      });
      for (int i = 0; i < 20; ++i)
        w.go([&](const context&) { return ++queued_ran; });
      running.wait();
    }
    quiesce();
    CHECK(queued_ran == 0);
  };
  check_values([](executor ex) { return collect<int>{ex}; });
  check_values([](executor ex) { return collect_with_errs<int>{ex}; });
  check_values([](executor ex) { return feed<int>{ex, [](const context&, int) {}}; });
  check_values([](executor ex) { return feed_with_errs<int>{ex, [](const context&, int) {}}; });
}

TEST_CASE_METHOD(test::system_fixture, "feed: results reach the receiver in the order they were produced, batched or not") {
  // One task at a time, so results are produced in submission order, by a
  // worker or by the waiting caller. Streaks of short tasks send them in
  // batches; a task every 100 sleeps past the streak limit and ends the
  // batch. Either way the receiver sees them in order, each once.
  constexpr int n = 1000;
  std::vector<int> seen;
  auto ex = parallel::limited(sys, {}, 1);
  feed<int> g{ex, [&](const context&, int x) { seen.push_back(x); }};
  for (int i = 0; i < n; ++i)
    g.go([i](const context&) {
      if (i % 100 == 99)
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      return i;
    });
  CHECK_FALSE(g.wait());
  std::vector<int> want(n);
  for (int i = 0; i < n; ++i)
    want[i] = i;
  CHECK(seen == want);
}

TEST_CASE_METHOD(test::system_fixture, "a result held back for batching reaches the receiver while its worker blocks") {
  // Workers batch reducer wake-ups over streaks of short tasks. Here a
  // result is held back and the next task on the same worker blocks until
  // the receiver has seen it: the supervisor's flush must deliver it.
  auto saved = detail::notify_batch::short_task_ns.load();
  detail::notify_batch::short_task_ns = std::chrono::nanoseconds(std::chrono::seconds(10)).count();
  test::gate all_queued;
  test::gate saw_one;
  std::vector<int> seen;
  auto ex = parallel::limited(sys, {}, 1);
  feed<int> g{ex, [&](const context&, int n) {
                seen.push_back(n);
                if (n == 1)
                  saw_one.open();
              }};
  ex.go([&](const context&) { all_queued.wait(); }); // "short", sends nothing
  g.go([](const context&) { return 1; });            // held back: streak on
  g.go([&](const context&) {
    saw_one.wait(); // blocks until the receiver got 1
    return 2;
  });
  all_queued.open();
  CHECK_FALSE(g.wait());
  CHECK(seen == std::vector<int>{1, 2});
  detail::notify_batch::short_task_ns = saved;
}

TEST_CASE_METHOD(test::system_fixture, "a receiver holding a handle of its own group does not keep it alive") {
  {
    auto ex = parallel::limited(sys, {}, 2);
    std::vector<int> seen;
    feed<int> g{ex, [&seen, keep = ex](const context&, int n) { seen.push_back(n); }};
    g.go([](const context&) { return 1; });
    CHECK_FALSE(g.wait());
    CHECK(seen == std::vector<int>{1});
  }
  quiesce(); // hangs if the receiver's copy of the executor kept the group
}
