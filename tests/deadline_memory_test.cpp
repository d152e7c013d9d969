// A context's deadline costs nothing once the context is cancelled or gone.
#include <catch2/catch.hpp>

#include <chrono>
#include <vector>

#include "../actors/deadline_timer.hpp" // the library's own timer, for its size
#include "parallel/context.hpp"

using namespace std::chrono_literals;

namespace {

std::size_t timer_entries() {
  return parallel::detail::deadline_timer::instance()->size();
}

} // namespace

TEST_CASE("dropped contexts with a far deadline leave the deadline timer") {
  auto baseline = timer_entries();
  {
    std::vector<parallel::context> kept;
    for (int i = 0; i < 100000; ++i) {
      auto [ctx, cancel] = parallel::with_timeout(parallel::context::background(), 24h);
      kept.push_back(ctx);
    }
    CHECK(timer_entries() == baseline + 100000);
  }
  // No one cancelled them: destroying them was enough.
  CHECK(timer_entries() == baseline);
}

TEST_CASE("cancelled contexts with a far deadline leave the deadline timer") {
  auto baseline = timer_entries();
  // Like a node's task: the context lives on in the task's closure for a
  // while, but the task ended and its canceller ran.
  std::vector<parallel::context> kept;
  for (int i = 0; i < 100000; ++i) {
    auto [ctx, cancel] = parallel::with_deadline(parallel::context::background(),
                                                 std::chrono::steady_clock::now() + 24h);
    kept.push_back(ctx);
    cancel(parallel::make_error(parallel::errc::group_done));
  }
  CHECK(timer_entries() == baseline);
  CHECK(kept.back().cancelled());
}

TEST_CASE("children of a cancelled parent never enter the deadline timer") {
  auto baseline = timer_entries();
  auto [parent, cancel_parent] = parallel::with_cancel(parallel::context::background());
  auto [child, cancel_child] = parallel::with_timeout(parent, 24h);
  CHECK(timer_entries() == baseline + 1);
  cancel_parent(parallel::make_error("stop"));
  // The parent's cancellation reached the child, which left the timer.
  CHECK(timer_entries() == baseline);
  auto [late, cancel_late] = parallel::with_timeout(parent, 24h);
  CHECK(late.cancelled());
  CHECK(timer_entries() == baseline);
}

TEST_CASE("a deadline that passes still cancels, and leaves the timer") {
  auto baseline = timer_entries();
  auto [ctx, cancel] = parallel::with_timeout(parallel::context::background(), 1ms);
  CHECK_FALSE(ctx.sleep_for(1h)); // returns at the deadline, cancelled
  CHECK(parallel::is(ctx.cause(), parallel::errc::deadline_exceeded));
  CHECK(timer_entries() == baseline);
}
