# FindCAF: locates Debian's libcaf-dev (CAF 0.17), which ships no CMake config.
#
#   find_package(CAF 0.17 [REQUIRED] [COMPONENTS core io openssl])
#
# Components: `core` (libcaf_core), `io` (libcaf_io, the middleman) and
# `openssl` (libcaf_openssl, which needs io). Only the libraries of the
# requested components are looked for, so a program that needs CAF core only
# never depends on io or openssl being installed. Without COMPONENTS, core and
# io are required and openssl is looked for too (optional).
#
# Provides CAF_FOUND, CAF_<component>_FOUND, CAF_VERSION ("0.17.6"),
# CAF_INCLUDE_DIR and the imported targets CAF::core, CAF::io and CAF::openssl
# (each only when found). Imported include directories count as system
# headers, which keeps CAF's own C++20 deprecation warnings out of our builds.

set(_caf_wanted ${CAF_FIND_COMPONENTS})
set(_caf_required_vars CAF_CORE_LIBRARY CAF_INCLUDE_DIR)
if(NOT _caf_wanted)
  set(_caf_wanted core io openssl)
  list(APPEND _caf_required_vars CAF_IO_LIBRARY)
endif()
foreach(_caf_c IN LISTS _caf_wanted)
  if(NOT _caf_c MATCHES "^(core|io|openssl)$")
    set(CAF_FOUND FALSE)
    set(CAF_NOT_FOUND_MESSAGE "unknown CAF component '${_caf_c}' (core, io, openssl)")
    if(CAF_FIND_REQUIRED)
      message(FATAL_ERROR "${CAF_NOT_FOUND_MESSAGE}")
    endif()
    return()
  endif()
endforeach()
# openssl is a module of the middleman.
if("openssl" IN_LIST _caf_wanted AND NOT "io" IN_LIST _caf_wanted)
  list(APPEND _caf_wanted io)
endif()

find_path(CAF_INCLUDE_DIR caf/config.hpp)
find_library(CAF_CORE_LIBRARY NAMES caf_core)
if("io" IN_LIST _caf_wanted)
  find_library(CAF_IO_LIBRARY NAMES caf_io)
endif()
if("openssl" IN_LIST _caf_wanted)
  find_library(CAF_OPENSSL_LIBRARY NAMES caf_openssl)
endif()

set(CAF_core_FOUND FALSE)
set(CAF_io_FOUND FALSE)
set(CAF_openssl_FOUND FALSE)
if(CAF_CORE_LIBRARY AND CAF_INCLUDE_DIR)
  set(CAF_core_FOUND TRUE)
  if(CAF_IO_LIBRARY)
    set(CAF_io_FOUND TRUE)
    if(CAF_OPENSSL_LIBRARY)
      set(CAF_openssl_FOUND TRUE)
    endif()
  endif()
endif()

if(CAF_INCLUDE_DIR AND EXISTS "${CAF_INCLUDE_DIR}/caf/config.hpp")
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_version_line
       REGEX "^#define CAF_VERSION [0-9]+")
  string(REGEX REPLACE "^#define CAF_VERSION ([0-9]+).*" "\\1" _caf_v "${_caf_version_line}")
  if(_caf_v)
    math(EXPR _caf_major "${_caf_v} / 10000")
    math(EXPR _caf_minor "(${_caf_v} / 100) % 100")
    math(EXPR _caf_patch "${_caf_v} % 100")
    set(CAF_VERSION "${_caf_major}.${_caf_minor}.${_caf_patch}")
  endif()
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF
  REQUIRED_VARS ${_caf_required_vars}
  VERSION_VAR CAF_VERSION
  HANDLE_COMPONENTS
  REASON_FAILURE_MESSAGE "Debian's libcaf-dev ships libcaf_core, libcaf_io and libcaf_openssl")

if(CAF_core_FOUND AND CAF_FOUND)
  find_package(Threads REQUIRED)
  if(NOT TARGET CAF::core)
    add_library(CAF::core UNKNOWN IMPORTED)
    set_target_properties(CAF::core PROPERTIES
      IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES Threads::Threads)
  endif()
  if(CAF_io_FOUND AND NOT TARGET CAF::io)
    add_library(CAF::io UNKNOWN IMPORTED)
    set_target_properties(CAF::io PROPERTIES
      IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
      INTERFACE_LINK_LIBRARIES CAF::core)
  endif()
  if(CAF_openssl_FOUND AND NOT TARGET CAF::openssl)
    add_library(CAF::openssl UNKNOWN IMPORTED)
    set_target_properties(CAF::openssl PROPERTIES
      IMPORTED_LOCATION "${CAF_OPENSSL_LIBRARY}"
      INTERFACE_LINK_LIBRARIES CAF::io)
  endif()
endif()

mark_as_advanced(CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY CAF_OPENSSL_LIBRARY)
unset(_caf_wanted)
unset(_caf_required_vars)
