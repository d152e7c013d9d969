// Preparing an actor system for distributed groups.
#include "parallel/remote/config.hpp"

#include <cstring>
#include <fstream>
#include <memory>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/ssl.h>

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/timestamp.hpp>

#include "guard_tls.hpp"

namespace parallel::remote {

namespace {


using ssl_ctx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

/// An OpenSSL context that takes the key's passphrase from `tls`.
ssl_ctx make_ssl_ctx(const tls_options& tls) {
  ssl_ctx ctx{SSL_CTX_new(TLS_method()), SSL_CTX_free};
  if (ctx) {
    SSL_CTX_set_default_passwd_cb(ctx.get(), detail::passphrase_cb);
    SSL_CTX_set_default_passwd_cb_userdata(ctx.get(),
                                           const_cast<std::string*>(&tls.passphrase));
  }
  return ctx;
}

/// Why the certificates in the PEM file `path` are not valid now ("has
/// expired on ...", "is not valid before ..."), naming the file and the
/// certificate's subject; "" if every one of them is.
std::string validity_problem(const std::string& path, const std::string& what) {
  std::unique_ptr<BIO, decltype(&BIO_free)> in{BIO_new_file(path.c_str(), "r"),
                                               BIO_free};
  if (!in)
    return {};
  auto when = [](const ASN1_TIME* t) {
    std::unique_ptr<BIO, decltype(&BIO_free)> out{BIO_new(BIO_s_mem()), BIO_free};
    ASN1_TIME_print(out.get(), t);
    char* data = nullptr;
    auto n = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
  };
  std::string problem;
  while (problem.empty()) {
    std::unique_ptr<X509, decltype(&X509_free)> cert{
      PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr), X509_free};
    if (!cert)
      break;
    char subject[256] = {};
    X509_NAME_oneline(X509_get_subject_name(cert.get()), subject, sizeof(subject));
    if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) <= 0)
      problem = what + " " + path + " has expired (certificate " + subject
                + " was valid until " + when(X509_get0_notAfter(cert.get())) + ")";
    else if (X509_cmp_current_time(X509_get0_notBefore(cert.get())) >= 0)
      problem = what + " " + path + " is not valid yet (certificate " + subject
                + " is valid from " + when(X509_get0_notBefore(cert.get())) + ")";
  }
  ERR_clear_error(); // the end of the file reads as an error
  return problem;
}

} // namespace

void configure(caf::actor_system_config& cfg, const registry& reg,
               const network_options& net) {
  cfg.load<caf::io::middleman>();
  cfg.set("middleman.heartbeat-interval", caf::timespan{net.heartbeat_interval});
  cfg.set("middleman.connection-timeout", caf::timespan{net.connection_timeout});
  if (net.tls.enabled()) {
    // The BASP guard speaks TLS (docs/distributed.md, section 12) and reads
    // the files from these settings; CAF's openssl module is not loaded: its
    // broker would go unused (and is reported leaked at exit).
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
  // Load them as CAF's openssl module will, but now: CAF only loads them when
  // the first connection comes, and then throws from its multiplexer thread
  // (the node aborts; a client sees a misleading handshake timeout).
  auto ctx = make_ssl_ctx(tls);
  if (!ctx)
    return make_error("cannot create an OpenSSL context: " + detail::tls_reason());
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.certificate.c_str()) != 1)
    return make_error("TLS certificate " + tls.certificate
                      + " is not a usable PEM certificate: " + detail::tls_reason());
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key.c_str(), SSL_FILETYPE_PEM) != 1
      || SSL_CTX_check_private_key(ctx.get()) != 1) {
    ERR_clear_error();
    // Tell a key that does not load from one that loads but does not match.
    auto alone = make_ssl_ctx(tls);
    if (!alone || SSL_CTX_use_PrivateKey_file(alone.get(), tls.key.c_str(), SSL_FILETYPE_PEM) != 1)
      return make_error("TLS key " + tls.key + " is not a usable PEM private key"
                        + (tls.passphrase.empty() ? " (or it needs a passphrase)" : "")
                        + ": " + detail::tls_reason());
    ERR_clear_error();
    return make_error("TLS key " + tls.key + " does not match the certificate "
                      + tls.certificate);
  }
  if (SSL_CTX_load_verify_locations(ctx.get(), tls.ca_file.c_str(), nullptr) != 1)
    return make_error("TLS CA file " + tls.ca_file
                      + " holds no usable PEM certificate: " + detail::tls_reason());
  // Peers refuse a certificate outside its validity dates, with nothing
  // better than "TLS handshake failed": say so now, naming the file.
  if (auto why = validity_problem(tls.certificate, "TLS certificate"); !why.empty())
    return make_error(why);
  if (auto why = validity_problem(tls.ca_file, "TLS CA file"); !why.empty())
    return make_error(why);
  return {};
}

} // namespace parallel::remote
