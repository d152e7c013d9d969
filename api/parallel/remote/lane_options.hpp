// lane_options: how one group's remote tasks are spread over a cluster.
#pragma once

#include <cstddef>

#include <caf/duration.hpp>

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
  /// `caf::sec::request_timeout`, and the node cancels it too (its context
  /// gets this timeout as its deadline, from when the request arrives).
  /// Infinite by default: a dead or unreachable node is detected by its
  /// connection instead.
  caf::duration timeout = caf::infinite;
};

} // namespace parallel::remote
