// Bad scenario input: each gives one line "FILE:LINE:COL: what is wrong" on
// stderr (line and column where known), exit status 2, and nothing on stdout.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <thread>

#include <sys/stat.h>

#include "scenario.hpp"
#include "scenario_error.hpp"
#include "test_util.hpp"
#include "text_escape.hpp"

using sim_test::run_cli;
using sim_test::temp_dir;

namespace {

// A valid scenario to break in one place.
const std::string services = R"([services.profile]
latency = { dist = "fixed", ms = 1 }
)";
const std::string workload = R"(
[workload]
items = 10
fetch = ["profile"]
)";
const std::string config = R"(
[[config]]
executor = "limited"
bound = 2
)";

// `content` in a file fails with `expected` (after "PATH") both from the
// parser and from the program, which prints exactly that line and exits 2.
void check_bad(const std::string& content, const std::string& expected) {
  temp_dir dir;
  auto path = dir.write("bad.toml", content);
  INFO("scenario:\n" << content);
  try {
    sim::parse_scenario_file(path);
    FAIL("no scenario_error");
  } catch (const sim::scenario_error& e) {
    CHECK(std::string{e.what()} == path + expected);
  }
  auto r = run_cli({path});
  CHECK(r.status == 2);
  CHECK(r.err == path + expected + "\n");
  CHECK(r.out.empty());
}

} // namespace

TEST_CASE("the valid base scenario parses", "[parse]") {
  auto sc = sim::parse_scenario_text(services + workload + config, "base.toml");
  REQUIRE(sc.services.size() == 1);
  CHECK(sc.workload.calls() == 10);
  // A serial baseline is added in front of the one configuration.
  REQUIRE(sc.configs.size() == 2);
  CHECK(sc.baseline == 0);
  CHECK(sc.configs[0].executor == sim::executor_kind::serial);
  CHECK(sc.configs[1].bound == 2);
  CHECK(sc.configs[1].wrapper == sim::wrapper_kind::err_group);
}

TEST_CASE("a missing file", "[parse]") {
  temp_dir dir;
  auto path = dir.file("nope.toml");
  auto r = run_cli({path});
  CHECK(r.status == 2);
  CHECK(r.err == path + ": cannot open: no such file\n");
  CHECK(r.out.empty());
  CHECK_THROWS_WITH(sim::parse_scenario_file(path), path + ": cannot open: no such file");
}

TEST_CASE("a directory", "[parse]") {
  temp_dir dir;
  auto path = dir.file("");
  auto r = run_cli({path});
  CHECK(r.status == 2);
  CHECK(r.err == path + ": cannot open: is a directory\n");
}

TEST_CASE("an empty file", "[parse]") {
  const std::string msg = ":1:1: the file is empty (a scenario declares "
                          "[services.NAME], [workload] and [[config]])";
  check_bad("", msg);
  check_bad("  \n\t\n", msg);
}

TEST_CASE("a file with only comments", "[parse]") {
  check_bad("# nothing here\n", ":1:1: the scenario is empty (it declares "
                                "[services.NAME], [workload] and [[config]])");
}

TEST_CASE("a binary file", "[parse]") {
  check_bad(std::string{"title = \"x\"\n\0\0\x01\x02", 16},
            ":2:1: binary file: NUL byte (a scenario is a UTF-8 TOML text file)");
  // The first bytes of a gzip file: 0x1F is ASCII, 0x8B is not UTF-8.
  check_bad(std::string{"\x1f\x8b\x08\x00\x00\x00", 6},
            ":1:2: binary file: invalid UTF-8 byte 0x8B (a scenario is a UTF-8 TOML "
            "text file)");
  check_bad("title = \"caf\xc3\xa9 \xff\"\n",
            ":1:15: binary file: invalid UTF-8 byte 0xFF (a scenario is a UTF-8 TOML "
            "text file)");
}

TEST_CASE("an endless or too large file", "[parse]") {
  // Read in chunks: /dev/zero stops at its first byte instead of filling memory.
  auto r = run_cli({"/dev/zero"});
  CHECK(r.status == 2);
  CHECK(r.err == "/dev/zero:1:1: binary file: NUL byte (a scenario is a UTF-8 TOML text "
                 "file)\n");
  CHECK(r.out.empty());
  // A NUL byte past the first chunk is found while reading, at its position.
  auto lines = std::string(100'000, '\n');
  check_bad(lines + std::string{"x\0", 2}, ":100001:2: binary file: NUL byte (a scenario "
                                           "is a UTF-8 TOML text file)");
  // Exactly the cap is read; one byte more is too large.
  auto base = services + workload + config;
  auto pad = [&](std::size_t size) {
    return base + "#" + std::string(size - base.size() - 2, ' ') + "\n";
  };
  temp_dir dir;
  CHECK_NOTHROW(sim::parse_scenario_file(dir.write("max.toml", pad(sim::max_scenario_bytes))));
  auto big = dir.write("big.toml", pad(sim::max_scenario_bytes + 1));
  CHECK_THROWS_WITH(sim::parse_scenario_file(big), big + ":1:1: file too large (over 1 MiB)");
  r = run_cli({big});
  CHECK(r.status == 2);
  CHECK(r.err == big + ":1:1: file too large (over 1 MiB)\n");
  CHECK(r.out.empty());
}

TEST_CASE("a scenario from a pipe", "[parse]") {
  // parallel-sim <(cat file): the name is a FIFO, read like a file.
  temp_dir dir;
  auto fifo = dir.file("pipe.toml");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::thread writer{[&] {
    std::ofstream out{fifo, std::ios::binary};
    out << services + workload + config;
  }};
  auto sc = sim::parse_scenario_file(fifo);
  writer.join();
  CHECK(sc.workload.calls() == 10);
}

// n parts: "a.a.a...".
std::string dotted(std::size_t n, const std::string& part = "a") {
  std::string out = part;
  for (std::size_t i = 1; i < n; ++i)
    out += "." + part;
  return out;
}

TEST_CASE("a deeply dotted key", "[parse]") {
  // toml++ recurses once per part: these crashed the program (stack overflow).
  const std::string msg = ": a dotted key with more than 64 parts";
  check_bad("[" + dotted(50000) + "]\n", ":1:2" + msg);
  check_bad("title = \"x\"\n" + dotted(100000) + " = 1\n", ":2:1" + msg);
  check_bad("x = 1\n  " + dotted(65, "\"q.q\"") + " = 1\n", ":2:3" + msg);
  check_bad("[[" + dotted(40, "a . b") + "]]\n", ":1:3" + msg);
  // 64 parts pass the text check (and then fail as an unknown key).
  check_bad(dotted(64) + " = 1\n",
            ":1:1: unknown key 'a' in the top level (expected title, description, "
            "seed, services, workload, config or sweep)");
  // Dots in strings, quoted keys and comments are not parts.
  auto many = dotted(1000, "");
  auto ok = "title = \"" + many + "\"\n" + "description = '''\n" + many + "\n'''\n# "
            + many + "\n" + services + workload + config + "label = \"\"\"" + many
            + "\"\"\"\n";
  CHECK_NOTHROW(sim::parse_scenario_text(ok, "dots.toml"));
}

TEST_CASE("a syntax error", "[parse]") {
  check_bad("title = \"x\"\n[workload\n",
            ":2:10: syntax error: Error while parsing table header: expected ']', saw "
            "'\\n'");
  check_bad("[services.profile]\nlatency = { dist = \"fixed\", ms = 5\n",
            ":2:35: syntax error: Error while parsing inline table: expected key or "
            "closing '}', saw '\\n'");
  check_bad("items = = 3\n",
            ":1:9: syntax error: Error while parsing value: could not determine value "
            "type");
}

TEST_CASE("an unknown key", "[parse]") {
  check_bad("colour = 1\n" + services + workload + config,
            ":1:1: unknown key 'colour' in the top level (expected title, description, "
            "seed, services, workload, config or sweep)");
  check_bad(services + "capacty = 3\n" + workload + config,
            ":3:1: unknown key 'capacty' in [services.profile]; did you mean 'capacity'?");
  check_bad(services + workload + config + "wraper = \"collect\"\n",
            ":11:1: unknown key 'wraper' in [[config]]; did you mean 'wrapper'?");
  check_bad("[services.profile]\nlatency = { dist = \"fixed\", mean_ms = 1 }\n" + workload
              + config,
            ":2:29: unknown key 'mean_ms' in latency of [services.profile] (fixed) "
            "(expected dist or ms)");
}

TEST_CASE("a wrong type", "[parse]") {
  check_bad(services + "capacity = \"ten\"\n" + workload + config,
            ":3:12: 'capacity' must be an integer, not a string");
  check_bad(services + "\n[workload]\nitems = 1.5\nfetch = [\"profile\"]\n" + config,
            ":5:9: 'items' must be an integer, not a floating-point number");
  check_bad(services + "\n[workload]\nitems = 10\nfetch = \"profile\"\n" + config,
            ":6:9: 'fetch' must be an array of service names, not a string");
  check_bad("[services.profile]\nlatency = 5\n" + workload + config,
            ":2:11: 'latency' must be a table, not an integer");
  check_bad(services + workload + "\n[config]\nexecutor = \"serial\"\n",
            ":8:1: 'config' must be an array of tables ([[config]]), not a table");
  check_bad(services + "failure_rate = true\n" + workload + config,
            ":3:16: 'failure_rate' must be a number, not a boolean");
}

TEST_CASE("a negative latency", "[parse]") {
  check_bad("[services.profile]\nlatency = { dist = \"normal\", mean_ms = -5, stddev_ms = 1 }\n"
              + workload + config,
            ":2:40: 'mean_ms' must be >= 0, got -5");
  check_bad("[services.profile]\nlatency = { dist = \"fixed\", ms = -0.5 }\n" + workload
              + config,
            ":2:34: 'ms' must be >= 0, got -0.5");
}

TEST_CASE("values out of range", "[parse]") {
  check_bad(services + "failure_rate = 1.5\n" + workload + config,
            ":3:16: 'failure_rate' must be <= 1, got 1.5");
  check_bad(services + "\n[workload]\nitems = 0\nfetch = [\"profile\"]\n" + config,
            ":5:9: 'items' must be >= 1, got 0");
  check_bad(services + workload + "\n[[config]]\nexecutor = \"limited\"\nbound = 0\n",
            ":10:9: 'bound' must be >= 1, got 0");
  check_bad("[services.profile]\nlatency = { dist = \"uniform\", min_ms = 5, max_ms = 2 }\n"
              + workload + config,
            ":2:52: 'max_ms' (2) is less than 'min_ms' (5)");
  check_bad("[services.profile]\nlatency = { dist = \"fixed\", ms = nan }\n" + workload
              + config,
            ":2:34: 'ms' must be a finite number");
}

TEST_CASE("unknown names", "[parse]") {
  check_bad(services + workload + "\n[[config]]\nexecutor = \"limted\"\n",
            ":9:12: unknown executor 'limted' (expected \"serial\", \"limited\" or "
            "\"unlimited\")");
  check_bad(services + workload + config + "wrapper = \"errgroup\"\n",
            ":11:11: unknown wrapper 'errgroup' (expected executor, err_group, "
            "gather_errs, collect, collect_with_errs, feed or feed_with_errs)");
  check_bad("[services.profile]\nlatency = { dist = \"gamma\", ms = 1 }\n" + workload
              + config,
            ":2:20: unknown latency dist 'gamma' (expected \"fixed\", \"uniform\", "
            "\"normal\" or \"log-normal\")");
  check_bad(services + "\n[workload]\nitems = 10\nfetch = [\"profile\", \"avatar\"]\n"
              + config,
            ":6:21: 'fetch' names an unknown service 'avatar'");
}

TEST_CASE("missing and misplaced keys", "[parse]") {
  check_bad(services + workload + "\n[[config]]\nexecutor = \"limited\"\n",
            ":8:1: a limited [[config]] is missing 'bound'");
  check_bad(services + workload + "\n[[config]]\nexecutor = \"unlimited\"\nbound = 3\n",
            ":10:9: 'bound' applies to executor = \"limited\" only");
  check_bad(services + workload + config + "inner_bound = 2\n",
            ":11:15: 'inner_bound' needs nested = true");
  check_bad("[services.profile]\nlatency = { dist = \"fixed\", ms = 1 }\n\n[workload]\n"
            "items = 3\n" + config,
            ":4:1: [workload] is missing 'fetch' (the services each item calls, e.g. "
            "[\"profile\"])");
  // A missing table points at the file's start.
  check_bad(services + config, ":1:1: no [workload] table: declare items and fetch");
  check_bad(services + workload, ":1:1: no [[config]]: declare the configurations to compare");
  check_bad(workload + config, ":1:1: no [services.NAME] table: declare at least one service");
}

TEST_CASE("bad command lines exit 2 with one line", "[cli]") {
  auto r = run_cli({"--format", "xml"});
  CHECK(r.status == 2);
  CHECK(r.err == "parallel-sim: --format: xml not in {table,json} (see --help)\n");
  CHECK(r.out.empty());

  r = run_cli({"--seed", "abc"});
  CHECK(r.status == 2);
  CHECK(r.err == "parallel-sim: --seed: expected an integer from 0 to 2^64-1, got 'abc' "
                 "(see --help)\n");

  r = run_cli({"--seed", "-1"});
  CHECK(r.status == 2);
  CHECK(r.err == "parallel-sim: --seed: expected an integer from 0 to 2^64-1, got '-1' "
                 "(see --help)\n");

  r = run_cli({"--bogus"});
  CHECK(r.status == 2);
  CHECK(r.err == "parallel-sim: The following argument was not expected: --bogus (see "
                 "--help)\n");

  r = run_cli({"a.toml", "b.toml"});
  CHECK(r.status == 2);
  CHECK(r.out.empty());

  r = run_cli({"--help"});
  CHECK(r.status == 0);
  CHECK(r.out.find("Usage: parallel-sim") != std::string::npos);
}

TEST_CASE("an unwritable timeline fails before running", "[cli]") {
  temp_dir dir;
  auto scenario = dir.write("ok.toml", services + workload + config);
  auto svg = dir.file("no/such/dir/t.svg");
  auto r = run_cli({scenario, "--timeline", svg});
  CHECK(r.status == 2);
  CHECK(r.err == svg + ": cannot write: No such file or directory\n");
  CHECK(r.out.empty());
}

TEST_CASE("a picture is never written over the scenario", "[cli]") {
  temp_dir dir;
  auto text = services + workload + config;
  auto scenario = dir.write("ok.toml", text);
  // The same file by another name, too.
  auto other_name = dir.file("./ok.toml");
  for (auto& path : {scenario, other_name}) {
    auto r = run_cli({scenario, "--timeline", path});
    CHECK(r.status == 2);
    CHECK(r.err == "parallel-sim: " + path
                     + ": is the scenario file; write the picture elsewhere (see --help)\n");
    CHECK(r.out.empty());
    CHECK(sim_test::read_file(scenario) == text);
  }
}

TEST_CASE("a picture to a FIFO or through a dangling symlink", "[cli]") {
  temp_dir dir;
  auto scenario = dir.write("ok.toml", services + workload + config);
  // A FIFO is opened once, when the picture is written: its reader gets
  // the whole picture (a probe before the run would have ended its read).
  auto fifo = dir.file("pipe");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string got;
  std::thread reader{[&] { got = sim_test::read_file(fifo); }};
  auto r = run_cli({scenario, "--timeline", fifo});
  reader.join();
  CHECK(r.status == 0);
  CHECK(got.find("</svg>") != std::string::npos);
  // A dangling symlink: the picture is written through it.
  auto target = dir.file("target.svg");
  auto link = dir.file("link.svg");
  std::filesystem::create_symlink(target, link);
  r = run_cli({scenario, "--timeline", link});
  CHECK(r.status == 0);
  CHECK(sim_test::read_file(target).find("</svg>") != std::string::npos);
}

TEST_CASE("empty file names exit 2", "[cli]") {
  // Not "the default scenario" and not "no timeline": an unset variable, say.
  auto r = run_cli({""});
  CHECK(r.status == 2);
  CHECK(r.err == "parallel-sim: cannot open '': the scenario file name is empty (see "
                 "--help)\n");
  CHECK(r.out.empty());
  temp_dir dir;
  auto scenario = dir.write("ok.toml", services + workload + config);
  r = run_cli({scenario, "--timeline", ""});
  CHECK(r.status == 2);
  CHECK(r.err == "parallel-sim: --timeline needs a file name (see --help)\n");
  CHECK(r.out.empty());
}

TEST_CASE("a timeline that cannot be written: exit 2, nothing on stdout", "[cli]") {
  if (!std::filesystem::exists("/dev/full"))
    return; // Linux: every write fails with ENOSPC
  temp_dir dir;
  auto scenario = dir.write("ok.toml", services + workload + config);
  for (auto format : {"table", "json"}) {
    auto r = run_cli({scenario, "--timeline", "/dev/full", "--format", format});
    CHECK(r.status == 2);
    CHECK(r.err == "/dev/full: cannot write: No space left on device\n");
    CHECK(r.out.empty());
  }
}

TEST_CASE("names and labels: not empty, no control characters", "[parse]") {
  check_bad("[services.\"\"]\nlatency = { dist = \"fixed\", ms = 1 }\n" + workload + config,
            ":1:11: a service name must not be empty");
  check_bad("[services.\"pro\\tfile\"]\nlatency = { dist = \"fixed\", ms = 1 }\n" + workload
              + config,
            ":1:11: the service name has a control character (0x09)");
  check_bad(services + workload + config + "label = \"a\\u001b[2Jb\"\n",
            ":11:9: 'label' has a control character (0x1B)");
  check_bad("title = \"two\\nlines\"\n" + services + workload + config,
            ":1:9: 'title' has a control character (0x0A)");
  // Beyond ASCII: a C1 control (CSI), a bidirectional override, a line
  // separator, and a noncharacter XML does not allow.
  check_bad(services + workload + config + "label = \"x\\u009b2Jy\"\n",
            ":11:9: 'label' has a control character (U+009B)");
  check_bad(services + workload + config + "label = \"ab\\u202Ec\"\n",
            ":11:9: 'label' has a control character (U+202E)");
  check_bad("title = \"a\\u2028b\"\n" + services + workload + config,
            ":1:9: 'title' has a control character (U+2028)");
  check_bad("[services.\"p\\uFFFE\"]\nlatency = { dist = \"fixed\", ms = 1 }\n" + workload
              + config,
            ":1:11: the service name has a control character (U+FFFE)");
}

TEST_CASE("a label of spaces, and a long unknown name, get short clear errors", "[parse]") {
  check_bad(services + workload + config + "label = \"   \"\n", ":11:9: 'label' is only spaces");
  check_bad("title = \" \"\n" + services + workload + config, ":1:9: 'title' is only spaces");
  check_bad(services + workload + config + "label = \"\\u3000\\u200B\"\n",
            ":11:9: 'label' is only spaces");
  check_bad("[services.\" \"]\nlatency = { dist = \"fixed\", ms = 1 }\n" + workload + config,
            ":1:11: the service name is only spaces");
  // Quoted names are escaped for the terminal: a right-to-left override
  // cannot reorder the message.
  check_bad(services + workload + config + "\"x\\u202Ey\" = 1\n",
            ":11:1: unknown key 'x\\u202Ey' in [[config]] (expected label, executor, bound, "
            "wrapper, failure_rate, exception_rate, nested or inner_bound)");
  check_bad(services + "[workload]\nitems = 1\nfetch = [\"a\\u202Eb\"]\n" + config,
            ":5:10: 'fetch' names an unknown service 'a\\u202Eb'");
  // A key of 5,000 bytes is quoted by its first 60 and its size.
  auto key = std::string(5000, 'k');
  check_bad(services + workload + config + key + " = 1\n",
            ":11:1: unknown key '" + std::string(60, 'k') + "... (5000 bytes)' in [[config]] "
            "(expected label, executor, bound, wrapper, failure_rate, exception_rate, "
            "nested or inner_bound)");
}

TEST_CASE("text for the terminal: controls, overrides and stray bytes escaped", "[cli]") {
  CHECK(sim::escape_for_terminal("a\xFF" "b\xE2\x80\xAE" "c\x1B[2J\xC2\x9B\n") ==
        "a\\xFFb\\u202Ec\\e[2J\\u009B\\n");
  CHECK(sim::escape_for_terminal("caf\xC3\xA9 \xE2\x80\x94 ok") == "caf\xC3\xA9 \xE2\x80\x94 ok");
}

TEST_CASE("a description may have lines, but no other control characters", "[parse]") {
  check_bad("description = \"x\\u001b[2Jy\"\n" + services + workload + config,
            ":1:15: 'description' has a control character (0x1B)");
  check_bad("description = \"x\\u0085y\"\n" + services + workload + config,
            ":1:15: 'description' has a control character (U+0085)");
  auto sc = sim::parse_scenario_text(
    "description = \"two\\nlines,\\tand a tab\"\n" + services + workload + config, "d.toml");
  CHECK(sc.description == "two\nlines,\tand a tab");
}

TEST_CASE("a value just over a limit is printed as it is", "[parse]") {
  check_bad("[services.profile]\nlatency = { dist = \"fixed\", ms = 60000.0000001 }\n"
              + workload + config,
            ":2:34: 'ms' must be <= 60000, got 60000.0000001");
}

TEST_CASE("user text echoed in an error is escaped: one line, no escape codes", "[parse]") {
  // A newline, an ESC and a C1 control in an executor, a wrapper, an
  // unknown key and a service name in 'fetch': each comes back escaped.
  check_bad(services + workload + "\n[[config]]\nexecutor = \"lim\\nited\"\n",
            ":9:12: unknown executor 'lim\\nited' (expected \"serial\", \"limited\" or "
            "\"unlimited\")");
  check_bad(services + workload + config + "wrapper = \"a\\u001b[31mb\"\n",
            ":11:11: unknown wrapper 'a\\e[31mb' (expected executor, err_group, "
            "gather_errs, collect, collect_with_errs, feed or feed_with_errs)");
  check_bad("\"k\\u0085ey\\r\" = 1\n" + services + workload + config,
            ":1:1: unknown key 'k\\u0085ey\\r' in the top level (expected title, "
            "description, seed, services, workload, config or sweep)");
  check_bad(services + "\n[workload]\nitems = 10\nfetch = [\"pro\\u007ffile\"]\n" + config,
            ":6:10: 'fetch' names an unknown service 'pro\\x7Ffile'");
}

TEST_CASE("a missing table points at the file's start or the table", "[parse]") {
  check_bad("title = \"t\"\n" + services + config,
            ":1:1: no [workload] table: declare items and fetch");
}

TEST_CASE("a bad [sweep] table", "[parse][sweep]") {
  auto base = services + workload + config;
  check_bad(base + "\n[sweep]\nbound = \"5..1\"\n",
            ":13:9: 'bound': the highest bound (1) is below the lowest (5)");
  check_bad(base + "\n[sweep]\nbound = 5\n", ":13:9: 'bound' must be a string, not an integer");
  check_bad(base + "\n[sweep]\nconfig = 1\n",
            ":12:1: [sweep] is missing 'bound' (the bounds to run, e.g. \"1..200:5\")");
  check_bad(base + "\n[sweep]\nbound = \"1..4\"\nconfig = 2\n",
            ":14:10: 'config' must be <= 1, got 2");
  check_bad(base + "\n[sweep]\nbound = \"1..4\"\nstep = 2\n",
            ":14:1: unknown key 'step' in [sweep] (expected bound or config)");
}
