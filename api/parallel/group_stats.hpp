// group_stats: a snapshot of a group's task counters.
#pragma once

#include <cstddef>

namespace parallel {

/// A cheap, consistent snapshot of a group's counters (taken under the group's
/// lock). After `wait()` returns, `submitted == succeeded + failed + panicked +
/// skipped` and `running == 0`.
struct group_stats {
  std::size_t submitted = 0;      ///< tasks passed to `go`/`go_request`
  std::size_t running = 0;        ///< tasks in flight right now
  std::size_t succeeded = 0;      ///< tasks that returned a value or no error
  std::size_t failed = 0;         ///< tasks that returned an error
  std::size_t panicked = 0;       ///< tasks that threw
  std::size_t skipped = 0;        ///< tasks never started (group cancelled or abandoned)
  std::size_t peak_in_flight = 0; ///< the most tasks that were in flight at once
};

} // namespace parallel
