// worker_pool: the detached worker actors of one actor_system, shared by
// every group of that system.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace parallel::detail {

class group_state;

/// A worker actor's slot, owned by the worker actor itself. While the slot
/// sits in the pool's idle list the worker belongs to no group; a group
/// borrows it (sets `group` and wakes it), and the worker hands itself back
/// once that group has no task for it.
///
/// Idle workers are retired by the pool's own reaper thread, not by CAF
/// timers: CAF 0.17's clock keeps a strong reference to an actor with a
/// pending timer, and it stops before ~actor_system waits for detached
/// threads, so a worker with a timer pending at shutdown would never end.
struct worker_slot {
  caf::actor self;                    // strong until the worker retires
  std::shared_ptr<group_state> group;  // the borrower; set under its lock
  std::atomic<int> tid{0};            // the worker's thread, once it ran
  std::chrono::steady_clock::time_point idle_since;
};

/// One per `actor_system`, created on first use and forgotten when that
/// system shuts down. Worker threads belong here, not to a
/// group: creating a group starts no thread, a group whose tasks are all
/// actor requests never causes one to start, and an idle worker serves the
/// next group that needs one. Idle workers retire after `idle_timeout`, so a
/// quiet process holds few threads. When the system shuts down (its internal
/// actors exit, after every non-hidden actor is done), every worker quits.
class worker_pool : public std::enable_shared_from_this<worker_pool> {
public:
  /// How long a worker stays idle before it retires.
  static constexpr auto idle_timeout = std::chrono::seconds(2);

  /// The pool of `sys`, created on first use.
  static std::shared_ptr<worker_pool> of(caf::actor_system& sys);

  explicit worker_pool(caf::actor_system& sys) : sys_(sys) {
  }

  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  /// An idle worker, now lent to nobody yet (the caller sets `group`), or
  /// null if none is idle.
  worker_slot* borrow();

  /// True if a worker is idle right now.
  bool has_idle() const;

  /// Starts a new worker thread. Throws what CAF throws when no thread can
  /// be created (`std::system_error`), leaving CAF's counters as they were,
  /// so `~actor_system` still returns.
  worker_slot* spawn();

  /// The worker of `slot` has no more work from its group: it becomes idle.
  /// Returns false if the pool is closed (the worker must quit instead).
  bool give_back(worker_slot* slot);

  /// The system is shutting down: no worker becomes idle again. Returns true
  /// if `slot` was idle (removed now: its worker quits at once).
  bool close(worker_slot* slot);

  /// The system shuts down (see per_system): no worker becomes idle again,
  /// and the reaper stops.
  void close();

  /// Workers alive (idle or lent), for tests and stats.
  std::size_t size() const;

private:
  // Retires workers idle for `idle_timeout`, oldest first, until the pool
  // is closed. Runs on a detached thread that keeps the pool alive.
  void reap();

  caf::actor_system& sys_;
  mutable std::mutex mtx_;
  std::condition_variable reaper_cv_;
  std::vector<worker_slot*> idle_; // ordered by idle_since, oldest first
  std::size_t alive_ = 0;
  bool closed_ = false;
  bool reaper_started_ = false;
};

} // namespace parallel::detail
