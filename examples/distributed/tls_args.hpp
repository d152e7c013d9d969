// tls_args: the --tls-cert, --tls-key and --tls-ca options that every example
// program of this folder takes.
#pragma once

#include <string>

#include "parallel/remote/config.hpp"

namespace examples {

/// If `opt` is one of the TLS options, stores `val` in `tls` and returns
/// true; otherwise leaves `tls` alone and returns false. `check_tls` then
/// checks the three files together.
inline bool take_tls_option(const std::string& opt, const std::string& val,
                            parallel::remote::tls_options& tls) {
  if (opt == "--tls-cert")
    tls.certificate = val;
  else if (opt == "--tls-key")
    tls.key = val;
  else if (opt == "--tls-ca")
    tls.ca_file = val;
  else
    return false;
  return true;
}

} // namespace examples
