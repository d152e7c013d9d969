// token_bucket: tokens that come back at a steady rate (private).
#pragma once

#include <algorithm>
#include <chrono>

namespace parallel::remote::detail {

/// A token bucket: tokens come back at `rate` a second, up to `burst`; each
/// admission takes one. The rate and burst are the owner's, passed in, so
/// that a table of buckets stores only these two fields each.
struct token_bucket {
  using clock = std::chrono::steady_clock;

  double tokens;
  clock::time_point at; // when `tokens` was last brought up to date

  /// The tokens at `now`.
  double level(double rate, double burst, clock::time_point now) const {
    std::chrono::duration<double> since = now - at;
    return std::min(burst, tokens + since.count() * rate);
  }

  /// Takes a token at `now`; false if there is none.
  bool take(double rate, double burst, clock::time_point now) {
    tokens = level(rate, burst, now);
    at = now;
    if (tokens < 1)
      return false;
    tokens -= 1;
    return true;
  }
};

} // namespace parallel::remote::detail
