// lane_router: where each request of a group's extra lane runs.
#pragma once

#include <caf/actor.hpp>
#include <caf/expected.hpp>

namespace parallel::extension {

/// A group has its own lane (lane 0: local tasks and `go_request`, under the
/// group's bound) and may have more, each with a queue and a router that
/// picks the destination of every request when it starts and enforces that
/// lane's bounds (e.g. per node for distributed groups).
///
/// The router is called under the group's lock: it must be quick and must
/// never call back into the group.
class lane_router {
public:
  virtual ~lane_router() = default;

  /// A destination with room for one more request (it now counts as used);
  /// a null actor if none has room right now; or an error if none ever will,
  /// in which case the lane's queued tasks fail with it.
  virtual caf::expected<caf::actor> acquire() = 0;

  /// A request routed to `dest` ended (reply, error, retry or cancellation).
  virtual void release(const caf::actor& dest) = 0;
};

} // namespace parallel::extension

namespace parallel::detail {

using extension::lane_router;

} // namespace parallel::detail
