#include "parallel/detail/type_name.hpp"

#include <cstdlib>
#include <memory>

#include <caf/type_nr.hpp>
#include <cxxabi.h>

namespace parallel::detail {

std::string demangle(const std::type_info& ti) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name{
    abi::__cxa_demangle(ti.name(), nullptr, nullptr, &status), std::free};
  return status == 0 && name ? std::string{name.get()} : std::string{ti.name()};
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
      out += caf::numbered_type_names[nr - 1];
    else
      out += "?";
  }
  return out + ")";
}

} // namespace parallel::detail
