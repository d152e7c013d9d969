// remote_lane: a group's remote tasks, routed over a cluster's nodes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>

#include "parallel/context.hpp"
#include "parallel/detail/group_core.hpp"
#include "parallel/extension/lane_router.hpp"
#include "parallel/remote/group_node_stats.hpp"
#include "parallel/remote/lane_options.hpp"

namespace parallel::remote::detail {

class cluster_state;

/// One group's remote tasks over a cluster. Each task name gets a lane of
/// the group whose router picks, among the live nodes that offer that task,
/// the least-loaded one with room under the per-node bound (the bound and
/// the counters are shared by all the group's lanes). A node whose last
/// answers were all failures is passed over for a while, so that a node
/// that fails at once does not draw all the work. Also tells the nodes when
/// the group is cancelled or abandoned.
class remote_lane : public std::enable_shared_from_this<remote_lane> {
public:
  remote_lane(std::shared_ptr<cluster_state> nodes, lane_options opts);

  ~remote_lane();

  // -- set up by spread() ----------------------------------------------------

  /// Joins the group: takes a lane there and watches its context.
  void attach(const std::shared_ptr<parallel::detail::group_core>& core);

  /// The lane of `core`'s group, or null if it has none.
  static std::shared_ptr<remote_lane> of(const parallel::detail::group_core& core);

  // -- used by remote tasks --------------------------------------------------

  /// The group's lane that runs the task `name` (made on first use).
  std::size_t route(const std::string& name);

  uint64_t group_id() const noexcept {
    return group_id_;
  }

  const lane_options& options() const noexcept {
    return opts_;
  }

  /// The group's context (for its deadline).
  const context& group_context() const;

  /// Why `args` cannot go to a node ("argument 1 is of type ..., which ..."),
  /// or "" if every argument is of a type the actor system can send.
  std::string unsendable(const caf::message& args) const;

  /// "host:port" of `dest`.
  std::string node_name(const caf::actor& dest) const;

  /// `dest` answered; `ok` tells whether with a value.
  void count_reply(const caf::actor& dest, bool ok);

  /// The request to `dest` failed because `dest` is down. Marks the node down
  /// for every group; returns true if another node is still alive.
  bool node_failed(const caf::actor& dest);

  /// Snapshot of the per-node counters.
  std::vector<group_node_stats> split() const;

  const std::shared_ptr<cluster_state>& cluster() const noexcept {
    return nodes_;
  }

  /// A node died or came back: dispatch the group's queues again.
  void poke();

  // -- used by the group's lane routers (under the group's lock) ------------

  /// A node for `task` (any node if null), as `lane_router::acquire`.
  caf::expected<caf::actor> acquire(const std::string* task);

  /// As `lane_router::release`.
  void release(const caf::actor& dest);

private:
  using clock = std::chrono::steady_clock;

  /// Consecutive failures of one node in this group.
  struct health {
    std::size_t failures = 0;
    clock::time_point retry_at{};
  };

  std::optional<std::size_t> index_of(const caf::actor& dest) const;
  error no_offer_error(const std::string& task) const;
  void on_cancelled();

  std::shared_ptr<cluster_state> nodes_;
  lane_options opts_;
  const uint64_t group_id_;
  std::weak_ptr<parallel::detail::group_core> core_;
  const parallel::detail::group_core* core_key_ = nullptr;
  context ctx_;

  mutable std::mutex mtx_;
  std::vector<group_node_stats> split_;
  std::vector<health> health_;
  std::size_t next_ = 0; // round-robin start among equally loaded nodes
  std::vector<bool> used_;

  std::mutex routes_mtx_; // never taken under the group's lock
  std::size_t any_lane_ = 0;
  std::map<std::string, std::size_t> routes_;

  std::optional<std::stop_callback<std::function<void()>>> on_cancel_;
};

} // namespace parallel::remote::detail
