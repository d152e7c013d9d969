// Preparing an actor system for distributed groups.
#include "parallel/remote/config.hpp"

#include <fstream>

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/timestamp.hpp>

namespace parallel::remote {

void configure(caf::actor_system_config& cfg, const registry& reg,
               const network_options& net) {
  cfg.load<caf::io::middleman>();
  cfg.set("middleman.heartbeat-interval", caf::timespan{net.heartbeat_interval});
  cfg.set("middleman.connection-timeout", caf::timespan{net.connection_timeout});
  if (net.tls.enabled()) {
    cfg.load<caf::openssl::manager>();
    if (!net.tls.certificate.empty())
      cfg.set("openssl.certificate", net.tls.certificate);
    if (!net.tls.key.empty())
      cfg.set("openssl.key", net.tls.key);
    if (!net.tls.ca_file.empty())
      cfg.set("openssl.cafile", net.tls.ca_file);
    if (!net.tls.passphrase.empty())
      cfg.set("openssl.passphrase", net.tls.passphrase);
  }
  reg.register_types(cfg);
}

error check_tls(const tls_options& tls) {
  if (!tls.enabled())
    return {};
  if (tls.certificate.empty() || tls.key.empty() || tls.ca_file.empty())
    return make_error("TLS needs a certificate, its key and a CA file together");
  for (auto* path : {&tls.certificate, &tls.key, &tls.ca_file}) {
    std::ifstream in{*path};
    if (!in)
      return make_error("cannot read TLS file " + *path);
  }
  return {};
}

} // namespace parallel::remote
