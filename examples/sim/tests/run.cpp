// Scenarios run end to end on real groups and service actors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "plan.hpp"
#include "runner.hpp"
#include "scenario.hpp"

namespace {

struct system_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
};

// The index of the first call planned as `p` under `cfg`, or calls.size().
std::size_t first_planned(const sim::scenario& sc, const sim::plan& p,
                          const sim::config_spec& cfg, sim::planned what) {
  for (std::size_t i = 0; i < p.calls.size(); ++i)
    if (sim::outcome_of(p.calls[i], sc, cfg) == what)
      return i;
  return p.calls.size();
}

std::size_t count_planned(const sim::scenario& sc, const sim::plan& p,
                          const sim::config_spec& cfg, sim::planned what,
                          std::size_t end = SIZE_MAX) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < std::min(end, p.calls.size()); ++i)
    n += sim::outcome_of(p.calls[i], sc, cfg) == what ? 1 : 0;
  return n;
}

// "profile: simulated failure (call N)" -> N
std::size_t call_of(const std::string& cause) {
  auto at = cause.find("(call ");
  REQUIRE(at != std::string::npos);
  return std::stoul(cause.substr(at + 6));
}

void check_sums(const sim::config_result& c) {
  INFO(c.cfg.display_label() << " " << to_string(c.cfg.wrapper));
  CHECK(c.counts.total() == c.calls);
  CHECK(c.spans.size() == c.counts.ok + c.counts.failed + c.counts.cancelled
                            + c.counts.panicked);
}

const char* errors_scenario = R"(
seed = 45
[services.profile]
latency = { dist = "fixed", ms = 1 }
failure_rate = 0.05

[workload]
items = 200
fetch = ["profile"]

[[config]]
executor = "serial"
wrapper = "gather_errs"

[[config]]
executor = "limited"
bound = 8
wrapper = "gather_errs"

[[config]]
executor = "limited"
bound = 8
wrapper = "executor"

[[config]]
executor = "serial"
wrapper = "err_group"

[[config]]
executor = "limited"
bound = 8
wrapper = "collect_with_errs"

[[config]]
executor = "unlimited"
wrapper = "feed_with_errs"

[[config]]
executor = "limited"
bound = 8
wrapper = "err_group"
)";

} // namespace

TEST_CASE("a fixed seed gives the expected counts", "[run]") {
  system_fixture f;
  auto sc = sim::parse_scenario_text(errors_scenario, "errors.toml");
  REQUIRE(sc.configs.size() == 7);
  REQUIRE(sc.baseline == 0);
  auto p = sim::draw_plan(sc, sc.seed);
  auto& base = sc.configs[0];
  auto failures = count_planned(sc, p, base, sim::planned::fail);
  auto first_failure = first_planned(sc, p, base, sim::planned::fail);
  // A snapshot of the draws for seed 45: the plan is portable (mt19937_64
  // and our own transforms), so these hold on every platform.
  CHECK(failures == 9);
  CHECK(first_failure == 32);

  auto r = sim::run_scenario(f.sys, sc, {sc.seed, nullptr});
  REQUIRE(r.configs.size() == 7);
  for (auto& c : r.configs)
    check_sums(c);

  // Wrappers that never stop: every call runs, exactly the planned ones fail.
  for (std::size_t i : {0, 1, 2, 4, 5}) {
    auto& c = r.configs[i];
    INFO(c.cfg.display_label() << " " << to_string(c.cfg.wrapper));
    CHECK(c.counts.ok == 200 - failures);
    CHECK(c.counts.failed == failures);
    CHECK(c.counts.cancelled == 0);
    CHECK(c.counts.skipped == 0);
    CHECK(c.counts.panicked == 0);
    CHECK_FALSE(c.stop_ms);
  }
  CHECK(r.configs[0].peak == 1);
  CHECK(r.configs[0].lanes == 1);
  CHECK(r.configs[1].peak == 8);
  CHECK(r.configs[1].lanes <= 8);
  CHECK(r.configs[5].peak <= 200);
  CHECK(r.configs[1].returned.find("a multi_error of 9 errors") == 0);
  CHECK(r.configs[4].returned.find("191 values and a multi_error of 9 errors") == 0);
  CHECK(r.configs[5].returned.find("the receiver got 191 values") == 0);

  // Serial err_group: stops at the first planned failure, exactly.
  auto& serial_stop = r.configs[3];
  CHECK(serial_stop.counts.ok == first_failure);
  CHECK(serial_stop.counts.failed == 1);
  CHECK(serial_stop.counts.cancelled == 0);
  CHECK(serial_stop.counts.skipped == 200 - first_failure - 1);
  REQUIRE(serial_stop.stop_ms);
  CHECK(serial_stop.stop_cause
        == "profile: simulated failure (call " + std::to_string(first_failure) + ")");
  CHECK(serial_stop.returned == "the first error: " + serial_stop.stop_cause);

  // Limited err_group: stops at some planned failure; what ran is timing.
  auto& stop = r.configs[6];
  REQUIRE(stop.stop_ms);
  CHECK(sim::outcome_of(p.calls[call_of(stop.stop_cause)], sc, stop.cfg)
        == sim::planned::fail);
  CHECK(stop.counts.failed >= 1);
  CHECK(stop.counts.skipped > 0);
  CHECK(stop.peak <= 8);
}

TEST_CASE("the seed makes every draw repeatable", "[run]") {
  auto sc = sim::parse_scenario_text(errors_scenario, "errors.toml");
  auto a = sim::draw_plan(sc, 9);
  auto b = sim::draw_plan(sc, 9);
  auto c = sim::draw_plan(sc, 10);
  REQUIRE(a.calls.size() == b.calls.size());
  bool same = true, differs = false;
  for (std::size_t i = 0; i < a.calls.size(); ++i) {
    same = same && a.calls[i].latency_ms == b.calls[i].latency_ms
           && a.calls[i].u_fail == b.calls[i].u_fail
           && a.calls[i].u_throw == b.calls[i].u_throw;
    differs = differs || a.calls[i].u_fail != c.calls[i].u_fail;
  }
  CHECK(same);
  CHECK(differs);
}

TEST_CASE("each service draws from its own stream", "[run]") {
  auto one = sim::parse_scenario_text(R"(
[services.a]
latency = { dist = "log-normal", mean_ms = 5, stddev_ms = 2 }
[workload]
items = 50
fetch = ["a"]
[[config]]
executor = "unlimited"
)",
                                      "one.toml");
  auto two = sim::parse_scenario_text(R"(
[services.a]
latency = { dist = "log-normal", mean_ms = 5, stddev_ms = 2 }
[services.b]
latency = { dist = "uniform", min_ms = 1, max_ms = 9 }
[workload]
items = 50
fetch = ["a", "b"]
[[config]]
executor = "unlimited"
)",
                                      "two.toml");
  auto p1 = sim::draw_plan(one, 1);
  auto p2 = sim::draw_plan(two, 1);
  for (std::size_t i = 0; i < 50; ++i) {
    CHECK(p1.calls[i].latency_ms == p2.calls[2 * i].latency_ms);
    CHECK(p2.calls[2 * i + 1].latency_ms >= 1);
    CHECK(p2.calls[2 * i + 1].latency_ms <= 9);
  }
}

TEST_CASE("a service added before the others leaves their draws alone", "[run]") {
  // toml++ orders tables by name: "a" before "z" would have taken z's stream
  // when streams were numbered by position.
  auto one = sim::parse_scenario_text(R"(
[services.z]
latency = { dist = "uniform", min_ms = 1, max_ms = 9 }
failure_rate = 0.5
[workload]
items = 50
fetch = ["z"]
[[config]]
executor = "unlimited"
)",
                                      "one.toml");
  auto two = sim::parse_scenario_text(R"(
[services.z]
latency = { dist = "uniform", min_ms = 1, max_ms = 9 }
failure_rate = 0.5
[services.a]
latency = { dist = "uniform", min_ms = 1, max_ms = 9 }
[workload]
items = 50
fetch = ["a", "z"]
[[config]]
executor = "unlimited"
)",
                                      "two.toml");
  // Services are listed in file order, not name order.
  REQUIRE(two.services.size() == 2);
  CHECK(two.services[0].name == "z");
  CHECK(two.services[1].name == "a");
  CHECK(two.workload.fetch == std::vector<std::size_t>{1, 0});
  auto p1 = sim::draw_plan(one, 7);
  auto p2 = sim::draw_plan(two, 7);
  for (std::size_t i = 0; i < 50; ++i) {
    CHECK(p1.calls[i].latency_ms == p2.calls[2 * i + 1].latency_ms);
    CHECK(p1.calls[i].u_fail == p2.calls[2 * i + 1].u_fail);
  }
}

TEST_CASE("latency distributions have the declared means", "[run]") {
  sim::random_stream rs{123};
  for (auto d : {sim::latency_dist{sim::latency_dist::kind::fixed, 5, 0},
                 sim::latency_dist{sim::latency_dist::kind::uniform, 2, 8},
                 sim::latency_dist{sim::latency_dist::kind::normal, 5, 1},
                 sim::latency_dist{sim::latency_dist::kind::log_normal, 5, 3}}) {
    double sum = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
      auto x = rs.draw(d);
      REQUIRE(x >= 0);
      sum += x;
    }
    INFO(d.describe());
    CHECK(sum / n == Approx(d.mean_ms()).epsilon(0.03));
  }
}

TEST_CASE("a log-normal latency with a tiny mean draws finite delays", "[run]") {
  // stddev/mean beyond 1e154: its square overflows a double.
  sim::random_stream rs{7};
  for (auto d : {sim::latency_dist{sim::latency_dist::kind::log_normal, 1e-160, 1},
                 sim::latency_dist{sim::latency_dist::kind::log_normal, 1e-300, 1e3}}) {
    INFO(d.describe());
    for (int i = 0; i < 1000; ++i) {
      auto x = rs.draw(d);
      REQUIRE(std::isfinite(x));
      REQUIRE(x >= 0);
      REQUIRE(x <= 60'000);
    }
  }
}

TEST_CASE("a panic stops every wrapper and wait() rethrows it", "[run]") {
  system_fixture f;
  auto sc = sim::parse_scenario_text(R"(
seed = 4
[services.profile]
latency = { dist = "fixed", ms = 1 }
failure_rate = 0.05
exception_rate = 0.03

[workload]
items = 150
fetch = ["profile"]

[[config]]
executor = "serial"
wrapper = "gather_errs"

[[config]]
executor = "limited"
bound = 6
wrapper = "gather_errs"

[[config]]
executor = "limited"
bound = 6
wrapper = "collect"
)",
                                     "panics.toml");
  // The serial gather_errs may throw: it is no baseline, one is added.
  REQUIRE(sc.configs.size() == 4);
  CHECK(sc.configs[0].baseline);
  auto p = sim::draw_plan(sc, sc.seed);
  auto& serial_cfg = sc.configs[1];
  auto first_throw = first_planned(sc, p, serial_cfg, sim::planned::throw_);
  REQUIRE(first_throw < 150);
  auto r = sim::run_scenario(f.sys, sc, {sc.seed, nullptr});
  for (auto& c : r.configs)
    check_sums(c);

  // Serial: deterministic up to the first throw; later go() calls rethrow.
  CHECK(r.configs[0].counts.ok + r.configs[0].counts.failed == 150);
  auto& s = r.configs[1];
  CHECK(s.threw);
  CHECK(s.counts.panicked == 1);
  CHECK(s.counts.ok == count_planned(sc, p, serial_cfg, sim::planned::ok, first_throw));
  CHECK(s.counts.failed == count_planned(sc, p, serial_cfg, sim::planned::fail, first_throw));
  CHECK(s.counts.skipped == 150 - first_throw - 1);
  CHECK(s.stop_cause == "panicked");
  CHECK(s.returned
        == "wait() rethrew the task's exception: profile: the client code threw (call "
             + std::to_string(first_throw) + ")");

  // Limited: the panic stops even gather_errs; collect may stop at an error
  // before any task throws.
  auto& g = r.configs[2];
  CHECK(g.threw);
  CHECK(g.counts.panicked >= 1);
  CHECK(g.counts.skipped > 0);
  auto& c = r.configs[3];
  CHECK(c.stop_ms);
}

TEST_CASE("nested groups: a child group per item", "[run]") {
  system_fixture f;
  auto sc = sim::parse_scenario_text(R"(
seed = 8
[services.a]
latency = { dist = "fixed", ms = 1 }
failure_rate = 0.1
[services.b]
latency = { dist = "fixed", ms = 2 }
failure_rate = 0.1
[services.c]
latency = { dist = "fixed", ms = 1 }
failure_rate = 0.1

[workload]
items = 30
fetch = ["a", "b", "c"]

[[config]]
executor = "limited"
bound = 4
wrapper = "gather_errs"
nested = true
inner_bound = 3

[[config]]
executor = "limited"
bound = 4
wrapper = "collect_with_errs"
nested = true
inner_bound = 0

[[config]]
executor = "limited"
bound = 4
wrapper = "err_group"
nested = true
inner_bound = 2
)",
                                     "nested.toml");
  REQUIRE(sc.configs.size() == 4); // with the added serial baseline
  auto p = sim::draw_plan(sc, sc.seed);
  auto failures = count_planned(sc, p, sc.configs[1], sim::planned::fail);
  REQUIRE(failures > 0);
  auto r = sim::run_scenario(f.sys, sc, {sc.seed, nullptr});
  for (auto& c : r.configs)
    check_sums(c);

  auto& g = r.configs[1];
  CHECK(g.counts.failed == failures);
  CHECK(g.counts.ok == 90 - failures);
  CHECK(g.peak == 4);
  CHECK(g.inner_peak <= 3);
  CHECK(g.lanes <= 12);
  CHECK(g.returned.find("a multi_error of " + std::to_string(failures) + " errors") == 0);

  auto& cw = r.configs[2];
  CHECK(cw.counts.failed == failures);
  CHECK(cw.inner_peak == 1);
  CHECK(cw.lanes <= 4);

  // err_group: the first failing call stops its child group, whose error
  // stops the outer group, which cancels every other child group.
  auto& e = r.configs[3];
  REQUIRE(e.stop_ms);
  CHECK(sim::outcome_of(p.calls[call_of(e.stop_cause)], sc, e.cfg) == sim::planned::fail);
  CHECK(e.counts.skipped > 0);
  CHECK(e.inner_peak <= 2);
}

TEST_CASE("a service's capacity queues the calls beyond it", "[run]") {
  system_fixture f;
  auto sc = sim::parse_scenario_text(R"(
[services.slow]
latency = { dist = "fixed", ms = 2 }
capacity = 2

[workload]
items = 20
fetch = ["slow"]

[[config]]
executor = "limited"
bound = 10
wrapper = "collect"
)",
                                     "capacity.toml");
  auto p = sim::draw_plan(sc, 1);
  auto c = sim::run_config(f.sys, sc, p, sc.configs[1]);
  check_sums(c);
  CHECK(c.counts.ok == 20);
  CHECK(c.peak == 10);
  CHECK(c.lanes <= 10);
  // 20 calls, 2 at a time, 2 ms each: at least 20 ms whatever the bound.
  CHECK(c.measured_ms >= 19.0);
  auto queued = std::count_if(c.spans.begin(), c.spans.end(), [](const sim::span& s) {
    return s.begin_ms > s.start_ms + 0.5;
  });
  CHECK(queued > 0);
  CHECK(c.returned == "20 values, in submission order");
}

TEST_CASE("the ideal is ceil(calls / bound) x mean latency", "[run]") {
  auto sc = sim::parse_scenario_text(R"(
[services.s]
latency = { dist = "fixed", ms = 4 }
[workload]
items = 25
fetch = ["s", "s"]
[[config]]
executor = "limited"
bound = 8
[[config]]
executor = "unlimited"
[[config]]
executor = "limited"
bound = 10
nested = true
inner_bound = 1
)",
                                     "ideal.toml");
  auto p = sim::draw_plan(sc, 1);
  CHECK(sim::ideal_ms(sc, p, sc.configs[0]) == Approx(50 * 4.0));      // serial
  CHECK(sim::ideal_ms(sc, p, sc.configs[1]) == Approx(7 * 4.0));       // ceil(50/8)
  CHECK(sim::ideal_ms(sc, p, sc.configs[2]) == Approx(4.0));           // all at once
  CHECK(sim::ideal_ms(sc, p, sc.configs[3]) == Approx(3 * 2 * 4.0));   // ceil(25/10) x 2
}
