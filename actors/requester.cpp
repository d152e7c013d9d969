#include "requester.hpp"

#include <caf/sec.hpp>

#include <utility>

#include "parallel/detail/atoms.hpp"
#include "parallel/detail/notify_batch.hpp"

namespace parallel::detail {

requester::requester(caf::actor_config& cfg, std::shared_ptr<group_state> core,
                     requester_record* rec, std::shared_ptr<wrapper_base> sole)
  : caf::event_based_actor(cfg), core_(std::move(core)), rec_(rec) {
  if (sole)
    reduction_.emplace(std::move(sole));
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
    [this](requests_atom) { start_handed(); },
    [this](cancel_atom) {
      // The group's cause says why; each request just counts as failed.
      fail_all(nullptr, {});
    },
    [this](retire_atom) {
      quit(); // the group finished (a requester that reduces gets no retire)
    },
    [this](flush_atom) { send_held(); },
    [this](results_atom, result_batch_ptr& batch) {
      if (reduction_ && reduction_->on_results(batch))
        quit();
    },
    [this](finished_atom) {
      if (reduction_ && reduction_->on_finished())
        quit();
    },
  };
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
  if (monitored_[addr]++ == 0)
    monitor(dest);
  auto handle = request(dest, req->timeout(), req->content());
  pending_.emplace(id, pending{std::move(t), addr});
  // Event-based actors in CAF 0.17 have no catch-all for responses. With
  // only an error handler, any reply arrives as `sec::unexpected_response`
  // whose context is the reply itself; real failures keep their own code.
  add_multiplexed_response_handler(
    handle.id(), caf::behavior{[this, id](caf::error& err) {
      if (err == caf::sec::unexpected_response) {
        auto reply = err.context();
        end(id, &reply, {});
      } else {
        end(id, nullptr, std::move(err));
      }
    }});
}

void requester::end(uint64_t id, caf::message* reply, error err) {
  auto i = pending_.find(id);
  if (i == pending_.end())
    return; // already failed (cancelled, or its destination died)
  auto entry = std::move(i->second);
  pending_.erase(i);
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
  if (told && reduction_ && reduction_->on_finished())
    quit(); // the reduction is complete: nothing left to do
}

void requester::start_handed() {
  // Starting one may end it at once and hand us another: loop until empty.
  for (auto batch = core_->take_requests(*rec_); !batch.empty();
       batch = core_->take_requests(*rec_))
    for (auto& t : batch)
      start(std::move(t));
}

void requester::fail_all(const caf::actor_addr* dest, const error& err) {
  std::vector<uint64_t> ids;
  for (auto& [id, entry] : pending_)
    if (!dest || entry.dest == *dest)
      ids.push_back(id);
  for (auto id : ids)
    end(id, nullptr, err);
}

void requester::forget_dest(const caf::actor_addr& dest) {
  auto i = monitored_.find(dest);
  if (i == monitored_.end())
    return;
  if (--i->second == 0) {
    demonitor(dest);
    monitored_.erase(i);
  }
}

void requester::on_exit() {
  send_held();
  pending_.clear();
  if (reduction_ && !reduction_->complete())
    reduction_->wrapper().fail_awaiters(); // killed: nobody will answer
  reduction_.reset();
  core_.reset();
}

} // namespace parallel::detail
