// Fans out ten squares through the installed library (local groups only) and
// checks them.
#include <caf/all.hpp>
#include <parallel/parallel.hpp>

int main() {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto group = parallel::collect<int>(parallel::limited(sys, {}, 4));
  for (int i = 0; i < 10; ++i)
    group.go([i](const parallel::context&) { return i * i; });
  auto squares = group.wait();
  return squares && squares->size() == 10 && (*squares)[9] == 81 ? 0 : 1;
}
