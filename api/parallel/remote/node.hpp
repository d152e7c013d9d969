// node: serves a registry's tasks to client groups over CAF's middleman.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "parallel/error.hpp"
#include "parallel/remote/guard_options.hpp"
#include "parallel/remote/registry.hpp"

namespace parallel::remote {

/// Where and how a node serves.
struct node_options {
  /// The address to listen on. Loopback unless told otherwise; "0.0.0.0"
  /// (or "") listens on every interface.
  std::string host = "127.0.0.1";
  /// How long looking `host` up may take when it is a name (a numeric
  /// address needs no lookup): a name service that does not answer in time
  /// fails `node::start` rather than holding it for the system resolver's
  /// own timeouts.
  std::chrono::milliseconds host_lookup_timeout{10000};
  /// 0 picks a free port (see `node::port()`).
  uint16_t port = 0;
  /// Tasks running at once on this node, over all clients; more wait in the
  /// node's queue. 0 means no limit.
  std::size_t max_in_flight = 16;
  /// After `node::stop()`, how long the node waits for its cancelled tasks
  /// to return before it stops serving anyway (`wait_stopped` then reports
  /// the tasks that did not return).
  std::chrono::milliseconds stop_grace{5000};
  /// What the guard in front of CAF lets through from clients (limits,
  /// deadlines, connection caps): see `guard_options`.
  guard_options guard{};
};

/// A node's counters (`node::stats()`, `cluster::stats()`).
struct node_report {
  uint64_t received = 0;     ///< run requests received
  uint64_t running = 0;      ///< tasks running right now
  uint64_t peak_running = 0; ///< the most tasks that ran at once
  uint64_t completed = 0;    ///< tasks that returned a value
  uint64_t failed = 0;       ///< tasks that returned an error (or were refused)
  uint64_t panicked = 0;     ///< tasks that threw
  uint64_t cancelled = 0;    ///< tasks whose context was cancelled before they returned
};

namespace detail {
class node_state;
} // namespace detail

/// A running node: an actor published on a port that runs the registry's
/// tasks for client groups (`remote_executor.hpp`) on a `parallel::limited`
/// group of its own, so blocking tasks never starve CAF's scheduler. Each
/// task runs under a context of its own, cancelled when its client group is
/// cancelled or abandoned, when the client disconnects, or at the client's
/// deadline. A task's exception is sent back as a panic (type name and
/// `what()`); the node keeps serving.
///
/// Uses TLS when the actor system was configured with it (`configure` with
/// `network_options::tls`).
///
/// Destroying the last copy stops serving (`stop()`). If the node actor has
/// ended by then (after `wait_stopped()`), it first drains: the answers still
/// on their way reach their clients, because it ends the actor system's BASP
/// broker behind them and closes each connection after its last byte (at
/// most `guard_options::drain_timeout`). That ends **every** BASP connection
/// of the actor system, not only the node's: a process that is both a node
/// and a client (a `cluster` on the same actor system) loses its links to
/// its own nodes too. Destroy a node only when the process is done with
/// remote actors, as `parallel-node` is when SIGTERM or SIGINT stopped it
/// (docs/distributed.md, section 2, "Draining").
class node {
public:
  /// Publishes a node serving `reg` on the actor system `sys` (configured
  /// with `configure(cfg, reg, ...)`).
  static expected<node> start(caf::actor_system& sys,
                              std::shared_ptr<const registry> reg,
                              const node_options& opts = {});

  /// The port it listens on.
  uint16_t port() const noexcept;

  /// The node actor (what clients talk to).
  caf::actor handle() const;

  /// Current counters.
  node_report stats() const;

  /// Stops serving, without blocking: stops listening, cancels every
  /// running task and answers it at once as cancelled (`errc::cancelled`,
  /// "the parallel node is shutting down"), refuses later requests the same
  /// way, and ends when the tasks have returned, or after
  /// `node_options::stop_grace`. Idempotent. Exit, error and other system
  /// messages from peers never stop a node: only this does (or the node
  /// actor failing, see `wait_stopped`). Stopping alone leaves the actor
  /// system's connections open; destroying the node after it drains and
  /// closes all of them (see the class comment).
  void stop();

  /// Blocks until the node stopped serving, at most `limit`. Returns nothing
  /// if it still serves; an empty error if it ended after `stop()` with every
  /// task returned; otherwise why it ended (tasks that did not return within
  /// the grace period, or the node actor failed: "the node actor failed:
  /// <type>: <what>" for an exception that escaped one of its handlers, such
  /// as `std::bad_alloc`). A node program should exit non-zero with this
  /// reason, so that a supervisor restarts it.
  std::optional<error> wait_stopped(std::chrono::milliseconds limit
                                    = std::chrono::milliseconds::max()) const;

  /// @private
  explicit node(std::shared_ptr<detail::node_state> st) : st_(std::move(st)) {
  }

private:
  std::shared_ptr<detail::node_state> st_;
};

} // namespace parallel::remote
