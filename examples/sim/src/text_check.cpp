#include "text_check.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "scenario_error.hpp"

namespace sim {

namespace {

// Where the scanner is, as people count: lines, and columns in characters.
struct cursor {
  std::string_view s;
  std::size_t i = 0;
  std::size_t line = 1, column = 1;

  bool done() const {
    return i >= s.size();
  }
  char peek(std::size_t k = 0) const {
    return i + k < s.size() ? s[i + k] : '\0';
  }
  bool at(std::string_view x) const {
    return s.substr(i, x.size()) == x;
  }
  void next() {
    auto c = static_cast<unsigned char>(s[i++]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) { // not a UTF-8 continuation byte
      ++column;
    }
  }
};

// Skips the string at the cursor (basic, literal, or either multi-line kind).
// Stops at the end of the line for an unterminated one-line string: the TOML
// parser reports that.
void skip_string(cursor& c) {
  char q = c.peek();
  bool basic = q == '"';
  std::string_view triple = basic ? "\"\"\"" : "'''";
  if (c.at(triple)) {
    for (int k = 0; k < 3; ++k)
      c.next();
    while (!c.done() && !c.at(triple)) {
      if (basic && c.peek() == '\\')
        c.next();
      if (!c.done())
        c.next();
    }
    for (int k = 0; k < 3 && !c.done(); ++k)
      c.next();
    for (int k = 0; k < 2 && c.peek() == q; ++k) // """a"""" is a"
      c.next();
    return;
  }
  c.next();
  while (!c.done() && c.peek() != q && c.peek() != '\n') {
    if (basic && c.peek() == '\\')
      c.next();
    if (!c.done() && c.peek() != '\n')
      c.next();
  }
  if (c.peek() == q)
    c.next();
}

bool bare_key_char(char ch) {
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')
         || ch == '_' || ch == '-';
}

// toml++ 3.3 parses a dotted key or table header recursively, one level per
// part: tens of thousands of parts overflow the stack. Counts the parts of
// every run of keys and dots outside strings and comments.
void check_key_depth(std::string_view text, const std::string& source) {
  cursor c{text};
  bool in_key = false;
  std::size_t dots = 0, line = 0, column = 0;
  auto start = [&] {
    if (!in_key) {
      in_key = true;
      dots = 0;
      line = c.line;
      column = c.column;
    }
  };
  while (!c.done()) {
    char ch = c.peek();
    if (ch == '#') {
      while (!c.done() && c.peek() != '\n')
        c.next();
      in_key = false;
    } else if (ch == '"' || ch == '\'') {
      start();
      skip_string(c);
    } else if (ch == '.') {
      start();
      if (++dots >= max_key_parts)
        throw scenario_error(source, line, column,
                             "a dotted key with more than "
                               + std::to_string(max_key_parts) + " parts");
      c.next();
    } else if (bare_key_char(ch)) {
      start();
      c.next();
    } else {
      if (ch != ' ' && ch != '\t') // a.b . c is one key
        in_key = false;
      c.next();
    }
  }
}

} // namespace

std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  auto c = byte(i);
  if (c < 0x80)
    return 1;
  std::size_t n;
  std::uint8_t lo = 0x80, hi = 0xBF; // range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F; // no UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size())
    return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi)
    return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
      return 0;
  return n;
}

namespace {

// The code point of the valid UTF-8 sequence of length `n` at `s[i]`.
std::uint32_t code_point(std::string_view s, std::size_t i, std::size_t n) {
  auto c = static_cast<unsigned char>(s[i]);
  std::uint32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
  for (std::size_t k = 1; k < n; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

} // namespace

bool only_spaces(std::string_view s) {
  if (s.empty())
    return false;
  for (std::size_t i = 0; i < s.size();) {
    auto n = utf8_length(s, i);
    if (n == 0)
      return false;
    auto cp = code_point(s, i, n);
    bool space = cp == 0x20 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B)
                 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
    if (!space)
      return false;
    i += n;
  }
  return true;
}

std::optional<std::string> unprintable_char(std::string_view s, bool newlines_ok) {
  char buf[16];
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 || c == 0x7F) && !(newlines_ok && (c == '\n' || c == '\t'))) {
        std::snprintf(buf, sizeof(buf), "0x%02X", c);
        return std::string{buf};
      }
      ++i;
      continue;
    }
    auto n = utf8_length(s, i);
    if (n == 0)
      return std::string{"an invalid UTF-8 byte"}; // checked files have none
    auto cp = code_point(s, i, n);
    bool c1 = cp >= 0x80 && cp <= 0x9F;
    bool line_break = cp == 0x2028 || cp == 0x2029;
    bool bidi = (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
    bool not_xml = cp == 0xFFFE || cp == 0xFFFF;
    if (c1 || line_break || bidi || not_xml) {
      std::snprintf(buf, sizeof(buf), "U+%04X", static_cast<unsigned>(cp));
      return std::string{buf};
    }
    i += n;
  }
  return std::nullopt;
}

void check_text(std::string_view text, const std::string& source) {
  constexpr const char* hint = "a scenario is a UTF-8 TOML text file";
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    throw scenario_error(source, 1, 1,
                         "the file is empty (a scenario declares [services.NAME], "
                         "[workload] and [[config]])");
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == 0)
      throw scenario_error(source, line, column,
                           std::string{"binary file: NUL byte ("} + hint + ")");
    auto n = utf8_length(text, i);
    if (n == 0) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "0x%02X", c);
      throw scenario_error(source, line, column,
                           std::string{"binary file: invalid UTF-8 byte "} + hex
                             + " (" + hint + ")");
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += n;
  }
  check_key_depth(text, source);
}

} // namespace sim
