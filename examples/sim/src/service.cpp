#include "service.hpp"

#include <chrono>
#include <cmath>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/response_promise.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include <parallel/error.hpp>

namespace sim {

namespace {

using served_atom = caf::atom_constant<caf::atom("sim_served")>;
using drain_atom = caf::atom_constant<caf::atom("sim_drain")>;
using drained_atom = caf::atom_constant<caf::atom("sim_drnd")>;

struct service_state {
  std::size_t capacity = 0; // 0: no limit
  std::deque<std::pair<std::uint64_t, caf::response_promise>> queue;
  std::unordered_map<std::uint64_t, caf::response_promise> active;
  std::vector<caf::response_promise> drains;
};

using service_actor = caf::stateful_actor<service_state>;

void start_call(service_actor* self, const std::shared_ptr<run_tables>& t,
                std::uint64_t id, caf::response_promise rp) {
  t->rec.at(id).begin_ms = t->rec.now_ms();
  self->state.active.emplace(id, std::move(rp));
  auto us = std::llround(t->calls[id].latency_ms * 1000.0);
  self->delayed_send(self, std::chrono::microseconds(us), served_atom::value, id);
}

void answer_drains(service_actor* self) {
  auto& st = self->state;
  if (!st.active.empty() || !st.queue.empty())
    return;
  for (auto& rp : st.drains)
    rp.deliver(drained_atom::value);
  st.drains.clear();
}

caf::behavior service_fn(service_actor* self, std::shared_ptr<run_tables> t,
                         service_spec spec) {
  self->state.capacity = spec.capacity;
  auto name = std::make_shared<const std::string>(spec.name);
  return {
    [self, t](fetch_atom, std::uint64_t id) -> caf::result<std::uint64_t> {
      if (id >= t->calls.size())
        return parallel::make_error("no such call");
      auto rp = self->make_response_promise();
      t->rec.at(id).arrive_ms = t->rec.now_ms();
      auto& st = self->state;
      if (st.capacity == 0 || st.active.size() < st.capacity)
        start_call(self, t, id, rp);
      else {
        t->rec.at(id).queued = true;
        st.queue.emplace_back(id, rp);
      }
      return rp;
    },
    [self, t, name](served_atom, std::uint64_t id) {
      auto& st = self->state;
      auto i = st.active.find(id);
      if (i == st.active.end())
        return;
      auto rp = std::move(i->second);
      st.active.erase(i);
      auto& r = t->rec.at(id);
      r.end_ms = t->rec.now_ms();
      if (t->outcomes[id] == planned::fail) {
        r.failed = true;
        rp.deliver(parallel::make_error(*name + ": simulated failure (call "
                                        + std::to_string(id) + ")"));
      } else {
        rp.deliver(id);
      }
      t->rec.done.fetch_add(1, std::memory_order_relaxed);
      while (!st.queue.empty()
             && (st.capacity == 0 || st.active.size() < st.capacity)) {
        auto next = std::move(st.queue.front());
        st.queue.pop_front();
        start_call(self, t, next.first, std::move(next.second));
      }
      answer_drains(self);
    },
    [self](drain_atom) -> caf::result<drained_atom> {
      auto rp = self->make_response_promise();
      self->state.drains.push_back(rp);
      answer_drains(self);
      return rp;
    },
  };
}

} // namespace

caf::actor spawn_service(caf::actor_system& sys, std::shared_ptr<run_tables> tables,
                         const service_spec& spec) {
  return sys.spawn(service_fn, std::move(tables), spec);
}

void drain_and_stop(caf::actor_system& sys, const std::vector<caf::actor>& services) {
  caf::scoped_actor self{sys};
  for (auto& svc : services) {
    self->request(svc, caf::infinite, drain_atom::value)
      .receive([](drained_atom) {}, [](caf::error&) {});
    self->send_exit(svc, caf::exit_reason::user_shutdown);
  }
}

} // namespace sim
