// Shared pieces of the test suite: an actor system per test, and waiting
// helpers built on latches and condition variables (never on sleeps).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>

#include <caf/all.hpp>

#include "parallel/parallel.hpp"

namespace test {

using namespace std::chrono_literals;

/// A fresh actor system for one test case. Handles of groups must be
/// destroyed before it (declare them in an inner scope).
struct system_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};

  /// Blocks until every actor has terminated: a group that leaked an actor
  /// makes the test hang, and ctest's timeout turns that into a failure.
  void quiesce() {
    sys.await_all_actors_done();
  }
};

/// A gate tasks can block on until the test opens it.
class gate {
public:
  void open() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      open_ = true;
    }
    cv_.notify_all();
  }

  void wait() {
    std::unique_lock<std::mutex> lk{mtx_};
    cv_.wait(lk, [this] { return open_; });
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool open_ = false;
};

/// Counts up; waiters block until the count reaches a target.
class counter {
public:
  void add(int n = 1) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      n_ += n;
    }
    cv_.notify_all();
  }

  void wait_for(int target) {
    std::unique_lock<std::mutex> lk{mtx_};
    cv_.wait(lk, [&] { return n_ >= target; });
  }

  int value() {
    std::lock_guard<std::mutex> guard{mtx_};
    return n_;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  int n_ = 0;
};

/// Blocks until `ctx` is cancelled (through its stop token, no polling).
inline void wait_cancelled(const parallel::context& ctx) {
  std::mutex mtx;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lk{mtx};
  cv.wait(lk, ctx.stop_token(), [] { return false; });
}

/// Tracks tasks in flight and the most seen at once.
struct in_flight_meter {
  std::atomic<int> now{0};
  std::atomic<int> peak{0};

  void enter() {
    auto n = ++now;
    auto p = peak.load();
    while (n > p && !peak.compare_exchange_weak(p, n)) {
    }
  }

  void leave() {
    --now;
  }
};

/// A field of /proc/self/status ("Threads:", "VmRSS:"), or -1.
inline long proc_status(const std::string& field) {
  std::ifstream in{"/proc/self/status"};
  std::string key;
  while (in >> key)
    if (key == field) {
      long n = 0;
      in >> n;
      return n;
    }
  return -1;
}

/// Threads of this process right now.
inline long thread_count() {
  return proc_status("Threads:");
}

/// The executor kinds most behaviours are checked against.
enum class kind { unlimited, limited, serial };

inline const char* name(kind k) {
  switch (k) {
    case kind::unlimited:
      return "unlimited";
    case kind::limited:
      return "limited(4)";
    default:
      return "serial";
  }
}

inline parallel::executor make(caf::actor_system& sys, kind k,
                               parallel::context ctx = {}) {
  switch (k) {
    case kind::unlimited:
      return parallel::unlimited(sys, ctx);
    case kind::limited:
      return parallel::limited(sys, ctx, 4);
    default:
      return parallel::limited(sys, ctx, 0);
  }
}

} // namespace test
