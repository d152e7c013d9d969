// The comparisons: the same workloads written directly on CAF 0.17 (the way a
// competent CAF programmer would, without this library) and on oneTBB.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "caller_load.hpp"

namespace bench {

/// The trivial task every trivial_collect variant runs.
inline int32_t trivial(uint64_t i) {
  return static_cast<int32_t>(i);
}

// -- hand-written CAF --------------------------------------------------------

/// `n` trivial tasks through a round-robin `caf::actor_pool` of `workers`
/// event-based actors; each worker sends its result to one collecting actor,
/// which answers the caller's request once all `n` values are in (stored by
/// index, so in submission order like `collect`). Returns seconds.
double caf_trivial_collect(caf::actor_system& sys, std::size_t n, std::size_t workers);

/// Client actors send `n` requests to `service` at once
/// (`request(...).then(...)`), each its share of `per_actor` requests (0: one
/// client sends them all), and store every reply by index; the caller awaits
/// each client. Returns seconds.
double caf_concurrent_requests(caf::actor_system& sys, const caf::actor& service,
                               std::size_t n, std::size_t per_actor);

/// `n` tasks that each sleep `latency`, round-robin over a `caf::actor_pool`
/// of `bound` detached actors (blocking needs a thread each), reporting to a
/// collecting actor. Returns seconds.
double caf_latency_blocking(caf::actor_system& sys, std::size_t n, std::size_t bound,
                            std::chrono::milliseconds latency);

/// One event-based actor keeps `bound` requests to `service` in flight and
/// sends the next one from each reply's `.then`. Returns seconds.
double caf_latency_requests(caf::actor_system& sys, const caf::actor& service,
                            std::size_t n, std::size_t bound);

struct queued_probe {
  double rss_per_item = 0;   // RSS delta / n, bytes
  double heap_per_item = 0;  // allocator delta / n, bytes
};

/// `n` messages `(task_atom, uint64_t)` queued in the mailbox of a detached
/// actor that is blocked in its first handler.
queued_probe caf_queued_messages(caf::actor_system& sys, std::size_t n);

/// Per iteration: spawn an event-based actor, request one trivial task from it,
/// receive the reply in a `scoped_actor`, drop the actor. Returns ns/iteration.
double caf_group_overhead(caf::actor_system& sys, std::size_t iterations);

/// A caller of request_fanout on plain CAF, made on the caller's thread: it
/// owns a `scoped_actor`. Per request it spawns one event-based actor per
/// task (the CAF way to run a piece of work concurrently), at most `bound`
/// alive at once; each task sends its index `k` to the caller, at once or,
/// with a `task_wait`, after a `delayed_send` to itself (a wait that holds no
/// thread and ends with the actor). The caller receives the `tasks` results
/// and checks that they sum to tasks * (tasks - 1) / 2.
request_fn caf_fanout_caller(caf::actor_system& sys, std::size_t tasks,
                             std::size_t bound, std::chrono::microseconds task_wait);

/// The request_fanout/actor handler on plain CAF: one `(handle_atom, id)`,
/// answered through a response promise once the `request(...).then()` of
/// every look-up to `service` came back (counting replies); then it quits.
/// With 5 to 10 look-ups per request there is no bound to enforce.
caf::actor spawn_caf_handler(caf::actor_system& sys, const caf::actor& service);

// -- plain OS threads ----------------------------------------------------------

/// The least a design that gives each running task an OS thread can cost: a
/// caller of request_fanout that owns min(tasks, bound) - 1 helper threads
/// for good, made on the caller's thread before the clock starts (no pool, no
/// queue, no messages). Per request it wakes every helper with one
/// `notify_all`, runs its own share of the tasks (index k goes to participant
/// k mod min(tasks, bound)), waits for the helpers, and checks the sum.
/// A task that waits sleeps its thread (`std::this_thread::sleep_for`).
request_fn os_threads_fanout_caller(std::size_t tasks, std::size_t bound,
                                    std::chrono::microseconds task_wait);

// -- oneTBB --------------------------------------------------------------------

/// True when the bench was built with oneTBB.
bool have_tbb();

/// `n` trivial tasks in a `tbb::task_group`, each pushing its value into a
/// mutex-guarded `std::vector`. Returns seconds.
double tbb_trivial_collect(std::size_t n);

/// One request of request_fanout: a `tbb::task_group` runs `tasks` tasks
/// that each wait `task_wait` (cancellably, on a condition variable with the
/// request's stop token; 0: no wait) and add their index to a sum, then
/// waits and checks the sum. TBB has no bound per group: its arena is as wide
/// as the machine.
void tbb_fanout_request(std::size_t tasks, std::chrono::microseconds task_wait);

/// Per iteration: a `tbb::task_group` runs one empty task and waits.
/// Returns ns/iteration.
double tbb_group_overhead(std::size_t iterations);

} // namespace bench
