// group_state: the state of one group behind its narrow interface
// (group_core), shared by its handles and its actors.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "parallel/context.hpp"
#include "parallel/detail/group_core.hpp"
#include "parallel/extension/lane_router.hpp"
#include "parallel/extension/task.hpp"
#include "parallel/group_stats.hpp"

namespace parallel::detail {

class wrapper_base;

struct worker_slot;
class worker_pool;
class requester_pool;

/// A requester and the ticket of its binding to a group, which every message
/// of that group to it carries.
using requester_ref = std::pair<caf::actor, std::uint64_t>;

/// A requester actor's slot: request tasks handed to it wait in `inbox`
/// (one wake message per burst). `load` counts its tasks not yet finished.
struct requester_record {
  /// Requests one requester keeps pending at most. CAF 0.17 keeps an actor's
  /// pending responses in a flat vector, so a few hundred per actor keeps
  /// matching a reply cheap; more concurrent requests get more requesters.
  static constexpr std::size_t capacity = 256;

  /// The pooled requester, bound to this group while `self` is set.
  caf::actor self;
  /// Marks this group's messages to it (see requester_pool::next_ticket).
  std::uint64_t ticket = 0;
  std::vector<std::unique_ptr<task>> inbox;
  std::size_t load = 0;
  /// It is also its wrapper's reducer: it stays until the wrapper lets it
  /// go, not only until the group finishes.
  bool reduces = false;
};

/// The state of one group and the rules that drive it. The supervisor actor,
/// the worker actors and the reducers act on it; handles submit to it.
///
/// The queue belongs to the group: `go` appends under the lock and a worker
/// that finishes a task takes the next one under the same lock, so a busy
/// group moves tasks with no message at all. Worker threads belong to the
/// actor system's pool (worker_pool): the group borrows idle ones, never
/// more than its bound, and each hands itself back once the group has no
/// task for it. Messages are sent only to wake a borrowed worker or a
/// requester, to ask the supervisor for more, and to announce that the group
/// is finished.
class group_state final : public group_core,
                          public std::enable_shared_from_this<group_state> {
public:
  /// `bound == 0` is the serial executor: closures run inline in `submit`
  /// (after the requests submitted before them), request tasks (which need
  /// no thread) go one at a time, in order.
  group_state(caf::actor_system& sys, const context& parent, std::size_t bound);

  ~group_state();

  group_state(const group_state&) = delete;
  group_state& operator=(const group_state&) = delete;

  // -- the narrow interface (see parallel/detail/group_core.hpp) -----------
  // Handles' part in actors/group_state.cpp, the supervisor's in
  // actors/group_lifecycle.cpp, lanes in actors/group_requests.cpp.

  caf::actor_system& system() const noexcept override {
    return sys_;
  }

  const context& ctx() const noexcept override {
    return ctx_;
  }

  void cancel(error cause) const override {
    cancel_(std::move(cause));
  }

  void submit(std::unique_ptr<task> t) override;
  void close() override;
  void wait_tasks() override;
  bool finished() const override;
  error finish_cause() const override;
  void record_panic(std::exception_ptr e) override;
  void rethrow_if_panicked() const override;
  group_stats stats() const override;

  /// The supervisor, spawned (lazily, with its sentinel) on the first need:
  /// an await, more workers than the pool has idle, growth, a flush, or
  /// abandonment of an unfinished group. Most groups never need one.
  /// Invalid once it has exited. Never called on the deadline timer's
  /// thread (see on_cancel_signal).
  caf::actor need_supervisor() override;

  /// The last handle is gone: abandons the group at once (see `abandon`).
  /// If a supervisor exists, its sentinel dies here and the supervisor hears
  /// the down message; it quits once the group is finished. Otherwise a
  /// finished group's actors are released here, and an unfinished group
  /// gets a supervisor that does it when the group finishes.
  void handle_gone() override;

  void add_wrapper(std::shared_ptr<wrapper_base> w) override;

  /// Asks the supervisor to call `flush_wrappers` in a moment.
  void flush_later() override;

  std::size_t add_lane(std::shared_ptr<lane_router> router) override;
  void poke() override;

  // -- used by actors ------------------------------------------------------

  /// The supervisor if it exists: an invalid handle before it was needed
  /// and after it exited.
  caf::actor supervisor() const;

  /// Sends every wrapper's held-back results to its reducer (the
  /// supervisor's side of `flush_later`).
  void flush_wrappers();

  // -- used by the supervisor (actors/group_lifecycle.cpp; workers in -------
  // -- actors/group_workers.cpp, requesters in actors/group_requests.cpp) --

  /// Called once by make_group, right after construction: watches the
  /// context for cancellation.
  void start();

  /// The system's worker pool, which lends this group its threads.
  worker_pool& pool() const noexcept {
    return *pool_;
  }

  /// Starting `n` workers failed: no thread could be created (the process's
  /// thread limit, say). If the group has no worker left to run its queued
  /// closures, or `growing` (its busy workers are stuck, maybe waiting on
  /// those closures), the queued closures fail with `why`: the group and the
  /// system stay usable, and later tasks try again.
  void spawn_failed(std::size_t n, error why, bool growing);


  /// A newly spawned worker is lent to this group at once (it hands itself
  /// back to the pool if the group no longer needs it).
  void add_worker(worker_slot* slot);

  /// The supervisor must hear `finished_atom` (it has an await to answer):
  /// returns true if the group is finished already.
  bool notify_supervisor_when_finished();

  /// What the supervisor needs to decide whether an unlimited group's busy
  /// workers are stuck (see `check_progress`).
  struct progress {
    bool starving = false;  // tasks wait, no worker is idle, the bound allows more
    bool stalled = false;   // and no task finished since the last check
    std::vector<int> busy;  // thread ids of the busy workers
  };

  /// Called a moment after `tick_atom`.
  progress check_progress();

  /// Reserves up to `n` more workers (within the bound and the backlog);
  /// returns how many to spawn.
  std::size_t reserve_workers(std::size_t n);

  /// Every requester bound to this group, to tell them about a cancellation.
  std::vector<requester_ref> requesters() const;

  // -- used by requesters (actors/group_requests.cpp) -----------------------

  /// Moves the request tasks handed to `rec` into `out` (empty), to be sent
  /// now, swapping storage so neither side allocates again. False if none.
  bool take_requests(requester_record& rec, std::vector<std::unique_ptr<task>>& out);

  /// A request task of `rec` ended (or was never sent: `started == false`).
  /// Requests this hands to `rec` itself are not announced by a message:
  /// the requester takes them right after. Returns true if this finished
  /// the group and `rec` reduces: it hears so here, not by `finished_atom`.
  bool finish_request(requester_record& rec, std::unique_ptr<task> t,
                      std::optional<task_outcome> outcome, bool started = true);

  /// The context was cancelled: drop queued tasks.
  void on_cancelled();

  /// The last handle is gone: cancel with `errc::group_abandoned` unless the
  /// group is finished, and drop queued tasks.
  void abandon();

  /// The supervisor is terminating: release every actor the group holds.
  void on_supervisor_exit();

  // -- used by workers (actors/group_workers.cpp) ---------------------------

  /// Runs closures of this group on the borrowed worker `slot` until none is
  /// left for it; then the group lets go of it (the caller hands it back to
  /// the pool).
  void work(worker_slot& slot);

private:
  // Side effects decided under the lock and performed after releasing it.
  struct actions {
    std::vector<caf::actor> wake;
    std::size_t spawn = 0;
    bool tick = false;
    std::vector<requester_ref> wake_requesters;
    bool spawn_requester = false;
    std::vector<caf::actor> finished;  // supervisor and reducers to notify
    std::vector<requester_ref> finished_requesters; // requesters that reduce
    std::vector<requester_ref> retire; // requesters of a finished group
    bool finishing = false;            // the group finished in this update
    std::vector<std::shared_ptr<wrapper_base>> release; // reducer-less
    std::vector<std::unique_ptr<task>> dropped;
    std::vector<std::pair<std::unique_ptr<task>, error>> failed; // unroutable
    caf::actor supervisor;
  };

  // Runs `f(actions&)` under the lock, checks whether the group finished,
  // then performs the actions unlocked (defined in actors/group_update.hpp).
  template <class F>
  void update(F&& f);

  // The context's cancellation as the group's lock may see it: reading it
  // never runs a stop callback (see context_state::latched).
  bool cancelled_locked() const noexcept;
  void pump_locked(actions& a);
  void pump_lanes_locked(actions& a);
  void fail_unrouted(std::vector<std::pair<std::unique_ptr<task>, error>> failed);
  void hand_request_locked(std::unique_ptr<task> t, actions& a);
  void request_requester_locked(actions& a);
  void drop_queue_locked(actions& a);
  void check_finished_locked(actions& a);
  // Unbinds the requesters (those that reduce too, if `reducing_too`).
  std::vector<requester_ref> retire_locked(bool reducing_too);
  void start_locked(std::size_t lane);
  void end_locked(std::size_t lane);
  void count_locked(std::optional<task_outcome> outcome);
  void perform(actions& a);
  void spawn_requester();
  void release_actors();
  bool orphaned() const;
  void on_cancel_signal();
  void lend_locked(worker_slot* slot, actions& a);
  std::unique_ptr<task> take_closure_locked();
  // Runs `t`, then closures of the queue while the bound lets this thread
  // take them; `slot` (null for a thread in wait()) is let go at the end.
  void run_streak(std::unique_ptr<task> t, worker_slot* slot);
  void let_go_locked(worker_slot& slot);
  std::optional<task_outcome> run_guarded(task& t);
  void run_inline(std::unique_ptr<task> t);

  caf::actor_system& sys_;
  context ctx_;
  canceller cancel_;
  const std::size_t bound_;         // max tasks in flight; 0 = serial
  const std::size_t eager_limit_;   // workers spawned without waiting for a tick

  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::shared_ptr<worker_pool> pool_;
  std::deque<std::unique_ptr<task>> closures_; // lane 0 closures
  std::deque<std::unique_ptr<task>> queue_;    // lane 0 requests
  struct lane {
    std::deque<std::unique_ptr<task>> queue;
    std::shared_ptr<lane_router> router;
  };
  std::deque<lane> lanes_; // lane k is lanes_[k - 1]; a deque never moves them
  std::vector<std::unique_ptr<requester_record>> requesters_;
  std::shared_ptr<requester_pool> requester_pool_; // set by spawn_requester
  std::vector<requester_record*> open_requesters_; // load < capacity
  bool requester_spawning_ = false;
  std::vector<worker_slot*> borrowed_; // lent by the pool, busy or waking
  std::size_t waking_ = 0;            // borrowed, woken, not yet taking
  std::vector<std::shared_ptr<wrapper_base>> wrappers_;
  std::size_t in_flight_ = 0;       // every lane
  std::size_t local_in_flight_ = 0; // lane 0, under `bound_`
  std::size_t local_requests_ = 0;  // lane 0 requests handed to requesters
  std::size_t outstanding_ = 0;  // queued + in flight
  std::size_t spawning_ = 0;
  bool tick_pending_ = false;
  std::size_t completions_ = 0;       // thread tasks finished, for ticks
  std::size_t last_completions_ = 0;
  bool closed_ = false;
  bool abandoned_ = false;
  bool finished_ = false;
  bool retired_ = false;
  bool notify_supervisor_ = false; // an await waits for finished_atom
  std::atomic<bool> done_{false};  // finished_, readable without the lock
  std::exception_ptr panic_;
  group_stats stats_;

  std::atomic<bool> flush_scheduled_{false};
  // The supervisor handle has its own lock so that the context's stop
  // callback, which reads it, never needs the group's lock.
  mutable std::mutex sup_mtx_;
  caf::actor supervisor_;
  // Only strong reference to the sentinel (exists with the supervisor);
  // released when the last handle is gone.
  caf::actor sentinel_;
  bool handle_gone_ = false;
  bool supervisor_exited_ = false;
  std::optional<std::stop_callback<std::function<void()>>> on_cancel_;
};

} // namespace parallel::detail
