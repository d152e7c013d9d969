// feed_with_errs.cpp: a receiver for the values, a multi_error for the rest.
//
// Go's FeedWithErrs: Feed without the stopping. Values of successful tasks go
// to the receiver (one at a time, so the map below needs no lock); errors of
// failed tasks and errors the receiver returns are all collected, in
// submission order, and returned by wait() as one multi_error.
#include <cstdio>
#include <map>

#include <caf/all.hpp>

#include "parallel/parallel.hpp"

int main() {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::map<int, bool> result;
  auto group = parallel::feed_with_errs<int>(
    parallel::unlimited(sys), [&](const parallel::context&, int n) -> parallel::error {
      if (n == 4)
        return parallel::make_error("receiver: 4 is not welcome"); // collected too
      result[n] = true; // only values of tasks without an error get here
      return {};
    });

  group.go([](const parallel::context&) -> parallel::expected<int> { return 1; });
  group.go([](const parallel::context&) -> parallel::expected<int> {
    return parallel::make_error("oh no");
  });
  group.go([](const parallel::context&) -> parallel::expected<int> {
    return parallel::make_error("bad bar");
  });
  group.go([](const parallel::context&) { return 4; });
  group.go([](const parallel::context&) { return 5; });

  parallel::multi_error err = group.wait();
  std::printf("errors (%zu):\n%s\nreceived:", err.size(), err.message().c_str());
  for (auto& [n, seen] : result)
    std::printf(" %d", n);
  std::printf("\n");

  bool ok = err.message() == "oh no\nbad bar\nreceiver: 4 is not welcome"
            && result == std::map<int, bool>{{1, true}, {5, true}};
  return ok ? 0 : 1;
}
