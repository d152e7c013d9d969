#include "harness.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <thread>

#include <malloc.h>
#include <unistd.h>

#include <caf/config.hpp>

#ifdef PARALLEL_BENCH_HAVE_TBB
#include <oneapi/tbb/version.h>
#endif

namespace bench {

params params::full() {
  return params{};
}

params params::quick_run() {
  params p;
  p.quick = true;
  p.repeat = 5;
  p.trivial_tasks = 200'000;
  p.latency_tasks = 1'000;
  p.requests = 10'000;
  p.queued_tasks = 200'000;
  p.groups = 300;
  p.closure_requests = 25;
  p.slow_requests = 2;
  p.actor_requests = 200;
  // 200 in flight is the full figure's load; under ctest, beside the suite,
  // it made the core before issue 9 start 1,500 threads and stall.
  p.actor_in_flight = 20;
  return p;
}

double params::latency_ideal_ms() const {
  auto waves = (latency_tasks + latency_bound - 1) / latency_bound;
  return static_cast<double>(waves)
         * std::chrono::duration<double, std::milli>(latency).count();
}

double median(std::vector<double> xs) {
  if (xs.empty())
    return std::nan("");
  std::sort(xs.begin(), xs.end());
  auto n = xs.size();
  return n % 2 == 1 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

figure& results::at(const std::string& name, const std::string& unit) {
  for (auto& f : figures_)
    if (f.name == name)
      return f;
  figures_.push_back(figure{name, unit, {}, {}, {}, {}, {}, {}});
  return figures_.back();
}

std::size_t rss_bytes() {
  std::ifstream in{"/proc/self/statm"};
  std::size_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::size_t thread_count() {
  std::ifstream in{"/proc/self/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Threads:", 0) == 0)
      return static_cast<std::size_t>(std::stoul(line.substr(8)));
  return 0;
}

std::size_t heap_bytes() {
  auto mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

void trim_heap() {
  malloc_trim(0);
}

namespace {

std::string json_number(double x) {
  if (!std::isfinite(x))
    return "null";
  std::ostringstream os;
  os << std::setprecision(6) << x;
  return os.str();
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string fmt(double x) {
  if (!std::isfinite(x))
    return "-";
  std::ostringstream os;
  if (std::fabs(x) >= 100)
    os << std::fixed << std::setprecision(0) << x;
  else if (std::fabs(x) >= 10)
    os << std::fixed << std::setprecision(1) << x;
  else
    os << std::fixed << std::setprecision(2) << x;
  return os.str();
}

std::string versions() {
  std::ostringstream os;
  os << "CAF " << CAF_VERSION / 10000 << '.' << (CAF_VERSION / 100) % 100 << '.'
     << CAF_VERSION % 100;
#ifdef PARALLEL_BENCH_HAVE_TBB
  os << ", oneTBB " << TBB_VERSION_MAJOR << '.' << TBB_VERSION_MINOR;
#else
  os << ", oneTBB not built in";
#endif
  os << ", " << std::thread::hardware_concurrency() << " hardware threads";
  std::ifstream in{"/proc/loadavg"};
  std::string l1, l5;
  if (in >> l1 >> l5)
    os << ", load average " << l1 << ' ' << l5 << " at the end";
  return os.str();
}

} // namespace

void print_json(std::ostream& out, const params& p, std::deque<figure>& figs) {
  out << "{\"quick\":" << (p.quick ? "true" : "false") << ",\"repeat\":" << p.repeat
      << ",\"figures\":[";
  bool first = true;
  for (auto& f : figs) {
    out << (first ? "" : ",") << "\n  {\"name\":" << json_string(f.name)
        << ",\"unit\":" << json_string(f.unit)
        << ",\"ours\":" << json_number(median(f.ours));
    if (!f.peers.empty()) {
      out << ",\"peers\":{";
      bool first_peer = true;
      for (auto& [name, xs] : f.peers) {
        out << (first_peer ? "" : ",") << json_string(name) << ':'
            << json_number(median(xs));
        first_peer = false;
      }
      out << '}';
    }
    if (f.ideal)
      out << ",\"ideal\":" << json_number(*f.ideal);
    if (f.goal)
      out << ",\"target\":" << json_string(f.goal->text)
          << ",\"met\":" << (f.goal->met ? "true" : "false");
    out << '}';
    first = false;
  }
  out << "\n]}\n";
}

void print_table(std::ostream& out, const params& p, std::deque<figure>& figs) {
  out << "parallel-bench" << (p.quick ? " --quick" : "") << ": medians of "
      << p.repeat << " runs; " << versions() << "\n\n";
  struct row {
    std::vector<std::string> cells;
  };
  // Peer columns: tbb and caf first, then any other peer some figure has.
  std::vector<std::string> peer_names{"tbb", "caf"};
  for (auto& f : figs)
    for (auto& [name, xs] : f.peers)
      if (std::find(peer_names.begin(), peer_names.end(), name) == peer_names.end())
        peer_names.push_back(name);
  std::vector<std::string> head{"figure", "unit", "ours", "ours min-max"};
  head.insert(head.end(), peer_names.begin(), peer_names.end());
  for (auto x : {"ideal", "target", "met"})
    head.emplace_back(x);
  auto target_col = head.size() - 2;
  std::vector<row> rows;
  for (auto& f : figs) {
    row r;
    r.cells = {f.name, f.unit, fmt(median(f.ours)), "-"};
    if (!f.ours.empty()) {
      auto [lo, hi] = std::minmax_element(f.ours.begin(), f.ours.end());
      r.cells[3] = fmt(*lo) + "-" + fmt(*hi);
    }
    for (auto& name : peer_names) {
      auto i = f.peers.find(name);
      r.cells.push_back(i == f.peers.end() ? std::string{"-"} : fmt(median(i->second)));
    }
    r.cells.push_back(f.ideal ? fmt(*f.ideal) : "-");
    r.cells.push_back(f.goal ? f.goal->text : "-");
    r.cells.push_back(f.goal ? (f.goal->met ? "yes" : "NO") : "-");
    rows.push_back(std::move(r));
  }
  std::vector<std::size_t> width(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) {
    width[i] = head[i].size();
    for (auto& r : rows)
      width[i] = std::max(width[i], r.cells[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      bool left = i == 0 || i == 1 || i == target_col;
      out << (i == 0 ? "" : "  ")
          << (left ? std::left : std::right) << std::setw(static_cast<int>(width[i]))
          << cells[i];
    }
    out << std::right << '\n';
  };
  line(head);
  std::size_t total = 0;
  for (auto w : width)
    total += w + 2;
  out << std::string(total - 2, '-') << '\n';
  for (auto& r : rows)
    line(r.cells);
  bool any_note = false;
  for (auto& f : figs)
    if (!f.note.empty()) {
      if (!any_note)
        out << '\n';
      any_note = true;
      out << "  " << f.name << ": " << f.note << '\n';
    }
}

} // namespace bench
