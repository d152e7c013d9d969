// misuse_error: thrown when an executor is used after it was waited on.
#pragma once

#include <stdexcept>

namespace parallel {

/// Thrown by `go` after `wait()`: executors and wrappers are single-use.
/// `what()` is "parallel executor misuse: don't reuse executors".
struct misuse_error : std::logic_error {
  misuse_error();
};

} // namespace parallel
