// The timeline: lanes, and an SVG that is well-formed XML with one span per
// call that started.
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>

#include "report.hpp"
#include "svg_util.hpp"
#include "test_util.hpp"
#include "timeline.hpp"
#include "xml_check.hpp"

using sim_test::check_xml;
using sim_test::count_of;

namespace {

sim::span make_span(std::uint64_t call, double start, double end,
                    sim::span_outcome o = sim::span_outcome::ok) {
  sim::span s;
  s.call = call;
  s.start_ms = s.begin_ms = start;
  s.end_ms = s.service_end_ms = end;
  s.outcome = o;
  return s;
}

} // namespace

TEST_CASE("lanes: the lowest free lane, in start order", "[timeline]") {
  std::vector<sim::span> spans{
    make_span(0, 0, 10), make_span(1, 0, 5), make_span(2, 5, 8), // 2 reuses lane 1
    make_span(3, 6, 9),                                          // lane 2: 0 and 1 busy
    make_span(4, 10, 12),                                        // lane 0 again
  };
  CHECK(sim::assign_lanes(spans) == 3);
  CHECK(spans[0].lane == 0);
  CHECK(spans[1].lane == 1);
  CHECK(spans[2].lane == 1);
  CHECK(spans[3].lane == 2);
  CHECK(spans[4].lane == 0);
  std::vector<sim::span> none;
  CHECK(sim::assign_lanes(none) == 0);
}

TEST_CASE("the SVG is well-formed, escaped, one rect per span", "[timeline]") {
  std::vector<sim::span> a{make_span(0, 0, 5), make_span(1, 1, 4, sim::span_outcome::failed),
                           make_span(2, 2, 2, sim::span_outcome::panicked)};
  auto c = make_span(3, 1, 3, sim::span_outcome::cancelled);
  c.service_end_ms = 9; // the service kept working
  a.push_back(c);
  auto q = make_span(4, 0, 6);
  q.begin_ms = 3; // queued at the service
  a.push_back(q);
  std::vector<sim::span> b; // a configuration where nothing started
  auto lanes = sim::assign_lanes(a);
  std::vector<sim::timeline_section> sections{
    {"limited(3) <err_group> & \"co\"", "6 ms", 6.0, lanes, 3, &a},
    {"nothing", "0 calls", 0.0, 0, 0, &b},
  };
  std::ostringstream out;
  sim::write_timeline_svg(out, "title with <tags> & 'quotes'", {"svc<1>", "b&b"}, sections);
  auto svg = out.str();
  auto x = check_xml(svg);
  INFO(x.error);
  CHECK(x.ok);
  CHECK(count_of(svg, "class=\"span ") == 5);
  CHECK(count_of(svg, "class=\"span ok\"") == 2);
  CHECK(count_of(svg, "class=\"span failed\"") == 1);
  CHECK(count_of(svg, "class=\"span panicked\"") == 1);
  CHECK(count_of(svg, "class=\"span cancelled\"") == 1);
  CHECK(count_of(svg, "class=\"tail\"") == 1);
  CHECK(count_of(svg, "class=\"queued\"") == 1);
  CHECK(count_of(svg, "<g class=\"section\"") == 2);
  CHECK(svg.find("&lt;err_group&gt; &amp; &quot;co&quot;") != std::string::npos);
}

TEST_CASE("text that is not UTF-8, or not allowed in XML, is replaced", "[timeline]") {
  // A scenario's file name may have any bytes, and it titles the picture.
  auto title = std::string{"a\xFF b\xEF\xBF\xBF c\xC2\x9B d\xE2\x82"};
  CHECK(sim::svg::escape(title) == "a\uFFFD b\uFFFD c\xC2\x9B d\uFFFD\uFFFD");
  std::ostringstream out;
  std::vector<sim::span> none;
  std::vector<sim::timeline_section> sections{{"x", "0 calls", 0.0, 0, 0, &none}};
  sim::write_timeline_svg(out, title, {"svc"}, sections);
  auto x = check_xml(out.str());
  INFO(x.error);
  CHECK(x.ok);
  CHECK(out.str().find('\xFF') == std::string::npos);
  CHECK(sim::json_string("a\xFF" "b") == "\"a\\ufffdb\"");
}

TEST_CASE("the XML check rejects broken XML", "[timeline]") {
  CHECK(check_xml("<a><b/></a>").ok);
  CHECK(check_xml("<?xml version=\"1.0\"?>\n<a x=\"1\">t &amp; u</a>\n").ok);
  CHECK_FALSE(check_xml("<a><b></a>").ok);
  CHECK_FALSE(check_xml("<a x=1/>").ok);
  CHECK_FALSE(check_xml("<a>x & y</a>").ok);
  CHECK_FALSE(check_xml("<a/><b/>").ok);
  CHECK_FALSE(check_xml("<a x=\"1\" x=\"2\"/>").ok);
  CHECK_FALSE(check_xml("<a>").ok);
}

TEST_CASE("parallel-sim --timeline: one span per started call", "[timeline][cli]") {
  sim_test::temp_dir dir;
  auto scenario = dir.write("t.toml", R"(
title = "timeline <test> & co"
seed = 3
[services.profile]
latency = { dist = "uniform", min_ms = 1, max_ms = 3 }
failure_rate = 0.05
exception_rate = 0.01
[services.slow]
latency = { dist = "fixed", ms = 2 }
capacity = 3
[workload]
items = 60
fetch = ["profile", "slow"]
[[config]]
executor = "limited"
bound = 10
wrapper = "gather_errs"
exception_rate = 0.0
[[config]]
executor = "limited"
bound = 10
wrapper = "err_group"
[[config]]
executor = "limited"
bound = 4
wrapper = "collect_with_errs"
nested = true
inner_bound = 2
)");
  auto svg_path = dir.file("t.svg");
  auto r = sim_test::run_cli({scenario, "--format", "json", "--timeline", svg_path});
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  auto svg = sim_test::read_file(svg_path);
  auto x = check_xml(svg);
  INFO(x.error);
  REQUIRE(x.ok);
  // Started calls per configuration, from the JSON report.
  std::regex counts{R"re("ok": (\d+),\s*"failed": (\d+),\s*"cancelled": (\d+),\s*"panicked": (\d+),)re"};
  std::vector<std::size_t> started;
  for (std::sregex_iterator i{r.out.begin(), r.out.end(), counts}, end; i != end; ++i)
    started.push_back(std::stoul((*i)[1]) + std::stoul((*i)[2]) + std::stoul((*i)[3])
                      + std::stoul((*i)[4]));
  REQUIRE(started.size() == 4); // serial baseline + 3
  // Split the SVG into its sections and count the spans of each.
  std::vector<std::size_t> spans;
  const std::string marker = "<g class=\"section\"";
  for (auto at = svg.find(marker); at != std::string::npos;) {
    auto next = svg.find(marker, at + 1);
    auto part = svg.substr(at, next == std::string::npos ? std::string::npos : next - at);
    spans.push_back(count_of(part, "class=\"span "));
    at = next;
  }
  CHECK(spans == started);
}

TEST_CASE("the bars per outcome equal the counts in the table", "[timeline][cli]") {
  // Many calls answered at about the same moment as the first error: replies
  // race the library's asynchronous cancellation. Those that win are counted
  // ok by stats() and must be drawn ok, whatever the time stamps say.
  sim_test::temp_dir dir;
  auto scenario = dir.write("race.toml", R"(
[services.profile]
latency = { dist = "uniform", min_ms = 1, max_ms = 2 }
failure_rate = 0.02
[workload]
items = 600
fetch = ["profile"]
[[config]]
executor = "unlimited"
wrapper = "err_group"
[[config]]
executor = "limited"
bound = 100
wrapper = "err_group"
[[config]]
executor = "limited"
bound = 100
wrapper = "feed"
[[config]]
executor = "limited"
bound = 50
wrapper = "err_group"
nested = true
[[config]]
executor = "unlimited"
wrapper = "gather_errs"
)");
  const char* outcomes[] = {"ok", "failed", "cancelled", "panicked"};
  for (auto seed : {"1", "2", "3", "4"}) {
    INFO("seed " << seed);
    auto svg_path = dir.file("race.svg");
    auto r = sim_test::run_cli({scenario, "--seed", seed, "--format", "json", "--timeline",
                                svg_path});
    REQUIRE(r.status == 0);
    // Per configuration: ok, failed, cancelled, panicked from the JSON report.
    std::regex counts{R"re("ok": (\d+),\s*"failed": (\d+),\s*"cancelled": (\d+),\s*"panicked": (\d+),)re"};
    std::vector<std::vector<std::size_t>> reported;
    for (std::sregex_iterator i{r.out.begin(), r.out.end(), counts}, end; i != end; ++i)
      reported.push_back({std::stoul((*i)[1]), std::stoul((*i)[2]), std::stoul((*i)[3]),
                          std::stoul((*i)[4])});
    REQUIRE(reported.size() == 6); // serial baseline + 5
    // The same from the bars of each section of the SVG.
    auto svg = sim_test::read_file(svg_path);
    std::vector<std::vector<std::size_t>> drawn;
    const std::string marker = "<g class=\"section\"";
    for (auto at = svg.find(marker); at != std::string::npos;) {
      auto next = svg.find(marker, at + 1);
      auto part = svg.substr(at, next == std::string::npos ? std::string::npos : next - at);
      std::vector<std::size_t> row;
      for (auto o : outcomes)
        row.push_back(count_of(part, "class=\"span " + std::string{o} + "\""));
      drawn.push_back(row);
      at = next;
    }
    CHECK(drawn == reported);
  }
}

TEST_CASE("the in-flight curve counts the calls between start and end", "[timeline]") {
  std::vector<sim::span> spans{make_span(0, 0, 10), make_span(1, 0, 5), make_span(2, 5, 8),
                               make_span(3, 6, 9)};
  // Ten slices of 1 ms: 2 in flight until 5 (call 1 hands its slot to call
  // 2 at 5: still 2), 3 from 6 to 8, then 2, then 1.
  auto c = sim::in_flight_curve(spans, 10, 10);
  CHECK(c == std::vector<std::size_t>{2, 2, 2, 2, 2, 2, 3, 3, 2, 1});
  CHECK(sim::in_flight_curve({}, 10, 4) == std::vector<std::size_t>{0, 0, 0, 0});
  // The curve's peak is the lanes' count.
  auto lanes = sim::assign_lanes(spans);
  CHECK(*std::max_element(c.begin(), c.end()) == lanes);
}

TEST_CASE("every section shares one time axis, the longest run's", "[timeline]") {
  std::vector<sim::span> slow{make_span(0, 0, 400), make_span(1, 400, 800)};
  std::vector<sim::span> fast{make_span(0, 0, 40), make_span(1, 0, 40)};
  sim::assign_lanes(slow);
  sim::assign_lanes(fast);
  std::vector<sim::timeline_section> sections{
    {"limited(1)", "800 ms", 800.0, 1, 1, &slow},
    {"limited(2)", "40 ms", 40.0, 2, 2, &fast},
  };
  std::ostringstream out;
  sim::write_timeline_svg(out, "axis", {"svc"}, sections);
  auto svg = out.str();
  auto x = check_xml(svg);
  INFO(x.error);
  CHECK(x.ok);
  CHECK(count_of(svg, "data-axis-ms=\"800\"") == 2);
  // The short run's wall line sits at 40/800 of the axis (20 + 920 x 0.05),
  // and its own duration is noted beside it.
  CHECK(count_of(svg, "<line class=\"wall\" x1=\"66\"") == 1);
  CHECK(svg.find("40 ms (5% of the axis)") != std::string::npos);
  CHECK(count_of(svg, "class=\"inflight\" data-peak=\"2\"") == 1);
  CHECK(count_of(svg, "class=\"bound\" data-bound=\"2\"") == 1);
}

TEST_CASE("past 200 lanes, lanes share rows and the section says so", "[timeline]") {
  std::vector<sim::span> spans;
  for (std::uint64_t i = 0; i < 1000; ++i)
    spans.push_back(make_span(i, 0, 5));
  auto lanes = sim::assign_lanes(spans);
  REQUIRE(lanes == 1000);
  std::vector<sim::timeline_section> sections{{"unlimited", "5 ms", 5.0, lanes, 0, &spans}};
  std::ostringstream out;
  sim::write_timeline_svg(out, "many", {"svc"}, sections);
  auto svg = out.str();
  CHECK(check_xml(svg).ok);
  CHECK(svg.find("1000 lanes drawn 5 to a row") != std::string::npos);
  CHECK(count_of(svg, "class=\"span ok\"") == 1000); // every call is still drawn
  CHECK(count_of(svg, "class=\"bound\"") == 0);      // unlimited: no bound line
}

TEST_CASE("small text: one lane, one call, the first item", "[timeline][cli]") {
  sim_test::temp_dir dir;
  auto scenario = dir.write("one.toml", R"(
[services.p]
latency = { dist = "fixed", ms = 1 }
[workload]
items = 3
fetch = ["p"]
serial_sample = 1
[[config]]
executor = "limited"
bound = 1
wrapper = "collect"
)");
  auto svg_path = dir.file("one.svg");
  auto r = sim_test::run_cli({scenario, "--timeline", svg_path});
  REQUIRE(r.status == 0);
  auto svg = sim_test::read_file(svg_path);
  CHECK(svg.find("(the first item only), 1 call started, 1 lane,") != std::string::npos);
  CHECK(svg.find(" 1 lanes") == std::string::npos);
  CHECK(svg.find(" 1 calls") == std::string::npos);
  CHECK(r.out.find("3 values, in submission order") != std::string::npos);
  CHECK(r.out.find("3 items x [p] = 3 calls") != std::string::npos);
}
