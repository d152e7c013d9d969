// new_source_budget: a node-wide rate of connections from sources that have
// not proven themselves (private).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

#include "token_bucket.hpp"

namespace parallel::remote::detail {

/// The node-wide share of new connections for sources (`source_of`) that
/// have not completed a handshake lately: on average `per_second` a second,
/// in bursts of up to twice that, over all such sources together. A source
/// that completed a TLS and BASP handshake within `memory` is known, and not
/// counted.
///
/// Why: the per-source rate (`source_rate_limit`) cannot stop a flood of
/// replayed ClientHellos from many addresses, and each costs the
/// multiplexer's thread a signature. Completing a handshake costs a peer as
/// much work as it costs the node (and, with client certificates, needs a
/// certificate), so the clients that were served before keep getting in
/// during such a flood, while new sources share what is left.
///
/// The table of known sources holds at most `max_sources`: beyond that, a
/// source that completes a handshake is not remembered (it still gets in
/// through the budget). Sources are forgotten `memory` after their last
/// completed handshake (swept at most once a minute).
class new_source_budget {
public:
  using clock = std::chrono::steady_clock;

  static constexpr std::size_t max_sources = 65536;
  static constexpr std::chrono::hours memory{1};

  /// `per_second` 0: every connection is admitted, and nothing is kept.
  explicit new_source_budget(std::size_t per_second);

  /// Whether a new connection from `source` may go on: always for a known
  /// source, else if the budget has a token left (which it takes).
  bool admit(const std::string& source, clock::time_point now);

  /// `source` completed a handshake: it is known until `now + memory`.
  void completed(const std::string& source, clock::time_point now);

  /// Forgets the sources whose last handshake is older than `memory`.
  void forget_expired(clock::time_point now);

  /// Known sources in the table.
  std::size_t known() const noexcept {
    return known_.size();
  }

private:
  bool is_known(const std::string& source, clock::time_point now) const;

  double per_second_;
  double burst_;
  token_bucket bucket_;
  std::unordered_map<std::string, clock::time_point> known_; // -> last handshake
  clock::time_point last_sweep_{};
};

} // namespace parallel::remote::detail
