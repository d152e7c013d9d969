// text_escape: user text echoed in a one-line message must stay one line and
// must not reach the terminal as control sequences.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace sim {

/// `s` with every control character written as an escape: `\n`, `\r`, `\t`,
/// `\e` (ESC), `\xNN` for the other C0 bytes and DEL, `\u0080`..`\u009F` for
/// the C1 controls (UTF-8 C2 80..C2 9F). Everything else is kept as is.
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
    } else if (c == 0xC2 && i + 1 < s.size()
               && static_cast<unsigned char>(s[i + 1]) >= 0x80
               && static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
      std::snprintf(buf, sizeof(buf), "\\u%04X", static_cast<unsigned char>(s[i + 1]));
      out += buf;
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

} // namespace sim
