// span: one call as the timeline draws it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sim {

enum class span_outcome : std::uint8_t {
  ok,        ///< the service answered with a value
  failed,    ///< the service answered with an error
  cancelled, ///< in flight when its group was cancelled: the client stopped waiting
  panicked,  ///< the client task threw
};

std::string_view to_string(span_outcome o);

/// A call from the moment it held an in-flight slot (it reached the service)
/// until the client was done with it. Times in ms since the run started.
struct span {
  std::uint64_t call = 0;
  std::size_t service = 0;
  std::size_t item = 0;
  double start_ms = 0;       ///< reached the service
  double begin_ms = 0;       ///< the service started on it (after its capacity queue)
  double end_ms = 0;         ///< the client was done: reply, or cancellation
  double service_end_ms = 0; ///< the service answered (after end_ms if cancelled)
  span_outcome outcome = span_outcome::ok;
  std::size_t lane = 0;      ///< in-flight slot, assigned by `assign_lanes`
};

} // namespace sim
