// Randomized stress (spec 6): mixes of ok, error, throw, block, cancel,
// nesting, actor requests and abandoning under random bounds. Checks that wait() always
// returns (a hang fails through ctest's timeout), that no task starts after
// its group's wait() returned, that the bound is never exceeded, that the
// counters add up, and that no actor outlives its group.
//
// PARALLEL_STRESS_SEED and PARALLEL_STRESS_ROUNDS override the defaults.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>
#include <stdexcept>

#include "service_actor.hpp"
#include "test_support.hpp"

using namespace parallel;
using namespace std::chrono_literals;

namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  if (auto s = std::getenv(name))
    return std::strtoull(s, nullptr, 10);
  return fallback;
}

// `request` is a go_request to a service answering after 1 ms, not a closure.
enum class action { ok, fail, toss, block, nest, cancel_parent, request };

struct round_state {
  test::in_flight_meter meter;
  std::atomic<bool> done{false};
  std::atomic<int> late_starts{0};
  std::atomic<int> started{0};
};

// One task's body: what it does is drawn up front so a round is repeatable.
error run_action(caf::actor_system& sys, const context& ctx, action a,
                 round_state& st, const canceller& cancel_parent, int depth) {
  st.started++;
  if (st.done)
    st.late_starts++;
  st.meter.enter();
  struct leave {
    round_state& st;
    ~leave() {
      st.meter.leave();
    }
  } guard{st};
  switch (a) {
    case action::ok:
      return {};
    case action::fail:
      return make_error("task failed");
    case action::toss:
      throw std::runtime_error("task threw");
    case action::block:
      ctx.sleep_for(std::chrono::microseconds(200));
      return {};
    case action::cancel_parent:
      cancel_parent(make_error("parent cancelled"));
      return {};
    case action::request:
      return {}; // never a closure (see drive)
    case action::nest: {
      if (depth > 1)
        return {};
      gather_errs child{parallel::limited(sys, ctx, 2)};
      for (int i = 0; i < 3; ++i)
        child.go([i](const context&) -> error {
          return i == 1 ? make_error("child failed") : error{};
        });
      return child.wait();
    }
  }
  return {};
}

// Submits every planned task to `handle` (stopping when `go` rethrows an
// earlier panic), then waits unless the round abandons the group.
struct round_result {
  bool threw = false;
  bool waited = false;
  group_stats stats;
};

template <class Handle, class MakeTask>
round_result drive(Handle handle, const std::vector<action>& plan,
                   MakeTask make_task, bool abandon, round_state& st,
                   const caf::actor& service) {
  round_result out;
  for (auto a : plan) {
    try {
      if (a == action::request)
        handle.go_request(service, 10s, 1);
      else
        handle.go(make_task(a));
    } catch (const std::runtime_error&) {
      out.threw = true;
      break;
    }
  }
  if (abandon)
    return out; // the last handle dies here, without wait
  try {
    handle.wait();
  } catch (const std::runtime_error&) {
    out.threw = true;
  }
  st.done = true;
  out.waited = true;
  out.stats = handle.stats();
  return out;
}

} // namespace

TEST_CASE_METHOD(test::system_fixture, "randomized stress: groups always finish, bounds hold, nothing leaks") {
  auto seed = env_or("PARALLEL_STRESS_SEED", 20261123);
  auto rounds = env_or("PARALLEL_STRESS_ROUNDS", 400);
  INFO("seed " << seed << " (set PARALLEL_STRESS_SEED to repeat)");
  std::mt19937_64 rng{seed};
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  auto& system = sys;
  auto service = test::spawn_service(sys, 1ms);
  for (std::uint64_t r = 0; r < rounds; ++r) {
    INFO("round " << r);
    // Tasks of an abandoned round may outlive the round: they own its state.
    auto shared = std::make_shared<round_state>();
    auto& st = *shared;
    auto [parent, cancel_parent] = with_cancel(context::background());
    int kind = pick(3); // serial, limited, unlimited
    std::size_t bound = kind == 1 ? 1 + pick(6) : 0;
    std::vector<action> plan;
    for (int i = 0, n = pick(40); i < n; ++i) {
      auto x = pick(100);
      plan.push_back(x < 47   ? action::ok
                     : x < 62 ? action::fail
                     : x < 67 ? action::toss
                     : x < 80 ? action::block
                     : x < 88 ? action::nest
                     : x < 96 ? action::request
                              : action::cancel_parent);
    }
    bool abandon = pick(6) == 0;
    auto error_task = [&, cp = cancel_parent](action a) {
      return [&system, shared, cp, a](const context& ctx) {
        return run_action(system, ctx, a, *shared, cp, 0);
      };
    };
    auto value_task = [&](action a) {
      return [f = error_task(a)](const context& ctx) mutable -> expected<int> {
        if (auto e = f(ctx))
          return e;
        return 1;
      };
    };
    round_result res;
    {
      auto ex = kind == 2 ? parallel::unlimited(system, parent)
                          : parallel::limited(system, parent, bound);
      switch (pick(4)) {
        case 0:
          res = drive(err_group{ex}, plan, error_task, abandon, st, service);
          break;
        case 1:
          res = drive(gather_errs{ex}, plan, error_task, abandon, st, service);
          break;
        case 2:
          res = drive(collect<int>{ex}, plan, value_task, abandon, st, service);
          break;
        default:
          res = drive(feed<int>{ex, [](const context&, int) {}}, plan, value_task,
                      abandon, st, service);
      }
    }
    if (res.waited) {
      auto& s = res.stats;
      CHECK(s.running == 0);
      CHECK(s.submitted == s.succeeded + s.failed + s.panicked + s.skipped);
      CHECK((s.panicked > 0) == res.threw);
      if (kind == 1)
        CHECK(s.peak_in_flight <= bound);
      if (kind == 0)
        CHECK(s.peak_in_flight <= 1);
    }
    if (kind == 1)
      CHECK(st.meter.peak <= static_cast<int>(bound));
    CHECK(st.late_starts == 0);
  }
  caf::anon_send_exit(service, caf::exit_reason::user_shutdown);
  service = nullptr;
  quiesce(); // every actor of every group (also the abandoned ones) is gone
  CHECK(sys.registry().running() == 0);
}
