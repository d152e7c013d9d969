// The umbrella header of caf-parallel: Go's parallel executors on CAF actors.
//
//   caf::actor_system sys{cfg};
//   auto group = parallel::collect<int>(parallel::limited(sys, ctx, 10));
//   for (int i = 0; i < 100; ++i)
//     group.go([i](const parallel::context&) { return i * i; });
//   auto squares = group.wait(); // expected<std::vector<int>>, in order
#pragma once

#include "parallel/collect.hpp"
#include "parallel/collect_with_errs.hpp"
#include "parallel/context.hpp"
#include "parallel/err_group.hpp"
#include "parallel/error.hpp"
#include "parallel/executor.hpp"
#include "parallel/feed.hpp"
#include "parallel/feed_with_errs.hpp"
#include "parallel/gather_errs.hpp"
#include "parallel/group_stats.hpp"
#include "parallel/misuse_error.hpp"
#include "parallel/multi_error.hpp"
