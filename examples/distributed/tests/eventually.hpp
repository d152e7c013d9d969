// Waiting in tests for a state another process or thread reaches.
#pragma once

#include <chrono>
#include <thread>

namespace test {

/// Polls `pred` every millisecond until it holds; false after `limit`. Waits
/// for a state to be reached, never asserts on timing: `limit` only turns a
/// state that never comes into a failure instead of a hang.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

} // namespace test
