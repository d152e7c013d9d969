// blocking_check: refuses a blocking wait() where it would deadlock.
#pragma once

namespace parallel::detail {

class group_state;

/// Marks the calling thread as running a task of `group` while it lives.
class running_task_scope {
public:
  explicit running_task_scope(const group_state* group) noexcept;
  ~running_task_scope();

  running_task_scope(const running_task_scope&) = delete;
  running_task_scope& operator=(const running_task_scope&) = delete;

private:
  const running_task_scope* outer_;
  const group_state* group_;

  friend void check_may_block(const group_state* group);
};

/// Throws `misuse_error` if a blocking wait for `group` on this thread would
/// deadlock or stall other actors: on one of CAF's scheduler threads (an
/// actor's handler, or a receiver, which runs in a reducer actor), or inside
/// a task of `group` itself.
void check_may_block(const group_state* group);

} // namespace parallel::detail
