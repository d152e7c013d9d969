#include "known_sources.hpp"

namespace parallel::remote::detail {

void known_sources::completed(const std::string& source, clock::time_point now) {
  if (auto i = last_.find(source); i != last_.end())
    i->second = now;
  else if (last_.size() < max_sources)
    last_.emplace(source, now);
}

bool known_sources::contains(const std::string& source, clock::time_point now) const {
  auto i = last_.find(source);
  return i != last_.end() && now - i->second < memory;
}

void known_sources::forget_expired(clock::time_point now) {
  if (last_.empty() || now - last_sweep_ < std::chrono::minutes(1))
    return;
  last_sweep_ = now;
  std::erase_if(last_, [&](const auto& kv) { return now - kv.second >= memory; });
}

} // namespace parallel::remote::detail
