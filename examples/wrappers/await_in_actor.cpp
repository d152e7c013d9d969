// await_in_actor.cpp: fan out from inside an actor and await without blocking.
//
// Code that runs in an actor must never call wait(): it would block one of
// CAF's scheduler threads, and the actor could not read its mailbox meanwhile.
// group.await(self, on_done) is the non-blocking form: it returns at once, the
// actor goes on answering other messages, and on_done(result) runs later,
// inside the actor, with what wait() would have returned. The tasks here are
// actor requests (go_request): each holds an in-flight slot but no thread.
//
// To prove the point without timing, the squarer holds every reply until main
// says "release": the coordinator must answer a ping while its fan-out cannot
// possibly have finished yet.
#include <chrono>
#include <cstdio>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "parallel/parallel.hpp"

using namespace std::chrono_literals;
using square_atom = caf::atom_constant<caf::atom("square")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using fan_out_atom = caf::atom_constant<caf::atom("fan_out")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;

struct squarer_state {
  bool holding = true;
  std::vector<std::pair<caf::response_promise, int>> held;
};

// Answers (square, x) with x * x; holds the answers until (release).
caf::behavior squarer(caf::stateful_actor<squarer_state>* self, bool hold) {
  self->state.holding = hold;
  return {
    [=](square_atom, int x) {
      auto rp = self->make_response_promise();
      if (self->state.holding)
        self->state.held.emplace_back(rp, x);
      else
        rp.deliver(x * x);
    },
    [=](release_atom) {
      self->state.holding = false;
      for (auto& [rp, x] : self->state.held)
        rp.deliver(x * x);
      self->state.held.clear();
    },
  };
}

struct coordinator_state {
  int fan_outs_pending = 0;
};

// (fan_out, n) -> the squares of 1..n, computed by the squarer 4 at a time.
// (ping)       -> how many fan-outs are still pending.
caf::behavior coordinator(caf::stateful_actor<coordinator_state>* self, caf::actor squarer) {
  return {
    [=](fan_out_atom, int n) {
      auto rp = self->make_response_promise(); // we answer later, from on_done
      auto group = parallel::collect<int>(parallel::limited(self->system(), {}, 4));
      for (int i = 1; i <= n; ++i)
        group.go_request(squarer, 10s, square_atom::value, i); // the reply is an int
      ++self->state.fan_outs_pending;
      group.await(self, [=](parallel::expected<std::vector<int>> squares) mutable {
        --self->state.fan_outs_pending; // inside the actor: no lock needed
        if (squares)
          rp.deliver(std::move(*squares));
        else
          rp.deliver(squares.error());
      });
      // Returns at once. `group` goes out of scope: the pending await keeps it alive.
    },
    [=](ping_atom) { return self->state.fan_outs_pending; },
  };
}

int main() {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  bool ok = false;
  {
    auto sq = sys.spawn(squarer, true);
    auto coord = sys.spawn(coordinator, sq);
    caf::scoped_actor self{sys};
    auto fan_out = self->request(coord, 10s, fan_out_atom::value, 10);

    int pending = -1;
    self->request(coord, 10s, ping_atom::value)
      .receive([&](int n) { pending = n; }, [](caf::error&) {});
    std::printf("ping answered while the fan-out is held: %d fan-out pending\n", pending);

    self->send(sq, release_atom::value);
    std::vector<int> squares;
    fan_out.receive([&](std::vector<int>& xs) { squares = std::move(xs); },
                    [](caf::error& e) { std::printf("fan-out failed: %s\n", caf::to_string(e).c_str()); });
    std::printf("squares:");
    for (int x : squares)
      std::printf(" %d", x);
    std::printf("\n");
    ok = pending == 1 && squares == std::vector<int>{1, 4, 9, 16, 25, 36, 49, 64, 81, 100};
    self->send_exit(coord, caf::exit_reason::user_shutdown);
    self->send_exit(sq, caf::exit_reason::user_shutdown);
  }
  return ok ? 0 : 1;
}
