// new_source_budget: a node-wide rate of connections from sources that have
// not proven themselves (private).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "known_sources.hpp"
#include "source_rate_limit.hpp"
#include "token_bucket.hpp"

namespace parallel::remote::detail {

/// The node-wide share of new connections for sources that are not
/// `known_sources`: on average `per_second` a second, in bursts of up to
/// twice that, over all such sources together. A known source first uses a
/// small rate of its own (`known_per_second` each, in bursts of twice
/// that), then the shared one like any other.
///
/// Why: the per-source rate (`source_rate_limit`) cannot stop a flood of
/// replayed ClientHellos from many addresses, and each costs the
/// multiplexer's thread a signature. The clients that were served before
/// keep getting in during such a flood, while new sources share what is
/// left. An attacker that makes its addresses known (a full handshake from
/// each, once an hour) gets `known_per_second` from each, not more.
class new_source_budget {
public:
  using clock = std::chrono::steady_clock;

  /// New connections a second each known source may open outside the
  /// shared rate: a client's connect takes two (a probe, then its link).
  static constexpr std::size_t known_per_second = 2;

  /// `per_second` 0: every connection is admitted.
  explicit new_source_budget(std::size_t per_second);

  /// Whether a new connection from `source` may go on, taking a token from
  /// its own bucket if it is known and that has one, else from the shared
  /// one.
  bool admit(const std::string& source, const known_sources& known,
             clock::time_point now);

  /// Forgets the known sources' buckets that have refilled.
  void forget_refilled(clock::time_point now) {
    known_rate_.forget_refilled(now);
  }

private:
  double per_second_;
  double burst_;
  token_bucket bucket_;
  source_rate_limit known_rate_{known_per_second};
};

} // namespace parallel::remote::detail
