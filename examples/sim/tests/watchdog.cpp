// The teardown watchdog: it fires when a teardown does not end, and only
// then.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>

#include "teardown_watchdog.hpp"

TEST_CASE("the watchdog fires for a teardown that does not end", "[watchdog]") {
  std::promise<void> fired;
  auto f = fired.get_future();
  {
    sim::teardown_watchdog w{std::chrono::milliseconds(1), [&] { fired.set_value(); }};
    w.teardown_begins();
    f.wait(); // the teardown "hangs" until the watchdog fires
  }
  CHECK(f.valid());
}

TEST_CASE("the watchdog stays quiet for a teardown that ends", "[watchdog]") {
  std::atomic<int> calls{0};
  {
    sim::teardown_watchdog w{std::chrono::hours(1), [&] { ++calls; }};
    w.teardown_begins();
  } // ends at once
  {
    sim::teardown_watchdog w{std::chrono::milliseconds(0), [&] { ++calls; }};
  } // no teardown began (e.g. the run failed before it)
  CHECK(calls == 0);
}
