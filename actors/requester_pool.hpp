// requester_pool: the requester actors of one actor_system, shared by every
// group of that system.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace parallel::detail {

/// Idle requester actors, lent to one group at a time. A group that sends
/// requests borrows one (spawning a requester only when none is idle), and
/// the requester comes back once that group has nothing more for it. So a
/// group per request costs no actor spawn, and an idle requester keeps its
/// monitors on the destinations it used last (a monitor on a busy actor is
/// costly to remove: CAF scans that actor's list of monitors).
///
/// Requesters are hidden actors: an idle one does not keep
/// `await_all_actors_done` waiting. When the system shuts down (see
/// per_system) the idle ones quit, and busy ones quit when they come back.
class requester_pool : public std::enable_shared_from_this<requester_pool> {
public:
  /// Idle requesters kept at most; one more that comes back quits.
  static constexpr std::size_t max_idle = 256;

  /// The pool of `sys`, created on first use.
  static std::shared_ptr<requester_pool> of(caf::actor_system& sys);

  explicit requester_pool(caf::actor_system& sys) : sys_(sys) {
  }

  requester_pool(const requester_pool&) = delete;
  requester_pool& operator=(const requester_pool&) = delete;

  /// An idle requester, or a new one (lazily started: it first runs for the
  /// message that binds it to a group). Throws what CAF's spawn throws.
  caf::actor borrow();

  /// A number no binding of a requester to a group had before; it marks
  /// the group's messages to that requester, so a late one of an earlier
  /// group is ignored.
  std::uint64_t next_ticket() noexcept {
    return tickets_.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  /// `r` has nothing more to do for its group. Returns false if it must
  /// quit instead (the pool is closed or has enough idle requesters).
  bool give_back(caf::actor r);

  /// The system shuts down: idle requesters quit, and no more become idle.
  void close();

private:
  caf::actor_system& sys_;
  std::mutex mtx_;
  std::vector<caf::actor> idle_;
  bool closed_ = false;
  std::atomic<std::uint64_t> tickets_{0};
};

} // namespace parallel::detail
