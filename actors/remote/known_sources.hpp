// known_sources: the sources that completed a handshake lately (private).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

namespace parallel::remote::detail {

/// The sources (`source_of`) whose connections completed a TLS and BASP
/// handshake within the last `memory`. Completing one costs a peer the same
/// key exchange it costs the node (and, with client certificates, needs a
/// certificate), so a source in here was a client rather than a flood of
/// replayed ClientHellos. The guard gives these a small rate of their own
/// before the new-source budget (`new_source_budget`), and at the handshake
/// cap evicts their connections last while they hold only a few places.
///
/// Holds at most `max_sources`: beyond that, a source that completes a
/// handshake is not remembered. Sources are forgotten `memory` after their
/// last completed handshake (swept at most once a minute).
class known_sources {
public:
  using clock = std::chrono::steady_clock;

  static constexpr std::size_t max_sources = 65536;
  static constexpr std::chrono::hours memory{1};

  /// `source` completed a handshake at `now`.
  void completed(const std::string& source, clock::time_point now);

  /// Whether `source` completed a handshake within `memory` of `now`.
  bool contains(const std::string& source, clock::time_point now) const;

  /// Forgets the sources whose last handshake is older than `memory`.
  void forget_expired(clock::time_point now);

  /// Sources in the table.
  std::size_t size() const noexcept {
    return last_.size();
  }

private:
  std::unordered_map<std::string, clock::time_point> last_; // -> last handshake
  clock::time_point last_sweep_{};
};

} // namespace parallel::remote::detail
