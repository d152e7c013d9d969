// Starting parallel-node processes from tests, and always reaping them.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace test {

/// What the file at `path` holds ("" if it cannot be read): a node's
/// standard error, kept with `node_process`'s `stderr_path`.
inline std::string read_file(const std::string& path) {
  std::ifstream in{path};
  return {std::istreambuf_iterator<char>{in}, {}};
}

/// A parallel-node child process on loopback (--port 0 unless `extra` says
/// otherwise). The constructor returns once the node printed its port; the
/// destructor kills it with SIGKILL and reaps it, also when a test fails.
/// `prefix` runs it under another program (`prlimit ... setpriv ...`);
/// `stderr_path` keeps what it says on stderr; `program` is another node
/// program taking the same first options.
class node_process {
public:
  explicit node_process(std::vector<std::string> extra = {},
                        std::vector<std::string> prefix = {},
                        const std::string& stderr_path = "/dev/null",
                        const std::string& program = PARALLEL_NODE_BIN) {
    std::vector<std::string> args = prefix;
    bool own_port = false;
    for (auto& e : extra)
      own_port = own_port || e == "--port";
    args.insert(args.end(), {program, "--heartbeat", "100",
                             "--connection-timeout", "1000"});
    if (!own_port)
      args.insert(args.end(), {"--port", "0"});
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = posix_spawn(&pid_, args[0].c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    if (rc != 0) {
      close(out[0]);
      pid_ = -1;
      throw std::runtime_error("cannot start " + args[0]);
    }
    // The first line is the port. A slow start (sanitizers) gets 20 s.
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (line.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
      pollfd p{out[0], POLLIN, 0};
      if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0)
        break;
      char buf[64];
      auto n = read(out[0], buf, sizeof(buf));
      if (n <= 0)
        break;
      line.append(buf, static_cast<size_t>(n));
    }
    close(out[0]);
    auto nl = line.find('\n');
    if (nl == std::string::npos || nl == 0) {
      kill(SIGKILL);
      throw std::runtime_error("parallel-node did not print its port");
    }
    port_ = static_cast<uint16_t>(std::stoul(line.substr(0, nl)));
  }

  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  ~node_process() {
    kill(SIGKILL);
  }

  uint16_t port() const noexcept {
    return port_;
  }

  std::string address() const {
    return "127.0.0.1:" + std::to_string(port_);
  }

  pid_t pid() const noexcept {
    return pid_;
  }

  /// Sends `sig`; SIGKILL also reaps the process.
  void kill(int sig) {
    if (pid_ <= 0)
      return;
    ::kill(pid_, sig);
    if (sig == SIGKILL) {
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

  /// Whether the process has ended by itself; if so, sets `status` to its
  /// wait status (and it is reaped).
  bool ended(int& status) {
    if (pid_ <= 0)
      return false;
    if (waitpid(pid_, &status, WNOHANG) != pid_)
      return false;
    pid_ = -1;
    return true;
  }

  /// Waits for the process to end by itself; returns its wait status.
  int wait_exit() {
    int status = 0;
    if (pid_ > 0) {
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    return status;
  }

private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

} // namespace test
