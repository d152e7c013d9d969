// collect_with_errs.cpp: the values that worked, and every error, together.
//
// Go's CollectWithErrs[T]: Collect without the stopping. Errors never cancel
// the group; wait() returns a collected<T> holding the values of the tasks
// that succeeded (in submission order) and the errors of those that failed
// (a multi_error, in submission order). A failed task's value is dropped.
#include <cstdio>
#include <vector>

#include <caf/all.hpp>

#include "parallel/parallel.hpp"

int main() {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto group = parallel::collect_with_errs<int>(parallel::unlimited(sys));

  group.go([](const parallel::context&) -> parallel::expected<int> { return 1; });
  group.go([](const parallel::context&) -> parallel::expected<int> {
    return parallel::make_error("oops"); // Go's `return 2, errors.New("oops")`
  });
  group.go([](const parallel::context&) -> parallel::expected<int> {
    return parallel::make_error("bad foo");
  });
  for (int i = 4; i <= 6; ++i) // more successes after the failures
    group.go([i](const parallel::context&) { return i; });

  parallel::collected<int> result = group.wait();
  std::printf("values:");
  for (int v : result.values)
    std::printf(" %d", v);
  std::printf("\nerrors: %zu\n%s\n", result.errors.size(), result.errors.message().c_str());

  bool ok = result.values == std::vector<int>{1, 4, 5, 6}
            && result.errors.size() == 2
            && result.errors.message() == "oops\nbad foo";
  return ok ? 0 : 1;
}
