// reducer: the one actor per wrapper that consumes the tasks' results, and
// the reduction it runs (which a wrapper's requester may run instead).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <caf/event_based_actor.hpp>

#include "parallel/detail/result_batch.hpp"
#include "parallel/detail/wrapper_state.hpp"

namespace parallel::detail {

/// Consumes a wrapper's results in the order their messages arrive, so a
/// receiver never runs concurrently with itself. Answers awaits (registered
/// with the wrapper, see wrapper_base::add_awaiter) once the group is
/// finished and every result has been consumed, and then drops the wrapper's
/// callbacks: the reduction is complete, and its actor quits.
///
/// Runs inside one actor: the wrapper's `reducer`, or the group's first
/// `requester` when it doubles as the reducer of the group's only wrapper
/// (then a reply becomes a result inside the actor that consumes it, with no
/// message in between).
class reduction {
public:
  explicit reduction(std::shared_ptr<wrapper_base> w) : wrapper_(std::move(w)) {
  }

  /// Dropped before it completed (its actor was killed, or the group let
  /// its actors go): nobody will answer the awaits, so they get an error,
  /// which drops their handlers and the handles those hold.
  ~reduction() {
    if (!released_callbacks_)
      wrapper_->fail_awaiters();
  }

  reduction(const reduction&) = delete;
  reduction& operator=(const reduction&) = delete;

  /// The wrapper whose results this consumes.
  wrapper_base& wrapper() const noexcept {
    return *wrapper_;
  }

  // Each `on_` function returns true once the reduction is complete: the
  // actor running it has nothing left to do and quits (after
  // wrapper_base::retire_reducer, so nothing is sent to it any more).

  /// A batch of results arrived (`results_atom`).
  bool on_results(result_batch_ptr& batch);

  /// The group finished (`finished_atom`, or the requester running this
  /// reduction saw it finish).
  bool on_finished();

  /// An await was registered before this reducer existed (`await_atom`):
  /// the group may have finished meanwhile, so look.
  bool on_await();

private:
  bool finish_if_done();

  std::shared_ptr<wrapper_base> wrapper_;
  bool group_finished_ = false; // `finished_atom` arrived
  bool released_callbacks_ = false;
};

/// Runs its wrapper's `reduction`: consumes result batches in the order their
/// messages arrive and answers awaits once everything is consumed.
class reducer : public caf::event_based_actor {
public:
  reducer(caf::actor_config& cfg, std::shared_ptr<wrapper_base> w);

  caf::behavior make_behavior() override;

  void on_exit() override;

private:
  void quit_if(bool complete);

  std::optional<reduction> reduction_;
};

} // namespace parallel::detail
