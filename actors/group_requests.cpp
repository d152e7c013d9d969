// A group's request tasks, which need no thread: the dispatcher hands them
// to requester actors (borrowed from the system's pool, each keeping up to
// 256 requests in flight), and lanes route them to destinations chosen by
// a router (the remote layer's nodes). A requester reports each reply to
// finish_request.
#include "group_state.hpp"

#include <algorithm>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include "group_update.hpp"
#include "parallel/detail/atoms.hpp"
#include "parallel/detail/wrapper_state.hpp"
#include "requester.hpp"
#include "requester_pool.hpp"

namespace parallel::detail {

void group_state::pump_lanes_locked(actions& a) {
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

void group_state::request_requester_locked(actions& a) {
  if (!requester_spawning_ && !retired_) {
    requester_spawning_ = true;
    a.spawn_requester = true;
  }
}

void group_state::hand_request_locked(std::unique_ptr<task> t, actions& a) {
  // Callers made sure a requester has room.
  auto* rec = open_requesters_.back();
  if (rec->inbox.empty())
    a.wake_requesters.emplace_back(rec->self, rec->ticket);
  rec->inbox.push_back(std::move(t));
  if (++rec->load == requester_record::capacity)
    open_requesters_.pop_back();
}

void group_state::spawn_requester() {
  // Here, not in the supervisor: request tasks go out without waiting for
  // it to run. The requester comes from the system's pool (spawned only if
  // none is idle); its bind message, sent once its first requests wait in
  // its inbox, is what it first runs for (a new one is lazily started).
  auto rec = std::make_unique<requester_record>();
  try {
    if (!requester_pool_)
      requester_pool_ = requester_pool::of(sys_);
    rec->self = requester_pool_->borrow();
    rec->ticket = requester_pool_->next_ticket();
  } catch (...) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      requester_spawning_ = false;
    }
    record_panic(std::current_exception()); // cancels: wait() returns
    return;
  }
  auto b = std::make_shared<requester_binding>();
  b->core = shared_from_this();
  b->rec = rec.get();
  auto self = rec->self;
  actions a;
  bool joined = false;
  bool sent = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    requester_spawning_ = false;
    if (!retired_) {
      joined = true;
      // Bound, a requester counts as running (`await_all_actors_done`
      // waits for it); idle in the pool, it is hidden. It stops counting
      // when it unbinds.
      sys_.registry().inc_running();
      auto* r = rec.get();
      open_requesters_.push_back(r);
      requesters_.push_back(std::move(rec));
      pump_locked(a);
      // Its bind message tells it to start: no wake message of its own.
      std::erase_if(a.wake_requesters,
                    [r](const requester_ref& x) { return x.first == r->self; });
      // The first requester of a group with one wrapper doubles as that
      // wrapper's reducer (see requester): one actor fewer, and no message
      // per result. The bind message goes out under the wrapper's lock, so
      // it is in the requester's mailbox before any result sent to it.
      if (requesters_.size() == 1 && wrappers_.size() == 1) {
        b->sole = wrappers_.front();
        sent = b->sole->adopt_reducer(
          r->self, [&] { caf::anon_send(r->self, bind_atom::value, b); });
        r->reduces = sent;
      }
      // Under the group's lock, so that a retire_atom (decided under it)
      // always comes after.
      if (!sent) {
        b->sole.reset();
        caf::anon_send(r->self, bind_atom::value, std::move(b));
      }
    }
  }
  if (!joined) {
    // Never bound: back to the pool (or, if it is closed, it quits when
    // the last reference is gone).
    requester_pool_->give_back(std::move(self));
    return;
  }
  perform(a);
}

std::vector<requester_ref> group_state::requesters() const {
  std::vector<requester_ref> result;
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& rec : requesters_)
    if (rec->self)
      result.emplace_back(rec->self, rec->ticket);
  return result;
}

bool group_state::take_requests(requester_record& rec,
                                std::vector<std::unique_ptr<task>>& out) {
  std::lock_guard<std::mutex> guard{mtx_};
  out.swap(rec.inbox); // `out` was empty: the inbox keeps its capacity
  return !out.empty();
}

bool group_state::finish_request(requester_record& rec, std::unique_ptr<task> t,
                                std::optional<task_outcome> outcome,
                                bool started) {
  auto lane = t->lane;
  bool retry = outcome == task_outcome::retry;
  if (!retry && lane == 0)
    t.reset(); // the closure dies outside the lock
  // update(), inlined: the caller hears here, not by `finished_atom`, that
  // this finished the group, if it is a reducer.
  actions a;
  bool told = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
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
      if (t) // a lane's task (lane 0's died above): destroyed in perform, unlocked
        a.dropped.push_back(std::move(t));
    }
    pump_locked(a);
    // The calling requester starts what it was handed itself (no message).
    std::erase_if(a.wake_requesters,
                  [&](const requester_ref& x) { return x.first == rec.self; });
    check_finished_locked(a); // a reducing record keeps `self` when retired
    if (a.finishing && rec.reduces) {
      auto j = std::find_if(a.finished_requesters.begin(), a.finished_requesters.end(),
                            [&](const requester_ref& x) { return x.first == rec.self; });
      if (j != a.finished_requesters.end()) {
        a.finished_requesters.erase(j);
        told = true;
      }
    }
  }
  perform(a);
  return told;
}

void group_state::fail_unrouted(
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

std::size_t group_state::add_lane(std::shared_ptr<lane_router> router) {
  std::lock_guard<std::mutex> guard{mtx_};
  lanes_.push_back(lane{{}, std::move(router)});
  return lanes_.size();
}

void group_state::poke() {
  update([&](actions& a) { pump_locked(a); });
}

} // namespace parallel::detail
