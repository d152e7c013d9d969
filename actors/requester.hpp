// requester: an event-based actor that holds a group's pending requests.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/event_based_actor.hpp>

#include "group_state.hpp"
#include "reducer.hpp"

namespace parallel::detail {

/// Sends the group's request tasks and routes each reply or error back to its
/// task. Holds an in-flight slot per pending request but no thread. Monitors
/// each destination, so a destination that dies fails its requests at once;
/// on cancellation it stops waiting (late replies are ignored). A group has as
/// many requesters as its concurrent requests need, `capacity` each.
///
/// A group's first requester also runs the `reduction` of the group's only
/// wrapper, if that wrapper has no reducer yet (`sole`): it becomes that
/// wrapper's reducer, so a reply turns into a result inside the actor that
/// consumes it, and a request task costs no result message and no second
/// actor. It then lives until the reduction is complete, like a reducer.
class requester : public caf::event_based_actor {
public:
  requester(caf::actor_config& cfg, std::shared_ptr<group_state> core,
            requester_record* rec, std::shared_ptr<wrapper_base> sole);

  caf::behavior make_behavior() override;

  void on_exit() override;

  /// The wrapper got another reducer first: this one only sends requests.
  /// Call before the actor first runs.
  void drop_reduction() {
    reduction_.reset();
  }

private:
  struct pending {
    std::unique_ptr<task> t;
    caf::actor_addr dest;
  };

  void start(std::unique_ptr<task> t);
  void send_held();
  // Runs a reply (or error) handler of a request task. Its result is
  // consumed at once if this actor is its wrapper's reducer (and nothing
  // sent earlier is pending), else held back: the results of one burst of
  // replies leave as one message per wrapper (see send_held).
  template <class F>
  std::optional<task_outcome> handle(F&& f);
  void start_handed();
  // finish_request said whether it finished the group (see there).
  void group_finished(bool told);
  void end(uint64_t id, caf::message* reply, error err);
  void fail_all(const caf::actor_addr* dest, const error& err);
  void forget_dest(const caf::actor_addr& dest);

  std::shared_ptr<group_state> core_;
  requester_record* rec_;
  std::unordered_map<uint64_t, pending> pending_;
  std::unordered_map<caf::actor_addr, std::size_t> monitored_;
  uint64_t next_id_ = 0;
  std::optional<reduction> reduction_;
  // Wrappers holding results back for this actor: sent when the flush
  // message it sent itself comes up, after the replies queued before it.
  std::vector<std::shared_ptr<wrapper_base>> held_;
  bool flush_pending_ = false;
};

} // namespace parallel::detail
