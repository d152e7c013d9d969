// The OpenSSL contexts of the BASP guard.
#include "guard_tls.hpp"

#include <cstring>

#include <openssl/err.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

namespace parallel::remote::detail {

namespace {


/// Owns the context and the passphrase its callback reads.
struct context_box {
  SSL_CTX* ctx = nullptr;
  std::string passphrase;
  ~context_box() {
    SSL_CTX_free(ctx);
  }
};

} // namespace

// Hands OpenSSL the key's passphrase; never prompts on the terminal.
int passphrase_cb(char* buf, int size, int, void* userdata) {
  auto* pass = static_cast<const std::string*>(userdata);
  if (pass == nullptr || pass->empty() || static_cast<int>(pass->size()) > size)
    return 0;
  std::memcpy(buf, pass->data(), pass->size());
  return static_cast<int>(pass->size());
}

std::string tls_reason() {
  auto code = ERR_peek_error();
  ERR_clear_error();
  if (code == 0)
    return "unknown reason";
  if (auto* reason = ERR_reason_error_string(code))
    return reason;
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

tls_options tls_of(const caf::actor_system& sys) {
  tls_options out;
  auto& cfg = sys.config();
  out.certificate = cfg.openssl_certificate;
  out.key = cfg.openssl_key;
  out.ca_file = cfg.openssl_cafile;
  out.passphrase = cfg.openssl_passphrase;
  return out;
}

expected<tls_context> make_tls_context(const tls_options& tls, bool server) {
  auto box = std::make_shared<context_box>();
  box->passphrase = tls.passphrase;
  box->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (box->ctx == nullptr)
    return make_error("cannot create an OpenSSL context: " + tls_reason());
  auto* ctx = box->ctx;
  SSL_CTX_set_default_passwd_cb(ctx, passphrase_cb);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, &box->passphrase);
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.certificate.c_str()) != 1)
    return make_error("cannot load TLS certificate " + tls.certificate + ": "
                      + tls_reason());
  if (SSL_CTX_use_PrivateKey_file(ctx, tls.key.c_str(), SSL_FILETYPE_PEM) != 1
      || SSL_CTX_check_private_key(ctx) != 1)
    return make_error("cannot load TLS key " + tls.key + ": " + tls_reason());
  if (SSL_CTX_load_verify_locations(ctx, tls.ca_file.c_str(), nullptr) != 1)
    return make_error("cannot load TLS CA file " + tls.ca_file + ": "
                      + tls_reason());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     nullptr);
  // CAF's openssl module asks for the same (caf/openssl/session.cpp).
  if (SSL_CTX_set_cipher_list(ctx, "HIGH:!aNULL:!MD5") != 1)
    return make_error("cannot set the TLS cipher list: " + tls_reason());
  // The guard's output buffers grow and move between partial writes.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
                          | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return tls_context{box, ctx};
}

} // namespace parallel::remote::detail
