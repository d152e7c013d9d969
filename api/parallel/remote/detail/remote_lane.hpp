// remote_lane: a group's lane of remote tasks, routed over a cluster's nodes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/duration.hpp>
#include <caf/expected.hpp>

#include "parallel/context.hpp"
#include "parallel/detail/group_core.hpp"
#include "parallel/detail/lane.hpp"

namespace parallel::remote {

/// How remote tasks of one group are spread (see `spread()`).
struct lane_options {
  /// Remote tasks of this group in flight on one node at most. At least 1.
  std::size_t per_node_bound = 16;
  /// Runs of a task at most. A task whose node dies while it runs is run
  /// again on a surviving node until it has run this often; then it fails
  /// with `errc::node_down`. 1 (the default) never retries. Retried tasks
  /// may have run partly (or wholly) on the dead node: use retries for
  /// idempotent tasks.
  std::size_t max_attempts = 1;
  /// A remote task that has no reply after this long fails with
  /// `caf::sec::request_timeout` (the node is not told). Infinite by default:
  /// a dead or unreachable node is detected by its connection instead.
  caf::duration timeout = caf::infinite;
};

/// Per-node counters of one group (`remote_executor::node_stats()`).
struct node_split {
  std::string node;            ///< "host:port"
  bool alive = true;           ///< false once the node died or became unreachable
  std::size_t ok = 0;          ///< tasks it answered with a value
  std::size_t failed = 0;      ///< tasks it answered with an error or a panic
  std::size_t lost = 0;        ///< tasks in flight there when it went down
  std::size_t in_flight = 0;   ///< requests in flight there now
  std::size_t peak_in_flight = 0;
};

namespace detail {

class cluster_state;

/// Routes one group's remote tasks: the least-loaded live node with room
/// under the per-node bound. Owned by the group (as its lane router); also
/// tells the nodes when the group is cancelled or abandoned.
class remote_lane : public parallel::detail::lane_router,
                    public std::enable_shared_from_this<remote_lane> {
public:
  remote_lane(std::shared_ptr<cluster_state> nodes, lane_options opts);

  ~remote_lane() override;

  // -- lane_router -----------------------------------------------------------

  caf::expected<caf::actor> acquire() override;

  void release(const caf::actor& dest) override;

  // -- set up by spread() ----------------------------------------------------

  /// Joins the group: takes a lane there and watches its context.
  void attach(const std::shared_ptr<parallel::detail::group_core>& core);

  /// The lane of `core`'s group, or null if it has none.
  static std::shared_ptr<remote_lane> of(const parallel::detail::group_core& core);

  // -- used by remote tasks --------------------------------------------------

  std::size_t lane_id() const noexcept {
    return lane_id_;
  }

  uint64_t group_id() const noexcept {
    return group_id_;
  }

  const lane_options& options() const noexcept {
    return opts_;
  }

  /// The group's context (for its deadline).
  const context& group_context() const;

  /// "host:port" of `dest`.
  std::string node_name(const caf::actor& dest) const;

  /// `dest` answered; `ok` tells whether with a value.
  void count_reply(const caf::actor& dest, bool ok);

  /// The request to `dest` failed because `dest` is down. Marks the node down
  /// for every group; returns true if another node is still alive.
  bool node_failed(const caf::actor& dest);

  /// Snapshot of the per-node counters.
  std::vector<node_split> split() const;

  const std::shared_ptr<cluster_state>& cluster() const noexcept {
    return nodes_;
  }

  /// A node died: dispatch the group's queue again.
  void poke();

private:
  std::optional<std::size_t> index_of(const caf::actor& dest) const;
  void on_cancelled();

  std::shared_ptr<cluster_state> nodes_;
  lane_options opts_;
  const uint64_t group_id_;
  std::size_t lane_id_ = 0;
  std::weak_ptr<parallel::detail::group_core> core_;
  const parallel::detail::group_core* core_key_ = nullptr;
  context ctx_;

  mutable std::mutex mtx_;
  std::vector<node_split> split_;
  std::size_t next_ = 0; // round-robin start among equally loaded nodes
  std::vector<bool> used_;

  std::optional<std::stop_callback<std::function<void()>>> on_cancel_;
};

} // namespace detail

} // namespace parallel::remote
