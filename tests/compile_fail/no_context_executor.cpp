// expect: a task must be callable as task(const parallel::context&)
// An executor task written without the context parameter.
#include <parallel/parallel.hpp>

void mistake(caf::actor_system& sys) {
  auto ex = parallel::unlimited(sys);
  ex.go([] {});
  ex.wait();
}
