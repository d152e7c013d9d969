// The umbrella header of caf-parallel's distributed groups.
//
//   // both sides, before creating the actor system:
//   parallel::remote::registry reg;
//   reg.add("fib", [](const parallel::context&, int32_t n) -> int64_t {...});
//   parallel::remote::configure(cfg, reg);
//   // a node:   auto n = parallel::remote::node::start(sys, reg_ptr, {.port = 4242});
//   // a client:
//   auto nodes = parallel::remote::cluster::connect(sys, "127.0.0.1:4242");
//   auto ex = parallel::remote::spread(parallel::unlimited(sys), *nodes);
//   parallel::collect<int64_t> fibs(ex);
//   parallel::remote::go_remote(fibs, "fib", 30);
//   fibs.go([](const parallel::context&) { return int64_t{1}; }); // local
//   auto values = fibs.wait();
#pragma once

#include "parallel/remote/cluster.hpp"
#include "parallel/remote/config.hpp"
#include "parallel/remote/group_node_stats.hpp"
#include "parallel/remote/lane_options.hpp"
#include "parallel/remote/guard_options.hpp"
#include "parallel/remote/node.hpp"
#include "parallel/remote/protocol.hpp"
#include "parallel/remote/registry.hpp"
#include "parallel/remote/remote_executor.hpp"
#include "parallel/remote/remote_panic.hpp"
