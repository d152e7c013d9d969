#include "supervisor.hpp"

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/sec.hpp>

#include "parallel/detail/atoms.hpp"
#include "worker.hpp"

namespace parallel::detail {

namespace {

// How long busy workers may go without finishing a task before an unlimited
// group adds workers (they may be blocked on each other).
constexpr auto progress_interval = std::chrono::milliseconds(1);

} // namespace

supervisor::supervisor(caf::actor_config& cfg, std::shared_ptr<group_core> core,
                       caf::actor sentinel)
  : caf::event_based_actor(cfg),
    core_(std::move(core)),
    sentinel_(std::move(sentinel)) {
}

caf::behavior supervisor::make_behavior() {
  // Monitor the sentinel, then forget our strong reference to it: only the
  // handles keep it alive, so its death means the last handle is gone.
  sentinel_addr_ = sentinel_.address();
  monitor(sentinel_);
  sentinel_ = nullptr;
  set_down_handler([this](caf::down_msg& dm) {
    if (dm.source == sentinel_addr_) {
      handle_gone_ = true;
      core_->abandon();
      maybe_quit();
      return;
    }
    // A request's destination died: its requests fail now, not at a timeout.
    monitored_.erase(dm.source);
    fail_requests(&dm.source, caf::make_error(caf::sec::request_receiver_down));
  });
  return {
    [this](spawn_atom, std::size_t n) { spawn_workers(n); },
    [this](tick_atom) {
      if (!checking_) {
        checking_ = true;
        delayed_send(this, progress_interval, check_atom::value);
      }
    },
    [this](check_atom) {
      checking_ = false;
      auto [n, again] = core_->check_progress();
      spawn_workers(n);
      if (again) {
        checking_ = true;
        delayed_send(this, progress_interval, check_atom::value);
      }
    },
    [this](requests_atom) {
      for (auto& t : core_->take_requests())
        start_request(std::move(t));
    },
    [this](cancel_atom) {
      core_->on_cancelled();
      // Stop waiting for replies; late ones are ignored.
      fail_requests(nullptr, core_->ctx().cause());
    },
    [this](finished_atom) { on_finished(); },
    [this](await_atom) {
      awaiting_.push_back(make_response_promise());
      if (core_->finished())
        on_finished();
    },
  };
}

void supervisor::spawn_workers(std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    auto rec = std::make_unique<worker_record>();
    auto* ptr = rec.get();
    rec->self = system().spawn<worker, caf::detached>(core_, ptr);
    auto self = rec->self;
    if (!core_->add_worker(std::move(rec)))
      send(self, retire_atom::value);
  }
}

void supervisor::start_request(std::unique_ptr<task> t) {
  auto* req = t->as_request();
  if (core_->ctx().cancelled()) {
    core_->finish_request(std::move(t), std::nullopt, false);
    return;
  }
  auto dest = req->dest();
  if (!dest) {
    auto outcome = req->on_error(caf::make_error(caf::sec::invalid_argument));
    core_->finish_request(std::move(t), outcome);
    return;
  }
  auto id = next_request_++;
  auto addr = dest.address();
  if (monitored_[addr]++ == 0)
    monitor(dest);
  auto handle = request(dest, req->timeout(), req->content());
  pending_.emplace(id, pending_request{std::move(t), addr});
  // Event-based actors in CAF 0.17 have no catch-all for responses. With
  // only an error handler, any reply arrives as `sec::unexpected_response`
  // whose context is the reply itself; real failures keep their own code.
  add_multiplexed_response_handler(
    handle.id(), caf::behavior{[this, id](caf::error& err) {
      if (err == caf::sec::unexpected_response) {
        auto reply = err.context();
        end_request(id, &reply, {});
      } else {
        end_request(id, nullptr, std::move(err));
      }
    }});
}

void supervisor::end_request(uint64_t id, caf::message* reply, error err) {
  auto i = pending_.find(id);
  if (i == pending_.end())
    return; // already failed (cancelled, or its destination died)
  auto entry = std::move(i->second);
  pending_.erase(i);
  forget_dest(entry.dest);
  auto* req = entry.t->as_request();
  std::optional<task_outcome> outcome;
  try {
    outcome = reply ? req->on_reply(*reply) : req->on_error(std::move(err));
  } catch (...) {
    core_->record_panic(std::current_exception());
  }
  core_->finish_request(std::move(entry.t), outcome);
}

void supervisor::fail_requests(const caf::actor_addr* dest, const error& err) {
  std::vector<uint64_t> ids;
  for (auto& [id, entry] : pending_)
    if (!dest || entry.dest == *dest)
      ids.push_back(id);
  for (auto id : ids) {
    if (dest) {
      end_request(id, nullptr, err);
    } else {
      // Cancelled: the group's cause already says why; count it as failed
      // without reporting the same cause once per request.
      auto i = pending_.find(id);
      auto entry = std::move(i->second);
      pending_.erase(i);
      forget_dest(entry.dest);
      core_->finish_request(std::move(entry.t), task_outcome::failed);
    }
  }
}

void supervisor::forget_dest(const caf::actor_addr& dest) {
  auto i = monitored_.find(dest);
  if (i == monitored_.end())
    return;
  if (--i->second == 0) {
    demonitor(dest);
    monitored_.erase(i);
  }
}

void supervisor::on_finished() {
  if (!core_->finished())
    return;
  for (auto& w : core_->retire_workers())
    send(w, retire_atom::value);
  for (auto& rp : awaiting_)
    rp.deliver(done_atom::value);
  awaiting_.clear();
  maybe_quit();
}

void supervisor::maybe_quit() {
  if (handle_gone_ && core_->finished())
    quit();
}

void supervisor::on_exit() {
  if (core_) {
    core_->on_supervisor_exit();
    core_.reset();
  }
  pending_.clear();
  awaiting_.clear();
}

} // namespace parallel::detail
