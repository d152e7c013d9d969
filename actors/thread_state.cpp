#include "thread_state.hpp"

#include <fstream>
#include <string>

#include <sys/syscall.h>
#include <unistd.h>

namespace parallel::detail {

pid_t current_thread_id() noexcept {
  return static_cast<pid_t>(::syscall(SYS_gettid));
}

std::optional<bool> thread_blocked(pid_t tid) {
  // /proc/self/task/TID/stat: "TID (comm) STATE ..."; comm may hold spaces
  // and parentheses, so the state is the first field after the last ')'.
  std::ifstream in{"/proc/self/task/" + std::to_string(tid) + "/stat"};
  std::string line;
  if (!in || !std::getline(in, line))
    return std::nullopt;
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size())
    return std::nullopt;
  char state = line[close + 2];
  return state != 'R';
}

} // namespace parallel::detail
