#include "estimate.hpp"

#include <algorithm>
#include <functional>
#include <queue>
#include <vector>

namespace sim {

namespace {

// What a call costs besides its latency, measured with parallel-sim on the
// project's 2-core machine (services answering at once, 20,000 calls):
// - each call holds its in-flight slot this much longer than its latency
//   (the request's trips through the requester, the service, the timer):
//   a serial run of such calls took 0.125 ms a call (0.15 under load);
// - and takes this much CPU, on one of the machine's cores: unlimited took
//   5 us a call of wall time on 2 cores;
// - a nested item's child group holds the item's outer slot this much
//   longer: limited(4) > limited(1) took 0.215 ms an item, 0.065 ms more
//   than its one call.
constexpr double slot_ms_per_call = 0.15;
constexpr double cpu_ms_per_call = 0.01;
constexpr double cores = 2;
constexpr double group_ms_per_item = 0.065;

using min_heap = std::priority_queue<double, std::vector<double>, std::greater<>>;

// Calls [first, last) of `p`, at most `width` in flight, through services of
// `capacity` (0: no limit) starting at `t0`; returns when the last answers.
// Arrivals are in submission order and never earlier than the previous one
// (each takes the earliest free slot), so a heap of server free times per
// service is an exact first-come-first-served queue.
double replay(const scenario& sc, const plan& p, std::size_t first, std::size_t last,
              std::size_t width, bool use_capacity) {
  min_heap slots;
  for (std::size_t i = 0; i < std::min(width, last - first); ++i)
    slots.push(0);
  std::vector<min_heap> servers(sc.services.size());
  if (use_capacity)
    for (std::size_t s = 0; s < sc.services.size(); ++s)
      for (std::size_t k = 0; k < std::min(sc.services[s].capacity, last - first); ++k)
        servers[s].push(0);
  double end = 0;
  for (std::size_t i = first; i < last; ++i) {
    double start = slots.top();
    slots.pop();
    auto& c = p.calls[i];
    double begin = start;
    auto& srv = servers[c.service];
    if (use_capacity && sc.services[c.service].capacity > 0) {
      begin = std::max(start, srv.top());
      srv.pop();
    }
    double done = begin + c.latency_ms;
    if (use_capacity && sc.services[c.service].capacity > 0)
      srv.push(done);
    slots.push(done + slot_ms_per_call);
    end = std::max(end, done + slot_ms_per_call);
  }
  return end;
}

std::size_t width_of(const config_spec& cfg, std::size_t n) {
  switch (cfg.executor) {
    case executor_kind::serial:
      return 1;
    case executor_kind::limited:
      return std::max<std::size_t>(1, std::min(cfg.bound, n));
    case executor_kind::unlimited:
      break;
  }
  return std::max<std::size_t>(1, n);
}

} // namespace

double estimate_config_ms(const scenario& sc, const plan& p, const config_spec& cfg) {
  auto items = sc.workload.items;
  if (cfg.executor == executor_kind::serial && sc.workload.serial_sample > 0)
    items = std::min(items, sc.workload.serial_sample);
  auto k = p.per_item;
  auto calls = std::min(p.calls.size(), items * k);
  // However wide the run, the machine's cores must do every call's work.
  double cpu_floor = cpu_ms_per_call * static_cast<double>(calls) / cores;
  if (!cfg.nested)
    return std::max(replay(sc, p, 0, calls, width_of(cfg, calls), true), cpu_floor);
  // Nested: each item is a job as long as its own calls under the inner
  // bound; the items run `width` at a time.
  auto inner = cfg.inner_bound == 0 ? std::size_t{1} : std::min(cfg.inner_bound, k);
  min_heap slots;
  auto width = width_of(cfg, items);
  for (std::size_t i = 0; i < width; ++i)
    slots.push(0);
  double end = 0;
  for (std::size_t item = 0; item < items; ++item) {
    double start = slots.top();
    slots.pop();
    double done = start + replay(sc, p, item * k, item * k + k, inner, false)
                  + group_ms_per_item;
    slots.push(done);
    end = std::max(end, done);
  }
  // A service of capacity c cannot serve its calls faster than their
  // latencies summed over c.
  std::vector<double> busy(sc.services.size(), 0);
  for (std::size_t i = 0; i < calls; ++i)
    busy[p.calls[i].service] += p.calls[i].latency_ms;
  for (std::size_t s = 0; s < sc.services.size(); ++s)
    if (sc.services[s].capacity > 0)
      end = std::max(end, busy[s] / static_cast<double>(sc.services[s].capacity));
  return std::max(end, cpu_floor);
}

double estimate_scenario_ms(const scenario& sc, const plan& p) {
  double sum = 0;
  for (auto& c : sc.configs)
    sum += estimate_config_ms(sc, p, c);
  return sum;
}

} // namespace sim
