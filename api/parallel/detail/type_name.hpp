// Readable type names for error messages.
#pragma once

#include <string>
#include <typeinfo>

#include <caf/message.hpp>

namespace parallel::detail {

/// The demangled name of `ti`.
std::string demangle(const std::type_info& ti);

/// The demangled name of `T`.
template <class T>
std::string type_name() {
  return demangle(typeid(T));
}

/// The element types of `msg`, e.g. "(int, std::string)".
std::string describe_types(const caf::message& msg);

} // namespace parallel::detail
