// timeline: lanes (in-flight slots) for spans, and the SVG picture.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "span.hpp"

namespace sim {

/// Gives every span a lane: in start order, the lowest lane that is free
/// (its previous span ended no later than this one starts). Returns how many
/// lanes were used, i.e. the most calls in flight at once.
std::size_t assign_lanes(std::vector<span>& spans);

/// One configuration's part of the picture.
struct timeline_section {
  std::string title;    ///< e.g. "limited(10) · err_group"
  std::string subtitle; ///< e.g. "512 ms · 1000 calls · 10 lanes"
  double wall_ms = 0;   ///< when wait() returned
  std::size_t lanes = 0;
  std::size_t bound = 0; ///< most calls allowed in flight; 0: no bound
  const std::vector<span>* spans = nullptr;
};

/// The most rows of bars a section draws; past it, lanes are merged (several
/// lanes share a row) and the section says so.
constexpr std::size_t max_timeline_rows = 200;

/// Calls in flight (started, the client not yet done) over [0, extent_ms),
/// as the largest count in each of `columns` equal slices of time.
std::vector<std::size_t> in_flight_curve(const std::vector<span>& spans, double extent_ms,
                                         std::size_t columns);

/// Writes an SVG: for each section, an in-flight curve (`class="inflight"`,
/// the bound as `class="bound"`), then one bar per span (`class="span
/// OUTCOME"`, `data-call`) on its lane, coloured by outcome, with a legend.
/// Every section shares one time axis, the longest run's (`data-axis-ms` on
/// each section's axis); a section much shorter than the axis notes its own
/// duration beside its end.
void write_timeline_svg(std::ostream& out, const std::string& heading,
                        const std::vector<std::string>& service_names,
                        const std::vector<timeline_section>& sections);

} // namespace sim
