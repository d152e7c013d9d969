// Helpers for the parallel-sim tests: temporary files and running the CLI.
#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "cli.hpp"

namespace sim_test {

/// A fresh directory, removed with everything in it at scope exit.
class temp_dir {
public:
  temp_dir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path()
            / ("parallel-sim-test-" + std::to_string(::getpid()) + "-"
               + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// Writes `content` (bytes as given) to `name`; returns the full path.
  std::string write(const std::string& name, const std::string& content) const {
    auto p = path_ / name;
    std::ofstream out{p, std::ios::binary};
    out << content;
    return p.string();
  }

  std::string file(const std::string& name) const {
    return (path_ / name).string();
  }

private:
  std::filesystem::path path_;
};

struct cli_run {
  int status = -1;
  std::string out;
  std::string err;
};

/// Runs `parallel-sim args...` in-process.
inline cli_run run_cli(std::vector<std::string> args) {
  args.insert(args.begin(), "parallel-sim");
  std::vector<const char*> argv;
  for (auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  cli_run r;
  r.status = sim::sim_main(static_cast<int>(argv.size()), argv.data(), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

} // namespace sim_test
