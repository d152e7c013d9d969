// expect: this wrapper's tasks return expected<T> or T
// A collect<int> task returning a string.
#include <string>

#include <parallel/parallel.hpp>

void mistake(caf::actor_system& sys) {
  parallel::collect<int> g{parallel::limited(sys, {}, 2)};
  g.go([](const parallel::context&) { return std::string{"one"}; });
  g.wait();
}
