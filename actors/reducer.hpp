// reducer: the one actor per wrapper that consumes the tasks' results.
#pragma once

#include <memory>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "parallel/detail/wrapper_state.hpp"

namespace parallel::detail {

/// Consumes its wrapper's results in the order their messages arrive, so a
/// receiver never runs concurrently with itself. Answers `await_atom` once the
/// group is finished and every result has been consumed, and then drops the
/// wrapper's callbacks.
class reducer : public caf::event_based_actor {
public:
  reducer(caf::actor_config& cfg, std::shared_ptr<wrapper_base> w);

  caf::behavior make_behavior() override;

  void on_exit() override;

private:
  void finish_if_done();

  std::shared_ptr<wrapper_base> wrapper_;
  std::vector<caf::response_promise> awaiting_;
  bool group_finished_ = false;    // `finished_atom` arrived
  bool released_callbacks_ = false;
};

} // namespace parallel::detail
