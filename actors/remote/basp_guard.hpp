// basp_guard: the I/O loop that stands between CAF's middleman and the
// network, and checks every BASP frame a peer sends (private).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "connect_cancel.hpp"
#include "guard_tls.hpp"
#include "known_sources.hpp"
#include "new_source_budget.hpp"
#include "source_rate_limit.hpp"
#include "parallel/error.hpp"
#include "parallel/remote/guard_options.hpp"

namespace caf::io::network {
class default_multiplexer;
} // namespace caf::io::network

namespace parallel::remote::detail {

class multiplexer_slot;

/// A client's guarded way to one node: the loopback port its middleman
/// connects to, and why the guard closed the connection, if it did.
class guarded_link {
public:
  explicit guarded_link(uint16_t port) : port_(port) {
  }

  /// The loopback port for CAF's middleman (127.0.0.1).
  uint16_t port() const noexcept {
    return port_;
  }

  /// Why the guard closed this link ("" while open or closed by a side).
  std::string reason() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return reason_;
  }

  /// @private: set on the multiplexer's thread.
  void set_reason(std::string why) {
    std::lock_guard<std::mutex> guard{mtx_};
    reason_ = std::move(why);
  }

private:
  uint16_t port_;
  mutable std::mutex mtx_;
  std::string reason_;
};

/// One epoll set, relaying byte streams between untrusted peers ("outside",
/// over TCP or TLS) and CAF's middleman ("inside", plain TCP on loopback).
/// Bytes from outside go inside only after `frame_check` passed them; bytes
/// from inside go out as they are. A connection that breaks a rule, misses
/// its handshake deadline or stalls mid-frame is closed on both sides, with
/// one line of log.
///
/// The epoll set is served by the middleman's own I/O thread (see
/// `multiplexer_slot`), not by a thread of the guard's: waking a thread per
/// relayed frame cost more than the relaying. The public functions may be
/// called from any thread but that one; they hand their work to it.
///
/// On a node (`serve`) the guard owns the public port and connects every
/// accepted peer to the middleman's loopback port. On a client (`open_link`)
/// it connects to the node and offers the middleman a loopback port of its
/// own for that connection.
class basp_guard {
public:
  /// Joins the loop of `mpx` (a middleman's multiplexer, which must outlive
  /// the guard, or see it `close`d). `name` starts every log line.
  basp_guard(caf::io::network::default_multiplexer& mpx, guard_options opts,
             std::string name);

  /// Closes every connection and leaves the loop (`close`).
  ~basp_guard();

  /// Closes every connection and the public port, ends what waits (such an
  /// `open_link` fails), and leaves the multiplexer's loop; later calls fail
  /// or do nothing. Blocks until done, unless called on the multiplexer's
  /// thread, which does it at once.
  void close();

  basp_guard(const basp_guard&) = delete;
  basp_guard& operator=(const basp_guard&) = delete;

  /// Node side: listens on `host`:`port` ("" or "0.0.0.0": every interface;
  /// port 0: any) and relays each peer to 127.0.0.1:`inside_port`. With a
  /// `tls` context, peers speak TLS to the guard. `local_node` is the node's
  /// id as CAF serializes it (see `frame_check`). A peer whose handshake
  /// declares the node id of another open connection, or the node's own,
  /// is not relayed: a CAF client's redundant second connection (or one to
  /// its own actor system) gets the node's handshake and closes; anything
  /// more it sends closes it. A host name that does not resolve within
  /// `lookup_timeout` fails. Returns the port.
  expected<uint16_t> serve(const std::string& host, uint16_t port,
                           uint16_t inside_port, tls_context tls,
                           std::string local_node,
                           std::chrono::milliseconds lookup_timeout);

  /// Node side: closes the public port; relayed connections stay.
  void stop_listening();

  /// Node side, once the middleman is closing its connections: stops
  /// accepting, stops relaying bytes from peers, and ends each connection
  /// only after the middleman closed its side and every byte it wrote went
  /// to the peer (then a graceful close: TLS close_notify, FIN, and the
  /// peer's close). What is still open after `guard_options::drain_timeout`
  /// is closed anyway. Blocks until every connection is closed; returns how
  /// many had to be closed at the deadline.
  std::size_t drain();

  /// Client side: connects to the node at `host`:`port`, completes TLS (with
  /// a `tls` context) and waits for the node's BASP handshake, all before
  /// `deadline`; then returns a link whose loopback port relays the node to
  /// the first connection it accepts, which gets the node's handshake at
  /// once. The node's frames are checked against `limits` and the client's
  /// node id `local_node` (as CAF serializes it). Fails with the guard's
  /// reason if the connection closed, the deadline passed or `cancel` (if
  /// any) ran first.
  expected<std::shared_ptr<guarded_link>>
  open_link(const std::string& host, uint16_t port, tls_context tls,
            std::chrono::steady_clock::time_point deadline,
            const guard_options& limits, std::string local_node,
            const std::shared_ptr<connect_cancel>& cancel = nullptr);

private:
  struct conn;
  struct slot;

  // Handles what the epoll set has now (on the multiplexer's thread).
  void serve_events();
  // Runs `fn` on the multiplexer's thread; false once the guard is closed.
  bool post(std::function<void()> fn);
  void tear_down();
  void on_event(slot& s, uint32_t events);
  void accept_public();
  // Places at the handshake cap a known source may hold and still be evicted
  // last: two connects, a probe and a link each.
  static constexpr std::size_t known_places = 4;
  // Closes the served connection longest in its handshake from the source
  // (source_of) with the most such connections, preferring among equals a
  // source not known (known_sources), and a known source holding at most
  // `known_places` last of all; false if there is none.
  bool evict_oldest_handshaking();
  void accept_link(conn& c);
  void start_inside(conn& c);
  void pump(conn& c);
  bool read_outside(conn& c);
  static bool answers_pile_up(const conn& c);
  bool bind_peer(conn& c);
  void tell_ready(conn& c, const std::string& why);
  bool read_inside(conn& c);
  // Reads from a plain socket into scratch_: the byte count; 0 at the end of
  // the stream (sets `eof`); -1 if nothing is there now (clears `ready`).
  long recv_scratch(int fd, bool& ready, bool& eof);
  bool flush_inside(conn& c);
  bool flush_outside(conn& c);
  void watch(conn& c);
  void set_mask(int fd, slot& s, uint32_t& current, uint32_t wanted);
  void sweep();
  void start_drain(conn& c);
  void check_drained();
  void fail(conn& c, const std::string& why);
  std::string tls_failed(conn& c);
  void close_conn(conn& c);
  void log(const std::string& line);

  guard_options opts_;
  std::string name_;
  caf::io::network::default_multiplexer& mpx_;
  int epoll_ = -1;
  int wake_ = -1;                // an eventfd: `post` has work for the loop
  int tick_ = -1;                // a timerfd: time to check deadlines
  std::mutex mtx_;
  std::vector<std::function<void()>> posted_;
  bool closed_ = false;         // refuses `post`
  bool torn_down_done_ = false; // `tear_down` finished

  // Multiplexer thread only.
  multiplexer_slot* mpx_slot_ = nullptr; // owns epoll_
  bool torn_down_ = false;
  int public_fd_ = -1;
  bool public_paused_ = false;
  std::string public_name_;
  uint16_t inside_port_ = 0;
  std::string local_node_;       // node side: the node's id, serialized
  /// Node side: the node id each handshaken connection declared.
  std::unordered_map<std::string, conn*> bound_;
  tls_context public_tls_;
  std::unique_ptr<slot> public_slot_;
  std::unique_ptr<slot> wake_slot_;
  std::unique_ptr<slot> tick_slot_;
  std::unordered_set<conn*> conns_;
  std::vector<conn*> dead_;
  std::size_t served_ = 0;       // connections accepted on the public port, open
  std::size_t handshaking_ = 0;  // ... of which still in their handshake
  source_rate_limit connects_;   // node side: new connections per source
  known_sources known_;          // node side: sources that completed a handshake
  new_source_budget new_sources_; // node side: new connections from the others
  std::chrono::steady_clock::time_point log_second_;
  std::size_t logged_ = 0;
  std::size_t suppressed_ = 0;
  std::vector<char> scratch_;
  bool draining_ = false;
  std::chrono::steady_clock::time_point drain_deadline_;
  std::size_t drain_forced_ = 0;             // connections closed at the deadline
  std::function<void(std::size_t)> drained_; // tells drain() it is over
};

} // namespace parallel::remote::detail
