// guard_options: the limits of the guard in front of CAF's BASP parser.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace parallel::remote {

/// Limits of the BASP guard (docs/distributed.md, "Trust model").
///
/// CAF 0.17.6 parses whatever a peer sends: a handshake header without a
/// payload crashes it, a payload length is allocated as claimed, and silent
/// connections stay open. So neither a node nor a client lets a peer's bytes
/// reach CAF directly: a guard reads every BASP frame header first and closes
/// the connection (with one line of log) at the first frame that breaks these
/// limits or BASP's rules. A node's middleman listens on loopback only; the
/// guard owns the public port (and terminates TLS). A client's middleman
/// connects to a loopback endpoint of the guard, which connects to the node.
struct guard_options {
  /// The largest payload of a handshake or a monitor frame. CAF's own are
  /// well under 1 KiB.
  uint32_t max_handshake_bytes = 4096;
  /// The largest payload of a message (a task's request or reply, a down
  /// notice). Raise it for tasks that move more data per call.
  uint32_t max_message_bytes = 8u << 20;
  /// On a node: a client must complete its TLS (if any) and BASP handshake
  /// within this long of connecting. On a client, `connect_options::timeout`
  /// bounds the node's handshake instead.
  std::chrono::milliseconds handshake_timeout{5000};
  /// A frame that has begun must keep arriving: no byte of it for this long
  /// closes the connection.
  std::chrono::milliseconds stall_timeout{10000};
  /// On a node: connections at once, handshaken or not; more are refused.
  std::size_t max_connections = 256;
  /// On a node: connections still in their handshake at once. A newcomer
  /// over it closes the oldest of the source holding the most (a source
  /// that completed a handshake in the last hour and holds at most 4 goes
  /// last), so that silent connections cannot lock out real clients.
  std::size_t max_handshaking = 64;
  /// On a node: new connections one source (an IPv4 address, or an IPv6
  /// /64) may open a second, on average, in bursts of up to twice as many;
  /// more are closed at once, before any TLS work, since every TLS handshake
  /// costs the thread that serves all clients a signature. A client's
  /// connect takes two connections. 0 (the default): no limit, because
  /// clients behind one NAT address, or on one host, share a source.
  std::size_t max_connects_per_source = 0;
  /// On a node: new connections a second, node-wide, from sources that have
  /// not completed a TLS and BASP handshake in the last hour, in bursts of up
  /// to twice as many; more are closed at once, before any TLS work. Sources
  /// that completed one first use a rate of their own (2 a second, bursts
  /// of 4), then this one. Against a flood of ClientHellos from
  /// many addresses (which the per-source limit cannot stop), clients served
  /// before keep getting in, while new sources share this rate. 0 (the
  /// default): no limit.
  std::size_t max_connects_from_new_sources = 0;
  /// On a node that stopped: how long the guard keeps relaying the answers
  /// the middleman still writes to clients before it closes their
  /// connections anyway.
  std::chrono::milliseconds drain_timeout{2000};
  /// Where the guard's one-line reports go (a closed or refused connection
  /// and why). Empty: standard error.
  std::function<void(const std::string&)> log;
};

} // namespace parallel::remote
