#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>
#include <vector>

#include "text_check.hpp"
#include "text_escape.hpp"

namespace sim {

namespace {

std::string fmt(const char* spec, double x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), spec, x);
  return buf;
}

std::string percent(double rate) {
  return fmt("%g%%", rate * 100);
}

std::string speedup_text(const std::optional<double>& x) {
  if (!x || *x <= 0 || !std::isfinite(*x))
    return "-";
  return *x < 10 ? fmt("%.1fx", *x) : fmt("%.0fx", *x);
}

std::string ratio_text(const std::optional<double>& x) {
  if (!x || !std::isfinite(*x))
    return "-";
  return fmt("%.2f", *x);
}

std::string peak_text(const config_result& c) {
  if (c.cfg.nested)
    return std::to_string(c.peak) + " x " + std::to_string(c.inner_peak);
  return std::to_string(c.peak);
}

// Splits `text` into lines.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  while (!out.empty() && out.back().empty())
    out.pop_back();
  return out;
}

// -- table --------------------------------------------------------------------

struct table {
  std::vector<std::string> head;
  std::vector<bool> left; // left-aligned columns
  std::vector<std::vector<std::string>> rows;

  void print(std::ostream& out) const {
    std::vector<std::size_t> w(head.size());
    for (std::size_t i = 0; i < head.size(); ++i)
      w[i] = head[i].size();
    for (auto& r : rows)
      for (std::size_t i = 0; i < r.size(); ++i)
        w[i] = std::max(w[i], r[i].size());
    auto line = [&](const std::vector<std::string>& r) {
      std::string s;
      for (std::size_t i = 0; i < r.size(); ++i) {
        if (i > 0)
          s += "  ";
        auto pad = std::string(w[i] - r[i].size(), ' ');
        s += left[i] ? r[i] + pad : pad + r[i];
      }
      while (!s.empty() && s.back() == ' ')
        s.pop_back();
      out << "  " << s << '\n';
    };
    line(head);
    std::vector<std::string> rule;
    for (auto x : w)
      rule.push_back(std::string(x, '-'));
    line(rule);
    for (auto& r : rows)
      line(r);
  }
};

} // namespace

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += fmt("\\u%04x", c);
        } else if (c < 0x80) {
          out += static_cast<char>(c);
        } else {
          // A file name may hold bytes that are not UTF-8: JSON must not.
          auto n = utf8_length(s, i);
          if (n == 0) {
            out += "\\ufffd";
          } else {
            out += s.substr(i, n);
            i += n - 1;
          }
        }
    }
  }
  return out + "\"";
}

std::string json_number(double x) {
  if (!std::isfinite(x))
    return "null";
  return fmt("%.6g", x);
}

std::string count_text(std::size_t n, std::string_view singular, std::string_view plural) {
  std::string out = std::to_string(n) + " ";
  if (n == 1)
    out += singular;
  else if (plural.empty())
    out += std::string{singular} + "s";
  else
    out += plural;
  return out;
}

std::string format_duration(double ms) {
  if (ms >= 1000)
    return fmt(ms >= 10000 ? "%.1f s" : "%.2f s", ms / 1000);
  if (ms >= 100)
    return fmt("%.0f ms", ms);
  if (ms >= 10)
    return fmt("%.1f ms", ms);
  return fmt("%.2f ms", ms);
}

std::string config_title(const config_result& c) {
  return c.cfg.display_label() + "  " + std::string{to_string(c.cfg.wrapper)};
}

void print_table(std::ostream& out, const scenario& sc, const run_result& r) {
  out << "parallel-sim: " << (sc.title.empty() ? escape_for_terminal(sc.source) : sc.title)
      << '\n';
  for (auto& l : lines_of(sc.description))
    out << "  " << l << '\n';
  out << '\n';
  for (auto& s : sc.services) {
    out << "  service " << s.name << ": " << s.latency.describe() << ", "
        << percent(s.failure_rate) << " errors, " << percent(s.exception_rate)
        << " throws, capacity "
        << (s.capacity == 0 ? std::string{"unlimited"} : std::to_string(s.capacity))
        << '\n';
  }
  std::string fetch;
  for (auto i : sc.workload.fetch)
    fetch += (fetch.empty() ? "" : ", ") + sc.services[i].name;
  out << "  workload: " << count_text(sc.workload.items, "item") << " x [" << fetch
      << "] = " << count_text(r.calls, "call") << "; drawn latency mean " << format_duration(r.mean_latency_ms) << ", max "
      << format_duration(r.max_latency_ms) << "; seed " << r.seed << "\n\n";

  table t;
  t.head = {"configuration", "wrapper", "calls", "wall", "speed-up", "vs ideal",
            "ok", "failed", "cancelled", "panicked", "skipped", "peak"};
  t.left = {true, true, false, false, false, false,
            false, false, false, false, false, false};
  for (std::size_t i = 0; i < r.configs.size(); ++i) {
    auto& c = r.configs[i];
    std::string label = c.cfg.display_label();
    std::string wall = format_duration(c.wall_ms);
    if (c.sampled)
      wall += c.extrapolated ? "*" : "+";
    t.rows.push_back({label, std::string{to_string(c.cfg.wrapper)},
                      std::to_string(c.calls), wall,
                      speedup_text(c.speedup), ratio_text(c.ratio),
                      std::to_string(c.counts.ok),
                      std::to_string(c.counts.failed), std::to_string(c.counts.cancelled),
                      std::to_string(c.counts.panicked), std::to_string(c.counts.skipped),
                      peak_text(c)});
  }
  t.print(out);
  out << '\n';
  for (auto& c : r.configs) {
    if (c.sampled && c.extrapolated)
      out << "  * " << c.cfg.display_label() << " ran only the first " << c.items << " of "
          << count_text(sc.workload.items, "item") << " (" << format_duration(c.measured_ms)
          << "); its wall time is extrapolated to the whole workload (x" << fmt("%.3g", c.scale)
          << "): every drawn latency, plus the sample's cost per call beyond its latencies.\n";
    else if (c.sampled)
      out << "  + " << c.cfg.display_label() << " ran only the first " << c.items << " of "
          << count_text(sc.workload.items, "item") << " and stopped early: not scaled up.\n";
  }
  out << "  speed-up = serial wall / wall; vs ideal = wall / (ceil(calls / bound) x mean "
         "latency "
      << format_duration(r.mean_latency_ms) << "),\n"
      << "  unlimited counts as bound = calls; nested as ceil(items / bound) x ceil(fetch / "
         "inner bound).\n"
      << "  cancelled = in flight when the group stopped (stats() counts them as failed);\n"
      << "  skipped = never started; peak = stats().peak_in_flight (nested: outer x inner);\n"
      << "  speed-up and vs ideal are \"-\" for a run that stopped early (they compare\n"
      << "  whole workloads); vs ideal also when the mean latency is 0.\n\n";

  out << "What happened:\n";
  table w;
  w.head = {"configuration", "wrapper", "what happened"};
  w.left = {true, true, true};
  for (auto& c : r.configs) {
    std::string what;
    if (c.threw)
      what = "a task threw at " + format_duration(c.stop_ms.value_or(0))
             + ": the group stopped, and " + c.returned;
    else if (c.stop_ms)
      what = "stopped at " + format_duration(*c.stop_ms) + " ("
             + (c.stop_cause.empty() ? std::string{"cancelled"} : c.stop_cause)
             + "); wait() returned " + c.returned;
    else
      what = "ran every call; wait() returned " + c.returned;
    w.rows.push_back({c.cfg.display_label(), std::string{to_string(c.cfg.wrapper)}, what});
  }
  w.print(out);
}

void print_json(std::ostream& out, const scenario& sc, const run_result& r) {
  out << "{\n";
  out << "  \"scenario\": {\"source\": " << json_string(sc.source)
      << ", \"title\": " << json_string(sc.title) << "},\n";
  out << "  \"seed\": " << r.seed << ",\n";
  out << "  \"calls\": " << r.calls << ",\n";
  out << "  \"mean_latency_ms\": " << json_number(r.mean_latency_ms) << ",\n";
  out << "  \"max_latency_ms\": " << json_number(r.max_latency_ms) << ",\n";
  out << "  \"services\": [";
  for (std::size_t i = 0; i < sc.services.size(); ++i) {
    auto& s = sc.services[i];
    out << (i ? ",\n    " : "\n    ") << "{\"name\": " << json_string(s.name)
        << ", \"latency\": " << json_string(s.latency.describe())
        << ", \"mean_ms\": " << json_number(s.latency.mean_ms())
        << ", \"failure_rate\": " << json_number(s.failure_rate)
        << ", \"exception_rate\": " << json_number(s.exception_rate)
        << ", \"capacity\": " << s.capacity << "}";
  }
  out << "\n  ],\n";
  out << "  \"configs\": [";
  for (std::size_t i = 0; i < r.configs.size(); ++i) {
    auto& c = r.configs[i];
    auto opt = [](const std::optional<double>& x) {
      return x ? json_number(*x) : std::string{"null"};
    };
    out << (i ? ",\n" : "\n") << "    {\n"
        << "      \"label\": " << json_string(c.cfg.display_label()) << ",\n"
        << "      \"executor\": " << json_string(to_string(c.cfg.executor)) << ",\n"
        << "      \"bound\": "
        << (c.cfg.executor == executor_kind::limited ? std::to_string(c.cfg.bound)
                                                     : std::string{"null"})
        << ",\n"
        << "      \"wrapper\": " << json_string(to_string(c.cfg.wrapper)) << ",\n"
        << "      \"nested\": " << (c.cfg.nested ? "true" : "false") << ",\n"
        << "      \"inner_bound\": "
        << (c.cfg.nested ? std::to_string(c.cfg.inner_bound) : std::string{"null"}) << ",\n"
        << "      \"failure_rate\": " << opt(c.cfg.failure_rate) << ",\n"
        << "      \"exception_rate\": " << opt(c.cfg.exception_rate) << ",\n"
        << "      \"baseline\": " << (i == r.baseline ? "true" : "false") << ",\n"
        << "      \"items\": " << c.items << ",\n"
        << "      \"calls\": " << c.calls << ",\n"
        << "      \"sampled\": " << (c.sampled ? "true" : "false") << ",\n"
        << "      \"extrapolated\": " << (c.extrapolated ? "true" : "false") << ",\n"
        << "      \"sample_scale\": "
        << (c.extrapolated ? json_number(c.scale) : std::string{"null"}) << ",\n"
        << "      \"measured_ms\": " << json_number(c.measured_ms) << ",\n"
        << "      \"wall_ms\": " << json_number(c.wall_ms) << ",\n"
        << "      \"ideal_ms\": " << json_number(c.ideal_ms) << ",\n"
        << "      \"estimate_ms\": " << json_number(c.estimate_ms) << ",\n"
        << "      \"ratio_to_ideal\": " << opt(c.ratio) << ",\n"
        << "      \"speedup\": " << opt(c.speedup) << ",\n"
        << "      \"ok\": " << c.counts.ok << ",\n"
        << "      \"failed\": " << c.counts.failed << ",\n"
        << "      \"cancelled\": " << c.counts.cancelled << ",\n"
        << "      \"panicked\": " << c.counts.panicked << ",\n"
        << "      \"skipped\": " << c.counts.skipped << ",\n"
        << "      \"submitted\": " << c.submitted << ",\n"
        << "      \"peak_in_flight\": " << c.peak << ",\n"
        << "      \"inner_peak_in_flight\": "
        << (c.cfg.nested ? std::to_string(c.inner_peak) : std::string{"null"}) << ",\n"
        << "      \"lanes\": " << c.lanes << ",\n"
        << "      \"stopped_at_ms\": " << opt(c.stop_ms) << ",\n"
        << "      \"stop_cause\": "
        << (c.stop_ms ? json_string(c.stop_cause) : std::string{"null"}) << ",\n"
        << "      \"wait_threw\": " << (c.threw ? "true" : "false") << ",\n"
        << "      \"returned\": " << json_string(c.returned) << "\n"
        << "    }";
  }
  out << "\n  ]\n}\n";
}

} // namespace sim
