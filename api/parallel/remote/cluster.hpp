// cluster: a client's connections to a list of nodes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "parallel/error.hpp"
#include "parallel/remote/guard_options.hpp"
#include "parallel/remote/node.hpp"

namespace parallel::remote {

/// "host:port" split up; IPv6 hosts in brackets: "[::1]:4242".
struct node_address {
  std::string host;  ///< a name or an address, without brackets
  uint16_t port = 0; ///< the node's port

  /// Back to "host:port" ("[host]:port" for IPv6).
  std::string to_string() const;
};

/// Parses "host:port".
expected<node_address> parse_node_address(const std::string& text);

/// Parses "host:port,host:port,...".
expected<std::vector<node_address>> parse_node_list(const std::string& text);

/// How `cluster::connect` connects.
struct connect_options {
  /// Per node, for reaching it (TCP) and completing CAF's handshake (and the
  /// TLS handshake with TLS). Nodes are connected in parallel, so connecting
  /// to any number of nodes fails within about this long.
  std::chrono::milliseconds timeout{3000};
  /// After a node went down, the cluster connects to it again (same
  /// address, same `timeout`, a full handshake) this long later, then
  /// doubles the delay after each failed attempt, up to
  /// `reconnect_max_backoff`. Once connected, groups use the node again. 0
  /// never reconnects.
  std::chrono::milliseconds reconnect_backoff{100};
  /// The longest delay between two attempts to connect to a node again.
  std::chrono::milliseconds reconnect_max_backoff{5000};
  /// What the guard in front of CAF lets through from nodes (payload limits,
  /// stalled frames; the node's handshake must come within `timeout`).
  guard_options guard{};
};

namespace detail {
class cluster_state;
} // namespace detail

/// Connections to nodes, shared by every group spread over them
/// (`spread()` in remote_executor.hpp). Copies share one set. It watches
/// each node: once a node dies or its connection times out (see
/// `network_options`), every group stops sending to it, and the cluster
/// tries to connect to it again (see `connect_options`). Each node says at
/// connect which tasks it offers; groups send a task only to nodes that
/// offer it.
class cluster {
public:
  /// Connects to every node, in parallel. Fails, within `opts.timeout`, with
  /// an error naming the first node that could not be reached, and why
  /// (refused, timed out, handshake failed, TLS rejected). Fails too when two
  /// addresses reach the same node ("127.0.0.1:4242 and localhost:4242 are
  /// the same node"). Uses TLS when the actor system was configured with it.
  static expected<cluster> connect(caf::actor_system& sys,
                                   const std::vector<node_address>& nodes,
                                   const connect_options& opts = {});

  /// Same, from "host:port,host:port".
  static expected<cluster> connect(caf::actor_system& sys,
                                   const std::string& nodes,
                                   const connect_options& opts = {});

  /// Number of nodes.
  std::size_t size() const noexcept;

  /// "host:port" of node `i`.
  const std::string& name(std::size_t i) const;

  /// The node actor of node `i`.
  caf::actor handle(std::size_t i) const;

  /// False while node `i` is down or unreachable (true again once it came
  /// back and the cluster connected to it again).
  bool alive(std::size_t i) const;

  /// The tasks node `i` offers, as "echo, fib" ("tasks unknown" for a node
  /// that came back but did not say again; `connect` refuses a peer that
  /// does not say).
  std::string offers(std::size_t i) const;

  /// Asks node `i` for its counters. A node that is down (`alive(i)` is
  /// false) fails at once with `errc::node_down` naming it; one that does not
  /// answer within `timeout` fails with an error saying so.
  expected<node_report> stats(std::size_t i,
                              std::chrono::milliseconds timeout
                              = std::chrono::seconds(5)) const;

  /// @private
  explicit cluster(std::shared_ptr<detail::cluster_state> st)
    : st_(std::move(st)) {
  }

  /// @private
  const std::shared_ptr<detail::cluster_state>& state() const noexcept {
    return st_;
  }

private:
  std::shared_ptr<detail::cluster_state> st_;
};

} // namespace parallel::remote
