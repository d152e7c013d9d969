// source_rate_limit: how fast each source address may open connections to a
// node (private).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

#include <sys/socket.h>

#include "token_bucket.hpp"

namespace parallel::remote::detail {

/// The source a connection from `sa` counts against, for the rate below and
/// for the guard's handshake places: an IPv4 address ("203.0.113.7"), or an
/// IPv6 /64 ("2001:db8:1:2::/64"), since one host or site commonly holds a
/// whole /64; an IPv4-mapped IPv6 address counts as its IPv4 address.
std::string source_of(const sockaddr* sa);

/// A token bucket per source (`source_of`): on average `per_second` new
/// connections a second, in bursts of up to twice that. The node's guard asks
/// it before any TLS work, because one replayed ClientHello costs an attacker
/// nothing and the multiplexer's thread a signature.
///
/// The table forgets a source once its bucket is full again (checked once a
/// second), so it holds only sources that connected in the last 3 s at most.
/// It holds at most `max_sources`; beyond that, new sources are let in
/// unchecked (failing open keeps real clients in when an attacker has more
/// addresses than that, which this limit cannot stop anyway).
class source_rate_limit {
public:
  using clock = std::chrono::steady_clock;

  static constexpr std::size_t max_sources = 65536;

  /// `per_second` 0: every connection is admitted.
  explicit source_rate_limit(std::size_t per_second);

  /// Takes a token from `source`'s bucket; false if it is empty.
  bool admit(const std::string& source, clock::time_point now);

  /// Forgets the sources whose buckets have refilled (at most once a second).
  void forget_refilled(clock::time_point now);

  /// Sources in the table.
  std::size_t sources() const noexcept {
    return buckets_.size();
  }

private:
  double per_second_;
  double burst_;
  std::unordered_map<std::string, token_bucket> buckets_;
  clock::time_point last_sweep_{};
};

} // namespace parallel::remote::detail
