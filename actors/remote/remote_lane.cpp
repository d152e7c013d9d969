// Routing a group's remote tasks over the cluster's nodes.
#include "parallel/remote/detail/remote_lane.hpp"

#include <atomic>
#include <mutex>
#include <random>
#include <stdexcept>
#include <unordered_map>

#include <caf/send.hpp>

#include "cluster_state.hpp"
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

} // namespace

remote_lane::remote_lane(std::shared_ptr<cluster_state> nodes, lane_options opts)
  : nodes_(std::move(nodes)), opts_(opts), group_id_(make_group_id()) {
  if (opts_.per_node_bound == 0)
    throw std::invalid_argument("parallel::remote: per_node_bound must be >= 1");
  if (opts_.max_attempts == 0)
    opts_.max_attempts = 1;
  split_.resize(nodes_->nodes.size());
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
  lane_id_ = core->add_lane(shared_from_this());
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

const context& remote_lane::group_context() const {
  return ctx_;
}

caf::expected<caf::actor> remote_lane::acquire() {
  std::lock_guard<std::mutex> guard{mtx_};
  auto n = split_.size();
  std::size_t best = n;
  bool any_alive = false;
  for (std::size_t k = 0; k < n; ++k) {
    auto i = (next_ + k) % n;
    auto& s = split_[i];
    if (!nodes_->nodes[i]->alive) {
      s.alive = false;
      continue;
    }
    any_alive = true;
    if (s.in_flight < opts_.per_node_bound
        && (best == n || s.in_flight < split_[best].in_flight))
      best = i;
  }
  if (!any_alive)
    return node_down_error("every node is down");
  if (best == n)
    return caf::actor{};
  next_ = (best + 1) % n;
  auto& s = split_[best];
  ++s.in_flight;
  s.peak_in_flight = std::max(s.peak_in_flight, s.in_flight);
  used_[best] = true;
  return nodes_->nodes[best]->handle;
}

void remote_lane::release(const caf::actor& dest) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = index_of(dest))
    --split_[*i].in_flight;
}

std::optional<std::size_t> remote_lane::index_of(const caf::actor& dest) const {
  for (std::size_t i = 0; i < nodes_->nodes.size(); ++i)
    if (nodes_->nodes[i]->handle == dest)
      return i;
  return std::nullopt;
}

std::string remote_lane::node_name(const caf::actor& dest) const {
  if (auto i = index_of(dest))
    return nodes_->nodes[*i]->name;
  return {};
}

void remote_lane::count_reply(const caf::actor& dest, bool ok) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = index_of(dest))
    ++(ok ? split_[*i].ok : split_[*i].failed);
}

bool remote_lane::node_failed(const caf::actor& dest) {
  auto i = index_of(dest);
  if (i) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      ++split_[*i].lost;
      split_[*i].alive = false;
    }
    nodes_->mark_down(*i);
  }
  return nodes_->any_alive();
}

std::vector<node_split> remote_lane::split() const {
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
        notify.push_back(nodes_->nodes[i]->handle);
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
