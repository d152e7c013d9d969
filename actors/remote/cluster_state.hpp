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

namespace parallel::remote::detail {

class remote_lane;

struct node_entry {
  std::string name;      // "host:port"
  caf::actor handle;     // the node actor (a proxy)
  std::atomic<bool> alive{true};
};

/// Shared by a cluster's handles and the lanes of the groups spread over it.
/// A watcher actor monitors every node and marks it down when it dies.
class cluster_state : public std::enable_shared_from_this<cluster_state> {
public:
  explicit cluster_state(caf::actor_system& sys) : sys_(sys) {
  }

  ~cluster_state();

  caf::actor_system& system() const noexcept {
    return sys_;
  }

  /// Fixed once `start` ran.
  std::vector<std::unique_ptr<node_entry>> nodes;

  /// Spawns the watcher.
  void start();

  std::optional<std::size_t> index_of(const caf::actor_addr& who) const;

  /// Marks node `i` down (once) and lets every lane dispatch again.
  void mark_down(std::size_t i);

  bool any_alive() const;

  /// A lane of a group spread over this cluster, to poke when a node dies.
  void add_lane(std::weak_ptr<remote_lane> lane);

private:
  caf::actor_system& sys_;
  caf::actor watcher_;
  mutable std::mutex mtx_;
  std::vector<std::weak_ptr<remote_lane>> lanes_;
};

} // namespace parallel::remote::detail
