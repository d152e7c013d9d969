// requester: an event-based actor that holds a group's pending requests.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>

#include <caf/actor_addr.hpp>
#include <caf/event_based_actor.hpp>

#include "group_state.hpp"

namespace parallel::detail {

/// Sends the group's request tasks and routes each reply or error back to its
/// task. Holds an in-flight slot per pending request but no thread. Monitors
/// each destination, so a destination that dies fails its requests at once;
/// on cancellation it stops waiting (late replies are ignored). A group has as
/// many requesters as its concurrent requests need, `capacity` each.
class requester : public caf::event_based_actor {
public:
  requester(caf::actor_config& cfg, std::shared_ptr<group_state> core,
            requester_record* rec);

  caf::behavior make_behavior() override;

  void on_exit() override;

private:
  struct pending {
    std::unique_ptr<task> t;
    caf::actor_addr dest;
  };

  void start(std::unique_ptr<task> t);
  void start_handed();
  void end(uint64_t id, caf::message* reply, error err);
  void fail_all(const caf::actor_addr* dest, const error& err);
  void forget_dest(const caf::actor_addr& dest);

  std::shared_ptr<group_state> core_;
  requester_record* rec_;
  std::unordered_map<uint64_t, pending> pending_;
  std::unordered_map<caf::actor_addr, std::size_t> monitored_;
  uint64_t next_id_ = 0;
};

} // namespace parallel::detail
