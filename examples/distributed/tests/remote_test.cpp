// Distributed groups, against real parallel-node processes on loopback.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <cstdio>
#include <set>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "../example_tasks.hpp"
#include "child_process.hpp"
#include "eventually.hpp"
#include "node_counters.hpp"
#include "node_process.hpp"
#include "test_client.hpp"
#include "parallel/parallel.hpp"

using namespace std::chrono_literals;
using parallel::errc;
namespace remote = parallel::remote;

using test::client;
using test::eventually;
using test::per_node;
using test::test_net;

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

int64_t fib(int n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

bool certs_available() {
  return std::ifstream{std::string{TEST_CERTS_DIR} + "/client.pem"}.good();
}

std::string cert(const std::string& name) {
  return std::string{TEST_CERTS_DIR} + "/" + name;
}

/// The local ports of the IPv4 connections to 127.0.0.1:`port` in `state`
/// (from /proc/net/tcp, in its hex notation: "01" established, "02"
/// SYN_SENT).
std::set<unsigned> connections_to(uint16_t port, const std::string& state_wanted) {
  std::set<unsigned> out;
  std::ifstream in{"/proc/net/tcp"};
  std::string line;
  std::getline(in, line); // the header
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::string slot, local, remote_addr, state;
    fields >> slot >> local >> remote_addr >> state;
    auto port_of = [](const std::string& addr) {
      return static_cast<unsigned>(std::stoul(addr.substr(addr.find(':') + 1), nullptr, 16));
    };
    if (state == state_wanted && remote_addr.rfind("0100007F:", 0) == 0
        && port_of(remote_addr) == port)
      out.insert(port_of(local));
  }
  return out;
}

/// The local ports of the established connections to 127.0.0.1:`port`.
std::set<unsigned> established_to(uint16_t port) {
  return connections_to(port, "01");
}

/// Connects `c` to `node` while the node is stopped (SIGSTOP) for ten of the
/// client's heartbeat intervals, then resumed: its TLS and BASP handshake
/// come only after CAF's heartbeat ticked several times (CAF 0.17.6 closes a
/// connection at its first tick unless the peer's handshake arrived). The
/// stop's length only decides how many ticks pass; the connect's own
/// deadline is 30 s.
parallel::expected<remote::cluster> connect_while_stopped(client& c,
                                                          test::node_process& node) {
  node.kill(SIGSTOP);
  auto pending = std::async(std::launch::async, [&] {
    return remote::cluster::connect(*c.sys, node.address(), {30000ms});
  });
  pending.wait_for(1000ms); // returns early only if the connect gave up
  node.kill(SIGCONT);
  return pending.get();
}

} // namespace

TEST_CASE("results from two nodes, in submission order") {
  test::node_process n1, n2;
  client c;
  auto nodes = c.connect({&n1, &n2});
  REQUIRE(nodes.size() == 2);
  {
    auto ex = remote::spread(parallel::unlimited(*c.sys), nodes, per_node(4));
    parallel::collect<int64_t> fibs(ex);
    for (int i = 0; i < 40; ++i)
      remote::go_remote(fibs, examples::fib, i % 25);
    auto got = fibs.wait();
    REQUIRE(got);
    REQUIRE(got->size() == 40);
    for (int i = 0; i < 40; ++i)
      CHECK((*got)[i] == fib(i % 25));
    auto split = ex.node_stats();
    REQUIRE(split.size() == 2);
    CHECK(split[0].ok + split[1].ok == 40);
    CHECK(split[0].ok > 0);
    CHECK(split[1].ok > 0);
  }
  {
    // Both processes ran tasks; untyped names work with exact argument types.
    auto ex = remote::spread(parallel::unlimited(*c.sys), nodes, per_node(2));
    parallel::collect<int32_t> pids(ex);
    for (int i = 0; i < 20; ++i)
      remote::go_remote(pids, "pid");
    auto got = pids.wait();
    REQUIRE(got);
    std::set<int32_t> distinct(got->begin(), got->end());
    CHECK(distinct == std::set<int32_t>{n1.pid(), n2.pid()});
  }
  {
    // Strings and a registered container type cross the wire.
    auto ex = remote::spread(parallel::unlimited(*c.sys), nodes);
    parallel::collect<std::string> hello(ex);
    remote::go_remote(hello, "hello", std::string{"world"});
    parallel::collect<int64_t> sums(ex);
    remote::go_remote(sums, "sum", std::vector<int64_t>{1, 2, 3, 4});
    auto h = hello.wait();
    REQUIRE(h);
    CHECK(*h == std::vector<std::string>{"hello, world"});
    auto s = sums.wait();
    REQUIRE(s);
    CHECK(*s == std::vector<int64_t>{10});
  }
}

TEST_CASE("local and remote tasks share a group") {
  test::node_process n1;
  client c;
  auto nodes = c.connect({&n1});
  auto ex = remote::spread(parallel::limited(*c.sys, {}, 2), nodes, per_node(2));
  parallel::collect<int64_t> all(ex);
  for (int i = 0; i < 10; ++i) {
    if (i % 2 == 0)
      all.go([i](const parallel::context&) { return int64_t{-i}; });
    else
      remote::go_remote(all, examples::echo, int64_t{i});
  }
  ex.go_remote(examples::echo, int64_t{99}); // the executor's own task
  auto got = all.wait();
  REQUIRE(got);
  CHECK(*got == std::vector<int64_t>{0, 1, -2, 3, -4, 5, -6, 7, -8, 9});
  auto stats = ex.stats();
  CHECK(stats.submitted == 11);
  CHECK(stats.succeeded == 11);
}

TEST_CASE("a serial executor's group takes remote tasks too") {
  test::node_process n1;
  client c;
  auto nodes = c.connect({&n1});
  auto ex = remote::spread(parallel::limited(*c.sys, {}, 0), nodes, per_node(1));
  parallel::collect<int64_t> all(ex);
  std::thread::id caller = std::this_thread::get_id(), ran_on;
  all.go([&](const parallel::context&) {
    ran_on = std::this_thread::get_id(); // serial: inline, on the caller
    return int64_t{7};
  });
  for (int i = 0; i < 3; ++i)
    remote::go_remote(all, examples::echo, int64_t{i});
  auto got = all.wait();
  REQUIRE(got);
  CHECK(*got == std::vector<int64_t>{7, 0, 1, 2});
  CHECK(ran_on == caller);
  CHECK(ex.node_stats()[0].peak_in_flight == 1);
}

TEST_CASE("an error made from a multi_error crosses as its parts") {
  test::node_process n1;
  client c;
  auto nodes = c.connect({&n1});
  parallel::gather_errs ge(remote::spread(parallel::unlimited(*c.sys), nodes));
  remote::go_remote(ge, "fail_many", std::vector<std::string>{"a", "b"});
  remote::go_remote(ge, "fail_code", static_cast<int32_t>(errc::cancelled));
  auto errs = ge.wait(); // flattened, in order
  REQUIRE(errs.size() == 3);
  CHECK(parallel::message(errs.errors()[0]) == "a");
  CHECK(parallel::message(errs.errors()[1]) == "b");
  CHECK(parallel::is(errs.errors()[2], errc::cancelled));
}

TEST_CASE("all six wrappers take remote tasks") {
  test::node_process n1;
  client c;
  auto nodes = c.connect({&n1});
  auto ex = remote::spread(parallel::unlimited(*c.sys), nodes);
  parallel::err_group eg(ex);
  parallel::collect<int32_t> col(ex);
  std::vector<int32_t> fed;
  parallel::feed<int32_t> fd(ex, [&](const parallel::context&, int32_t x) {
    fed.push_back(x);
  });
  parallel::gather_errs ge(ex);
  parallel::collect_with_errs<int32_t> cwe(ex);
  std::vector<int32_t> fed2;
  parallel::feed_with_errs<int32_t> fwe(ex, [&](const parallel::context&, int32_t x) {
    fed2.push_back(x);
  });
  remote::go_remote(eg, examples::sleep, 1);
  remote::go_remote(col, examples::sleep, 2);
  remote::go_remote(fd, examples::sleep, 3);
  remote::go_remote(ge, examples::sleep, 4);
  remote::go_remote(cwe, examples::sleep, 5);
  remote::go_remote(fwe, examples::sleep, 6);
  CHECK(!eg.wait());
  CHECK(*col.wait() == std::vector<int32_t>{2});
  CHECK(!fd.wait());
  CHECK(fed == std::vector<int32_t>{3});
  CHECK(!ge.wait());
  auto r = cwe.wait();
  CHECK(r.values == std::vector<int32_t>{5});
  CHECK(!r.errors);
  CHECK(!fwe.wait());
  CHECK(fed2 == std::vector<int32_t>{6});
}

TEST_CASE("the bound per node holds, independently of the local bound") {
  test::node_process n1({"--max-in-flight", "16"}), n2({"--max-in-flight", "16"});
  client c;
  auto nodes = c.connect({&n1, &n2});
  auto [ctx, cancel] = parallel::with_cancel(parallel::context::background());
  // A local bound of 1, held by a blocked local task the whole time.
  auto ex = remote::spread(parallel::limited(*c.sys, ctx, 1), nodes, per_node(2));
  parallel::collect<int32_t> col(ex);
  std::atomic<bool> local_running{false};
  col.go([&](const parallel::context& tctx) -> parallel::expected<int32_t> {
    local_running = true;
    tctx.sleep_for(60s);
    return tctx.cause();
  });
  for (int i = 0; i < 10; ++i)
    remote::go_remote(col, "block");
  // Remote tasks are not held back by the local bound: two run on each node.
  REQUIRE(eventually([&] {
    auto a = nodes.stats(0), b = nodes.stats(1);
    return local_running && a && b && a->running == 2 && b->running == 2;
  }));
  auto split = ex.node_stats();
  CHECK(split[0].in_flight == 2);
  CHECK(split[1].in_flight == 2);
  CHECK(ex.stats().running == 5);
  cancel(parallel::make_error(errc::cancelled));
  auto got = col.wait();
  REQUIRE(!got);
  CHECK(parallel::is(got.error(), errc::cancelled));
  for (std::size_t i = 0; i < 2; ++i) {
    auto st = nodes.stats(i);
    REQUIRE(st);
    CHECK(st->peak_running == 2);
    CHECK(st->received == 2); // the queued six never left the client
  }
  split = ex.node_stats();
  CHECK(split[0].peak_in_flight == 2);
  CHECK(split[1].peak_in_flight == 2);
}

TEST_CASE("a remote error arrives as the same error") {
  test::node_process n1;
  client c;
  auto nodes = c.connect({&n1});
  SECTION("a runtime error keeps its text") {
    parallel::err_group eg(remote::spread(parallel::unlimited(*c.sys), nodes));
    remote::go_remote(eg, "fail", std::string{"uh oh"});
    auto err = eg.wait();
    REQUIRE(err);
    CHECK(parallel::message(err) == "uh oh");
    CHECK(err == parallel::make_error("uh oh"));
  }
  SECTION("a library sentinel stays that sentinel") {
    parallel::err_group eg(remote::spread(parallel::unlimited(*c.sys), nodes));
    remote::go_remote(eg, "fail_code", static_cast<int32_t>(errc::deadline_exceeded));
    auto err = eg.wait();
    CHECK(parallel::is(err, errc::deadline_exceeded));
  }
  SECTION("errors are gathered in submission order") {
    parallel::gather_errs ge(remote::spread(parallel::unlimited(*c.sys), nodes));
    for (auto text : {"a", "b", "c"})
      remote::go_remote(ge, "fail", std::string{text});
    auto errs = ge.wait();
    REQUIRE(errs.size() == 3);
    CHECK(errs.message() == "a\nb\nc");
  }
  SECTION("an unknown task, wrong arguments and a wrong result type are errors") {
    parallel::collect_with_errs<int64_t> cwe(
      remote::spread(parallel::unlimited(*c.sys), nodes));
    remote::go_remote(cwe, "nope", 1);
    remote::go_remote(cwe, "fib", int64_t{3}); // fib takes an int32_t
    remote::go_remote(cwe, "hello", std::string{"x"}); // a string, not int64_t
    // A type CAF cannot serialize (never added with add_message_type).
    remote::go_remote(cwe, "sum", std::vector<double>{1.0, 2.0});
    auto r = cwe.wait();
    REQUIRE(r.errors.size() == 4);
    auto& e = r.errors.errors();
    // Nodes say what they offer: no node offers it, so it is never sent.
    CHECK_THAT(parallel::message(e[0]), Catch::Contains("no connected node offers remote task \"nope\""));
    CHECK_THAT(parallel::message(e[1]), Catch::Contains("int64_t(int32_t)"));
    CHECK_THAT(parallel::message(e[2]), Catch::Contains("expected a result of type int64_t, got (std::string)"));
    CHECK_THAT(parallel::message(e[3]),
               Catch::StartsWith("remote task \"sum\": argument 1 is of type ")
                 && Catch::Contains("which this actor system cannot send to a node"));
  }
  SECTION("a result of the wrong type counts as a failure of its node") {
    auto ex = remote::spread(parallel::unlimited(*c.sys), nodes);
    parallel::collect_with_errs<int64_t> cwe(ex);
    remote::go_remote(cwe, "hello", std::string{"x"}); // answers a string
    remote::go_remote(cwe, "fib", int32_t{10});        // answers an int64_t
    auto r = cwe.wait();
    CHECK(r.errors.size() == 1);
    CHECK(r.values == std::vector<int64_t>{55});
    auto split = ex.node_stats();
    REQUIRE(split.size() == 1);
    CHECK(split[0].ok == 1);
    CHECK(split[0].failed == 1);
  }
}

TEST_CASE("a remote exception arrives as a panic with its type and text") {
  test::node_process n1;
  client c;
  auto nodes = c.connect({&n1});
  SECTION("a std::exception") {
    auto ex = remote::spread(parallel::unlimited(*c.sys), nodes);
    parallel::collect<int64_t> col(ex);
    remote::go_remote(col, "throw", std::string{"index 7 out of range"});
    for (int round = 0; round < 2; ++round) { // every wait() rethrows it
      try {
        col.wait();
        FAIL("wait() did not throw");
      } catch (const parallel::remote_panic& p) {
        CHECK(p.type_name() == "std::out_of_range");
        CHECK(std::string{p.what()} == "index 7 out of range");
        CHECK(p.task() == "throw");
        CHECK(p.node() == n1.address());
      }
    }
    CHECK(parallel::is(ex.group_context().cause(), errc::panicked));
    // Later go() rethrows it, as for a local panic.
    CHECK_THROWS_AS(col.go([](const parallel::context&) { return int64_t{1}; }),
                    std::runtime_error);
  }
  SECTION("a non-std exception keeps its type") {
    parallel::err_group eg(remote::spread(parallel::unlimited(*c.sys), nodes));
    remote::go_remote(eg, "throw_int");
    try {
      eg.wait();
      FAIL("wait() did not throw");
    } catch (const parallel::remote_panic& p) {
      CHECK(p.type_name() == "int");
      CHECK(std::string{p.what()}.empty());
    }
  }
  // The node survives its tasks' exceptions.
  auto st = nodes.stats(0);
  REQUIRE(st);
  CHECK(st->panicked == 1);
}

TEST_CASE("a node killed mid-run: in-flight tasks fail with node_down at once") {
  test::node_process n1, n2;
  client c;
  // No reconnection: this case is about a node that stays dead. With it, a
  // node of a test running beside this one may get the dead node's port and
  // answer in its place (reconnection has its own tests in node_life_test).
  remote::connect_options no_reconnect;
  no_reconnect.timeout = std::chrono::milliseconds(30000);
  no_reconnect.reconnect_backoff = std::chrono::milliseconds(0);
  auto nodes = c.connect({&n1, &n2}, no_reconnect);
  auto ex = remote::spread(parallel::unlimited(*c.sys), nodes, per_node(4));
  parallel::collect_with_errs<int32_t> col(ex);
  for (int i = 0; i < 8; ++i)
    remote::go_remote(col, examples::sleep, 800);
  REQUIRE(eventually([&] {
    auto a = nodes.stats(0), b = nodes.stats(1);
    return a && b && a->running == 4 && b->running == 4;
  }));
  auto t0 = clock_type::now();
  n2.kill(SIGKILL);
  REQUIRE(eventually([&] { return ex.stats().failed == 4; }));
  auto failed_after = ms_since(t0);
  auto got = col.wait();
  auto wait_after = ms_since(t0);
  std::cout << "[measured] SIGKILL: node_down failures " << failed_after
            << " ms after the kill; wait() returned after " << wait_after
            << " ms (the survivor's tasks take 800 ms)\n";
  CHECK(failed_after < 5000);
  CHECK(wait_after < 5000);
  CHECK(got.values == std::vector<int32_t>(4, 800));
  REQUIRE(got.errors.size() == 4);
  for (auto& e : got.errors.errors()) {
    CHECK(parallel::is(e, errc::node_down));
    CHECK_THAT(parallel::message(e), Catch::Contains(n2.address()));
  }
  CHECK_FALSE(nodes.alive(1));
  auto split = ex.node_stats();
  CHECK(split[1].lost == 4);
  CHECK_FALSE(split[1].alive);
  {
    // The group stops sending to it; later groups too.
    parallel::collect<int32_t> more(remote::spread(parallel::unlimited(*c.sys), nodes));
    for (int i = 0; i < 6; ++i)
      remote::go_remote(more, examples::sleep, 1);
    auto m = more.wait();
    REQUIRE(m);
    CHECK(m->size() == 6);
  }
}

TEST_CASE("a node killed mid-run: with retries every task completes on the survivor") {
  test::node_process n1, n2;
  client c;
  auto nodes = c.connect({&n1, &n2});
  auto ex = remote::spread(parallel::unlimited(*c.sys), nodes, per_node(4, 3));
  parallel::collect<int32_t> col(ex);
  for (int i = 0; i < 8; ++i)
    remote::go_remote(col, examples::work, i, 300);
  REQUIRE(eventually([&] {
    auto a = nodes.stats(0), b = nodes.stats(1);
    return a && b && a->running == 4 && b->running == 4;
  }));
  auto t0 = clock_type::now();
  n2.kill(SIGKILL);
  auto got = col.wait();
  std::cout << "[measured] SIGKILL with retries: wait() returned after "
            << ms_since(t0) << " ms\n";
  REQUIRE(got);
  CHECK(*got == std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7});
  auto st = nodes.stats(0);
  REQUIRE(st);
  CHECK(st->completed == 8);
  auto split = ex.node_stats();
  CHECK(split[0].ok == 8);
  CHECK(split[1].lost == 4);
}

TEST_CASE("every node killed: retries run out and the tasks fail with node_down") {
  test::node_process n1;
  client c;
  auto nodes = c.connect({&n1});
  auto ex = remote::spread(parallel::unlimited(*c.sys), nodes, per_node(2, 5));
  parallel::collect_with_errs<int32_t> col(ex);
  for (int i = 0; i < 6; ++i)
    remote::go_remote(col, examples::sleep, 10000);
  REQUIRE(eventually([&] {
    auto a = nodes.stats(0);
    return a && a->running == 2;
  }));
  n1.kill(SIGKILL);
  auto got = col.wait();
  CHECK(got.values.empty());
  REQUIRE(got.errors.size() == 6); // 2 in flight, 4 queued: none lost
  for (auto& e : got.errors.errors())
    CHECK(parallel::is(e, errc::node_down));
}

TEST_CASE("a node that stops answering (SIGSTOP) counts as down") {
  test::node_process n1, n2;
  client c; // heartbeat 100 ms, connection timeout 1 s
  auto nodes = c.connect({&n1, &n2});
  auto ex = remote::spread(parallel::unlimited(*c.sys), nodes, per_node(2));
  parallel::collect_with_errs<int32_t> col(ex);
  for (int i = 0; i < 4; ++i)
    remote::go_remote(col, examples::sleep, 1500);
  REQUIRE(eventually([&] {
    auto a = nodes.stats(0), b = nodes.stats(1);
    return a && b && a->running == 2 && b->running == 2;
  }));
  auto t0 = clock_type::now();
  n2.kill(SIGSTOP);
  REQUIRE(eventually([&] { return ex.stats().failed == 2; }));
  auto failed_after = ms_since(t0);
  auto got = col.wait();
  std::cout << "[measured] SIGSTOP: node_down failures " << failed_after
            << " ms after the stop (connection timeout 1000 ms)\n";
  CHECK(failed_after < 6000);
  CHECK(got.values.size() == 2);
  REQUIRE(got.errors.size() == 2);
  for (auto& e : got.errors.errors())
    CHECK(parallel::is(e, errc::node_down));
}

TEST_CASE("connecting to a node that is not there fails fast and clearly") {
  client c;
  SECTION("a closed port: connection refused") {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd); // nothing listens there now
    auto where = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    auto t0 = clock_type::now();
    auto nodes = remote::cluster::connect(*c.sys, where, {2000ms});
    auto took = ms_since(t0);
    std::cout << "[measured] connect to a closed port failed after " << took << " ms\n";
    REQUIRE(!nodes);
    CHECK_THAT(parallel::message(nodes.error()), Catch::Contains(where));
    CHECK_THAT(parallel::message(nodes.error()), Catch::Contains("refused"));
    CHECK(took < 2000);
  }
  SECTION("a port that accepts but never speaks: the timeout bounds it") {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(listen(fd, 8) == 0); // the kernel accepts; nobody answers
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    auto where = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    auto t0 = clock_type::now();
    auto nodes = remote::cluster::connect(*c.sys, where, {300ms});
    auto took = ms_since(t0);
    close(fd);
    std::cout << "[measured] connect to a silent port failed after " << took
              << " ms (timeout 300 ms)\n";
    REQUIRE(!nodes);
    CHECK_THAT(parallel::message(nodes.error()), Catch::Contains(where));
    CHECK_THAT(parallel::message(nodes.error()), Catch::Contains("handshake"));
    CHECK(took < 2300);
  }
  SECTION("one bad node among good ones is named") {
    test::node_process n1;
    auto nodes = remote::cluster::connect(*c.sys, n1.address() + ",127.0.0.1:1", {2000ms});
    REQUIRE(!nodes);
    CHECK_THAT(parallel::message(nodes.error()), Catch::Contains("127.0.0.1:1:"));
  }
  SECTION("one node listed twice, or under two names, is refused") {
    test::node_process n1;
    auto port = std::to_string(n1.port());
    auto twice = remote::cluster::connect(*c.sys, n1.address() + "," + n1.address(),
                                          {2000ms});
    REQUIRE(!twice);
    CHECK(parallel::message(twice.error()) == "node " + n1.address() + " is listed twice");
    auto aliased = remote::cluster::connect(*c.sys, n1.address() + ",localhost:" + port,
                                            {2000ms});
    REQUIRE(!aliased);
    CHECK(parallel::message(aliased.error())
          == n1.address() + " and localhost:" + port + " are the same node");
  }
  SECTION("malformed addresses") {
    auto no_host = remote::parse_node_address(":43003");
    REQUIRE(!no_host);
    CHECK_THAT(parallel::message(no_host.error()), Catch::Contains("no host"));
    CHECK(!remote::parse_node_address("localhost"));
    CHECK(!remote::parse_node_address("host:99999"));
    CHECK(!remote::parse_node_list(""));
    auto ok = remote::parse_node_list("a:1,[::1]:2");
    REQUIRE(ok);
    CHECK((*ok)[1].host == "::1");
    CHECK((*ok)[1].to_string() == "[::1]:2");
    auto spaced = remote::parse_node_list(" a:1 ,\tb:2 ");
    REQUIRE(spaced);
    CHECK(spaced->size() == 2);
    CHECK((*spaced)[0].host == "a");
    CHECK((*spaced)[1].host == "b");
  }
  SECTION("an address list with a hole or an ambiguous address") {
    auto why = [](const std::string& text) {
      auto r = remote::parse_node_list(text);
      return r ? std::string{"accepted"} : parallel::message(r.error());
    };
    CHECK_THAT(why("a:1,,b:2"), Catch::Contains("entry 2 is empty"));
    CHECK_THAT(why("a:1,"), Catch::Contains("entry 2 is empty"));
    CHECK_THAT(why(" , "), Catch::Contains("entry 1 is empty"));
    CHECK_THAT(why("  "), Catch::Contains("no nodes given"));
    CHECK_THAT(why("::1:4242"), Catch::Contains("IPv6 address goes in brackets"));
    CHECK_THAT(why("[::1:4242"), Catch::Contains("unclosed or empty bracket"));
    CHECK_THAT(why("[]:4242"), Catch::Contains("unclosed or empty bracket"));
    CHECK_THAT(why("a]:4242"), Catch::Contains("bracket inside the host"));
    CHECK_THAT(why("my host:4242"), Catch::Contains("contains a space"));
    CHECK_THAT(why("a\x1b[2J:4242"),
               Catch::Contains("control character") && Catch::Contains("a\\x1b[2J"));
  }
}

TEST_CASE("a node that shakes hands only after several heartbeat ticks is connected to") {
  test::node_process n1;
  client c; // heartbeat 100 ms
  auto nodes = connect_while_stopped(c, n1);
  if (!nodes)
    FAIL("connect failed: " << parallel::message(nodes.error()));
  parallel::collect<int64_t> col(remote::spread(parallel::unlimited(*c.sys), *nodes));
  remote::go_remote(col, examples::fib, 10);
  auto got = col.wait();
  if (!got)
    FAIL("the task failed: " << parallel::message(got.error()));
  CHECK(*got == std::vector<int64_t>{55});
}

TEST_CASE("a cluster that goes away stops its reconnect attempt at once") {
  test::node_process n1;
  {
    client c; // heartbeat 100 ms, connection timeout 1 s
    remote::connect_options opts;
    opts.timeout = 600s; // how long a reconnect attempt waits for the node
    auto nodes = c.connect({&n1}, opts);
    auto before = established_to(n1.port()); // the cluster's connection
    n1.kill(SIGSTOP);
    REQUIRE(eventually([&] { return !nodes.alive(0); }));
    // A reconnect attempt waits for the stopped node's handshake on a new
    // connection (the kernel accepts it for the node).
    REQUIRE(eventually([&] {
      for (auto p : established_to(n1.port()))
        if (before.count(p) == 0)
          return true;
      return false;
    }));
  } // The cluster, then the actor system go away: without stopping the
    // attempt, the actor system would wait for it for 600 s (ctest's
    // timeout of 120 s fails the case).
  n1.kill(SIGCONT);
}

TEST_CASE("a cluster that goes away stops a reconnect attempt stuck in its TCP connect") {
  // A listener whose accept queue is full drops every SYN: the attempt's
  // TCP connect gets no answer at all, as with a black-holed address. It
  // stays so until the client is gone (closing it would refuse the next SYN).
  test::node_process n1;
  auto port = n1.port();
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int hole = -1;
  std::vector<int> queued; // connections that fill its accept queue
  {
    client c;
    remote::connect_options opts;
    opts.timeout = 600s; // how long a reconnect attempt may wait for the node
    opts.reconnect_max_backoff = 200ms;
    auto nodes = c.connect({&n1}, opts);
    n1.kill(SIGKILL);
    REQUIRE(eventually([&] { return !nodes.alive(0); }));
    hole = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(hole, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    REQUIRE(bind(hole, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    REQUIRE(listen(hole, 0) == 0);
    for (int i = 0; i < 3; ++i) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
      queued.push_back(fd);
    }
    std::set<unsigned> ours;
    for (int fd : queued) {
      sockaddr_in local{};
      socklen_t len = sizeof(local);
      getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
      ours.insert(ntohs(local.sin_port));
    }
    // Wait for an attempt's SYN that got no answer (state SYN_SENT).
    REQUIRE(eventually([&] {
      for (auto p : connections_to(port, "02"))
        if (ours.count(p) == 0)
          return true;
      return false;
    }));
  } // The cluster, then the actor system go away: without cancelling the
    // TCP connect, the actor system would wait for it for 600 s (ctest's
    // timeout of 120 s fails the case).
  for (int fd : queued)
    ::close(fd);
  ::close(hole);
}

TEST_CASE("the guards of a node and of a client start no thread") {
  // Both are served by the middleman's I/O thread (multiplexer_slot.hpp): a
  // guard thread would wake up for every frame it relays. One actor system
  // here is both a node and a client of another node's process.
  test::node_process n1;
  client c;
  auto threads = [] {
    std::ifstream in{"/proc/self/status"};
    for (std::string line; std::getline(in, line);)
      if (line.rfind("Threads:", 0) == 0)
        return std::stoi(line.substr(8));
    return -1;
  };
  auto before = threads();
  auto started = remote::node::start(*c.sys, examples::make_registry(),
                                     {.host = "127.0.0.1", .port = 0});
  REQUIRE(started);
  CHECK(test::pid_of(c, c.connect({&n1})) == static_cast<int32_t>(n1.pid()));
  CHECK(threads() == before);
  started->stop();
  CHECK(started->wait_stopped(std::chrono::milliseconds(10000)));
}

TEST_CASE("cancelling the group cancels its tasks on the nodes") {
  test::node_process n1;
  client c;
  auto nodes = c.connect({&n1});
  auto [ctx, cancel] = parallel::with_cancel(parallel::context::background());
  parallel::err_group eg(remote::spread(parallel::unlimited(*c.sys, ctx), nodes));
  for (int i = 0; i < 3; ++i)
    remote::go_remote(eg, "block");
  REQUIRE(test::running_reaches(nodes, 0, 3));
  cancel(parallel::make_error("stop it"));
  CHECK(parallel::message(eg.wait()) == "stop it");
  // The node's contexts were cancelled: the blocked tasks returned.
  REQUIRE(test::cancelled_reaches(nodes, 0, 3));
}

TEST_CASE("a task error that stops the group cancels its siblings on the nodes") {
  test::node_process n1;
  client c;
  auto nodes = c.connect({&n1});
  parallel::err_group eg(remote::spread(parallel::unlimited(*c.sys), nodes));
  for (int i = 0; i < 3; ++i)
    remote::go_remote(eg, "block");
  REQUIRE(test::running_reaches(nodes, 0, 3));
  remote::go_remote(eg, "fail", std::string{"first"});
  CHECK(parallel::message(eg.wait()) == "first");
  REQUIRE(test::cancelled_reaches(nodes, 0, 3));
}

TEST_CASE("abandoning the group cancels its tasks on the nodes") {
  test::node_process n1;
  client c;
  auto nodes = c.connect({&n1});
  {
    parallel::collect<int32_t> col(remote::spread(parallel::unlimited(*c.sys), nodes));
    for (int i = 0; i < 3; ++i)
      remote::go_remote(col, "block");
    REQUIRE(test::running_reaches(nodes, 0, 3));
  } // abandoned: no wait()
  REQUIRE(test::cancelled_reaches(nodes, 0, 3));
}

TEST_CASE("a client process killed mid-run: the node cancels its tasks") {
  test::node_process n1;
  // The client: distributed-fanout with tasks that would run for a minute.
  test::child_process fanout({DISTRIBUTED_FANOUT_BIN, "--nodes", n1.address(),
                              "--tasks", "4", "--ms", "60000"});
  client c; // only watches the node's stats
  auto nodes = c.connect({&n1});
  REQUIRE(test::running_reaches(nodes, 0, 4));
  fanout.kill_and_reap();
  // Its connection closed: the node cancelled the four tasks long before
  // their minute was up.
  REQUIRE(test::cancelled_reaches(nodes, 0, 4));
}

TEST_CASE("go_remote on a group without nodes, or spreading twice, is misuse") {
  test::node_process n1;
  client c;
  auto nodes = c.connect({&n1});
  parallel::collect<int32_t> col(parallel::unlimited(*c.sys));
  CHECK_THROWS_AS(remote::go_remote(col, "pid"), std::logic_error);
  auto ex = parallel::unlimited(*c.sys);
  auto rex = remote::spread(ex, nodes);
  CHECK_THROWS_AS(remote::spread(ex, nodes), std::logic_error);
  rex.wait();
  col.wait();
}

namespace {

// One TLS actor system per test case (ctest runs each case in a process of
// its own): CAF 0.17.6's openssl module sometimes leaks its BASP broker when
// several TLS systems come and go in one process under load (see
// docs/distributed.md).
struct tls_fixture {
  tls_fixture()
    : tls_node({"--tls-cert", cert("node.pem"), "--tls-key", cert("node.key"),
                "--tls-ca", cert("ca.pem")}) {
  }

  static std::unique_ptr<client> tls_client(const std::string& who) {
    auto net = test_net();
    net.tls = {cert(who + ".pem"), cert(who + ".key"), cert("ca.pem"), {}};
    return std::make_unique<client>(net);
  }

  test::node_process tls_node;
};

/// Fails the test unless `nodes` connected and its node answers "hello".
void expect_hello(client& c, const parallel::expected<remote::cluster>& nodes) {
  if (!nodes)
    FAIL("connect failed: " << parallel::message(nodes.error()));
  parallel::collect<std::string> col(remote::spread(parallel::unlimited(*c.sys), *nodes));
  remote::go_remote(col, "hello", std::string{"tls"});
  auto got = col.wait();
  if (!got)
    FAIL("the task failed: " << parallel::message(got.error()));
  CHECK(*got == std::vector<std::string>{"hello, tls"});
}

} // namespace

TEST_CASE("TLS: a client with a certificate the CA signed gets through") {
  if (!certs_available()) {
    WARN("no test certificates (openssl missing?): skipped");
    return;
  }
  tls_fixture f;
  auto c = tls_fixture::tls_client("client");
  // Generous: a TLS handshake under the sanitizers on a loaded 2-core
  // machine took over 3 s once. A connect returns as soon as it succeeds.
  auto nodes = remote::cluster::connect(*c->sys, f.tls_node.address(), {30000ms});
  expect_hello(*c, nodes);
}

TEST_CASE("TLS: a node that shakes hands only after several heartbeat ticks is connected to") {
  if (!certs_available()) {
    WARN("no test certificates (openssl missing?): skipped");
    return;
  }
  tls_fixture f;
  auto c = tls_fixture::tls_client("client");
  auto nodes = connect_while_stopped(*c, f.tls_node);
  expect_hello(*c, nodes);
}

TEST_CASE("TLS: a plain client is refused") {
  if (!certs_available()) {
    WARN("no test certificates (openssl missing?): skipped");
    return;
  }
  tls_fixture f;
  client c;
  auto nodes = remote::cluster::connect(*c.sys, f.tls_node.address(), {3000ms});
  REQUIRE(!nodes);
  CHECK_THAT(parallel::message(nodes.error()), Catch::Contains("handshake"));
}

TEST_CASE("TLS: a TLS client of a plain node is told the TLS handshake failed") {
  if (!certs_available()) {
    WARN("no test certificates (openssl missing?): skipped");
    return;
  }
  test::node_process plain_node;
  auto c = tls_fixture::tls_client("client");
  auto nodes = remote::cluster::connect(*c->sys, plain_node.address(), {3000ms});
  REQUIRE(!nodes);
  CHECK_THAT(parallel::message(nodes.error()),
             Catch::Contains("TLS handshake failed")
               && Catch::Contains("or the node does not use TLS"));
}

TEST_CASE("TLS: a client without a certificate is refused") {
  if (!certs_available()) {
    WARN("no test certificates (openssl missing?): skipped");
    return;
  }
  tls_fixture f;
  // CAF's openssl module cannot even start without a certificate once a CA
  // is set, so this client is the openssl command-line tool. TLS 1.2 makes
  // the node's refusal part of the handshake (TLS 1.3 sends it after).
  auto s_client = [&](const std::string& extra) {
    auto cmd = "openssl s_client -tls1_2 -connect " + f.tls_node.address()
               + " -CAfile " + cert("ca.pem") + " " + extra + " </dev/null 2>&1";
    std::string out;
    if (auto* p = popen(cmd.c_str(), "r")) {
      char buf[512];
      while (fgets(buf, sizeof(buf), p))
        out += buf;
      pclose(p);
    }
    return out;
  };
  CHECK_THAT(s_client(""), Catch::Contains("alert handshake failure"));
  // The same tool with the client's certificate gets through.
  auto ok = s_client("-cert " + cert("client.pem") + " -key " + cert("client.key"));
  CHECK_THAT(ok, !Catch::Contains("alert") && Catch::Contains("Verify return code: 0"));
}

TEST_CASE("TLS: a client with a certificate the CA never signed is refused") {
  if (!certs_available()) {
    WARN("no test certificates (openssl missing?): skipped");
    return;
  }
  tls_fixture f;
  auto c = tls_fixture::tls_client("rogue");
  auto nodes = remote::cluster::connect(*c->sys, f.tls_node.address(), {3000ms});
  REQUIRE(!nodes);
  CHECK_THAT(parallel::message(nodes.error()), Catch::Contains("TLS handshake failed"));
}

TEST_CASE("TLS: the client verifies the node (a rogue certificate is refused)") {
  if (!certs_available()) {
    WARN("no test certificates (openssl missing?): skipped");
    return;
  }
  test::node_process rogue_node({"--tls-cert", cert("rogue.pem"), "--tls-key",
                                 cert("rogue.key"), "--tls-ca", cert("ca.pem")});
  auto c = tls_fixture::tls_client("client");
  auto nodes = remote::cluster::connect(*c->sys, rogue_node.address(), {3000ms});
  REQUIRE(!nodes);
  CHECK_THAT(parallel::message(nodes.error()), Catch::Contains("TLS handshake failed"));
}
