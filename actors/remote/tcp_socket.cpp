// TCP sockets by address: connecting within a deadline, and listening.
#include "tcp_socket.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace parallel::remote::detail {

namespace {

using clock = std::chrono::steady_clock;

constexpr const char* timed_out_text = "no answer (timed out)";

/// What `use` returns to stop trying further addresses: the deadline passed,
/// or the attempt was cancelled.
constexpr int give_up = -1;
constexpr int cancelled = -2;

int ms_left(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline
                                                                    - clock::now());
  return static_cast<int>(std::clamp<long>(left.count(), 0, 1 << 30));
}

/// Resolves `host`:`port` (`flags` for getaddrinfo) and calls `use(fd, ai)`
/// with a new non-blocking socket for each address in turn, until it returns
/// 0 (that socket is the result) or `give_up`; other returns are errno values
/// and the next address is tried.
template <class Use>
expected<int> on_first_address(const char* host, uint16_t port, int flags, Use use) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags;
  addrinfo* res = nullptr;
  auto service = std::to_string(port);
  if (int rc = getaddrinfo(host, service.c_str(), &hints, &res); rc != 0)
    return make_error(std::string{"cannot resolve host: "} + gai_strerror(rc));
  std::string why = "no address";
  for (auto* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    int err = use(fd, *ai);
    if (err == 0) {
      freeaddrinfo(res);
      return fd;
    }
    ::close(fd);
    if (err == give_up || err == cancelled) {
      freeaddrinfo(res);
      return make_error(err == give_up ? timed_out_text : "cancelled");
    }
    why = std::strerror(err);
  }
  freeaddrinfo(res);
  return make_error(why);
}

} // namespace

expected<int> tcp_connect_before(const std::string& host, uint16_t port,
                                 clock::time_point deadline, int cancel_fd) {
  return on_first_address(host.c_str(), port, 0, [&](int fd, const addrinfo& ai) {
    int err = ::connect(fd, ai.ai_addr, ai.ai_addrlen) == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
      // Non-blocking, so that an address that never answers costs at most
      // the time left, not the system's SYN timeout.
      pollfd p[2] = {{fd, POLLOUT, 0}, {cancel_fd, POLLIN, 0}};
      int n;
      do {
        n = ::poll(p, cancel_fd >= 0 ? 2 : 1, ms_left(deadline));
      } while (n < 0 && errno == EINTR);
      if (n == 0)
        return give_up;
      if (p[1].revents != 0)
        return cancelled;
      socklen_t len = sizeof(err);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    }
    if (err == 0) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return err;
  });
}

bool timed_out(const error& err) {
  return message(err) == timed_out_text;
}

expected<int> tcp_listen(const std::string& host, uint16_t port, int backlog) {
  bool any = host.empty() || host == "0.0.0.0";
  return on_first_address(any ? "0.0.0.0" : host.c_str(), port, AI_PASSIVE,
                          [&](int fd, const addrinfo& ai) {
                            int one = 1;
                            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                            if (::bind(fd, ai.ai_addr, ai.ai_addrlen) == 0
                                && ::listen(fd, backlog) == 0)
                              return 0;
                            return errno;
                          });
}

uint16_t local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (ss.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

} // namespace parallel::remote::detail
