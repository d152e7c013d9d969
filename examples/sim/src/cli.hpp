// cli: the whole program behind `parallel-sim`, callable from tests.
#pragma once

#include <iosfwd>

namespace sim {

/// Runs `parallel-sim` with `argv`: 0 on success, 2 for bad arguments or a
/// bad scenario (one line on `err`, nothing on `out`), 1 for an internal
/// error. `tty_progress` enables the progress line (stderr is a terminal).
int sim_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
             bool tty_progress = false);

} // namespace sim
