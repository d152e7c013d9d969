#include "blocking_check.hpp"

#include <cstring>

#include <sys/prctl.h>

#include "parallel/misuse_error.hpp"

namespace parallel::detail {

namespace {

// The innermost task running on this thread (nested groups' serial tasks and
// a task waiting on its child group stack up).
thread_local const running_task_scope* innermost = nullptr;

// CAF 0.17 names its threads: "caf.multiplexer" for the scheduler's workers
// (and for the middleman's I/O loop), "caf.clock" for the timer thread,
// "caf.actor" for detached actors. Blocking is fine on a detached actor's
// thread or a thread of the user's, never on the first two.
// CAF names a thread when it starts it, so the answer is read once per
// thread (a system call per wait() costs as much as a small group).
bool on_scheduler_thread() {
  thread_local const bool answer = [] {
    char name[17] = {};
    if (prctl(PR_GET_NAME, name) != 0)
      return false;
    return std::strcmp(name, "caf.multiplexer") == 0
           || std::strcmp(name, "caf.clock") == 0;
  }();
  return answer;
}

} // namespace

running_task_scope::running_task_scope(const group_state* group) noexcept
  : outer_(innermost), group_(group) {
  innermost = this;
}

running_task_scope::~running_task_scope() {
  innermost = outer_;
}

void check_may_block(const group_state* group) {
  if (on_scheduler_thread())
    throw misuse_error{
      "wait() blocks a CAF scheduler thread (inside an actor or a receiver), "
      "which can stop every actor of the system: use await(self, handler) "
      "inside an actor"};
  for (auto* s = innermost; s != nullptr; s = s->outer_)
    if (s->group_ == group)
      throw misuse_error{
        "wait() inside a task of the same group waits for itself forever: "
        "give that work a child group (created from the task's context) and "
        "wait for the child"};
}

} // namespace parallel::detail
