// A group's request tasks, which need no thread: the dispatcher hands them
// to requester actors (spawned lazily, each keeping up to 256 requests in
// flight), and lanes route them to destinations chosen by a router (the
// remote layer's nodes). A requester reports each reply to finish_request.
#include "group_state.hpp"

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include "group_update.hpp"
#include "parallel/detail/atoms.hpp"
#include "parallel/detail/wrapper_state.hpp"
#include "requester.hpp"

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
    a.wake_requesters.push_back(rec->self);
  rec->inbox.push_back(std::move(t));
  if (++rec->load == requester_record::capacity)
    open_requesters_.pop_back();
}

void group_state::spawn_requester() {
  // Here, not in the supervisor: request tasks go out without waiting for
  // it to run. Lazily spawned, the requester first runs for its first
  // requests, which add_requester hands it.
  auto rec = std::make_unique<requester_record>();
  // The first requester of a group with one wrapper doubles as that
  // wrapper's reducer (see requester): one actor fewer, and no message per
  // result.
  std::shared_ptr<wrapper_base> sole;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (requesters_.empty() && wrappers_.size() == 1)
      sole = wrappers_.front();
  }
  try {
    rec->self = sys_.spawn<requester, caf::lazy_init>(shared_from_this(), rec.get(), sole);
    // Not run yet (lazy), so nothing else sees it before this.
    if (sole && sole->adopt_reducer(rec->self))
      rec->reduces = true;
    else if (sole)
      static_cast<requester*>(caf::actor_cast<caf::abstract_actor*>(rec->self))
        ->drop_reduction();
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

bool group_state::add_requester(std::unique_ptr<requester_record> rec) {
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

std::vector<caf::actor> group_state::requesters() const {
  std::vector<caf::actor> result;
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& rec : requesters_)
    if (rec->self)
      result.push_back(rec->self);
  return result;
}

std::vector<std::unique_ptr<task>>
group_state::take_requests(requester_record& rec) {
  std::lock_guard<std::mutex> guard{mtx_};
  return std::move(rec.inbox);
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
      a.dropped.push_back(std::move(t)); // destroyed in perform, unlocked
    }
    pump_locked(a);
    // The calling requester starts what it was handed itself (no message).
    auto i = std::find(a.wake_requesters.begin(), a.wake_requesters.end(), rec.self);
    if (i != a.wake_requesters.end())
      a.wake_requesters.erase(i);
    auto self = rec.self; // finishing retires the records (drops `self`)
    check_finished_locked(a);
    if (a.finishing && rec.reduces && self) {
      auto j = std::find(a.finished.begin(), a.finished.end(), self);
      if (j != a.finished.end()) {
        a.finished.erase(j);
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
