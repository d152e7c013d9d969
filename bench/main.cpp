// parallel-bench: this library vs hand-written CAF vs oneTBB, in one run.
//
//   parallel-bench [--quick] [--json] [--repeat N] [--only FIGURE[,FIGURE...]]
//                  [--go-peer PATH]
//
// Every figure is the median of N runs (default 5). Progress
// goes to stderr; the table (or the JSON with --json) to stdout.
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include "figures.hpp"
#include "go_peer.hpp"
#include "harness.hpp"
#include "service.hpp"

namespace {

constexpr const char* usage_text =
  "usage: parallel-bench [--quick] [--json] [--repeat N] [--only LIST]\n"
  "                      [--go-peer PATH]\n"
  "\n"
  "Measures caf-parallel against hand-written CAF and oneTBB's task_group,\n"
  "side by side in one run. Every figure is the median of N runs.\n"
  "\n"
  "  --quick        scaled-down sizes (200k trivial tasks, 1,000 x 10 ms,\n"
  "                 10,000 requests, 200k queued tasks) for CI: seconds\n"
  "  --json         print {\"figures\":[...]} instead of a table\n"
  "  --repeat N     runs per figure, 1 to 1000 (default 5)\n"
  "  --only LIST    comma-separated figures to run (default: all); a name\n"
  "                 before a '/' selects all of its figures (request_fanout)\n"
  "  --go-peer PATH the binary of ../shared/peers/handler.go: request_fanout's\n"
  "                 closure and 1ms figures also run it, with the same\n"
  "                 arguments, as the peer \"go\" (see bench/with_go.sh)\n"
  "  -h, --help     this text\n"
  "\n"
  "figures:\n";

struct options {
  bool json = false;
  bool quick = false;
  int repeat = 0; // 0 = the default of the mode
  std::set<std::string> only;
  std::string go_peer;
};

// `selector` (from --only) names the figure itself or the family before its
// '/': "request_fanout" selects "request_fanout/closure".
bool selects(std::string_view selector, std::string_view figure) {
  return figure == selector
         || (figure.size() > selector.size()
             && figure.substr(0, selector.size()) == selector
             && figure[selector.size()] == '/');
}

bool selected(const options& opts, std::string_view figure) {
  if (opts.only.empty())
    return true;
  for (auto& s : opts.only)
    if (selects(s, figure))
      return true;
  return false;
}

struct usage_error {
  std::string what;
};

void print_usage(std::ostream& out) {
  out << usage_text;
  for (auto& d : bench::figure_defs()) {
    auto len = std::string_view{d.name}.size();
    out << "  " << d.name << std::string(len < 24 ? 24 - len : 1, ' ') << d.help << '\n';
  }
}

options parse(int argc, char** argv) {
  options opts;
  auto value_of = [&](int& i, std::string_view arg, std::string_view name) {
    // --name=value or --name value
    if (arg.size() > name.size() && arg[name.size()] == '=')
      return std::string{arg.substr(name.size() + 1)};
    if (i + 1 >= argc)
      throw usage_error{std::string{name} + " needs a value"};
    return std::string{argv[++i]};
  };
  auto is = [](std::string_view arg, std::string_view name) {
    return arg == name
           || (arg.size() > name.size() && arg.substr(0, name.size()) == name
               && arg[name.size()] == '=');
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg{argv[i]};
    if (arg == "--json") {
      opts.json = true;
    } else if (arg == "--quick") {
      opts.quick = true;
    } else if (arg == "-h" || arg == "--help") {
      print_usage(std::cout);
      std::exit(0);
    } else if (is(arg, "--repeat")) {
      auto v = value_of(i, arg, "--repeat");
      int n = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc{} || end != v.data() + v.size() || n < 1 || n > 1000)
        throw usage_error{"--repeat needs a whole number from 1 to 1000, got '" + v
                          + "'"};
      opts.repeat = n;
    } else if (is(arg, "--only")) {
      auto v = value_of(i, arg, "--only");
      std::stringstream ss{v};
      std::string name;
      while (std::getline(ss, name, ',')) {
        bool known = false;
        for (auto& d : bench::figure_defs())
          known = known || selects(name, d.name);
        if (!known)
          throw usage_error{"unknown figure '" + name + "' in --only"};
        opts.only.insert(name);
      }
      if (opts.only.empty())
        throw usage_error{"--only needs at least one figure"};
    } else if (is(arg, "--go-peer")) {
      opts.go_peer = value_of(i, arg, "--go-peer");
      if (auto problem = bench::go_peer_problem(opts.go_peer); !problem.empty())
        throw usage_error{problem};
    } else if (arg.size() > 1 && arg[0] == '-') {
      throw usage_error{"unknown option '" + std::string{arg} + "'"};
    } else {
      throw usage_error{"unexpected argument '" + std::string{arg} + "'"};
    }
  }
  return opts;
}

// A hang in a figure (a deadlock in the library, say) must not hang CI: each
// repetition gets a generous time limit, after which the bench says where it
// was and exits with status 3.
class watchdog {
public:
  watchdog() : thread_([this](std::stop_token st) { loop(st); }) {
  }

  void arm(const char* figure, int rep, std::chrono::seconds limit) {
    figure_.store(figure);
    rep_.store(rep);
    limit_s_.store(limit.count());
    deadline_.store((bench::clock::now() + limit).time_since_epoch().count());
  }

  void disarm() {
    deadline_.store(0);
  }

private:
  void loop(std::stop_token st) {
    while (!st.stop_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto d = deadline_.load();
      if (d != 0 && bench::clock::now().time_since_epoch().count() > d) {
        std::fprintf(stderr,
                     "parallel-bench: %s (run %d) did not finish within %lld s; "
                     "giving up (a hang in the library?)\n",
                     figure_.load(), rep_.load() + 1,
                     static_cast<long long>(limit_s_.load()));
        std::fflush(stderr);
        std::_Exit(3);
      }
    }
  }

  std::atomic<const char*> figure_{""};
  std::atomic<int> rep_{0};
  std::atomic<long long> limit_s_{0};
  std::atomic<bench::clock::rep> deadline_{0};
  std::jthread thread_;
};

int run(const options& opts) {
  auto p = opts.quick ? bench::params::quick_run() : bench::params::full();
  if (opts.repeat > 0)
    p.repeat = opts.repeat;
  p.go_peer = opts.go_peer;
  bench::results res;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  bench::bench_env env{sys, p, res, bench::spawn_service(sys, p.latency)};
  watchdog dog;
  auto limit = std::chrono::seconds(opts.quick ? 60 : 180);
  auto t_all = bench::clock::now();
  for (auto& d : bench::figure_defs()) {
    if (!selected(opts, d.name))
      continue;
    auto t0 = bench::clock::now();
    for (int rep = 0; rep < p.repeat; ++rep) {
      dog.arm(d.name, rep, limit);
      d.run(env, rep);
    }
    dog.disarm();
    d.finish(env);
    std::fprintf(stderr, "parallel-bench: %s: %d runs in %.1f s\n", d.name, p.repeat,
                 bench::seconds_since(t0));
  }
  std::fprintf(stderr, "parallel-bench: done in %.1f s\n", bench::seconds_since(t_all));
  if (opts.json)
    bench::print_json(std::cout, p, res.all());
  else
    bench::print_table(std::cout, p, res.all());
  std::cout.flush();
  caf::anon_send_exit(env.service, caf::exit_reason::user_shutdown);
  env.service = nullptr;
  dog.arm("actor system shutdown", 0, limit);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  options opts;
  try {
    opts = parse(argc, argv);
  } catch (const usage_error& e) {
    std::cerr << "parallel-bench: " << e.what << "\n"
              << "Try 'parallel-bench --help'.\n";
    return 2;
  }
  try {
    return run(opts);
  } catch (const std::exception& e) {
    std::cerr << "parallel-bench: error: " << e.what() << '\n';
    return 1;
  }
}
