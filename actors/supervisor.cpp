#include "supervisor.hpp"

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/sec.hpp>

#include "parallel/detail/atoms.hpp"
#include "requester.hpp"
#include "thread_state.hpp"
#include "worker_pool.hpp"

namespace parallel::detail {

namespace {

// How long busy workers may go without finishing a task before an unlimited
// group adds workers (they may be blocked on each other).
constexpr auto progress_interval = std::chrono::milliseconds(1);

// Checks without progress after which an unlimited group grows even if its
// busy workers look runnable (they may spin-wait on a queued task).
constexpr int stall_limit = 20;

// The longest a result may wait to be sent to its reducer when a worker held
// it back for batching and then got stuck in a long task.
constexpr auto flush_delay = std::chrono::milliseconds(1);

// True if every thread in `tids` is blocked. Where /proc cannot tell (or a
// worker has not reported its thread yet), assume blocked: growing the pool
// is what guarantees progress for tasks that wait on each other.
// The error of a task that needed a thread the system could not start.
error no_thread(const char* why) {
  return make_error(std::string{"parallel: no thread could be started to run "
                                "this task ("}
                    + why + "); raise the process's thread limit or lower "
                            "the group's bound");
}

bool all_blocked(const std::vector<int>& tids) {
  for (auto tid : tids)
    if (tid != 0 && thread_blocked(tid) == std::optional<bool>{false})
      return false;
  return true;
}

} // namespace

supervisor::supervisor(caf::actor_config& cfg, std::shared_ptr<group_state> core,
                       caf::actor_addr sentinel)
  : caf::event_based_actor(cfg),
    core_(std::move(core)),
    sentinel_addr_(std::move(sentinel)) {
}

caf::behavior supervisor::make_behavior() {
  // Only the handles keep the sentinel alive, so its death means the last
  // handle is gone.
  set_down_handler([this](caf::down_msg& dm) {
    if (dm.source == sentinel_addr_)
      on_handle_gone();
  });
  return {
    [this](abandoned_atom) { on_handle_gone(); },
    [this](spawn_atom, std::size_t n) { spawn_workers(n, false); },
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
        spawn_workers(core_->reserve_workers(std::max<std::size_t>(1, p.busy.size())),
                      true);
      }
      checking_ = true;
      delayed_send(this, progress_interval, check_atom::value);
    },
    [this](flush_atom) {
      delayed_send(this, flush_delay, flushnow_atom::value);
    },
    [this](flushnow_atom) { core_->flush_wrappers(); },
    [this](cancel_atom) {
      core_->on_cancelled();
      // Requesters stop waiting for replies; late ones are ignored.
      for (auto& [r, ticket] : core_->requesters())
        send(r, cancel_atom::value, ticket);
    },
    [this](finished_atom) { on_finished(); },
    [this](await_atom) {
      awaiting_.push_back(make_response_promise());
      if (core_->notify_supervisor_when_finished())
        on_finished();
    },
  };
}

void supervisor::spawn_workers(std::size_t n, bool growing) {
  for (std::size_t i = 0; i < n; ++i) {
    worker_slot* slot = nullptr;
    try {
      slot = core_->pool().spawn();
    } catch (const std::exception& e) {
      // No thread for a worker (the process's thread limit): the tasks that
      // needed it fail; the group and the system stay usable.
      core_->spawn_failed(n - i, no_thread(e.what()), growing);
      return;
    } catch (...) {
      core_->spawn_failed(n - i, no_thread("unknown error"), growing);
      return;
    }
    core_->add_worker(slot);
  }
}

void supervisor::on_finished() {
  if (!core_->finished())
    return;
  for (auto& rp : awaiting_)
    rp.deliver(done_atom::value);
  awaiting_.clear();
  maybe_quit();
}

void supervisor::on_handle_gone() {
  handle_gone_ = true;
  core_->abandon();
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
