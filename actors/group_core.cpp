// The rules of a group: queueing, handing tasks to workers under the bound,
// growing the worker pool, finishing, cancelling and abandoning.
#include "parallel/detail/group_core.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include <caf/actor_cast.hpp>
#include <caf/default_attachable.hpp>

#include "blocking_check.hpp"
#include "context_state.hpp"
#include "worker_pool.hpp"
#include "parallel/detail/atoms.hpp"
#include "parallel/detail/notify_batch.hpp"
#include "parallel/detail/wrapper_state.hpp"
#include "parallel/misuse_error.hpp"
#include "requester.hpp"
#include "sentinel.hpp"
#include "supervisor.hpp"

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

group_core::group_core(caf::actor_system& sys, const context& parent,
                       std::size_t bound)
  : sys_(sys),
    bound_(bound),
    eager_limit_(bound == unbounded ? default_eager_workers() : bound),
    pool_(worker_pool::of(sys)) {
  auto [ctx, cancel] = with_cancel(parent);
  ctx_ = std::move(ctx);
  cancel_ = std::move(cancel);
}

group_core::~group_core() {
  on_cancel_.reset();
}

template <class F>
void group_core::update(F&& f) {
  actions a;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    f(a);
    check_finished_locked(a);
  }
  perform(a);
}

// -- handles ------------------------------------------------------------------

void group_core::submit(std::unique_ptr<task> t) {
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

void group_core::run_inline(std::unique_ptr<task> t) {
  auto outcome = run_guarded(*t);
  t.reset();
  update([&](actions&) {
    end_locked(0);
    --outstanding_;
    count_locked(outcome);
  });
}

void group_core::close() {
  update([&](actions&) { closed_ = true; });
}

void group_core::wait_tasks() {
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
    auto outcome = run_guarded(*t);
    t.reset(); // the closure dies outside the lock
    actions a;
    lk.lock();
    end_locked(0);
    --outstanding_;
    ++completions_;
    count_locked(outcome);
    pump_locked(a);
    check_finished_locked(a);
    lk.unlock();
    perform(a);
    lk.lock();
  }
}

error group_core::finish_cause() const {
  auto winner = ctx_.state()->cancel(make_error(errc::group_done));
  if (is(winner, errc::group_done))
    return {};
  return winner;
}

void group_core::rethrow_if_panicked() const {
  std::exception_ptr p;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    p = panic_;
  }
  if (p)
    std::rethrow_exception(p);
}

void group_core::record_panic(std::exception_ptr e) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!panic_)
      panic_ = std::move(e);
  }
  cancel(make_error(errc::panicked));
}

group_stats group_core::stats() const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto result = stats_;
  result.running = in_flight_;
  return result;
}

bool group_core::finished() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return finished_;
}

void group_core::add_wrapper(std::shared_ptr<wrapper_base> w) {
  std::lock_guard<std::mutex> guard{mtx_};
  wrappers_.push_back(std::move(w));
}

caf::actor group_core::supervisor() const {
  std::lock_guard<std::mutex> guard{sup_mtx_};
  return supervisor_;
}

void group_core::flush_later() {
  if (flush_scheduled_.exchange(true))
    return;
  if (auto sup = need_supervisor())
    caf::anon_send(sup, flush_atom::value);
}

void group_core::flush_wrappers() {
  flush_scheduled_ = false;
  std::vector<std::shared_ptr<wrapper_base>> ws;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    ws = wrappers_;
  }
  for (auto& w : ws)
    w->notify_deferred();
}

// -- supervisor ---------------------------------------------------------------

void group_core::start() {
  // Cancellation from anywhere (parent, deadline, a task error) reaches the
  // supervisor as a message, so it can drop the queue and stop waiting for
  // replies. Runs at once if the parent is already cancelled.
  // A finished group has nothing left to stop (the usual case: wait()
  // cancels it with group_done), so no supervisor is woken or made for that.
  on_cancel_.emplace(ctx_.stop_token(),
                     std::function<void()>{[this] { on_cancel_signal(); }});
}

void group_core::on_cancel_signal() {
  if (done_.load(std::memory_order_acquire))
    return;
  if (auto sup = supervisor()) {
    caf::anon_send(sup, cancel_atom::value);
    return;
  }
  // No supervisor: do its part here rather than spawn one. This runs on
  // whatever thread cancelled, the deadline timer's say, and CAF 0.17 ties
  // a thread that spawns to the system's logger until the thread ends:
  // ~actor_system then waits for that logger forever.
  on_cancelled();
  for (auto& r : requesters())
    caf::anon_send(r, cancel_atom::value);
}

caf::actor group_core::need_supervisor() {
  bool gone = false;
  caf::actor sup;
  {
    std::lock_guard<std::mutex> guard{sup_mtx_};
    if (supervisor_ || supervisor_exited_)
      return supervisor_;
    // Both lazily: neither runs until it gets a message. The sentinel never
    // runs at all; its only strong reference is ours, dropped when the last
    // handle is gone. The monitor is attached here, so the supervisor needs
    // no turn on the scheduler to start watching.
    caf::actor_addr watched;
    if (!handle_gone_) {
      sentinel_ = sys_.spawn<detail::sentinel, caf::lazy_init + caf::hidden>();
      watched = sentinel_.address();
    }
    supervisor_ = sys_.spawn<detail::supervisor, caf::lazy_init>(shared_from_this(), watched);
    if (sentinel_)
      caf::actor_cast<caf::abstract_actor*>(sentinel_)->attach(
        caf::default_attachable::make_monitor(sentinel_.address(),
                                              supervisor_.address()));
    gone = handle_gone_;
    sup = supervisor_;
  }
  if (gone) // no sentinel left to die: say it
    caf::anon_send(sup, abandoned_atom::value);
  return sup;
}

void group_core::handle_gone() {
  caf::actor sentinel; // dies at the end of this scope: the down message
  bool supervised = false;
  {
    std::lock_guard<std::mutex> guard{sup_mtx_};
    handle_gone_ = true;
    sentinel.swap(sentinel_);
    supervised = supervisor_ || supervisor_exited_;
  }
  // At once, not when a supervisor gets to it: no queued task starts after
  // the last handle is gone. Running tasks see their context cancelled.
  abandon();
  if (supervised)
    return;
  // A finished group is cleaned up here. An unfinished one gets a
  // supervisor now, which lives until its running tasks end: like every
  // group, it keeps `await_all_actors_done` waiting until then.
  if (finished())
    release_actors();
  else
    need_supervisor();
}

void group_core::spawn_failed(std::size_t n, error why, bool growing) {
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

void group_core::spawn_requester() {
  // Here, not in the supervisor: request tasks go out without waiting for
  // it to run. Lazily spawned, the requester first runs for its first
  // requests, which add_requester hands it.
  auto rec = std::make_unique<requester_record>();
  try {
    rec->self = sys_.spawn<requester, caf::lazy_init>(shared_from_this(), rec.get());
  } catch (...) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      requester_spawning_ = false;
    }
    record_panic(std::current_exception()); // cancels: wait() returns
    return;
  }
  auto self = rec->self;
  if (!add_requester(std::move(rec)))
    caf::anon_send(self, retire_atom::value);
}

void group_core::add_worker(worker_slot* slot) {
  update([&](actions& a) {
    if (spawning_ > 0)
      --spawning_;
    // Lent even if no longer needed: it finds nothing and goes idle.
    lend_locked(slot, a);
    pump_locked(a);
  });
}

bool group_core::notify_supervisor_when_finished() {
  std::lock_guard<std::mutex> guard{mtx_};
  notify_supervisor_ = !finished_;
  return finished_;
}

group_core::progress group_core::check_progress() {
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

std::size_t group_core::reserve_workers(std::size_t n) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto have = borrowed_.size() + spawning_;
  if (retired_ || have >= bound_)
    return 0;
  n = std::min({n, bound_ - have, closures_.size()});
  spawning_ += n;
  return n;
}

bool group_core::add_requester(std::unique_ptr<requester_record> rec) {
  actions a;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    requester_spawning_ = false;
    if (retired_)
      return false;
    open_requesters_.push_back(rec.get());
    requesters_.push_back(std::move(rec));
    pump_locked(a);
  }
  perform(a);
  return true;
}

std::vector<caf::actor> group_core::requesters() const {
  std::vector<caf::actor> result;
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& rec : requesters_)
    if (rec->self)
      result.push_back(rec->self);
  return result;
}

std::vector<std::unique_ptr<task>>
group_core::take_requests(requester_record& rec) {
  std::lock_guard<std::mutex> guard{mtx_};
  return std::move(rec.inbox);
}

void group_core::finish_request(requester_record& rec, std::unique_ptr<task> t,
                                std::optional<task_outcome> outcome,
                                bool started) {
  auto lane = t->lane;
  bool retry = outcome == task_outcome::retry;
  if (!retry && lane == 0)
    t.reset(); // the closure dies outside the lock
  update([&](actions& a) {
    if (rec.load-- == requester_record::capacity && !retired_)
      open_requesters_.push_back(&rec);
    end_locked(lane);
    if (lane == 0) {
      --local_requests_;
      if (bound_ == 0)
        cv_.notify_all(); // a serial closure may wait for this request
    } else {
      lanes_[lane - 1].router->release(t->as_request()->dest());
    }
    if (retry) {
      // Not finished: back to the front of its lane, to be routed again.
      auto& q = lane == 0 ? queue_ : lanes_[lane - 1].queue;
      q.push_front(std::move(t));
    } else {
      --outstanding_;
      if (started)
        count_locked(outcome);
      else
        ++stats_.skipped;
      a.dropped.push_back(std::move(t)); // destroyed in perform, unlocked
    }
    pump_locked(a);
    // The calling requester starts what it was handed itself (no message).
    auto i = std::find(a.wake_requesters.begin(), a.wake_requesters.end(), rec.self);
    if (i != a.wake_requesters.end())
      a.wake_requesters.erase(i);
  });
}

void group_core::on_cancelled() {
  update([&](actions& a) { pump_locked(a); });
}

void group_core::abandon() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    abandoned_ = true;
  }
  if (!finished())
    cancel(make_error(errc::group_abandoned));
  on_cancelled();
}

std::vector<caf::actor> group_core::retire_actors() {
  std::lock_guard<std::mutex> guard{mtx_};
  return retire_locked();
}

std::vector<caf::actor> group_core::retire_locked() {
  std::vector<caf::actor> result;
  retired_ = true;
  open_requesters_.clear();
  for (auto& rec : requesters_)
    if (rec->self)
      result.push_back(std::move(rec->self));
  return result;
}

void group_core::on_supervisor_exit() {
  {
    std::lock_guard<std::mutex> guard{sup_mtx_};
    supervisor_ = nullptr;
    supervisor_exited_ = true;
  }
  release_actors();
  if (!finished())
    cancel(make_error(errc::group_abandoned));
}

bool group_core::orphaned() const {
  std::lock_guard<std::mutex> guard{sup_mtx_};
  return handle_gone_ && !supervisor_ && !supervisor_exited_;
}

void group_core::release_actors() {
  std::vector<caf::actor> to_stop;
  std::vector<std::shared_ptr<wrapper_base>> wrappers;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    to_stop = retire_locked();
    wrappers.swap(wrappers_);
  }
  for (auto& w : wrappers)
    if (auto r = w->release_reducer())
      to_stop.push_back(std::move(r));
  for (auto& x : to_stop)
    caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
}

// -- workers ------------------------------------------------------------------

void group_core::work(worker_slot& slot) {
  // After a short task the worker keeps its results' reducer wake-ups for
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
  batch.owner = this;
  std::unique_ptr<task> t;
  update([&](actions& a) {
    --waking_;
    t = take_closure_locked();
    if (!t)
      let_go_locked(slot);
    pump_locked(a); // wakes the next worker if closures still wait
  });
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
      if (!t)
        let_go_locked(slot);
      pump_locked(a);
      // End the streak here, under the lock and before the group can
      // finish: the wrappers we held wake-ups for are alive until then.
      if (t && was_short)
        batch.active = true;
      else
        batch.flush();
    });
  }
}

std::unique_ptr<task> group_core::take_closure_locked() {
  // The latch, not cancelled(): no clock read per task (the timer applies
  // deadlines). A cancelled group's queue is dropped by pump_locked.
  if (closures_.empty() || local_in_flight_ >= bound_ || cancelled_locked())
    return nullptr;
  auto t = std::move(closures_.front());
  closures_.pop_front();
  start_locked(0);
  return t;
}

void group_core::lend_locked(worker_slot* slot, actions& a) {
  slot->group = shared_from_this();
  borrowed_.push_back(slot);
  ++waking_;
  a.wake.push_back(slot->self);
}

void group_core::let_go_locked(worker_slot& slot) {
  // The worker hands itself back to the pool once it has left this lock.
  auto i = std::find(borrowed_.begin(), borrowed_.end(), &slot);
  if (i != borrowed_.end()) {
    *i = borrowed_.back();
    borrowed_.pop_back();
  }
}

// -- rules --------------------------------------------------------------------


void group_core::fail_unrouted(
  std::vector<std::pair<std::unique_ptr<task>, error>> failed) {
  for (auto& [t, err] : failed) {
    std::optional<task_outcome> outcome;
    try {
      outcome = t->as_request()->on_error(err);
    } catch (...) {
      record_panic(std::current_exception());
    }
    if (outcome == task_outcome::retry)
      outcome = task_outcome::failed; // nowhere left to retry
    t.reset();
    update([&](actions&) {
      --outstanding_;
      count_locked(outcome);
    });
  }
}

std::optional<task_outcome> group_core::run_guarded(task& t) {
  running_task_scope running{this};
  try {
    return t.run(ctx_);
  } catch (...) {
    record_panic(std::current_exception());
    return std::nullopt;
  }
}

void group_core::start_locked(std::size_t lane) {
  ++in_flight_;
  if (lane == 0)
    ++local_in_flight_;
  stats_.peak_in_flight = std::max(stats_.peak_in_flight, in_flight_);
}

void group_core::end_locked(std::size_t lane) {
  --in_flight_;
  if (lane == 0)
    --local_in_flight_;
}

void group_core::count_locked(std::optional<task_outcome> outcome) {
  if (!outcome)
    ++stats_.panicked;
  else if (*outcome == task_outcome::succeeded)
    ++stats_.succeeded;
  else
    ++stats_.failed;
}

bool group_core::cancelled_locked() const noexcept {
  return ctx_.state()->latched();
}

void group_core::pump_locked(actions& a) {
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

void group_core::request_requester_locked(actions& a) {
  if (!requester_spawning_ && !retired_) {
    requester_spawning_ = true;
    a.spawn_requester = true;
  }
}

void group_core::hand_request_locked(std::unique_ptr<task> t, actions& a) {
  // Callers made sure a requester has room.
  auto* rec = open_requesters_.back();
  if (rec->inbox.empty())
    a.wake_requesters.push_back(rec->self);
  rec->inbox.push_back(std::move(t));
  if (++rec->load == requester_record::capacity)
    open_requesters_.pop_back();
}

void group_core::drop_queue_locked(actions& a) {
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

void group_core::pump_lanes_locked(actions& a) {
  if (lanes_.empty() || retired_)
    return;
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    auto& l = lanes_[i];
    while (!l.queue.empty()) {
      auto dest = l.router->acquire();
      if (!dest) {
        // No destination ever will have room: the queued tasks fail.
        for (auto& t : l.queue)
          a.failed.emplace_back(std::move(t), dest.error());
        l.queue.clear();
        break;
      }
      if (!*dest) {
        break; // every destination is busy; a release pumps again
      }
      if (open_requesters_.empty()) {
        l.router->release(*dest);
        request_requester_locked(a);
        break;
      }
      auto t = std::move(l.queue.front());
      l.queue.pop_front();
      t->as_request()->set_dest(std::move(*dest));
      start_locked(i + 1);
      hand_request_locked(std::move(t), a);
    }
  }
}

std::size_t group_core::add_lane(std::shared_ptr<lane_router> router) {
  std::lock_guard<std::mutex> guard{mtx_};
  lanes_.push_back(lane{{}, std::move(router)});
  return lanes_.size();
}

void group_core::poke() {
  update([&](actions& a) { pump_locked(a); });
}

void group_core::check_finished_locked(actions& a) {
  if (finished_ || outstanding_ != 0 || !(closed_ || abandoned_))
    return;
  finished_ = true;
  done_.store(true, std::memory_order_release);
  cv_.notify_all();
  a.finished.reserve(wrappers_.size() + 1);
  for (auto& w : wrappers_) {
    if (auto r = w->reducer())
      a.finished.push_back(std::move(r));
    else
      a.release.push_back(w); // no reducer ever ran a receiver: drop it here
  }
  a.finishing = true;
  // Requesters have nothing left to send.
  if (!requesters_.empty())
    a.retire = retire_locked();
  // The supervisor runs only if it has something to do: answer an await,
  // or quit after the last handle died.
  if (notify_supervisor_ || abandoned_)
    a.finished.push_back(nullptr); // placeholder for the supervisor
}

void group_core::perform(actions& a) {
  if (a.wake.empty() && a.wake_requesters.empty() && a.dropped.empty()
      && a.failed.empty() && a.finished.empty() && a.release.empty()
      && a.retire.empty() && a.spawn == 0 && !a.tick && !a.spawn_requester
      && !a.finishing)
    return; // the common case: nothing to tell anyone
  if (a.finishing && orphaned())
    release_actors(); // what a supervisor would do when quitting
  a.dropped.clear();
  for (auto& w : a.release)
    w->release_callbacks();
  a.release.clear();
  if (!a.failed.empty())
    fail_unrouted(std::move(a.failed));
  for (auto& w : a.wake)
    caf::anon_send(w, wake_atom::value);
  for (auto& r : a.wake_requesters)
    caf::anon_send(r, requests_atom::value);
  for (auto& r : a.retire)
    caf::anon_send(r, retire_atom::value);
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

} // namespace parallel::detail
