// The figures of parallel-bench; each one runs one repetition at a time.
#pragma once

#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "harness.hpp"

namespace bench {

/// Shared by every figure of one bench run.
struct bench_env {
  caf::actor_system& sys;
  const params& p;
  results& res;
  caf::actor service;  // the 10 ms service of the request figures
};

struct figure_def {
  const char* name;
  const char* help;
  /// Runs repetition `rep` (0-based) and adds one sample to each line it owns.
  void (*run)(bench_env& env, int rep);
  /// Sets targets and notes once every repetition is in.
  void (*finish)(bench_env& env);
};

/// Every figure, in the order they run.
const std::vector<figure_def>& figure_defs();

/// The request_fanout figures: a group per request (request_fanout.cpp).
const std::vector<figure_def>& request_fanout_defs();

} // namespace bench
