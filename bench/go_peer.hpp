// The Go peer: ../shared/peers/handler.go, run as a subprocess of the bench
// with the same arguments as the figure it is compared with.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "caller_load.hpp"

namespace bench {

/// An empty string when `path` names an executable regular file, otherwise
/// why not (for the `--go-peer` usage error).
std::string go_peer_problem(const std::string& path);

/// Runs `path C R K B D` (D in microseconds; B == 0: no limit) and reads its
/// one line, "... : N req/s, p50 X us, p99 Y us". Time per request is
/// 1 / (N req/s). Throws std::runtime_error if the program cannot start,
/// exits with a non-zero status, or prints something else.
request_timing run_go_peer(const std::string& path, std::size_t callers,
                           std::size_t requests, std::size_t tasks, std::size_t bound,
                           std::chrono::microseconds task_wait);

} // namespace bench
