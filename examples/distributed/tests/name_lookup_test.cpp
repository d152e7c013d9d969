// Connecting by host name when the name service never answers. This
// executable replaces the system's getaddrinfo (see below), so it is kept
// apart from the other remote tests.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>

#include <dlfcn.h>
#include <netdb.h>

#include <caf/actor_system.hpp>

#include "../example_tasks.hpp"
#include "eventually.hpp"
#include "node_process.hpp"
#include "test_client.hpp"
#include "parallel/parallel.hpp"

using namespace std::chrono_literals;
namespace remote = parallel::remote;

using test::client;
using test::eventually;

namespace {

// A name under ".hang.test" is looked up as by a name server that never
// answers: the call blocks until `release_lookups`. "up.hang.test" resolves
// to 127.0.0.1 until `hang_up_name` is set.
std::mutex lookup_mtx;
std::condition_variable lookup_cv;
int releases = 0; // a lookup blocks until the next release
std::atomic<int> lookups_blocked{0};
std::atomic<bool> hang_up_name{false};

void release_lookups() {
  std::lock_guard<std::mutex> guard{lookup_mtx};
  ++releases;
  lookup_cv.notify_all();
}

/// Lets every blocked lookup finish when a test case ends, passed or not:
/// their threads then end before the process does.
struct release_at_end {
  ~release_at_end() {
    release_lookups();
  }
};

} // namespace

// Replaces the C library's getaddrinfo in this executable (the library's
// calls bind to it); other names go to the real one.
extern "C" int getaddrinfo(const char* node, const char* service,
                           const addrinfo* hints, addrinfo** res) noexcept {
  using real_fn = int (*)(const char*, const char*, const addrinfo*, addrinfo**);
  static auto real = reinterpret_cast<real_fn>(dlsym(RTLD_NEXT, "getaddrinfo"));
  std::string_view name = node != nullptr ? node : "";
  bool numeric_only = hints != nullptr && (hints->ai_flags & AI_NUMERICHOST) != 0;
  if (!numeric_only && name.ends_with(".hang.test")) {
    if (name == "up.hang.test" && !hang_up_name.load())
      return real("127.0.0.1", service, hints, res);
    std::unique_lock<std::mutex> lk{lookup_mtx};
    ++lookups_blocked;
    auto entered = releases;
    lookup_cv.wait(lk, [entered] { return releases != entered; });
    return EAI_AGAIN;
  }
  return real(node, service, hints, res);
}

TEST_CASE("a host name whose lookup never ends fails the connect at its timeout") {
  release_at_end release;
  client c;
  int before = lookups_blocked.load();
  auto nodes = remote::cluster::connect(*c.sys, "node.hang.test:4242", {300ms});
  REQUIRE(!nodes);
  CHECK(lookups_blocked.load() > before); // the lookup really hung
  auto why = parallel::message(nodes.error());
  CHECK_THAT(why, Catch::Contains("node.hang.test:4242"));
  CHECK_THAT(why, Catch::Contains("cannot resolve host"));
}

TEST_CASE("a numeric address needs no lookup, and a name that resolves connects") {
  test::node_process n1;
  client c;
  auto by_name = remote::cluster::connect(
    *c.sys, "up.hang.test:" + std::to_string(n1.port()), {30000ms});
  if (!by_name)
    FAIL("connect failed: " << parallel::message(by_name.error()));
  CHECK(test::pid_of(c, *by_name) == static_cast<int32_t>(n1.pid()));
}

TEST_CASE("a cluster that goes away stops a reconnect attempt stuck in its name lookup") {
  release_at_end release;
  test::node_process n1;
  {
    client c;
    remote::connect_options opts;
    opts.timeout = 600s; // how long a reconnect attempt may wait for the node
    opts.reconnect_max_backoff = 200ms;
    auto nodes = remote::cluster::connect(
      *c.sys, "up.hang.test:" + std::to_string(n1.port()), opts);
    if (!nodes)
      FAIL("connect failed: " << parallel::message(nodes.error()));
    hang_up_name = true;
    int before = lookups_blocked.load();
    n1.kill(SIGKILL);
    REQUIRE(eventually([&] { return !nodes->alive(0); }));
    REQUIRE(eventually([&] { return lookups_blocked.load() > before; }));
  } // The cluster, then the actor system go away: without cancelling the
    // lookup, the actor system would wait for it until the lookups are
    // released, after this block (ctest's timeout of 120 s fails the case).
  hang_up_name = false;
}

TEST_CASE("a node whose listen host name never resolves fails to start in time") {
  release_at_end release;
  client c;
  remote::node_options opts;
  opts.host = "listen.hang.test";
  opts.host_lookup_timeout = 300ms;
  // Were start to wait for the lookup, it would never return (the lookup is
  // released only at the end of the case).
  int before = lookups_blocked.load();
  auto started = remote::node::start(*c.sys, examples::make_registry(), opts);
  REQUIRE(!started);
  CHECK(lookups_blocked.load() > before); // the lookup really hung
  auto why = parallel::message(started.error());
  CHECK_THAT(why, Catch::Contains("listen.hang.test"));
  CHECK_THAT(why, Catch::Contains("no answer from the name service in time"));
}
