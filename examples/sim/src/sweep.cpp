#include "sweep.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <stdexcept>

#include <caf/actor_system.hpp>

#include "estimate.hpp"
#include "plan.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "text_escape.hpp"

namespace sim {

namespace {

constexpr std::size_t max_bound_value = 1'000'000; // as a [[config]] bound

// A decimal number without sign; `what` names it in the error.
std::size_t parse_count(std::string_view s, std::string_view what) {
  std::size_t x = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
    throw std::invalid_argument(std::string{what} + " must be a whole number, got '"
                                + std::string{s} + "'");
  return x;
}

std::string fmt(const char* spec, double x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), spec, x);
  return buf;
}

std::string opt_duration(const std::optional<double>& ms) {
  return ms ? format_duration(*ms) : std::string{"-"};
}

std::string opt_json(const std::optional<double>& x) {
  return x ? json_number(*x) : std::string{"null"};
}

} // namespace

sweep_range parse_sweep_range(std::string_view text) {
  auto dots = text.find("..");
  if (dots == std::string_view::npos)
    throw std::invalid_argument("expected LO..HI or LO..HI:STEP (e.g. 1..200:5), got '"
                                + std::string{text} + "'");
  auto lo_text = text.substr(0, dots);
  auto rest = text.substr(dots + 2);
  std::string_view hi_text = rest, step_text;
  bool has_step = false;
  if (auto colon = rest.find(':'); colon != std::string_view::npos) {
    hi_text = rest.substr(0, colon);
    step_text = rest.substr(colon + 1);
    has_step = true;
  }
  sweep_range r;
  r.lo = parse_count(lo_text, "the lowest bound");
  r.hi = parse_count(hi_text, "the highest bound");
  r.step = has_step ? parse_count(step_text, "the step") : 1;
  if (r.lo < 1)
    throw std::invalid_argument("the lowest bound must be >= 1, got 0");
  if (r.hi < r.lo)
    throw std::invalid_argument("the highest bound (" + std::to_string(r.hi)
                                + ") is below the lowest (" + std::to_string(r.lo) + ")");
  if (r.hi > max_bound_value)
    throw std::invalid_argument("the highest bound must be <= "
                                + std::to_string(max_bound_value) + ", got "
                                + std::to_string(r.hi));
  if (r.step < 1)
    throw std::invalid_argument("the step must be >= 1, got 0");
  auto n = (r.hi - r.lo) / r.step + 1;
  if (n > max_sweep_bounds)
    throw std::invalid_argument(std::to_string(n) + " bounds; at most "
                                + std::to_string(max_sweep_bounds)
                                + " (use a larger step)");
  return r;
}

sweep_spec parse_sweep_arg(std::string_view text) {
  sweep_spec spec;
  bool have_bound = false;
  std::size_t at = 0;
  while (at <= text.size()) {
    auto comma = text.find(',', at);
    auto part = text.substr(at, comma == std::string_view::npos ? std::string_view::npos
                                                                : comma - at);
    auto eq = part.find('=');
    if (eq == std::string_view::npos)
      throw std::invalid_argument("expected bound=LO..HI[:STEP] (e.g. bound=1..200:5), got '"
                                  + std::string{part} + "'");
    auto key = part.substr(0, eq);
    auto value = part.substr(eq + 1);
    if (key == "bound") {
      if (have_bound)
        throw std::invalid_argument("'bound' is given twice");
      spec.bounds = parse_sweep_range(value);
      have_bound = true;
    } else if (key == "config") {
      spec.config = parse_count(value, "config");
      if (spec.config < 1)
        throw std::invalid_argument("config counts [[config]] tables from 1, got 0");
    } else {
      throw std::invalid_argument("unknown key '" + std::string{key}
                                  + "' (expected bound=LO..HI[:STEP] and optionally "
                                    "config=N)");
    }
    if (comma == std::string_view::npos)
      break;
    at = comma + 1;
  }
  if (!have_bound)
    throw std::invalid_argument("expected bound=LO..HI[:STEP] (e.g. bound=1..200:5)");
  return spec;
}

std::size_t swept_config(const scenario& sc, const sweep_spec& spec) {
  // The [[config]] tables as written: every configuration but an added
  // baseline.
  std::vector<std::size_t> written;
  for (std::size_t i = 0; i < sc.configs.size(); ++i)
    if (!sc.configs[i].baseline)
      written.push_back(i);
  if (spec.config > 0) {
    if (spec.config > written.size())
      throw std::invalid_argument("config=" + std::to_string(spec.config) + ", but the "
                                  + "scenario has " + std::to_string(written.size())
                                  + (written.size() == 1 ? " [[config]]" : " [[config]]s"));
    return written[spec.config - 1];
  }
  for (auto i : written)
    if (sc.configs[i].executor == executor_kind::limited)
      return i;
  for (auto i : written)
    if (sc.configs[i].executor != executor_kind::serial)
      return i;
  return written.empty() ? 0 : written.front();
}

config_spec at_bound(const config_spec& cfg, std::size_t b) {
  auto c = cfg;
  c.executor = executor_kind::limited;
  c.bound = b;
  c.label.clear();
  c.baseline = false;
  return c;
}

std::vector<std::size_t> bounds_of(const sweep_range& r) {
  std::vector<std::size_t> out;
  for (auto b = r.lo; b <= r.hi; b += r.step) {
    out.push_back(b);
    if (r.hi - b < r.step)
      break;
  }
  return out;
}

std::optional<double> percentile(std::vector<double>& xs, double p) {
  if (xs.empty())
    return std::nullopt;
  std::sort(xs.begin(), xs.end());
  // Nearest rank: the smallest value with at least p% of the values at or
  // below it.
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(xs.size())));
  rank = std::clamp<std::size_t>(rank, 1, xs.size());
  return xs[rank - 1];
}

void choose_bounds(sweep_result& r) {
  r.best.reset();
  r.recommended.reset();
  // Only runs that did the whole workload compare.
  for (std::size_t i = 0; i < r.points.size(); ++i)
    if (r.points[i].complete
        && (!r.best || r.points[i].wall_ms < r.points[*r.best].wall_ms))
      r.best = i;
  if (r.best) {
    double limit = r.points[*r.best].wall_ms * (1 + sweep_tolerance);
    for (std::size_t i = 0; i < r.points.size(); ++i)
      if (r.points[i].complete && r.points[i].wall_ms <= limit) {
        r.recommended = i;
        break;
      }
  }
  // The same rule on the estimates: what the drawn latencies alone predict.
  r.model_recommended.reset();
  double best_estimate = -1;
  for (auto& p : r.points)
    if (best_estimate < 0 || p.estimate_ms < best_estimate)
      best_estimate = p.estimate_ms;
  for (std::size_t i = 0; i < r.points.size(); ++i)
    if (r.points[i].estimate_ms <= best_estimate * (1 + sweep_tolerance)) {
      r.model_recommended = i;
      break;
    }
}

double estimate_sweep_ms(const scenario& sc, const sweep_spec& spec, std::uint64_t seed) {
  auto p = draw_plan(sc, seed);
  auto& cfg = sc.configs[swept_config(sc, spec)];
  double sum = 0;
  for (auto b : bounds_of(spec.bounds))
    sum += estimate_config_ms(sc, p, at_bound(cfg, b));
  return sum;
}

sweep_result run_sweep(caf::actor_system& sys, const scenario& sc, const sweep_spec& spec,
                       std::uint64_t seed, progress* prog) {
  auto t0 = std::chrono::steady_clock::now();
  sweep_result out;
  out.seed = seed;
  out.config = swept_config(sc, spec);
  auto& base = sc.configs[out.config];
  out.what = at_bound(base, 0).display_label();
  // "limited(0)" -> "limited(N)": the bound is what varies.
  if (auto at = out.what.find("limited(0)"); at != std::string::npos)
    out.what.replace(at, 10, "limited(N)");
  out.what += "  " + std::string{to_string(base.wrapper)};
  auto p = draw_plan(sc, seed); // the same calls at every bound
  auto bounds = bounds_of(spec.bounds);
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    auto cfg = at_bound(base, bounds[i]);
    auto label = "[bound " + std::to_string(i + 1) + "/" + std::to_string(bounds.size())
                 + "] " + cfg.display_label() + " " + std::string{to_string(cfg.wrapper)};
    auto res = run_config(sys, sc, p, cfg, prog, label);
    if (!res.failure.empty()) {
      out.failure = res.failure;
      out.failed_at = cfg.display_label() + "  " + std::string{to_string(cfg.wrapper)};
      break;
    }
    sweep_point pt;
    pt.bound = bounds[i];
    pt.wall_ms = res.wall_ms;
    pt.estimate_ms = estimate_config_ms(sc, p, cfg);
    std::vector<double> lat;
    lat.reserve(res.spans.size());
    for (auto& s : res.spans)
      if (s.outcome == span_outcome::ok || s.outcome == span_outcome::failed)
        lat.push_back(s.end_ms - s.start_ms);
    pt.p50_ms = percentile(lat, 50);
    pt.p99_ms = percentile(lat, 99);
    pt.errors = res.counts.failed + res.counts.panicked;
    pt.cancelled = res.counts.cancelled;
    pt.skipped = res.counts.skipped;
    pt.peak = res.peak;
    pt.queued = res.queued;
    pt.complete = res.complete;
    out.points.push_back(pt);
  }
  if (prog)
    prog->finish();
  choose_bounds(out);
  out.total_ms =
    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

void print_sweep_table(std::ostream& out, const scenario& sc, const sweep_result& r) {
  out << "parallel-sim sweep: "
      << (sc.title.empty() ? escape_for_terminal(sc.source) : sc.title) << '\n';
  for (auto& s : sc.services)
    out << "  service " << s.name << ": " << s.latency.describe() << ", capacity "
        << (s.capacity == 0 ? std::string{"unlimited"} : std::to_string(s.capacity)) << '\n';
  out << "  workload: " << count_text(sc.workload.calls(), "call") << "; seed " << r.seed
      << '\n';
  out << "  swept: " << r.what << ", " << r.points.size()
      << (r.points.size() == 1 ? " bound" : " bounds") << ", in "
      << format_duration(r.total_ms) << "\n\n";
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"bound", "wall", "vs best", "p50 call", "p99 call", "errors", "cancelled",
                  "skipped", "peak", "queued", ""});
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    auto& p = r.points[i];
    std::string vs = "-";
    if (r.best && p.complete)
      vs = fmt("%.2fx", p.wall_ms / std::max(r.points[*r.best].wall_ms, 1e-9));
    std::string note;
    if (r.recommended && i == *r.recommended)
      note = "<- use this";
    else if (r.best && i == *r.best)
      note = "(fastest)";
    else if (!p.complete)
      note = "(stopped early)";
    rows.push_back({std::to_string(p.bound), format_duration(p.wall_ms), vs,
                    opt_duration(p.p50_ms), opt_duration(p.p99_ms), std::to_string(p.errors),
                    std::to_string(p.cancelled), std::to_string(p.skipped),
                    std::to_string(p.peak), std::to_string(p.queued), note});
  }
  std::vector<std::size_t> w(rows[0].size(), 0);
  for (auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c)
      w[c] = std::max(w[c], row[c].size());
  auto line = [&](const std::vector<std::string>& row) {
    std::string s = " ";
    for (std::size_t c = 0; c < row.size(); ++c) {
      auto pad = std::string(w[c] - row[c].size(), ' ');
      s += ' ';
      s += c + 1 == row.size() ? row[c] : pad + row[c];
      if (c + 1 < row.size())
        s += ' ';
    }
    while (!s.empty() && s.back() == ' ')
      s.pop_back();
    out << s << '\n';
  };
  line(rows[0]);
  std::vector<std::string> rule;
  for (std::size_t c = 0; c < w.size(); ++c)
    rule.push_back(c + 1 == w.size() ? "" : std::string(w[c], '-'));
  line(rule);
  for (std::size_t i = 1; i < rows.size(); ++i)
    line(rows[i]);
  out << '\n';
  if (!r.failure.empty())
    out << "  The library failed at " << r.failed_at << ": " << r.failure << ".\n";
  if (r.recommended) {
    auto& best = r.points[*r.best];
    auto& rec = r.points[*r.recommended];
    out << "  Use bound " << rec.bound << ": the smallest within "
        << fmt("%g", sweep_tolerance * 100) << "% of the best wall time ("
        << format_duration(best.wall_ms) << " at bound " << best.bound << ").\n";
    auto& last = r.points.back();
    if (last.bound > rec.bound && rec.p99_ms && last.p99_ms && *last.p99_ms > *rec.p99_ms * 1.2)
      out << "  Past it, more calls in flight only wait: p99 call latency "
          << format_duration(*rec.p99_ms) << " at bound " << rec.bound << ", "
          << format_duration(*last.p99_ms) << " at bound " << last.bound << ".\n";
    if (r.model_recommended && r.points[*r.model_recommended].bound != rec.bound)
      out << "  (A replay of the drawn latencies through the bounds and capacities expects "
          << r.points[*r.model_recommended].bound
          << "; real runs add scheduling and timer delays.)\n";
  } else {
    out << "  No bound ran the whole workload (every run stopped early): no recommendation.\n";
  }
  for (auto& s : sc.services)
    if (s.capacity > 0)
      out << "  Service " << s.name << " serves " << count_text(s.capacity, "call")
          << " at once.\n";
  out << "  wall = first submission until wait() returned; call latency = the call reached\n"
         "  its service until the answer (queueing at the service included); errors =\n"
         "  failed + panicked calls; peak = stats().peak_in_flight; queued = calls that\n"
         "  waited for a free worker of their service. Runs that stopped early are not\n"
         "  compared.\n";
}

void print_sweep_json(std::ostream& out, const scenario& sc, const sweep_result& r) {
  out << "{\n";
  out << "  \"scenario\": {\"source\": " << json_string(sc.source)
      << ", \"title\": " << json_string(sc.title) << "},\n";
  out << "  \"seed\": " << r.seed << ",\n";
  out << "  \"calls\": " << sc.workload.calls() << ",\n";
  out << "  \"swept\": " << json_string(r.what) << ",\n";
  out << "  \"tolerance\": " << json_number(sweep_tolerance) << ",\n";
  out << "  \"total_ms\": " << json_number(r.total_ms) << ",\n";
  out << "  \"services\": [";
  for (std::size_t i = 0; i < sc.services.size(); ++i)
    out << (i ? ", " : "") << "{\"name\": " << json_string(sc.services[i].name)
        << ", \"capacity\": " << sc.services[i].capacity << "}";
  out << "],\n";
  out << "  \"best_bound\": "
      << (r.best ? std::to_string(r.points[*r.best].bound) : std::string{"null"}) << ",\n";
  out << "  \"recommended_bound\": "
      << (r.recommended ? std::to_string(r.points[*r.recommended].bound)
                        : std::string{"null"})
      << ",\n";
  out << "  \"model_recommended_bound\": "
      << (r.model_recommended ? std::to_string(r.points[*r.model_recommended].bound)
                              : std::string{"null"})
      << ",\n";
  out << "  \"failure\": " << (r.failure.empty() ? std::string{"null"} : json_string(r.failure))
      << ",\n";
  out << "  \"points\": [";
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    auto& p = r.points[i];
    out << (i ? ",\n    " : "\n    ") << "{\"bound\": " << p.bound
        << ", \"wall_ms\": " << json_number(p.wall_ms)
        << ", \"estimate_ms\": " << json_number(p.estimate_ms)
        << ", \"p50_ms\": " << opt_json(p.p50_ms) << ", \"p99_ms\": " << opt_json(p.p99_ms)
        << ", \"errors\": " << p.errors << ", \"cancelled\": " << p.cancelled
        << ", \"skipped\": " << p.skipped << ", \"peak_in_flight\": " << p.peak
        << ", \"queued\": " << p.queued
        << ", \"complete\": " << (p.complete ? "true" : "false") << "}";
  }
  out << "\n  ]\n}\n";
}

} // namespace sim
