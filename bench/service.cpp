#include "service.hpp"

#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/result.hpp>
#include <caf/stateful_actor.hpp>

namespace bench {

namespace {

struct service_state {
  std::unordered_map<uint64_t, caf::response_promise> pending;
  uint64_t next = 0;
};

caf::behavior service(caf::stateful_actor<service_state>* self,
                      std::chrono::milliseconds latency) {
  return {
    [=](ping_atom, uint64_t i) -> caf::result<int32_t> {
      auto rp = self->make_response_promise();
      auto id = self->state.next++;
      self->state.pending.emplace(id, rp);
      self->delayed_send(self, latency, reply_atom::value, id, i);
      return rp;
    },
    [=](reply_atom, uint64_t id, uint64_t i) {
      auto& pending = self->state.pending;
      if (auto it = pending.find(id); it != pending.end()) {
        it->second.deliver(static_cast<int32_t>(i));
        pending.erase(it);
      }
    },
  };
}

} // namespace

caf::actor spawn_service(caf::actor_system& sys, std::chrono::milliseconds latency) {
  return sys.spawn(service, latency);
}

} // namespace bench
