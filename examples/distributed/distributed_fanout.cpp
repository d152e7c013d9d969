// distributed-fanout: fans N named tasks over nodes and accounts for each.
//
//   distributed-fanout --nodes HOST:PORT,HOST:PORT [--tasks N] [--retry]
//                      [--ms MS] [--per-node N] [--connect-timeout MS]
//                      [--heartbeat MS] [--connection-timeout MS]
//                      [--tls-cert FILE --tls-key FILE --tls-ca FILE]
//
// --connection-timeout (default 5000 ms) must be well above the nodes'
// heartbeat interval (parallel-node --heartbeat), or healthy nodes count as
// down. At most 1,000,000 tasks: each queued task costs about half a KB.
//
// Each task is `work(i, ms)`: a few milliseconds of work on a node. Prints one
// line per node (tasks answered, failed, lost when it died), then, as its
// last line, `ok=N failed=M lost=L`, where lost = submitted minus accounted
// for, which must be 0. With --retry, a task whose node dies runs again on a
// surviving node (up to 3 runs). Exit status: 0 when lost is 0, 1 otherwise
// (2 for bad usage, 3 when the nodes cannot be reached).
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "example_tasks.hpp"
#include "tls_args.hpp"
#include "parallel/parallel.hpp"

namespace {

/// Each queued task holds about 470 bytes until it runs: 10^6 are ~0.5 GB.
constexpr std::size_t max_tasks = 1000000;

void usage(const std::string& why) {
  std::cerr << "distributed-fanout: " << why << "\n"
            << "usage: distributed-fanout --nodes HOST:PORT,HOST:PORT [--tasks N] [--retry]\n"
            << "                          [--ms MS] [--per-node N] [--connect-timeout MS]\n"
            << "                          [--heartbeat MS] [--connection-timeout MS]\n"
            << "                          [--tls-cert FILE --tls-key FILE --tls-ca FILE]\n"
            << "  --tasks N                at most " << max_tasks << " (default 100)\n"
            << "  --connect-timeout MS     per connect, at least 1 (default 3000)\n"
            << "  --heartbeat MS           heartbeat interval, at least 1 (default 500)\n"
            << "  --connection-timeout MS  a node silent this long is down; must be\n"
            << "                           well above the nodes' --heartbeat (default 5000)\n";
  std::exit(2);
}

unsigned long number(const std::string& opt, const char* text) {
  char* end = nullptr;
  errno = 0;
  auto n = std::strtoul(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || n > 100000000)
    usage(opt + " takes a number");
  return n;
}

} // namespace

int main(int argc, char** argv) {
  std::string nodes;
  std::size_t tasks = 100;
  std::size_t per_node = 8;
  int32_t ms = 5;
  bool retry = false;
  parallel::remote::connect_options conn;
  parallel::remote::network_options net;
  for (int i = 1; i < argc; ++i) {
    std::string opt = argv[i];
    if (opt == "--retry") {
      retry = true;
      continue;
    }
    if (opt == "--help" || opt == "-h")
      usage("fans tasks out over parallel nodes");
    if (i + 1 >= argc)
      usage(opt + " needs a value (or is unknown)");
    const char* val = argv[++i];
    if (opt == "--nodes")
      nodes = val;
    else if (opt == "--tasks")
      tasks = number(opt, val);
    else if (opt == "--ms")
      ms = static_cast<int32_t>(number(opt, val));
    else if (opt == "--per-node")
      per_node = number(opt, val);
    else if (opt == "--connect-timeout")
      conn.timeout = std::chrono::milliseconds(number(opt, val));
    else if (opt == "--heartbeat")
      net.heartbeat_interval = std::chrono::milliseconds(number(opt, val));
    else if (opt == "--connection-timeout")
      net.connection_timeout = std::chrono::milliseconds(number(opt, val));
    else if (examples::take_tls_option(opt, val, net.tls))
      continue;
    else
      usage("unknown option " + opt);
  }
  if (nodes.empty())
    usage("--nodes is required");
  if (per_node == 0)
    usage("--per-node must be at least 1");
  if (tasks > max_tasks)
    usage("--tasks takes at most " + std::to_string(max_tasks));
  if (conn.timeout.count() == 0)
    usage("--connect-timeout must be at least 1 ms");
  if (net.heartbeat_interval.count() == 0)
    usage("--heartbeat must be at least 1 ms (nodes need the heartbeats)");
  if (net.connection_timeout <= net.heartbeat_interval)
    usage("--connection-timeout must be above --heartbeat");
  if (auto err = parallel::remote::check_tls(net.tls))
    usage(parallel::message(err));
  auto addrs = parallel::remote::parse_node_list(nodes);
  if (!addrs)
    usage(parallel::message(addrs.error()));

  auto reg = examples::make_registry();
  caf::actor_system_config cfg;
  parallel::remote::configure(cfg, *reg, net);
  caf::actor_system sys{cfg};

  auto cluster = parallel::remote::cluster::connect(sys, *addrs, conn);
  if (!cluster) {
    std::cerr << "distributed-fanout: " << parallel::message(cluster.error()) << "\n";
    return 3;
  }
  std::cerr << "distributed-fanout: connected to " << cluster->size() << " nodes" << std::endl;
  std::size_t ok = 0, failed = 0, node_down = 0;
  std::vector<parallel::remote::group_node_stats> split;
  auto t0 = std::chrono::steady_clock::now();
  {
    parallel::remote::lane_options lane;
    lane.per_node_bound = per_node;
    lane.max_attempts = retry ? 3 : 1;
    auto ex = parallel::remote::spread(parallel::unlimited(sys), *cluster, lane);
    parallel::collect_with_errs<int32_t> results(ex);
    for (std::size_t i = 0; i < tasks; ++i)
      parallel::remote::go_remote(results, examples::work,
                                  static_cast<int32_t>(i), ms);
    auto got = results.wait();
    ok = got.values.size();
    failed = got.errors.size();
    for (auto& e : got.errors.errors())
      if (parallel::is(e, parallel::errc::node_down))
        ++node_down;
    split = ex.node_stats();
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (auto& s : split)
    std::cout << "node " << s.node << (s.alive ? "" : " (down)") << ": ok=" << s.ok << " failed=" << s.failed << " lost_in_flight=" << s.lost
              << " peak_in_flight=" << s.peak_in_flight << "\n";
  std::cout << "tasks=" << tasks << " node_down=" << node_down << " seconds=" << secs
            << " tasks_per_second=" << (secs > 0 ? tasks / secs : 0) << "\n";
  auto lost = static_cast<long long>(tasks) - static_cast<long long>(ok + failed);
  std::cout << "ok=" << ok << " failed=" << failed << " lost=" << lost << std::endl;
  return lost == 0 ? 0 : 1;
}
