// A test service: answers `int x` with `x * 10` after a delay, without ever
// blocking (the promise is parked and delivered by a delayed self-message).
// `std::string` requests get an error reply; `hold_atom` requests are never
// answered (until the actor dies).
#pragma once

#include <chrono>
#include <cstdint>
#include <unordered_map>

#include <caf/all.hpp>

#include "test_support.hpp"

namespace test {

using answer_atom = caf::atom_constant<caf::atom("tanswer")>;
using hold_atom = caf::atom_constant<caf::atom("thold")>;
using wrong_atom = caf::atom_constant<caf::atom("twrong")>;

struct service_state {
  std::unordered_map<uint64_t, std::pair<caf::response_promise, int>> pending;
  std::vector<caf::response_promise> held;
  uint64_t next = 0;
};

inline caf::behavior service(caf::stateful_actor<service_state>* self,
                             std::chrono::milliseconds delay, counter* held) {
  return {
    [=](int x) {
      auto id = self->state.next++;
      self->state.pending.emplace(id, std::make_pair(self->make_response_promise(), x));
      self->delayed_send(self, delay, answer_atom::value, id);
    },
    [=](answer_atom, uint64_t id) {
      auto i = self->state.pending.find(id);
      i->second.first.deliver(i->second.second * 10);
      self->state.pending.erase(i);
    },
    [=](const std::string& text) -> caf::error {
      return caf::make_error(caf::sec::runtime_error, "service refuses " + text);
    },
    [=](hold_atom) {
      self->state.held.push_back(self->make_response_promise());
      if (held != nullptr)
        held->add();
    },
    [=](wrong_atom) { return std::string{"not an int"}; },
  };
}

/// `held`, if given, counts the requests the service holds unanswered.
inline caf::actor spawn_service(caf::actor_system& sys,
                                std::chrono::milliseconds delay,
                                counter* held = nullptr) {
  return sys.spawn(service, delay, held);
}

} // namespace test
