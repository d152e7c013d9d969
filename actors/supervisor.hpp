// supervisor: the actor that owns a group's lifecycle.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "group_state.hpp"

namespace parallel::detail {

/// At most one per group, spawned when the group first needs it (see
/// group_state::need_supervisor) and lazily: it first runs when it has
/// something to do. Starts worker actors for the system's pool when the
/// group needs more than are idle (never more than the bound), grows an
/// unlimited group when its busy workers stop making progress, drops queued
/// tasks and stops requesters on cancellation, answers awaits when the group
/// is finished, and quits once the group is finished and its last handle is
/// gone (the sentinel's down message), releasing the group's actors.
class supervisor : public caf::event_based_actor {
public:
  /// `sentinel` is monitored by whoever spawns this supervisor (see
  /// group_state::need_supervisor), so it needs no turn on the scheduler to
  /// start watching. It is invalid if the last handle was gone already: then
  /// `abandoned_atom` says so.
  supervisor(caf::actor_config& cfg, std::shared_ptr<group_state> core,
             caf::actor_addr sentinel);

  caf::behavior make_behavior() override;

  void on_exit() override;

private:
  void spawn_workers(std::size_t n, bool growing);
  void on_finished();
  void on_handle_gone();
  void maybe_quit();

  std::shared_ptr<group_state> core_;
  caf::actor_addr sentinel_addr_;
  bool handle_gone_ = false;
  bool checking_ = false;
  int stalled_checks_ = 0;
  std::vector<caf::response_promise> awaiting_;
};

} // namespace parallel::detail
