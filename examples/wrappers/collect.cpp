// collect.cpp: values come back in submission order, or one error.
//
// Go's Collect[T]. Tasks return expected<T> (or plain T). wait() returns an
// expected<std::vector<T>>: every value, in the order the tasks were
// submitted -- not the order they finished in (the Go library promises no
// order; this one does). The first error cancels the group and is returned
// instead of the values.
#include <chrono>
#include <cstdio>

#include <caf/all.hpp>

#include "parallel/parallel.hpp"

using namespace std::chrono_literals;

int main() {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  bool ok = true;

  { // Later tasks finish first (they sleep less), yet the result is in order.
    auto group = parallel::collect<int>(parallel::limited(sys, {}, 4));
    for (int i = 0; i < 12; ++i)
      group.go([i](const parallel::context& ctx) {
        ctx.sleep_for(std::chrono::milliseconds(12 - i));
        return i * i; // a plain T is fine when the task cannot fail
      });
    auto squares = group.wait(); // expected<std::vector<int>>
    ok = ok && squares && squares->size() == 12;
    for (std::size_t i = 0; ok && i < squares->size(); ++i) {
      std::printf("%d ", (*squares)[i]);
      ok = (*squares)[i] == int(i * i);
    }
    std::printf("\nin submission order: %s\n", ok ? "yes" : "NO");
  }

  { // One task fails: no values at all, just that error.
    auto group = parallel::collect<int>(parallel::limited(sys, {}, 4));
    for (int i = 0; i < 12; ++i)
      group.go([i](const parallel::context&) -> parallel::expected<int> {
        if (i == 7)
          return parallel::make_error("no square for 7 today");
        return i * i;
      });
    auto squares = group.wait();
    std::printf("with a failing task: %s\n",
                squares ? "values?!" : parallel::message(squares.error()).c_str());
    ok = ok && !squares && parallel::message(squares.error()) == "no square for 7 today";
  }
  return ok ? 0 : 1;
}
