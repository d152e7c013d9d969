// report: the comparison as a table for people, or as JSON.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>

#include "runner.hpp"
#include "scenario.hpp"

namespace sim {

/// The header, one table row per configuration, footnotes, and one line per
/// configuration saying what wait() returned.
void print_table(std::ostream& out, const scenario& sc, const run_result& r);

/// The same figures as one JSON object.
void print_json(std::ostream& out, const scenario& sc, const run_result& r);

/// `s` as a JSON string literal (quoted, escaped).
std::string json_string(std::string_view s);

/// `x` as a JSON number (6 significant digits), `null` if not finite.
std::string json_number(double x);

/// "1 call", "2 calls": a count and its noun, singular or plural
/// (`plural` defaults to `singular` + "s").
std::string count_text(std::size_t n, std::string_view singular,
                       std::string_view plural = {});

/// "5.08 s", "512 ms", "14.2 ms", "0.42 ms".
std::string format_duration(double ms);

/// The title of a configuration in the table and the timeline:
/// "limited(10) err_group".
std::string config_title(const config_result& c);

} // namespace sim
