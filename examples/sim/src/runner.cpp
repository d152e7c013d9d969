#include "runner.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <stop_token>
#include <type_traits>

#include <caf/actor_system.hpp>

#include <parallel/parallel.hpp>

#include "estimate.hpp"
#include "progress.hpp"
#include "recorded_request.hpp"
#include "recorder.hpp"
#include "report.hpp"
#include "service.hpp"
#include "timeline.hpp"

namespace sim {

namespace {

// What the library's error says when no thread could be started for a task.
constexpr const char* no_thread_text = "no thread could be started";


using value_t = std::uint64_t; // what a service answers: the call id

// -- wrappers -----------------------------------------------------------------

// True for the wrappers whose tasks produce a value (expected<value_t>).
template <class W>
constexpr bool has_value = !std::is_same_v<W, parallel::executor>
                           && !std::is_same_v<W, parallel::err_group>
                           && !std::is_same_v<W, parallel::gather_errs>;

// Calls `f(wrapper)` with the wrapper `k` over `ex`. Feed receivers count
// the values they get in `*received`.
template <class F>
void with_wrapper(wrapper_kind k, parallel::executor ex,
                  std::atomic<std::uint64_t>* received, F&& f) {
  auto receiver = [received](const parallel::context&, value_t) {
    received->fetch_add(1, std::memory_order_relaxed);
  };
  switch (k) {
    case wrapper_kind::executor:
      f(ex);
      return;
    case wrapper_kind::err_group: {
      parallel::err_group w{ex};
      f(w);
      return;
    }
    case wrapper_kind::gather_errs: {
      parallel::gather_errs w{ex};
      f(w);
      return;
    }
    case wrapper_kind::collect: {
      parallel::collect<value_t> w{ex};
      f(w);
      return;
    }
    case wrapper_kind::collect_with_errs: {
      parallel::collect_with_errs<value_t> w{ex};
      f(w);
      return;
    }
    case wrapper_kind::feed: {
      parallel::feed<value_t> w{ex, receiver};
      f(w);
      return;
    }
    case wrapper_kind::feed_with_errs: {
      parallel::feed_with_errs<value_t> w{ex, receiver};
      f(w);
      return;
    }
  }
}

std::string describe_errors(const parallel::multi_error& m) {
  if (!m)
    return "no errors";
  std::string out = "a multi_error of " + std::to_string(m.size())
                    + (m.size() == 1 ? " error" : " errors");
  out += " (first: " + parallel::message(m.errors().front()) + ")";
  return out;
}

// What wait() returned.
struct waited {
  parallel::error err;
  std::uint64_t values = 0;
  std::string text;
};

template <class W>
waited finish(W& w, const std::atomic<std::uint64_t>& received) {
  waited out;
  auto got = [&] {
    return "the receiver got " + count_text(received.load(), "value");
  };
  if constexpr (std::is_same_v<W, parallel::executor>) {
    w.wait();
    out.text = "nothing (executor::wait() returns void; errors only show in stats())";
  } else if constexpr (std::is_same_v<W, parallel::err_group>) {
    out.err = w.wait();
    out.text = out.err ? "the first error: " + parallel::message(out.err) : "no error";
  } else if constexpr (std::is_same_v<W, parallel::gather_errs>) {
    auto m = w.wait();
    out.err = m;
    out.text = describe_errors(m);
  } else if constexpr (std::is_same_v<W, parallel::collect<value_t>>) {
    auto r = w.wait();
    if (r) {
      out.values = r->size();
      out.text = count_text(r->size(), "value") + ", in submission order";
    } else {
      out.err = r.error();
      out.text = "no values, the first error: " + parallel::message(out.err);
    }
  } else if constexpr (std::is_same_v<W, parallel::collect_with_errs<value_t>>) {
    auto c = w.wait();
    out.values = c.values.size();
    out.err = c.errors;
    out.text = count_text(c.values.size(), "value") + " and " + describe_errors(c.errors);
  } else if constexpr (std::is_same_v<W, parallel::feed<value_t>>) {
    out.err = w.wait();
    out.values = received.load();
    out.text = got() + (out.err ? "; the first error: " + parallel::message(out.err)
                                : "; no error");
  } else {
    auto m = w.wait();
    out.err = m;
    out.values = received.load();
    out.text = got() + "; " + describe_errors(m);
  }
  return out;
}

// -- one configuration run ----------------------------------------------------

// Records when a group's context is cancelled, unless by its normal end.
struct stop_recorder {
  std::shared_ptr<run_tables> tables;
  std::size_t group;
  parallel::context ctx;

  void operator()() const noexcept {
    auto cause = ctx.cause();
    if (parallel::is(cause, parallel::errc::group_done))
      return;
    tables->rec.cancelled(group, tables->rec.now_ms(), parallel::message(cause));
  }
};

struct run_state {
  run_state(caf::actor_system& sys, std::shared_ptr<run_tables> tables,
            const std::vector<caf::actor>& services, const scenario& sc,
            const config_spec& cfg, std::size_t per_item)
    : sys(sys), tables(std::move(tables)), services(services), sc(sc), cfg(cfg),
      per_item(per_item) {
  }

  caf::actor_system& sys;
  std::shared_ptr<run_tables> tables;
  const std::vector<caf::actor>& services;
  const scenario& sc;
  const config_spec& cfg;
  std::size_t per_item;
  std::atomic<std::uint64_t> inner_received{0};

  // Nested: the child groups' counters, summed.
  std::mutex mtx;
  parallel::group_stats inner;
  std::size_t inner_not_submitted = 0;

  void add_inner(const parallel::group_stats& s, std::size_t not_submitted) {
    std::lock_guard<std::mutex> guard{mtx};
    inner.submitted += s.submitted;
    inner.succeeded += s.succeeded;
    inner.failed += s.failed;
    inner.panicked += s.panicked;
    inner.skipped += s.skipped;
    inner.peak_in_flight = std::max(inner.peak_in_flight, s.peak_in_flight);
    inner_not_submitted += not_submitted;
  }
};

// Submits calls [first, last) to `w`. Returns how many were not submitted
// because `go` rethrew the group's panic.
template <class W>
std::size_t submit_calls(W& w, run_state& rs, std::size_t first, std::size_t last,
                         std::uint32_t group) {
  for (std::size_t i = first; i < last; ++i) {
    auto& c = rs.tables->calls[i];
    rs.tables->rec.at(i).group = group;
    try {
      std::string throws;
      if (rs.tables->outcomes[i] == planned::throw_)
        throws = rs.sc.services[c.service].name + ": the client code threw (call "
                 + std::to_string(i) + ")";
      go_recorded_request(w, rs.services[c.service], rs.tables, std::uint64_t{i},
                          std::move(throws));
    } catch (const simulated_exception&) {
      return last - i;
    }
  }
  return 0;
}

struct item_result {
  parallel::error err;
  std::uint64_t values = 0;
};

// A nested item: a child group from the task's context, the item's calls,
// then wait() for them (blocking this worker, which a task may do).
item_result run_item(run_state& rs, const parallel::context& ctx, std::size_t item) {
  auto group = static_cast<std::uint32_t>(item + 1);
  auto inner = parallel::limited(rs.sys, ctx, rs.cfg.inner_bound);
  std::stop_callback on_stop{inner.group_context().stop_token(),
                             stop_recorder{rs.tables, group, inner.group_context()}};
  item_result out;
  with_wrapper(rs.cfg.wrapper, inner, &rs.inner_received, [&](auto& w) {
    auto first = item * rs.per_item;
    auto not_submitted = submit_calls(w, rs, first, first + rs.per_item, group);
    try {
      auto f = finish(w, rs.inner_received);
      out.err = f.err;
      out.values = f.values;
    } catch (...) {
      rs.add_inner(w.stats(), not_submitted);
      throw; // the panic crosses into the outer group unchanged
    }
    rs.add_inner(w.stats(), not_submitted);
  });
  return out;
}

template <class W>
auto make_item_task(run_state& rs, std::size_t item) {
  if constexpr (has_value<W>)
    return [&rs, item](const parallel::context& ctx) -> parallel::expected<value_t> {
      auto r = run_item(rs, ctx, item);
      if (r.err)
        return r.err;
      return r.values;
    };
  else if constexpr (std::is_same_v<W, parallel::executor>)
    return [&rs, item](const parallel::context& ctx) { run_item(rs, ctx, item); };
  else
    return [&rs, item](const parallel::context& ctx) -> parallel::error {
      return run_item(rs, ctx, item).err;
    };
}

template <class W>
std::size_t submit_items(W& w, run_state& rs, std::size_t items) {
  for (std::size_t item = 0; item < items; ++item) {
    try {
      w.go(make_item_task<W>(rs, item));
    } catch (const simulated_exception&) {
      return items - item;
    }
  }
  return 0;
}

parallel::executor make_executor(caf::actor_system& sys, const config_spec& cfg) {
  auto bg = parallel::context::background();
  switch (cfg.executor) {
    case executor_kind::serial:
      return parallel::limited(sys, bg, 0);
    case executor_kind::limited:
      return parallel::limited(sys, bg, cfg.bound);
    case executor_kind::unlimited:
      break;
  }
  return parallel::unlimited(sys, bg);
}

std::size_t width(executor_kind k, std::size_t bound, std::size_t n) {
  switch (k) {
    case executor_kind::serial:
      return 1;
    case executor_kind::limited:
      return std::max<std::size_t>(1, std::min(bound, n));
    case executor_kind::unlimited:
      break;
  }
  return std::max<std::size_t>(1, n);
}

std::size_t ceil_div(std::size_t a, std::size_t b) {
  return (a + b - 1) / b;
}

} // namespace

double extrapolate_serial_ms(const plan& p, std::size_t sampled_calls, double measured_ms) {
  // A serial run takes its latencies plus a cost per call (the library, the
  // service actor, the timer). Scaling the whole measured time by drawn
  // latency alone turns that cost into thousands of latencies when the
  // sample's latencies are near 0; scaling by the item count is wrong when
  // the sample misses (or hits) the latency tail. So: every drawn latency,
  // plus the sample's cost beyond its latencies for each call.
  double all = 0, sample = 0;
  for (std::size_t i = 0; i < p.calls.size(); ++i) {
    all += p.calls[i].latency_ms;
    if (i < sampled_calls)
      sample += p.calls[i].latency_ms;
  }
  double per_call = sampled_calls == 0
                      ? 0
                      : std::max(0.0, measured_ms - sample) / static_cast<double>(sampled_calls);
  return all + per_call * static_cast<double>(p.calls.size());
}

double ideal_ms(const scenario& sc, const plan& p, const config_spec& cfg) {
  auto calls = p.calls.size();
  if (!cfg.nested)
    return static_cast<double>(ceil_div(calls, width(cfg.executor, cfg.bound, calls)))
           * p.mean_latency_ms;
  auto items = sc.workload.items;
  auto k = p.per_item;
  auto inner = cfg.inner_bound == 0 ? 1 : std::min(cfg.inner_bound, k);
  return static_cast<double>(ceil_div(items, width(cfg.executor, cfg.bound, items))
                             * ceil_div(k, inner))
         * p.mean_latency_ms;
}

config_result run_config(caf::actor_system& sys, const scenario& sc, const plan& p,
                         const config_spec& cfg, progress* prog,
                         const std::string& progress_label) {
  config_result res;
  res.cfg = cfg;
  auto k = p.per_item;
  auto items = sc.workload.items;
  if (cfg.executor == executor_kind::serial && sc.workload.serial_sample > 0
      && sc.workload.serial_sample < items) {
    items = sc.workload.serial_sample;
    res.sampled = true;
  }
  res.items = items;
  res.calls = items * k;

  std::vector<planned> outcomes;
  outcomes.reserve(p.calls.size());
  for (auto& c : p.calls)
    outcomes.push_back(outcome_of(c, sc, cfg));
  auto tables = std::make_shared<run_tables>(p, std::move(outcomes),
                                             1 + (cfg.nested ? items : 0));
  std::vector<caf::actor> services;
  for (auto& s : sc.services)
    services.push_back(spawn_service(sys, tables, s));

  run_state rs{sys, tables, services, sc, cfg, k};
  std::atomic<std::uint64_t> received{0};
  std::size_t not_submitted = 0;
  parallel::group_stats gs;
  {
    auto ex = make_executor(sys, cfg);
    std::stop_callback on_stop{ex.group_context().stop_token(),
                               stop_recorder{tables, 0, ex.group_context()}};
    if (prog)
      prog->stage(progress_label, res.calls, &tables->rec.done);
    with_wrapper(cfg.wrapper, ex, &received, [&](auto& w) {
      tables->rec.start_clock();
      not_submitted = cfg.nested ? submit_items(w, rs, items)
                                 : submit_calls(w, rs, 0, res.calls, 0);
      try {
        res.returned = finish(w, received).text;
        // The library could not start a thread for some tasks and failed
        // them (it no longer panics the group): not a simulated outcome.
        if (res.returned.find(no_thread_text) != std::string::npos)
          res.failure = res.returned;
      } catch (const simulated_exception& e) {
        res.threw = true;
        res.returned = std::string{"wait() rethrew the task's exception: "} + e.what();
      } catch (const std::exception& e) {
        // Not a simulated panic: the library failed, e.g. it could not
        // start a worker thread and failed the group with that error.
        res.threw = true;
        res.returned = std::string{"wait() rethrew: "} + e.what();
        res.failure = e.what();
      }
      res.measured_ms = tables->rec.now_ms();
      gs = w.stats();
    });
    if (prog)
      prog->end_stage();
  }
  drain_and_stop(sys, services);

  // Spans: every call that started, as the services and tasks recorded it.
  auto& rec = tables->rec;
  std::size_t service_failed = 0;
  for (std::size_t i = 0; i < res.calls; ++i) {
    auto& r = rec.calls()[i];
    if (r.arrive_ms < 0)
      continue; // never started
    if (r.queued)
      ++res.queued;
    span s;
    s.call = i;
    s.service = p.calls[i].service;
    s.item = p.calls[i].item;
    s.start_ms = r.arrive_ms;
    s.begin_ms = r.begin_ms >= 0 ? r.begin_ms : r.arrive_ms;
    s.service_end_ms = r.end_ms >= 0 ? r.end_ms : r.arrive_ms;
    s.end_ms = s.service_end_ms;
    // The outcome is what the client's task got, as stats() counts it; the
    // time stamps only place the bar.
    if (r.threw) {
      s.outcome = span_outcome::panicked;
    } else if (r.client == client_result::ok) {
      s.outcome = span_outcome::ok;
    } else if (r.client == client_result::failed) {
      s.outcome = span_outcome::failed;
      ++service_failed;
    } else {
      s.outcome = span_outcome::cancelled;
      if (auto tc = rec.cancel_ms(r.group))
        s.end_ms = std::clamp(*tc, s.start_ms, s.service_end_ms);
    }
    res.spans.push_back(s);
  }
  res.lanes = assign_lanes(res.spans);
  res.stop_ms = rec.cancel_ms(0);
  res.stop_cause = rec.top_cause();

  // Counts, from the groups' stats(): the library counts a call that was in
  // flight when its group stopped as failed; the tasks tell which calls
  // really got an error, the rest of "failed" were cancelled.
  res.submitted = gs.submitted;
  res.peak = gs.peak_in_flight;
  parallel::group_stats calls = gs;
  std::size_t never = not_submitted;
  if (cfg.nested) {
    calls = rs.inner;
    res.inner_peak = rs.inner.peak_in_flight;
    never = (gs.skipped + not_submitted) * k + rs.inner_not_submitted;
  }
  res.counts.ok = calls.succeeded;
  res.counts.panicked = calls.panicked;
  res.counts.failed = std::min(service_failed, calls.failed);
  res.counts.cancelled = calls.failed - res.counts.failed;
  res.counts.skipped = calls.skipped + never;

  res.ideal_ms = ideal_ms(sc, p, cfg);
  res.estimate_ms = estimate_config_ms(sc, p, cfg);
  res.complete = !res.stop_ms && !res.threw && res.counts.skipped == 0;
  res.wall_ms = res.measured_ms;
  if (res.sampled && res.complete) {
    res.wall_ms = extrapolate_serial_ms(p, res.calls, res.measured_ms);
    res.scale = res.measured_ms > 0 ? res.wall_ms / res.measured_ms : 1;
    res.extrapolated = true;
  }
  // The ideal is for the whole workload: it does not apply to a run that
  // stopped early; and with a mean latency of 0 there is nothing to compare.
  if (res.complete && res.ideal_ms > 0)
    res.ratio = res.wall_ms / res.ideal_ms;
  return res;
}

std::string progress_label(const scenario& sc, std::size_t i) {
  auto& c = sc.configs[i];
  return "[" + std::to_string(i + 1) + "/" + std::to_string(sc.configs.size()) + "] "
         + c.display_label() + " " + std::string{to_string(c.wrapper)};
}

run_result run_scenario(caf::actor_system& sys, const scenario& sc, const run_options& opt) {
  auto p = draw_plan(sc, opt.seed);
  run_result out;
  out.seed = opt.seed;
  out.calls = p.calls.size();
  out.mean_latency_ms = p.mean_latency_ms;
  out.max_latency_ms = p.max_latency_ms;
  out.baseline = sc.baseline;
  for (std::size_t i = 0; i < sc.configs.size(); ++i) {
    out.configs.push_back(
      run_config(sys, sc, p, sc.configs[i], opt.prog, progress_label(sc, i)));
    if (!out.configs.back().failure.empty())
      break; // the figures would be the failure's, not the scenario's
  }
  if (opt.prog)
    opt.prog->finish();
  // Speed-ups compare whole workloads: none for a run that stopped early,
  // nor against a baseline that did (the parser picks one that cannot).
  if (out.configs.size() <= out.baseline)
    return out;
  auto& base = out.configs[out.baseline];
  for (auto& c : out.configs)
    if (base.complete && c.complete && c.wall_ms > 0)
      c.speedup = base.wall_ms / c.wall_ms;
  return out;
}

} // namespace sim
