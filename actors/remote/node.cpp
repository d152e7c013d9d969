// The node side: an actor that runs named tasks for client groups.
#include "parallel/remote/node.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <cxxabi.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/basp_broker.hpp>
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

/// worker -> node actor: a task finished with this reply. It carries the
/// node actor's secret, so that a peer (which may send the node actor any
/// message) cannot answer a task it did not run.
using done_atom = caf::atom_constant<caf::atom("prdone")>;

/// node_state -> node actor: shut down (only once `stopping` is set, so a
/// peer sending this atom achieves nothing).
using shutdown_atom = caf::atom_constant<caf::atom("prshutdn")>;

/// node actor -> itself: the grace period of a shutdown is over.
using grace_atom = caf::atom_constant<caf::atom("prgrace")>;

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
  /// Set by `node::stop()` before it sends `shutdown_atom`.
  std::atomic<bool> stopping{false};
};

/// 64 unpredictable bits.
uint64_t random_secret() {
  std::random_device rd;
  return (uint64_t{rd()} << 32) ^ rd();
}

/// The error running tasks get when the node shuts down.
error shutdown_error() {
  return error{static_cast<uint8_t>(errc::cancelled), error_category,
               caf::make_message(std::string{"the parallel node is shutting down"})};
}

/// Sends a task's reply to the node actor exactly once: when the task ran,
/// or, if the node's group dropped the task without running it (it could
/// not start a thread for it, or the group is gone), when the closure dies.
class reply_once {
public:
  reply_once(caf::actor node, uint64_t secret, uint64_t key,
             parallel::context pool_ctx)
    : node_(std::move(node)), secret_(secret), key_(key),
      pool_ctx_(std::move(pool_ctx)) {
  }

  reply_once(const reply_once&) = delete;
  reply_once& operator=(const reply_once&) = delete;

  ~reply_once() {
    if (sent_)
      return;
    std::string why = "the node could not run the task";
    if (auto cause = pool_ctx_.cause())
      why += " (" + message(cause) + ")";
    send(caf::make_message(fail_atom::value, make_error(why)));
  }

  void send(caf::message reply) {
    sent_ = true;
    caf::anon_send(node_, done_atom::value, secret_, key_, std::move(reply));
  }

private:
  caf::actor node_;
  uint64_t secret_;
  uint64_t key_;
  parallel::context pool_ctx_;
  bool sent_ = false;
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

/// The type name and what() of the exception `ep` holds.
std::string describe(const std::exception_ptr& ep) {
  try {
    std::rethrow_exception(ep);
  } catch (const std::exception& e) {
    return parallel::detail::demangle(typeid(e)) + ": " + e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

/// The group the node's tasks run on. If it panics (today: a worker thread
/// could not be started), the node makes a new one for later tasks; the
/// tasks of this one fail with the reason.
struct worker_pool {
  explicit worker_pool(parallel::executor e) : ex(std::move(e)) {
  }

  /// Why the group failed, if it did ("" if it did not).
  const std::string& failure() {
    if (failure_.empty() && is(ex.group_context().cause(), errc::panicked)) {
      failure_ = "its worker pool failed";
      try {
        ex.go([](const parallel::context&) {}); // rethrows the group's panic
      } catch (const std::exception& e) {
        failure_ += std::string{": "} + e.what();
      } catch (...) {
        // Not a std::exception: nothing more to say.
      }
    }
    return failure_;
  }

  parallel::executor ex;

private:
  std::string failure_;
};

class node_actor : public caf::event_based_actor {
public:
  node_actor(caf::actor_config& cfg, std::shared_ptr<const registry> reg,
             std::size_t max_in_flight, std::chrono::milliseconds stop_grace,
             std::shared_ptr<counters> stats)
    : caf::event_based_actor(cfg),
      reg_(std::move(reg)),
      max_in_flight_(max_in_flight),
      stop_grace_(stop_grace),
      stats_(std::move(stats)) {
  }

  /// Drops every exit message: the node is linked to nothing, and CAF would
  /// let any connected peer terminate it with one (`exit_reason::kill`
  /// cannot even be handled). The node stops only through `node::stop()`.
  using caf::event_based_actor::enqueue;

  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* eu) override {
    if (ptr && ptr->content().match_elements<caf::exit_msg>())
      return;
    caf::event_based_actor::enqueue(std::move(ptr), eu);
  }

  caf::behavior make_behavior() override {
    // CAF's default prints every unexpected message to standard output: a
    // peer could flood it, or kill a node whose output pipe was closed
    // (SIGPIPE). Unexpected requests still get an error reply.
    set_default_handler(caf::drop);
    // CAF's default error handler ends the actor with the error, and any
    // peer can send one as an ordinary message (also indirectly: a request
    // whose forwarding stages name this actor gets its error reply here).
    // The node makes no requests, so no error is ever meant for it.
    set_error_handler([](caf::error&) {});
    // Exit messages never reach here (see enqueue); this is the second line.
    set_exit_handler([](caf::exit_msg&) {});
    // CAF ends an actor whose handler throws, whatever this returns. No
    // handler throws on a peer's input (run() catches); what is left is
    // running out of memory or a bug: say which, in the reason that
    // node::wait_stopped reports, instead of CAF's generic runtime_error
    // and a line on standard output.
    set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& ep) {
      return make_error("the node actor failed: " + describe(ep));
    });
    set_down_handler([this](caf::down_msg& dm) {
      // CAF 0.17.6 hands this handler any message whose content is a
      // down_msg, also one a peer sent to name another client's requester.
      // A genuine one comes from a monitor of this actor: CAF enqueues it
      // with the monitored actor as its sender (default_attachable::
      // actor_exited; for a proxy also when BASP reports its actor's death
      // or its connection is lost: proxy_registry::erase -> kill_proxy ->
      // cleanup). So honour only a down message sent by the very actor it
      // names, and only for actors this node monitors.
      if (!genuine(dm))
        return;
      // A client's requester is gone (finished, or its node died or was
      // disconnected): its tasks have nobody to report to.
      senders_.erase(dm.source);
      cancel_if([&](const running& r) { return r.sender == dm.source; },
                make_error("parallel node: the client went away"));
    });
    return {
      [this](run_atom, uint64_t group, std::string& name, caf::message& args,
             int64_t deadline) {
        // Read the sender first: in CAF 0.17.6 make_response_promise() moves
        // it out of the mailbox element, and current_sender() is null after.
        auto sender = current_sender();
        auto rp = make_response_promise();
        std::optional<uint64_t> key;
        // A handler that throws would terminate the node: answer instead
        // (a worker thread that cannot be started, say).
        try {
          run(group, name, args, deadline, sender, rp, key);
        } catch (const std::exception& e) {
          refuse(rp, key, std::string{"the node could not run the task: "} + e.what());
        } catch (...) {
          refuse(rp, key, "the node could not run the task");
        }
      },
      [this](done_atom, uint64_t secret, uint64_t key, caf::message& reply) {
        if (secret != done_secret_)
          return; // forged by a peer
        --live_;
        if (auto i = running_.find(key); i != running_.end()
                                         && !reply.match_element<ok_atom>(0)) {
          // A task that ended because its pool failed: say why.
          if (auto& why = i->second.pool->failure(); !why.empty())
            reply = caf::make_message(fail_atom::value,
                                      make_error("the node could not run the task: "
                                                 + why));
        }
        finish(key, reply);
        if (shutting_down_ && live_ == 0)
          quit();
      },
      [this](tasks_atom) { return reg_->names(); },
      [this](shutdown_atom) {
        if (stats_->stopping)
          begin_shutdown();
      },
      [this](grace_atom) {
        if (!stats_->stopping)
          return;
        // Tasks that ignore cancellation: stop serving anyway; the process
        // decides what to do with their threads (see node::wait_stopped).
        quit(make_error(std::to_string(live_) + " task(s) did not return within "
                        + std::to_string(stop_grace_.count())
                        + " ms of the shutdown"));
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
    std::shared_ptr<worker_pool> pool;
  };

  /// Whether the down message being handled comes from a monitor of this
  /// actor: its sender is the actor it names (the same control block, not
  /// only the same id and node), and that is a requester the node monitors.
  bool genuine(const caf::down_msg& dm) {
    auto& sender = current_sender();
    return sender != nullptr && dm.source
           && sender.get() == caf::actor_cast<caf::actor_control_block*>(dm.source)
           && senders_.count(dm.source) != 0;
  }

  void reply_now(caf::response_promise& rp, error err) {
    ++stats_->failed;
    rp.deliver(caf::make_message(fail_atom::value, std::move(err)));
  }

  /// Answers a request that could not be started with `why`.
  void refuse(caf::response_promise& rp, std::optional<uint64_t> key,
              const std::string& why) {
    ++stats_->failed;
    auto reply = caf::make_message(fail_atom::value, make_error(why));
    if (key && running_.count(*key) != 0)
      finish(*key, reply);
    else if (rp.pending())
      rp.deliver(std::move(reply));
  }

  /// The pool tasks run on; made again when its group is gone (it panicked,
  /// or could not start a thread), so the node keeps serving later tasks.
  const std::shared_ptr<worker_pool>& pool() {
    if (!pool_ || pool_->ex.group_context().cancelled())
      pool_ = std::make_shared<worker_pool>(
        max_in_flight_ == 0
          ? parallel::unlimited(system())
          : parallel::limited(system(), parallel::context::background(),
                              max_in_flight_));
    return pool_;
  }

  /// Stops serving: running tasks are cancelled and answered as cancelled at
  /// once, later requests are refused, and the actor ends when the tasks
  /// have returned (or after the grace period).
  void begin_shutdown() {
    if (shutting_down_)
      return;
    shutting_down_ = true;
    auto cause = shutdown_error();
    std::vector<uint64_t> keys;
    for (auto& [key, r] : running_)
      keys.push_back(key);
    for (auto key : keys) {
      auto reply = caf::make_message(fail_atom::value, cause);
      finish(key, reply, cause);
    }
    if (live_ == 0) {
      quit();
      return;
    }
    delayed_send(this, stop_grace_, grace_atom::value);
  }

  void run(uint64_t group, const std::string& name, caf::message& args,
           int64_t deadline, const caf::strong_actor_ptr& sender,
           caf::response_promise& rp, std::optional<uint64_t>& key_out) {
    ++stats_->received;
    if (shutting_down_) {
      reply_now(rp, shutdown_error());
      return;
    }
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
    auto pool = this->pool();
    auto parent = pool->ex.group_context();
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
    running_.emplace(key, running{rp, cancel, group, from, pool});
    groups_[group].insert(key);
    key_out = key;
    // From here on, the task's done message comes exactly once.
    auto out = std::make_shared<reply_once>(caf::actor_cast<caf::actor>(this),
                                            done_secret_,
                                            key, parent);
    ++live_;
    pool->ex.go([out, entry, ctx = ctx, args = std::move(args),
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
      out->send(std::move(reply));
    });
  }

  /// Answers request `key` with `reply` (once; later calls do nothing) and
  /// releases its context with `release` as the cause.
  void finish(uint64_t key, caf::message& reply,
              const error& release = make_error(errc::group_done)) {
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
    r.cancel(release); // releases the context (and stops a running task)
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
  std::chrono::milliseconds stop_grace_;
  std::shared_ptr<counters> stats_;
  std::shared_ptr<worker_pool> pool_;
  std::unordered_map<uint64_t, running> running_;
  std::unordered_map<uint64_t, std::unordered_set<uint64_t>> groups_;
  std::unordered_set<caf::actor_addr> senders_;
  std::unordered_set<uint64_t> cancelled_;
  std::deque<uint64_t> cancel_order_;
  uint64_t next_key_ = 0;
  /// Proves a done message came from this node's workers.
  uint64_t done_secret_ = random_secret();
  std::size_t live_ = 0; // tasks handed to the pool whose done has not come
  bool shutting_down_ = false;
};

} // namespace

/// Why and whether the node actor terminated, for `node::wait_stopped`.
struct exit_record {
  std::mutex mtx;
  std::condition_variable cv;
  bool done = false;
  error reason;
};

/// Asks the node actor to shut down (it ignores exit messages).
void request_shutdown(const caf::actor& actor, counters& stats) {
  stats.stopping = true;
  caf::anon_send(actor, shutdown_atom::value);
}

class node_state {
public:
  node_state(caf::actor_system& sys, caf::actor actor, uint16_t port, bool tls,
             std::shared_ptr<counters> stats, std::shared_ptr<exit_record> exit,
             node_guard guard)
    : sys_(sys), actor_(std::move(actor)), port_(port), tls_(tls),
      stats_(std::move(stats)), exit_(std::move(exit)), guard_(std::move(guard)) {
  }

  ~node_state() {
    stop();
    if (ended())
      drain();
  }

  void stop() {
    std::call_once(stopped_, [this] {
      guard_.guard->stop_listening();
      // Asynchronous, so stopping never blocks. (CAF 0.17.6's
      // caf::openssl::unpublish does not compile: it sends the wrong message.)
      caf::io::middleman_actor mm = tls_ ? sys_.openssl_manager().actor_handle()
                                         : sys_.middleman().actor_handle();
      caf::anon_send(mm, caf::unpublish_atom::value, actor_.address(), port_);
      request_shutdown(actor_, *stats_);
    });
  }

  /// Whether the node actor has ended.
  bool ended() const {
    std::lock_guard<std::mutex> lk{exit_->mtx};
    return exit_->done;
  }

  /// Lets the answers the ended node actor gave reach its clients before
  /// the guard closes their connections. They may still sit in the BASP
  /// broker's mailbox: an exit message queued behind them ends the broker
  /// after it wrote them (one mailbox, in order), and a broker that ends
  /// closes each connection once its bytes are out (CAF's graceful
  /// shutdown: a FIN after the last byte). The guard relays until it sees
  /// that FIN on every connection, at most `guard_options::drain_timeout`.
  /// This ends every BASP connection of the actor system: the node's
  /// process is done with it.
  void drain() {
    // Read-only lookup: the middleman made its BASP broker at start.
    auto basp = sys_.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
    caf::anon_send_exit(basp, caf::exit_reason::user_shutdown);
    guard_.guard->drain();
  }

  std::optional<error> wait_stopped(std::chrono::milliseconds limit) const {
    std::unique_lock<std::mutex> lk{exit_->mtx};
    auto done = [this] { return exit_->done; };
    if (limit == std::chrono::milliseconds::max())
      exit_->cv.wait(lk, done);
    else if (!exit_->cv.wait_for(lk, limit, done))
      return std::nullopt;
    return exit_->reason;
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
  std::shared_ptr<exit_record> exit_;
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
  // A peer reaches a local actor by the id or name it has in the actor
  // registry (basp::remote_message_handler). CAF 0.17.6 registers its spawn
  // server and config server by name ("SpawnServ", "ConfigServ";
  // actor_system.cpp), and by id once one is sent over the wire: any peer
  // could spawn the actor types of the system's config, read and fill the
  // config server's store, or end either with an error message. A node
  // serves tasks only: they leave the registry (their handles stay usable
  // locally). Clients' brokers ask a node's spawn server for "info" in a
  // message that is then dropped; nothing waits for it.
  for (auto& server : {sys.spawn_serv(), sys.config_serv()})
    if (server)
      sys.registry().erase(server->id());
  sys.registry().erase(caf::atom("SpawnServ"));
  sys.registry().erase(caf::atom("ConfigServ"));
  auto stats = std::make_shared<detail::counters>();
  auto actor = sys.spawn<detail::node_actor>(std::move(reg), opts.max_in_flight,
                                             opts.stop_grace, stats);
  auto exit = std::make_shared<detail::exit_record>();
  actor->attach_functor([exit](const caf::error& reason) {
    std::lock_guard<std::mutex> guard{exit->mtx};
    exit->done = true;
    // A normal end (after stop()) is no error.
    if (reason && reason != caf::exit_reason::normal)
      exit->reason = reason;
    exit->cv.notify_all();
  });
  const char* host = opts.host.empty() || opts.host == "0.0.0.0"
                       ? nullptr
                       : opts.host.c_str();
  // CAF's parser never sees a stranger's bytes: the middleman listens on
  // loopback only, in plain BASP, and the guard owns the public port and
  // terminates TLS (docs/distributed.md, "Trust model").
  auto port = sys.middleman().publish(actor, 0, "127.0.0.1", true);
  if (!port) {
    // The node actor ignores exit messages: ask it to shut down.
    detail::request_shutdown(actor, *stats);
    return make_error("cannot listen on 127.0.0.1 for the guard: "
                      + sys.render(port.error()));
  }
  auto guard = detail::guard_node(sys, opts, *port);
  if (!guard) {
    caf::anon_send(sys.middleman().actor_handle(), caf::unpublish_atom::value,
                   actor.address(), *port);
    detail::request_shutdown(actor, *stats);
    return make_error("cannot listen on " + (host ? opts.host : "*") + ":"
                      + std::to_string(opts.port) + ": "
                      + parallel::message(guard.error()));
  }
  return node{std::make_shared<detail::node_state>(sys, std::move(actor), *port,
                                                   false, std::move(stats),
                                                   std::move(exit),
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

std::optional<error> node::wait_stopped(std::chrono::milliseconds limit) const {
  return st_->wait_stopped(limit);
}

} // namespace parallel::remote
