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
  const std::vector<span>* spans = nullptr;
};

/// Writes an SVG: for each section, one bar per span (`class="span OUTCOME"`,
/// `data-call`), lanes on the y axis, time on the x axis (each section has its
/// own), coloured by outcome, with a legend.
void write_timeline_svg(std::ostream& out, const std::string& heading,
                        const std::vector<std::string>& service_names,
                        const std::vector<timeline_section>& sections);

} // namespace sim
