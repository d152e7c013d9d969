// report: the comparison as a table for people, or as JSON.
#pragma once

#include <iosfwd>
#include <string>

#include "runner.hpp"
#include "scenario.hpp"

namespace sim {

/// The header, one table row per configuration, footnotes, and one line per
/// configuration saying what wait() returned.
void print_table(std::ostream& out, const scenario& sc, const run_result& r);

/// The same figures as one JSON object.
void print_json(std::ostream& out, const scenario& sc, const run_result& r);

/// "5.08 s", "512 ms", "14.2 ms", "0.42 ms".
std::string format_duration(double ms);

/// The title of a configuration in the table and the timeline:
/// "limited(10) err_group".
std::string config_title(const config_result& c);

} // namespace sim
