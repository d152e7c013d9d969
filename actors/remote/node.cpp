// The node side: an actor that runs named tasks for client groups.
#include "parallel/remote/node.hpp"

#include <atomic>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <cxxabi.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/send.hpp>

#include "guard_wiring.hpp"
#include "parallel/detail/type_name.hpp"
#include "parallel/executor.hpp"
#include "parallel/remote/protocol.hpp"

namespace parallel::remote {

namespace detail {

namespace {

/// worker -> node actor: a task finished with this reply.
using done_atom = caf::atom_constant<caf::atom("prdone")>;

/// Groups whose cancellation a node remembers, to refuse their late requests.
constexpr std::size_t remembered_cancellations = 4096;

struct counters {
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> running{0};
  std::atomic<uint64_t> peak_running{0};
  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> panicked{0};
  std::atomic<uint64_t> cancelled{0};
};

/// The reply for the exception in flight: its type's name and what().
caf::message panic_reply() {
  std::string type = "unknown exception";
  if (auto* ti = abi::__cxa_current_exception_type())
    type = parallel::detail::demangle(*ti);
  std::string what;
  try {
    throw;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    // Not a std::exception: only its type is known.
  }
  return caf::make_message(panic_atom::value, std::move(type), std::move(what));
}

class node_actor : public caf::event_based_actor {
public:
  node_actor(caf::actor_config& cfg, std::shared_ptr<const registry> reg,
             std::size_t max_in_flight, std::shared_ptr<counters> stats)
    : caf::event_based_actor(cfg),
      reg_(std::move(reg)),
      max_in_flight_(max_in_flight),
      stats_(std::move(stats)) {
  }

  caf::behavior make_behavior() override {
    pool_.emplace(max_in_flight_ == 0
                    ? parallel::unlimited(system())
                    : parallel::limited(system(), parallel::context::background(),
                                        max_in_flight_));
    set_down_handler([this](caf::down_msg& dm) {
      // A client's requester is gone (finished, or its node died or was
      // disconnected): its tasks have nobody to report to.
      senders_.erase(dm.source);
      cancel_if([&](const running& r) { return r.sender == dm.source; },
                make_error("parallel node: the client went away"));
    });
    return {
      [this](run_atom, uint64_t group, std::string& name, caf::message& args,
             int64_t deadline) { run(group, name, args, deadline); },
      [this](done_atom, uint64_t key, caf::message& reply) {
        finish(key, reply);
      },
      [this](cancel_atom, uint64_t group, caf::error& cause) {
        cancel_group(group, cause ? cause : make_error(errc::cancelled));
      },
      [this](stats_atom) {
        auto& s = *stats_;
        return caf::make_message(s.received.load(), s.running.load(),
                                 s.peak_running.load(), s.completed.load(),
                                 s.failed.load(), s.panicked.load(),
                                 s.cancelled.load());
      },
    };
  }

  void on_exit() override {
    for (auto& [key, r] : running_)
      r.cancel(make_error(errc::group_abandoned));
    running_.clear();
    groups_.clear();
    pool_.reset(); // abandons the pool: queued tasks never start
  }

private:
  struct running {
    caf::response_promise rp;
    canceller cancel;
    uint64_t group;
    caf::actor_addr sender;
  };

  void reply_now(caf::response_promise& rp, error err) {
    ++stats_->failed;
    rp.deliver(caf::make_message(fail_atom::value, std::move(err)));
  }

  void run(uint64_t group, const std::string& name, caf::message& args,
           int64_t deadline) {
    ++stats_->received;
    // Read the sender first: in CAF 0.17.6 make_response_promise() moves it
    // out of the mailbox element, and current_sender() is null afterwards.
    auto sender = current_sender();
    auto rp = make_response_promise();
    if (auto i = cancelled_.find(group); i != cancelled_.end()) {
      reply_now(rp, make_error(errc::cancelled));
      return;
    }
    auto* entry = reg_->find(name);
    if (entry == nullptr) {
      std::string known;
      for (auto& n : reg_->names())
        known += (known.empty() ? "" : ", ") + n;
      reply_now(rp, make_error("unknown remote task \"" + name
                               + "\" (this node has: " + known + ")"));
      return;
    }
    auto parent = pool_->group_context();
    auto [ctx, cancel] = deadline >= 0
                           ? with_timeout(parent, std::chrono::nanoseconds{deadline})
                           : with_cancel(parent);
    auto key = next_key_++;
    caf::actor_addr from;
    if (sender) {
      from = caf::actor_cast<caf::actor_addr>(sender);
      if (senders_.insert(from).second)
        monitor(sender);
    }
    running_.emplace(key, running{rp, cancel, group, from});
    groups_[group].insert(key);
    auto self = caf::actor_cast<caf::actor>(this);
    pool_->go([self, key, entry, reg = reg_, ctx = ctx, args = std::move(args),
               stats = stats_](const parallel::context&) mutable {
      auto now = ++stats->running;
      auto peak = stats->peak_running.load();
      while (now > peak && !stats->peak_running.compare_exchange_weak(peak, now))
        ;
      caf::message reply;
      try {
        reply = entry->invoke(ctx, args);
      } catch (...) {
        reply = panic_reply();
      }
      --stats->running;
      if (ctx.cancelled())
        ++stats->cancelled;
      if (reply.match_element<ok_atom>(0))
        ++stats->completed;
      else if (reply.match_element<panic_atom>(0))
        ++stats->panicked;
      else
        ++stats->failed;
      caf::anon_send(self, done_atom::value, key, std::move(reply));
    });
  }

  void finish(uint64_t key, caf::message& reply) {
    auto i = running_.find(key);
    if (i == running_.end())
      return;
    auto r = std::move(i->second);
    running_.erase(i);
    if (auto g = groups_.find(r.group); g != groups_.end()) {
      g->second.erase(key);
      if (g->second.empty())
        groups_.erase(g);
    }
    r.rp.deliver(std::move(reply));
    r.cancel(make_error(errc::group_done)); // releases the context
  }

  void cancel_group(uint64_t group, const error& cause) {
    if (cancelled_.insert(group).second) {
      cancel_order_.push_back(group);
      if (cancel_order_.size() > remembered_cancellations) {
        cancelled_.erase(cancel_order_.front());
        cancel_order_.pop_front();
      }
    }
    auto g = groups_.find(group);
    if (g == groups_.end())
      return;
    for (auto key : g->second)
      if (auto i = running_.find(key); i != running_.end())
        i->second.cancel(cause);
  }

  template <class Pred>
  void cancel_if(Pred pred, const error& cause) {
    for (auto& [key, r] : running_)
      if (pred(r))
        r.cancel(cause);
  }

  std::shared_ptr<const registry> reg_;
  std::size_t max_in_flight_;
  std::shared_ptr<counters> stats_;
  std::optional<parallel::executor> pool_;
  std::unordered_map<uint64_t, running> running_;
  std::unordered_map<uint64_t, std::unordered_set<uint64_t>> groups_;
  std::unordered_set<caf::actor_addr> senders_;
  std::unordered_set<uint64_t> cancelled_;
  std::deque<uint64_t> cancel_order_;
  uint64_t next_key_ = 0;
};

} // namespace

class node_state {
public:
  node_state(caf::actor_system& sys, caf::actor actor, uint16_t port, bool tls,
             std::shared_ptr<counters> stats, node_guard guard)
    : sys_(sys), actor_(std::move(actor)), port_(port), tls_(tls),
      stats_(std::move(stats)), guard_(std::move(guard)) {
  }

  ~node_state() {
    stop();
  }

  void stop() {
    std::call_once(stopped_, [this] {
      guard_.guard->stop_listening();
      // Asynchronous, so stopping never blocks. (CAF 0.17.6's
      // caf::openssl::unpublish does not compile: it sends the wrong message.)
      caf::io::middleman_actor mm = tls_ ? sys_.openssl_manager().actor_handle()
                                         : sys_.middleman().actor_handle();
      caf::anon_send(mm, caf::unpublish_atom::value, actor_.address(), port_);
      caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
    });
  }

  uint16_t port() const noexcept {
    return guard_.port;
  }

  const caf::actor& actor() const noexcept {
    return actor_;
  }

  node_report stats() const {
    auto& s = *stats_;
    return {s.received, s.running, s.peak_running, s.completed,
            s.failed,   s.panicked, s.cancelled};
  }

private:
  caf::actor_system& sys_;
  caf::actor actor_;
  uint16_t port_;
  bool tls_;
  std::shared_ptr<counters> stats_;
  std::once_flag stopped_;
  node_guard guard_; // destroyed first: closes the clients' connections
};

} // namespace detail

expected<node> node::start(caf::actor_system& sys,
                           std::shared_ptr<const registry> reg,
                           const node_options& opts) {
  if (!sys.has_middleman())
    return make_error("parallel::remote: call parallel::remote::configure(cfg, "
                      "registry) before creating the actor system");
  if (!reg)
    return make_error("parallel::remote::node::start: no registry");
  auto stats = std::make_shared<detail::counters>();
  auto actor = sys.spawn<detail::node_actor>(std::move(reg), opts.max_in_flight,
                                             stats);
  const char* host = opts.host.empty() || opts.host == "0.0.0.0"
                       ? nullptr
                       : opts.host.c_str();
  // CAF's parser never sees a stranger's bytes: the middleman listens on
  // loopback only, in plain BASP, and the guard owns the public port and
  // terminates TLS (docs/distributed.md, "Trust model").
  auto port = sys.middleman().publish(actor, 0, "127.0.0.1", true);
  if (!port) {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    return make_error("cannot listen on 127.0.0.1 for the guard: "
                      + sys.render(port.error()));
  }
  auto guard = detail::guard_node(sys, opts, *port);
  if (!guard) {
    caf::anon_send(sys.middleman().actor_handle(), caf::unpublish_atom::value,
                   actor.address(), *port);
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    return make_error("cannot listen on " + (host ? opts.host : "*") + ":"
                      + std::to_string(opts.port) + ": "
                      + parallel::message(guard.error()));
  }
  return node{std::make_shared<detail::node_state>(sys, std::move(actor), *port,
                                                   false, std::move(stats),
                                                   std::move(*guard))};
}

uint16_t node::port() const noexcept {
  return st_->port();
}

caf::actor node::handle() const {
  return st_->actor();
}

node_report node::stats() const {
  return st_->stats();
}

void node::stop() {
  st_->stop();
}

} // namespace parallel::remote
