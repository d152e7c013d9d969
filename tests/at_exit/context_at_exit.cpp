// A context with a pending deadline may outlive main: a global, say, whose
// destructor runs after the deadline timer's (the timer starts on first
// use, after the global exists, so it is destroyed first). It must be
// destroyed quietly; a context made with a deadline during exit, after the
// timer is gone, too. Run by ctest: a crash at exit fails it.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include <parallel/context.hpp>

using namespace std::chrono_literals;

namespace {

// Constructed before main, destroyed after the timer.
std::pair<parallel::context, parallel::canceller> app_context;

struct made_during_exit {
  ~made_during_exit() {
    auto [ctx, cancel] = parallel::with_timeout(parallel::context::background(), 1h);
    auto [child, cancel_child] = parallel::with_timeout(ctx, 2h);
    cancel_child();
    if (!child.cancelled() || ctx.cancelled()) {
      std::fputs("context_at_exit: a context made during exit is wrong\n", stderr);
      std::_Exit(1);
    }
  }
} during_exit;

} // namespace

int main() {
  app_context = parallel::with_timeout(parallel::context::background(), 1h);
  auto [child, cancel] = parallel::with_deadline(app_context.first,
                                                 std::chrono::steady_clock::now() + 2h);
  static auto kept = std::move(child); // a function-local static, too
  (void) cancel;
  std::puts("context_at_exit: main returns");
  return 0;
}
