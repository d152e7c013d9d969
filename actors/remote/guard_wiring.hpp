// guard_wiring: how a node and a client put the BASP guard in front of
// their middleman (private).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <caf/fwd.hpp>

#include "basp_guard.hpp"
#include "parallel/error.hpp"
#include "parallel/remote/cluster.hpp"
#include "parallel/remote/node.hpp"

namespace parallel::remote::detail {

/// A node's guard and the public port it owns.
struct node_guard {
  std::unique_ptr<basp_guard> guard;
  uint16_t port = 0;
};

/// Starts the guard of a node whose middleman listens on 127.0.0.1:
/// `inside_port`: it owns `opts.host`:`opts.port`, terminates TLS when `sys`
/// was configured with it, and applies `opts.guard`.
expected<node_guard> guard_node(caf::actor_system& sys, const node_options& opts,
                                uint16_t inside_port);

/// Connects a client's guard to the node at `addr` before `deadline`, with
/// TLS when `sys` was configured with it, and waits for the node's handshake
/// (see `basp_guard::open_link`); the middleman then connects to
/// 127.0.0.1:port() of the result.
expected<std::shared_ptr<guarded_link>>
guard_link(caf::actor_system& sys, const node_address& addr,
           std::chrono::steady_clock::time_point deadline,
           const guard_options& limits,
           const std::shared_ptr<connect_cancel>& cancel = nullptr);

} // namespace parallel::remote::detail
