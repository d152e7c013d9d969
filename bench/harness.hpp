// The bench harness: repetitions, medians, memory probes and output.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace bench {

using clock = std::chrono::steady_clock;

/// Seconds since `t0` as a double.
inline double seconds_since(clock::time_point t0) {
  return std::chrono::duration<double>(clock::now() - t0).count();
}

/// The sizes of one run: the full issue figures, or `--quick` for CI.
struct params {
  bool quick = false;
  int repeat = 5;                     // runs per figure; each figure is their median
  std::size_t trivial_tasks = 1'000'000;
  std::size_t latency_tasks = 10'000;
  std::size_t latency_bound = 100;
  std::chrono::milliseconds latency{10};
  std::size_t requests = 100'000;
  std::size_t queued_tasks = 1'000'000;
  std::size_t groups = 2'000;         // groups created per run of group_overhead

  // request_fanout: a group per request, as a server makes one per handler
  // call. `closure` and `1ms` take the arguments of ../shared/peers/handler.go.
  std::size_t fanout_tasks = 10;      // K: tasks per request
  std::size_t fanout_bound = 10;      // B: limited(B)
  std::size_t closure_callers = 8;    // C of request_fanout/closure
  std::size_t closure_requests = 500; // R: requests per caller
  std::size_t slow_callers = 50;      // C of request_fanout/1ms
  std::size_t slow_requests = 20;     // R
  std::chrono::milliseconds slow_task{1};  // D: each task's cancellable wait
  std::size_t actor_requests = 2'000;      // request_fanout/actor: in all
  std::size_t actor_in_flight = 200;       //   at once
  std::size_t actor_bound = 20;            //   limited(20) per request
  std::chrono::milliseconds actor_service_latency{1};
  std::chrono::seconds stall_limit{10};    // no answer for this long: fail
  std::string go_peer;                // --go-peer: the handler.go binary, or empty

  static params full();
  static params quick_run();

  /// ceil(latency_tasks / latency_bound) x latency, in ms.
  double latency_ideal_ms() const;
};

/// A target a figure is checked against (medians of the same run).
struct target {
  std::string text;   // e.g. "<= 1.5x tbb, < caf"
  bool met = false;
};

/// One line of output: `ours` and the peers are medians over the runs.
struct figure {
  std::string name;
  std::string unit;
  std::vector<double> ours;                          // one sample per run
  std::map<std::string, std::vector<double>> peers;  // "tbb", "caf"
  std::optional<double> ideal;
  std::string note;                                  // readable table only
  std::optional<target> goal;
  std::map<std::string, std::vector<double>> extra;  // side figures for the note
};

double median(std::vector<double> xs);

/// Collects samples of every figure, in the order figures first appear.
class results {
public:
  figure& at(const std::string& name, const std::string& unit);
  std::deque<figure>& all() {
    return figures_;
  }

private:
  std::deque<figure> figures_;  // a deque: references to figures stay valid
};

/// Bytes resident now (VmRSS from /proc/self/statm).
std::size_t rss_bytes();

/// Threads the process holds now (`Threads:` in /proc/self/status).
std::size_t thread_count();

/// Bytes the allocator has handed out now (glibc mallinfo2, every arena).
std::size_t heap_bytes();

/// Gives free heap pages back to the kernel, so that a following RSS delta
/// counts fresh pages instead of reused ones.
void trim_heap();

void print_json(std::ostream& out, const params& p, std::deque<figure>& figs);
void print_table(std::ostream& out, const params& p, std::deque<figure>& figs);

} // namespace bench
