// What a node program does once its node serves: wait for SIGINT/SIGTERM or
// for the node to stop by itself, and exit the way a supervisor expects.
// Shared by parallel-node and the node programs of the tests, so that the
// tests exercise the very exit path parallel-node takes.
#pragma once

#include <optional>

#include <signal.h>

#include "parallel/remote/node.hpp"

namespace examples {

/// Blocks SIGINT and SIGTERM in the calling thread and in every thread it
/// starts later (CAF's threads inherit the mask), and ignores SIGPIPE (a
/// closed standard output must fail a write, not kill the node). Call it
/// before creating the actor system. Returns the stop signals.
sigset_t block_stop_signals();

/// Serves until one of `stop_signals` arrives or the node stops by itself.
/// On a signal: stops the node gracefully, drains its last answers
/// (destroying it), and returns 0, or exits 1 with the reason on one line if
/// some task did not return within the node's grace period. If the node
/// stopped serving by itself (its actor failed), exits 1 at once with
/// `parallel-node: the node stopped serving: <reason>` on one line, so that a
/// process supervisor restarts it. Exits with `std::_Exit`: threads of tasks
/// that ignore cancellation, or of a failed node, must not keep the process
/// alive.
int serve_until_stopped(std::optional<parallel::remote::node>& node,
                        const sigset_t& stop_signals);

} // namespace examples
