// sweep: one configuration at many bounds, to answer "which bound should I
// use?". Every bound is a real run (real actors, the same drawn calls); the
// figures per bound are the wall time, p50 and p99 call latency, errors and
// the peak in flight, and the answer is the smallest bound within 5% of the
// best wall time.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "scenario.hpp"

namespace sim {

class progress;

/// A recommendation is the smallest bound whose wall time is within this
/// share of the best one.
constexpr double sweep_tolerance = 0.05;

/// The most bounds one sweep runs.
constexpr std::size_t max_sweep_bounds = 1000;

/// Parses "LO..HI" or "LO..HI:STEP" (the value of `bound=` in `--sweep` and
/// of `bound` in a [sweep] table). Returns the range, or throws
/// `std::invalid_argument` with what is wrong (one line, no position).
sweep_range parse_sweep_range(std::string_view text);

/// Parses the argument of `--sweep`: "bound=LO..HI[:STEP]" with an optional
/// ",config=N" (the N-th [[config]] of the file, 1-based). Throws
/// `std::invalid_argument` with what is wrong.
sweep_spec parse_sweep_arg(std::string_view text);

/// The index into `sc.configs` of the configuration `spec` sweeps: its
/// `config` (N-th [[config]] as written), else the first limited one, else
/// the first that is not the added serial baseline. Throws
/// `std::invalid_argument` if `config` is past the last [[config]].
std::size_t swept_config(const scenario& sc, const sweep_spec& spec);

/// `cfg` at bound `b`: a limited executor with that bound, labelled
/// "limited(b)" (its failure and exception rates, wrapper and nesting kept).
config_spec at_bound(const config_spec& cfg, std::size_t b);

/// One bound's figures.
struct sweep_point {
  std::size_t bound = 0;
  double wall_ms = 0;
  std::optional<double> p50_ms; ///< call latency: reached the service .. answered
  std::optional<double> p99_ms; ///< (none if no call was answered)
  std::size_t errors = 0;       ///< calls that failed or panicked
  std::size_t cancelled = 0;
  std::size_t skipped = 0;
  std::size_t peak = 0;         ///< stats().peak_in_flight
  std::size_t queued = 0;       ///< calls that waited in a service's capacity queue
  bool complete = false;        ///< ran every call
  double estimate_ms = 0;
};

struct sweep_result {
  std::uint64_t seed = 1;
  std::size_t config = 0; ///< index into scenario::configs
  std::string what;       ///< "limited(N) err_group", the swept configuration
  std::vector<sweep_point> points;
  std::optional<std::size_t> best;        ///< index of the fastest complete run
  std::optional<std::size_t> recommended; ///< the smallest bound within 5% of it
  std::optional<std::size_t> model_recommended; ///< the same rule on `estimate_ms`
  std::string failure;    ///< the library failed at some bound (the run is void)
  std::string failed_at;  ///< the configuration that failed, in words
  double total_ms = 0;    ///< the whole sweep, wall clock
};

/// Sets `best` (the fastest run that did the whole workload) and
/// `recommended` (the smallest bound within `sweep_tolerance` of it) from
/// the points' wall times, and `model_recommended` by the same rule from
/// their estimates (deterministic for a seed).
void choose_bounds(sweep_result& r);

/// The bounds of `r`, in order.
std::vector<std::size_t> bounds_of(const sweep_range& r);

/// The estimated time of the whole sweep, in ms.
double estimate_sweep_ms(const scenario& sc, const sweep_spec& spec, std::uint64_t seed);

/// Runs the sweep on `sys`, one bound after the other (in order, so the
/// figures of one run are not disturbed by another). Stops at a bound where
/// the library failed (`failure` set).
sweep_result run_sweep(caf::actor_system& sys, const scenario& sc, const sweep_spec& spec,
                       std::uint64_t seed, progress* prog = nullptr);

/// The table: one row per bound, and which bound to use.
void print_sweep_table(std::ostream& out, const scenario& sc, const sweep_result& r);

/// The same as JSON.
void print_sweep_json(std::ostream& out, const scenario& sc, const sweep_result& r);

/// The p-th percentile (0..100, nearest rank) of `xs` (sorted in place);
/// none if empty.
std::optional<double> percentile(std::vector<double>& xs, double p);

} // namespace sim
