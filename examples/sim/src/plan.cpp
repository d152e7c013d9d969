#include "plan.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string_view>

namespace sim {

namespace {

// SplitMix64: spreads a seed and a stream number over 64 bits.
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// FNV-1a: a stable hash of a service name (std::hash may differ between
// standard libraries and runs).
std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001B3ull;
  }
  return h;
}

constexpr double max_draw_ms = 60'000;

} // namespace

random_stream::random_stream(std::uint64_t seed) : gen_(seed) {
}

double random_stream::uniform() {
  return static_cast<double>(gen_() >> 11) * 0x1.0p-53;
}

double random_stream::standard_normal() {
  double u1 = 1.0 - uniform(); // (0, 1]
  double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double random_stream::draw(const latency_dist& d) {
  double x = 0;
  switch (d.k) {
    case latency_dist::kind::fixed:
      x = d.a;
      break;
    case latency_dist::kind::uniform:
      x = d.a + (d.b - d.a) * uniform();
      break;
    case latency_dist::kind::normal:
      x = d.a + d.b * standard_normal();
      break;
    case latency_dist::kind::log_normal: {
      // mean_ms and stddev_ms describe the latency itself, not its logarithm:
      // s2 = log(1 + cv^2), cv = stddev/mean. For a huge cv (a tiny mean),
      // cv^2 overflows: 2 log(cv) is the same number to double precision.
      double cv = d.b / d.a;
      double s2 = cv < 1e150 ? std::log1p(cv * cv) : 2 * std::log(cv);
      double mu = std::log(d.a) - s2 / 2;
      x = std::exp(mu + std::sqrt(s2) * standard_normal());
      break;
    }
  }
  if (std::isnan(x))
    return 0; // not reachable from a parsed scenario; never a NaN delay
  return std::clamp(x, 0.0, max_draw_ms);
}

plan draw_plan(const scenario& sc, std::uint64_t seed) {
  std::vector<random_stream> streams;
  streams.reserve(sc.services.size());
  // Seeded by the name, not the position: adding or reordering services
  // leaves the others' draws alone.
  for (auto& s : sc.services)
    streams.emplace_back(splitmix64(seed ^ splitmix64(fnv1a(s.name))));
  plan p;
  p.per_item = sc.workload.fetch.size();
  p.calls.reserve(sc.workload.calls());
  double sum = 0;
  for (std::size_t item = 0; item < sc.workload.items; ++item) {
    for (auto svc : sc.workload.fetch) {
      auto& rs = streams[svc];
      call_plan c;
      c.item = item;
      c.service = svc;
      c.latency_ms = rs.draw(sc.services[svc].latency);
      c.u_fail = rs.uniform();
      c.u_throw = rs.uniform();
      sum += c.latency_ms;
      p.max_latency_ms = std::max(p.max_latency_ms, c.latency_ms);
      p.calls.push_back(c);
    }
  }
  p.mean_latency_ms = p.calls.empty() ? 0 : sum / static_cast<double>(p.calls.size());
  return p;
}

planned outcome_of(const call_plan& c, const scenario& sc, const config_spec& cfg) {
  auto& svc = sc.services[c.service];
  double throw_rate = cfg.exception_rate.value_or(svc.exception_rate);
  double fail_rate = cfg.failure_rate.value_or(svc.failure_rate);
  if (c.u_throw < throw_rate)
    return planned::throw_;
  if (c.u_fail < fail_rate)
    return planned::fail;
  return planned::ok;
}

} // namespace sim
