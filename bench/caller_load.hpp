// The outer loop of ../shared/peers/handler.go in C++: C caller threads, each
// making R requests one after another, every request timed.
#pragma once

#include <cstddef>
#include <functional>

namespace bench {

/// What a run of requests measured, in the units handler.go prints.
struct request_timing {
  double us_per_request = 0;  // wall time of the run / requests
  double p50_us = 0;          // request latency, median
  double p99_us = 0;          // request latency, 99th percentile
};

/// One caller's request: runs it to the end on the calling thread and throws
/// if its result is wrong.
using request_fn = std::function<void()>;

/// Starts `callers` threads and waits until each has made its request function
/// with `make_caller(index)` (on its own thread, so it may hold thread-bound
/// state such as a `caf::scoped_actor`). Then releases them all at once: each
/// calls its function `requests` times. The clock runs from the release until
/// the last caller is done, so starting the threads is not counted.
/// Percentiles are taken as handler.go takes them (sorted[n/2],
/// sorted[n*99/100]). The first exception a caller threw is rethrown here,
/// after every caller has stopped.
request_timing run_callers(std::size_t callers, std::size_t requests,
                           const std::function<request_fn(std::size_t)>& make_caller);

} // namespace bench
