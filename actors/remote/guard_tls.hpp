// guard_tls: the OpenSSL contexts of the BASP guard (private).
#pragma once

#include <memory>
#include <string>

#include <openssl/ssl.h>

#include <caf/fwd.hpp>

#include "parallel/error.hpp"
#include "parallel/remote/config.hpp"

namespace parallel::remote::detail {

/// An OpenSSL context, freed with the last copy.
using tls_context = std::shared_ptr<SSL_CTX>;

/// The TLS files an actor system was configured with (`configure`), read
/// back from CAF's `openssl.*` settings (which exist whether or not CAF's
/// openssl module is loaded); empty without TLS.
tls_options tls_of(const caf::actor_system& sys);

/// A context presenting `tls.certificate` and accepting only peers whose
/// certificate `tls.ca_file` signed, as CAF's openssl module does: for the
/// node's side (`server`) or a client's.
expected<tls_context> make_tls_context(const tls_options& tls, bool server);

/// Hands OpenSSL the key's passphrase (`userdata`: a `const std::string*`);
/// never prompts on the terminal, as the default callback would for an
/// encrypted key without one.
int passphrase_cb(char* buf, int size, int, void* userdata);

/// The reason of OpenSSL's first queued error (the root cause: later ones
/// only say where it surfaced, e.g. "PEM lib"); empties the queue.
std::string tls_reason();

} // namespace parallel::remote::detail
