// TCP sockets by address: connecting within a deadline, and listening.
#include "tcp_socket.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>
#include <thread>
#include <utility>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
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

using addrinfo_ptr = std::unique_ptr<addrinfo, decltype(&freeaddrinfo)>;

addrinfo make_hints(int flags) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags;
  return hints;
}

expected<addrinfo_ptr> resolve(const char* host, const std::string& service,
                               int flags) {
  auto hints = make_hints(flags);
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host, service.c_str(), &hints, &res); rc != 0)
    return make_error(std::string{"cannot resolve host: "} + gai_strerror(rc));
  return addrinfo_ptr{res, &freeaddrinfo};
}

/// A host name lookup on a thread of its own: getaddrinfo blocks for as long
/// as the system's resolver waits for a name server, and cannot be
/// interrupted. The caller stops waiting at its deadline (or when
/// cancelled); the thread then finishes alone and frees the lookup.
struct name_lookup {
  std::string host;
  std::string service;
  addrinfo hints{};
  int rc = 0;
  addrinfo* res = nullptr;
  std::atomic<bool> done{false};
  int done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); // readable once done

  ~name_lookup() {
    if (res != nullptr)
      freeaddrinfo(res);
    if (done_fd >= 0)
      ::close(done_fd);
  }
};

/// The addresses of `host`:`port` (getaddrinfo's `flags`), found before
/// `deadline` unless `cancel_fd` (if not -1) becomes readable first. A
/// numeric address needs no lookup and no thread.
expected<addrinfo_ptr> resolve_before(const char* host, const std::string& service,
                                      int flags, clock::time_point deadline,
                                      int cancel_fd) {
  if (auto numeric = resolve(host, service, flags | AI_NUMERICHOST))
    return numeric;
  auto l = std::make_shared<name_lookup>();
  if (l->done_fd < 0)
    return make_error(std::string{"cannot resolve host: "} + std::strerror(errno));
  l->host = host;
  l->service = service;
  l->hints = make_hints(flags);
  try {
    std::thread{[l] {
      l->rc = getaddrinfo(l->host.c_str(), l->service.c_str(), &l->hints, &l->res);
      l->done.store(true, std::memory_order_release);
      uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(l->done_fd, &one, sizeof(one));
    }}.detach();
  } catch (const std::system_error& e) {
    return make_error(std::string{"cannot resolve host: no thread for the lookup ("}
                      + e.what() + ")");
  }
  pollfd p[2] = {{l->done_fd, POLLIN, 0}, {cancel_fd, POLLIN, 0}};
  int n;
  do {
    n = ::poll(p, cancel_fd >= 0 ? 2 : 1, ms_left(deadline));
  } while (n < 0 && errno == EINTR);
  if (!l->done.load(std::memory_order_acquire)) {
    if (n > 0 && p[1].revents != 0)
      return make_error("cancelled");
    return make_error("cannot resolve host: no answer from the name service in time");
  }
  if (l->rc != 0)
    return make_error(std::string{"cannot resolve host: "} + gai_strerror(l->rc));
  return addrinfo_ptr{std::exchange(l->res, nullptr), &freeaddrinfo};
}

/// Calls `use(fd, ai)` with a new non-blocking socket for each address in
/// `addrs` in turn, until it returns 0 (that socket is the result) or
/// `give_up`/`cancelled`; other returns are errno values and the next
/// address is tried.
template <class Use>
expected<int> on_first_address(const addrinfo* addrs, Use use) {
  std::string why = "no address";
  for (auto* ai = addrs; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    int err = use(fd, *ai);
    if (err == 0)
      return fd;
    ::close(fd);
    if (err == give_up || err == cancelled)
      return make_error(err == give_up ? timed_out_text : "cancelled");
    why = std::strerror(err);
  }
  return make_error(why);
}

} // namespace

expected<int> tcp_connect_before(const std::string& host, uint16_t port,
                                 clock::time_point deadline, int cancel_fd) {
  auto addrs = resolve_before(host.c_str(), std::to_string(port), 0, deadline, cancel_fd);
  if (!addrs)
    return addrs.error();
  return on_first_address(addrs->get(), [&](int fd, const addrinfo& ai) {
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

expected<int> tcp_listen(const std::string& host, uint16_t port, int backlog,
                         clock::time_point deadline) {
  bool any = host.empty() || host == "0.0.0.0";
  auto addrs = resolve_before(any ? "0.0.0.0" : host.c_str(), std::to_string(port),
                              AI_PASSIVE, deadline, -1);
  if (!addrs)
    return addrs.error();
  return on_first_address(addrs->get(), [&](int fd, const addrinfo& ai) {
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
