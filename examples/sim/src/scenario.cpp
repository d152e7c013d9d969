// Reading a scenario: the file checks (missing, empty, binary), TOML syntax
// (toml++), then every key, type and range, each error with its position.
#include "scenario.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <toml++/toml.h>

#include "scenario_error.hpp"
#include "sweep.hpp"
#include "text_check.hpp"
#include "text_escape.hpp"

namespace sim {

// -- small helpers for people -------------------------------------------------

namespace {

std::string format_ms(double ms) {
  std::ostringstream out;
  out << ms << " ms";
  return out.str();
}

std::string number_text(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

// The shortest text that reads back as `x`: a value just over a limit must
// not print as the limit ("got 60000" for 60000.0000001).
std::string exact_text(double x) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), x);
  return std::string(buf, r.ptr);
}

} // namespace

double latency_dist::mean_ms() const {
  switch (k) {
    case kind::fixed:
      return a;
    case kind::uniform:
      return (a + b) / 2;
    case kind::normal:
    case kind::log_normal:
      return a;
  }
  return a;
}

std::string latency_dist::describe() const {
  switch (k) {
    case kind::fixed:
      return "fixed " + format_ms(a);
    case kind::uniform:
      return "uniform(" + number_text(a) + ".." + format_ms(b) + ")";
    case kind::normal:
      return "normal(mean " + format_ms(a) + ", sd " + format_ms(b) + ")";
    case kind::log_normal:
      return "log-normal(mean " + format_ms(a) + ", sd " + format_ms(b) + ")";
  }
  return "?";
}

std::string_view to_string(executor_kind k) {
  switch (k) {
    case executor_kind::serial:
      return "serial";
    case executor_kind::limited:
      return "limited";
    case executor_kind::unlimited:
      return "unlimited";
  }
  return "?";
}

std::string_view to_string(wrapper_kind k) {
  switch (k) {
    case wrapper_kind::executor:
      return "executor";
    case wrapper_kind::err_group:
      return "err_group";
    case wrapper_kind::gather_errs:
      return "gather_errs";
    case wrapper_kind::collect:
      return "collect";
    case wrapper_kind::collect_with_errs:
      return "collect_with_errs";
    case wrapper_kind::feed:
      return "feed";
    case wrapper_kind::feed_with_errs:
      return "feed_with_errs";
  }
  return "?";
}

bool stops_on_error(wrapper_kind k) {
  return k == wrapper_kind::err_group || k == wrapper_kind::collect
         || k == wrapper_kind::feed;
}

std::string config_spec::executor_text() const {
  std::string out;
  switch (executor) {
    case executor_kind::serial:
      out = "serial";
      break;
    case executor_kind::limited:
      out = "limited(" + std::to_string(bound) + ")";
      break;
    case executor_kind::unlimited:
      out = "unlimited";
      break;
  }
  if (nested)
    out += inner_bound == 0 ? " > serial"
                            : " > limited(" + std::to_string(inner_bound) + ")";
  return out;
}

std::string config_spec::display_label() const {
  if (!label.empty())
    return label;
  std::string out = executor_text();
  if (failure_rate)
    out += ", " + number_text(*failure_rate * 100) + "% fail";
  if (exception_rate)
    out += ", " + number_text(*exception_rate * 100) + "% throw";
  return out;
}

// -- the reader ---------------------------------------------------------------

namespace {

constexpr double max_latency_ms = 60'000;     // one minute per parameter
constexpr std::size_t max_calls = 1'000'000;  // memory and patience
constexpr std::size_t max_bound = 1'000'000;

std::string a_type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1,
                         prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string one_of(std::initializer_list<std::string_view> xs) {
  std::string out;
  std::size_t i = 0;
  for (auto x : xs) {
    if (i > 0)
      out += i + 1 == xs.size() ? " or " : ", ";
    out += x;
    ++i;
  }
  return out;
}

class reader {
public:
  explicit reader(const std::string& file) : file_(file) {
  }

  [[noreturn]] void fail(const toml::source_region& at, std::string msg) const {
    throw scenario_error(file_, at.begin.line, at.begin.column, std::move(msg));
  }

  [[noreturn]] void fail(const toml::node& at, std::string msg) const {
    fail(at.source(), std::move(msg));
  }

  // Every key of `t` must be one of `allowed`.
  void check_keys(const toml::table& t, std::string_view where,
                  std::initializer_list<std::string_view> allowed) const {
    for (auto&& [k, v] : t) {
      auto name = k.str();
      if (std::find(allowed.begin(), allowed.end(), name) != allowed.end())
        continue;
      std::string msg = "unknown key '" + shortened(name) + "' in " + std::string{where};
      std::string_view best;
      std::size_t best_d = 3; // suggest only close matches
      for (auto a : allowed) {
        auto d = edit_distance(name, a);
        if (d < best_d) {
          best_d = d;
          best = a;
        }
      }
      if (!best.empty())
        msg += "; did you mean '" + std::string{best} + "'?";
      else
        msg += " (expected " + one_of(allowed) + ")";
      auto at = k.source().begin.line > 0 ? k.source() : v.source();
      fail(at, msg);
    }
  }

  [[noreturn]] void wrong_type(const toml::node& n, std::string_view key,
                               std::string_view expected) const {
    fail(n, "'" + std::string{key} + "' must be " + std::string{expected} + ", not "
              + a_type_name(n));
  }

  const toml::table& table(const toml::node& n, std::string_view key) const {
    if (auto* t = n.as_table())
      return *t;
    wrong_type(n, key, "a table");
  }

  std::string text(const toml::node& n, std::string_view key) const {
    if (auto* s = n.as_string())
      return s->get();
    wrong_type(n, key, "a string");
  }

  // A string printed on one line of the table or the timeline: no control
  // characters (a tab or escape would break the columns or the terminal).
  std::string one_line(const toml::node& n, std::string_view key) const {
    auto s = text(n, key);
    if (auto bad = unprintable_char(s))
      fail(n, "'" + std::string{key} + "' has a control character (" + *bad + ")");
    if (only_spaces(s))
      fail(n, "'" + std::string{key} + "' is only spaces");
    return s;
  }

  // A name from the file as an error message quotes it: escaped for the
  // terminal, and a long one (a megabyte of key, say) cut, so the message
  // stays one readable line.
  static std::string shortened(std::string_view name) {
    constexpr std::size_t keep = 60;
    if (name.size() <= keep + 20)
      return escape_for_terminal(name);
    auto cut = keep;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80)
      --cut; // not inside a UTF-8 character
    return escape_for_terminal(name.substr(0, cut)) + "... (" + std::to_string(name.size())
           + " bytes)";
  }

  // Text printed as lines under the table's heading: newlines and tabs are
  // fine, other control characters are not.
  std::string lines(const toml::node& n, std::string_view key) const {
    auto s = text(n, key);
    if (auto bad = unprintable_char(s, true))
      fail(n, "'" + std::string{key} + "' has a control character (" + *bad + ")");
    return s;
  }

  bool boolean(const toml::node& n, std::string_view key) const {
    if (auto* b = n.as_boolean())
      return b->get();
    wrong_type(n, key, "a boolean (true or false)");
  }

  // An integer in [lo, hi].
  std::int64_t integer(const toml::node& n, std::string_view key, std::int64_t lo,
                       std::int64_t hi) const {
    auto* i = n.as_integer();
    if (!i)
      wrong_type(n, key, "an integer");
    auto x = i->get();
    if (x < lo)
      fail(n, "'" + std::string{key} + "' must be >= " + std::to_string(lo)
                + ", got " + std::to_string(x));
    if (x > hi)
      fail(n, "'" + std::string{key} + "' must be <= " + std::to_string(hi)
                + ", got " + std::to_string(x));
    return x;
  }

  // A number (integer or float) in [lo, hi].
  double number(const toml::node& n, std::string_view key, double lo, double hi) const {
    double x;
    if (auto* i = n.as_integer())
      x = static_cast<double>(i->get());
    else if (auto* f = n.as_floating_point())
      x = f->get();
    else
      wrong_type(n, key, "a number");
    if (!std::isfinite(x))
      fail(n, "'" + std::string{key} + "' must be a finite number");
    if (x < lo)
      fail(n, "'" + std::string{key} + "' must be >= " + number_text(lo) + ", got "
                + exact_text(x));
    if (x > hi)
      fail(n, "'" + std::string{key} + "' must be <= " + number_text(hi) + ", got "
                + exact_text(x));
    return x;
  }

  double rate(const toml::node& n, std::string_view key) const {
    return number(n, key, 0, 1);
  }

  double millis(const toml::node& n, std::string_view key) const {
    return number(n, key, 0, max_latency_ms);
  }

  [[noreturn]] void missing(const toml::node& in, std::string_view where,
                            std::string_view key, std::string_view hint = {}) const {
    std::string msg = std::string{where} + " is missing '" + std::string{key} + "'";
    if (!hint.empty())
      msg += " (" + std::string{hint} + ")";
    auto& src = in.source();
    if (src.begin.line > 0)
      fail(src, msg);
    throw scenario_error(file_, 1, 1, msg); // a table with no place of its own
  }

  const toml::node& need(const toml::table& t, std::string_view where,
                         std::string_view key, std::string_view hint = {}) const {
    if (auto* n = t.get(key))
      return *n;
    missing(t, where, key, hint);
  }

  latency_dist latency(const toml::node& n, const std::string& where) const {
    auto& t = table(n, "latency");
    auto& dist_node = need(t, where + ".latency", "dist",
                           "one of \"fixed\", \"uniform\", \"normal\", \"log-normal\"");
    auto dist = text(dist_node, "dist");
    latency_dist d;
    auto lw = "latency of " + where;
    if (dist == "fixed") {
      d.k = latency_dist::kind::fixed;
      check_keys(t, lw + " (fixed)", {"dist", "ms"});
      d.a = millis(need(t, lw, "ms"), "ms");
    } else if (dist == "uniform") {
      d.k = latency_dist::kind::uniform;
      check_keys(t, lw + " (uniform)", {"dist", "min_ms", "max_ms"});
      d.a = millis(need(t, lw, "min_ms"), "min_ms");
      auto& hi = need(t, lw, "max_ms");
      d.b = millis(hi, "max_ms");
      if (d.b < d.a)
        fail(hi, "'max_ms' (" + number_text(d.b) + ") is less than 'min_ms' ("
                   + number_text(d.a) + ")");
    } else if (dist == "normal" || dist == "log-normal") {
      d.k = dist == "normal" ? latency_dist::kind::normal
                             : latency_dist::kind::log_normal;
      check_keys(t, lw + " (" + dist + ")", {"dist", "mean_ms", "stddev_ms"});
      auto& m = need(t, lw, "mean_ms");
      d.a = millis(m, "mean_ms");
      d.b = millis(need(t, lw, "stddev_ms"), "stddev_ms");
      if (d.k == latency_dist::kind::log_normal && d.a <= 0)
        fail(m, "'mean_ms' of a log-normal latency must be > 0");
    } else {
      fail(dist_node, "unknown latency dist '" + shortened(dist)
                        + "' (expected \"fixed\", \"uniform\", \"normal\" or \"log-normal\")");
    }
    return d;
  }

private:
  const std::string& file_;
};

executor_kind parse_executor(const reader& r, const toml::node& n) {
  auto s = r.text(n, "executor");
  if (s == "serial")
    return executor_kind::serial;
  if (s == "limited")
    return executor_kind::limited;
  if (s == "unlimited")
    return executor_kind::unlimited;
  r.fail(n, "unknown executor '" + reader::shortened(s) + "' (expected \"serial\", \"limited\" or \"unlimited\")");
}

wrapper_kind parse_wrapper(const reader& r, const toml::node& n) {
  auto s = r.text(n, "wrapper");
  static const std::pair<std::string_view, wrapper_kind> names[] = {
    {"executor", wrapper_kind::executor},
    {"err_group", wrapper_kind::err_group},
    {"gather_errs", wrapper_kind::gather_errs},
    {"collect", wrapper_kind::collect},
    {"collect_with_errs", wrapper_kind::collect_with_errs},
    {"feed", wrapper_kind::feed},
    {"feed_with_errs", wrapper_kind::feed_with_errs},
  };
  for (auto& [name, k] : names)
    if (s == name)
      return k;
  r.fail(n, "unknown wrapper '" + reader::shortened(s)
              + "' (expected executor, err_group, gather_errs, collect, "
                "collect_with_errs, feed or feed_with_errs)");
}

// True if a run of `c` can stop before its last call: a call may throw, or
// fail under a wrapper that stops at the first error.
bool may_stop_early(const scenario& sc, const config_spec& c) {
  for (auto i : sc.workload.fetch) {
    auto& s = sc.services[i];
    if (c.exception_rate.value_or(s.exception_rate) > 0)
      return true;
    if (stops_on_error(c.wrapper) && c.failure_rate.value_or(s.failure_rate) > 0)
      return true;
  }
  return false;
}

scenario read_scenario(const toml::table& root, const std::string& source) {
  reader r{source};
  scenario sc;
  sc.source = source;
  if (root.empty())
    throw scenario_error(source, 1, 1,
                         "the scenario is empty (it declares [services.NAME], "
                         "[workload] and [[config]])");
  r.check_keys(root, "the top level",
               {"title", "description", "seed", "services", "workload", "config", "sweep"});
  if (auto* n = root.get("title"))
    sc.title = r.one_line(*n, "title");
  if (auto* n = root.get("description"))
    sc.description = r.lines(*n, "description");
  if (auto* n = root.get("seed"))
    sc.seed = static_cast<std::uint64_t>(
      r.integer(*n, "seed", 0, std::numeric_limits<std::int64_t>::max()));

  // [services.NAME]
  auto* services_node = root.get("services");
  if (!services_node)
    throw scenario_error(source, 1, 1, "no [services.NAME] table: declare at least one service");
  auto& services = r.table(*services_node, "services");
  if (services.empty())
    r.fail(services, "[services] declares no service");
  // toml++ keeps tables in name order; list the services in file order.
  std::vector<std::pair<toml::source_position, service_spec>> in_file;
  for (auto&& [k, v] : services) {
    service_spec s;
    s.name = std::string{k.str()};
    auto& key_at = k.source().begin.line > 0 ? k.source() : v.source();
    if (s.name.empty())
      r.fail(key_at, "a service name must not be empty");
    if (auto bad = unprintable_char(s.name))
      r.fail(key_at, "the service name has a control character (" + *bad + ")");
    if (only_spaces(s.name))
      r.fail(key_at, "the service name is only spaces");
    auto where = "[services." + s.name + "]";
    auto& t = r.table(v, "services." + s.name);
    r.check_keys(t, where, {"latency", "failure_rate", "exception_rate", "capacity"});
    s.latency = r.latency(r.need(t, where, "latency"), where);
    if (auto* n = t.get("failure_rate"))
      s.failure_rate = r.rate(*n, "failure_rate");
    if (auto* n = t.get("exception_rate"))
      s.exception_rate = r.rate(*n, "exception_rate");
    if (auto* n = t.get("capacity"))
      s.capacity = static_cast<std::size_t>(r.integer(*n, "capacity", 0, max_bound));
    in_file.emplace_back(k.source().begin.line > 0 ? k.source().begin : v.source().begin,
                         std::move(s));
  }
  std::stable_sort(in_file.begin(), in_file.end(), [](const auto& a, const auto& b) {
    return a.first < b.first;
  });
  for (auto& [at, s] : in_file)
    sc.services.push_back(std::move(s));

  // [workload]
  auto* workload_node = root.get("workload");
  if (!workload_node)
    throw scenario_error(source, 1, 1, "no [workload] table: declare items and fetch");
  auto& w = r.table(*workload_node, "workload");
  r.check_keys(w, "[workload]", {"items", "fetch", "serial_sample"});
  auto& items_node = r.need(w, "[workload]", "items");
  sc.workload.items = static_cast<std::size_t>(
    r.integer(items_node, "items", 1, static_cast<std::int64_t>(max_calls)));
  auto& fetch_node = r.need(w, "[workload]", "fetch",
                            "the services each item calls, e.g. [\"profile\"]");
  auto* fetch = fetch_node.as_array();
  if (!fetch)
    r.wrong_type(fetch_node, "fetch", "an array of service names");
  if (fetch->empty())
    r.fail(fetch_node, "'fetch' is empty: list the services each item calls");
  for (auto& el : *fetch) {
    auto name = r.text(el, "fetch");
    auto i = std::find_if(sc.services.begin(), sc.services.end(),
                          [&](const service_spec& s) { return s.name == name; });
    if (i == sc.services.end())
      r.fail(el, "'fetch' names an unknown service '" + reader::shortened(name) + "'");
    sc.workload.fetch.push_back(static_cast<std::size_t>(i - sc.services.begin()));
  }
  if (sc.workload.calls() > max_calls)
    r.fail(items_node, "items x fetch = " + std::to_string(sc.workload.calls())
                         + " calls; at most " + std::to_string(max_calls));
  if (auto* n = w.get("serial_sample")) {
    sc.workload.serial_sample = static_cast<std::size_t>(
      r.integer(*n, "serial_sample", 1, static_cast<std::int64_t>(sc.workload.items)));
  }

  // [[config]]
  auto* configs_node = root.get("config");
  if (!configs_node)
    throw scenario_error(source, 1, 1,
                         "no [[config]]: declare the configurations to compare");
  auto* configs = configs_node->as_array();
  if (!configs)
    r.wrong_type(*configs_node, "config", "an array of tables ([[config]])");
  if (configs->empty())
    r.fail(*configs_node, "'config' is empty: declare the configurations to compare");
  for (auto& el : *configs) {
    auto& t = r.table(el, "config");
    r.check_keys(t, "[[config]]",
                 {"label", "executor", "bound", "wrapper", "failure_rate",
                  "exception_rate", "nested", "inner_bound"});
    config_spec c;
    if (auto* n = t.get("label"))
      c.label = r.one_line(*n, "label");
    c.executor = parse_executor(r, r.need(t, "[[config]]", "executor",
                                          "\"serial\", \"limited\" or \"unlimited\""));
    if (auto* n = t.get("bound")) {
      if (c.executor != executor_kind::limited)
        r.fail(*n, "'bound' applies to executor = \"limited\" only");
      c.bound = static_cast<std::size_t>(
        r.integer(*n, "bound", 1, static_cast<std::int64_t>(max_bound)));
    } else if (c.executor == executor_kind::limited) {
      r.missing(t, "a limited [[config]]", "bound");
    }
    if (auto* n = t.get("wrapper"))
      c.wrapper = parse_wrapper(r, *n);
    if (auto* n = t.get("failure_rate"))
      c.failure_rate = r.rate(*n, "failure_rate");
    if (auto* n = t.get("exception_rate"))
      c.exception_rate = r.rate(*n, "exception_rate");
    if (auto* n = t.get("nested"))
      c.nested = r.boolean(*n, "nested");
    if (auto* n = t.get("inner_bound")) {
      if (!c.nested)
        r.fail(*n, "'inner_bound' needs nested = true");
      c.inner_bound = static_cast<std::size_t>(
        r.integer(*n, "inner_bound", 0, static_cast<std::int64_t>(max_bound)));
    } else if (c.nested) {
      c.inner_bound = sc.workload.fetch.size();
    }
    sc.configs.push_back(std::move(c));
  }

  // [sweep]: one configuration at many bounds.
  if (auto* n = root.get("sweep")) {
    auto& t = r.table(*n, "sweep");
    r.check_keys(t, "[sweep]", {"bound", "config"});
    sweep_spec spec;
    auto& bound_node = r.need(t, "[sweep]", "bound", "the bounds to run, e.g. \"1..200:5\"");
    try {
      spec.bounds = parse_sweep_range(r.text(bound_node, "bound"));
    } catch (const std::invalid_argument& e) {
      r.fail(bound_node, "'bound': " + std::string{e.what()});
    }
    if (auto* c = t.get("config"))
      spec.config = static_cast<std::size_t>(
        r.integer(*c, "config", 1, static_cast<std::int64_t>(sc.configs.size())));
    sc.sweep = spec;
  }

  // The serial baseline: the first flat serial configuration that runs every
  // call whatever the draws (a baseline that stopped early would make every
  // speed-up wrong), or one we add (the plain executor, with no exceptions).
  auto base = std::find_if(sc.configs.begin(), sc.configs.end(), [&](const config_spec& c) {
    return c.executor == executor_kind::serial && !c.nested && !may_stop_early(sc, c);
  });
  if (base != sc.configs.end()) {
    sc.baseline = static_cast<std::size_t>(base - sc.configs.begin());
  } else {
    config_spec c;
    c.label = "serial (baseline)";
    c.executor = executor_kind::serial;
    c.wrapper = wrapper_kind::executor;
    c.exception_rate = 0.0;
    c.baseline = true;
    sc.configs.insert(sc.configs.begin(), std::move(c));
    sc.baseline = 0;
  }
  return sc;
}

} // namespace

scenario parse_scenario_text(std::string_view text, const std::string& source) {
  check_text(text, source); // empty, NUL bytes, invalid UTF-8
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    auto& at = e.source().begin;
    throw scenario_error(source, at.line, at.column,
                         "syntax error: " + std::string{e.description()});
  }
  return read_scenario(root, source);
}

scenario parse_scenario_file(const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    throw scenario_error(path, 0, 0, "cannot open: no such file");
  if (std::filesystem::is_directory(status))
    throw scenario_error(path, 0, 0, "cannot open: is a directory");
  std::ifstream in{path, std::ios::binary};
  if (!in)
    throw scenario_error(path, 0, 0,
                         std::string{"cannot open: "} + std::strerror(errno));
  // In chunks, so that an endless stream (/dev/zero, a pipe) ends: at a NUL
  // byte, or at the size cap.
  std::string text;
  std::vector<char> chunk(64 * 1024);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    auto n = static_cast<std::size_t>(in.gcount());
    std::string_view got{chunk.data(), n};
    if (auto nul = got.find('\0'); nul != std::string_view::npos) {
      text.append(got.substr(0, nul + 1));
      check_text(text, path); // reports the NUL, or a bad byte before it
    }
    if (text.size() + n > max_scenario_bytes)
      throw scenario_error(path, 1, 1, "file too large (over 1 MiB)");
    text.append(got);
  }
  if (in.bad())
    throw scenario_error(path, 1, 1, "cannot read the file");
  return parse_scenario_text(text, path);
}

} // namespace sim
