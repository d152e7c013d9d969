#include "requester.hpp"

#include "any_response.hpp"

#include <caf/sec.hpp>

#include <algorithm>
#include <utility>

#include "parallel/detail/atoms.hpp"
#include "parallel/detail/notify_batch.hpp"

namespace parallel::detail {

requester::requester(caf::actor_config& cfg, std::shared_ptr<requester_pool> pool)
  : caf::event_based_actor(cfg), pool_(std::move(pool)) {
}

template <class F>
std::optional<task_outcome> requester::handle(F&& f) {
  // This thread's batch is ours for the call; whatever it held is put back.
  auto& b = notify_batch::local();
  auto outer = std::exchange(b, notify_batch{});
  b.owner = core_.get();
  b.active = true;
  b.flushes_itself = true;
  b.consuming = reduction_ ? &reduction_->wrapper() : nullptr;
  std::optional<task_outcome> outcome;
  try {
    outcome = f();
  } catch (...) {
    core_->record_panic(std::current_exception());
  }
  for (auto* w : b.pending)
    held_.push_back(w->shared_from_this());
  b = std::move(outer);
  if (!held_.empty() && !flush_pending_) {
    flush_pending_ = true;
    send(this, flush_atom::value);
  }
  return outcome;
}

void requester::send_held() {
  flush_pending_ = false;
  for (auto& w : held_)
    w->send_held_back();
  held_.clear();
}

caf::behavior requester::make_behavior() {
  set_down_handler([this](caf::down_msg& dm) {
    // A destination died: its requests fail now, not at their timeout.
    monitored_.erase(dm.source);
    fail_all(&dm.source, caf::make_error(caf::sec::request_receiver_down));
  });
  return {
    [this](bind_atom, std::shared_ptr<requester_binding>& b) { bind(*b); },
    [this](requests_atom, std::uint64_t ticket) {
      if (bound_to(ticket))
        start_handed();
    },
    [this](cancel_atom, std::uint64_t ticket) {
      // The group's cause says why; each request just counts as failed.
      if (bound_to(ticket))
        fail_all(nullptr, {});
    },
    [this](retire_atom, std::uint64_t ticket) {
      // The group finished, or (a reducer) let its actors go unfinished.
      if (!bound_to(ticket))
        return;
      for (auto& entry : pending_) {
        forget_dest(entry.dest);
        multiplexed_responses_.erase(entry.rid); // see fail_all
      }
      pending_.clear();
      unbind(); // an incomplete reduction fails its awaits as it goes
    },
    [this](flush_atom) { send_held(); },
    [this](results_atom, result_batch_ptr& batch) {
      if (reduction_)
        reduced(reduction_->on_results(batch));
    },
    [this](finished_atom, std::uint64_t ticket) {
      if (bound_to(ticket) && reduction_)
        reduced(reduction_->on_finished());
    },
  };
}

void requester::bind(requester_binding& b) {
  // Bound before the group could finish (it has requests for us, or tells
  // us with a retire_atom that comes after this message).
  core_ = std::move(b.core);
  rec_ = b.rec;
  ticket_ = rec_->ticket; // set before the bind message, never changed
  if (b.sole)
    reduction_.emplace(std::move(b.sole));
  start_handed();
}

void requester::unbind() {
  if (core_)
    home_system().registry().dec_running(); // see group_state::spawn_requester
  core_.reset();
  rec_ = nullptr;
  ticket_ = 0;
  reduction_.reset();
  // An idle requester keeps little: storage for a usual group's requests
  // (a big fan-out grew it to up to `capacity`), and monitors on a few
  // destinations for the next group, never on one with requests pending
  // (there are none now).
  if (pending_.capacity() > 32)
    std::vector<pending>{}.swap(pending_);
  if (batch_.capacity() > 32)
    std::vector<std::unique_ptr<task>>{}.swap(batch_);
  for (auto i = monitored_.begin();
       monitored_.size() > idle_monitors && i != monitored_.end();) {
    if (i->second == 0) {
      demonitor(i->first);
      i = monitored_.erase(i);
    } else {
      ++i;
    }
  }
  if (!pool_->give_back(caf::actor_cast<caf::actor>(this)))
    quit();
}

void requester::reduced(bool complete) {
  if (complete)
    unbind(); // the group is finished and every result consumed
}

void requester::start(std::unique_ptr<task> t) {
  auto* req = t->as_request();
  if (core_->ctx().cancelled()) {
    group_finished(core_->finish_request(*rec_, std::move(t), std::nullopt, false));
    return; // start_handed() picks up whatever this handed us
  }
  auto dest = req->dest();
  if (!dest) {
    auto outcome =
      handle([req] { return req->on_error(caf::make_error(caf::sec::invalid_argument)); });
    group_finished(core_->finish_request(*rec_, std::move(t), outcome));
    return;
  }
  auto id = next_id_++;
  auto addr = dest.address();
  auto [m, added] = monitored_.try_emplace(addr, 0);
  if (added) // an idle requester may watch it already
    monitor(dest);
  ++m->second;
  auto handle = request(dest, req->timeout(), req->content());
  pending_.push_back(pending{id, handle.id(), std::move(t), addr});
  add_multiplexed_response_handler(handle.id(), make_any_response([this, id] {
    // The reply, or an error (a timeout, a dead destination, an error reply).
    auto reply = current_mailbox_element()->move_content_to_message();
    if (reply.match_elements<caf::error>())
      end(id, nullptr, std::move(reply.get_mutable_as<caf::error>(0)));
    else
      end(id, &reply, {});
  }));
}

void requester::end(uint64_t id, caf::message* reply, error err) {
  auto i = std::find_if(pending_.rbegin(), pending_.rend(),
                        [id](const pending& p) { return p.id == id; });
  if (i == pending_.rend())
    return; // already failed (cancelled, or its destination died)
  auto entry = std::move(*i);
  if (&*i != &pending_.back())
    *i = std::move(pending_.back()); // order does not matter
  pending_.pop_back();
  forget_dest(entry.dest);
  std::optional<task_outcome> outcome;
  if (err || reply) {
    auto* req = entry.t->as_request();
    outcome = handle([&] { return reply ? req->on_reply(*reply) : req->on_error(std::move(err)); });
  } else {
    outcome = task_outcome::failed; // cancelled while waiting
  }
  group_finished(core_->finish_request(*rec_, std::move(entry.t), outcome));
  // The slot we freed may have handed us the next request: send it now
  // rather than after a round trip through our own mailbox.
  start_handed();
}

void requester::group_finished(bool told) {
  // Told only a reducer, and only once: the group finished in that call.
  if (told && reduction_)
    reduced(reduction_->on_finished());
}

void requester::start_handed() {
  // Starting one may end it at once and hand us another: loop until empty.
  // (A request that finishes the group may unbind this requester.)
  while (core_ && core_->take_requests(*rec_, batch_)) {
    for (auto& t : batch_)
      start(std::move(t));
    batch_.clear(); // keeps its capacity for the next burst, of any group
  }
}

void requester::fail_all(const caf::actor_addr* dest, const error& err) {
  std::vector<std::pair<uint64_t, caf::message_id>> ids;
  for (auto& entry : pending_)
    if (!dest || entry.dest == *dest)
      ids.emplace_back(entry.id, entry.rid);
  for (auto& [id, rid] : ids) {
    // A reply may never come (an infinite timeout, a destination that drops
    // its promise): CAF would keep the handler as long as this pooled
    // requester lives. A late reply is dropped instead.
    multiplexed_responses_.erase(rid);
    end(id, nullptr, err);
  }
}

void requester::forget_dest(const caf::actor_addr& dest) {
  auto i = monitored_.find(dest);
  if (i == monitored_.end())
    return;
  // The monitor stays for the next requests there (removing it scans the
  // destination's monitors under its lock): only beyond `idle_monitors`
  // destinations does one without pending requests go.
  if (--i->second == 0 && monitored_.size() > idle_monitors) {
    demonitor(dest);
    monitored_.erase(i);
  }
}

void requester::on_exit() {
  send_held();
  pending_.clear();
  reduction_.reset(); // killed before completing: fails the awaits
  if (core_) {
    home_system().registry().dec_running(); // killed while bound
    core_.reset();
  }
  // CAF does not remove a dead actor's monitors from the actors it watched.
  for (auto& [dest, n] : monitored_)
    demonitor(dest);
  monitored_.clear();
  pool_.reset();
}

} // namespace parallel::detail
