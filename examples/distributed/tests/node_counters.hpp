// Waiting in tests until a node's counters (cluster::stats) reach a state.
#pragma once

#include <cstddef>
#include <cstdint>

#include "eventually.hpp"
#include "parallel/parallel.hpp"

namespace test {

/// Waits until node `i` of `nodes` reports counters for which `pred` holds;
/// false if they do not within `eventually`'s limit.
template <class Pred>
bool counters_reach(const parallel::remote::cluster& nodes, std::size_t i, Pred pred) {
  return eventually([&] {
    auto st = nodes.stats(i);
    return st && pred(*st);
  });
}

/// Waits until node `i` runs exactly `n` tasks.
inline bool running_reaches(const parallel::remote::cluster& nodes, std::size_t i,
                            uint64_t n) {
  return counters_reach(nodes, i, [n](auto& st) { return st.running == n; });
}

/// Waits until node `i` runs no task and has counted `n` cancelled ones.
inline bool cancelled_reaches(const parallel::remote::cluster& nodes, std::size_t i,
                              uint64_t n) {
  return counters_reach(nodes, i, [n](auto& st) {
    return st.running == 0 && st.cancelled == n;
  });
}

} // namespace test
