// requester: an event-based actor that holds a group's pending requests.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>

#include "group_state.hpp"
#include "reducer.hpp"
#include "requester_pool.hpp"

namespace parallel::detail {

/// What binds a pooled requester to one group (the `bind_atom` message).
struct requester_binding {
  std::shared_ptr<group_state> core;
  requester_record* rec = nullptr;
  /// The group's only wrapper, if this requester is its reducer.
  std::shared_ptr<wrapper_base> sole;
};

/// Sends a group's request tasks and routes each reply or error back to its
/// task. Holds an in-flight slot per pending request but no thread. Monitors
/// each destination, so a destination that dies fails its requests at once;
/// on cancellation it stops waiting (late replies are ignored). A group has
/// as many requesters as its concurrent requests need, `capacity` each.
///
/// Requesters belong to the system's requester_pool: a group borrows one,
/// binds it with `bind_atom`, and the requester goes back to the pool once
/// the group is finished with it. Every message of a group carries the
/// binding's ticket, so a late one of an earlier group is ignored. An idle
/// requester keeps its monitors on up to `idle_monitors` destinations, for
/// the next group that sends there.
///
/// A group's first requester also runs the `reduction` of the group's only
/// wrapper, if that wrapper has no reducer yet: it becomes that wrapper's
/// reducer, so a reply turns into a result inside the actor that consumes
/// it, and a request task costs no result message and no second actor. It
/// then stays bound until the reduction is complete.
class requester : public caf::event_based_actor {
public:
  /// Destinations an idle requester stays monitoring at most.
  static constexpr std::size_t idle_monitors = 16;

  requester(caf::actor_config& cfg, std::shared_ptr<requester_pool> pool);

  caf::behavior make_behavior() override;

  void on_exit() override;

private:
  struct pending {
    uint64_t id;
    caf::message_id rid; // the response id CAF's handler waits for
    std::unique_ptr<task> t;
    caf::actor_addr dest;
  };

  void bind(requester_binding& b);
  // The group has nothing more for this requester: back to the pool (or
  // quit if the pool is closed or full).
  void unbind();
  bool bound_to(std::uint64_t ticket) const noexcept {
    return core_ && ticket == ticket_;
  }
  void start(std::unique_ptr<task> t);
  void send_held();
  // Runs a reply (or error) handler of a request task. Its result is
  // consumed at once if this actor is its wrapper's reducer (and nothing
  // sent earlier is pending), else held back: the results of one burst of
  // replies leave as one message per wrapper (see send_held).
  template <class F>
  std::optional<task_outcome> handle(F&& f);
  void start_handed();
  void end(uint64_t id, caf::message* reply, error err);
  // finish_request said whether it finished the group (see there).
  void group_finished(bool told);
  // The reduction (if any) made progress: unbind once it is complete.
  void reduced(bool complete);
  void fail_all(const caf::actor_addr* dest, const error& err);
  void forget_dest(const caf::actor_addr& dest);

  std::shared_ptr<requester_pool> pool_;
  // The binding: set while a group uses this requester.
  std::shared_ptr<group_state> core_;
  requester_record* rec_ = nullptr;
  std::uint64_t ticket_ = 0;
  std::optional<reduction> reduction_;

  // At most `requester_record::capacity`, usually a handful: a flat vector
  // searched from the back allocates nothing per request once it has grown.
  std::vector<pending> pending_;
  std::unordered_map<caf::actor_addr, std::size_t> monitored_; // dest -> pending
  uint64_t next_id_ = 0; // never reset: a late reply of an earlier group matches nothing
  // Wrappers holding results back for this actor: sent when the flush
  // message it sent itself comes up, after the replies queued before it.
  std::vector<std::shared_ptr<wrapper_base>> held_;
  std::vector<std::unique_ptr<task>> batch_; // requests being started
  bool flush_pending_ = false;
};

} // namespace parallel::detail

// Local messages only: a requester is never remote.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<parallel::detail::requester_binding>)
