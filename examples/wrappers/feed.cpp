// feed.cpp: the receiver runs single-threaded, so it may touch unguarded state.
//
// Go's Feed. Each task's value goes to a receiver given up front. Tasks run
// in parallel, but the receiver runs in one reducer actor, never concurrently
// with itself: the plain std::map below needs no mutex. When wait() returns,
// the receiver has seen every value. A receiver may return an error, which
// stops the group like a task error (second part).
#include <atomic>
#include <cstdio>
#include <map>

#include <caf/all.hpp>

#include "parallel/parallel.hpp"

int main() {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  bool ok = true;

  { // 200 values from 8 tasks at a time into one unguarded map.
    std::map<int, bool> result;       // no lock
    std::atomic<bool> inside{false};  // only to prove nothing overlaps
    bool overlapped = false;
    auto group = parallel::feed<int>(
      parallel::limited(sys, {}, 8), [&](const parallel::context&, int n) {
        overlapped = overlapped || inside.exchange(true);
        result[n] = true; // runs safely in one thread at a time
        inside = false;
      });
    for (int i = 0; i < 200; ++i)
      group.go([i](const parallel::context&) { return i; });
    auto err = group.wait(); // empty: no error
    std::printf("received %zu values, receiver overlapped itself: %s\n",
                result.size(), overlapped ? "YES" : "no");
    ok = ok && !err && result.size() == 200 && !overlapped;
  }

  { // The receiver refuses a value: the group stops with that error.
    std::map<int, bool> result;
    auto group = parallel::feed<int>(
      parallel::limited(sys, {}, 8),
      [&](const parallel::context&, int n) -> parallel::error {
        if (n == 13)
          return parallel::make_error("13 is unlucky");
        result[n] = true;
        return {};
      });
    for (int i = 0; i < 200; ++i)
      group.go([i](const parallel::context&) { return i; });
    auto err = group.wait();
    std::printf("receiver error: %s (13 received: %s)\n",
                parallel::message(err).c_str(), result.count(13) ? "yes" : "no");
    ok = ok && parallel::message(err) == "13 is unlucky" && result.count(13) == 0;
  }
  return ok ? 0 : 1;
}
