// supervisor: the actor that owns a group's lifecycle.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "parallel/detail/group_core.hpp"

namespace parallel::detail {

/// One per group. Spawns worker actors when the group asks for them (never
/// more than the bound), grows an unlimited pool when the busy workers stop
/// making progress, sends request tasks and routes their replies, drops queued
/// tasks on cancellation, retires the workers when the group is finished, and
/// cleans up when the sentinel's down message says the last handle is gone.
class supervisor : public caf::event_based_actor {
public:
  supervisor(caf::actor_config& cfg, std::shared_ptr<group_core> core,
             caf::actor sentinel);

  caf::behavior make_behavior() override;

  void on_exit() override;

private:
  struct pending_request {
    std::unique_ptr<task> t;
    caf::actor_addr dest;
  };

  void spawn_workers(std::size_t n);
  void start_request(std::unique_ptr<task> t);
  void end_request(uint64_t id, caf::message* reply, error err);
  void fail_requests(const caf::actor_addr* dest, const error& err);
  void forget_dest(const caf::actor_addr& dest);
  void on_finished();
  void maybe_quit();

  std::shared_ptr<group_core> core_;
  caf::actor sentinel_;  // dropped right after monitoring it
  caf::actor_addr sentinel_addr_;
  bool handle_gone_ = false;
  bool checking_ = false;
  std::vector<caf::response_promise> awaiting_;
  std::unordered_map<uint64_t, pending_request> pending_;
  std::unordered_map<caf::actor_addr, std::size_t> monitored_;
  uint64_t next_request_ = 0;
};

} // namespace parallel::detail
