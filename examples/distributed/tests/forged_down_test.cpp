// A connected peer cannot cancel another client's tasks on a node by
// forging the down message that says the client went away. Real
// parallel-node processes on loopback.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>

#include "../example_tasks.hpp"
#include "node_counters.hpp"
#include "node_process.hpp"
#include "test_client.hpp"
#include "parallel/parallel.hpp"

using namespace std::chrono_literals;
namespace remote = parallel::remote;

using test::client;

namespace {

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
