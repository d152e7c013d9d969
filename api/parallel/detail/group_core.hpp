// group_core: what handles, wrappers and extensions see of a group.
#pragma once

#include <cstddef>
#include <exception>
#include <limits>
#include <memory>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "parallel/context.hpp"
#include "parallel/error.hpp"
#include "parallel/extension/lane_router.hpp"
#include "parallel/extension/task.hpp"
#include "parallel/group_stats.hpp"

namespace parallel::detail {

class wrapper_base;

/// The narrow interface of one group: submitting tasks, waiting for them,
/// cancelling, counters, and the hooks wrappers and extensions need. The
/// state behind it (the queue and the bound, borrowed workers, requesters,
/// the supervisor) lives in `actors/group_state.hpp`, which public headers
/// never include.
class group_core {
public:
  /// The bound of an `unlimited` group.
  static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

  virtual ~group_core() = default;

  /// The actor system whose pool lends this group its workers.
  virtual caf::actor_system& system() const noexcept = 0;

  /// The group's own context: a child of the parent given at creation.
  virtual const context& ctx() const noexcept = 0;

  /// Cancels the group's context (the first cause wins).
  virtual void cancel(error cause) const = 0;

  // -- tasks ---------------------------------------------------------------

  /// Queues `t` (or runs it inline for the serial executor). Throws
  /// `misuse_error` after `close()`; rethrows the group's panic if there is
  /// one; drops `t` (counted as skipped) if the context is cancelled.
  virtual void submit(std::unique_ptr<task> t) = 0;

  /// No more tasks may be submitted. Finishes the group if nothing is running.
  virtual void close() = 0;

  /// `close()`, then blocks until every submitted task has finished, running
  /// queued closures on the calling thread meanwhile.
  virtual void wait_tasks() = 0;

  /// True once closed (or abandoned) and no task is queued or running.
  virtual bool finished() const = 0;

  /// Ends the group for a `wait()`: cancels the context with
  /// `errc::group_done` unless it already has a cause, atomically, and
  /// returns the cause that stopped the group first (empty if it was
  /// `group_done`). Every wait of a group therefore sees the same cause.
  virtual error finish_cause() const = 0;

  /// Records a panic (the first one is kept) and cancels with `errc::panicked`.
  virtual void record_panic(std::exception_ptr e) = 0;

  /// Rethrows the first exception a task or receiver threw, if any.
  virtual void rethrow_if_panicked() const = 0;

  /// A snapshot of the group's counters.
  virtual group_stats stats() const = 0;

  // -- actors --------------------------------------------------------------

  /// The supervisor, spawned (lazily, with its sentinel) if it does not
  /// exist yet; `await` asks it for `done_atom`. Invalid once it has exited.
  virtual caf::actor need_supervisor() = 0;

  /// The last handle is gone: abandons the group at once; its actors quit
  /// once its running tasks have ended.
  virtual void handle_gone() = 0;

  // -- wrappers ------------------------------------------------------------

  /// Keeps a wrapper alive while the group lives and tells its reducer when the
  /// group is finished.
  virtual void add_wrapper(std::shared_ptr<wrapper_base> w) = 0;

  /// A worker held back results (see notify_batch): make sure they are sent
  /// soon, even if that worker is now stuck in a long task.
  virtual void flush_later() = 0;

  // -- lanes (extensions: the remote layer, the simulator) -----------------

  /// Adds a lane whose request tasks `router` routes; returns its number
  /// (>= 1), to put in `task::lane` before submitting.
  virtual std::size_t add_lane(std::shared_ptr<lane_router> router) = 0;

  /// A router's capacity changed (a node died, say): dispatch again.
  virtual void poke() = 0;
};

} // namespace parallel::detail
