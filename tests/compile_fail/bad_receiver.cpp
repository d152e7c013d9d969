// expect: a receiver must be callable as receiver(const parallel::context&, T)
// A feed receiver without the context parameter.
#include <parallel/parallel.hpp>

void mistake(caf::actor_system& sys) {
  parallel::feed<int> f{parallel::limited(sys, {}, 2), [](int) {}};
  f.go([](const parallel::context&) { return 1; });
  f.wait();
}
