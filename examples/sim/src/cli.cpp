#include "cli.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "progress.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "scenario.hpp"
#include "scenario_error.hpp"
#include "estimate.hpp"
#include "plan.hpp"
#include "sweep.hpp"
#include "sweep_plot.hpp"
#include "teardown_watchdog.hpp"
#include "text_escape.hpp"
#include "timeline.hpp"

namespace sim {

namespace {

constexpr const char* description =
  "parallel-sim: the scenario simulator of caf-parallel.\n"
  "Runs a fan-out of calls to simulated services (CAF actors) under serial,\n"
  "unlimited and limited executors and the error-handling wrappers, and compares\n"
  "wall time, speed-up, ratio to the ideal and what happened to every call.\n"
  "Without SCENARIO it runs the built-in default: the errgroup article's handler\n"
  "fetching 1,000 friend profiles. Scenario format: examples/scenarios/README.md.\n"
  "With --sweep (or a [sweep] table in the scenario) it runs one configuration at\n"
  "many bounds instead and names the smallest bound within 5% of the best wall time.";

// Decimal digits only, no sign, no overflow.
std::optional<std::uint64_t> parse_seed(const std::string& s) {
  if (s.empty() || s.size() > 20)
    return std::nullopt;
  std::uint64_t x = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    auto d = static_cast<std::uint64_t>(c - '0');
    if (x > (UINT64_MAX - d) / 10)
      return std::nullopt;
    x = x * 10 + d;
  }
  return x;
}

std::string first_line(const std::string& s) {
  auto n = s.find('\n');
  return n == std::string::npos ? s : s.substr(0, n);
}

void write_timeline(std::ostream& svg, const scenario& sc, const run_result& r) {
  std::vector<timeline_section> sections;
  for (auto& c : r.configs) {
    timeline_section s;
    s.title = config_title(c);
    std::ostringstream sub;
    sub << format_duration(c.measured_ms) << " measured";
    if (c.sampled)
      sub << (c.items == 1 ? " (the first item only)"
                           : " (the first " + std::to_string(c.items) + " items only)");
    sub << ", " << count_text(c.spans.size(), "call") << " started, "
        << count_text(c.lanes, "lane") << ", ok " << c.counts.ok << " / failed "
        << c.counts.failed << " / cancelled " << c.counts.cancelled << " / panicked "
        << c.counts.panicked << " / skipped " << c.counts.skipped;
    s.subtitle = sub.str();
    s.wall_ms = c.measured_ms;
    s.lanes = c.lanes;
    // The most calls the configuration lets be in flight at once.
    std::size_t per_item_width =
      c.cfg.nested ? (c.cfg.inner_bound == 0 ? 1 : c.cfg.inner_bound) : 1;
    if (c.cfg.executor == executor_kind::limited)
      s.bound = c.cfg.bound * per_item_width;
    else if (c.cfg.executor == executor_kind::serial)
      s.bound = per_item_width;
    s.spans = &c.spans;
    sections.push_back(std::move(s));
  }
  std::vector<std::string> names;
  for (auto& s : sc.services)
    names.push_back(s.name);
  auto heading = "parallel-sim: " + (sc.title.empty() ? sc.source : sc.title) + " (seed "
                 + std::to_string(r.seed) + ")";
  write_timeline_svg(svg, heading, names, sections);
}

// The configuration whose run the library failed, if any.
const config_result* failed_config(const run_result& r) {
  for (auto& c : r.configs)
    if (!c.failure.empty())
      return &c;
  return nullptr;
}

// "--max-time": seconds, a non-negative decimal number; 0 means no limit.
std::optional<double> parse_seconds(const std::string& s) {
  if (s.empty() || s.size() > 32)
    return std::nullopt;
  for (char c : s)
    if ((c < '0' || c > '9') && c != '.')
      return std::nullopt;
  try {
    std::size_t used = 0;
    double x = std::stod(s, &used);
    if (used != s.size() || !(x >= 0) || x > 1e9)
      return std::nullopt;
    return x;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// "45 s", "12 min", "3.2 h", "4.1 days": a long duration for people.
std::string long_duration(double ms) {
  char buf[48];
  double s = ms / 1000;
  if (s < 100)
    return format_duration(ms);
  if (s < 6000)
    std::snprintf(buf, sizeof(buf), "%.0f min", s / 60);
  else if (s < 48 * 3600)
    std::snprintf(buf, sizeof(buf), "%.1f h", s / 3600);
  else
    std::snprintf(buf, sizeof(buf), "%.1f days", s / 86400);
  return buf;
}

// Whether the picture can go to `path`: not the scenario itself, and a file
// that opens for writing. Nothing is truncated, and a file this check
// created is removed again.
bool check_output(const std::string& path, const std::string& scenario_path,
                  std::ostream& err) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!scenario_path.empty() && fs::equivalent(path, scenario_path, ec)) {
    err << "parallel-sim: " << escape_for_terminal(path)
        << ": is the scenario file; write the picture elsewhere (see --help)\n";
    return false;
  }
  // Probed only where opening is harmless: a path that does not exist yet,
  // or a regular file (opened to append: nothing truncated). A FIFO would
  // see its reader leave at our close, and a dangling symlink would leave
  // its target created: those are opened once, when the picture is written.
  auto st = fs::status(path, ec);
  bool missing = !fs::exists(fs::symlink_status(path, ec));
  if (!missing && !fs::is_regular_file(st))
    return true;
  std::ofstream probe{path, std::ios::out | std::ios::app | std::ios::binary};
  if (!probe) {
    err << escape_for_terminal(path) << ": cannot write: " << std::strerror(errno) << '\n';
    return false;
  }
  probe.close();
  if (missing)
    fs::remove(path, ec);
  return true;
}

// Writes `text` to `path` (truncating it); on failure says so on `err` and
// removes the regular file (no partial picture is left behind).
bool write_whole(const std::string& path, const std::string& text, std::ostream& err) {
  errno = 0;
  std::ofstream f{path, std::ios::out | std::ios::trunc | std::ios::binary};
  f << text;
  f.flush();
  int write_errno = errno;
  f.close();
  if (f)
    return true;
  err << escape_for_terminal(path)
      << ": cannot write: " << std::strerror(write_errno ? write_errno : errno) << '\n';
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec))
    std::filesystem::remove(path, ec);
  return false;
}

// Why an actor may never have stopped: try to start a thread now, and
// report why that fails, if it does.
std::string thread_probe() {
  try {
    std::thread t{[] {}};
    t.join();
    return "an actor of the library never stopped (a thread that could not start?)";
  } catch (const std::exception& e) {
    return std::string{"no thread can start: "} + e.what();
  }
}

// The run cannot be torn down (the library failed to start a thread, or see
// teardown_watchdog.hpp): say why, and end the process without running
// destructors or exit-time handlers (~actor_system would wait forever; a
// leak checker would only report the system we could not destroy).
[[noreturn]] void exit_failed(std::ostream& out, std::ostream& err, const std::string& what,
                              const std::string& failure) {
  err << "parallel-sim: " << escape_for_terminal(what) << ": the library failed: " << escape_for_terminal(failure)
      << " (out of threads? each blocked nested item holds one: lower the bound, or raise "
         "ulimit -u)\n";
  err.flush();
  out.flush();
  std::fflush(nullptr);
  std::_Exit(1);
}

} // namespace

int sim_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
             bool tty_progress) {
  CLI::App app{description, "parallel-sim"};
  std::string scenario_path;
  std::string seed_text;
  std::string timeline_path;
  std::string sweep_text;
  std::string plot_path;
  std::string max_time_text = "60";
  std::string format = "table";
  auto* scenario_opt = app.add_option("SCENARIO", scenario_path,
                                      "a scenario file (TOML); without one, the built-in default")
                         ->type_name("FILE");
  auto* seed_opt = app.add_option("--seed", seed_text,
                                  "seed of every random draw (default: the scenario's, or 1)")
                     ->type_name("N");
  auto* timeline_opt = app.add_option("--timeline", timeline_path,
                                      "write an SVG of every call per in-flight slot to FILE.svg")
                         ->type_name("FILE.svg");
  auto* sweep_opt =
    app.add_option("--sweep", sweep_text,
                   "run one configuration (the first limited one, or config=N) at the "
                   "bounds LO, LO+STEP, ... HI")
      ->type_name("bound=LO..HI[:STEP][,config=N]");
  auto* plot_opt = app.add_option("--plot", plot_path,
                                  "with a sweep: write wall time and p99 against the bound "
                                  "to FILE.svg")
                     ->type_name("FILE.svg");
  app.add_option("--max-time", max_time_text,
                 "refuse a run estimated to take longer (seconds; default 60; 0: no limit)")
    ->type_name("SECONDS");
  app.add_option("--format", format, "output: table (default) or json")
    ->check(CLI::IsMember({"table", "json"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) { // --help
      out << app.help();
      return 0;
    }
    err << "parallel-sim: " << escape_for_terminal(first_line(e.what())) << " (see --help)\n";
    return 2;
  }

  // An empty name is a mistake (an unset shell variable), not "the default"
  // or "no timeline".
  if (scenario_opt->count() > 0 && scenario_path.empty()) {
    err << "parallel-sim: cannot open '': the scenario file name is empty (see --help)\n";
    return 2;
  }
  if (timeline_opt->count() > 0 && timeline_path.empty()) {
    err << "parallel-sim: --timeline needs a file name (see --help)\n";
    return 2;
  }
  if (plot_opt->count() > 0 && plot_path.empty()) {
    err << "parallel-sim: --plot needs a file name (see --help)\n";
    return 2;
  }

  std::optional<std::uint64_t> seed;
  if (seed_opt->count() > 0) {
    seed = parse_seed(seed_text);
    if (!seed) {
      err << "parallel-sim: --seed: expected an integer from 0 to 2^64-1, got '"
          << escape_for_terminal(seed_text) << "' (see --help)\n";
      return 2;
    }
  }
  auto max_time_s = parse_seconds(max_time_text);
  if (!max_time_s) {
    err << "parallel-sim: --max-time: expected seconds (a number >= 0; 0: no limit), got '"
        << escape_for_terminal(max_time_text) << "' (see --help)\n";
    return 2;
  }
  // Below a millisecond no run fits, and the refusal would print the limit
  // as "0.00 ms".
  if (*max_time_s > 0 && *max_time_s < 0.001) {
    err << "parallel-sim: --max-time: " << escape_for_terminal(max_time_text)
        << " s is below 1 ms, which no run fits; give at least 0.001 (0: no limit)\n";
    return 2;
  }
  std::optional<sweep_spec> sweep_arg;
  if (sweep_opt->count() > 0) {
    try {
      sweep_arg = parse_sweep_arg(sweep_text);
    } catch (const std::invalid_argument& e) {
      err << "parallel-sim: --sweep: " << escape_for_terminal(e.what()) << " (see --help)\n";
      return 2;
    }
  }

  scenario sc;
  try {
    sc = scenario_path.empty() ? default_scenario() : parse_scenario_file(scenario_path);
  } catch (const scenario_error& e) {
    err << e.what() << '\n';
    return 2;
  }
  if (seed)
    sc.seed = *seed;

  // A sweep: from --sweep (its range; its config, else the table's), else
  // from the scenario's [sweep] table.
  std::optional<sweep_spec> sweep = sc.sweep;
  if (sweep_arg) {
    auto config = sweep_arg->config > 0 ? sweep_arg->config : (sweep ? sweep->config : 0);
    sweep = *sweep_arg;
    sweep->config = config;
  }
  if (sweep && timeline_opt->count() > 0) {
    err << "parallel-sim: --timeline draws a comparison of configurations, not a sweep; "
           "use --plot FILE.svg with a sweep (see --help)\n";
    return 2;
  }
  if (!sweep && plot_opt->count() > 0) {
    err << "parallel-sim: --plot needs a sweep: --sweep bound=LO..HI[:STEP] or a [sweep] "
           "table in the scenario (see --help)\n";
    return 2;
  }
  if (sweep) {
    try {
      swept_config(sc, *sweep);
    } catch (const std::invalid_argument& e) {
      err << "parallel-sim: --sweep: " << escape_for_terminal(e.what()) << " (see --help)\n";
      return 2;
    }
  }

  // The run is in real time: estimate it first, and refuse one that would
  // take longer than --max-time.
  double estimate_ms = sweep ? estimate_sweep_ms(sc, *sweep, sc.seed)
                             : estimate_scenario_ms(sc, draw_plan(sc, sc.seed));
  if (*max_time_s > 0 && estimate_ms > *max_time_s * 1000) {
    err << "parallel-sim: this run would take about " << long_duration(estimate_ms)
        << " (estimated from the drawn latencies, bounds and capacities), over --max-time "
        << long_duration(*max_time_s * 1000)
        << ": raise --max-time (0: no limit) or make the scenario smaller\n";
    return 2;
  }

  // Check the output file before running, so a bad path costs nothing. It
  // is truncated only once the run has succeeded: a run that fails leaves
  // an existing picture as it was.
  const std::string& picture_path = sweep ? plot_path : timeline_path;
  if (!picture_path.empty() && !check_output(picture_path, scenario_path, err))
    return 2;

  try {
    run_result r;
    sweep_result sw;
    // Started first: it needs a thread, and threads may run out.
    teardown_watchdog watchdog{std::chrono::seconds(30), [&] {
                                 exit_failed(out, err, sweep ? sw.what : sc.source,
                                             "the actor system could not shut down: "
                                               + thread_probe());
                               }};
    {
      caf::actor_system_config cfg;
      caf::actor_system sys{cfg};
      progress prog{tty_progress};
      prog.set_estimate(estimate_ms);
      if (sweep) {
        sw = run_sweep(sys, sc, *sweep, sc.seed, &prog);
        if (!sw.failure.empty())
          exit_failed(out, err, sw.failed_at, sw.failure);
      } else {
        run_options opt;
        opt.seed = sc.seed;
        opt.prog = &prog;
        r = run_scenario(sys, sc, opt);
        if (auto* bad = failed_config(r))
          exit_failed(out, err, config_title(*bad), bad->failure);
      }
      watchdog.teardown_begins(); // ~progress, then ~actor_system
    }
    // The picture first: if it cannot be written, exit 2 with nothing on
    // stdout, and leave no partial file behind.
    if (!picture_path.empty()) {
      std::ostringstream text;
      if (sweep)
        write_sweep_svg(text, sc, sw);
      else
        write_timeline(text, sc, r);
      if (!write_whole(picture_path, text.str(), err))
        return 2;
    }
    if (sweep) {
      if (format == "json")
        print_sweep_json(out, sc, sw);
      else
        print_sweep_table(out, sc, sw);
    } else if (format == "json") {
      print_json(out, sc, r);
    } else {
      print_table(out, sc, r);
    }
    if (!picture_path.empty() && format != "json")
      out << '\n' << (sweep ? "Plot: " : "Timeline: ") << escape_for_terminal(picture_path)
          << '\n';
  } catch (const std::exception& e) {
    err << "parallel-sim: internal error: " << escape_for_terminal(e.what()) << '\n';
    return 1;
  }
  return 0;
}

} // namespace sim
