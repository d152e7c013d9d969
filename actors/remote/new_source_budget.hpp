// new_source_budget: a node-wide rate of connections from sources that have
// not proven themselves (private).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "known_sources.hpp"
#include "token_bucket.hpp"

namespace parallel::remote::detail {

/// The node-wide share of new connections for sources that are not
/// `known_sources`: on average `per_second` a second, in bursts of up to
/// twice that, over all such sources together. Known sources are not
/// counted.
///
/// Why: the per-source rate (`source_rate_limit`) cannot stop a flood of
/// replayed ClientHellos from many addresses, and each costs the
/// multiplexer's thread a signature. The clients that were served before
/// keep getting in during such a flood, while new sources share what is
/// left.
class new_source_budget {
public:
  using clock = std::chrono::steady_clock;

  /// `per_second` 0: every connection is admitted.
  explicit new_source_budget(std::size_t per_second);

  /// Whether a new connection from `source` may go on: always for a known
  /// source, else if the budget has a token left (which it takes).
  bool admit(const std::string& source, const known_sources& known,
             clock::time_point now);

private:
  double per_second_;
  double burst_;
  token_bucket bucket_;
};

} // namespace parallel::remote::detail
