// A client of parallel-node processes in tests: its own actor system, set up
// for the example tasks.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "../example_tasks.hpp"
#include "node_process.hpp"
#include "parallel/parallel.hpp"

namespace test {

/// The network settings of test clients: heartbeat 100 ms and connection
/// timeout 1 s, matching the nodes `node_process` starts.
inline parallel::remote::network_options test_net() {
  parallel::remote::network_options net;
  net.heartbeat_interval = std::chrono::milliseconds(100);
  net.connection_timeout = std::chrono::milliseconds(1000);
  return net;
}

/// A client: its own actor system, configured for the example tasks.
struct client {
  explicit client(parallel::remote::network_options net = test_net()) {
    parallel::remote::configure(cfg, *examples::make_registry(), net);
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  /// Connects to `nodes` (in this order); fails the test if it cannot.
  /// The deadline is generous (sanitizer builds on a loaded machine); a
  /// connect returns as soon as it succeeds.
  parallel::remote::cluster connect(const std::vector<const node_process*>& nodes,
                                    parallel::remote::connect_options opts
                                    = {std::chrono::milliseconds(30000)}) {
    std::string list;
    for (auto* n : nodes)
      list += (list.empty() ? "" : ",") + n->address();
    auto c = parallel::remote::cluster::connect(*sys, list, opts);
    if (!c)
      FAIL("connect failed: " << parallel::message(c.error()));
    return *c;
  }

  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
};

/// Runs one `pid` task on `nodes` and returns the process id of the node
/// that ran it: proves a node serves. Fails the test if the task fails.
inline int32_t pid_of(client& c, const parallel::remote::cluster& nodes) {
  namespace remote = parallel::remote;
  parallel::collect<int32_t> col(remote::spread(parallel::unlimited(*c.sys), nodes));
  remote::go_remote(col, examples::pid);
  auto got = col.wait();
  if (!got)
    FAIL("the pid task failed: " << parallel::message(got.error()));
  REQUIRE(got->size() == 1);
  return got->front();
}

/// Lane options with `n` tasks in flight per node and `attempts` runs per
/// task at most.
inline parallel::remote::lane_options per_node(std::size_t n, std::size_t attempts = 1) {
  parallel::remote::lane_options o;
  o.per_node_bound = n;
  o.max_attempts = attempts;
  return o;
}

} // namespace test
