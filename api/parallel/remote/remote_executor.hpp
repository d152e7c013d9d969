// remote_executor: a group whose tasks may also run, by name, on nodes.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/message.hpp>
#include <caf/sec.hpp>

#include "parallel/detail/invoke.hpp"
#include "parallel/extension/task.hpp"
#include "parallel/detail/type_name.hpp"
#include "parallel/executor.hpp"
#include "parallel/remote/cluster.hpp"
#include "parallel/remote/detail/remote_lane.hpp"
#include "parallel/remote/group_node_stats.hpp"
#include "parallel/remote/lane_options.hpp"
#include "parallel/remote/protocol.hpp"
#include "parallel/remote/registry.hpp"
#include "parallel/remote/remote_panic.hpp"

namespace parallel::remote {

namespace detail {

/// The error of a task whose node went down: `errc::node_down`, naming it.
inline error node_down_error(const std::string& node) {
  if (node.empty())
    return make_error(errc::node_down);
  return error{static_cast<uint8_t>(errc::node_down), error_category,
               caf::make_message(node)};
}

/// The time the node gives a task, in nanoseconds (-1: none): what is left
/// of the group's deadline now, or the per-task `timeout` if that is shorter
/// (the node starts counting it when the request arrives, as the client
/// does when it sends it).
inline int64_t deadline_ns(const context& ctx, const caf::duration& timeout) {
  int64_t out = -1;
  if (auto d = ctx.deadline()) {
    auto left = *d - std::chrono::steady_clock::now();
    out = std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::nanoseconds>(left).count());
  }
  if (timeout.valid()) {
    // caf::duration converts only by adding it to a time point.
    std::chrono::steady_clock::time_point zero{}, end{};
    end += timeout;
    auto t = std::chrono::duration_cast<std::chrono::nanoseconds>(end - zero).count();
    if (out < 0 || t < out)
      out = t;
  }
  return out;
}

/// A remote task: one request to whichever node the lane's router picks.
/// `R` is the result type the node announced (`void` when unknown: then the
/// reply must carry exactly the sink's value type).
template <class Sink, class R>
class remote_task final : public parallel::extension::request_task {
public:
  remote_task(std::shared_ptr<remote_lane> l, std::string name,
              caf::message args, Sink* sink, std::size_t index)
    : request_task(caf::actor{}, l->options().timeout,
                   caf::make_message(run_atom::value, l->group_id(), name,
                                     std::move(args),
                                     deadline_ns(l->group_context(),
                                                 l->options().timeout))),
      lane_(std::move(l)),
      name_(std::move(name)),
      sink_(sink),
      index_(index) {
    this->lane = lane_->route(name_);
  }

  parallel::extension::task_outcome on_reply(caf::message& reply) override {
    using T = typename Sink::value_type;
    if (reply.match_element<ok_atom>(0)) {
      // A value of the wrong type counts as a failure of that node, in its
      // counters and its health: it runs a task of another shape.
      if constexpr (std::is_void_v<T>) {
        lane_->count_reply(dest(), true);
        return sink_->ok(index_);
      } else if constexpr (!std::is_void_v<R> && !std::is_same_v<R, T>) {
        static_assert(std::is_convertible_v<R, T>,
                      "the remote task's result does not convert to the "
                      "wrapper's value type");
        bool right = reply.size() == 2 && reply.match_element<R>(1);
        lane_->count_reply(dest(), right);
        if (right)
          return sink_->ok(index_, T(std::move(reply.get_mutable_as<R>(1))));
        return wrong_type(reply, wire_name<R>());
      } else {
        bool right = reply.size() == 2 && reply.match_element<T>(1);
        lane_->count_reply(dest(), right);
        if (right)
          return sink_->ok(index_, std::move(reply.get_mutable_as<T>(1)));
        return wrong_type(reply, wire_name<T>());
      }
    }
    lane_->count_reply(dest(), false);
    if (reply.match_elements<fail_atom, error>())
      return sink_->fail(index_, std::move(reply.get_mutable_as<error>(1)));
    if (reply.match_elements<panic_atom, std::string, std::string>())
      throw remote_panic(reply.get_as<std::string>(1),
                         reply.get_as<std::string>(2), name_,
                         lane_->node_name(dest()));
    return sink_->fail(index_,
                       make_error("remote task \"" + name_
                                  + "\": unexpected reply "
                                  + parallel::detail::describe_types(reply)));
  }

  parallel::extension::task_outcome on_error(error err) override {
    if (err == caf::sec::request_receiver_down) {
      // The node died (or its connection timed out) while this ran there.
      auto node = lane_->node_name(dest());
      bool others = lane_->node_failed(dest());
      if (others && ++attempts_ < lane_->options().max_attempts)
        return parallel::extension::task_outcome::retry;
      return sink_->fail(index_, node_down_error(node));
    }
    // An argument CAF cannot serialize: the middleman bounced the request.
    // (Looked for only then: no cost to a task that was sent.)
    if (err == caf::sec::unexpected_message) {
      auto why = lane_->unsendable(content().get_as<caf::message>(3));
      if (!why.empty())
        return sink_->fail(index_, make_error("remote task \"" + name_ + "\": " + why));
    }
    // Not routable (every node is down), a timeout, ...
    return sink_->fail(index_, std::move(err));
  }

private:
  parallel::extension::task_outcome wrong_type(const caf::message& reply,
                                            const std::string& want) {
    return sink_->fail(index_,
                       make_error("remote task \"" + name_
                                  + "\": expected a result of type " + want
                                  + ", got "
                                  + parallel::detail::describe_types(
                                    reply.drop(1))));
  }

  std::shared_ptr<remote_lane> lane_;
  std::string name_;
  Sink* sink_;
  std::size_t index_;
  std::size_t attempts_ = 0;
};

template <class R, class Sink>
std::unique_ptr<parallel::extension::task>
make_remote_task(std::shared_ptr<remote_lane> lane, std::string name,
                 caf::message args, Sink* sink, std::size_t index) {
  return std::make_unique<remote_task<Sink, R>>(std::move(lane),
                                                std::move(name),
                                                std::move(args), sink, index);
}

/// The lane of `core`'s group; throws `std::logic_error` if it has none.
std::shared_ptr<remote_lane> require_lane(const parallel::detail::group_core& core);

/// The sink and index of a handle: an executor's own, or a wrapper's.
template <class Handle>
auto sink_of(Handle& h) {
  if constexpr (std::is_base_of_v<executor, Handle>) {
    return std::pair{parallel::detail::executor_sink::instance(), std::size_t{0}};
  } else {
    auto* st = h.sink();
    return std::pair{st, st->next_index()};
  }
}

template <class Handle>
const executor& executor_of(const Handle& h) {
  if constexpr (std::is_base_of_v<executor, Handle>)
    return h;
  else
    return h.get_executor();
}

} // namespace detail

/// Submits the remote task `name` with arguments `xs...` to `h`, an executor
/// or wrapper over a group made by `spread()`. It runs on one of the group's
/// nodes, holding an in-flight slot there (under `per_node_bound`) and no
/// thread here; its value or error goes to `h` like a local task's. The
/// reply must be of `h`'s value type exactly (else the task fails with an
/// error naming both types); a typed `task_ref` converts instead.
/// Arguments must be of the types the node registered (`30` is an int32_t).
/// Same rules as `go` otherwise (misuse after wait, panics, cancellation).
template <class Handle, class... Ts>
void go_remote(Handle& h, std::string name, Ts&&... xs) {
  auto& ex = detail::executor_of(h);
  auto lane = detail::require_lane(ex.core());
  auto [sink, index] = detail::sink_of(h);
  ex.core().submit(detail::make_remote_task<void>(
    std::move(lane), std::move(name),
    caf::make_message(std::forward<Ts>(xs)...), sink, index));
}

/// Same, with a typed task reference: arguments are converted to the task's
/// parameter types, and its result to `h`'s value type, at compile time.
template <class Handle, class R, class... As, class... Ts>
void go_remote(Handle& h, const task_ref<R(As...)>& task, Ts&&... xs) {
  static_assert(sizeof...(As) == sizeof...(Ts),
                "wrong number of arguments for this remote task");
  auto& ex = detail::executor_of(h);
  auto lane = detail::require_lane(ex.core());
  auto [sink, index] = detail::sink_of(h);
  ex.core().submit(detail::make_remote_task<R>(
    std::move(lane), task.name(),
    caf::make_message(As(std::forward<Ts>(xs))...), sink, index));
}

/// An executor whose group also runs remote tasks on a cluster's nodes, at
/// most `per_node_bound` in flight per node, each task only on nodes that
/// offer it (a task no node offers fails at once with an error naming the
/// task and what each node offers). Local tasks (`go`) and actor
/// requests (`go_request`) run under the executor's own bound as usual; all
/// of them share one group: one context, one `wait()`, one panic. Wrap it in
/// any of the six wrappers and submit with `remote::go_remote(wrapper, ...)`.
class remote_executor : public executor {
public:
  /// Submits the remote task `name(xs...)` (see `remote::go_remote`).
  template <class... Ts>
  void go_remote(std::string name, Ts&&... xs) {
    remote::go_remote(*this, std::move(name), std::forward<Ts>(xs)...);
  }

  /// Submits the remote task `task(xs...)`, typed (see `remote::go_remote`).
  template <class R, class... As, class... Ts>
  void go_remote(const task_ref<R(As...)>& task, Ts&&... xs) {
    remote::go_remote(*this, task, std::forward<Ts>(xs)...);
  }

  /// Per node: tasks answered, failed, lost with the node, in flight.
  std::vector<group_node_stats> node_stats() const {
    if (!lane_) [[unlikely]]
      parallel::detail::throw_moved_from();
    return lane_->split();
  }

  /// @private
  remote_executor(const executor& ex, std::shared_ptr<detail::remote_lane> lane)
    : executor(ex.handle()), lane_(std::move(lane)) {
  }

private:
  std::shared_ptr<detail::remote_lane> lane_;
};

/// Gives the group of `ex` the nodes of `nodes`: its remote tasks run there,
/// `opts.per_node_bound` at most per node. When the group is cancelled or
/// abandoned, the nodes cancel its tasks' contexts. A node that dies or
/// becomes unreachable never makes `wait()` hang: its in-flight tasks fail at
/// once with `errc::node_down` (or run again elsewhere, see
/// `lane_options::max_attempts`), and the group stops sending to it.
/// Throws `std::logic_error` if the group already has nodes.
remote_executor spread(const executor& ex, const cluster& nodes,
                       lane_options opts = {});

/// Per node counters of the group behind `h` (an executor or a wrapper).
template <class Handle>
std::vector<group_node_stats> node_stats(const Handle& h) {
  return detail::require_lane(detail::executor_of(h).core())->split();
}

} // namespace parallel::remote
