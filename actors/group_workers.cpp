// A group's threads: it borrows idle workers from the system's pool (never
// more than its bound, one woken at a time), runs closures on them until its
// queue is empty, and lets them go. When none is idle the supervisor spawns
// more; an `unlimited` group whose busy workers stall grows (check_progress).
#include "group_state.hpp"

#include <algorithm>
#include <chrono>

#include "group_update.hpp"
#include "worker_pool.hpp"
#include "parallel/detail/notify_batch.hpp"

namespace parallel::detail {

void group_state::work(worker_slot& slot) {
  std::unique_ptr<task> t;
  update([&](actions& a) {
    --waking_;
    t = take_closure_locked();
    if (!t)
      let_go_locked(slot);
    pump_locked(a); // wakes the next worker if closures still wait
  });
  run_streak(std::move(t), &slot);
}

void group_state::run_streak(std::unique_ptr<task> t, worker_slot* slot) {
  // After a short task the thread holds its results back and sends them at
  // the end of the streak (see notify_batch), which saves a message per
  // result on trivial tasks.
  // Reading the clock costs about 20 ns here, a tenth of a trivial task, so
  // within a streak it is read once per `sample` tasks: the streak goes on
  // while they averaged under `short_task`. A long task inside a streak is
  // covered by the supervisor's flush, as it is when the next task is long.
  constexpr int sample = 16;
  auto short_task = std::chrono::nanoseconds(
    notify_batch::short_task_ns.load(std::memory_order_relaxed));
  auto& batch = notify_batch::local();
  // A task of another group may be waiting on this one (its child) on this
  // thread: that group's streak ends here, and its batch owner comes back.
  batch.flush();
  auto* outer = batch.owner;
  batch.owner = this;
  auto last_read = std::chrono::steady_clock::now();
  int unmeasured = 0; // tasks run since `last_read`
  while (t) {
    auto outcome = run_guarded(*t);
    bool was_short = true;
    if (++unmeasured == sample || !batch.active) {
      auto now = std::chrono::steady_clock::now();
      was_short = now - last_read < unmeasured * short_task;
      last_read = now;
      unmeasured = 0;
    }
    t.reset(); // the closure dies outside the lock
    update([&](actions& a) {
      end_locked(0);
      --outstanding_;
      ++completions_;
      count_locked(outcome);
      // The hot path: take the next closure straight from the queue, no
      // message and no idle round trip.
      t = take_closure_locked();
      if (!t && slot != nullptr)
        let_go_locked(*slot);
      pump_locked(a);
      // End the streak here, under the lock and before the group can
      // finish: the wrappers we held wake-ups for are alive until then.
      if (t && was_short)
        batch.active = true;
      else
        batch.flush();
    });
  }
  batch.owner = outer;
}

std::unique_ptr<task> group_state::take_closure_locked() {
  // The latch, not cancelled(): no clock read per task (the timer applies
  // deadlines). A cancelled group's queue is dropped by pump_locked.
  if (closures_.empty() || local_in_flight_ >= bound_ || cancelled_locked())
    return nullptr;
  auto t = std::move(closures_.front());
  closures_.pop_front();
  start_locked(0);
  return t;
}

void group_state::lend_locked(worker_slot* slot, actions& a) {
  slot->group = shared_from_this();
  borrowed_.push_back(slot);
  ++waking_;
  a.wake.push_back(slot->self);
}

void group_state::let_go_locked(worker_slot& slot) {
  // The worker hands itself back to the pool once it has left this lock.
  auto i = std::find(borrowed_.begin(), borrowed_.end(), &slot);
  if (i != borrowed_.end()) {
    *i = borrowed_.back();
    borrowed_.pop_back();
  }
}

void group_state::add_worker(worker_slot* slot) {
  update([&](actions& a) {
    if (spawning_ > 0)
      --spawning_;
    // Lent even if no longer needed: it finds nothing and goes idle.
    lend_locked(slot, a);
    pump_locked(a);
  });
}

void group_state::spawn_failed(std::size_t n, error why, bool growing) {
  std::deque<std::unique_ptr<task>> failed;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    spawning_ -= std::min(n, spawning_);
    // Closures queued with nobody to run them would wait forever.
    if (borrowed_.empty() || growing) {
      failed.swap(closures_);
      outstanding_ -= failed.size();
      stats_.failed += failed.size();
    }
  }
  for (auto& t : failed) {
    try {
      t->fail(why);
    } catch (...) {
      record_panic(std::current_exception());
    }
    t.reset();
  }
  update([](actions&) {}); // the group may be finished now
}

group_state::progress group_state::check_progress() {
  progress result;
  std::lock_guard<std::mutex> guard{mtx_};
  result.starving = closures_.size() > waking_
                    && local_in_flight_ + waking_ < bound_
                    && !cancelled_locked() && !retired_ && !pool_->has_idle();
  if (!result.starving) {
    tick_pending_ = false;
    return result;
  }
  result.stalled = completions_ == last_completions_;
  last_completions_ = completions_;
  if (result.stalled)
    for (auto* slot : borrowed_)
      result.busy.push_back(slot->tid.load());
  return result;
}

std::size_t group_state::reserve_workers(std::size_t n) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto have = borrowed_.size() + spawning_;
  if (retired_ || have >= bound_)
    return 0;
  n = std::min({n, bound_ - have, closures_.size()});
  spawning_ += n;
  return n;
}

} // namespace parallel::detail
