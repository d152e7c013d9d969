// Attack review of the guard on the middleman's thread (ab34d1a): scenarios
// that held, kept as tests ([review]; each prints what happened and aborts
// with "HANG:" if a step does not return).
//   parallel-remote-tests "[review]" -s
// Real parallel-node processes and fake nodes (a relay in front of a real
// node that passes only part of its bytes) on loopback.
#include <catch2/catch.hpp>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <optional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>

#include "../example_tasks.hpp"
#include "node_process.hpp"
#include "raw_basp_peer.hpp"
#include "test_client.hpp"
#include "parallel/parallel.hpp"

using namespace std::chrono_literals;
namespace remote = parallel::remote;
using test::client;

namespace {

/// Aborts the process if `fn` does not return within `limit` (a hang
/// shows as a failure with a reason, not as ctest's timeout).
template <class F>
void within(std::chrono::seconds limit, const char* what, F fn) {
  std::atomic<bool> done{false};
  std::thread dog([&] {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(50ms);
    if (!done) {
      std::cerr << "HANG: " << what << " did not return within " << limit.count()
                << " s\n";
      std::abort();
    }
  });
  fn();
  done = true;
  dog.join();
}

int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
    throw std::runtime_error("cannot connect");
  return fd;
}

bool read_exact(int fd, char* p, std::size_t n, int ms = 10000) {
  while (n > 0) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, ms) <= 0)
      return false;
    auto got = ::recv(fd, p, n, 0);
    if (got <= 0)
      return false;
    p += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

/// A TCP relay on 127.0.0.1 in front of `target`: relays one connection
/// both ways, but passes only the first `pass` bytes from the target to the
/// client; then `after`: "stall" (keeps both open, relays nothing more),
/// "garbage" (sends 64 bytes of 0xff) or "close".
class relay {
public:
  relay(uint16_t target, std::size_t pass, std::string after)
    : target_(target), pass_(pass), after_(std::move(after)) {
    lst_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(lst_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    ::listen(lst_, 8);
    socklen_t len = sizeof(sa);
    getsockname(lst_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    thr_ = std::thread([this] { run(); });
  }
  ~relay() {
    stop_ = true;
    thr_.join();
    for (int fd : fds_)
      ::close(fd);
    ::close(lst_);
  }
  uint16_t port() const {
    return port_;
  }

private:
  struct pair_t {
    int cl = -1, up = -1;
    std::size_t passed = 0;
    bool done_after = false;
  };
  void run() {
    std::vector<pair_t> ps;
    while (!stop_) {
      std::vector<pollfd> p{{lst_, POLLIN, 0}};
      std::vector<std::pair<std::size_t, bool>> who{{0, false}};
      for (std::size_t i = 0; i < ps.size(); ++i) {
        if (ps[i].cl >= 0) {
          p.push_back({ps[i].cl, POLLIN, 0});
          who.push_back({i, false});
        }
        if (ps[i].up >= 0 && ps[i].passed < pass_) {
          p.push_back({ps[i].up, POLLIN, 0});
          who.push_back({i, true});
        }
      }
      ::poll(p.data(), p.size(), 50);
      for (std::size_t k = 0; k < p.size(); ++k) {
        auto& e = p[k];
        if (!(e.revents & (POLLIN | POLLHUP | POLLERR)))
          continue;
        char buf[65536];
        if (k == 0) {
          int fd = ::accept4(lst_, nullptr, nullptr, SOCK_CLOEXEC);
          pair_t np;
          np.cl = fd;
          np.up = target_ ? connect_to(target_) : -1;
          fds_.push_back(np.cl);
          if (np.up >= 0)
            fds_.push_back(np.up);
          if (pass_ == 0) {
            np.done_after = true;
            finish(np.cl);
          }
          ps.push_back(np);
          continue;
        }
        auto& pr = ps[who[k].first];
        if (!who[k].second) {
          if (pr.cl < 0)
            continue;
          auto n = ::recv(pr.cl, buf, sizeof(buf), 0);
          if (n > 0 && pr.up >= 0)
            ::send(pr.up, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
          if (n <= 0)
            pr.cl = -1;
        } else {
          if (pr.up < 0 || pr.cl < 0)
            continue;
          auto want = std::min<std::size_t>(sizeof(buf), pass_ - pr.passed);
          auto n = ::recv(pr.up, buf, want, 0);
          if (n > 0) {
            ::send(pr.cl, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
            pr.passed += static_cast<std::size_t>(n);
            if (pr.passed >= pass_ && !pr.done_after) {
              pr.done_after = true;
              finish(pr.cl);
            }
          } else {
            pr.up = -1;
          }
        }
      }
    }
  }
  void finish(int cl) {
    if (after_ == "garbage") {
      std::vector<char> junk(64, static_cast<char>(0xff));
      ::send(cl, junk.data(), junk.size(), MSG_NOSIGNAL);
    } else if (after_ == "close") {
      ::shutdown(cl, SHUT_RDWR);
    }
  }
  uint16_t target_;
  std::size_t pass_;
  std::string after_;
  int lst_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thr_;
  std::vector<int> fds_;
};

/// The length of the node's server_handshake frame (header and payload).
std::size_t server_handshake_size(uint16_t node_port) {
  int fd = connect_to(node_port);
  unsigned char hdr[32];
  REQUIRE(read_exact(fd, reinterpret_cast<char*>(hdr), 32));
  std::size_t len = 0;
  for (int i = 4; i < 8; ++i)
    len = (len << 8) | hdr[i];
  ::close(fd);
  return 32 + len;
}

} // namespace

TEST_CASE("review: fake nodes against cluster::connect", "[review]") {
  test::node_process n1;
  auto hs = server_handshake_size(n1.port());
  struct plan {
    std::size_t pass;
    const char* after;
  };
  for (auto [pass, after] : {plan{0, "garbage"}, plan{0, "close"}, plan{0, "stall"},
                             plan{20, "stall"}, plan{20, "close"}, plan{20, "garbage"},
                             plan{hs - 1, "stall"}, plan{hs - 1, "garbage"},
                             plan{hs, "garbage"}, plan{hs, "stall"}, plan{hs, "close"},
                             plan{hs + 40, "garbage"}, plan{hs + 40, "stall"}}) {
    relay r{pass == 0 ? uint16_t{0} : n1.port(), pass, after};
    auto t0 = std::chrono::steady_clock::now();
    std::string outcome;
    within(60s, "connect + ~actor_system against a fake node", [&] {
      client c;
      auto nodes = remote::cluster::connect(*c.sys, "127.0.0.1:" + std::to_string(r.port()),
                                            {2000ms});
      if (!nodes) {
        outcome = "error: " + parallel::message(nodes.error());
      } else {
        parallel::collect_with_errs<int64_t> col(
          remote::spread(parallel::unlimited(*c.sys), *nodes));
        remote::go_remote(col, examples::echo, int64_t{7});
        auto got = col.wait();
        outcome = "connected; task: ok=" + std::to_string(got.values.size())
                  + " errors=" + std::to_string(got.errors.size());
      }
    });
    std::cout << "[review] fake node passing " << pass << " of " << hs << " bytes, then "
              << after << ": " << outcome << " ("
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
              << " s incl. ~actor_system)\n";
  }
}

TEST_CASE("review: destroying a client while its node is stopped", "[review]") {
  test::node_process n1;
  within(60s, "~cluster and ~actor_system with a stopped node", [&] {
    client c;
    auto nodes = c.connect({&n1});
    parallel::collect<int64_t> col(remote::spread(parallel::unlimited(*c.sys), nodes));
    remote::go_remote(col, examples::echo, int64_t{7});
    REQUIRE(col.wait());
    n1.kill(SIGSTOP);
  });
  n1.kill(SIGCONT);
  // And while a connect to the stopped node is under way in another thread
  // (the connect is given up with a cancelled cluster only; here it runs out).
  n1.kill(SIGSTOP);
  within(60s, "connect to a stopped node, then ~actor_system", [&] {
    client c;
    auto nodes = remote::cluster::connect(*c.sys, n1.address(), {500ms});
    CHECK(!nodes);
    if (!nodes)
      std::cout << "[review] connect to a stopped node: "
                << parallel::message(nodes.error()) << "\n";
  });
  n1.kill(SIGCONT);
}

TEST_CASE("review: many actor systems connect and go away", "[review]") {
  test::node_process n1;
  auto round = [&](int i) {
    client c;
    auto nodes = c.connect({&n1});
    parallel::collect<int64_t> col(remote::spread(parallel::unlimited(*c.sys), nodes));
    remote::go_remote(col, examples::echo, int64_t{i});
    auto got = col.wait();
    REQUIRE(got);
    CHECK(got->front() == i);
  };
  within(300s, "sequential systems", [&] {
    for (int i = 0; i < 40; ++i)
      round(i);
  });
  within(300s, "concurrent systems", [&] {
    std::vector<std::thread> ts;
    for (int t = 0; t < 3; ++t)
      ts.emplace_back([&, t] {
        for (int i = 0; i < 15; ++i) {
          client c;
          auto nodes = remote::cluster::connect(*c.sys, n1.address(), {30000ms});
          if (!nodes) {
            std::cout << "[review] connect failed: " << parallel::message(nodes.error())
                      << "\n";
            continue;
          }
          parallel::collect<int64_t> col(
            remote::spread(parallel::unlimited(*c.sys), *nodes));
          remote::go_remote(col, examples::echo, int64_t{t * 100 + i});
          (void) col.wait();
        }
      });
    for (auto& t : ts)
      t.join();
  });
}

TEST_CASE("review: node start and stop in a loop, in one process", "[review]") {
  within(300s, "node loop", [&] {
    for (int i = 0; i < 20; ++i) {
      client server;
      auto made = remote::node::start(*server.sys, examples::make_registry(),
                                      {.host = "127.0.0.1", .port = 0});
      REQUIRE(made);
      std::optional<remote::node> started{std::move(*made)};
      {
        client c;
        auto nodes = remote::cluster::connect(
          *c.sys, "127.0.0.1:" + std::to_string(started->port()), {30000ms});
        REQUIRE(nodes);
        parallel::collect<int64_t> col(remote::spread(parallel::unlimited(*c.sys), *nodes));
        remote::go_remote(col, examples::echo, int64_t{i});
        REQUIRE(col.wait());
        if (i % 2 == 0) {
          // stop the node while the client is still connected
          started->stop();
          CHECK(started->wait_stopped(10000ms));
          started.reset();
        }
      }
    }
  });
}

TEST_CASE("review: a client goes away with tasks in flight on a stopped node", "[review]") {
  test::node_process n1;
  for (auto net_timeout : {1000, 5000}) {
    auto t0 = std::chrono::steady_clock::now();
    within(60s, "~group, ~cluster and ~actor_system with tasks on a stopped node", [&] {
      auto net = test::test_net();
      net.connection_timeout = std::chrono::milliseconds(net_timeout);
      client c{net};
      auto nodes = c.connect({&n1});
      parallel::collect_with_errs<int32_t> col(
        remote::spread(parallel::unlimited(*c.sys), nodes));
      for (int i = 0; i < 16; ++i)
        remote::go_remote(col, examples::sleep, int32_t{60000});
      n1.kill(SIGSTOP);
      // col, nodes and the system go away here, tasks in flight.
    });
    n1.kill(SIGCONT);
    std::cout << "[review] client with 16 tasks on a stopped node (connection timeout "
              << net_timeout << " ms) went away in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
              << " s\n";
  }
  // The node let go of the 32 sleeping tasks of the clients that went away
  // (they would hold its 16 places for a minute) and serves a new client.
  client c;
  CHECK(test::pid_of(c, c.connect({&n1})) == static_cast<int32_t>(n1.pid()));
}
