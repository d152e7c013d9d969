// text_check: a scenario must be non-empty UTF-8 text, checked before parsing
// so that an empty or binary file gets one clear line; and no key may have so
// many dotted parts that the TOML parser's recursion overflows the stack.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sim {

/// The most parts a dotted key or table header may have (`a.b.c` has 3).
constexpr std::size_t max_key_parts = 64;

/// Throws `scenario_error` if `text` is empty (or only white space), holds a
/// NUL byte, is not valid UTF-8, or has a dotted key or table header of more
/// than `max_key_parts` parts outside strings and comments; with the line and
/// column of the first bad byte (of the key).
void check_text(std::string_view text, const std::string& source);

} // namespace sim
