// parallel-sim: the scenario simulator (see src/cli.cpp and
// examples/scenarios/README.md).
#include <iostream>

#include "cli.hpp"
#include "progress.hpp"

int main(int argc, char** argv) {
  return sim::sim_main(argc, argv, std::cout, std::cerr, sim::progress::stderr_is_tty());
}
