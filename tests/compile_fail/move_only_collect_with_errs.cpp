// expect: collect<T> and collect_with_errs<T> need a copyable T
// collect_with_errs<T> of a move-only T.
#include <memory>

#include <parallel/parallel.hpp>

void mistake(caf::actor_system& sys) {
  parallel::collect_with_errs<std::unique_ptr<int>> g{parallel::limited(sys, {}, 2)};
  g.go([](const parallel::context&) { return std::make_unique<int>(1); });
  auto r = g.wait();
}
