// configure: prepares an actor system for distributed groups (both sides).
#pragma once

#include <chrono>
#include <string>

#include <caf/actor_system_config.hpp>

#include "parallel/remote/registry.hpp"

namespace parallel::remote {

/// TLS, spoken by the BASP guard (guard_options.hpp). All three files set:
/// this side presents `certificate`/`key` and accepts only peers whose
/// certificate `ca_file` signed (a node refuses clients without one; a
/// client refuses a node without one). Nothing set: plain BASP over TCP.
struct tls_options {
  std::string certificate; ///< PEM certificate of this side
  std::string key;         ///< PEM private key of `certificate`
  std::string ca_file;     ///< PEM certificate(s) of the CA that signs peers
  std::string passphrase;  ///< for an encrypted `key`, if any

  /// True when any file is set (then all three must be).
  bool enabled() const noexcept {
    return !certificate.empty() || !key.empty() || !ca_file.empty();
  }
};

/// Transport settings; the defaults suit a LAN and loopback.
///
/// With CAF 0.17.6, a node's handshake (TLS included) must complete within
/// one heartbeat interval of connecting (see docs/distributed.md); keep the
/// interval well above the round trip to your farthest node.
struct network_options {
  /// TLS for every connection (see `tls_options`); off when empty.
  tls_options tls;
  /// BASP heartbeats: each side sends one this often, so that a peer that
  /// stops answering (SIGSTOP, a cable pulled, a black-holed route) can be
  /// told apart from an idle one.
  std::chrono::milliseconds heartbeat_interval{500};
  /// A connection that received nothing (not even a heartbeat) for this long
  /// is closed: its node counts as down (`errc::node_down`) on the client and
  /// its client's tasks are cancelled on the node. Keep it several
  /// heartbeats long on both sides.
  std::chrono::milliseconds connection_timeout{5000};
};

/// Loads CAF's middleman, stores the TLS files for the guard,
/// sets the heartbeat and connection timeout, and registers the types of
/// every task in `reg`. Call it on the config before creating the actor
/// system, on nodes and clients alike.
void configure(caf::actor_system_config& cfg, const registry& reg,
               const network_options& net = {});

/// Checks `tls`: the three files must be given together and be readable,
/// the certificate and the CA file must hold PEM certificates, and the key
/// must load (with `passphrase`, if any) and match the certificate, and
/// every certificate in the certificate and CA files must be within its
/// validity dates now (the error names the expired file). Call it
/// before `configure`: CAF loads the files only at the first connection and
/// cannot report a bad one. Returns a readable error otherwise.
error check_tls(const tls_options& tls);

} // namespace parallel::remote
