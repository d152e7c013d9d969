// The BASP guard's I/O loop.
#include "basp_guard.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <future>
#include <iostream>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <openssl/err.h>

#include "frame_check.hpp"
#include "multiplexer_slot.hpp"
#include "tcp_socket.hpp"

namespace parallel::remote::detail {

namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// Bytes waiting for one side; reading from the other side pauses above it.
constexpr std::size_t high_water = 256 * 1024;

/// Bytes read at once.
constexpr std::size_t chunk = 64 * 1024;

/// How long the guard keeps the middleman's thread at a time, at most (plus
/// the step that crosses it).
constexpr std::chrono::microseconds turn{1000};

/// How often deadlines are checked.
constexpr milliseconds tick{100};

/// Why a guard that was closed refuses work.
constexpr const char* shutting_down = "the actor system's middleman is shutting down";

/// Log lines per second; more are counted and reported as one line.
constexpr std::size_t log_burst = 20;

/// Why a TLS session failed, from OpenSSL's error queue (emptied).
std::string tls_failure_reason() {
  if (ERR_peek_error() == 0)
    return "the peer closed the connection";
  return tls_reason();
}

std::string errno_text(int err) {
  return std::strerror(err);
}

void no_delay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

std::string peer_name(const sockaddr* sa) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
    return std::string{host} + ":" + std::to_string(port);
  }
  if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  }
  // (Appended piece by piece: GCC 12 warns, wrongly, about "[" + string.)
  std::string name{"["};
  name += host;
  name += "]:";
  name += std::to_string(port);
  return name;
}

/// A byte queue: append at the back, consume from the front.
struct byte_queue {
  std::vector<char> buf;
  std::size_t head = 0;

  std::size_t size() const noexcept {
    return buf.size() - head;
  }
  bool empty() const noexcept {
    return size() == 0;
  }
  const char* data() const noexcept {
    return buf.data() + head;
  }
  void append(const char* p, std::size_t n) {
    if (head > 0 && head == buf.size()) {
      buf.clear();
      head = 0;
    }
    buf.insert(buf.end(), p, p + n);
  }
  void consume(std::size_t n) {
    head += n;
    if (head == buf.size()) {
      buf.clear();
      head = 0;
    } else if (head > high_water) {
      buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(head));
      head = 0;
    }
  }
};

/// Sends what `q` holds on the plain socket `fd`. Returns whether anything
/// happened: bytes went out, or the socket failed (then `eof` is set and `q`
/// is emptied).
bool send_queued(int fd, byte_queue& q, bool& eof) {
  auto n = ::send(fd, q.data(), q.size(), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return false;
  if (n <= 0) {
    eof = true;
    q = {};
    return true;
  }
  q.consume(static_cast<std::size_t>(n));
  return true;
}

} // namespace

// -- connections --------------------------------------------------------------

/// What an epoll event points to.
struct basp_guard::slot {
  enum kind_t { outside, inside, link_listener, public_listener, wake, tick } kind;
  conn* owner = nullptr;
};

/// One relayed connection.
struct basp_guard::conn {
  conn(basp_peer peer, const guard_options& limits, std::string local_node)
    : check(peer, limits, std::move(local_node)),
      stall(limits.stall_timeout),
      out_slot{slot::outside, this},
      in_slot{slot::inside, this},
      listener_slot{slot::link_listener, this} {
  }

  frame_check check;
  milliseconds stall;
  std::string peer;               // "host:port" of the untrusted peer
  std::string source;             // what it counts against: source_of (node side)
  bool served = false;            // accepted on the public port (node side)
  bool counted_handshaking = false;
  bool bound = false;             // node side: its node id is in bound_
  bool redundant = false;         // node side: declared a bound node id
  std::string claimed;            // ... whose it is, for the log

  int out_fd = -1;                // the untrusted peer
  SSL* ssl = nullptr;
  bool tls_pending = false;       // the TLS handshake is under way
  uint32_t tls_wants = 0;         // epoll events the TLS layer waits for
  bool out_eof = false;
  bool out_shut = false;          // draining: our FIN (and close_notify) sent
  bool out_ready = true;          // may have bytes to read (saves recv calls)
  uint32_t out_mask = 0;

  int in_fd = -1;                 // CAF's middleman, on loopback
  bool in_connecting = false;
  bool in_eof = false;
  bool in_ready = true;
  uint32_t in_mask = 0;
  uint16_t inside_port = 0;       // node side: where to connect inside

  int listener_fd = -1;           // client side: the loopback port of the link
  uint32_t listener_mask = 0;
  std::shared_ptr<guarded_link> link;
  std::function<void(const std::string&)> log; // client side: the link's own
  /// Client side: tells `open_link` once the node's handshake arrived whole
  /// (""), or why the connection closed before.
  std::function<void(const std::string&)> ready;

  byte_queue to_in;               // checked bytes for the middleman
  byte_queue to_out;              // the middleman's bytes for the peer
  clock::time_point handshake_deadline;
  clock::time_point last_outside; // last byte from the peer
  clock::time_point last_any;     // last byte either way
  bool dead = false;

  slot out_slot;
  slot in_slot;
  slot listener_slot;
};

/// Node side: the peer does not read what the middleman answers it. The guard
/// then stops reading that peer until it does: CAF would otherwise buffer,
/// without bound, an answer for every request it keeps sending (measured:
/// +385 MB of RSS in 30 s from requests to an actor that does not exist). A
/// CAF client reads all the time, so it is paused only while the answers
/// pile up, and its heartbeats go through whenever they drain. Not on the
/// client side: the node's guard may be paused on this client, and a client
/// that stopped reading the node in turn would leave both stuck.
bool basp_guard::answers_pile_up(const conn& c) {
  return c.served && c.to_out.size() >= high_water;
}

// -- life cycle ---------------------------------------------------------------

basp_guard::basp_guard(caf::io::network::default_multiplexer& mpx,
                       guard_options opts, std::string name)
  : opts_(std::move(opts)), name_(std::move(name)), mpx_(mpx),
    connects_(opts_.max_connects_per_source),
    new_sources_(opts_.max_connects_from_new_sources), scratch_(chunk) {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  tick_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  itimerspec every_tick{};
  every_tick.it_interval.tv_nsec = std::chrono::nanoseconds{tick}.count();
  every_tick.it_value = every_tick.it_interval;
  timerfd_settime(tick_, 0, &every_tick, nullptr);
  wake_slot_ = std::make_unique<slot>(slot{slot::wake, nullptr});
  tick_slot_ = std::make_unique<slot>(slot{slot::tick, nullptr});
  for (auto [fd, s] : {std::pair{wake_, wake_slot_.get()}, std::pair{tick_, tick_slot_.get()}}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = s;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  }
  log_second_ = clock::now();
  mpx_slot_ = new multiplexer_slot(mpx_, epoll_, [this] { serve_events(); });
  mpx_.dispatch([slot = mpx_slot_] {
    // OpenSSL writes with write(2): a vanished TLS peer would raise SIGPIPE
    // on this thread, and that would end the process.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    slot->enter();
  });
}

basp_guard::~basp_guard() {
  close();
}

void basp_guard::close() {
  {
    // Only a finished teardown lets us go: one under way on the
    // multiplexer's thread still uses this object, and the teardown
    // dispatched below runs after it.
    std::lock_guard<std::mutex> guard{mtx_};
    if (torn_down_done_)
      return;
  }
  if (std::this_thread::get_id() == mpx_.thread_id()) {
    tear_down();
    return;
  }
  auto done = std::make_shared<std::promise<void>>();
  auto over = done->get_future();
  mpx_.dispatch([this, done] {
    tear_down();
    done->set_value();
  });
  over.wait();
}

void basp_guard::tear_down() {
  std::vector<std::function<void()>> todo;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (closed_)
      return;
    closed_ = true;
    todo.swap(posted_);
  }
  // What was handed over still runs, so that a waiting `open_link` learns
  // why it failed once its connection is closed below.
  for (auto& fn : todo)
    fn();
  torn_down_ = true;
  draining_ = false;
  auto open = std::vector<conn*>(conns_.begin(), conns_.end());
  for (auto* c : open) {
    if (c->ready && c->link)
      c->link->set_reason(shutting_down);
    close_conn(*c);
  }
  for (auto* c : dead_)
    delete c;
  dead_.clear();
  if (drained_) {
    auto done = std::move(drained_);
    drained_ = nullptr;
    done(drain_forced_);
  }
  if (public_fd_ >= 0)
    ::close(public_fd_);
  public_fd_ = -1;
  ::close(wake_);
  ::close(tick_);
  mpx_slot_->release(); // closes epoll_
  mpx_slot_ = nullptr;
  std::lock_guard<std::mutex> guard{mtx_};
  torn_down_done_ = true;
}

bool basp_guard::post(std::function<void()> fn) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (closed_)
    return false;
  posted_.push_back(std::move(fn));
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_, &one, sizeof(one));
  return true;
}

void basp_guard::log(const std::string& line) {
  auto now = clock::now();
  auto emit = [&](const std::string& text) {
    if (opts_.log)
      opts_.log(text);
    else
      std::cerr << text << std::endl;
  };
  if (now - log_second_ >= std::chrono::seconds{1}) {
    if (suppressed_ > 0)
      emit(name_ + ": " + std::to_string(suppressed_) + " more lines not shown");
    log_second_ = now;
    logged_ = 0;
    suppressed_ = 0;
  }
  if (logged_++ < log_burst)
    emit(name_ + ": " + line);
  else
    ++suppressed_;
}

// -- the loop -----------------------------------------------------------------

void basp_guard::serve_events() {
  epoll_event events[64];
  int n = epoll_wait(epoll_, events, 64, 0);
  // The middleman's connections wait while this runs: a burst of TLS
  // handshakes (a signature each, 258 us with RSA-2048) gets a turn, not
  // the thread.
  // What is left is reported again in the next round (level-triggered).
  auto until = clock::now() + turn;
  for (int i = 0; i < n && !torn_down_; ++i) {
    on_event(*static_cast<slot*>(events[i].data.ptr), events[i].events);
    if (clock::now() >= until)
      break;
  }
  for (auto* c : dead_)
    delete c;
  dead_.clear();
}

void basp_guard::on_event(slot& s, uint32_t events) {
  switch (s.kind) {
    case slot::wake: {
      uint64_t count;
      [[maybe_unused]] auto n = ::read(wake_, &count, sizeof(count));
      std::vector<std::function<void()>> todo;
      {
        std::lock_guard<std::mutex> guard{mtx_};
        todo.swap(posted_);
      }
      for (auto& fn : todo)
        fn();
      return;
    }
    case slot::tick: {
      uint64_t count;
      [[maybe_unused]] auto n = ::read(tick_, &count, sizeof(count));
      sweep();
      return;
    }
    case slot::public_listener:
      accept_public();
      return;
    case slot::link_listener:
      if (!s.owner->dead)
        accept_link(*s.owner);
      return;
    case slot::outside: {
      auto& c = *s.owner;
      if (c.dead)
        return;
      if ((events & (EPOLLHUP | EPOLLERR)) && !(c.out_mask & EPOLLIN)) {
        // Not reading it now, so its hang-up would be reported forever.
        close_conn(c);
        return;
      }
      if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        c.out_ready = true;
      pump(c);
      return;
    }
    case slot::inside: {
      auto& c = *s.owner;
      if (c.dead)
        return;
      if (c.in_connecting) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(c.in_fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          fail(c, "cannot reach the local middleman: " + errno_text(err));
          return;
        }
        c.in_connecting = false;
      } else if ((events & (EPOLLHUP | EPOLLERR)) && !(c.in_mask & EPOLLIN)) {
        close_conn(c);
        return;
      }
      if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        c.in_ready = true;
      pump(c);
      return;
    }
  }
}

void basp_guard::accept_public() {
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int fd = accept4(public_fd_, reinterpret_cast<sockaddr*>(&ss), &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop accepting until the next tick rather than
        // spin on a listener that stays readable.
        log("cannot accept: " + errno_text(errno) + " (pausing for "
            + std::to_string(tick.count()) + " ms)");
        epoll_ctl(epoll_, EPOLL_CTL_DEL, public_fd_, nullptr);
        public_paused_ = true;
      }
      return;
    }
    auto* sa = reinterpret_cast<sockaddr*>(&ss);
    auto source = source_of(sa);
    auto who = peer_name(sa);
    auto now = clock::now();
    if (!connects_.admit(source, now)) {
      log("refused " + who + ": more than "
          + std::to_string(opts_.max_connects_per_source)
          + " new connections a second (bursts of twice that) from " + source
          + " (the limit)");
      ::close(fd);
      continue;
    }
    if (served_ >= opts_.max_connections) {
      log("refused " + who + ": " + std::to_string(served_)
          + " connections open (the limit)");
      ::close(fd);
      continue;
    }
    // After the connection cap, so that a refused connection spends no
    // token; before the handshake cap, which may evict a connection.
    if (!new_sources_.admit(source, known_, now)) {
      log("refused " + who + ": more than "
          + std::to_string(opts_.max_connects_from_new_sources)
          + " new connections a second (bursts of twice that) from sources "
            "without a completed handshake in the last hour (the limit)");
      ::close(fd);
      continue;
    }
    if (handshaking_ >= opts_.max_handshaking && !evict_oldest_handshaking()) {
      log("refused " + who + ": " + std::to_string(handshaking_)
          + " connections still in their handshake (the limit)");
      ::close(fd);
      continue;
    }
    no_delay(fd);
    auto* c = new conn(basp_peer::client, opts_, local_node_);
    conns_.insert(c);
    c->peer = who;
    c->source = source;
    c->served = true;
    ++served_;
    c->counted_handshaking = true;
    ++handshaking_;
    c->out_fd = fd;
    c->inside_port = inside_port_;
    c->handshake_deadline = now + opts_.handshake_timeout;
    c->last_outside = c->last_any = now;
    if (public_tls_) {
      c->ssl = SSL_new(public_tls_.get());
      if (c->ssl == nullptr) {
        fail(*c, "cannot start TLS: " + tls_reason());
        continue;
      }
      SSL_set_fd(c->ssl, fd);
      SSL_set_accept_state(c->ssl);
      c->tls_pending = true;
    } else {
      // BASP's server speaks first: connect the middleman at once.
      start_inside(*c);
      if (c->dead)
        continue;
    }
    pump(*c);
  }
}

bool basp_guard::evict_oldest_handshaking() {
  // The newcomer gets the place of the connection that has waited longest
  // for its handshake, among those of the source (source_of) that holds
  // the most places. Refusing newcomers instead would let an attacker who renews
  // silent connections before their deadline keep every new client out;
  // evicting the oldest of all would let one source that floods handshakes
  // push out every other source's client (measured: 2,640 replayed
  // ClientHellos a second from one address failed every connect from
  // another). Now a flood from one address evicts its own connections.
  // A source that completed a handshake lately (known_) and holds at most
  // `known_places` comes last: a flood from many addresses, each holding
  // as few places as a client, evicted the client's connection as readily
  // as its own (measured: 64 addresses). Beyond that, one handshake would
  // let an address hold the whole cap against new clients.
  struct places {
    std::size_t count = 0;
    conn* oldest = nullptr;
    bool known = false;
  };
  auto now = clock::now();
  std::unordered_map<std::string_view, places> by_source;
  for (auto* c : conns_) {
    if (!c->served || !c->counted_handshaking)
      continue;
    auto& p = by_source[c->source];
    if (p.count++ == 0)
      p.known = known_.contains(c->source, now);
    if (p.oldest == nullptr || c->handshake_deadline < p.oldest->handshake_deadline)
      p.oldest = c;
  }
  // A known source holding no more places than a few clients' connects
  // take last; otherwise the most places first (a known source that floods
  // is evicted like any other), then not known before known, then the
  // oldest.
  auto shielded = [](const places& p) { return p.known && p.count <= known_places; };
  auto evict_first = [&](const places& a, const places& b) {
    if (shielded(a) != shielded(b))
      return !shielded(a);
    if (a.count != b.count)
      return a.count > b.count;
    if (a.known != b.known)
      return !a.known;
    return a.oldest->handshake_deadline < b.oldest->handshake_deadline;
  };
  const places* victim = nullptr;
  for (auto& [source, p] : by_source)
    if (victim == nullptr || evict_first(p, *victim))
      victim = &p;
  if (victim == nullptr)
    return false;
  auto* c = victim->oldest;
  fail(*c, "the oldest of " + std::to_string(victim->count) + " of "
             + std::to_string(handshaking_)
             + " connections still in their handshake (the limit) from "
             + c->source
             + (victim->known ? "" : " (no handshake completed from there lately)")
             + ", closed to make room for a new one");
  return true;
}

void basp_guard::accept_link(conn& c) {
  int fd = accept4(c.listener_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0)
    return;
  if (c.in_fd >= 0) {
    // One middleman connection per link; the listener stays open only so
    // that its port is not handed out again while the link lives.
    ::close(fd);
    return;
  }
  no_delay(fd);
  c.in_fd = fd;
  pump(c);
}

void basp_guard::start_inside(conn& c) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail(c, "cannot reach the local middleman: " + errno_text(errno));
    return;
  }
  no_delay(fd);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(c.inside_port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  c.in_fd = fd;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    if (errno != EINPROGRESS) {
      fail(c, "cannot reach the local middleman: " + errno_text(errno));
      return;
    }
    c.in_connecting = true;
  }
}

// -- relaying -----------------------------------------------------------------

std::string basp_guard::tls_failed(conn& c) {
  auto reason = tls_failure_reason();
  if (c.served)
    return "TLS handshake failed: " + reason;
  return "the TLS handshake failed (certificate rejected by either side, or the "
         "node does not use TLS): " + reason;
}

void basp_guard::pump(conn& c) {
  if (c.tls_pending) {
    ERR_clear_error();
    int rc = SSL_do_handshake(c.ssl);
    if (rc == 1) {
      c.tls_pending = false;
      c.tls_wants = 0;
      if (c.served && c.in_fd < 0) {
        start_inside(c);
        if (c.dead)
          return;
      }
    } else {
      int err = SSL_get_error(c.ssl, rc);
      if (err == SSL_ERROR_WANT_READ) {
        c.tls_wants = EPOLLIN;
      } else if (err == SSL_ERROR_WANT_WRITE) {
        c.tls_wants = EPOLLOUT;
      } else {
        fail(c, tls_failed(c));
        return;
      }
    }
  }
  for (bool progress = true; progress && !c.dead;) {
    progress = false;
    bool inside_up = c.in_fd >= 0 && !c.in_connecting;
    // Level-triggered epoll reports a socket again while it has bytes, so a
    // side is read only after an event or a full read, not until EAGAIN.
    if (!c.tls_pending && !c.out_eof && c.to_in.size() < high_water && !answers_pile_up(c)
        && (c.out_ready || (c.ssl != nullptr && SSL_pending(c.ssl) > 0)))
      progress |= read_outside(c);
    if (!c.dead && inside_up && !c.in_eof && c.in_ready
        && c.to_out.size() < high_water)
      progress |= read_inside(c);
    if (!c.dead && inside_up && !c.to_in.empty())
      progress |= flush_inside(c);
    if (!c.dead && !c.tls_pending && !c.to_out.empty())
      progress |= flush_outside(c);
  }
  if (c.dead)
    return;
  if (c.out_eof && c.ready) {
    // Client side: the node left before its handshake was whole. Its bytes
    // wait for a middleman that connects only after the handshake, so no
    // side is left to hand them to.
    close_conn(c);
    return;
  }
  // One side left: hand the other what is left for it, then close.
  bool peer_gone = c.out_eof && (c.to_in.empty() || c.in_eof);
  bool inside_done = c.in_eof && (c.to_out.empty() || c.out_eof);
  if (draining_ && inside_done && !peer_gone) {
    // Everything the middleman wrote is out: close our side and wait for
    // the peer to close its own, so that no reset overtakes the last bytes.
    if (!c.out_shut) {
      c.out_shut = true;
      if (c.ssl != nullptr) {
        ERR_clear_error();
        SSL_shutdown(c.ssl); // close_notify; the peer's is not awaited
        ERR_clear_error();
      }
      ::shutdown(c.out_fd, SHUT_WR);
    }
  } else if (peer_gone || inside_done) {
    close_conn(c);
    return;
  }
  watch(c);
}

bool basp_guard::read_outside(conn& c) {
  long n;
  if (c.ssl != nullptr) {
    ERR_clear_error();
    n = SSL_read(c.ssl, scratch_.data(), static_cast<int>(scratch_.size()));
    if (n <= 0) {
      int err = SSL_get_error(c.ssl, static_cast<int>(n));
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        c.out_ready = false;
        return false;
      }
      if (err != SSL_ERROR_ZERO_RETURN && !c.check.handshake_done()) {
        // With TLS 1.3 a refused certificate shows after the handshake.
        fail(c, tls_failed(c));
        return false;
      }
      ERR_clear_error();
      c.out_eof = true;
      return true;
    }
  } else {
    n = recv_scratch(c.out_fd, c.out_ready, c.out_eof);
    if (n <= 0)
      return n == 0; // 0: end of stream; -1: nothing to read now
  }
  auto bytes = static_cast<std::size_t>(n);
  if (draining_) {
    // The middleman is going away: what a peer still sends is not relayed,
    // only read, so that closing does not reset the connection.
    c.last_outside = c.last_any = clock::now();
    return true;
  }
  if (c.redundant) {
    // CAF's client closes its redundant connection once it has the node's
    // handshake, without sending more.
    fail(c, "its handshake declared node " + frame_check::node_text(c.check.peer_node())
              + ", " + c.claimed + ", and it sent more");
    return false;
  }
  bool was_done = c.check.handshake_done();
  bool knew_peer = !c.check.peer_node().empty();
  if (auto why = c.check.feed(scratch_.data(), bytes); !why.empty()) {
    fail(c, "it sent " + why);
    return false;
  }
  if (c.served && !knew_peer && !c.check.peer_node().empty() && !bind_peer(c)) {
    // Not relayed: not even the handshake reaches the middleman.
    c.last_outside = c.last_any = clock::now();
    return !c.dead;
  }
  if (!was_done && c.check.handshake_done() && c.counted_handshaking) {
    c.counted_handshaking = false;
    --handshaking_;
    known_.completed(c.source, clock::now()); // TLS too, if any
  }
  c.to_in.append(scratch_.data(), bytes);
  c.last_outside = c.last_any = clock::now();
  if (!was_done && c.check.handshake_done())
    tell_ready(c, "");
  return true;
}

void basp_guard::tell_ready(conn& c, const std::string& why) {
  if (!c.ready)
    return;
  auto fn = std::move(c.ready);
  c.ready = nullptr;
  fn(why);
}

bool basp_guard::bind_peer(conn& c) {
  auto& id = c.check.peer_node();
  if (id == local_node_) {
    // CAF would route this node's own id to the peer: its routed messages
    // would come from the node's local actors, its direct messages from
    // proxies equal to them.
    c.claimed = "this node's own";
  } else {
    auto [i, fresh] = bound_.emplace(id, &c);
    if (fresh) {
      c.bound = true;
      return true;
    }
    // CAF's routing table would make this connection another route to that
    // node (instance::handle, client_handshake: add_alternative, or with
    // select_connection the route): its direct messages would come from
    // that node's actors, and the node's messages for them would go here.
    c.claimed = "connected already through " + i->second->peer;
  }
  // A CAF client opens such a connection when it connects to a node it is
  // connected to already, or to its own actor system; it closes it once it
  // has the node's handshake, sending nothing more.
  if (!c.check.only_handshake()) {
    fail(c, "its handshake declared node " + frame_check::node_text(id) + ", "
              + c.claimed + ", and it sent more");
    return false;
  }
  c.redundant = true;
  return false;
}

long basp_guard::recv_scratch(int fd, bool& ready, bool& eof) {
  auto n = ::recv(fd, scratch_.data(), scratch_.size(), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    ready = false;
    return -1;
  }
  if (n <= 0) {
    eof = true; // end of stream, or an error that ends it
    return 0;
  }
  if (static_cast<std::size_t>(n) < scratch_.size())
    ready = false; // drained for now
  return n;
}

bool basp_guard::read_inside(conn& c) {
  auto n = recv_scratch(c.in_fd, c.in_ready, c.in_eof);
  if (n <= 0)
    return n == 0;
  c.to_out.append(scratch_.data(), static_cast<std::size_t>(n));
  c.last_any = clock::now();
  return true;
}

bool basp_guard::flush_inside(conn& c) {
  if (!send_queued(c.in_fd, c.to_in, c.in_eof))
    return false;
  if (!c.in_eof)
    c.last_any = clock::now();
  return true;
}

bool basp_guard::flush_outside(conn& c) {
  if (c.ssl != nullptr) {
    ERR_clear_error();
    long n = SSL_write(c.ssl, c.to_out.data(), static_cast<int>(std::min<std::size_t>(
                                            c.to_out.size(), 1 << 30)));
    if (n <= 0) {
      int err = SSL_get_error(c.ssl, static_cast<int>(n));
      if (err == SSL_ERROR_WANT_WRITE)
        return false;
      if (err == SSL_ERROR_WANT_READ) {
        c.tls_wants = EPOLLIN;
        return false;
      }
      ERR_clear_error();
      c.out_eof = true;
      c.to_out = {};
      return true;
    }
    c.tls_wants = 0;
    c.to_out.consume(static_cast<std::size_t>(n));
  } else if (!send_queued(c.out_fd, c.to_out, c.out_eof)) {
    return false;
  } else if (c.out_eof) {
    return true;
  }
  c.last_any = clock::now();
  return true;
}

void basp_guard::set_mask(int fd, slot& s, uint32_t& current, uint32_t wanted) {
  if (fd < 0 || wanted == current)
    return;
  epoll_event ev{};
  ev.events = wanted;
  ev.data.ptr = &s;
  if (current == 0)
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  else if (wanted == 0)
    epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
  else
    epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &ev);
  current = wanted;
}

void basp_guard::watch(conn& c) {
  uint32_t out = 0;
  if (c.tls_pending) {
    out = c.tls_wants;
  } else {
    if (!c.out_eof && c.to_in.size() < high_water && !answers_pile_up(c))
      out |= EPOLLIN;
    if (!c.to_out.empty())
      out |= EPOLLOUT;
    out |= c.tls_wants;
  }
  set_mask(c.out_fd, c.out_slot, c.out_mask, out);
  uint32_t in = 0;
  if (c.in_fd >= 0) {
    if (c.in_connecting) {
      in = EPOLLOUT;
    } else {
      if (!c.in_eof && c.to_out.size() < high_water)
        in |= EPOLLIN;
      if (!c.to_in.empty())
        in |= EPOLLOUT;
    }
  }
  set_mask(c.in_fd, c.in_slot, c.in_mask, in);
  set_mask(c.listener_fd, c.listener_slot, c.listener_mask, EPOLLIN);
}

// -- deadlines and closing ----------------------------------------------------

void basp_guard::sweep() {
  auto now = clock::now();
  connects_.forget_refilled(now);
  known_.forget_expired(now);
  new_sources_.forget_refilled(now);
  std::vector<std::pair<conn*, std::string>> late;
  for (auto* c : conns_) {
    if (!c->served && c->in_fd < 0 && c->check.handshake_done()
        && now >= c->handshake_deadline) {
      late.emplace_back(c, "the local middleman did not connect in time");
    } else if (c->redundant && now >= c->handshake_deadline) {
      late.emplace_back(c, "its handshake declared node "
                             + frame_check::node_text(c->check.peer_node()) + ", "
                             + c->claimed + ", and it stayed open");
    } else if (!c->check.handshake_done() && now >= c->handshake_deadline) {
      late.emplace_back(c, c->served ? "no handshake within "
                                         + std::to_string(opts_.handshake_timeout.count())
                                         + " ms"
                                     : std::string{"no BASP handshake from the node within the "
                                                   "connect timeout (is it a parallel node? "
                                                   "does it use TLS?)"});
    } else if (c->check.mid_frame() && now - c->last_outside >= c->stall) {
      late.emplace_back(c, "a frame stalled for "
                             + std::to_string(c->stall.count()) + " ms");
    } else if ((c->out_eof || c->in_eof) && now - c->last_any >= c->stall) {
      late.emplace_back(c, "");
    }
  }
  for (auto& [c, why] : late) {
    if (why.empty())
      close_conn(*c);
    else
      fail(*c, why);
  }
  if (draining_ && now >= drain_deadline_ && !conns_.empty()) {
    auto open = std::vector<conn*>(conns_.begin(), conns_.end());
    log("closed " + std::to_string(open.size())
        + " connection(s) whose last bytes did not leave within "
        + std::to_string(opts_.drain_timeout.count()) + " ms of the shutdown");
    drain_forced_ += open.size();
    for (auto* c : open)
      close_conn(*c);
  }
  if (public_paused_ && public_fd_ >= 0) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = public_slot_.get();
    epoll_ctl(epoll_, EPOLL_CTL_ADD, public_fd_, &ev);
    public_paused_ = false;
  }
}

void basp_guard::fail(conn& c, const std::string& why) {
  if (c.dead)
    return;
  if (c.served) {
    log("closed " + c.peer + ": " + why);
  } else if (c.link) {
    auto line = "closed the connection to node " + c.peer + ": " + why;
    if (c.log)
      c.log(name_ + ": " + line);
    else
      log(line);
    c.link->set_reason(why.rfind("it ", 0) == 0 ? "the node " + why.substr(3)
                                                : why);
  }
  close_conn(c);
}

void basp_guard::close_conn(conn& c) {
  if (c.dead)
    return;
  c.dead = true;
  if (c.ssl != nullptr) {
    SSL_free(c.ssl);
    c.ssl = nullptr;
  }
  for (int* fd : {&c.out_fd, &c.in_fd, &c.listener_fd})
    if (*fd >= 0) {
      ::close(*fd); // also leaves the epoll set
      *fd = -1;
    }
  if (c.bound) {
    auto i = bound_.find(c.check.peer_node());
    if (i != bound_.end() && i->second == &c)
      bound_.erase(i); // a node that reconnects may use its id again
  }
  if (c.served)
    --served_;
  if (c.counted_handshaking)
    --handshaking_;
  if (c.ready) {
    auto why = c.link ? c.link->reason() : std::string{};
    tell_ready(c, why.empty() ? "the node closed the connection before its handshake"
                              : why);
  }
  conns_.erase(&c);
  dead_.push_back(&c);
  check_drained();
}

// -- draining -----------------------------------------------------------------

void basp_guard::start_drain(conn& c) {
  if (c.tls_pending || c.in_fd < 0 || c.in_connecting || !c.check.handshake_done()) {
    close_conn(c); // no answer can be on its way to a peer still shaking hands
    return;
  }
  c.to_in = {};
  pump(c);
}

void basp_guard::check_drained() {
  if (drained_ && conns_.empty()) {
    auto done = std::move(drained_);
    drained_ = nullptr;
    done(drain_forced_);
  }
}

std::size_t basp_guard::drain() {
  auto done = std::make_shared<std::promise<std::size_t>>();
  auto forced = done->get_future();
  bool posted = post([this, done] {
    if (public_fd_ >= 0) {
      ::close(public_fd_);
      public_fd_ = -1;
      public_paused_ = false;
    }
    draining_ = true;
    drain_deadline_ = clock::now() + opts_.drain_timeout;
    drained_ = [done](std::size_t n) { done->set_value(n); };
    for (auto* c : std::vector<conn*>(conns_.begin(), conns_.end()))
      start_drain(*c);
    check_drained();
  });
  if (!posted)
    return 0; // closed: nothing left to drain
  return forced.get();
}

// -- setting up ---------------------------------------------------------------

expected<uint16_t> basp_guard::serve(const std::string& host, uint16_t port,
                                     uint16_t inside_port, tls_context tls,
                                     std::string local_node,
                                     std::chrono::milliseconds lookup_timeout) {
  auto fd = tcp_listen(host, port, SOMAXCONN, clock::now() + lookup_timeout);
  if (!fd)
    return fd.error();
  auto bound = local_port(*fd);
  auto name = (host.empty() ? std::string{"*"} : host) + ":" + std::to_string(bound);
  bool posted = post([this, fd = *fd, inside_port, tls = std::move(tls), name,
                      local_node = std::move(local_node)] {
    public_fd_ = fd;
    local_node_ = local_node;
    inside_port_ = inside_port;
    public_tls_ = tls;
    public_name_ = name;
    public_slot_ = std::make_unique<slot>(slot{slot::public_listener, nullptr});
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = public_slot_.get();
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  });
  if (!posted) {
    ::close(*fd);
    return make_error(shutting_down);
  }
  return bound;
}

void basp_guard::stop_listening() {
  post([this] {
    if (public_fd_ >= 0) {
      ::close(public_fd_);
      public_fd_ = -1;
      public_paused_ = false;
    }
  });
}

expected<std::shared_ptr<guarded_link>>
basp_guard::open_link(const std::string& host, uint16_t port, tls_context tls,
                      clock::time_point deadline, const guard_options& limits,
                      std::string local_node,
                      const std::shared_ptr<connect_cancel>& cancel) {
  auto out = tcp_connect_before(host, port, deadline,
                                cancel ? cancel->readable_at_cancel() : -1);
  if (!out)
    return out.error();
  auto lst = tcp_listen("127.0.0.1", 0, 4, clock::now()); // numeric: no lookup
  if (!lst) {
    ::close(*out);
    return make_error("cannot open a loopback port for the guard: "
                      + parallel::message(lst.error()));
  }
  auto link = std::make_shared<guarded_link>(local_port(*lst));
  SSL* ssl = nullptr;
  if (tls) {
    ssl = SSL_new(tls.get());
    if (ssl == nullptr) {
      ::close(*out);
      ::close(*lst);
      return make_error("cannot start TLS: " + tls_reason());
    }
    SSL_set_fd(ssl, *out);
    SSL_set_connect_state(ssl);
  }
  auto who = host.find(':') != std::string::npos
               ? "[" + host + "]:" + std::to_string(port)
               : host + ":" + std::to_string(port);
  auto ready = std::make_shared<std::promise<std::string>>();
  auto answer = ready->get_future();
  bool posted = post([this, out = *out, lst = *lst, ssl, link, deadline, limits,
                      who, ready, local_node = std::move(local_node)] {
    auto* c = new conn(basp_peer::node, limits, local_node);
    conns_.insert(c);
    c->peer = who;
    c->out_fd = out;
    c->ssl = ssl;
    c->tls_pending = ssl != nullptr;
    c->listener_fd = lst;
    c->link = link;
    c->log = limits.log;
    c->handshake_deadline = deadline;
    c->last_outside = c->last_any = clock::now();
    c->ready = [ready](const std::string& why) { ready->set_value(why); };
    pump(*c);
  });
  if (!posted) {
    if (ssl != nullptr)
      SSL_free(ssl);
    ::close(*out);
    ::close(*lst);
    return make_error(shutting_down);
  }
  // The middleman gets the port only once the node's handshake is here: CAF
  // 0.17.6 closes a connection at its next heartbeat tick unless the peer's
  // handshake arrived by then, and the tick may come at once, so a TLS
  // handshake (or a busy node) would otherwise race the middleman's clock.
  std::size_t cancel_id = 0;
  if (cancel)
    cancel_id = cancel->on_cancel([this, link] {
      post([this, link] {
        for (auto* c : conns_)
          if (c->link == link && c->ready) {
            fail(*c, "the cluster was closed while connecting");
            return;
          }
      });
    });
  auto why = answer.get();
  if (cancel)
    cancel->forget(cancel_id);
  if (!why.empty())
    return make_error(why);
  return link;
}

} // namespace parallel::remote::detail
