// plan: every random draw of a run, made up front from the seed, so that the
// same seed gives the same latencies and the same failing calls whatever the
// scheduling, in every configuration.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "scenario.hpp"

namespace sim {

/// One call of the workload: item `item` calls service `service`.
struct call_plan {
  std::size_t item = 0;
  std::size_t service = 0;
  double latency_ms = 0; ///< how long the service takes to answer
  double u_fail = 0;     ///< uniform [0,1): fails if below the failure rate
  double u_throw = 0;    ///< uniform [0,1): the client throws if below the exception rate
};

/// What a call does in one configuration.
enum class planned : std::uint8_t {
  ok,     ///< the service answers with a value
  fail,   ///< the service answers with an error
  throw_, ///< the service answers, and the client code throws on the reply
};

struct plan {
  std::vector<call_plan> calls; ///< item-major: item 0's calls, then item 1's...
  std::size_t per_item = 0;     ///< calls per item
  double mean_latency_ms = 0;   ///< mean of every drawn latency
  double max_latency_ms = 0;
};

/// Draws every call of `sc` from `seed`. Each service has its own random
/// stream (derived from the seed and a hash of its name), so adding a service
/// does not change the draws of the others.
plan draw_plan(const scenario& sc, std::uint64_t seed);

/// What call `c` does under `cfg`: the exception is drawn first (the service
/// answers, the client code throws on the reply); a call that does not throw
/// fails with the service's failure rate.
planned outcome_of(const call_plan& c, const scenario& sc, const config_spec& cfg);

/// A portable random stream (std::mt19937_64 plus our own transforms, so the
/// draws are the same with every standard library).
class random_stream {
public:
  explicit random_stream(std::uint64_t seed);
  double uniform();          ///< [0, 1)
  double standard_normal();  ///< Box-Muller
  double draw(const latency_dist& d); ///< milliseconds, clamped to [0, 60000]

private:
  std::mt19937_64 gen_; // its output is fixed by the C++ standard
};

} // namespace sim
