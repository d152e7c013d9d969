// A group's rules along one task's path: go() queues it (submit), the
// dispatcher hands it to a thread or a requester within the bound
// (pump_locked), it runs and is counted, and wait() sees the group finish
// (wait_tasks, check_finished_locked). The other concerns live next door:
// group_workers.cpp (borrowing pooled workers, growing `unlimited`),
// group_requests.cpp (request tasks and lanes), group_lifecycle.cpp (the
// supervisor, cancellation and abandonment).
#include "group_state.hpp"

#include <algorithm>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include "blocking_check.hpp"
#include "context_state.hpp"
#include "group_update.hpp"
#include "worker_pool.hpp"
#include "parallel/detail/atoms.hpp"
#include "parallel/detail/wrapper_state.hpp"
#include "parallel/misuse_error.hpp"

namespace parallel::detail {

namespace {

// Workers an unlimited group starts before it waits for signs of blocking.
// Read once: hardware_concurrency() reads a sysfs file each time, which
// costs more than the rest of creating a group.
std::size_t default_eager_workers() {
  static const std::size_t n =
    std::max<std::size_t>(2, std::thread::hardware_concurrency());
  return n;
}

// Workers of one group woken and not yet running. Each woken worker wakes
// the next when it starts (see work), so a burst of go() costs one wake-up,
// not one per task: on a loaded machine a wake-up costs more than a short
// task, and the waiting caller helps (see wait_tasks). Measured with
// request_fanout: 1 beats 2 and beats no limit (bench/README.md).
constexpr std::size_t max_waking = 1;

} // namespace

group_state::group_state(caf::actor_system& sys, const context& parent,
                       std::size_t bound)
  : sys_(sys),
    bound_(bound),
    eager_limit_(bound == unbounded ? default_eager_workers() : bound),
    pool_(worker_pool::of(sys)) {
  auto [ctx, cancel] = with_cancel(parent);
  ctx_ = std::move(ctx);
  cancel_ = std::move(cancel);
}

group_state::~group_state() {
  on_cancel_.reset();
}

void group_state::submit(std::unique_ptr<task> t) {
  // Outside the lock: this applies a deadline that has just passed, which
  // runs stop callbacks; under the lock only the latch is read.
  ctx_.cancelled();
  actions a;
  {
    std::unique_lock<std::mutex> lk{mtx_};
    if (panic_) {
      auto p = panic_;
      lk.unlock();
      std::rethrow_exception(p);
    }
    if (closed_)
      throw misuse_error{};
    ++stats_.submitted;
    if (cancelled_locked()) {
      ++stats_.skipped;
      lk.unlock();
      return; // `t` is destroyed unrun, outside the lock
    }
    if (t->lane != 0) {
      lanes_.at(t->lane - 1).queue.push_back(std::move(t));
      ++outstanding_;
    } else if (bound_ == 0 && !t->as_request()) {
      // Serial: one task at a time, in submission order. A request submitted
      // earlier may still be pending (it holds no thread): this closure
      // waits for it, on the caller's thread, then runs inline. It counts
      // as outstanding while it waits, so a wait() on another thread waits
      // for it too. (Requests other threads submit meanwhile go first.)
      ++outstanding_;
      cv_.wait(lk, [this] {
        return cancelled_locked() || (queue_.empty() && local_requests_ == 0);
      });
      if (cancelled_locked()) { // say, that request failed an err_group
        --outstanding_;
        ++stats_.skipped;
        check_finished_locked(a); // a wait() may wait for this closure alone
        auto p = panic_;
        lk.unlock();
        perform(a);
        if (p)
          std::rethrow_exception(p);
        return;
      }
      start_locked(0);
      lk.unlock();
      run_inline(std::move(t));
      return;
    } else {
      (t->as_request() ? queue_ : closures_).push_back(std::move(t));
      ++outstanding_;
    }
    pump_locked(a);
  }
  perform(a);
}

void group_state::run_inline(std::unique_ptr<task> t) {
  auto outcome = run_guarded(*t);
  t.reset();
  update([&](actions&) {
    end_locked(0);
    --outstanding_;
    count_locked(outcome);
  });
}

void group_state::pump_locked(actions& a) {
  if (cancelled_locked()) {
    drop_queue_locked(a);
    return;
  }
  pump_lanes_locked(a);
  // The serial executor runs closures inline (never queued); its request
  // tasks, which need no thread, wait here and go one at a time, in order.
  auto room = [this] {
    return bound_ == 0 ? local_requests_ == 0 : local_in_flight_ < bound_;
  };
  while (!queue_.empty() && room()) {
    if (open_requesters_.empty()) {
      request_requester_locked(a);
      break;
    }
    auto t = std::move(queue_.front());
    queue_.pop_front();
    start_locked(0);
    ++local_requests_;
    hand_request_locked(std::move(t), a);
  }
  // Closures wait for a thread: borrow idle workers from the pool, one per
  // queued closure that no woken worker will take, within the bound. Each
  // takes its closure from the queue itself once it runs.
  auto wanted = [this] {
    return closures_.size() > waking_ && local_in_flight_ + waking_ < bound_
           && waking_ < max_waking && !retired_;
  };
  while (wanted()) {
    auto* slot = pool_->borrow();
    if (!slot)
      break;
    lend_locked(slot, a);
  }
  if (!wanted())
    return;
  // A closure waits and no worker is idle anywhere in the system.
  auto have = borrowed_.size() + spawning_;
  if (have < eager_limit_ && spawning_ < closures_.size() - waking_) {
    ++spawning_;
    ++a.spawn;
  } else if (have < bound_ && !tick_pending_) {
    tick_pending_ = true;
    last_completions_ = completions_;
    a.tick = true;
  }
}

void group_state::close() {
  update([&](actions&) { closed_ = true; });
}

void group_state::wait_tasks() {
  check_may_block(this);
  close();
  // The waiting thread helps: it runs queued closures the bound lets start
  // instead of sleeping while woken workers get to them. A group of short
  // tasks then mostly runs on its caller, without a thread switch.
  std::unique_lock<std::mutex> lk{mtx_};
  while (!finished_) {
    auto t = take_closure_locked();
    if (!t) {
      cv_.wait(lk, [this] { return finished_; });
      break;
    }
    lk.unlock();
    run_streak(std::move(t), nullptr); // as a worker would (group_workers.cpp)
    lk.lock();
  }
}

std::optional<task_outcome> group_state::run_guarded(task& t) {
  running_task_scope running{this};
  try {
    return t.run(ctx_);
  } catch (...) {
    record_panic(std::current_exception());
    return std::nullopt;
  }
}

void group_state::start_locked(std::size_t lane) {
  ++in_flight_;
  if (lane == 0)
    ++local_in_flight_;
  stats_.peak_in_flight = std::max(stats_.peak_in_flight, in_flight_);
}

void group_state::end_locked(std::size_t lane) {
  --in_flight_;
  if (lane == 0)
    --local_in_flight_;
}

void group_state::count_locked(std::optional<task_outcome> outcome) {
  if (!outcome)
    ++stats_.panicked;
  else if (*outcome == task_outcome::succeeded)
    ++stats_.succeeded;
  else
    ++stats_.failed;
}

void group_state::check_finished_locked(actions& a) {
  if (finished_ || outstanding_ != 0 || !(closed_ || abandoned_))
    return;
  finished_ = true;
  done_.store(true, std::memory_order_release);
  cv_.notify_all();
  a.finished.reserve(wrappers_.size() + 1);
  for (auto& w : wrappers_) {
    if (auto r = w->reducer()) {
      // A pooled requester hears it with its binding's ticket: it may serve
      // another group by the time a late message would come.
      auto i = std::find_if(requesters_.begin(), requesters_.end(),
                            [&](const auto& rec) { return rec->reduces && rec->self == r; });
      if (i != requesters_.end())
        a.finished_requesters.emplace_back(std::move(r), (*i)->ticket);
      else
        a.finished.push_back(std::move(r));
    } else {
      a.release.push_back(w); // no reducer ever ran a receiver: drop it here
    }
  }
  a.finishing = true;
  // Requesters have nothing left to send.
  if (!requesters_.empty())
    a.retire = retire_locked(false);
  // The supervisor runs only if it has something to do: answer an await,
  // or quit after the last handle died.
  if (notify_supervisor_ || abandoned_)
    a.finished.push_back(nullptr); // placeholder for the supervisor
}

void group_state::perform(actions& a) {
  if (a.wake.empty() && a.wake_requesters.empty() && a.dropped.empty()
      && a.failed.empty() && a.finished.empty() && a.release.empty()
      && a.retire.empty() && a.spawn == 0 && !a.tick && !a.spawn_requester
      && !a.finishing)
    return; // the common case: nothing to tell anyone
  if (a.finishing) {
    // Nothing is left to stop. Without a callback, the cancellation that
    // wait() and await make (group_done) runs none: libstdc++ wakes a futex
    // for every stop callback it runs, even with nobody waiting.
    on_cancel_.reset();
    if (orphaned())
      release_actors(); // what a supervisor would do when quitting
  }
  a.dropped.clear();
  for (auto& w : a.release)
    w->release_callbacks();
  a.release.clear();
  if (!a.failed.empty())
    fail_unrouted(std::move(a.failed));
  for (auto& w : a.wake)
    caf::anon_send(w, wake_atom::value);
  for (auto& [r, ticket] : a.wake_requesters)
    caf::anon_send(r, requests_atom::value, ticket);
  for (auto& [r, ticket] : a.finished_requesters)
    caf::anon_send(r, finished_atom::value, ticket);
  for (auto& [r, ticket] : a.retire)
    caf::anon_send(r, retire_atom::value, ticket);
  if (a.spawn_requester)
    spawn_requester();
  if (a.spawn == 0 && !a.tick && a.finished.empty())
    return;
  // Only spawning and growth make a supervisor; an await or an abandonment
  // that wants to hear `finished_atom` made one already.
  auto sup = a.spawn > 0 || a.tick ? need_supervisor() : supervisor();
  if (sup && a.spawn > 0)
    caf::anon_send(sup, spawn_atom::value, a.spawn);
  if (sup && a.tick)
    caf::anon_send(sup, tick_atom::value);
  for (auto& x : a.finished)
    if (x || sup)
      caf::anon_send(x ? x : sup, finished_atom::value);
}

error group_state::finish_cause() const {
  auto winner = ctx_.state()->cancel(make_error(errc::group_done));
  if (is(winner, errc::group_done))
    return {};
  return winner;
}

void group_state::rethrow_if_panicked() const {
  std::exception_ptr p;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    p = panic_;
  }
  if (p)
    std::rethrow_exception(p);
}

void group_state::record_panic(std::exception_ptr e) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!panic_)
      panic_ = std::move(e);
  }
  cancel(make_error(errc::panicked));
}

group_stats group_state::stats() const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto result = stats_;
  result.running = in_flight_;
  return result;
}

bool group_state::finished() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return finished_;
}

void group_state::add_wrapper(std::shared_ptr<wrapper_base> w) {
  std::lock_guard<std::mutex> guard{mtx_};
  wrappers_.push_back(std::move(w));
}

bool group_state::cancelled_locked() const noexcept {
  return ctx_.state()->latched();
}

void group_state::drop_queue_locked(actions& a) {
  auto drop = [&](std::deque<std::unique_ptr<task>>& q) {
    stats_.skipped += q.size();
    outstanding_ -= q.size();
    for (auto& t : q)
      a.dropped.push_back(std::move(t));
    q.clear();
  };
  drop(queue_);
  drop(closures_);
  for (auto& l : lanes_)
    drop(l.queue);
  if (bound_ == 0)
    cv_.notify_all(); // a serial closure may wait for the queue to empty
}

} // namespace parallel::detail
