// A small XML well-formedness check for the tests: one root element, every
// tag closed in order, attributes quoted and unique, entity references
// known, no '<' or '&' loose in text. Enough for the SVG we write.
#pragma once

#include <cctype>
#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sim_test {

struct xml_result {
  bool ok = false;
  std::string error;      // what is wrong, with the byte offset
  std::size_t elements = 0;
};

inline xml_result check_xml(std::string_view s) {
  xml_result r;
  std::size_t i = 0;
  auto fail = [&](const std::string& what) {
    r.ok = false;
    r.error = what + " at offset " + std::to_string(i);
    return r;
  };
  auto name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':'
           || c == '.';
  };
  auto entity_ok = [&](std::size_t at) {
    // s[at] == '&'
    auto semi = s.find(';', at);
    if (semi == std::string_view::npos || semi - at > 10)
      return false;
    auto ent = s.substr(at + 1, semi - at - 1);
    if (ent == "amp" || ent == "lt" || ent == "gt" || ent == "quot" || ent == "apos")
      return true;
    if (ent.size() > 1 && ent[0] == '#') {
      for (std::size_t k = 1; k < ent.size(); ++k)
        if (!std::isxdigit(static_cast<unsigned char>(ent[k])) && !(k == 1 && ent[k] == 'x'))
          return false;
      return true;
    }
    return false;
  };
  std::vector<std::string> open;
  bool root_seen = false;
  if (s.substr(0, 5) == "<?xml") {
    auto end = s.find("?>");
    if (end == std::string_view::npos)
      return fail("unterminated XML declaration");
    i = end + 2;
  }
  while (i < s.size()) {
    char c = s[i];
    if (c == '<') {
      if (s.substr(i, 4) == "<!--") {
        auto end = s.find("-->", i + 4);
        if (end == std::string_view::npos)
          return fail("unterminated comment");
        i = end + 3;
        continue;
      }
      if (s.substr(i, 2) == "</") {
        std::size_t j = i + 2;
        while (j < s.size() && name_char(s[j]))
          ++j;
        std::string name{s.substr(i + 2, j - i - 2)};
        while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j])))
          ++j;
        if (j >= s.size() || s[j] != '>')
          return fail("bad end tag");
        if (open.empty() || open.back() != name)
          return fail("end tag </" + name + "> does not match");
        open.pop_back();
        i = j + 1;
        continue;
      }
      // Start tag.
      if (open.empty() && root_seen)
        return fail("a second root element");
      std::size_t j = i + 1;
      while (j < s.size() && name_char(s[j]))
        ++j;
      std::string name{s.substr(i + 1, j - i - 1)};
      if (name.empty())
        return fail("'<' without a tag name");
      std::set<std::string> attrs;
      for (;;) {
        while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j])))
          ++j;
        if (j >= s.size())
          return fail("unterminated tag <" + name + ">");
        if (s[j] == '>' || s.substr(j, 2) == "/>")
          break;
        std::size_t a = j;
        while (j < s.size() && name_char(s[j]))
          ++j;
        std::string attr{s.substr(a, j - a)};
        if (attr.empty())
          return fail("bad attribute in <" + name + ">");
        if (!attrs.insert(attr).second)
          return fail("duplicate attribute " + attr);
        if (j >= s.size() || s[j] != '=')
          return fail("attribute " + attr + " without '='");
        ++j;
        if (j >= s.size() || (s[j] != '"' && s[j] != '\''))
          return fail("unquoted attribute " + attr);
        char q = s[j++];
        while (j < s.size() && s[j] != q) {
          if (s[j] == '<')
            return fail("'<' in attribute " + attr);
          if (s[j] == '&' && !entity_ok(j))
            return fail("bad entity in attribute " + attr);
          ++j;
        }
        if (j >= s.size())
          return fail("unterminated attribute " + attr);
        ++j;
      }
      ++r.elements;
      root_seen = true;
      if (s[j] == '/') {
        i = j + 2;
      } else {
        open.push_back(name);
        i = j + 1;
      }
      continue;
    }
    if (c == '&' && !entity_ok(i))
      return fail("bad entity in text");
    if (open.empty() && !std::isspace(static_cast<unsigned char>(c)))
      return fail("text outside the root element");
    ++i;
  }
  if (!open.empty())
    return fail("unclosed <" + open.back() + ">");
  if (!root_seen)
    return fail("no root element");
  r.ok = true;
  return r;
}

/// How many times `needle` occurs in `s`.
inline std::size_t count_of(std::string_view s, std::string_view needle) {
  std::size_t n = 0;
  for (auto p = s.find(needle); p != std::string_view::npos; p = s.find(needle, p + 1))
    ++n;
  return n;
}

} // namespace sim_test
