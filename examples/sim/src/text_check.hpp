// text_check: a scenario must be non-empty UTF-8 text, checked before parsing
// so that an empty or binary file gets one clear line.
#pragma once

#include <string>
#include <string_view>

namespace sim {

/// Throws `scenario_error` if `text` is empty (or only white space), holds a
/// NUL byte, or is not valid UTF-8; with the line and column of the first bad
/// byte.
void check_text(std::string_view text, const std::string& source);

} // namespace sim
