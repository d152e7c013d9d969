#include "timeline.hpp"

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

namespace {

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

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n')
          out += ' ';
        else
          out += c;
    }
  }
  return out;
}

// A number with at most `decimals` decimals, trailing zeros dropped.
std::string trimmed(double x, int decimals) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, x);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0')
      s.pop_back();
    if (s.back() == '.')
      s.pop_back();
  }
  if (s == "-0")
    s = "0";
  return s;
}

// x coordinates: a tenth of a pixel is plenty.
std::string num(double x) {
  return trimmed(x, 1);
}

// y coordinates: a lane may be a fraction of a pixel high.
std::string num_y(double y) {
  return trimmed(y, 2);
}

std::string time_label(double ms) {
  char buf[32];
  if (ms == 0)
    return "0";
  if (ms >= 1000)
    std::snprintf(buf, sizeof(buf), "%g s", ms / 1000);
  else
    std::snprintf(buf, sizeof(buf), "%g ms", ms);
  return buf;
}

// A tick step of 1, 2 or 5 x 10^k giving 4 to 10 ticks over `extent`.
double tick_step(double extent) {
  if (extent <= 0)
    return 1;
  double raw = extent / 6;
  double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw)
      return m * p;
  return 10 * p;
}

} // namespace

void write_timeline_svg(std::ostream& out, const std::string& heading,
                        const std::vector<std::string>& service_names,
                        const std::vector<timeline_section>& sections) {
  // Layout first: every section's height.
  constexpr double header_h = 104;
  constexpr double title_h = 34;
  constexpr double axis_h = 30;
  constexpr double gap = 14;
  std::vector<double> plot_h;
  double total = header_h;
  for (auto& s : sections) {
    auto lanes = std::max<std::size_t>(s.lanes, 1);
    double h = std::min(12.0 * static_cast<double>(lanes), 160.0);
    plot_h.push_back(h);
    total += title_h + h + axis_h + gap;
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(width)
      << "\" height=\"" << num(total) << "\" viewBox=\"0 0 " << num(width) << ' '
      << num(total) << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<style>\n";
  for (auto& c : legend)
    out << "  ." << c.cls << " { fill: " << c.fill << "; }\n";
  out << "  .plot { fill: #f5f5f5; }\n"
      << "  .axis { stroke: #9e9e9e; stroke-width: 1; }\n"
      << "  .wall { stroke: #212121; stroke-width: 1; stroke-dasharray: 4 3; }\n"
      << "  .tick { fill: #616161; font-size: 10px; }\n"
      << "</style>\n"
      << "<rect x=\"0\" y=\"0\" width=\"" << num(width) << "\" height=\"" << num(total)
      << "\" fill=\"#ffffff\"/>\n";
  out << "<text x=\"" << num(left) << "\" y=\"22\" font-size=\"16\" font-weight=\"bold\">"
      << escape(heading) << "</text>\n";
  out << "<text x=\"" << num(left)
      << "\" y=\"42\" fill=\"#424242\">One bar per call, on the in-flight slot (lane) "
         "it held; each configuration has its own time axis; the dashed line is "
         "where wait() returned.</text>\n";
  // Legend, wrapped to the width.
  double lx = left, ly = 56;
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
  double y = header_h;
  for (std::size_t si = 0; si < sections.size(); ++si) {
    auto& s = sections[si];
    auto lanes = std::max<std::size_t>(s.lanes, 1);
    double h = plot_h[si];
    double lane_h = h / static_cast<double>(lanes);
    // The axis covers the wall time and any service work after it.
    double extent = s.wall_ms;
    if (s.spans)
      for (auto& sp : *s.spans)
        extent = std::max({extent, sp.end_ms, sp.service_end_ms});
    if (extent <= 0)
      extent = 1;
    auto xof = [&](double ms) { return left + plot_w * std::clamp(ms / extent, 0.0, 1.0); };
    out << "<g class=\"section\" data-config=\"" << si << "\">\n";
    out << "<text x=\"" << num(left) << "\" y=\"" << num(y + 14)
        << "\" font-weight=\"bold\">" << escape(s.title) << "</text>";
    out << "<text x=\"" << num(left) << "\" y=\"" << num(y + 28) << "\" fill=\"#424242\">"
        << escape(s.subtitle) << "</text>\n";
    double py = y + title_h;
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
          double top = py + lane_h * static_cast<double>(sp.lane);
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
    // Wall line and axis.
    double wx = xof(s.wall_ms);
    out << "<line class=\"wall\" x1=\"" << num(wx) << "\" y1=\"" << num(py - 3)
        << "\" x2=\"" << num(wx) << "\" y2=\"" << num(py + h + 3) << "\"/>\n";
    double ay = py + h + 4;
    out << "<line class=\"axis\" x1=\"" << num(left) << "\" y1=\"" << num(ay)
        << "\" x2=\"" << num(left + plot_w) << "\" y2=\"" << num(ay) << "\"/>\n";
    double step = tick_step(extent);
    for (int k = 0;; ++k) {
      double t = step * k;
      if (t > extent * 1.0001)
        break;
      double tx = xof(t);
      out << "<line class=\"axis\" x1=\"" << num(tx) << "\" y1=\"" << num(ay)
          << "\" x2=\"" << num(tx) << "\" y2=\"" << num(ay + 4) << "\"/>"
          << "<text class=\"tick\" x=\"" << num(tx) << "\" y=\"" << num(ay + 15)
          << "\" text-anchor=\"" << (k == 0 ? "start" : "middle") << "\">"
          << time_label(t) << "</text>\n";
    }
    out << "</g>\n";
    y += title_h + h + axis_h + gap;
  }
  out << "</svg>\n";
}

} // namespace sim
