// The load of request_fanout/actor: incoming requests, each handled by an
// actor of its own (as a Go server runs a goroutine per request), kept a fixed
// number in flight by one client actor; every answer checked.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

namespace bench {

/// An incoming request: `(handle_atom, uint64_t id)`, answered with `int64_t`,
/// the sum of the request's look-ups.
using handle_atom = caf::atom_constant<caf::atom("b_handle")>;

/// How many look-ups request `id` fans out: 5 to 10.
inline std::size_t lookups_of(uint64_t id) {
  return 5 + static_cast<std::size_t>(id % 6);
}

/// The key of look-up `i` of request `id`; the service answers
/// `(ping_atom, key)` with `int32_t(key)`.
inline uint64_t lookup_key(uint64_t id, std::size_t i) {
  return id * 16 + i;
}

/// The right answer to request `id`: the sum of its look-ups' replies.
inline int64_t answer_of(uint64_t id) {
  int64_t sum = 0;
  for (std::size_t i = 0; i < lookups_of(id); ++i)
    sum += static_cast<int64_t>(lookup_key(id, i));
  return sum;
}

/// Spawns the actor that handles one incoming request; it answers one
/// `(handle_atom, id)` and may quit then.
using handler_spawner = std::function<caf::actor(caf::actor_system&)>;

struct handler_timing {
  double requests_per_s = 0;
  double p99_us = 0;
  double threads_before = 0;  // threads the process held when the run began
  double threads_peak = 0;    // the most it held during the run (sampled each ms)
};

/// Sends `requests` requests, `in_flight` at a time, each to a fresh handler
/// from `spawn`, and checks every answer. A wrong answer or an error reply
/// throws std::runtime_error once the run is over. A run in which no answer
/// arrives for `stall_limit` is a stall: the bench prints what it was doing
/// and exits at once with status 3 (the actors may never stop, so there is
/// no clean way back). `what` names the variant in those messages.
handler_timing run_handlers(caf::actor_system& sys, const handler_spawner& spawn,
                            std::size_t requests, std::size_t in_flight,
                            std::chrono::seconds stall_limit, const char* what);

} // namespace bench
