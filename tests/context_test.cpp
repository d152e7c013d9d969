// context, canceller, with_cancel / with_timeout / with_deadline (spec 1.2).
#include <catch2/catch.hpp>

#include <functional>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>

#include "test_support.hpp"

using namespace parallel;
using namespace std::chrono_literals;

TEST_CASE("background is never cancelled") {
  auto bg = context::background();
  CHECK_FALSE(bg.cancelled());
  CHECK_FALSE(bg.cause());
  CHECK_FALSE(bg.deadline());
  CHECK_FALSE(bg.stop_token().stop_possible());
  CHECK(bg.sleep_for(1ms));
}

TEST_CASE("with_cancel: cancel sets the cause once, the first cause wins") {
  auto [ctx, cancel] = with_cancel(context::background());
  CHECK_FALSE(ctx.cancelled());
  CHECK_FALSE(ctx.cause());
  cancel();
  CHECK(ctx.cancelled());
  CHECK(is(ctx.cause(), errc::cancelled));
  CHECK(ctx.stop_token().stop_requested());
  cancel(make_error("later"));
  auto copy = cancel;
  copy(make_error("even later"));
  CHECK(is(ctx.cause(), errc::cancelled));
  CHECK_FALSE(ctx.sleep_for(1h)); // returns at once
}

TEST_CASE("cancelling a parent cancels every descendant with the parent's cause") {
  auto [parent, cancel_parent] = with_cancel(context::background());
  auto [child, cancel_child] = with_cancel(parent);
  auto [grandchild, cancel_grandchild] = with_timeout(child, 1h);
  cancel_parent(make_error("request gone"));
  CHECK(child.cancelled());
  CHECK(grandchild.cancelled());
  CHECK(message(child.cause()) == "request gone");
  CHECK(message(grandchild.cause()) == "request gone");
}

TEST_CASE("a child's cancellation never reaches its parent") {
  auto [parent, cancel_parent] = with_cancel(context::background());
  auto [child, cancel_child] = with_cancel(parent);
  cancel_child(make_error("child only"));
  CHECK(child.cancelled());
  CHECK_FALSE(parent.cancelled());
  CHECK_FALSE(parent.cause());
}

TEST_CASE("a stop callback may drop the last reference to its own context") {
  // The child's only owners (its context and canceller) live in an object
  // that the child's own stop callback deletes, while the parent's
  // cancellation is still running through the child. (A group's cancel
  // callback can likewise drop the last handle, and with it the group that
  // owns its context.) Under AddressSanitizer this was a use-after-free.
  auto [parent, cancel_parent] = with_cancel(context::background());
  struct owner {
    std::pair<context, canceller> child;
    std::optional<std::stop_callback<std::function<void()>>> other;
    std::optional<std::stop_callback<std::function<void()>>> on_stop;
  };
  auto* o = new owner{with_cancel(parent), std::nullopt, std::nullopt};
  bool ran = false;
  // Registered first, so it would run after the one that deletes: the stop
  // state then still has callbacks to walk after the owner is gone.
  o->other.emplace(o->child.first.stop_token(), std::function<void()>{[] {}});
  o->on_stop.emplace(o->child.first.stop_token(), std::function<void()>{[&] {
                       ran = true;
                       delete o;
                     }});
  cancel_parent(make_error("request gone"));
  CHECK(ran);
  CHECK(parent.cancelled());
}

TEST_CASE("a child of an already cancelled parent starts cancelled") {
  auto [parent, cancel_parent] = with_cancel(context::background());
  cancel_parent(make_error("early"));
  auto [child, cancel_child] = with_cancel(parent);
  CHECK(child.cancelled());
  CHECK(message(child.cause()) == "early");
}

TEST_CASE("a passed deadline cancels with deadline_exceeded and wakes waiters") {
  auto [ctx, cancel] = with_timeout(context::background(), 20ms);
  REQUIRE(ctx.deadline());
  // The stop token fires without anyone polling (the deadline timer thread).
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lk{m};
  cv.wait(lk, ctx.stop_token(), [] { return false; });
  CHECK(ctx.cancelled());
  CHECK(is(ctx.cause(), errc::deadline_exceeded));
  cancel(); // harmless
  CHECK(is(ctx.cause(), errc::deadline_exceeded));
}

TEST_CASE("with_deadline in the past is cancelled at once, and deadlines inherit") {
  auto [past, c1] = with_deadline(context::background(),
                                  std::chrono::steady_clock::now() - 1s);
  CHECK(past.cancelled());
  CHECK(is(past.cause(), errc::deadline_exceeded));
  auto [outer, c2] = with_timeout(context::background(), 1h);
  auto [inner, c3] = with_timeout(outer, 2h);
  REQUIRE(inner.deadline());
  CHECK(*inner.deadline() == *outer.deadline());
}

TEST_CASE("sleep_for returns false as soon as another thread cancels") {
  auto [ctx, cancel] = with_cancel(context::background());
  std::jthread t{[c = cancel] { c(make_error("stop")); }};
  CHECK_FALSE(ctx.sleep_for(1h));
  CHECK(message(ctx.cause()) == "stop");
}

TEST_CASE("sleep_for ends at the deadline and reports it") {
  auto [ctx, cancel] = with_timeout(context::background(), 10ms);
  CHECK_FALSE(ctx.sleep_for(1h));
  CHECK(is(ctx.cause(), errc::deadline_exceeded));
}

TEST_CASE("an inherited deadline counts the moment it passes, not when the timer acts") {
  // The timer thread applies deadlines a little later; a descendant must not
  // look uncancelled meanwhile (a group's context is always such a child).
  for (int i = 0; i < 100; ++i) {
    auto [parent, c1] = with_deadline(context::background(),
                                      std::chrono::steady_clock::now() - 1ms);
    auto [child, c2] = with_cancel(parent);
    auto [grandchild, c3] = with_cancel(child);
    REQUIRE(grandchild.cancelled());
    CHECK(is(grandchild.cause(), errc::deadline_exceeded));
    CHECK(is(parent.cause(), errc::deadline_exceeded));
  }
}

TEST_CASE("sleep_for on a child ends at the parent's deadline and reports it") {
  auto [parent, c1] = with_timeout(context::background(), 5ms);
  auto [child, c2] = with_cancel(parent);
  CHECK_FALSE(child.sleep_for(1h));
  CHECK(is(child.cause(), errc::deadline_exceeded));
}

TEST_CASE("timeouts beyond the clock's range neither overflow nor cancel") {
  using dur = std::chrono::steady_clock::duration;
  auto [forever, c1] = with_timeout(context::background(), dur::max());
  CHECK_FALSE(forever.cancelled());
  CHECK_FALSE(forever.deadline());
  auto [long_ago, c2] = with_timeout(context::background(), dur::min());
  CHECK(long_ago.cancelled());
  CHECK(is(long_ago.cause(), errc::deadline_exceeded));
  auto [ctx, cancel] = with_cancel(context::background());
  CHECK(ctx.sleep_for(dur::min())); // nothing to sleep, not cancelled
  cancel();
  CHECK_FALSE(ctx.sleep_for(dur::max())); // cancelled: returns at once
}
