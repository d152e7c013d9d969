// runner: runs every configuration of a scenario on real groups and actors.
//
// Each configuration gets fresh service actors; every call is a
// `go_request` to one of them (a call drawn to throw throws when its reply
// arrives). A nested configuration runs each item as a `go`
// task that opens a child group from the context it receives, submits the
// item's calls there and waits for it: the article's "groups compose".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "plan.hpp"
#include "scenario.hpp"
#include "span.hpp"

namespace sim {

class progress;

/// What a task drawn to throw throws.
class simulated_exception : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// What happened to the calls of one configuration.
struct call_counts {
  std::size_t ok = 0;        ///< answered with a value
  std::size_t failed = 0;    ///< answered with an error
  std::size_t cancelled = 0; ///< in flight when the group stopped (the library counts them failed)
  std::size_t panicked = 0;  ///< the task threw
  std::size_t skipped = 0;   ///< never started: dropped from the queue, or never submitted
                             ///< because `go` rethrew the group's panic

  std::size_t total() const {
    return ok + failed + cancelled + panicked + skipped;
  }
};

struct config_result {
  config_spec cfg;
  std::size_t items = 0;      ///< items this run covered
  std::size_t calls = 0;      ///< calls this run covered
  bool sampled = false;       ///< a serial run over the first `items` only
  bool extrapolated = false;  ///< `wall_ms` is scaled up to the whole workload
  double scale = 1;           ///< extrapolated: wall_ms / measured_ms
  double measured_ms = 0;     ///< from the first submission until wait() returned
  double wall_ms = 0;         ///< measured, or extrapolated to the whole workload
  double ideal_ms = 0;        ///< ceil(calls / bound) x mean latency (whole workload)
  double estimate_ms = 0;     ///< the run time expected before the run (estimate.hpp)
  bool complete = false;      ///< ran every call (not stopped, no panic, none skipped)
  std::optional<double> ratio;   ///< wall / ideal; none if stopped early or the ideal is 0
  std::optional<double> speedup; ///< baseline wall / wall; none if this run or the
                                 ///< baseline stopped early
  call_counts counts;
  std::size_t submitted = 0;  ///< the top group's stats().submitted
  std::size_t peak = 0;       ///< the top group's stats().peak_in_flight
  std::size_t inner_peak = 0; ///< nested: the largest peak_in_flight of a child group
  std::size_t lanes = 0;      ///< most calls in flight at once, as the services saw them
  std::size_t queued = 0;     ///< calls that waited in a service's capacity queue
  std::optional<double> stop_ms; ///< when the top group was cancelled (not by its end)
  std::string stop_cause;
  std::string returned;       ///< what wait() returned, in words
  bool threw = false;         ///< wait() rethrew a task's exception
  std::string failure;        ///< wait() rethrew something not simulated (the library
                              ///< failed, e.g. no thread for a worker); the run is void
  std::vector<span> spans;    ///< every call that started
};

struct run_result {
  std::uint64_t seed = 1;
  std::size_t calls = 0;
  double mean_latency_ms = 0;
  double max_latency_ms = 0;
  std::size_t baseline = 0;
  std::vector<config_result> configs;
};

struct run_options {
  std::uint64_t seed = 1;
  progress* prog = nullptr; ///< optional
};

/// ceil(calls / bound) x mean latency for `cfg` over the whole workload
/// (unlimited: bound = calls; nested: ceil(items / bound) x ceil(fetch /
/// inner_bound) x mean latency).
double ideal_ms(const scenario& sc, const plan& p, const config_spec& cfg);

/// The whole workload's serial wall time, from a serial run of its first
/// `sampled_calls` calls that took `measured_ms`: every drawn latency, plus
/// the sample's measured time beyond its latencies, per call, for each call.
double extrapolate_serial_ms(const plan& p, std::size_t sampled_calls, double measured_ms);

/// Runs one configuration.
config_result run_config(caf::actor_system& sys, const scenario& sc, const plan& p,
                         const config_spec& cfg, progress* prog = nullptr,
                         const std::string& progress_label = {});

/// "[3/7] limited(50), 1% fail err_group": configuration `i` on the progress
/// line (the wrapper too: several configurations differ only in it).
std::string progress_label(const scenario& sc, std::size_t i);

/// Draws the plan from `opt.seed` and runs every configuration in order,
/// stopping after one whose `failure` is set.
run_result run_scenario(caf::actor_system& sys, const scenario& sc, const run_options& opt);

} // namespace sim
