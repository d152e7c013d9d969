#include "timeline.hpp"

#include "svg_util.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numeric>
#include <ostream>
#include <queue>
#include <utility>

namespace sim {

std::string_view to_string(span_outcome o) {
  switch (o) {
    case span_outcome::ok:
      return "ok";
    case span_outcome::failed:
      return "failed";
    case span_outcome::cancelled:
      return "cancelled";
    case span_outcome::panicked:
      return "panicked";
  }
  return "?";
}

std::size_t assign_lanes(std::vector<span>& spans) {
  std::vector<std::size_t> order(spans.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (spans[a].start_ms != spans[b].start_ms)
      return spans[a].start_ms < spans[b].start_ms;
    return spans[a].call < spans[b].call;
  });
  using busy_entry = std::pair<double, std::size_t>; // end, lane
  std::priority_queue<busy_entry, std::vector<busy_entry>, std::greater<>> busy;
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> free;
  std::size_t lanes = 0;
  for (auto i : order) {
    auto& s = spans[i];
    while (!busy.empty() && busy.top().first <= s.start_ms) {
      free.push(busy.top().second);
      busy.pop();
    }
    if (free.empty()) {
      s.lane = lanes++;
    } else {
      s.lane = free.top();
      free.pop();
    }
    busy.emplace(std::max(s.end_ms, s.start_ms), s.lane);
  }
  return lanes;
}

std::vector<std::size_t> in_flight_curve(const std::vector<span>& spans, double extent_ms,
                                         std::size_t columns) {
  std::vector<std::size_t> out(columns, 0);
  if (columns == 0 || extent_ms <= 0)
    return out;
  // +1 at a start, -1 at an end; at the same instant the end comes first (a
  // slot handed from one call to the next is not two calls in flight).
  std::vector<std::pair<double, int>> events;
  events.reserve(spans.size() * 2);
  for (auto& sp : spans) {
    events.emplace_back(sp.start_ms, +1);
    events.emplace_back(std::max(sp.end_ms, sp.start_ms), -1);
  }
  std::sort(events.begin(), events.end());
  double slice = extent_ms / static_cast<double>(columns);
  std::size_t e = 0;
  long now = 0;
  for (std::size_t c = 0; c < columns; ++c) {
    double t0 = slice * static_cast<double>(c);
    double t1 = slice * static_cast<double>(c + 1);
    // What happens at the slice's first instant is its starting count.
    for (; e < events.size() && events[e].first <= t0; ++e)
      now += events[e].second;
    long peak = now;
    for (; e < events.size() && (events[e].first < t1 || c + 1 == columns); ++e) {
      now += events[e].second;
      peak = std::max(peak, now);
    }
    out[c] = static_cast<std::size_t>(std::max(0L, peak));
  }
  return out;
}

namespace {

using svg::escape;
using svg::num;
using svg::num_y;
using svg::trimmed;

constexpr double width = 960;
constexpr double left = 20;
constexpr double plot_w = width - 2 * left;

struct colour {
  std::string_view cls;
  std::string_view fill;
  std::string_view label;
};

constexpr colour legend[] = {
  {"ok", "#43a047", "ok"},
  {"failed", "#e53935", "failed (service error)"},
  {"cancelled", "#fb8c00", "cancelled (in flight when the group stopped)"},
  {"panicked", "#8e24aa", "panicked (task threw)"},
  {"queued", "#b0bec5", "queued at the service (capacity)"},
  {"tail", "#ffcc80", "service still working for nobody"},
};

// Layout of a section, top to bottom.
constexpr double header_h = 120;
constexpr double title_h = 34;
constexpr double curve_h = 36; // the in-flight curve
constexpr double curve_gap = 6;
constexpr double axis_h = 30;
constexpr double gap = 14;

// The axis covers a section's wall time and any service work after it.
double extent_of(const timeline_section& s) {
  double extent = s.wall_ms;
  if (s.spans)
    for (auto& sp : *s.spans)
      extent = std::max({extent, sp.end_ms, sp.service_end_ms});
  return extent;
}

// How many lanes share one row of bars.
std::size_t merge_factor(std::size_t lanes) {
  return lanes <= max_timeline_rows ? 1 : (lanes + max_timeline_rows - 1) / max_timeline_rows;
}

void write_curve(std::ostream& out, const timeline_section& s, double extent, double y) {
  constexpr auto columns = static_cast<std::size_t>(plot_w);
  std::vector<std::size_t> curve;
  if (s.spans)
    curve = in_flight_curve(*s.spans, extent, columns);
  else
    curve.assign(columns, 0);
  std::size_t peak = 0;
  for (auto x : curve)
    peak = std::max(peak, x);
  double top = static_cast<double>(std::max<std::size_t>({peak, s.bound, 1}));
  auto yof = [&](std::size_t n) { return y + curve_h - curve_h * static_cast<double>(n) / top; };
  out << "<rect class=\"curvebg\" x=\"" << num(left) << "\" y=\"" << num(y) << "\" width=\""
      << num(plot_w) << "\" height=\"" << num(curve_h) << "\"/>\n";
  // A step curve: one horizontal piece per run of equal columns.
  out << "<polygon class=\"inflight\" data-peak=\"" << peak << "\" points=\"" << num(left)
      << ',' << num_y(yof(0));
  double col_w = plot_w / static_cast<double>(columns);
  for (std::size_t c = 0; c < columns;) {
    auto v = curve[c];
    std::size_t d = c;
    while (d < columns && curve[d] == v)
      ++d;
    out << ' ' << num(left + col_w * static_cast<double>(c)) << ',' << num_y(yof(v)) << ' '
        << num(left + col_w * static_cast<double>(d)) << ',' << num_y(yof(v));
    c = d;
  }
  out << ' ' << num(left + plot_w) << ',' << num_y(yof(0)) << "\"/>\n";
  if (s.bound > 0) {
    double by = yof(s.bound);
    out << "<line class=\"bound\" data-bound=\"" << s.bound << "\" x1=\"" << num(left)
        << "\" y1=\"" << num_y(by) << "\" x2=\"" << num(left + plot_w) << "\" y2=\""
        << num_y(by) << "\"/>\n";
  }
  out << "<text class=\"tick\" x=\"" << num(left + plot_w - 4) << "\" y=\"" << num(y + 10)
      << "\" text-anchor=\"end\">in flight: peak " << peak;
  if (s.bound > 0)
    out << ", bound " << s.bound << " (line)";
  out << "</text>\n";
}

} // namespace

void write_timeline_svg(std::ostream& out, const std::string& heading,
                        const std::vector<std::string>& service_names,
                        const std::vector<timeline_section>& sections) {
  // One time axis for every section: the longest run's.
  double extent = 0;
  for (auto& s : sections)
    extent = std::max(extent, extent_of(s));
  if (extent <= 0)
    extent = 1;
  auto xof = [&](double ms) { return left + plot_w * std::clamp(ms / extent, 0.0, 1.0); };
  // Layout: every section's height.
  std::vector<double> plot_h;
  double total = header_h;
  for (auto& s : sections) {
    auto rows = (std::max<std::size_t>(s.lanes, 1) + merge_factor(s.lanes) - 1)
                / merge_factor(s.lanes);
    double h = std::min(12.0 * static_cast<double>(rows), 160.0);
    plot_h.push_back(h);
    total += title_h + curve_h + curve_gap + h + axis_h + gap;
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(width)
      << "\" height=\"" << num(total) << "\" viewBox=\"0 0 " << num(width) << ' '
      << num(total) << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<style>\n";
  for (auto& c : legend)
    out << "  ." << c.cls << " { fill: " << c.fill << "; }\n";
  out << "  .plot { fill: #f5f5f5; }\n"
      << "  .curvebg { fill: #fafafa; }\n"
      << "  .inflight { fill: #90caf9; stroke: #1e88e5; stroke-width: 0.6; }\n"
      << "  .bound { stroke: #c62828; stroke-width: 1; stroke-dasharray: 5 3; }\n"
      << "  .axis { stroke: #9e9e9e; stroke-width: 1; }\n"
      << "  .wall { stroke: #212121; stroke-width: 1; stroke-dasharray: 4 3; }\n"
      << "  .tick { fill: #616161; font-size: 10px; }\n"
      << "  .note { fill: #212121; font-size: 11px; font-weight: bold; }\n"
      << "</style>\n"
      << "<rect x=\"0\" y=\"0\" width=\"" << num(width) << "\" height=\"" << num(total)
      << "\" fill=\"#ffffff\"/>\n";
  out << "<text x=\"" << num(left) << "\" y=\"22\" font-size=\"16\" font-weight=\"bold\">"
      << escape(heading) << "</text>\n";
  out << "<text x=\"" << num(left)
      << "\" y=\"42\" fill=\"#424242\">One time axis for every configuration (0 to "
      << svg::time_label(std::round(extent * 10) / 10)
      << ", the longest run). Blue: calls in flight over time; the red dashed line is the "
         "bound.</text>\n"
      << "<text x=\"" << num(left)
      << "\" y=\"58\" fill=\"#424242\">Bars: one per call, on the in-flight slot (lane) it "
         "held, coloured by outcome. Black dashed line: wait() returned.</text>\n";
  // Legend, wrapped to the width.
  double lx = left, ly = 72;
  for (auto& c : legend) {
    double w = 22 + 6.4 * static_cast<double>(c.label.size());
    if (lx + w > width - left) {
      lx = left;
      ly += 18;
    }
    out << "<rect class=\"legend " << c.cls << "\" x=\"" << num(lx) << "\" y=\""
        << num(ly) << "\" width=\"12\" height=\"12\"/>"
        << "<text x=\"" << num(lx + 16) << "\" y=\"" << num(ly + 10) << "\">"
        << escape(c.label) << "</text>\n";
    lx += w;
  }
  double step = svg::tick_step(extent);
  double y = header_h;
  for (std::size_t si = 0; si < sections.size(); ++si) {
    auto& s = sections[si];
    auto merge = merge_factor(s.lanes);
    auto rows = (std::max<std::size_t>(s.lanes, 1) + merge - 1) / merge;
    double h = plot_h[si];
    double lane_h = h / static_cast<double>(rows);
    out << "<g class=\"section\" data-config=\"" << si << "\">\n";
    out << "<text x=\"" << num(left) << "\" y=\"" << num(y + 14)
        << "\" font-weight=\"bold\">" << escape(s.title) << "</text>";
    std::string subtitle = s.subtitle;
    if (merge > 1)
      subtitle += "; " + std::to_string(s.lanes) + " lanes drawn " + std::to_string(merge)
                  + " to a row";
    out << "<text x=\"" << num(left) << "\" y=\"" << num(y + 28) << "\" fill=\"#424242\">"
        << escape(subtitle) << "</text>\n";
    double cy = y + title_h;
    write_curve(out, s, extent, cy);
    double py = cy + curve_h + curve_gap;
    out << "<rect class=\"plot\" x=\"" << num(left) << "\" y=\"" << num(py)
        << "\" width=\"" << num(plot_w) << "\" height=\"" << num(h) << "\"/>\n";
    if (s.spans) {
      // Tooltips on every bar, but in big sections only on the bars that
      // did not simply succeed (keeps the file small).
      bool titled = s.spans->size() <= 400;
      // Rare outcomes (errors, panics) are drawn last and at least 3 px high,
      // so that one failed call among a thousand lanes still shows.
      for (int pass = 0; pass < 2; ++pass) {
        for (auto& sp : *s.spans) {
          bool rare = sp.outcome == span_outcome::failed
                      || sp.outcome == span_outcome::panicked;
          if (rare != (pass == 1))
            continue;
          double top = py + lane_h * static_cast<double>(sp.lane / merge);
          double hh = lane_h;
          if (rare && hh < 3) {
            top = std::clamp(top + hh / 2 - 1.5, py, py + h - 3);
            hh = 3;
          }
          double x0 = xof(sp.start_ms);
          double min_w = sp.outcome == span_outcome::panicked ? 4.0 : 0.6;
          double x1 = std::max(xof(sp.end_ms), x0 + min_w);
          auto svc = sp.service < service_names.size() ? service_names[sp.service]
                                                       : std::string{"?"};
          out << "<rect class=\"span " << to_string(sp.outcome) << "\" data-call=\""
              << sp.call << "\" x=\"" << num(x0) << "\" y=\"" << num_y(top)
              << "\" width=\"" << num(x1 - x0) << "\" height=\"" << num_y(hh) << '"';
          if (titled || sp.outcome != span_outcome::ok)
            out << "><title>call " << sp.call << " (item " << sp.item << ", " << escape(svc)
                << "): " << to_string(sp.outcome) << ", "
                << trimmed(sp.end_ms - sp.start_ms, 2) << " ms</title></rect>\n";
          else
            out << "/>\n";
          if (sp.begin_ms > sp.start_ms && !rare) {
            double q1 = std::min(xof(std::min(sp.begin_ms, sp.end_ms)), x1);
            if (q1 - x0 >= 0.3)
              out << "<rect class=\"queued\" x=\"" << num(x0) << "\" y=\"" << num_y(top)
                  << "\" width=\"" << num(q1 - x0) << "\" height=\"" << num_y(hh)
                  << "\"/>\n";
          }
          if (sp.outcome == span_outcome::cancelled && sp.service_end_ms > sp.end_ms) {
            double t1 = xof(sp.service_end_ms);
            if (t1 - x1 >= 0.3)
              out << "<rect class=\"tail\" x=\"" << num(x1) << "\" y=\"" << num_y(top)
                  << "\" width=\"" << num(t1 - x1) << "\" height=\"" << num_y(hh)
                  << "\"/>\n";
          }
        }
      }
    }
    // Wall line; a run much shorter than the axis says how long it took.
    double wx = xof(s.wall_ms);
    out << "<line class=\"wall\" x1=\"" << num(wx) << "\" y1=\"" << num(cy)
        << "\" x2=\"" << num(wx) << "\" y2=\"" << num(py + h + 3) << "\"/>\n";
    double own = extent_of(s);
    if (own < extent * 0.6) {
      out << "<text class=\"note\" x=\"" << num(xof(own) + 6) << "\" y=\""
          << num(py + std::min(h, 24.0) / 2 + 4) << "\">&#8592; "
          << svg::time_label(std::round(s.wall_ms * 10) / 10) << " ("
          << trimmed(100 * s.wall_ms / extent, 1) << "% of the axis)</text>\n";
    }
    double ay = py + h + 4;
    out << "<line class=\"axis\" data-axis-ms=\"" << trimmed(extent, 3) << "\" x1=\""
        << num(left) << "\" y1=\"" << num(ay) << "\" x2=\"" << num(left + plot_w)
        << "\" y2=\"" << num(ay) << "\"/>\n";
    for (int k = 0;; ++k) {
      double t = step * k;
      if (t > extent * 1.0001)
        break;
      double tx = xof(t);
      out << "<line class=\"axis\" x1=\"" << num(tx) << "\" y1=\"" << num(ay)
          << "\" x2=\"" << num(tx) << "\" y2=\"" << num(ay + 4) << "\"/>"
          << "<text class=\"tick\" x=\"" << num(tx) << "\" y=\"" << num(ay + 15)
          << "\" text-anchor=\"" << (k == 0 ? "start" : "middle") << "\">"
          << svg::time_label(t) << "</text>\n";
    }
    out << "</g>\n";
    y += title_h + curve_h + curve_gap + h + axis_h + gap;
  }
  out << "</svg>\n";
}

} // namespace sim
