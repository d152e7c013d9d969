// reducer: the one actor per wrapper that consumes the tasks' results, and
// the reduction it runs (which a wrapper's requester may run instead).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "parallel/detail/result_batch.hpp"
#include "parallel/detail/wrapper_state.hpp"

namespace parallel::detail {

/// Consumes a wrapper's results in the order their messages arrive, so a
/// receiver never runs concurrently with itself. Answers awaits once the
/// group is finished and every result has been consumed, and then drops the
/// wrapper's callbacks.
///
/// Runs inside one actor: the wrapper's `reducer`, or the group's first
/// `requester` when it doubles as the reducer of the group's only wrapper
/// (then a reply becomes a result inside the actor that consumes it, with no
/// message in between).
class reduction {
public:
  explicit reduction(std::shared_ptr<wrapper_base> w) : wrapper_(std::move(w)) {
  }

  /// The wrapper whose results this consumes.
  wrapper_base& wrapper() const noexcept {
    return *wrapper_;
  }

  /// A batch of results arrived (`results_atom`).
  void on_results(result_batch_ptr& batch);

  /// The group finished (`finished_atom`).
  void on_finished();

  /// Someone awaits the wrapper (`await_atom`); `rp` is answered with
  /// `done_atom` once the group finished and every result was consumed.
  void on_await(caf::response_promise rp);

private:
  void finish_if_done();

  std::shared_ptr<wrapper_base> wrapper_;
  std::vector<caf::response_promise> awaiting_;
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
  std::optional<reduction> reduction_;
};

} // namespace parallel::detail
