#include "supervisor.hpp"

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/sec.hpp>

#include "parallel/detail/atoms.hpp"
#include "requester.hpp"
#include "thread_state.hpp"
#include "worker.hpp"

namespace parallel::detail {

namespace {

// How long busy workers may go without finishing a task before an unlimited
// group adds workers (they may be blocked on each other).
constexpr auto progress_interval = std::chrono::milliseconds(1);

// Checks without progress after which an unlimited group grows even if its
// busy workers look runnable (they may spin-wait on a queued task).
constexpr int stall_limit = 20;

// The longest a result may wait for its reducer's wake-up when a worker held
// it back for batching and then got stuck in a long task.
constexpr auto flush_delay = std::chrono::milliseconds(1);

// True if every thread in `tids` is blocked. Where /proc cannot tell (or a
// worker has not reported its thread yet), assume blocked: growing the pool
// is what guarantees progress for tasks that wait on each other.
bool all_blocked(const std::vector<int>& tids) {
  for (auto tid : tids)
    if (tid != 0 && thread_blocked(tid) == std::optional<bool>{false})
      return false;
  return true;
}

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
    }
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
      auto p = core_->check_progress();
      if (!p.starving)
        return;
      // No task finished for a while and tasks wait: grow the pool, but only
      // if every busy worker is blocked (maybe on each other). Workers that
      // are merely slow or preempted on a loaded machine are left alone.
      // Busy workers that spin or poll for a queued sibling look running:
      // after `stall_limit` checks without progress, grow anyway.
      stalled_checks_ = p.stalled ? stalled_checks_ + 1 : 0;
      if (p.stalled && (all_blocked(p.busy) || stalled_checks_ >= stall_limit)) {
        stalled_checks_ = 0;
        spawn_workers(core_->reserve_workers(std::max<std::size_t>(1, p.busy.size())));
      }
      checking_ = true;
      delayed_send(this, progress_interval, check_atom::value);
    },
    [this](requester_atom) { spawn_requester(); },
    [this](flush_atom) {
      delayed_send(this, flush_delay, flushnow_atom::value);
    },
    [this](flushnow_atom) { core_->flush_wrappers(); },
    [this](cancel_atom) {
      core_->on_cancelled();
      // Requesters stop waiting for replies; late ones are ignored.
      for (auto& r : core_->requesters())
        send(r, cancel_atom::value);
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
    try {
      rec->self = system().spawn<worker, caf::detached>(core_, ptr);
    } catch (...) {
      // No thread for a worker (resource limits): fail the group loudly
      // rather than let this actor die and leave waiters hanging.
      core_->spawn_failed(n - i, std::current_exception(), false);
      return;
    }
    auto self = rec->self;
    if (!core_->add_worker(std::move(rec)))
      send(self, retire_atom::value);
  }
}

void supervisor::spawn_requester() {
  auto rec = std::make_unique<requester_record>();
  auto* ptr = rec.get();
  try {
    rec->self = system().spawn<detail::requester>(core_, ptr);
  } catch (...) {
    core_->spawn_failed(1, std::current_exception(), true);
    return;
  }
  auto self = rec->self;
  if (!core_->add_requester(std::move(rec)))
    send(self, retire_atom::value);
}

void supervisor::on_finished() {
  if (!core_->finished())
    return;
  for (auto& w : core_->retire_actors())
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
  awaiting_.clear();
}

} // namespace parallel::detail
