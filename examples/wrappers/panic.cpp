// panic.cpp: an exception thrown by a task comes back from wait(), by type.
//
// Go calls it a panic. A task that throws cancels its group (cause
// errc::panicked; running siblings see ctx.cancelled() and queued tasks never
// start) and wait() rethrows the original exception object -- so you catch it
// by its own type -- every time wait() is called. Wrappers do the same: a
// throw is not an error value, it is never returned, always rethrown.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <latch>
#include <stdexcept>
#include <vector>

#include <caf/all.hpp>

#include "parallel/parallel.hpp"

using namespace std::chrono_literals;

int main() {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto group = parallel::limited(sys, {}, 2);

  std::latch sibling_started{1};
  std::atomic<bool> sibling_cancelled{false};
  group.go([&](const parallel::context& ctx) {
    sibling_started.count_down();
    sibling_cancelled = !ctx.sleep_for(10s) && parallel::is(ctx.cause(), parallel::errc::panicked);
  });
  group.go([&](const parallel::context&) {
    sibling_started.wait();
    std::vector<int> v{1, 2, 3};
    std::printf("%d\n", v.at(3)); // throws std::out_of_range
  });

  int caught = 0;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    try {
      group.wait();
      std::printf("wait() returned normally?!\n");
    } catch (const std::out_of_range& e) { // the task's own exception type
      std::printf("wait() #%d rethrew std::out_of_range: %s\n", attempt, e.what());
      ++caught;
    } catch (...) {
      std::printf("wait() #%d threw something else\n", attempt);
    }
  }
  std::printf("running sibling was cancelled with errc::panicked: %s\n",
              sibling_cancelled ? "yes" : "no");

  // The same through a wrapper: err_group's wait() throws, it returns no error.
  auto errs = parallel::err_group(parallel::unlimited(sys));
  errs.go([](const parallel::context&) -> parallel::error {
    throw std::out_of_range{"no such index"};
  });
  try {
    auto err = errs.wait();
    std::printf("err_group returned \"%s\" instead of throwing?!\n",
                parallel::message(err).c_str());
  } catch (const std::out_of_range& e) {
    std::printf("err_group's wait() rethrew std::out_of_range: %s\n", e.what());
    ++caught;
  }
  return caught == 3 && sibling_cancelled && group.stats().panicked == 1 ? 0 : 1;
}
