// distributed-bench: remote tasks per second over loopback, this library
// against a hand-written CAF request loop sending the same wire messages.
//
//   distributed-bench [--nodes HOST:PORT,...] [--tasks N] [--windows 1,16,64,256]
//                     [--tls-cert FILE --tls-key FILE --tls-ca FILE]
//
// Without --nodes it starts one parallel-node process on loopback (the one
// built next to it) and stops it at the end. With the --tls options it
// speaks TLS to the nodes (which --nodes must then name: nodes started with
// their own --tls options). Each figure is the best of three runs; one line
// per figure.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <future>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>

#include "example_tasks.hpp"
#include "tls_args.hpp"
#include "parallel/parallel.hpp"
#include "tests/node_process.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
namespace remote = parallel::remote;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// The hand-written equivalent: one event-based actor keeps `window` requests
/// in flight to the node actor and sends the next one on each reply.
class request_loop : public caf::event_based_actor {
public:
  request_loop(caf::actor_config& cfg, caf::actor node, std::size_t total,
               std::size_t window, std::shared_ptr<std::promise<std::size_t>> done)
    : caf::event_based_actor(cfg),
      node_(std::move(node)),
      total_(total),
      window_(window),
      done_(std::move(done)) {
  }

  caf::behavior make_behavior() override {
    for (std::size_t i = 0; i < std::min(window_, total_); ++i)
      send_one();
    return {
      [](remote::ok_atom) {
        // Replies arrive through the response handlers.
      },
    };
  }

private:
  void send_one() {
    auto x = static_cast<int64_t>(sent_++);
    request(node_, caf::infinite, remote::run_atom::value, uint64_t{42},
            std::string{"echo"}, caf::make_message(x), int64_t{-1})
      .then(
        [this](remote::ok_atom, int64_t) { on_reply(true); },
        [this](caf::error&) { on_reply(false); });
  }

  void on_reply(bool ok) {
    ok_ += ok ? 1 : 0;
    if (++received_ == total_) {
      done_->set_value(ok_);
      quit();
      return;
    }
    if (sent_ < total_)
      send_one();
  }

  caf::actor node_;
  std::size_t total_;
  std::size_t window_;
  std::size_t sent_ = 0;
  std::size_t received_ = 0;
  std::size_t ok_ = 0;
  std::shared_ptr<std::promise<std::size_t>> done_;
};

double run_loop(caf::actor_system& sys, caf::actor node, std::size_t n,
                std::size_t window) {
  auto done = std::make_shared<std::promise<std::size_t>>();
  auto fut = done->get_future();
  auto t0 = clock_type::now();
  sys.spawn<request_loop>(node, n, window, done);
  auto ok = fut.get();
  auto secs = seconds_since(t0);
  if (ok != n)
    std::cerr << "hand-written loop: only " << ok << " of " << n << " ok\n";
  return n / secs;
}

double run_library(caf::actor_system& sys, const remote::cluster& nodes,
                   std::size_t n, std::size_t window) {
  auto t0 = clock_type::now();
  remote::lane_options opts;
  opts.per_node_bound = window;
  parallel::collect<int64_t> col(
    remote::spread(parallel::unlimited(sys), nodes, opts));
  for (std::size_t i = 0; i < n; ++i)
    remote::go_remote(col, examples::echo, static_cast<int64_t>(i));
  auto got = col.wait();
  auto secs = seconds_since(t0);
  if (!got || got->size() != n)
    std::cerr << "library: not every task succeeded\n";
  return n / secs;
}

constexpr const char* usage_text =
  "usage: distributed-bench [--nodes HOST:PORT,...] [--tasks N]"
  " [--windows 1,16,64,256]\n"
  "                         [--tls-cert FILE --tls-key FILE --tls-ca FILE]\n";

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "distributed-bench: " << why << "\n" << usage_text;
  std::exit(2);
}

/// A positive count, or a usage error naming `opt`.
std::size_t count(const std::string& opt, const std::string& text) {
  std::size_t used = 0;
  unsigned long n = 0;
  try {
    n = std::stoul(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || n == 0 || text[0] == '-')
    usage(opt + " takes positive whole numbers, not \"" + text + "\"");
  return n;
}

std::vector<std::size_t> parse_list(const std::string& opt, const std::string& text) {
  std::vector<std::size_t> out;
  std::stringstream in{text};
  std::string item;
  while (std::getline(in, item, ','))
    out.push_back(count(opt, item));
  if (out.empty())
    usage(opt + " needs at least one number");
  return out;
}

} // namespace

int main(int argc, char** argv) {
  std::string nodes_arg;
  std::size_t tasks = 20000;
  std::vector<std::size_t> windows{1, 16, 64, 256};
  remote::network_options net;
  for (int i = 1; i < argc; i += 2) {
    std::string opt = argv[i];
    if (opt == "--help" || opt == "-h") {
      std::cout << usage_text;
      return 0;
    }
    if (i + 1 >= argc)
      usage(opt + " needs a value (or is unknown)");
    std::string val = argv[i + 1];
    if (opt == "--nodes")
      nodes_arg = val;
    else if (opt == "--tasks")
      tasks = count(opt, val);
    else if (opt == "--windows")
      windows = parse_list(opt, val);
    else if (examples::take_tls_option(opt, val, net.tls))
      continue;
    else
      usage("unknown option " + opt);
  }
  if (auto err = remote::check_tls(net.tls))
    usage(parallel::message(err));
  if (net.tls.enabled() && nodes_arg.empty())
    usage("with --tls-*, --nodes must name nodes that use TLS");
  std::unique_ptr<test::node_process> own_node;
  if (nodes_arg.empty()) {
    own_node = std::make_unique<test::node_process>(
      std::vector<std::string>{"--max-in-flight", "0"});
    nodes_arg = own_node->address();
  }
  auto reg = examples::make_registry();
  caf::actor_system_config cfg;
  remote::configure(cfg, *reg, net);
  caf::actor_system sys{cfg};
  auto nodes = remote::cluster::connect(sys, nodes_arg);
  if (!nodes) {
    std::cerr << "distributed-bench: " << parallel::message(nodes.error()) << "\n";
    return 3;
  }
  std::cout << std::fixed << std::setprecision(0);
  for (auto w : windows) {
    // Window 1 is latency-bound: fewer tasks keep it short.
    auto n = w == 1 ? std::min<std::size_t>(tasks, 2000) : tasks;
    double lib = 0, loop = 0;
    for (int round = 0; round < 3; ++round) {
      lib = std::max(lib, run_library(sys, *nodes, n, w));
      loop = std::max(loop, run_loop(sys, nodes->handle(0), n, w));
    }
    std::cout << "remote echo tasks/s over loopback, " << nodes->size()
              << " node(s), " << w << " in flight per node, " << n
              << " tasks: library " << lib << ", hand-written CAF request loop "
              << loop << ", ratio " << std::setprecision(2) << lib / loop
              << std::setprecision(0) << "\n";
  }
  return 0;
}
