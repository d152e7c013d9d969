// wrapper_handle: what the six wrappers share (go, go_request, wait, await).
#pragma once

#include <memory>
#include <utility>

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/message_priority.hpp>

#include "parallel/detail/atoms.hpp"
#include "parallel/detail/invoke.hpp"
#include "parallel/detail/spawn.hpp"
#include "parallel/executor.hpp"
#include "parallel/group_stats.hpp"

namespace parallel::detail {

/// The common part of a wrapper over an executor. `State` is the wrapper's
/// reduction (a `wrapper_state<Item>` that is also the tasks' sink); its
/// `result(cause)` computes what `wait()` returns.
template <class State>
class wrapper_handle {
public:
  /// Submits `task`, called with the group's context. Its result goes to this
  /// wrapper's reducer. Same rules as `executor::go`.
  template <class F>
  void go(F&& task) {
    // One sentence for a task of the wrong shape, and no follow-on errors.
    if constexpr (check_task<typename State::value_type, std::decay_t<F>>()) {
      auto& core = ex_.core(); // throws first if this wrapper was moved from
      auto* st = state_.get();
      core.submit(make_fn_task(std::forward<F>(task), st, st->next_index()));
    }
  }

  /// Submits `request(dest, timeout, xs...)` as a task. The reply is the
  /// task's value (converted to the wrapper's value type; a reply of another
  /// type is a task error naming both types); an error reply, a timeout or the
  /// death of `dest` is the task's error. Holds an in-flight slot, no thread.
  template <class Timeout, class... Ts>
  void go_request(caf::actor dest, Timeout timeout, Ts&&... xs) {
    auto& core = ex_.core();
    auto* st = state_.get();
    core.submit(make_request_task(std::move(dest), timeout, st, st->next_index(),
                                  std::forward<Ts>(xs)...));
  }

  /// For extensions that bring their own task types (remote tasks, say):
  /// submits `make(sink, index)`, a `std::unique_ptr<extension::task>` whose
  /// results go to this wrapper through `sink` (see detail/invoke.hpp).
  template <class Make>
  void submit_with(Make make) {
    auto& core = ex_.core();
    auto* st = state_.get();
    core.submit(make(st, st->next_index()));
  }

  /// Blocks until every task of the executor finished (running queued tasks
  /// on the calling thread meanwhile) and the reducer consumed every result;
  /// returns the wrapper's result (see the wrapper).
  /// Rethrows a task's or receiver's exception, every time. Do not call it
  /// inside an actor: use `await`.
  auto wait() {
    ex_.core().wait_tasks();
    state_->wait_drained();
    return finish();
  }

  /// The non-blocking `wait()` for code running in an actor: `on_done(result)`
  /// runs later inside `self`, which keeps processing other messages. A
  /// task's exception is rethrown inside `self`. If `self` dies first, nothing
  /// is delivered. The pending await keeps the group alive.
  template <class Self, class Handler>
  void await(Self* self, Handler on_done) {
    ex_.core().close();
    wrapper_handle keep = *this;
    // A response handler of `self`'s own, which the reducer answers when the
    // reduction is complete (see wrapper_base::add_awaiter): no message goes
    // to the reducer, one comes back.
    auto rid = self->new_request_id(caf::message_priority::normal).response_id();
    self->add_multiplexed_response_handler(
      rid, caf::behavior{[keep, on_done](done_atom) mutable { on_done(keep.finish()); },
                         [](caf::error&) {
                           // The reducer is gone: the actor system is shutting down.
                         }});
    state_->add_awaiter(self->ctrl(), rid);
  }

  /// @private The wrapper's reduction, which is also its tasks' sink (for
  /// extensions such as `remote::go_remote`).
  State* sink() const noexcept {
    return state_.get();
  }

  /// A snapshot of the (shared) group's counters.
  group_stats stats() const {
    return ex_.stats();
  }

  /// The group's own context (the one tasks receive).
  const context& group_context() const {
    return ex_.group_context();
  }

  /// The executor this wrapper submits to.
  const executor& get_executor() const noexcept {
    return ex_;
  }

protected:
  /// Creates the wrapper's state from `args` (after the group core); its
  /// reducer actor is spawned when first needed.
  template <class... Args>
  explicit wrapper_handle(executor ex, Args&&... args)
    : ex_(std::move(ex)),
      state_(std::make_shared<State>(ex_.handle()->core_ptr(),
                                     std::forward<Args>(args)...)) {
    ex_.core().add_wrapper(state_);
  }

private:
  auto finish() {
    auto& core = ex_.core();
    auto result = state_->result(core.finish_cause());
    core.rethrow_if_panicked();
    return result;
  }

  executor ex_;
  std::shared_ptr<State> state_;
};

} // namespace parallel::detail
