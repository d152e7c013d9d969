#include "sweep_plot.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <ostream>
#include <vector>

#include "report.hpp"
#include "svg_util.hpp"

namespace sim {

using svg::escape;
using svg::num;
using svg::num_y;

namespace {

constexpr double width = 960;
constexpr double height = 500;
constexpr double left = 80;   // room for the wall-time ticks
constexpr double right = 80;  // room for the p99 ticks
constexpr double top = 96;
constexpr double bottom = 60;
constexpr double plot_w = width - left - right;
constexpr double plot_h = height - top - bottom;

constexpr const char* wall_colour = "#1e88e5";
constexpr const char* p99_colour = "#e53935";

} // namespace

void write_sweep_svg(std::ostream& out, const scenario& sc, const sweep_result& r) {
  std::size_t lo = r.points.empty() ? 1 : r.points.front().bound;
  std::size_t hi = r.points.empty() ? 1 : r.points.back().bound;
  double x_extent = std::max<double>(1, static_cast<double>(hi - lo));
  double max_wall = 0, max_p99 = 0;
  for (auto& p : r.points) {
    max_wall = std::max(max_wall, p.wall_ms);
    if (p.p99_ms)
      max_p99 = std::max(max_p99, *p.p99_ms);
  }
  double wall_step = svg::tick_step(std::max(max_wall, 1e-3), 5);
  double wall_top = std::max(wall_step, std::ceil(max_wall / wall_step) * wall_step);
  double p99_step = svg::tick_step(std::max(max_p99, 1e-3), 5);
  double p99_top = std::max(p99_step, std::ceil(max_p99 / p99_step) * p99_step);
  auto xof = [&](std::size_t b) {
    return left + plot_w * (static_cast<double>(b - lo) / x_extent);
  };
  auto y_wall = [&](double ms) { return top + plot_h * (1 - ms / wall_top); };
  auto y_p99 = [&](double ms) { return top + plot_h * (1 - ms / p99_top); };

  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(width) << "\" height=\""
      << num(height) << "\" viewBox=\"0 0 " << num(width) << ' ' << num(height)
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<style>\n"
      << "  .plot { fill: #f5f5f5; }\n"
      << "  .grid { stroke: #e0e0e0; stroke-width: 1; }\n"
      << "  .axis { stroke: #9e9e9e; stroke-width: 1; }\n"
      << "  .tick { fill: #616161; font-size: 10px; }\n"
      << "  .curve { fill: none; stroke-width: 2; }\n"
      << "  .curve.wall, .point.wall { stroke: " << wall_colour << "; }\n"
      << "  .curve.p99, .point.p99 { stroke: " << p99_colour << "; }\n"
      << "  .curve.p50 { stroke: " << p99_colour << "; stroke-width: 1.2; stroke-dasharray: 3 3; }\n"
      << "  .point { stroke-width: 1.5; }\n"
      << "  .point.wall { fill: " << wall_colour << "; }\n"
      << "  .point.p99 { fill: " << p99_colour << "; }\n"
      << "  .point.stopped { fill: #ffffff; }\n"
      << "  .capacity { stroke: #6d4c41; stroke-width: 1.5; stroke-dasharray: 6 4; }\n"
      << "  .recommended { stroke: #2e7d32; stroke-width: 2; }\n"
      << "</style>\n"
      << "<rect x=\"0\" y=\"0\" width=\"" << num(width) << "\" height=\"" << num(height)
      << "\" fill=\"#ffffff\"/>\n";
  auto title = "parallel-sim sweep: " + (sc.title.empty() ? sc.source : sc.title);
  out << "<text x=\"20\" y=\"24\" font-size=\"16\" font-weight=\"bold\">" << escape(title)
      << "</text>\n";
  out << "<text x=\"20\" y=\"44\" fill=\"#424242\">" << escape(r.what) << ", "
      << r.points.size() << (r.points.size() == 1 ? " bound" : " bounds") << ", seed "
      << r.seed << ": wall time (left axis) and p99 call latency (right axis) against the "
                   "bound.</text>\n";
  // Legend.
  out << "<line class=\"curve wall\" x1=\"20\" y1=\"64\" x2=\"44\" y2=\"64\"/>"
      << "<text x=\"50\" y=\"68\">wall time</text>\n"
      << "<line class=\"curve p99\" x1=\"140\" y1=\"64\" x2=\"164\" y2=\"64\"/>"
      << "<text x=\"170\" y=\"68\">p99 call latency</text>\n"
      << "<line class=\"curve p50\" x1=\"290\" y1=\"64\" x2=\"314\" y2=\"64\"/>"
      << "<text x=\"320\" y=\"68\">p50</text>\n"
      << "<line class=\"capacity\" x1=\"370\" y1=\"64\" x2=\"394\" y2=\"64\"/>"
      << "<text x=\"400\" y=\"68\">a service's capacity</text>\n"
      << "<line class=\"recommended\" x1=\"540\" y1=\"64\" x2=\"564\" y2=\"64\"/>"
      << "<text x=\"570\" y=\"68\">smallest bound within 5% of the best wall time</text>\n";
  out << "<rect class=\"plot\" x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\""
      << num(plot_w) << "\" height=\"" << num(plot_h) << "\"/>\n";
  // Horizontal grid and the two y axes.
  for (int k = 0; k <= 20; ++k) {
    double t = wall_step * k;
    if (t > wall_top * 1.0001)
      break;
    double y = y_wall(t);
    out << "<line class=\"grid\" x1=\"" << num(left) << "\" y1=\"" << num_y(y) << "\" x2=\""
        << num(left + plot_w) << "\" y2=\"" << num_y(y) << "\"/>"
        << "<text class=\"tick\" x=\"" << num(left - 6) << "\" y=\"" << num_y(y + 3)
        << "\" text-anchor=\"end\" fill=\"" << wall_colour << "\">" << svg::time_label(t)
        << "</text>\n";
  }
  for (int k = 0; k <= 20; ++k) {
    double t = p99_step * k;
    if (t > p99_top * 1.0001)
      break;
    double y = y_p99(t);
    out << "<text class=\"tick\" x=\"" << num(left + plot_w + 6) << "\" y=\""
        << num_y(y + 3) << "\">" << svg::time_label(t) << "</text>\n";
  }
  out << "<text x=\"" << num(left - 60) << "\" y=\"" << num(top - 10) << "\" fill=\""
      << wall_colour << "\">wall time</text>\n"
      << "<text x=\"" << num(left + plot_w + 6) << "\" y=\"" << num(top - 10) << "\" fill=\""
      << p99_colour << "\">p99 latency</text>\n";
  // The x axis: bounds.
  double ay = top + plot_h;
  out << "<line class=\"axis\" x1=\"" << num(left) << "\" y1=\"" << num(ay) << "\" x2=\""
      << num(left + plot_w) << "\" y2=\"" << num(ay) << "\"/>\n";
  double bstep = std::max(1.0, svg::tick_step(x_extent, 10));
  auto first_tick = static_cast<std::size_t>(std::ceil(static_cast<double>(lo) / bstep) * bstep);
  for (auto b = first_tick; b <= hi; b += static_cast<std::size_t>(bstep)) {
    double x = xof(b);
    out << "<line class=\"axis\" x1=\"" << num(x) << "\" y1=\"" << num(ay) << "\" x2=\""
        << num(x) << "\" y2=\"" << num(ay + 4) << "\"/><text class=\"tick\" x=\"" << num(x)
        << "\" y=\"" << num(ay + 16) << "\" text-anchor=\"middle\">" << b << "</text>\n";
  }
  out << "<text x=\"" << num(left + plot_w / 2) << "\" y=\"" << num(ay + 36)
      << "\" text-anchor=\"middle\">bound (calls in flight at most)</text>\n";
  // Capacities: where the knee should be.
  double label_y = top + 14;
  for (auto& s : sc.services) {
    if (s.capacity == 0 || s.capacity < lo || s.capacity > hi)
      continue;
    double x = xof(s.capacity);
    out << "<line class=\"capacity\" data-capacity=\"" << s.capacity << "\" x1=\"" << num(x)
        << "\" y1=\"" << num(top) << "\" x2=\"" << num(x) << "\" y2=\"" << num(ay) << "\"/>"
        << "<text x=\"" << num(x + 4) << "\" y=\"" << num(label_y) << "\" fill=\"#6d4c41\">"
        << escape(s.name) << ": capacity " << s.capacity << "</text>\n";
    label_y += 14;
  }
  if (r.recommended) {
    auto b = r.points[*r.recommended].bound;
    double x = xof(b);
    out << "<line class=\"recommended\" data-bound=\"" << b << "\" x1=\"" << num(x)
        << "\" y1=\"" << num(top) << "\" x2=\"" << num(x) << "\" y2=\"" << num(ay) << "\"/>"
        << "<text x=\"" << num(x + 4) << "\" y=\"" << num(ay - 8) << "\" fill=\"#2e7d32\""
        << " font-weight=\"bold\">use " << b << " (" << format_duration(r.points[*r.recommended].wall_ms)
        << ")</text>\n";
  }
  // The curves, then the points on top.
  auto curve = [&](const char* cls, auto y_of, auto value) {
    out << "<polyline class=\"curve " << cls << "\" points=\"";
    bool first = true;
    for (auto& p : r.points) {
      auto v = value(p);
      if (!v)
        continue;
      out << (first ? "" : " ") << num(xof(p.bound)) << ',' << num_y(y_of(*v));
      first = false;
    }
    out << "\"/>\n";
  };
  curve("wall", y_wall, [](const sweep_point& p) { return std::optional<double>{p.wall_ms}; });
  curve("p50", y_p99, [](const sweep_point& p) { return p.p50_ms; });
  curve("p99", y_p99, [](const sweep_point& p) { return p.p99_ms; });
  double radius = r.points.size() > 100 ? 1.5 : 3;
  for (auto& p : r.points) {
    auto cls = std::string{p.complete ? "" : " stopped"};
    out << "<circle class=\"point wall" << cls << "\" data-bound=\"" << p.bound << "\" cx=\""
        << num(xof(p.bound)) << "\" cy=\"" << num_y(y_wall(p.wall_ms)) << "\" r=\""
        << num(radius) << "\"><title>bound " << p.bound << ": wall "
        << format_duration(p.wall_ms) << (p.complete ? "" : " (stopped early)")
        << "</title></circle>\n";
    if (p.p99_ms)
      out << "<circle class=\"point p99" << cls << "\" data-bound=\"" << p.bound << "\" cx=\""
          << num(xof(p.bound)) << "\" cy=\"" << num_y(y_p99(*p.p99_ms)) << "\" r=\""
          << num(radius) << "\"><title>bound " << p.bound << ": p99 "
          << format_duration(*p.p99_ms) << ", p50 "
          << (p.p50_ms ? format_duration(*p.p50_ms) : std::string{"-"}) << ", peak "
          << p.peak << ", errors " << p.errors << "</title></circle>\n";
  }
  out << "</svg>\n";
}

} // namespace sim
