// sentinel: the actor whose death tells a supervisor its group was abandoned.
#pragma once

#include <caf/event_based_actor.hpp>

namespace parallel::detail {

/// Does nothing. Its only strong reference lives in the group's handles, so
/// when the last handle dies the sentinel becomes unreachable and the
/// supervisor, which monitors it, receives a down message.
class sentinel : public caf::event_based_actor {
public:
  using caf::event_based_actor::event_based_actor;

  caf::behavior make_behavior() override;
};

} // namespace parallel::detail
