// text_escape: user text echoed in a one-line message must stay one line and
// must not reach the terminal as control sequences.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "text_check.hpp"

namespace sim {

/// `s` with every control character written as an escape: `\n`, `\r`, `\t`,
/// `\e` (ESC), `\xNN` for the other C0 bytes and DEL, `\u0080`..`\u009F` for
/// the C1 controls (UTF-8 C2 80..C2 9F), `\uXXXX` for what `unprintable_char`
/// refuses beyond them (bidirectional overrides, line separators, U+FFFE/F),
/// and `\xNN` for a byte that is not UTF-8. Everything else is kept as is.
inline std::string escape_for_terminal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    char buf[8];
    switch (c) {
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case 0x1B:
        out += "\\e";
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7F) {
      std::snprintf(buf, sizeof(buf), "\\x%02X", c);
      out += buf;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (auto n = utf8_length(s, i); n == 0) {
      std::snprintf(buf, sizeof(buf), "\\x%02X", c);
      out += buf;
    } else {
      auto seq = s.substr(i, n);
      if (auto bad = unprintable_char(seq)) {
        out += "\\u" + bad->substr(2); // "U+202E" -> "\u202E"
      } else {
        out += seq;
      }
      i += n - 1;
    }
  }
  return out;
}

} // namespace sim
