// expect: a task must be callable as task(const parallel::context&)
// A task written without the context parameter.
#include <parallel/parallel.hpp>

void mistake(caf::actor_system& sys) {
  parallel::err_group g{parallel::limited(sys, {}, 2)};
  g.go([]() -> parallel::error { return {}; });
  g.wait();
}
