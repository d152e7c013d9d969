// A connected peer cannot cancel another client's tasks on a node by
// forging the down message that says the client went away: neither as the
// content of a message (the node), nor by speaking for the client's node
// on the wire (the guard). Real parallel-node processes on loopback.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>

#include "../example_tasks.hpp"
#include "node_counters.hpp"
#include "node_process.hpp"
#include "raw_basp_peer.hpp"
#include "test_client.hpp"
#include "parallel/parallel.hpp"

using namespace std::chrono_literals;
namespace remote = parallel::remote;

using test::client;
using test::raw_basp_peer;

using test::read_file;

namespace {

/// A node whose standard error (the guard's log) goes to a file.
struct logged_node {
  logged_node()
    : log("/tmp/parallel-forged-down-" + std::to_string(getpid()) + ".err"),
      proc({}, {}, log) {
  }
  ~logged_node() {
    std::remove(log.c_str());
  }
  std::string text() const {
    return read_file(log);
  }
  std::string log;
  test::node_process proc;
};

/// An actor system without a middleman, for the raw peer's serializer: the
/// peer speaks BASP itself, and a BASP broker that never connects would
/// only add to what LSan may find of CAF's at exit.
struct serializer_system {
  serializer_system() : sys(cfg) {
  }
  caf::actor_system_config cfg;
  caf::actor_system sys;
};

/// The victim's actors a forger could name: those its actor system has
/// registered for the wire (its requesters among them).
std::vector<caf::strong_actor_ptr> wire_actors(caf::actor_system& sys) {
  std::vector<caf::strong_actor_ptr> out;
  for (caf::actor_id id = 1; id <= sys.latest_actor_id(); ++id)
    if (auto ptr = sys.registry().get(id))
      out.push_back(std::move(ptr));
  return out;
}

/// A down message that says `who` ended.
caf::message down_of(const caf::strong_actor_ptr& who) {
  return caf::make_message(caf::down_msg{caf::actor_cast<caf::actor_addr>(who),
                                         caf::make_error(caf::exit_reason::kill)});
}

/// What an attack gets: the victim's node handle and the victim's actors.
using attack_fn = std::function<void(client& victim, const caf::actor& node,
                                     const std::vector<caf::strong_actor_ptr>& actors)>;

/// A victim client runs a `sleep` task on `node`; `attack` runs while it
/// does (and returns once the node has taken or refused what it forged).
/// The task must still complete with its value. If the task had already
/// finished when the attack was over (a very slow machine), the run proves
/// nothing and is repeated with a longer task.
void victim_keeps_its_task(test::node_process& node, const attack_fn& attack) {
  client victim;
  auto nodes = victim.connect({&node});
  for (int32_t ms : {1000, 4000, 16000}) {
    auto before = nodes.stats(0);
    REQUIRE(before);
    // A forged down message may also leave the task unanswered (the node
    // answers a proxy that is gone): the timeout bounds the test then.
    auto opts = test::per_node(1);
    opts.timeout = caf::duration{std::chrono::milliseconds(ms + 20000)};
    parallel::collect_with_errs<int32_t> col(
      remote::spread(parallel::unlimited(*victim.sys), nodes, opts));
    remote::go_remote(col, examples::sleep, ms);
    REQUIRE(test::running_reaches(nodes, 0, 1));
    attack(victim, nodes.handle(0), wire_actors(*victim.sys));
    auto after = nodes.stats(0);
    REQUIRE(after);
    bool still_running = after->completed == before->completed;
    auto got = col.wait();
    if (!still_running)
      continue;
    std::string first_error;
    if (!got.errors.errors().empty())
      first_error = parallel::message(got.errors.errors().front());
    INFO("the victim's task failed with: " << first_error);
    CHECK(got.errors.size() == 0);
    CHECK(got.values == std::vector<int32_t>{ms});
    CHECK(nodes.alive(0));
    return;
  }
  FAIL("every task ended before the attack did");
}

/// A client request the raw peer sends last (actor 4242 asks the node for
/// its counters): answered once the node took everything sent before it.
constexpr uint64_t probe_actor = 4242;

/// Sends the stats probe and says what happened to the connection.
raw_basp_peer::outcome probe(raw_basp_peer& peer, const caf::actor& node) {
  peer.direct(probe_actor, node.id(), caf::make_message(remote::stats_atom::value), 7);
  return peer.await_answer(probe_actor);
}

} // namespace

TEST_CASE("a peer's forged down message does not cancel another client's task") {
  // Any connected peer can send the node actor a message whose content is a
  // down_msg naming the victim's requester; CAF 0.17.6 hands it to the
  // node's down handler as if it came from a monitor.
  test::node_process n1;
  client forger;
  auto forged = forger.connect({&n1});
  victim_keeps_its_task(n1, [&](client&, const caf::actor&,
                                const std::vector<caf::strong_actor_ptr>& actors) {
    caf::scoped_actor self{*forger.sys};
    for (auto& a : actors) {
      caf::anon_send(forged.handle(0), down_of(a));
      self->send(forged.handle(0), down_of(a));
    }
    // Over the same connection: answered once the node took them all.
    REQUIRE(forged.stats(0));
  });
}

TEST_CASE("the guard refuses a peer declaring the node id of a connected client") {
  // CAF would make the peer's connection a route to the victim's node:
  // its direct messages would come from the victim's actors (a down
  // message "from" the requester itself), and the node's answers to the
  // victim would go to the peer.
  logged_node n1;
  serializer_system attacker;
  victim_keeps_its_task(n1.proc, [&](client& victim, const caf::actor& node,
                                     const std::vector<caf::strong_actor_ptr>& actors) {
    raw_basp_peer peer{attacker.sys, n1.proc.port()};
    peer.handshake(victim.sys->node());
    for (auto& a : actors)
      peer.direct(a->id(), node.id(), down_of(a));
    CHECK(probe(peer, node) == raw_basp_peer::outcome::closed);
  });
  CHECK_THAT(n1.text(), Catch::Contains("connected already"));
}

TEST_CASE("the guard refuses a routed message in the name of another node") {
  // CAF makes a proxy of the routed message's source node the sender: the
  // victim's requester, sending the down message about itself.
  logged_node n1;
  serializer_system attacker;
  victim_keeps_its_task(n1.proc, [&](client& victim, const caf::actor& node,
                                     const std::vector<caf::strong_actor_ptr>& actors) {
    raw_basp_peer peer{attacker.sys, n1.proc.port()};
    peer.handshake(test::made_up_node_id());
    for (auto& a : actors)
      peer.routed(victim.sys->node(), a->id(), peer.node(), node.id(), down_of(a));
    CHECK(probe(peer, node) == raw_basp_peer::outcome::closed);
  });
  CHECK_THAT(n1.text(), Catch::Contains("a routed_message in the name of node"));
}

TEST_CASE("the guard refuses a routed message for another node") {
  // The node would forward it to that node (a client) as BASP routing.
  logged_node n1;
  serializer_system attacker;
  client other;
  auto others = other.connect({&n1.proc});
  raw_basp_peer peer{attacker.sys, n1.proc.port()};
  auto me = test::made_up_node_id();
  peer.handshake(me);
  peer.routed(me, 1, other.sys->node(), 1, caf::make_message(std::string{"hi"}));
  CHECK(probe(peer, others.handle(0)) == raw_basp_peer::outcome::closed);
  CHECK_THAT(n1.text(), Catch::Contains("not this one (no routing through this process)"));
  CHECK(others.stats(0)); // the node serves on
}

TEST_CASE("the guard refuses a down_message frame naming another node's actor") {
  // CAF would kill the node's proxy of the victim's requester: a genuine
  // down message, from the proxy itself.
  logged_node n1;
  serializer_system attacker;
  victim_keeps_its_task(n1.proc, [&](client& victim, const caf::actor& node,
                                     const std::vector<caf::strong_actor_ptr>& actors) {
    raw_basp_peer peer{attacker.sys, n1.proc.port()};
    peer.handshake(test::made_up_node_id());
    for (auto& a : actors)
      peer.down(victim.sys->node(), a->id(), caf::make_error(caf::exit_reason::kill));
    CHECK(probe(peer, node) == raw_basp_peer::outcome::closed);
  });
  CHECK_THAT(n1.text(), Catch::Contains("a down_message in the name of node"));
}

TEST_CASE("the guard refuses a monitor_message in the name of another node") {
  logged_node n1;
  serializer_system attacker;
  client victim;
  auto nodes = victim.connect({&n1.proc});
  raw_basp_peer peer{attacker.sys, n1.proc.port()};
  peer.handshake(test::made_up_node_id());
  peer.monitor(victim.sys->node(), nodes.handle(0).id());
  CHECK(probe(peer, nodes.handle(0)) == raw_basp_peer::outcome::closed);
  CHECK_THAT(n1.text(), Catch::Contains("a monitor_message in the name of node"));
  CHECK(nodes.stats(0));
}

TEST_CASE("the guard refuses a handshake declaring the node's own id or a second id") {
  // With the node's own id, CAF would route that id to the peer: its routed
  // messages would come from the node's local actors. The guard relays
  // nothing of it (a CAF client of the node's own actor system closes such
  // a connection after the handshake); its probe closes it.
  logged_node n1;
  serializer_system attacker;
  client victim;
  auto nodes = victim.connect({&n1.proc});
  {
    raw_basp_peer peer{attacker.sys, n1.proc.port()};
    peer.handshake(peer.node());
    CHECK(probe(peer, nodes.handle(0)) == raw_basp_peer::outcome::closed);
  }
  CHECK_THAT(n1.text(), Catch::Contains("this node's own, and it sent more"));
  {
    raw_basp_peer peer{attacker.sys, n1.proc.port()};
    peer.handshake(test::made_up_node_id());
    peer.handshake(test::made_up_node_id());
    CHECK(probe(peer, nodes.handle(0)) == raw_basp_peer::outcome::closed);
  }
  CHECK_THAT(n1.text(), Catch::Contains("a client_handshake declaring node"));
  {
    // A peer that shakes hands properly is served (the probe's answer).
    raw_basp_peer peer{attacker.sys, n1.proc.port()};
    peer.handshake(test::made_up_node_id());
    CHECK(probe(peer, nodes.handle(0)) == raw_basp_peer::outcome::answered);
  }
  CHECK(nodes.stats(0));
}

TEST_CASE("a client connecting again to a node it is connected to is served") {
  // Its middleman opens a second connection declaring the same node id; the
  // guard does not relay it, and CAF's client closes it as redundant.
  test::node_process n1;
  client c;
  auto first = c.connect({&n1});
  auto second = c.connect({&n1});
  for (auto* nodes : {&first, &second})
    CHECK(test::pid_of(c, *nodes) == n1.pid());
  CHECK(first.alive(0));
  CHECK(second.alive(0));
}

TEST_CASE("a peer cannot reach CAF's spawn and config servers of a node") {
  // CAF 0.17.6 registers them by name ("SpawnServ", "ConfigServ") and the
  // spawn server by id too once it answered a client's "info" question: a
  // peer could spawn actors of the system's config, read and fill the config
  // server's store, or end them. The node unregisters both; what a peer can
  // address is the node actor and the BASP broker's hidden per-peer helpers.
  // CAF answers a request to an unknown actor with an error; its servers
  // answer "info" with their name (readable in the serialized answer).
  test::node_process n1;
  serializer_system attacker;
  client victim;
  auto nodes = victim.connect({&n1});
  raw_basp_peer peer{attacker.sys, n1.port()};
  peer.handshake(test::made_up_node_id());
  auto info = caf::make_message(caf::sys_atom::value, caf::get_atom::value,
                                std::string{"info"});
  auto text = [](const std::vector<char>& payload) {
    std::string out;
    for (char ch : payload)
      out += ch >= 32 && ch < 127 ? ch : '.';
    return out;
  };
  uint64_t asker = 100000;
  for (auto name : {caf::atom("SpawnServ"), caf::atom("ConfigServ")}) {
    ++asker;
    peer.named(asker, name, info, asker);
    std::vector<char> answer;
    REQUIRE(peer.await_answer(asker, &answer) == raw_basp_peer::outcome::answered);
    INFO(caf::to_string(name) << " answered: " << text(answer));
    CHECK_THAT(text(answer), Catch::Contains("@error"));
    CHECK_THAT(text(answer), !Catch::Contains("_server"));
  }
  // Every actor id the node's system has given out so far, and a few more.
  for (uint64_t id = 1; id <= 64; ++id) {
    ++asker;
    peer.direct(asker, id, info, asker);
    std::vector<char> answer;
    REQUIRE(peer.await_answer(asker, &answer) == raw_basp_peer::outcome::answered);
    INFO("actor " << id << " answered: " << text(answer));
    CHECK_THAT(text(answer), !Catch::Contains("spawn_server"));
    CHECK_THAT(text(answer), !Catch::Contains("config_server"));
  }
  CHECK(nodes.stats(0));
}

TEST_CASE("a client of a node in its own actor system is served") {
  // Its handshake declares the node's own id: the guard does not relay it,
  // and CAF's client, seeing its own id in the node's handshake, closes the
  // connection and talks to the local node actor.
  client c;
  auto started = remote::node::start(*c.sys, examples::make_registry(),
                                     {.host = "127.0.0.1", .port = 0});
  REQUIRE(started);
  auto nodes = remote::cluster::connect(*c.sys, "127.0.0.1:" + std::to_string(started->port()),
                                        {std::chrono::milliseconds(5000)});
  INFO((nodes ? std::string{"connected"} : parallel::message(nodes.error())));
  REQUIRE(nodes);
  CHECK(test::pid_of(c, *nodes) == static_cast<int32_t>(getpid()));
  started->stop();
  CHECK(started->wait_stopped(std::chrono::milliseconds(10000)));
}
