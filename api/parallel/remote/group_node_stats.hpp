// group_node_stats: one group's counters for one node of its cluster.
#pragma once

#include <cstddef>
#include <string>

namespace parallel::remote {

/// One group's remote tasks on one node (`remote_executor::node_stats()`
/// returns one per node of the cluster). `node_report` is the other view:
/// the node's own counters over all its clients.
struct group_node_stats {
  std::string node;            ///< "host:port"
  bool alive = true;           ///< false while the node is down or unreachable
  std::size_t ok = 0;          ///< tasks it answered with a value
  std::size_t failed = 0;      ///< tasks it answered with an error or a panic
  std::size_t lost = 0;        ///< tasks in flight there when it went down
  std::size_t in_flight = 0;   ///< requests in flight there now
  std::size_t peak_in_flight = 0; ///< the most requests in flight there at once
};

/// The former name of `group_node_stats`.
using node_split [[deprecated("use parallel::remote::group_node_stats")]]
  = group_node_stats;

} // namespace parallel::remote
