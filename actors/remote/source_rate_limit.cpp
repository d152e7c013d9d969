#include "source_rate_limit.hpp"

#include <algorithm>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace parallel::remote::detail {

std::string source_of(const sockaddr* sa) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, text,
              sizeof(text));
    return text;
  }
  if (sa->sa_family != AF_INET6)
    return text;
  auto addr = reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
  if (IN6_IS_ADDR_V4MAPPED(&addr)) {
    inet_ntop(AF_INET, &addr.s6_addr[12], text, sizeof(text));
    return text;
  }
  std::memset(&addr.s6_addr[8], 0, 8); // the /64 prefix
  inet_ntop(AF_INET6, &addr, text, sizeof(text));
  return std::string{text} + "/64";
}

source_rate_limit::source_rate_limit(std::size_t per_second)
  : per_second_(static_cast<double>(per_second)),
    burst_(2.0 * static_cast<double>(per_second)) {
}

bool source_rate_limit::admit(const std::string& source, clock::time_point now) {
  if (per_second_ == 0)
    return true;
  auto i = buckets_.find(source);
  if (i == buckets_.end()) {
    if (buckets_.size() >= max_sources)
      return true;
    buckets_.emplace(source, token_bucket{burst_ - 1, now});
    return true;
  }
  return i->second.take(per_second_, burst_, now);
}

void source_rate_limit::forget_refilled(clock::time_point now) {
  if (buckets_.empty() || now - last_sweep_ < std::chrono::seconds(1))
    return;
  last_sweep_ = now;
  std::erase_if(buckets_, [&](const auto& kv) {
    return kv.second.level(per_second_, burst_, now) >= burst_;
  });
}

} // namespace parallel::remote::detail
