// The request_fanout figures written directly on CAF. No parallel:: code in here.
#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/result.hpp>
#include <caf/scoped_actor.hpp>

#include "handler_load.hpp"
#include "peers.hpp"
#include "service.hpp"

namespace bench {

namespace {

using tick_atom = caf::atom_constant<caf::atom("b_tick")>;

// A task with nothing to wait for: reports `k` from its start, then ends
// (an actor without a behavior terminates after its init function).
void instant_task(caf::event_based_actor* self, caf::actor caller, int64_t k) {
  self->send(caller, result_atom::value, k);
}

// A task that waits `wait` first, holding no thread; killing it cancels it.
caf::behavior waiting_task(caf::event_based_actor* self, caf::actor caller, int64_t k,
                           std::chrono::microseconds wait) {
  self->delayed_send(self, wait, tick_atom::value);
  return {
    [=](tick_atom) {
      self->send(caller, result_atom::value, k);
      self->quit();
    },
  };
}

struct tally {
  int64_t sum = 0;
  std::size_t left = 0;
  bool answered = false;
};

caf::behavior caf_handler(caf::event_based_actor* self, caf::actor service) {
  return {
    [=](handle_atom, uint64_t id) -> caf::result<int64_t> {
      auto rp = self->make_response_promise();
      auto t = std::make_shared<tally>();
      t->left = lookups_of(id);
      for (std::size_t i = 0; i < lookups_of(id); ++i)
        self->request(service, caf::infinite, ping_atom::value, lookup_key(id, i))
          .then(
            [=](int32_t value) mutable {
              t->sum += value;
              if (--t->left == 0 && !t->answered) {
                t->answered = true;
                rp.deliver(t->sum);
                self->quit();
              }
            },
            [=](caf::error& err) mutable {
              if (!t->answered) {
                t->answered = true;
                rp.deliver(std::move(err));
                self->quit();
              }
            });
      return rp;
    },
  };
}

} // namespace

request_fn caf_fanout_caller(caf::actor_system& sys, std::size_t tasks,
                             std::size_t bound, std::chrono::microseconds task_wait) {
  auto self = std::make_shared<caf::scoped_actor>(sys);
  return [&sys, self, tasks, bound, task_wait] {
    auto& s = *self;
    auto me = caf::actor_cast<caf::actor>(s);
    auto start = [&](std::size_t k) {
      if (task_wait.count() == 0)
        sys.spawn(instant_task, me, static_cast<int64_t>(k));
      else
        sys.spawn(waiting_task, me, static_cast<int64_t>(k), task_wait);
    };
    std::size_t started = 0;
    for (; started < std::min(tasks, std::max<std::size_t>(bound, 1)); ++started)
      start(started);
    int64_t sum = 0;
    for (std::size_t got = 0; got < tasks; ++got) {
      s->receive([&](result_atom, int64_t k) { sum += k; });
      if (started < tasks)
        start(started++);
    }
    auto expected = static_cast<int64_t>(tasks * (tasks - 1) / 2);
    if (sum != expected)
      throw std::runtime_error("caf request_fanout: sum " + std::to_string(sum)
                               + ", expected " + std::to_string(expected));
  };
}

caf::actor spawn_caf_handler(caf::actor_system& sys, const caf::actor& service) {
  return sys.spawn(caf_handler, service);
}

} // namespace bench
