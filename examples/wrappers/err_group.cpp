// err_group.cpp: the first error wins and cancels the rest.
//
// Go's ErrGroup. Tasks return parallel::error (empty == success). The first
// error cancels the group's context with that error as its cause: tasks that
// are running see ctx.cancelled() and should give up, tasks not yet started
// never run, and wait() returns that first error.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <latch>

#include <caf/all.hpp>

#include "parallel/parallel.hpp"

using namespace std::chrono_literals;

int main() {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto group = parallel::err_group(parallel::unlimited(sys));

  std::latch slow_ones_started{3};
  std::atomic<int> gave_up{0};
  for (int i = 0; i < 3; ++i)
    group.go([&](const parallel::context& ctx) -> parallel::error {
      slow_ones_started.count_down();
      if (!ctx.sleep_for(10s)) { // false: cancelled before the 10 s were up
        ++gave_up;
        return ctx.cause(); // why we stopped; the group keeps only the first error
      }
      return {};
    });
  group.go([&](const parallel::context&) {
    slow_ones_started.wait(); // fail only once the slow tasks are running
    return parallel::make_error("uh oh");
  });

  // The group's context is cancelled as soon as "uh oh" is returned.
  group.group_context().sleep_for(10s);
  std::printf("group cancelled, cause: %s\n",
              parallel::message(group.group_context().cause()).c_str());
  std::atomic<bool> late_ran{false};
  group.go([&](const parallel::context&) -> parallel::error {
    late_ran = true; // never happens: the group is already cancelled
    return parallel::make_error("bad foo");
  });

  auto err = group.wait(); // it's the first error
  std::printf("wait(): %s; %d slow tasks gave up early; late task ran: %s\n",
              parallel::message(err).c_str(), gave_up.load(), late_ran ? "yes" : "no");
  bool ok = parallel::message(err) == "uh oh" && gave_up == 3 && !late_ran
            && group.stats().skipped == 1;
  return ok ? 0 : 1;
}
