// The program: the default run, the shipped scenarios, JSON, --seed.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <string>

#include "scenario.hpp"
#include "test_util.hpp"

#ifndef SIM_SCENARIO_DIR
#  error "SIM_SCENARIO_DIR must name examples/scenarios"
#endif

namespace {

std::vector<std::string> shipped_scenarios() {
  std::vector<std::string> out;
  for (auto& e : std::filesystem::directory_iterator{SIM_SCENARIO_DIR})
    if (e.path().extension() == ".toml")
      out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("the default run completes", "[cli]") {
  auto r = sim_test::run_cli({});
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  for (auto row : {"serial", "unlimited", "limited(10)", "limited(50)", "limited(100)",
                   "limited(50), 1% fail  err_group", "limited(50), 1% fail  gather_errs"})
    CHECK(r.out.find(row) != std::string::npos);
  CHECK(r.out.find("ran only the first 100 of 1000 items") != std::string::npos);
  CHECK(r.out.find("What happened:") != std::string::npos);
  // gather_errs runs every call of the 1% failure config.
  std::regex gather{R"(limited\(50\), 1% fail\s+gather_errs\s+1000\s+\S+ ms\s+\S+\s+\S+\s+(\d+)\s+(\d+)\s+0\s+0\s+0\s+50)"};
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m, gather));
  CHECK(std::stoul(m[1]) + std::stoul(m[2]) == 1000);
  CHECK(std::stoul(m[2]) > 0);
}

TEST_CASE("the built-in default is friends.toml", "[cli]") {
  auto file = sim_test::read_file(std::string{SIM_SCENARIO_DIR} + "/friends.toml");
  CHECK(sim::default_scenario_text() == file);
  auto sc = sim::default_scenario();
  CHECK(sc.workload.calls() == 1000);
  CHECK(sc.workload.serial_sample == 100);
}

TEST_CASE("every shipped scenario parses", "[cli]") {
  auto files = shipped_scenarios();
  CHECK(files.size() >= 6);
  for (auto& f : files) {
    INFO(f);
    CHECK_NOTHROW(sim::parse_scenario_file(f));
    auto sc = sim::parse_scenario_file(f);
    CHECK_FALSE(sc.title.empty());
    // A comparison has several configurations; a sweep runs one at many bounds.
    if (sc.sweep)
      CHECK(sc.configs.size() >= 1);
    else
      CHECK(sc.configs.size() >= 3);
  }
}

TEST_CASE("json output and the seed option", "[cli]") {
  sim_test::temp_dir dir;
  auto path = dir.write("s.toml", R"(
title = "json \"test\""
[services.profile]
latency = { dist = "fixed", ms = 1 }
failure_rate = 0.1
[workload]
items = 80
fetch = ["profile"]
[[config]]
executor = "limited"
bound = 8
wrapper = "gather_errs"
)");
  auto failed = [](const std::string& out) {
    std::regex re{R"re("failed": (\d+))re"};
    std::vector<std::string> xs;
    for (std::sregex_iterator i{out.begin(), out.end(), re}, end; i != end; ++i)
      xs.push_back((*i)[1]);
    return xs;
  };
  auto a = sim_test::run_cli({path, "--format", "json", "--seed", "5"});
  auto b = sim_test::run_cli({path, "--format", "json", "--seed", "5"});
  REQUIRE(a.status == 0);
  REQUIRE(b.status == 0);
  CHECK(a.out.front() == '{');
  CHECK(a.out.find("\"title\": \"json \\\"test\\\"\"") != std::string::npos);
  CHECK(a.out.find("\"seed\": 5,") != std::string::npos);
  CHECK(a.out.find("\"wrapper\": \"gather_errs\"") != std::string::npos);
  // The estimate made before the run: 80 calls of 1 ms, 8 at a time, each
  // holding its slot 0.15 ms longer: 10 rounds of 1.15 ms.
  CHECK(a.out.find("\"estimate_ms\": 11.5,") != std::string::npos);
  CHECK(failed(a.out) == failed(b.out));
  CHECK(failed(a.out).size() == 2);
  // Without --seed, the scenario's seed (default 1).
  auto c = sim_test::run_cli({path, "--format", "json"});
  CHECK(c.out.find("\"seed\": 1,") != std::string::npos);
}

TEST_CASE("a run estimated over --max-time is refused before it starts", "[cli]") {
  sim_test::temp_dir dir;
  // normal(mean 0, sd 60 s): a few calls of up to a minute each, 2,000 of
  // them serially: hours.
  auto hours = dir.write("hours.toml", R"(
[services.p]
latency = { dist = "normal", mean_ms = 0, stddev_ms = 60000 }
[workload]
items = 2000
fetch = ["p"]
[[config]]
executor = "limited"
bound = 4
)");
  auto r = sim_test::run_cli({hours});
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(std::regex_match(r.err, std::regex{R"(parallel-sim: this run would take about [0-9.]+ (h|days) \(estimated from the drawn latencies, bounds and capacities\), over --max-time 60.0 s: raise --max-time \(0: no limit\) or make the scenario smaller\n)"}));
  // The default's sweep of 50 bounds: about 23 s.
  r = sim_test::run_cli({"--sweep", "bound=1..50", "--max-time", "10"});
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(std::regex_match(r.err, std::regex{R"(parallel-sim: this run would take about 2\d\.\d s .*over --max-time 10.0 s.*\n)"}));
  // A small run passes a small limit; 0 is no limit.
  auto small = dir.write("small.toml", R"(
[services.p]
latency = { dist = "fixed", ms = 2 }
[workload]
items = 10
fetch = ["p"]
[[config]]
executor = "unlimited"
)");
  CHECK(sim_test::run_cli({small, "--max-time", "0.001"}).status == 2);
  r = sim_test::run_cli({small, "--max-time", "0.0000001"});
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "parallel-sim: --max-time: 0.0000001 s is below 1 ms, which no run "
                 "fits; give at least 0.001 (0: no limit)\n");
  CHECK(sim_test::run_cli({small, "--max-time", "5"}).status == 0);
  CHECK(sim_test::run_cli({small, "--max-time", "0"}).status == 0);
  for (auto bad : {"abc", "-1", "1e3", ""}) {
    INFO(bad);
    r = sim_test::run_cli({small, "--max-time", bad});
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("parallel-sim: --max-time: expected seconds", 0) == 0);
  }
}
