// executor: a group of tasks run by worker actors under an in-flight bound.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "parallel/context.hpp"
#include "parallel/detail/atoms.hpp"
#include "parallel/detail/group_handle.hpp"
#include "parallel/detail/invoke.hpp"
#include "parallel/detail/task_check.hpp"
#include "parallel/group_stats.hpp"

namespace parallel {

namespace detail {

// The executor's own tasks produce nothing but their outcome.
struct executor_sink {
  using value_type = void;
  task_outcome ok(std::size_t) {
    return task_outcome::succeeded;
  }
  task_outcome fail(std::size_t, error) {
    return task_outcome::failed;
  }
  static executor_sink* instance() {
    static executor_sink sink;
    return &sink;
  }
};

// Throws misuse_error: an executor or wrapper used after it was moved from.
[[noreturn]] void throw_moved_from();

} // namespace detail

/// A handle to a group: a supervisor actor that runs submitted tasks on worker
/// actors, never more than its bound at once. Copies share one group. When the
/// last handle (executor copy or wrapper) is destroyed without `wait()`, the
/// group is abandoned: its context is cancelled with `errc::group_abandoned`,
/// queued tasks never start, and its actors end once running tasks return.
/// A handle that was moved from has no group: using it throws `misuse_error`.
class executor {
public:
  /// Submits `task`, called as `task(const context&)` with the group's own
  /// context. Does not run it if the group's context is cancelled.
  /// Throws `misuse_error` after `wait()`; rethrows the group's panic once a
  /// task has thrown.
  template <class F>
  void go(F&& task) {
    using Fn = std::decay_t<F>;
    // One sentence for a task of the wrong shape, and no follow-on errors.
    if constexpr (detail::check_task<void, Fn>()) {
      if constexpr (!std::is_void_v<std::invoke_result_t<Fn&, const context&>>) {
        static_assert(detail::always_false<Fn>,
                      "parallel: executor tasks return void; for tasks that return "
                      "an error or a value, use err_group, collect or feed");
      } else {
        core().submit(detail::make_fn_task(std::forward<F>(task),
                                           detail::executor_sink::instance(), 0));
      }
    }
  }

  /// Submits an actor request as a task: `request(dest, timeout, xs...)`. It
  /// holds one in-flight slot until the reply arrives, and no thread. An error
  /// reply, a timeout or the death of `dest` counts as a failed task.
  template <class Timeout, class... Ts>
  void go_request(caf::actor dest, Timeout timeout, Ts&&... xs) {
    core().submit(detail::make_request_task(
      std::move(dest), timeout, detail::executor_sink::instance(), 0,
      std::forward<Ts>(xs)...));
  }

  /// For extensions that bring their own task types (remote tasks, say):
  /// submits `make(sink, index)`, a `std::unique_ptr<extension::task>`; the
  /// executor's sink only counts outcomes.
  template <class Make>
  void submit_with(Make make) {
    core().submit(make(detail::executor_sink::instance(), std::size_t{0}));
  }

  /// Blocks until every submitted task has finished, running queued tasks on
  /// the calling thread meanwhile; then the group's context is cancelled
  /// with `errc::group_done` unless it already had a cause.
  /// Rethrows the first exception a task threw, every time it is called.
  /// May be called many times and from many threads. Do not call it from
  /// inside an actor: use `await`.
  void wait();

  /// The non-blocking `wait()` for code running in an actor: `on_done()` runs
  /// later inside `self` once every task has finished, while `self` keeps
  /// processing other messages. A task's exception is rethrown inside `self`
  /// at that point. If `self` dies first, nothing is delivered. The pending
  /// await keeps the group alive.
  template <class Self, class Handler>
  void await(Self* self, Handler on_done) {
    core().close();
    self->request(core().need_supervisor(), caf::infinite, detail::await_atom::value)
      .then(
        [keep = *this, on_done](detail::done_atom) mutable {
          keep.finish();
          on_done();
        },
        [](caf::error&) {
          // The supervisor is gone: the actor system is shutting down.
        });
  }

  /// A snapshot of the group's counters.
  group_stats stats() const;

  /// The group's own context (the one tasks receive).
  const context& group_context() const;

  /// @private
  explicit executor(std::shared_ptr<detail::group_handle> h) : h_(std::move(h)) {
  }

  /// @private
  detail::group_core& core() const {
    if (!h_) [[unlikely]]
      detail::throw_moved_from();
    return h_->core();
  }

  /// @private
  const std::shared_ptr<detail::group_handle>& handle() const {
    if (!h_) [[unlikely]]
      detail::throw_moved_from();
    return h_;
  }

private:
  void finish();

  std::shared_ptr<detail::group_handle> h_;
};

/// A group with no bound on tasks in flight. Tasks that wait on each other do
/// not deadlock: while tasks are queued and every worker is busy, the pool
/// doubles when no task finished for a millisecond and every busy worker's
/// thread is blocked, or when no task finished for 20 ms whatever they do
/// (spinning). Workers are reused, never one per task; a preempted worker on a
/// loaded machine does not count as blocked.
executor unlimited(caf::actor_system& sys, context ctx = context::background());

/// A group that never runs more than `max_in_flight` tasks at once.
/// `max_in_flight == 0` is the serial executor: one task at a time, in
/// submission order. `go` runs the task inline, on the caller's thread, after
/// any request submitted before it; `go_request` returns at once and its
/// requests go one at a time (a request needs no thread to wait on). So inside
/// an actor, a serial `go` after a `go_request` blocks the actor's thread.
executor limited(caf::actor_system& sys, context ctx, std::size_t max_in_flight);

} // namespace parallel
