#include "parallel/detail/type_name.hpp"

#include <cstdlib>
#include <memory>

#include <caf/type_nr.hpp>
#include <cxxabi.h>

namespace parallel::detail {

namespace {

// Replaces every `from` in `s` with `to`.
void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (auto pos = s.find(from); pos != std::string::npos;
       pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

// CAF's short names of its built-in types ("@i32") in C++ spelling.
std::string builtin_name(const char* caf_name) {
  static const std::pair<const char*, const char*> names[] = {
    {"@i8", "int8_t"},     {"@i16", "int16_t"},   {"@i32", "int32_t"},
    {"@i64", "int64_t"},   {"@u8", "uint8_t"},    {"@u16", "uint16_t"},
    {"@u32", "uint32_t"},  {"@u64", "uint64_t"},  {"@str", "std::string"},
    {"@u16str", "std::u16string"}, {"@u32str", "std::u32string"},
    {"@atom", "caf::atom_value"},  {"@error", "caf::error"},
    {"@message", "caf::message"},  {"@actor", "caf::actor"},
    {"@addr", "caf::actor_addr"},  {"@node", "caf::node_id"},
    {"@strvec", "std::vector<std::string>"}, {"@charbuf", "std::vector<char>"},
    {"@unit", "caf::unit_t"},
  };
  for (auto& [from, to] : names)
    if (std::string{caf_name} == from)
      return to;
  return caf_name;
}

} // namespace

std::string demangle(const std::type_info& ti) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name{
    abi::__cxa_demangle(ti.name(), nullptr, nullptr, &status), std::free};
  std::string out = status == 0 && name ? name.get() : ti.name();
  replace_all(out,
              "std::__cxx11::basic_string<char, std::char_traits<char>, "
              "std::allocator<char> >",
              "std::string");
  return out;
}

std::string describe_types(const caf::message& msg) {
  std::string out = "(";
  for (size_t i = 0; i < msg.size(); ++i) {
    if (i > 0)
      out += ", ";
    auto [nr, ti] = msg.type(i);
    if (ti != nullptr)
      out += demangle(*ti);
    else if (nr > 0 && nr <= caf::type_nrs)
      out += builtin_name(caf::numbered_type_names[nr - 1]);
    else
      out += "?";
  }
  return out + ")";
}

} // namespace parallel::detail
