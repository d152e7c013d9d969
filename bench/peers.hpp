// The comparisons: the same workloads written directly on CAF 0.17 (the way a
// competent CAF programmer would, without this library) and on oneTBB.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

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

// -- oneTBB --------------------------------------------------------------------

/// True when the bench was built with oneTBB.
bool have_tbb();

/// `n` trivial tasks in a `tbb::task_group`, each pushing its value into a
/// mutex-guarded `std::vector`. Returns seconds.
double tbb_trivial_collect(std::size_t n);

/// Per iteration: a `tbb::task_group` runs one empty task and waits.
/// Returns ns/iteration.
double tbb_group_overhead(std::size_t iterations);

} // namespace bench
