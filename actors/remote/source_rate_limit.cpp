#include "source_rate_limit.hpp"

#include <algorithm>

namespace parallel::remote::detail {

source_rate_limit::source_rate_limit(std::size_t per_second)
  : per_second_(static_cast<double>(per_second)),
    burst_(2.0 * static_cast<double>(per_second)) {
}

double source_rate_limit::refill(const bucket& b, clock::time_point now) const {
  std::chrono::duration<double> since = now - b.at;
  return std::min(burst_, b.tokens + since.count() * per_second_);
}

bool source_rate_limit::admit(const std::string& source, clock::time_point now) {
  if (per_second_ == 0)
    return true;
  auto i = buckets_.find(source);
  if (i == buckets_.end()) {
    if (buckets_.size() >= max_sources)
      return true;
    buckets_.emplace(source, bucket{burst_ - 1, now});
    return true;
  }
  auto& b = i->second;
  b.tokens = refill(b, now);
  b.at = now;
  if (b.tokens < 1)
    return false;
  b.tokens -= 1;
  return true;
}

void source_rate_limit::forget_refilled(clock::time_point now) {
  if (buckets_.empty() || now - last_sweep_ < std::chrono::seconds(1))
    return;
  last_sweep_ = now;
  std::erase_if(buckets_, [&](const auto& kv) { return refill(kv.second, now) >= burst_; });
}

} // namespace parallel::remote::detail
