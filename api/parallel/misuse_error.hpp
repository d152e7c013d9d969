// misuse_error: thrown when an executor is used after it was waited on.
#pragma once

#include <stdexcept>
#include <string>

namespace parallel {

/// Thrown by `go` after `wait()`: executors and wrappers are single-use.
/// `what()` is "parallel executor misuse: don't reuse executors".
/// Also thrown, at once, by a blocking `wait()` that would deadlock: on a
/// CAF scheduler thread (inside an actor: use `await`), or inside a task of
/// the same group (give that work a child group). And by any use of an
/// executor or wrapper that was moved from.
struct misuse_error : std::logic_error {
  misuse_error();

  /// A misuse with its own explanation, such as a blocking `wait()` where it
  /// would deadlock: `what()` is "parallel executor misuse: " + `why`.
  explicit misuse_error(const std::string& why);
};

} // namespace parallel
