// request_fanout: a group per request, the way servers use groups (issue 9).
// `closure` and `1ms` make requests from caller threads exactly as
// ../shared/peers/handler.go does with Go's errgroup, and run that program in
// the same repetition when --go-peer names it; `actor` is the motivating
// article's handler written as an actor, against the same handler in plain CAF.
#include <chrono>
#include <cstdint>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/result.hpp>
#include <caf/send.hpp>

#include <parallel/parallel.hpp>

#include "caller_load.hpp"
#include "figure_helpers.hpp"
#include "figures.hpp"
#include "go_peer.hpp"
#include "handler_load.hpp"
#include "peers.hpp"
#include "service.hpp"

namespace bench {

namespace {

using parallel::context;
using std::chrono::microseconds;

// -- closure and 1ms: requests from caller threads --------------------------------

/// The table lines of one caller figure.
struct fanout_lines {
  const char* per_request;
  const char* p50;
  const char* p99;
};

const fanout_lines closure_lines{"request_fanout/closure", "request_fanout/closure p50",
                                 "request_fanout/closure p99"};
const fanout_lines slow_lines{"request_fanout/1ms", "request_fanout/1ms p50",
                              "request_fanout/1ms p99"};

/// handler.go's arguments C R K B D.
struct fanout_shape {
  std::size_t callers;
  std::size_t requests;
  std::size_t tasks;
  std::size_t bound;
  microseconds task_wait;
};

fanout_shape closure_shape(const params& p) {
  return {p.closure_callers, p.closure_requests, p.fanout_tasks, p.fanout_bound,
          microseconds{0}};
}

fanout_shape slow_shape(const params& p) {
  return {p.slow_callers, p.slow_requests, p.fanout_tasks, p.fanout_bound,
          std::chrono::duration_cast<microseconds>(p.slow_task)};
}

/// One request as handler.go makes it: an error group bounded to `bound`,
/// `tasks` tasks that each wait `task_wait` cancellably (none if 0) and add
/// their index to a sum, then `wait()`; the sum is checked.
void library_request(caf::actor_system& sys, const fanout_shape& s) {
  std::atomic<int64_t> sum{0};
  parallel::err_group g{parallel::limited(sys, context::background(), s.bound)};
  for (std::size_t k = 0; k < s.tasks; ++k)
    g.go([&sum, k, wait = s.task_wait](const context& ctx) {
      if (wait.count() > 0)
        ctx.sleep_for(wait);
      sum.fetch_add(static_cast<int64_t>(k), std::memory_order_relaxed);
    });
  auto err = g.wait();
  require(!err, "request_fanout: wait() failed: " + parallel::message(err));
  auto expected = static_cast<int64_t>(s.tasks * (s.tasks - 1) / 2);
  require(sum.load() == expected, "request_fanout: sum " + std::to_string(sum.load())
                                    + ", expected " + std::to_string(expected));
}

void run_fanout(bench_env& env, int rep, const fanout_lines& lines,
                const fanout_shape& s) {
  auto& sys = env.sys;
  auto& per = env.res.at(lines.per_request, "us/req");
  auto& p50 = env.res.at(lines.p50, "us");
  auto& p99 = env.res.at(lines.p99, "us");
  auto record = [&](const char* peer, const request_timing& t) {
    auto put = [peer](figure& f, double x) {
      if (peer == nullptr)
        f.ours.push_back(x);
      else
        f.peers[peer].push_back(x);
    };
    put(per, t.us_per_request);
    put(p50, t.p50_us);
    put(p99, t.p99_us);
  };
  std::vector<std::function<void()>> steps{
    [&] {
      record(nullptr, run_callers(s.callers, s.requests, [&](std::size_t) -> request_fn {
               return [&sys, &s] { library_request(sys, s); };
             }));
    },
    [&] {
      record("caf", run_callers(s.callers, s.requests, [&](std::size_t) {
               return caf_fanout_caller(sys, s.tasks, s.bound, s.task_wait);
             }));
    },
  };
  steps.push_back([&] {
    record("os_threads", run_callers(s.callers, s.requests, [&](std::size_t) {
             return os_threads_fanout_caller(s.tasks, s.bound, s.task_wait);
           }));
  });
  if (have_tbb())
    steps.push_back([&] {
      record("tbb", run_callers(s.callers, s.requests, [&](std::size_t) -> request_fn {
               return [&s] { tbb_fanout_request(s.tasks, s.task_wait); };
             }));
    });
  if (!env.p.go_peer.empty())
    steps.push_back([&] {
      record("go", run_go_peer(env.p.go_peer, s.callers, s.requests, s.tasks, s.bound,
                               s.task_wait));
    });
  rotate_run(rep, std::move(steps));
}

// "1.234x go, 5.6x caf, ..." for the peers that ran.
std::string ratios(const figure& f) {
  std::string out;
  auto ours = median(f.ours);
  for (auto peer : {"go", "os_threads", "caf", "tbb"}) {
    auto x = med(f, peer);
    if (std::isnan(x))
      continue;
    out += (out.empty() ? "" : ", ") + ratio_text(ours / x) + " " + peer;
  }
  return out;
}

// A target against Go is only judged when Go ran (--go-peer).
void go_goal(figure& f, const char* text, double factor) {
  auto go = med(f, "go");
  if (!std::isnan(go))
    f.goal = target{text, median(f.ours) <= factor * go};
}

void finish_fanout(bench_env& env, const fanout_lines& lines, const fanout_shape& s,
                   double per_request_factor, double p99_factor) {
  auto& per = env.res.at(lines.per_request, "us/req");
  auto& p50 = env.res.at(lines.p50, "us");
  auto& p99 = env.res.at(lines.p99, "us");
  std::ostringstream shape;
  shape << "C=" << s.callers << " R=" << s.requests << " K=" << s.tasks
        << " B=" << s.bound << " D=" << s.task_wait.count() << "us";
  std::ostringstream factor;
  factor << "<= " << per_request_factor << "x go";
  go_goal(per, factor.str().c_str(), per_request_factor);
  if (p99_factor > 0) {
    std::ostringstream p99_text;
    p99_text << "<= " << p99_factor << "x go";
    go_goal(p99, p99_text.str().c_str(), p99_factor);
  }
  per.note = ratios(per) + " (" + shape.str()
             + "; wall time / requests; ours = err_group(limited(sys, background, B)) "
               "per request; caf = a scoped_actor per caller spawning an actor per "
               "task; os_threads = helper threads each caller owns for good, the floor "
               "for tasks that each hold a thread; tbb = a task_group per request; "
               "go = handler.go"
             + (env.p.go_peer.empty() ? ", not run: no --go-peer, go targets not judged"
                                      : "")
             + ")";
  p50.note = ratios(p50) + " (request latency, median)";
  p99.note = ratios(p99) + " (request latency, 99th percentile)";
}

void run_closure(bench_env& env, int rep) {
  run_fanout(env, rep, closure_lines, closure_shape(env.p));
}

void finish_closure(bench_env& env) {
  finish_fanout(env, closure_lines, closure_shape(env.p), 3, 0);
}

void run_slow(bench_env& env, int rep) {
  run_fanout(env, rep, slow_lines, slow_shape(env.p));
}

void finish_slow(bench_env& env) {
  finish_fanout(env, slow_lines, slow_shape(env.p), 1.3, 2);
}

// -- actor: the article's handler as an actor ---------------------------------------

const char* const actor_rate = "request_fanout/actor";
const char* const actor_p99 = "request_fanout/actor p99";
const char* const actor_threads = "request_fanout/actor threads";

/// The handler with this library: fans the request's look-ups out as
/// `go_request`s of a `collect<int32_t>` under `limited(bound)`, answers from
/// `await` (its thread is never blocked), then quits.
caf::behavior library_handler(caf::event_based_actor* self, caf::actor service,
                              std::size_t bound) {
  return {
    [=](handle_atom, uint64_t id) -> caf::result<int64_t> {
      auto rp = self->make_response_promise();
      parallel::collect<int32_t> lookups{
        parallel::limited(self->system(), context::background(), bound)};
      for (std::size_t i = 0; i < lookups_of(id); ++i)
        lookups.go_request(service, caf::infinite, ping_atom::value, lookup_key(id, i));
      lookups.await(self, [=](parallel::expected<std::vector<int32_t>> r) mutable {
        if (r)
          rp.deliver(std::accumulate(r->begin(), r->end(), int64_t{0}));
        else
          rp.deliver(r.error());
        self->quit();
      });
      return rp;
    },
  };
}

/// Plain CAF's handler (request().then() per look-up) that also makes a
/// `collect<int32_t>(limited(bound))` per request, submits nothing to it, and
/// answers from its `await` once every reply is in: what a group and its
/// await cost alone, whoever sends the look-ups.
struct floor_tally {
  int64_t sum = 0;
  std::size_t left = 0;
};

caf::behavior group_floor_handler(caf::event_based_actor* self, caf::actor service,
                                  std::size_t bound) {
  return {
    [=](handle_atom, uint64_t id) -> caf::result<int64_t> {
      auto rp = self->make_response_promise();
      auto group = std::make_shared<parallel::collect<int32_t>>(
        parallel::limited(self->system(), context::background(), bound));
      auto t = std::make_shared<floor_tally>();
      t->left = lookups_of(id);
      for (std::size_t i = 0; i < lookups_of(id); ++i)
        self->request(service, caf::infinite, ping_atom::value, lookup_key(id, i))
          .then(
            [=](int32_t value) mutable {
              t->sum += value;
              if (--t->left == 0)
                group->await(self, [=](parallel::expected<std::vector<int32_t>>) mutable {
                  rp.deliver(t->sum);
                  self->quit();
                });
            },
            [=](caf::error& err) mutable {
              rp.deliver(std::move(err));
              self->quit();
            });
      return rp;
    },
  };
}

void run_actor(bench_env& env, int rep) {
  auto& sys = env.sys;
  auto& p = env.p;
  auto& rate = env.res.at(actor_rate, "req/s");
  auto& tail = env.res.at(actor_p99, "us");
  auto& threads = env.res.at(actor_threads, "threads");
  auto service = spawn_service(sys, p.actor_service_latency);
  auto record = [&](const char* peer, const handler_timing& t) {
    auto put = [peer](figure& f, double x) {
      if (peer == nullptr)
        f.ours.push_back(x);
      else
        f.peers[peer].push_back(x);
    };
    put(rate, t.requests_per_s);
    put(tail, t.p99_us);
    put(threads, t.threads_peak);
    threads.extra[peer == nullptr ? std::string{"before"} : std::string{peer} + "_before"]
      .push_back(t.threads_before);
  };
  rotate_run(rep, {
    [&] {
      auto bound = p.actor_bound;
      record(nullptr, run_handlers(
                        sys,
                        [service, bound](caf::actor_system& s) {
                          return s.spawn(library_handler, service, bound);
                        },
                        p.actor_requests, p.actor_in_flight, p.stall_limit,
                        "request_fanout/actor (ours)"));
    },
    [&] {
      auto bound = p.actor_bound;
      record("caf+group", run_handlers(
                            sys,
                            [service, bound](caf::actor_system& s) {
                              return s.spawn(group_floor_handler, service, bound);
                            },
                            p.actor_requests, p.actor_in_flight, p.stall_limit,
                            "request_fanout/actor (caf+group)"));
    },
    [&] {
      record("caf", run_handlers(
                      sys,
                      [service](caf::actor_system& s) {
                        return spawn_caf_handler(s, service);
                      },
                      p.actor_requests, p.actor_in_flight, p.stall_limit,
                      "request_fanout/actor (caf)"));
    },
  });
  caf::anon_send_exit(service, caf::exit_reason::user_shutdown);
}

void finish_actor(bench_env& env) {
  auto& p = env.p;
  auto& rate = env.res.at(actor_rate, "req/s");
  auto& tail = env.res.at(actor_p99, "us");
  auto& threads = env.res.at(actor_threads, "threads");
  auto r = median(rate.ours) / med(rate, "caf");
  rate.goal = target{">= 1.0x caf", r >= 1.0};
  auto t = median(tail.ours) / med(tail, "caf");
  tail.goal = target{"<= 1.2x caf", t <= 1.2};
  std::ostringstream os;
  os << ratio_text(r) << " caf, caf+group "
     << ratio_text(med(rate, "caf+group") / med(rate, "caf")) << " caf ("
     << p.actor_requests << " requests, "
     << p.actor_in_flight << " in flight, each to an actor of its own that fans out "
     << "5-10 look-ups to a service answering after "
     << p.actor_service_latency.count() << " ms; ours = collect<int32_t>(limited("
     << p.actor_bound << ")) + go_request + await; caf = request().then() per "
        "look-up, counting replies; caf+group = the same plus an empty "
        "collect group made and awaited per request: what a group and its "
        "await cost alone; every answer checked)";
  rate.note = os.str();
  tail.note = ratio_text(t) + " caf (request latency at the client, 99th percentile); "
              "caf+group " + ratio_text(med(tail, "caf+group") / med(tail, "caf"))
              + " caf";
  std::ostringstream th;
  th << "most threads the process held during the run, sampled every ms; before "
        "the run: "
     << med_extra(threads, "before") << " (ours), " << med_extra(threads, "caf_before")
     << " (caf)";
  threads.note = th.str();
}

} // namespace

const std::vector<figure_def>& request_fanout_defs() {
  static const std::vector<figure_def> defs{
    {"request_fanout/closure", "a group of 10 trivial tasks per request, 8 callers",
     run_closure, finish_closure},
    {"request_fanout/1ms", "a group of 10 x 1 ms tasks per request, 50 callers",
     run_slow, finish_slow},
    {"request_fanout/actor", "the article's handler as an actor, 200 requests in flight",
     run_actor, finish_actor},
  };
  return defs;
}

} // namespace bench
