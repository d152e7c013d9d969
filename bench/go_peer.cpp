#include "go_peer.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace bench {

std::string go_peer_problem(const std::string& path) {
  struct stat st {};
  if (path.empty())
    return "--go-peer needs a path";
  if (::stat(path.c_str(), &st) != 0)
    return "--go-peer: cannot read '" + path + "': " + std::strerror(errno);
  if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0)
    return "--go-peer: '" + path + "' is not an executable file";
  return {};
}

namespace {

// The whole standard output of `argv`, or throws.
std::string output_of(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe(fds) != 0)
    throw std::runtime_error(std::string{"go peer: pipe: "} + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("go peer: cannot start '" + argv[0] + "': "
                             + std::strerror(rc));
  }
  std::string out;
  char buf[512];
  for (;;) {
    auto n = ::read(fds[0], buf, sizeof(buf));
    if (n > 0)
      out.append(buf, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR)
      break;
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("go peer: '" + argv[0] + "' failed (status "
                             + std::to_string(status) + "), output: " + out);
  return out;
}

} // namespace

request_timing run_go_peer(const std::string& path, std::size_t callers,
                           std::size_t requests, std::size_t tasks, std::size_t bound,
                           std::chrono::microseconds task_wait) {
  auto out = output_of({path, std::to_string(callers), std::to_string(requests),
                        std::to_string(tasks), std::to_string(bound),
                        std::to_string(task_wait.count())});
  // "go errgroup C=8 R=500 K=10 B=10 D=0us: 23678 req/s, p50 21 us, p99 6989 us"
  double req_s = 0, p50 = 0, p99 = 0;
  auto colon = out.find(": ");
  if (colon == std::string::npos
      || std::sscanf(out.c_str() + colon + 2, "%lf req/s, p50 %lf us, p99 %lf us",
                     &req_s, &p50, &p99)
           != 3
      || !(req_s > 0))
    throw std::runtime_error("go peer: unexpected output from '" + path + "': " + out);
  return {1e6 / req_s, p50, p99};
}

} // namespace bench
