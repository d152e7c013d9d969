// estimate: how long a run will take, before it starts. The simulator runs
// in real time, so a scenario whose calls add up to hours would run for
// hours; the estimate lets `--max-time` refuse it in advance.
#pragma once

#include <cstddef>

#include "plan.hpp"
#include "scenario.hpp"

namespace sim {

/// The expected wall time of one configuration run over `p`, in ms: a replay
/// of the drawn latencies through the configuration's bound and the
/// services' capacity queues (calls submitted in order, each taking the
/// first free in-flight slot, each service serving its arrivals first come
/// first served). It assumes every call runs (a group that stops early takes
/// less); each call holds its slot a little longer than its latency (its
/// messages), and the machine's cores must do every call's work, whatever
/// the bound. Nested runs replay
/// each item's calls under the inner bound and the items under the outer
/// bound, with the services' capacities as a floor.
double estimate_config_ms(const scenario& sc, const plan& p, const config_spec& cfg);

/// The sum of `estimate_config_ms` over every configuration of `sc`.
double estimate_scenario_ms(const scenario& sc, const plan& p);

} // namespace sim
