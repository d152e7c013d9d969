// Routing a group's remote tasks over the cluster's nodes.
#include "parallel/remote/detail/remote_lane.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <stdexcept>
#include <unordered_map>

#include <caf/send.hpp>

#include "cluster_state.hpp"
#include "parallel/detail/type_name.hpp"
#include "parallel/remote/protocol.hpp"
#include "parallel/remote/remote_executor.hpp"

namespace parallel::remote {

namespace detail {

namespace {

uint64_t make_group_id() {
  // Random per process, then a counter: unique among a node's clients with
  // overwhelming probability.
  static const uint64_t base = [] {
    std::random_device rd;
    return (uint64_t{rd()} << 32) ^ rd();
  }();
  static std::atomic<uint64_t> counter{0};
  auto x = base + 0x9E3779B97F4A7C15ull * ++counter;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Which lane a group has (groups are found from any of their handles).
std::mutex lanes_mtx;
std::unordered_map<const parallel::detail::group_core*, std::weak_ptr<remote_lane>>
  lanes_by_core;

/// The router of one lane of a group: the task `task` (any task if empty).
class task_router final : public parallel::extension::lane_router {
public:
  task_router(std::shared_ptr<remote_lane> lane, std::optional<std::string> task)
    : lane_(std::move(lane)), task_(std::move(task)) {
  }

  caf::expected<caf::actor> acquire() override {
    return lane_->acquire(task_ ? &*task_ : nullptr);
  }

  void release(const caf::actor& dest) override {
    lane_->release(dest);
  }

private:
  std::shared_ptr<remote_lane> lane_; // the group owns its remote lane
  std::optional<std::string> task_;
};

/// Answers in a row that were failures before a node is passed over.
constexpr std::size_t failures_before_pause = 3;

/// How long a node that keeps failing is passed over: 10 ms after three
/// failures in a row, doubled with each further failure, at most a second.
std::chrono::milliseconds failure_pause(std::size_t failures) {
  auto doublings = std::min<std::size_t>(failures - failures_before_pause, 7);
  return std::chrono::milliseconds{10 << doublings};
}

} // namespace

remote_lane::remote_lane(std::shared_ptr<cluster_state> nodes, lane_options opts)
  : nodes_(std::move(nodes)), opts_(opts), group_id_(make_group_id()) {
  if (opts_.per_node_bound == 0)
    throw std::invalid_argument("parallel::remote: per_node_bound must be >= 1");
  if (opts_.max_attempts == 0)
    opts_.max_attempts = 1;
  split_.resize(nodes_->nodes.size());
  health_.resize(nodes_->nodes.size());
  used_.resize(nodes_->nodes.size());
  for (std::size_t i = 0; i < split_.size(); ++i)
    split_[i].node = nodes_->nodes[i]->name;
}

remote_lane::~remote_lane() {
  on_cancel_.reset();
  std::lock_guard<std::mutex> guard{lanes_mtx};
  auto i = lanes_by_core.find(core_key_);
  if (i != lanes_by_core.end() && i->second.expired())
    lanes_by_core.erase(i);
}

void remote_lane::attach(const std::shared_ptr<parallel::detail::group_core>& core) {
  {
    std::lock_guard<std::mutex> guard{lanes_mtx};
    auto& slot = lanes_by_core[core.get()];
    if (auto old = slot.lock(); old && !old->core_.expired())
      throw std::logic_error("parallel::remote::spread: this group already "
                             "has nodes");
    slot = weak_from_this();
  }
  core_ = core;
  core_key_ = core.get();
  ctx_ = core->ctx();
  // The lane for nodes that did not say what they offer; it also makes the
  // group own this object.
  any_lane_ = core->add_lane(std::make_shared<task_router>(shared_from_this(),
                                                           std::nullopt));
  nodes_->add_lane(weak_from_this());
  on_cancel_.emplace(ctx_.stop_token(), std::function<void()>{[this] {
                       on_cancelled();
                     }});
}

std::shared_ptr<remote_lane> remote_lane::of(const parallel::detail::group_core& core) {
  std::lock_guard<std::mutex> guard{lanes_mtx};
  auto i = lanes_by_core.find(&core);
  if (i == lanes_by_core.end())
    return nullptr;
  return i->second.lock();
}

std::size_t remote_lane::route(const std::string& name) {
  std::lock_guard<std::mutex> guard{routes_mtx_};
  if (!nodes_->any_tasks_known())
    return any_lane_;
  if (auto i = routes_.find(name); i != routes_.end())
    return i->second;
  auto core = core_.lock();
  if (!core)
    return any_lane_; // the group is gone: go_remote reports the misuse
  auto id = core->add_lane(std::make_shared<task_router>(shared_from_this(), name));
  routes_.emplace(name, id);
  return id;
}

const context& remote_lane::group_context() const {
  return ctx_;
}

std::string remote_lane::unsendable(const caf::message& args) const {
  // CAF serializes only its own types and those added with
  // add_message_type; any other fails in the middleman, with a bare
  // unexpected_message for the request.
  auto& types = nodes_->system().types();
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto& name = types.portable_name(args.type(i));
    if (name == types.default_type_name())
      return "argument " + std::to_string(i + 1) + " is of type "
             + parallel::detail::describe_types(args.drop(i).take(1))
             + ", which this actor system cannot send to a node (add it with "
               "add_message_type, on the node too)";
  }
  return {};
}

error remote_lane::no_offer_error(const std::string& task) const {
  std::string nodes;
  for (auto& n : nodes_->nodes)
    nodes += (nodes.empty() ? "" : "; ") + n->name + " offers " + n->offer_text();
  return make_error("no connected node offers remote task \"" + task + "\" ("
                    + nodes + ")");
}

caf::expected<caf::actor> remote_lane::acquire(const std::string* task) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto now = clock::now();
  auto n = split_.size();
  std::size_t best = n;        // a node not paused for failures
  std::size_t best_paused = n; // a node paused for failures
  bool offered = false;
  bool any_alive = false;
  bool unpaused_full = false;
  auto less_loaded = [&](std::size_t i, std::size_t than) {
    return than == n || split_[i].in_flight < split_[than].in_flight;
  };
  for (std::size_t k = 0; k < n; ++k) {
    auto i = (next_ + k) % n;
    auto& node = *nodes_->nodes[i];
    if (task != nullptr && !node.offers(*task))
      continue;
    offered = true;
    if (!node.alive)
      continue;
    any_alive = true;
    auto& s = split_[i];
    bool room = s.in_flight < opts_.per_node_bound;
    bool paused = health_[i].failures >= failures_before_pause
                  && now < health_[i].retry_at;
    if (!paused && room && less_loaded(i, best))
      best = i;
    else if (!paused && !room)
      unpaused_full = true;
    else if (paused && room && less_loaded(i, best_paused))
      best_paused = i;
  }
  if (!offered)
    return no_offer_error(*task);
  if (!any_alive)
    return node_down_error(task != nullptr && nodes_->any_alive()
                             ? "every node offering remote task \"" + *task
                                 + "\" is down"
                             : "every node is down");
  if (best == n) {
    // A node that keeps failing gets work only when no other node ever
    // could: a busy healthy node frees a slot soon.
    if (unpaused_full)
      return caf::actor{};
    best = best_paused;
  }
  if (best == n)
    return caf::actor{};
  next_ = (best + 1) % n;
  auto& s = split_[best];
  ++s.in_flight;
  s.peak_in_flight = std::max(s.peak_in_flight, s.in_flight);
  used_[best] = true;
  return nodes_->nodes[best]->handle();
}

void remote_lane::release(const caf::actor& dest) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = index_of(dest))
    --split_[*i].in_flight;
}

std::optional<std::size_t> remote_lane::index_of(const caf::actor& dest) const {
  return nodes_->index_of(dest.address());
}

std::string remote_lane::node_name(const caf::actor& dest) const {
  if (auto i = index_of(dest))
    return nodes_->nodes[*i]->name;
  return {};
}

void remote_lane::count_reply(const caf::actor& dest, bool ok) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = index_of(dest);
  if (!i)
    return;
  ++(ok ? split_[*i].ok : split_[*i].failed);
  auto& h = health_[*i];
  if (ok) {
    h.failures = 0;
  } else if (++h.failures >= failures_before_pause) {
    h.retry_at = clock::now() + failure_pause(h.failures);
  }
}

bool remote_lane::node_failed(const caf::actor& dest) {
  auto i = index_of(dest);
  if (i) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      ++split_[*i].lost;
      split_[*i].alive = false;
    }
    // Only if `dest` is the node's current connection: a request to an
    // earlier one says nothing about a node that is back.
    if (nodes_->nodes[*i]->handle() == dest)
      nodes_->mark_down(*i);
  }
  return nodes_->any_alive();
}

std::vector<group_node_stats> remote_lane::split() const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto out = split_;
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i].alive = nodes_->nodes[i]->alive;
  return out;
}

void remote_lane::poke() {
  if (auto core = core_.lock())
    core->poke();
}

void remote_lane::on_cancelled() {
  auto cause = ctx_.cause();
  if (is(cause, errc::group_done))
    return; // every task has finished: nothing runs on the nodes
  std::vector<caf::actor> notify;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    for (std::size_t i = 0; i < used_.size(); ++i)
      if (used_[i] && nodes_->nodes[i]->alive)
        notify.push_back(nodes_->nodes[i]->handle());
  }
  for (auto& n : notify)
    caf::anon_send(n, cancel_atom::value, group_id_, cause);
}

std::shared_ptr<remote_lane> require_lane(const parallel::detail::group_core& core) {
  auto lane = remote_lane::of(core);
  if (!lane)
    throw std::logic_error("parallel::remote::go_remote: this group has no "
                           "nodes (make its executor with remote::spread)");
  return lane;
}

} // namespace detail

remote_executor spread(const executor& ex, const cluster& nodes, lane_options opts) {
  auto lane = std::make_shared<detail::remote_lane>(nodes.state(), opts);
  lane->attach(ex.handle()->core_ptr());
  return remote_executor{ex, std::move(lane)};
}

} // namespace parallel::remote
