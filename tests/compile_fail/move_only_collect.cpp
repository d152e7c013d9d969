// expect: collect<T> and collect_with_errs<T> need a copyable T
// collect<T> of a move-only T: every wait() returns the values again.
#include <memory>

#include <parallel/parallel.hpp>

void mistake(caf::actor_system& sys) {
  parallel::collect<std::unique_ptr<int>> g{parallel::limited(sys, {}, 2)};
  g.go([](const parallel::context&) { return std::make_unique<int>(1); });
  auto r = g.wait();
}
