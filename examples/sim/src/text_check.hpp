// text_check: a scenario must be non-empty UTF-8 text, checked before parsing
// so that an empty or binary file gets one clear line; and no key may have so
// many dotted parts that the TOML parser's recursion overflows the stack.
#pragma once

#include <cstddef>
#include <optional>
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

/// The length of the valid UTF-8 sequence at `s[i]`, or 0 if it is invalid.
std::size_t utf8_length(std::string_view s, std::size_t i);

/// The first character of `s` that must not reach a terminal or an SVG, as
/// "0x1B" (an ASCII control, or DEL) or "U+009B": C1 controls, the line and
/// paragraph separators, bidirectional overrides and isolates (they reorder
/// what a terminal shows), and U+FFFE/U+FFFF (not allowed in XML). A
/// newline and a tab pass if `newlines_ok`. Nothing: `s` is fine.
std::optional<std::string> unprintable_char(std::string_view s, bool newlines_ok = false);

/// Whether `s` is not empty but shows nothing: only spaces, of any kind
/// (U+00A0, U+2000..U+200B, U+3000, U+FEFF...).
bool only_spaces(std::string_view s);

} // namespace sim
