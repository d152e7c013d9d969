// Small helpers every figure file uses: rotation, ratios, medians, checks.
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness.hpp"

namespace bench {

/// Runs `steps` starting at `rep % steps.size()`, wrapping around, so that no
/// variant always runs first (or last).
inline void rotate_run(int rep, std::vector<std::function<void()>> steps) {
  auto n = steps.size();
  for (std::size_t k = 0; k < n; ++k)
    steps[(static_cast<std::size_t>(rep) + k) % n]();
}

/// "1.234x" (or "12.3x" from 10 on).
inline std::string ratio_text(double x) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(x < 10 ? 3 : 1);
  os << x << 'x';
  return os.str();
}

/// The median of a peer's samples, NaN if the peer did not run.
inline double med(const figure& f, const char* peer) {
  auto i = f.peers.find(peer);
  return i == f.peers.end() ? std::nan("") : median(i->second);
}

/// The median of a side figure's samples, NaN if there are none.
inline double med_extra(const figure& f, const char* key) {
  auto i = f.extra.find(key);
  return i == f.extra.end() ? std::nan("") : median(i->second);
}

/// Throws std::runtime_error(`what`) unless `ok`.
inline void require(bool ok, const std::string& what) {
  if (!ok)
    throw std::runtime_error(what);
}

} // namespace bench
