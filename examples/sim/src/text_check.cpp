#include "text_check.hpp"

#include <cstdint>
#include <cstdio>

#include "scenario_error.hpp"

namespace sim {

namespace {

// Length of the valid UTF-8 sequence at `s[i]`, or 0 if it is invalid.
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

} // namespace

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
}

} // namespace sim
