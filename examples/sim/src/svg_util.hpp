// svg_util: what the timeline and the sweep plot share to write SVG text:
// escaping, short numbers, and "nice" tick steps.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include "text_check.hpp"

namespace sim::svg {

/// `s` escaped for XML text and attribute values. Control characters (not
/// allowed in XML 1.0) become spaces; bytes that are not UTF-8 (a file name
/// may have any) and U+FFFE/U+FFFF become U+FFFD, the replacement character.
inline std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) {
          out += ' ';
        } else if (u < 0x80) {
          out += c;
        } else {
          auto n = utf8_length(s, i);
          auto seq = s.substr(i, n);
          if (n == 0 || seq == "\xEF\xBF\xBE" || seq == "\xEF\xBF\xBF") {
            out += "\xEF\xBF\xBD";
            n = n == 0 ? 1 : n;
          } else {
            out += seq;
          }
          i += n - 1;
        }
    }
  }
  return out;
}

/// `x` with at most `decimals` decimals, trailing zeros dropped.
inline std::string trimmed(double x, int decimals) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, x);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0')
      s.pop_back();
    if (s.back() == '.')
      s.pop_back();
  }
  if (s == "-0")
    s = "0";
  return s;
}

/// An x coordinate: a tenth of a pixel is plenty.
inline std::string num(double x) {
  return trimmed(x, 1);
}

/// A y coordinate: a lane may be a fraction of a pixel high.
inline std::string num_y(double y) {
  return trimmed(y, 2);
}

/// "0", "250 ms", "1.5 s": an axis label for a time.
inline std::string time_label(double ms) {
  char buf[32];
  if (ms == 0)
    return "0";
  if (ms >= 1000)
    std::snprintf(buf, sizeof(buf), "%g s", ms / 1000);
  else
    std::snprintf(buf, sizeof(buf), "%g ms", ms);
  return buf;
}

/// A tick step of 1, 2 or 5 x 10^k giving about `ticks` ticks over `extent`.
inline double tick_step(double extent, double ticks = 6) {
  if (extent <= 0)
    return 1;
  double raw = extent / ticks;
  double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw)
      return m * p;
  return 10 * p;
}

} // namespace sim::svg
