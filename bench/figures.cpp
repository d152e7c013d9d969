// The figures of one big group (request_fanout.cpp has the groups per
// request). Within one repetition, this library and its peers run back to
// back on the same actor system; the order rotates from one repetition to the
// next so that no variant always runs first (or last).
#include "figures.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <latch>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include <parallel/parallel.hpp>

#include "figure_helpers.hpp"
#include "peers.hpp"
#include "service.hpp"

namespace bench {

namespace {

using parallel::context;

// -- trivial_collect ----------------------------------------------------------

const char* const tc_limited = "trivial_collect/limited(2)";
const char* const tc_unlimited = "trivial_collect/unlimited";

template <class MakeExecutor>
double ours_trivial_collect(std::size_t n, MakeExecutor make_executor,
                            std::vector<double>* peak = nullptr) {
  auto t0 = clock::now();
  auto g = parallel::collect<int32_t>(make_executor());
  for (uint64_t i = 0; i < n; ++i)
    g.go([i](const context&) { return trivial(i); });
  auto r = g.wait();
  auto secs = seconds_since(t0);
  if (peak)
    peak->push_back(static_cast<double>(g.stats().peak_in_flight));
  require(static_cast<bool>(r), "trivial_collect: wait() failed");
  require(r->size() == n, "trivial_collect: wrong number of values");
  for (uint64_t i = 0; i < n; ++i)
    require((*r)[i] == trivial(i), "trivial_collect: values out of order");
  return secs;
}

void run_trivial_collect(bench_env& env, int rep) {
  auto& sys = env.sys;
  auto n = env.p.trivial_tasks;
  auto ns = [n](double secs) { return secs * 1e9 / static_cast<double>(n); };
  auto& lim = env.res.at(tc_limited, "ns/task");
  auto& unl = env.res.at(tc_unlimited, "ns/task");
  std::vector<std::function<void()>> steps{
    [&] {
      lim.ours.push_back(ns(ours_trivial_collect(n, [&] {
        return parallel::limited(sys, context::background(), 2);
      })));
    },
    [&] {
      unl.ours.push_back(ns(ours_trivial_collect(
        n, [&] { return parallel::unlimited(sys); }, &unl.extra["peak"])));
    },
    [&] {
      auto x = ns(caf_trivial_collect(sys, n, 2));
      lim.peers["caf"].push_back(x);
      unl.peers["caf"].push_back(x);
    },
  };
  if (have_tbb())
    steps.push_back([&] {
      auto x = ns(tbb_trivial_collect(n));
      lim.peers["tbb"].push_back(x);
      unl.peers["tbb"].push_back(x);
    });
  rotate_run(rep, std::move(steps));
}

void finish_trivial_collect(bench_env& env) {
  auto& lim = env.res.at(tc_limited, "ns/task");
  auto ours = median(lim.ours);
  auto tbb = med(lim, "tbb");
  auto caf = med(lim, "caf");
  // Issue 9's "nothing regresses" bound (the first bench said 1.5x).
  std::string text = "<= 1.2x tbb, < caf";
  bool met = ours < caf && (std::isnan(tbb) || ours <= 1.2 * tbb);
  lim.goal = target{text, met};
  std::ostringstream os;
  os << ratio_text(ours / tbb) << " tbb, " << ratio_text(ours / caf) << " caf ("
     << env.p.trivial_tasks << " tasks; caf = actor_pool of 2 event-based actors "
     << "+ collecting actor)";
  lim.note = os.str();
  auto& unl = env.res.at(tc_unlimited, "ns/task");
  auto u = median(unl.ours);
  unl.note = ratio_text(u / med(unl, "tbb")) + " tbb, " + ratio_text(u / med(unl, "caf"))
             + " caf (same peer runs as limited(2); peak in flight "
             + std::to_string(static_cast<long>(med_extra(unl, "peak"))) + ")";
}

// -- latency_fanout -----------------------------------------------------------

const char* const lf_blocking = "latency_fanout/blocking";
const char* const lf_request = "latency_fanout/go_request";

void run_latency_fanout(bench_env& env, int rep) {
  auto& sys = env.sys;
  auto& p = env.p;
  auto service = env.service;
  auto& blk = env.res.at(lf_blocking, "ms");
  auto& req = env.res.at(lf_request, "ms");
  blk.ideal = req.ideal = p.latency_ideal_ms();
  auto check = [&](const parallel::group_stats& st, const char* what) {
    require(st.succeeded == p.latency_tasks,
            std::string{what} + ": " + std::to_string(st.succeeded) + " of "
              + std::to_string(p.latency_tasks) + " tasks succeeded");
    require(st.peak_in_flight <= p.latency_bound,
            std::string{what} + ": the bound was exceeded");
  };
  rotate_run(rep, {
    [&] {
      auto t0 = clock::now();
      auto ex = parallel::limited(sys, context::background(), p.latency_bound);
      for (std::size_t i = 0; i < p.latency_tasks; ++i)
        ex.go([lat = p.latency](const context& ctx) { ctx.sleep_for(lat); });
      ex.wait();
      blk.ours.push_back(seconds_since(t0) * 1e3);
      auto st = ex.stats();
      check(st, "latency_fanout/blocking");
      blk.extra["peak"].push_back(static_cast<double>(st.peak_in_flight));
    },
    [&] {
      auto t0 = clock::now();
      auto ex = parallel::limited(sys, context::background(), p.latency_bound);
      for (uint64_t i = 0; i < p.latency_tasks; ++i)
        ex.go_request(service, caf::infinite, ping_atom::value, i);
      ex.wait();
      req.ours.push_back(seconds_since(t0) * 1e3);
      auto st = ex.stats();
      check(st, "latency_fanout/go_request");
      req.extra["peak"].push_back(static_cast<double>(st.peak_in_flight));
    },
    [&] {
      blk.peers["caf"].push_back(
        caf_latency_blocking(sys, p.latency_tasks, p.latency_bound, p.latency) * 1e3);
    },
    [&] {
      req.peers["caf"].push_back(
        caf_latency_requests(sys, service, p.latency_tasks, p.latency_bound) * 1e3);
    },
  });
}

void finish_latency_fanout(bench_env& env) {
  auto& p = env.p;
  for (auto name : {lf_blocking, lf_request}) {
    auto& f = env.res.at(name, "ms");
    auto ratio = median(f.ours) / *f.ideal;
    f.goal = target{"<= 1.03x ideal", ratio <= 1.03};
    std::ostringstream os;
    os << ratio_text(ratio) << " ideal, caf " << ratio_text(med(f, "caf") / *f.ideal)
       << " ideal (" << p.latency_tasks << " x " << p.latency.count()
       << " ms, bound " << p.latency_bound << ", peak in flight "
       << med_extra(f, "peak") << "; caf = "
       << (name == lf_blocking ? "actor_pool of 100 detached actors"
                               : "one actor keeping 100 requests in flight")
       << ")";
    f.note = os.str();
  }
}

// -- concurrent_requests --------------------------------------------------------

const char* const cr_name = "concurrent_requests";

// CAF 0.17 keeps an actor's pending responses in a flat vector (linear find,
// erase shifts the rest), so a CAF expert spreads many requests over actors.
constexpr std::size_t sharded_per_actor = 256;

void run_concurrent_requests(bench_env& env, int rep) {
  auto& sys = env.sys;
  auto n = env.p.requests;
  auto service = env.service;
  auto& f = env.res.at(cr_name, "ms");
  rotate_run(rep, {
    [&] {
      auto t0 = clock::now();
      auto g = parallel::collect<int32_t>(parallel::unlimited(sys));
      for (uint64_t i = 0; i < n; ++i)
        g.go_request(service, caf::infinite, ping_atom::value, i);
      auto r = g.wait();
      f.ours.push_back(seconds_since(t0) * 1e3);
      require(static_cast<bool>(r), "concurrent_requests: wait() failed: "
                               + (r ? std::string{} : parallel::message(r.error())));
      require(r->size() == n, "concurrent_requests: wrong number of replies");
      for (uint64_t i = 0; i < n; ++i)
        require((*r)[i] == static_cast<int32_t>(i),
                "concurrent_requests: replies out of order");
      f.extra["peak"].push_back(static_cast<double>(g.stats().peak_in_flight));
    },
    [&] { f.peers["caf"].push_back(caf_concurrent_requests(sys, service, n, 0) * 1e3); },
    [&] {
      f.peers["caf_sharded"].push_back(
        caf_concurrent_requests(sys, service, n, sharded_per_actor) * 1e3);
    },
  });
}

void finish_concurrent_requests(bench_env& env) {
  auto& f = env.res.at(cr_name, "ms");
  // Judged against the sharded peer, as a CAF expert would write it (issue
  // 9); the single-actor peer suffers from CAF 0.17's flat response map.
  auto ratio = median(f.ours) / med(f, "caf");
  auto sharded = median(f.ours) / med(f, "caf_sharded");
  f.goal = target{"<= 1.2x caf_sharded", sharded <= 1.2};
  std::ostringstream os;
  os << ratio_text(ratio) << " caf, " << ratio_text(sharded)
     << " caf_sharded (" << env.p.requests
     << " requests at once, service answers after " << env.p.latency.count()
     << " ms; peak in flight " << med_extra(f, "peak")
     << "; caf = one actor doing request().then() for all; caf_sharded = the same "
        "spread over actors of " << sharded_per_actor << " requests each)";
  f.note = os.str();
}

// -- queued_bytes -----------------------------------------------------------------

const char* const qb_name = "queued_bytes";

std::atomic<uint64_t> queued_sink{0};

auto make_queued_task(uint64_t i) {
  return [i](const context&) { queued_sink.fetch_add(i, std::memory_order_relaxed); };
}

constexpr std::size_t closure_size = sizeof(decltype(make_queued_task(0)));
constexpr std::size_t caf_payload_size = sizeof(uint64_t);

void run_queued_bytes(bench_env& env, int rep) {
  auto& sys = env.sys;
  auto n = env.p.queued_tasks;
  auto& f = env.res.at(qb_name, "B/task");
  rotate_run(rep, {
    [&] {
      std::latch gate{1};
      std::atomic<bool> started{false};
      queued_sink = 0;
      auto ex = parallel::limited(sys, context::background(), 1);
      ex.go([&](const context&) {
        started = true;
        gate.wait();
      });
      while (!started.load())
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      trim_heap();
      auto rss0 = rss_bytes();
      auto heap0 = heap_bytes();
      for (uint64_t i = 0; i < n; ++i)
        ex.go(make_queued_task(i));
      auto rss1 = rss_bytes();
      auto heap1 = heap_bytes();
      auto st = ex.stats();
      gate.count_down();
      ex.wait();
      require(st.running == 1 && st.succeeded == 0,
              "queued_bytes: queued tasks started under limited(1)");
      require(ex.stats().succeeded == n + 1, "queued_bytes: tasks were lost");
      auto per = [n](std::size_t a, std::size_t b) {
        return (static_cast<double>(b) - static_cast<double>(a)) / static_cast<double>(n);
      };
      f.ours.push_back(per(rss0, rss1) - static_cast<double>(closure_size));
      f.extra["rss_total"].push_back(per(rss0, rss1));
      f.extra["heap_total"].push_back(per(heap0, heap1));
    },
    [&] {
      auto probe = caf_queued_messages(sys, n);
      f.peers["caf"].push_back(probe.rss_per_item
                               - static_cast<double>(caf_payload_size));
      f.extra["caf_heap_total"].push_back(probe.heap_per_item);
    },
  });
}

void finish_queued_bytes(bench_env& env) {
  auto& f = env.res.at(qb_name, "B/task");
  auto ours = median(f.ours);
  f.goal = target{"<= 128 B beyond closure", ours <= 128};
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(1);
  // mallinfo2 sees nothing when a sanitizer replaces malloc.
  auto heap = med_extra(f, "heap_total");
  auto caf_heap = med_extra(f, "caf_heap_total");
  os << "RSS delta per queued task minus the " << closure_size
     << " B closure; total " << med_extra(f, "rss_total") << " B/task by RSS";
  if (heap > 0)
    os << ", " << heap << " B/task by the allocator";
  os << " (" << env.p.queued_tasks
     << " tasks behind a blocked one, limited(1)); caf = messages queued in a "
        "blocked detached actor's mailbox, minus their "
     << caf_payload_size << " B payload";
  if (caf_heap > 0)
    os << " (allocator: " << caf_heap << " B/message)";
  f.note = os.str();
}

// -- group_overhead -----------------------------------------------------------------

const char* const go_name = "group_overhead";
const char* const go_empty = "group_overhead/no_task";

void run_group_overhead(bench_env& env, int rep) {
  auto& sys = env.sys;
  auto n = env.p.groups;
  auto per_group = [n](clock::time_point t0) {
    return seconds_since(t0) * 1e9 / static_cast<double>(n);
  };
  auto& f = env.res.at(go_name, "ns/group");
  auto& e = env.res.at(go_empty, "ns/group");
  std::vector<std::function<void()>> steps{
    [&] {
      auto t0 = clock::now();
      for (std::size_t k = 0; k < n; ++k) {
        auto ex = parallel::unlimited(sys);
        ex.go([k](const context&) {
          volatile int32_t x = trivial(k);
          (void) x;
        });
        ex.wait();
      }
      f.ours.push_back(per_group(t0));
    },
    [&] {
      auto t0 = clock::now();
      for (std::size_t k = 0; k < n; ++k) {
        auto ex = parallel::unlimited(sys);
        ex.wait();
      }
      e.ours.push_back(per_group(t0));
    },
    [&] { f.peers["caf"].push_back(caf_group_overhead(sys, n)); },
  };
  if (have_tbb())
    steps.push_back([&] { f.peers["tbb"].push_back(tbb_group_overhead(n)); });
  rotate_run(rep, std::move(steps));
}

void finish_group_overhead(bench_env& env) {
  auto& f = env.res.at(go_name, "ns/group");
  // Issue 9: a server makes a group per request, so a group must cost
  // microseconds.
  f.goal = target{"<= 10 us/group", median(f.ours) <= 10'000};
  f.note = "unlimited(sys), one trivial task, wait(), destroy; tbb = task_group "
           "run + wait; caf = spawn an actor, request one task, receive in a "
           "scoped_actor";
  auto& e = env.res.at(go_empty, "ns/group");
  e.note = "unlimited(sys) created and waited with no task";
}

} // namespace

const std::vector<figure_def>& figure_defs() {
  static const std::vector<figure_def> defs = [] {
    std::vector<figure_def> all{
      {"trivial_collect", "ns per task, collect<int> of trivial tasks",
       run_trivial_collect, finish_trivial_collect},
      {"latency_fanout", "10 ms tasks under bound 100, wall time vs the ideal",
       run_latency_fanout, finish_latency_fanout},
      {"concurrent_requests", "go_requests in flight against a 10 ms service",
       run_concurrent_requests, finish_concurrent_requests},
      {"queued_bytes", "bytes per queued, not yet started task", run_queued_bytes,
       finish_queued_bytes},
      {"group_overhead", "ns to create, use once and wait a group",
       run_group_overhead, finish_group_overhead},
    };
    for (auto& d : request_fanout_defs())
      all.push_back(d);
    return all;
  }();
  return defs;
}

} // namespace bench
