// cluster_state: what a client knows about its nodes (private).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/fwd.hpp>

#include "connect_cancel.hpp"
#include "parallel/remote/cluster.hpp"

namespace parallel::remote::detail {

class remote_lane;

/// One node of a cluster. Its handle changes when it comes back after going
/// down (a new connection reaches a new node actor); requests sent to an
/// earlier handle still count as this node's.
class node_entry {
public:
  node_entry(node_address addr, caf::actor handle,
             std::optional<std::vector<std::string>> tasks);

  const std::string name;   // "host:port"
  const node_address addr;  // for connecting again
  std::atomic<bool> alive{true};

  /// The handle of the current connection.
  caf::actor handle() const;

  /// True if `who` is (or was) this node's actor.
  bool is(const caf::actor_addr& who) const;

  /// True if the node offers `task`, or did not say what it offers.
  bool offers(const std::string& task) const;

  /// True once the node said which tasks it offers.
  bool tasks_known() const;

  /// "fib, echo" (or "tasks unknown").
  std::string offer_text() const;

  /// The node is back: a new handle (and what it now offers).
  void reconnected(caf::actor handle,
                   std::optional<std::vector<std::string>> tasks);

private:
  mutable std::mutex mtx_;
  caf::actor handle_;
  std::vector<caf::actor_addr> former_;
  std::optional<std::vector<std::string>> tasks_; // sorted
};

/// Shared by a cluster's handles and the lanes of the groups spread over it.
/// A watcher actor monitors every node, marks it down when it dies, and then
/// tries to connect to it again, with backoff, until it is back.
class cluster_state : public std::enable_shared_from_this<cluster_state> {
public:
  cluster_state(caf::actor_system& sys, connect_options opts)
    : sys_(sys), opts_(opts) {
  }

  ~cluster_state();

  caf::actor_system& system() const noexcept {
    return sys_;
  }

  const connect_options& options() const noexcept {
    return opts_;
  }

  /// Fixed once `start` ran.
  std::vector<std::unique_ptr<node_entry>> nodes;

  /// Spawns the watcher.
  void start();

  std::optional<std::size_t> index_of(const caf::actor_addr& who) const;

  /// Marks node `i` down (once) and lets every lane dispatch again.
  void mark_down(std::size_t i);

  /// Node `i` is back with a new handle: lets every lane dispatch again.
  void mark_up(std::size_t i, caf::actor handle,
               std::optional<std::vector<std::string>> tasks);

  bool any_alive() const;

  /// True if some node said which tasks it offers.
  bool any_tasks_known() const;

  /// A lane of a group spread over this cluster, to poke when a node dies.
  void add_lane(std::weak_ptr<remote_lane> lane);

private:
  void poke_lanes();

  caf::actor_system& sys_;
  connect_options opts_;
  caf::actor watcher_;
  /// Ends the watcher's connect attempts still waiting for a node.
  std::shared_ptr<connect_cancel> cancel_ = std::make_shared<connect_cancel>();
  mutable std::mutex mtx_;
  std::vector<std::weak_ptr<remote_lane>> lanes_;
};

} // namespace parallel::remote::detail
