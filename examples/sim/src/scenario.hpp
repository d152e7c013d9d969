// scenario: what a simulation declares (services, workload, configurations).
//
// A scenario is a TOML file (see examples/scenarios/README.md for the format);
// `parse_scenario_file` and `parse_scenario_text` turn it into these structs or
// throw `scenario_error` with the file, line and column of what is wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sim {

/// A latency distribution, in milliseconds.
struct latency_dist {
  enum class kind { fixed, uniform, normal, log_normal };
  kind k = kind::fixed;
  double a = 0; ///< fixed: the value; uniform: min; normal/log-normal: mean
  double b = 0; ///< uniform: max; normal/log-normal: standard deviation

  /// The distribution's mean (normal: of the draw before clamping at 0).
  double mean_ms() const;

  /// For people: "fixed 5 ms", "log-normal(mean 5 ms, sd 1 ms)".
  std::string describe() const;
};

/// A remote service: an actor that answers calls after a drawn latency.
struct service_spec {
  std::string name;
  latency_dist latency;
  double failure_rate = 0;   ///< share of calls answered with an error
  double exception_rate = 0; ///< share of calls whose client code throws
  std::size_t capacity = 0;  ///< calls served at once; 0 = no limit
};

/// What one run does: `items` top-level units (e.g. friends), each making one
/// call to every service listed in `fetch`, in that order.
struct workload_spec {
  std::size_t items = 0;
  std::vector<std::size_t> fetch; ///< indices into scenario::services
  std::size_t serial_sample = 0;  ///< serial runs use only the first N items; 0 = all

  std::size_t calls() const {
    return items * fetch.size();
  }
};

enum class executor_kind { serial, limited, unlimited };

enum class wrapper_kind {
  executor,
  err_group,
  gather_errs,
  collect,
  collect_with_errs,
  feed,
  feed_with_errs,
};

std::string_view to_string(executor_kind k);
std::string_view to_string(wrapper_kind k);

/// True for the wrappers whose first error stops the group.
bool stops_on_error(wrapper_kind k);

/// One configuration to compare: an executor (kind and bound), a wrapper, and
/// optional overrides of every service's failure and exception rates.
struct config_spec {
  std::string label; ///< empty: derived from the fields
  executor_kind executor = executor_kind::limited;
  std::size_t bound = 0; ///< limited only
  wrapper_kind wrapper = wrapper_kind::err_group;
  std::optional<double> failure_rate;
  std::optional<double> exception_rate;
  bool nested = false;         ///< each item is a task with its own child group
  std::size_t inner_bound = 0; ///< nested: the child group's bound, 0 = serial
  bool baseline = false;       ///< added by the parser as the serial baseline

  /// "limited(50)", "unlimited", "serial", with " nested(3)" appended.
  std::string executor_text() const;

  /// The label, or one derived from the fields.
  std::string display_label() const;
};

/// The bounds a sweep runs: lo, lo + step, ... up to hi (inclusive).
struct sweep_range {
  std::size_t lo = 1;
  std::size_t hi = 1;
  std::size_t step = 1;
};

/// A sweep: one configuration at many bounds (`--sweep` or a [sweep] table).
struct sweep_spec {
  sweep_range bounds;
  std::size_t config = 0; ///< the N-th [[config]] as written, 1-based; 0: the first
                          ///< limited one (or the first one)
};

struct scenario {
  std::string source;      ///< the file name (or "<built-in>")
  std::string title;       ///< one line
  std::string description; ///< a few lines, optional
  std::uint64_t seed = 1;
  std::vector<service_spec> services;
  workload_spec workload;
  std::vector<config_spec> configs;
  std::size_t baseline = 0; ///< index of the serial baseline in `configs`
  std::optional<sweep_spec> sweep; ///< a [sweep] table: running the file runs the sweep
};

/// The largest scenario file read (1 MiB); a scenario is a few lines.
constexpr std::size_t max_scenario_bytes = std::size_t{1} << 20;

/// Reads and parses a scenario file (or a pipe, e.g. `<(...)`) of at most
/// `max_scenario_bytes`. Throws `scenario_error`.
scenario parse_scenario_file(const std::string& path);

/// Parses scenario text; `source` names it in messages. Throws `scenario_error`.
scenario parse_scenario_text(std::string_view text, const std::string& source);

/// The built-in default: the article's friends/profile fan-out
/// (examples/scenarios/friends.toml, compiled in).
scenario default_scenario();

/// The text of the built-in default.
std::string_view default_scenario_text();

} // namespace sim
