// Connecting to nodes with a bounded time, and watching them.
#include "parallel/remote/cluster.hpp"

#include <chrono>
#include <algorithm>
#include <future>
#include <optional>
#include <set>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/blocking_actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/node_id.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "cluster_state.hpp"
#include "guard_wiring.hpp"
#include "tcp_socket.hpp"
#include "parallel/remote/detail/remote_lane.hpp"
#include "parallel/remote/remote_executor.hpp"
#include "parallel/remote/protocol.hpp"

namespace parallel::remote {

namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

long ms_left(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now());
  return std::max<long>(0, left.count());
}

/// Opens (and closes) a TCP connection to `addr` before `deadline`, so that a
/// node that is not there fails fast and a black-holed address fails in
/// bounded time, without CAF's connect blocking its middleman for the OS's
/// full SYN timeout; `cancel` (if any) ends the wait early. Returns "" or
/// why it failed.
std::string tcp_probe(const node_address& addr, clock::time_point deadline,
                      milliseconds total,
                      const std::shared_ptr<detail::connect_cancel>& cancel) {
  auto fd = detail::tcp_connect_before(addr.host, addr.port, deadline,
                                       cancel ? cancel->readable_at_cancel() : -1);
  if (fd) {
    ::close(*fd);
    return {};
  }
  if (detail::timed_out(fd.error()))
    return "no answer within " + std::to_string(total.count()) + " ms";
  return parallel::message(fd.error());
}

error connect_error(const node_address& addr, const std::string& why) {
  return make_error("cannot connect to node " + addr.to_string() + ": " + why);
}

/// Connects to one node: TCP probe, then CAF's (and TLS's) handshake, all
/// before `deadline`; `cancel` (if any) ends the waits for the node (TCP
/// and its handshake) early.
expected<caf::actor> connect_one(caf::actor_system& sys, const node_address& addr,
                                 clock::time_point deadline, milliseconds total,
                                 const guard_options& limits,
                                 const std::shared_ptr<detail::connect_cancel>& cancel);

/// `connect_one`, with CAF's exceptions (the openssl module throws on a bad
/// TLS setup) turned into errors.
expected<caf::actor> try_connect_one(caf::actor_system& sys,
                                     const node_address& addr,
                                     clock::time_point deadline,
                                     milliseconds total,
                                     const guard_options& limits,
                                     const std::shared_ptr<detail::connect_cancel>& cancel
                                     = nullptr) {
  try {
    return connect_one(sys, addr, deadline, total, limits, cancel);
  } catch (const std::exception& e) {
    return connect_error(addr, std::string{"TLS setup failed: "} + e.what());
  }
}

expected<caf::actor> connect_one(caf::actor_system& sys, const node_address& addr,
                                 clock::time_point deadline, milliseconds total,
                                 const guard_options& limits,
                                 const std::shared_ptr<detail::connect_cancel>& cancel) {
  if (auto why = tcp_probe(addr, deadline, total, cancel); !why.empty())
    return connect_error(addr, why);
  bool tls = detail::tls_of(sys).enabled();
  // The middleman reaches the node through the BASP guard, which speaks TLS
  // (if any) and checks every frame the node sends before CAF parses it.
  caf::io::middleman_actor mm = sys.middleman().actor_handle();
  // CAF 0.17.6 closes a new connection with `connection_timeout` at the
  // next heartbeat tick unless the node's handshake has arrived by then (the
  // connection's "last seen" time starts at zero), and the tick comes at any
  // phase. The guard therefore hands the middleman its port only once TLS is
  // done and the node's handshake is there (`open_link`), so that only the
  // hop inside this process races the tick; if even that loses, try again
  // at once.
  constexpr int max_attempts = 3;
  expected<caf::actor> result{caf::actor{}};
  caf::scoped_actor self{sys};
  for (int attempt = 1;; ++attempt) {
    caf::error failure;
    auto left = milliseconds{std::max<long>(1, ms_left(deadline))};
    auto link = detail::guard_link(sys, addr, deadline, limits, cancel);
    if (!link)
      return connect_error(addr, parallel::message(link.error()));
    self->request(mm, left, caf::connect_atom::value, std::string{"127.0.0.1"},
                  (*link)->port())
      .receive(
        [&](caf::node_id&, caf::strong_actor_ptr& ptr, std::set<std::string>&) {
          if (ptr)
            result = caf::actor_cast<caf::actor>(std::move(ptr));
          else
            result = connect_error(addr, "no node actor published on that port");
        },
        [&](caf::error& err) { failure = std::move(err); });
    if (!failure)
      return result;
    if (auto why = (*link)->reason(); !why.empty())
      return connect_error(addr, why);
    if (failure == caf::sec::connection_timeout && attempt < max_attempts
        && ms_left(deadline) > 0)
      continue;
    // A TLS refusal arrives as one of several codes, depending on which side
    // gives up first: they all get the same words.
    const char* tls_refused = "the TLS handshake failed (certificate rejected "
                              "by either side, or the node does not use TLS)";
    std::string why;
    if (failure == caf::sec::request_timeout)
      why = "no " + std::string{tls ? "TLS/" : ""} + "CAF handshake within "
            + std::to_string(total.count()) + " ms (is it a parallel node?)";
    else if (failure == caf::sec::connection_timeout && tls)
      why = std::string{tls_refused} + ", or it timed out";
    else if (failure == caf::sec::connection_timeout)
      why = "the node accepted the connection but did not complete the "
            "handshake within a heartbeat interval (is it a parallel node? "
            "does it use TLS?)";
    else if (failure == caf::sec::cannot_connect_to_node && tls)
      // The TCP probe got through, so the TLS layer refused: a plain node
      // answers a ClientHello with BASP bytes.
      why = tls_refused;
    else if (failure == caf::sec::disconnect_during_handshake)
      why = tls ? tls_refused : "the handshake failed (does the node use TLS?)";
    else
      why = sys.render(failure);
    return connect_error(addr, why);
  }
}

/// What a node says it offers: its task names, sorted, or nothing if it
/// did not answer the question in time (then it is no parallel node, or it
/// did not answer at all).
std::optional<std::vector<std::string>> ask_tasks(caf::actor_system& sys,
                                                  const caf::actor& node,
                                                  milliseconds timeout) {
  std::optional<std::vector<std::string>> out;
  caf::scoped_actor self{sys};
  self->request(node, timeout, tasks_atom::value)
    .receive([&](std::vector<std::string>& names) {
               std::sort(names.begin(), names.end());
               out = std::move(names);
             },
             [&](caf::error&) {});
  return out;
}

/// watcher -> itself: time to try connecting to node `i` again.
using retry_atom = caf::atom_constant<caf::atom("prretry")>;
/// reconnect attempt -> watcher: how the attempt for node `i` went.
using attempt_atom = caf::atom_constant<caf::atom("prattmpt")>;

/// Monitors the nodes and marks them down when they die; then connects to a
/// node that went down again, with backoff between attempts, and marks it up
/// once a new connection completed its handshake.
class watcher : public caf::event_based_actor {
public:
  watcher(caf::actor_config& cfg, std::weak_ptr<detail::cluster_state> st,
          std::vector<caf::actor> nodes, connect_options opts,
          std::shared_ptr<detail::connect_cancel> cancel)
    : caf::event_based_actor(cfg), st_(std::move(st)), nodes_(std::move(nodes)),
      opts_(opts), cancel_(std::move(cancel)) {
  }

  caf::behavior make_behavior() override {
    for (auto& n : nodes_)
      monitor(n);
    nodes_.clear();
    set_down_handler([this](caf::down_msg& dm) {
      auto st = st_.lock();
      if (!st)
        return;
      auto i = st->index_of(dm.source);
      // A down message about an earlier connection of a node that is back
      // says nothing about the current one.
      if (!i || st->nodes[*i]->handle().address() != dm.source)
        return;
      st->mark_down(*i);
      if (opts_.reconnect_backoff.count() > 0)
        delayed_send(this, opts_.reconnect_backoff, retry_atom::value, *i,
                     std::size_t{0});
    });
    return {
      [this](retry_atom, std::size_t i, std::size_t attempt) {
        auto st = st_.lock();
        if (!st)
          return;
        // Connecting blocks: a detached helper does it and reports back.
        const auto addr = st->nodes.at(i)->addr;
        auto timeout = opts_.timeout;
        auto limits = opts_.guard; // each attempt is a new guarded link
        auto cancel = cancel_;     // the cluster's end stops the attempt
        auto self = caf::actor_cast<caf::actor>(this);
        // (The index is passed as an argument: CAF 0.17.6 dereferences a
        // null pointer when a function-based actor gets no arguments.)
        auto attempt_once = [=](caf::blocking_actor* helper, std::size_t node) {
          auto& sys = helper->system();
          auto hdl = try_connect_one(sys, addr, clock::now() + timeout, timeout,
                                     limits, cancel);
          std::optional<std::vector<std::string>> tasks;
          if (hdl)
            tasks = ask_tasks(sys, *hdl, timeout);
          // (CAF messages hold only serialisable types: no std::optional.)
          helper->send(self, attempt_atom::value, node, attempt,
                       hdl ? *hdl : caf::actor{}, tasks.has_value(),
                       tasks ? std::move(*tasks) : std::vector<std::string>{});
        };
        system().spawn<caf::detached>(attempt_once, i);
      },
      [this](attempt_atom, std::size_t i, std::size_t attempt, caf::actor& hdl,
             bool tasks_known, std::vector<std::string>& names) {
        std::optional<std::vector<std::string>> tasks;
        if (tasks_known)
          tasks = std::move(names);
        auto st = st_.lock();
        if (!st)
          return;
        if (hdl) {
          monitor(hdl);
          st->mark_up(i, std::move(hdl), std::move(tasks));
          return;
        }
        // Backoff: the first delay, doubled per failed attempt, capped.
        auto delay = opts_.reconnect_backoff;
        for (std::size_t k = 0; k <= attempt && delay < opts_.reconnect_max_backoff; ++k)
          delay *= 2;
        delay = std::min(delay, opts_.reconnect_max_backoff);
        delayed_send(this, delay, retry_atom::value, i, attempt + 1);
      },
    };
  }

private:
  std::weak_ptr<detail::cluster_state> st_;
  std::vector<caf::actor> nodes_;
  connect_options opts_;
  std::shared_ptr<detail::connect_cancel> cancel_;
};

} // namespace

// -- addresses ----------------------------------------------------------------

std::string node_address::to_string() const {
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

namespace {

// `text` as an error message may show it: bytes outside printable ASCII
// as \xNN, so that a hostile argument cannot drive the terminal.
std::string printable(const std::string& text) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  return out;
}

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

} // namespace

expected<node_address> parse_node_address(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return make_error("bad node address \"" + printable(text) + "\": " + why
                      + " (expected HOST:PORT, or [IPV6]:PORT)");
  };
  for (unsigned char c : text)
    if (c <= 0x20 || c == 0x7f)
      return bad(c == ' ' ? "it contains a space" : "it contains a control character");
  auto colon = text.rfind(':');
  if (colon == std::string::npos)
    return bad("no port");
  if (colon == 0)
    return bad("no host");
  node_address out;
  out.host = text.substr(0, colon);
  if (out.host.front() == '[') {
    if (out.host.size() < 3 || out.host.back() != ']')
      return bad("an unclosed or empty bracket");
    out.host = out.host.substr(1, out.host.size() - 2);
  } else if (out.host.find(':') != std::string::npos) {
    // "::1:4242" could be an address of its own: brackets make it one.
    return bad("an IPv6 address goes in brackets, as in [::1]:4242");
  }
  if (out.host.find_first_of("[]") != std::string::npos)
    return bad("a bracket inside the host");
  auto port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5
      || port.find_first_not_of("0123456789") != std::string::npos)
    return bad("the port is not a number");
  auto n = std::stoul(port);
  if (n == 0 || n > 65535)
    return bad("the port is out of range");
  out.port = static_cast<uint16_t>(n);
  return out;
}

expected<std::vector<node_address>> parse_node_list(const std::string& text) {
  std::vector<node_address> out;
  std::size_t pos = 0;
  std::size_t number = 0;
  while (true) {
    auto comma = text.find(',', pos);
    auto item = text.substr(pos, comma == std::string::npos ? std::string::npos
                                                            : comma - pos);
    ++number;
    // Spaces around an entry ("a:1, b:2") are allowed; an empty entry is
    // a typo that would otherwise connect to fewer nodes than meant.
    auto first = item.find_first_not_of(" \t");
    if (first == std::string::npos) {
      if (text.find_first_not_of(" \t") == std::string::npos)
        return make_error("no nodes given (expected HOST:PORT,HOST:PORT...)");
      return make_error("bad node list \"" + printable(text) + "\": entry "
                        + std::to_string(number) + " is empty");
    }
    auto last = item.size();
    while (is_space(item[last - 1]))
      --last;
    auto addr = parse_node_address(item.substr(first, last - first));
    if (!addr)
      return addr.error();
    out.push_back(std::move(*addr));
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  return out;
}

// -- node_entry / cluster_state ---------------------------------------------

namespace detail {

node_entry::node_entry(node_address address, caf::actor handle,
                       std::optional<std::vector<std::string>> tasks)
  : name(address.to_string()), addr(std::move(address)),
    handle_(std::move(handle)), tasks_(std::move(tasks)) {
}

caf::actor node_entry::handle() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return handle_;
}

bool node_entry::is(const caf::actor_addr& who) const {
  std::lock_guard<std::mutex> guard{mtx_};
  if (handle_.address() == who)
    return true;
  return std::find(former_.begin(), former_.end(), who) != former_.end();
}

bool node_entry::offers(const std::string& task) const {
  std::lock_guard<std::mutex> guard{mtx_};
  return !tasks_ || std::binary_search(tasks_->begin(), tasks_->end(), task);
}

bool node_entry::tasks_known() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return tasks_.has_value();
}

std::string node_entry::offer_text() const {
  std::lock_guard<std::mutex> guard{mtx_};
  if (!tasks_)
    return "tasks unknown";
  if (tasks_->empty())
    return "no tasks";
  std::string out;
  for (auto& t : *tasks_)
    out += (out.empty() ? "" : ", ") + t;
  return out;
}

void node_entry::reconnected(caf::actor handle,
                             std::optional<std::vector<std::string>> tasks) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (handle_ != handle)
    former_.push_back(handle_.address());
  handle_ = std::move(handle);
  tasks_ = std::move(tasks);
}

cluster_state::~cluster_state() {
  cancel_->cancel();
  if (watcher_)
    caf::anon_send_exit(watcher_, caf::exit_reason::user_shutdown);
}

void cluster_state::start() {
  std::vector<caf::actor> handles;
  for (auto& n : nodes)
    handles.push_back(n->handle());
  watcher_ = sys_.spawn<watcher>(weak_from_this(), std::move(handles), opts_, cancel_);
}

std::optional<std::size_t> cluster_state::index_of(const caf::actor_addr& who) const {
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i]->is(who))
      return i;
  return std::nullopt;
}

void cluster_state::mark_down(std::size_t i) {
  if (!nodes.at(i)->alive.exchange(false))
    return;
  poke_lanes();
}

void cluster_state::mark_up(std::size_t i, caf::actor handle,
                            std::optional<std::vector<std::string>> tasks) {
  auto& n = *nodes.at(i);
  n.reconnected(std::move(handle), std::move(tasks));
  n.alive = true;
  poke_lanes();
}

void cluster_state::poke_lanes() {
  std::vector<std::shared_ptr<remote_lane>> lanes;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto out = lanes_.begin();
    for (auto& w : lanes_)
      if (auto l = w.lock()) {
        lanes.push_back(std::move(l));
        *out++ = w;
      }
    lanes_.erase(out, lanes_.end());
  }
  for (auto& l : lanes)
    l->poke();
}

bool cluster_state::any_alive() const {
  for (auto& n : nodes)
    if (n->alive)
      return true;
  return false;
}

bool cluster_state::any_tasks_known() const {
  for (auto& n : nodes)
    if (n->tasks_known())
      return true;
  return false;
}

void cluster_state::add_lane(std::weak_ptr<remote_lane> lane) {
  std::lock_guard<std::mutex> guard{mtx_};
  // Drop lanes of finished groups now and then.
  if (lanes_.size() >= 64 && (lanes_.size() & (lanes_.size() - 1)) == 0)
    std::erase_if(lanes_, [](auto& w) { return w.expired(); });
  lanes_.push_back(std::move(lane));
}

} // namespace detail

// -- cluster ------------------------------------------------------------------

expected<cluster> cluster::connect(caf::actor_system& sys,
                                   const std::vector<node_address>& nodes,
                                   const connect_options& opts) {
  if (nodes.empty())
    return make_error("no nodes given");
  if (!sys.has_middleman())
    return make_error("parallel::remote: call parallel::remote::configure(cfg, "
                      "registry) before creating the actor system");
  auto deadline = clock::now() + opts.timeout;
  std::vector<std::future<expected<caf::actor>>> pending;
  for (auto& addr : nodes)
    pending.push_back(std::async(std::launch::async, [&sys, addr, deadline, &opts] {
      return try_connect_one(sys, addr, deadline, opts.timeout, opts.guard);
    }));
  auto st = std::make_shared<detail::cluster_state>(sys, opts);
  error first;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto hdl = pending[i].get();
    if (!hdl) {
      if (!first)
        first = std::move(hdl.error());
      continue;
    }
    st->nodes.push_back(std::make_unique<detail::node_entry>(nodes[i], std::move(*hdl),
                                                             std::nullopt));
  }
  if (first)
    return first;
  // CAF has one proxy per remote actor: the same node under two addresses
  // would be two entries with one handle, and a lane, which finds a node by
  // its handle, would release its slots on the wrong entry (and hang).
  for (std::size_t i = 1; i < st->nodes.size(); ++i)
    for (std::size_t j = 0; j < i; ++j) {
      auto& a = *st->nodes[j];
      auto& b = *st->nodes[i];
      if (a.handle() != b.handle())
        continue;
      if (a.name == b.name)
        return make_error("node " + a.name + " is listed twice");
      return make_error(a.name + " and " + b.name + " are the same node");
    }
  // Each node says which tasks it offers: groups route each task to the
  // nodes that offer it.
  // A peer that does not answer is not a parallel node (a CAF program on
  // the wrong port, say): tasks sent there would never be answered.
  for (auto& n : st->nodes) {
    auto left = std::max<long>(1, ms_left(deadline));
    auto tasks = ask_tasks(sys, n->handle(), milliseconds{left});
    if (!tasks)
      return connect_error(n->addr, "it did not say which tasks it offers within the "
                                    "connect timeout: is it a parallel node?");
    n->reconnected(n->handle(), std::move(tasks));
  }
  st->start();
  return cluster{std::move(st)};
}

expected<cluster> cluster::connect(caf::actor_system& sys,
                                   const std::string& nodes,
                                   const connect_options& opts) {
  auto list = parse_node_list(nodes);
  if (!list)
    return list.error();
  return connect(sys, *list, opts);
}

std::size_t cluster::size() const noexcept {
  return st_->nodes.size();
}

const std::string& cluster::name(std::size_t i) const {
  return st_->nodes.at(i)->name;
}

caf::actor cluster::handle(std::size_t i) const {
  return st_->nodes.at(i)->handle();
}

std::string cluster::offers(std::size_t i) const {
  return st_->nodes.at(i)->offer_text();
}

bool cluster::alive(std::size_t i) const {
  return st_->nodes.at(i)->alive;
}

expected<node_report> cluster::stats(std::size_t i,
                                     std::chrono::milliseconds timeout) const {
  // A node known to be down cannot answer: say so now, as its tasks do,
  // rather than after the timeout.
  if (!alive(i))
    return detail::node_down_error(name(i));
  expected<node_report> result{node_report{}};
  caf::scoped_actor self{st_->system()};
  self->request(handle(i), timeout, stats_atom::value)
    .receive(
      [&](uint64_t received, uint64_t running, uint64_t peak, uint64_t completed,
          uint64_t failed, uint64_t panicked, uint64_t cancelled) {
        result = node_report{received, running,  peak,     completed,
                             failed,   panicked, cancelled};
      },
      [&](caf::error& err) {
        if (err == caf::sec::request_timeout)
          err = make_error("node " + name(i) + " did not answer for its stats within "
                           + std::to_string(timeout.count()) + " ms");
        result = std::move(err);
      });
  return result;
}

} // namespace parallel::remote
