// The serial baseline, speed-up and vs ideal: they compare whole workloads,
// so neither is shown for a run that stopped early, and the baseline is a
// run that cannot stop early.
#include <catch2/catch.hpp>

#include <regex>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "runner.hpp"
#include "scenario.hpp"
#include "test_util.hpp"

namespace {

const std::string service = R"(
[services.p]
latency = { dist = "fixed", ms = 1 }
failure_rate = 0.05
[workload]
items = 100
fetch = ["p"]
)";

// A serial err_group over calls that fail: it stops at the first failure.
const std::string serial_stops = service + R"(
[[config]]
executor = "serial"
wrapper = "err_group"
[[config]]
executor = "limited"
bound = 10
wrapper = "gather_errs"
)";

std::vector<std::string> json_values(const std::string& out, const std::string& key) {
  std::regex re{"\"" + key + "\": ([^,\\n]+)"};
  std::vector<std::string> xs;
  for (std::sregex_iterator i{out.begin(), out.end(), re}, end; i != end; ++i)
    xs.push_back((*i)[1]);
  return xs;
}

} // namespace

TEST_CASE("the baseline is a serial run that cannot stop early", "[baseline]") {
  // The first serial configuration would stop at its first failure: a plain
  // serial baseline is added in front.
  auto sc = sim::parse_scenario_text(serial_stops, "s.toml");
  REQUIRE(sc.configs.size() == 3);
  CHECK(sc.baseline == 0);
  CHECK(sc.configs[0].baseline);
  CHECK(sc.configs[0].wrapper == sim::wrapper_kind::executor);

  // err_group without failures, or gather_errs with them, run every call.
  auto no_fail = sim::parse_scenario_text(service + R"(
[[config]]
executor = "serial"
wrapper = "err_group"
failure_rate = 0.0
[[config]]
executor = "serial"
wrapper = "gather_errs"
)",
                                          "n.toml");
  REQUIRE(no_fail.configs.size() == 2);
  CHECK(no_fail.baseline == 0);
  CHECK_FALSE(no_fail.configs[0].baseline);

  // A call that may throw stops any wrapper; a nested serial run is no
  // baseline either: the first flat one that cannot stop is taken.
  auto later = sim::parse_scenario_text(service + R"(
[[config]]
executor = "serial"
wrapper = "gather_errs"
exception_rate = 0.01
[[config]]
executor = "serial"
wrapper = "gather_errs"
nested = true
[[config]]
executor = "serial"
wrapper = "collect_with_errs"
)",
                                        "l.toml");
  REQUIRE(later.configs.size() == 3);
  CHECK(later.baseline == 2);
}

TEST_CASE("no speed-up or vs ideal for a run that stopped early", "[baseline]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto sc = sim::parse_scenario_text(serial_stops, "s.toml");
  auto r = sim::run_scenario(sys, sc, {1, nullptr});
  REQUIRE(r.configs.size() == 3);
  auto& base = r.configs[0];
  REQUIRE(base.complete);
  REQUIRE(base.speedup);
  CHECK(*base.speedup == 1.0);
  REQUIRE(base.ratio);
  auto& stopped = r.configs[1];
  REQUIRE(stopped.stop_ms); // 5% of 100 calls fail: seed 1 has failures
  CHECK_FALSE(stopped.complete);
  CHECK_FALSE(stopped.speedup);
  CHECK_FALSE(stopped.ratio);
  auto& all = r.configs[2];
  CHECK(all.complete);
  REQUIRE(all.speedup);
  CHECK(*all.speedup > 1.0); // 10 at once vs one at a time
  CHECK(all.ratio);

  // The JSON says null where the table says "-".
  sim_test::temp_dir dir;
  auto path = dir.write("s.toml", serial_stops);
  auto j = sim_test::run_cli({path, "--format", "json", "--seed", "1"});
  REQUIRE(j.status == 0);
  auto speedups = json_values(j.out, "speedup");
  auto ratios = json_values(j.out, "ratio_to_ideal");
  REQUIRE(speedups.size() == 3);
  REQUIRE(ratios.size() == 3);
  CHECK(speedups[0] == "1");
  CHECK(speedups[1] == "null");
  CHECK(speedups[2] != "null");
  CHECK(ratios[1] == "null");
  CHECK(ratios[2] != "null");
  auto t = sim_test::run_cli({path, "--seed", "1"});
  REQUIRE(t.status == 0);
  std::regex row{R"(serial\s+err_group\s+100\s+\S+ ms\s+-\s+-\s)"};
  CHECK(std::regex_search(t.out, row));
}

TEST_CASE("no vs ideal when the ideal is 0", "[baseline]") {
  sim_test::temp_dir dir;
  auto path = dir.write("zero.toml", R"(
[services.p]
latency = { dist = "fixed", ms = 0 }
[workload]
items = 20
fetch = ["p"]
[[config]]
executor = "limited"
bound = 4
wrapper = "gather_errs"
)");
  auto j = sim_test::run_cli({path, "--format", "json"});
  REQUIRE(j.status == 0);
  auto ratios = json_values(j.out, "ratio_to_ideal");
  REQUIRE(ratios.size() == 2);
  CHECK(ratios[0] == "null");
  CHECK(ratios[1] == "null");
  auto t = sim_test::run_cli({path});
  REQUIRE(t.status == 0);
  std::regex row{R"(limited\(4\)\s+gather_errs\s+20\s+\S+ m?s\s+\S+\s+-\s)"};
  CHECK(std::regex_search(t.out, row));
}

TEST_CASE("a serial sample is scaled by drawn latency (not by item count)", "[baseline]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto sc = sim::parse_scenario_text(R"(
seed = 3
[services.p]
latency = { dist = "uniform", min_ms = 0, max_ms = 20 }
[workload]
items = 40
fetch = ["p"]
serial_sample = 4
[[config]]
executor = "limited"
bound = 8
)",
                                     "sample.toml");
  auto p = sim::draw_plan(sc, sc.seed);
  double all = 0, first4 = 0;
  for (std::size_t i = 0; i < p.calls.size(); ++i) {
    all += p.calls[i].latency_ms;
    first4 += i < 4 ? p.calls[i].latency_ms : 0;
  }
  REQUIRE(std::abs(all / first4 - 10.0) > 0.5); // the item count would be wrong here
  auto r = sim::run_scenario(sys, sc, {sc.seed, nullptr});
  auto& serial = r.configs[0];
  REQUIRE(serial.sampled);
  REQUIRE(serial.extrapolated);
  REQUIRE(serial.measured_ms >= first4);
  auto per_call = (serial.measured_ms - first4) / 4;
  CHECK(serial.wall_ms == Approx(all + 40 * per_call));
  CHECK(serial.scale == Approx(serial.wall_ms / serial.measured_ms));
}

TEST_CASE("a sample of near-zero latencies scales its cost per call, not by latency",
          "[baseline]") {
  // 4 sampled calls of 1 us each that took 0.6 ms in all (0.15 ms a call of
  // overhead), then 36 calls of 1 ms: about 36 + 40 x 0.15 ms, where the
  // ratio of latencies would have made it 9,000 times 0.6 ms.
  sim::plan p;
  p.calls.resize(40);
  for (std::size_t i = 0; i < p.calls.size(); ++i)
    p.calls[i].latency_ms = i < 4 ? 0.001 : 1.0;
  CHECK(sim::extrapolate_serial_ms(p, 4, 0.604) == Approx(36.004 + 40 * 0.15));
  // A measurement below the sample's latencies adds no negative cost.
  CHECK(sim::extrapolate_serial_ms(p, 4, 0.001) == Approx(36.004));
  // Every call sampled: the measurement itself.
  CHECK(sim::extrapolate_serial_ms(p, 40, 50.0) == Approx(50.0));
}

TEST_CASE("the progress label names the wrapper", "[cli]") {
  auto sc = sim::parse_scenario_text(serial_stops, "s.toml");
  CHECK(sim::progress_label(sc, 1) == "[2/3] serial err_group");
  CHECK(sim::progress_label(sc, 2) == "[3/3] limited(10) gather_errs");
}
