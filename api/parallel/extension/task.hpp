// task: one unit of work queued in a group (a closure or an actor request).
// Public for extensions that bring their own task types: the remote layer's
// remote tasks and the simulator's recorded requests derive from
// request_task and are submitted with `submit_with` (see executor.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include <caf/actor.hpp>
#include <caf/duration.hpp>
#include <caf/message.hpp>

#include "parallel/context.hpp"
#include "parallel/error.hpp"

namespace parallel::extension {

/// How a task ended, for the group's counters. A panic is an exception
/// escaping `run`, not a value of this enum. `retry` (from a request task's
/// `on_error`) means "not finished": the task goes back to the front of its
/// lane's queue and is routed again.
enum class task_outcome : uint8_t { succeeded, failed, retry };

/// A queued unit of work. The queue owns it; a worker runs it once and
/// destroys it. A task that never starts is destroyed without running.
class task {
public:
  /// Destroyed by the group, on whatever thread ran or dropped it.
  virtual ~task() = default;

  /// Runs the work on a worker thread (or inline for the serial executor) and
  /// hands its result to the wrapper's reducer. May throw: that is a panic.
  virtual task_outcome run(const context& ctx) = 0;

  /// The task will never run (no thread could be started for it): reports
  /// `err` as its error, to its wrapper like any task error. May throw.
  virtual task_outcome fail(error err) {
    (void) err;
    return task_outcome::failed;
  }

  /// Non-null for tasks that are an actor request (`go_request`).
  virtual class request_task* as_request() noexcept {
    return nullptr;
  }

  /// The group's queue this task waits in: 0 is the group's own lane; other
  /// lanes (see `lane_router`) hold request tasks only. Set before submitting.
  std::size_t lane = 0;
};

/// A task that is one actor request: it holds an in-flight slot while the
/// reply is pending, but no thread. A requester actor sends it and routes
/// the reply or error back here.
class request_task : public task {
public:
  /// A request of `content` to `dest` (null if a lane's router picks it),
  /// failing with a timeout after `timeout`.
  request_task(caf::actor dest, caf::duration timeout, caf::message content)
    : dest_(std::move(dest)), timeout_(timeout), content_(std::move(content)) {
  }

  /// The destination (null until a lane's router has chosen one).
  const caf::actor& dest() const noexcept {
    return dest_;
  }

  /// Set by the group when a lane's router chose the destination.
  void set_dest(caf::actor dest) noexcept {
    dest_ = std::move(dest);
  }

  /// How long the request may wait for its reply.
  caf::duration timeout() const noexcept {
    return timeout_;
  }

  /// The message sent to the destination.
  const caf::message& content() const noexcept {
    return content_;
  }

  /// The destination answered. May throw (a panic).
  virtual task_outcome on_reply(caf::message& reply) = 0;

  /// The request failed: error reply, timeout, or the destination died.
  virtual task_outcome on_error(error err) = 0;

  /// A request that can never be sent fails like an error reply.
  task_outcome fail(error err) final {
    return on_error(std::move(err));
  }

  /// This task is a request.
  request_task* as_request() noexcept final {
    return this;
  }

  /// Never called: the group hands requests to a requester actor (the
  /// serial executor's caller waits for that requester's answer).
  task_outcome run(const context&) final {
    return task_outcome::failed;
  }

private:
  caf::actor dest_;
  caf::duration timeout_;
  caf::message content_;
};

} // namespace parallel::extension

namespace parallel::detail {

// The core's own spelling of the same types.
using extension::request_task;
using extension::task;
using extension::task_outcome;

} // namespace parallel::detail
