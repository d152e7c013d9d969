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

/// Bytes the allocator has handed out now (glibc mallinfo2, every arena).
std::size_t heap_bytes();

/// Gives free heap pages back to the kernel, so that a following RSS delta
/// counts fresh pages instead of reused ones.
void trim_heap();

void print_json(std::ostream& out, const params& p, std::deque<figure>& figs);
void print_table(std::ostream& out, const params& p, std::deque<figure>& figs);

} // namespace bench
