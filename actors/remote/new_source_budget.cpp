#include "new_source_budget.hpp"

namespace parallel::remote::detail {

new_source_budget::new_source_budget(std::size_t per_second)
  : per_second_(static_cast<double>(per_second)),
    burst_(2.0 * static_cast<double>(per_second)),
    bucket_{burst_, clock::time_point{}} {
}

bool new_source_budget::is_known(const std::string& source, clock::time_point now) const {
  auto i = known_.find(source);
  return i != known_.end() && now - i->second < memory;
}

bool new_source_budget::admit(const std::string& source, clock::time_point now) {
  if (per_second_ == 0 || is_known(source, now))
    return true;
  return bucket_.take(per_second_, burst_, now);
}

void new_source_budget::completed(const std::string& source, clock::time_point now) {
  if (per_second_ == 0)
    return;
  if (auto i = known_.find(source); i != known_.end())
    i->second = now;
  else if (known_.size() < max_sources)
    known_.emplace(source, now);
}

void new_source_budget::forget_expired(clock::time_point now) {
  if (known_.empty() || now - last_sweep_ < std::chrono::minutes(1))
    return;
  last_sweep_ = now;
  std::erase_if(known_, [&](const auto& kv) { return now - kv.second >= memory; });
}

} // namespace parallel::remote::detail
