// nested.cpp: a task that runs a group of its own, and how failures cross levels.
//
// THE PATTERN
//     parent.go([&sys](const parallel::context& ctx) -> parallel::error {
//       auto child = parallel::err_group(parallel::limited(sys, ctx, 4));
//       ...child.go(...)...                 //                      ^^^ the ctx this task got
//       return child.wait();                // hand the child's failure upward
//     });
//
// * Create the child group from the context the task was given. The child's
//   context is then a descendant of the parent group's: cancelling the parent
//   (its canceller, its parent, a deadline) or failing it (a sibling task's
//   error in an err_group) cancels every child group with the parent's cause,
//   and the grandchildren with it. A child made from context::background()
//   would run on, orphaned, after its parent gave up.
// * Nothing flows upward by itself. A failure inside the child cancels the
//   child's context only; the parent learns of it solely through the task:
//   return the error (a task error for the parent), let the exception from
//   child.wait() propagate (a panic: exceptions cross nested groups
//   unchanged), or handle it and return nothing (the parent never knows).
// * Blocking in child.wait() is fine in a task: tasks run on threads of their
//   own. Inside an actor, use await() instead.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <latch>
#include <stdexcept>

#include <caf/all.hpp>

#include "parallel/parallel.hpp"

using namespace std::chrono_literals;
using parallel::context;
using parallel::error;

int main() {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  int failures = 0;
  auto check = [&](bool ok, const char* claim) {
    std::printf("%-66s %s\n", claim, ok ? "ok" : "FAILED");
    failures += ok ? 0 : 1;
  };

  // 1. Downward: the parent stops (cancelled from outside, or failed) and both
  //    grandchildren of a running task are cancelled with the parent's cause.
  for (bool by_failure : {false, true}) {
    auto [outer, cancel] = parallel::with_cancel(context::background());
    auto parent = parallel::err_group(parallel::unlimited(sys, outer));
    std::latch children_running{2};
    std::atomic<int> saw_parent_cause{0};
    const char* cause = by_failure ? "a sibling failed" : "the caller gave up";
    parent.go([&](const context& ctx) -> error {
      auto child = parallel::err_group(parallel::limited(sys, ctx, 2));
      for (int i = 0; i < 2; ++i)
        child.go([&](const context& cctx) -> error {
          children_running.count_down();
          if (!cctx.sleep_for(10s) && parallel::message(cctx.cause()) == cause)
            ++saw_parent_cause;
          return cctx.cause();
        });
      return child.wait();
    });
    if (by_failure) {
      parent.go([&](const context&) -> error {
        children_running.wait();
        return parallel::make_error(cause);
      });
    } else {
      children_running.wait();
      cancel(parallel::make_error(cause));
    }
    auto err = parent.wait();
    check(saw_parent_cause == 2 && parallel::message(err) == cause,
          by_failure ? "failing the parent cancels the children"
                     : "cancelling the parent cancels the children");
  }

  // 2. Upward: only through the task. One task returns its child's error, the
  //    other swallows it; gather_errs (which never cancels) shows what arrives.
  {
    auto parent = parallel::gather_errs(parallel::unlimited(sys));
    std::atomic<bool> parent_cancelled{true};
    parent.go([&](const context& ctx) -> error {
      auto child = parallel::err_group(parallel::limited(sys, ctx, 2));
      child.go([](const context&) { return parallel::make_error("child broke"); });
      auto err = child.wait();
      parent_cancelled = ctx.cancelled(); // false: the failure stayed in the child
      return err;                         // handed upward on purpose
    });
    parent.go([&](const context& ctx) -> error {
      auto child = parallel::err_group(parallel::limited(sys, ctx, 2));
      child.go([](const context&) { return parallel::make_error("minor child issue"); });
      if (auto err = child.wait())
        std::printf("handled inside the task: %s\n", parallel::message(err).c_str());
      return {};                          // swallowed: the parent never hears of it
    });
    auto errs = parent.wait();
    check(!parent_cancelled, "a child's failure does not cancel the parent's context");
    check(errs.size() == 1 && errs.message() == "child broke",
          "the parent got the returned error and not the swallowed one");
  }

  // 3. Upward by exception: child.wait() rethrows, the task throws, parent.wait() rethrows.
  {
    auto parent = parallel::err_group(parallel::unlimited(sys));
    parent.go([&](const context& ctx) -> error {
      auto child = parallel::err_group(parallel::limited(sys, ctx, 1));
      child.go([](const context&) -> error { throw std::invalid_argument{"bad input"}; });
      return child.wait(); // throws std::invalid_argument
    });
    bool caught = false;
    try {
      parent.wait();
    } catch (const std::invalid_argument&) {
      caught = true;
    }
    check(caught, "a grandchild's exception reaches parent.wait() with its own type");
  }
  return failures == 0 ? 0 : 1;
}
