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

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "progress.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "scenario.hpp"
#include "scenario_error.hpp"
#include "timeline.hpp"

namespace sim {

namespace {

constexpr const char* description =
  "parallel-sim: the scenario simulator of caf-parallel.\n"
  "Runs a fan-out of calls to simulated services (CAF actors) under serial,\n"
  "unlimited and limited executors and the error-handling wrappers, and compares\n"
  "wall time, speed-up, ratio to the ideal and what happened to every call.\n"
  "Without SCENARIO it runs the built-in default: the errgroup article's handler\n"
  "fetching 1,000 friend profiles. Scenario format: examples/scenarios/README.md.";

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
      sub << " (first " << c.items << " items only)";
    sub << ", " << c.spans.size() << " calls started, " << c.lanes << " lanes"
        << ", ok " << c.counts.ok << " / failed " << c.counts.failed << " / cancelled "
        << c.counts.cancelled << " / panicked " << c.counts.panicked << " / skipped "
        << c.counts.skipped;
    s.subtitle = sub.str();
    s.wall_ms = c.measured_ms;
    s.lanes = c.lanes;
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

} // namespace

int sim_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
             bool tty_progress) {
  CLI::App app{description, "parallel-sim"};
  std::string scenario_path;
  std::string seed_text;
  std::string timeline_path;
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
  app.add_option("--format", format, "output: table (default) or json")
    ->check(CLI::IsMember({"table", "json"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) { // --help
      out << app.help();
      return 0;
    }
    err << "parallel-sim: " << first_line(e.what()) << " (see --help)\n";
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

  std::optional<std::uint64_t> seed;
  if (seed_opt->count() > 0) {
    seed = parse_seed(seed_text);
    if (!seed) {
      err << "parallel-sim: --seed: expected an integer from 0 to 2^64-1, got '"
          << seed_text << "' (see --help)\n";
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

  // Open the timeline before running, so a bad path costs nothing.
  std::ofstream svg;
  bool svg_opened = !timeline_path.empty();
  if (svg_opened) {
    svg.open(timeline_path, std::ios::out | std::ios::trunc | std::ios::binary);
    if (!svg) {
      err << timeline_path << ": cannot write: " << std::strerror(errno) << '\n';
      return 2;
    }
  }

  try {
    run_result r;
    {
      caf::actor_system_config cfg;
      caf::actor_system sys{cfg};
      progress prog{tty_progress};
      run_options opt;
      opt.seed = sc.seed;
      opt.prog = &prog;
      r = run_scenario(sys, sc, opt);
      if (auto* bad = failed_config(r)) {
        err << "parallel-sim: " << config_title(*bad) << ": the library failed: "
            << bad->failure
            << " (out of threads? each blocked nested item holds one: lower the "
               "bound, or raise ulimit -u)\n";
        // CAF 0.17 registers a detached actor as running before it starts its
        // thread; if the thread cannot start, the actor stays "running" and
        // ~actor_system waits for it forever. So the system cannot be torn
        // down: end the process here, without running destructors or
        // exit-time handlers (a leak checker would only report the system
        // we could not destroy).
        err.flush();
        out.flush();
        std::fflush(nullptr);
        std::_Exit(1);
      }
    }
    // The timeline first: if it cannot be written, exit 2 with nothing on
    // stdout, and leave no partial file behind.
    if (svg.is_open()) {
      std::ostringstream text;
      write_timeline(text, sc, r);
      errno = 0;
      svg << text.str();
      svg.flush();
      int write_errno = errno;
      svg.close();
      if (!svg) {
        err << timeline_path << ": cannot write: "
            << std::strerror(write_errno ? write_errno : errno) << '\n';
        std::error_code ec;
        if (std::filesystem::is_regular_file(timeline_path, ec))
          std::filesystem::remove(timeline_path, ec);
        return 2;
      }
    }
    if (format == "json")
      print_json(out, sc, r);
    else
      print_table(out, sc, r);
    if (svg_opened && format != "json")
      out << "\nTimeline: " << timeline_path << '\n';
  } catch (const std::exception& e) {
    err << "parallel-sim: internal error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}

} // namespace sim
