// sweep_plot: the sweep as a picture, wall time and p99 call latency
// against the bound, with each service's capacity and the recommended bound
// marked, so that the capacity shows as the knee of the curves.
#pragma once

#include <iosfwd>
#include <string>

#include "scenario.hpp"
#include "sweep.hpp"

namespace sim {

/// Writes the SVG: `<polyline class="curve wall">`, `<polyline class="curve
/// p99">` and `<polyline class="curve p50">` (p50 and p99 share the right
/// axis), one `<circle class="point wall|p99" data-bound="N">` per bound (hollow when that run stopped early), a `<line class="capacity"
/// data-capacity="C">` per service with a capacity inside the range, and a
/// `<line class="recommended" data-bound="N">`.
void write_sweep_svg(std::ostream& out, const scenario& sc, const sweep_result& r);

} // namespace sim
