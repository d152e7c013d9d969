// A wrapper's awaits: an actor that calls `await` registers a response
// handler of its own and is answered by the reducer when the reduction is
// complete, with no message in between (see wrapper_handle::await).
#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

#include "parallel/detail/atoms.hpp"
#include "parallel/detail/wrapper_state.hpp"

namespace parallel::detail {

namespace {

// Puts `msg` into the awaiting actor's mailbox as the response `rid`, which
// its response handler takes (an error reply runs the handler's error case).
void answer(const caf::strong_actor_ptr& who, caf::message_id rid, caf::message msg) {
  who->enqueue(nullptr, rid, std::move(msg), nullptr);
}

} // namespace

void wrapper_base::add_awaiter(caf::strong_actor_ptr who, caf::message_id rid) {
  enum class now { wait, done, fail } what = now::wait;
  caf::actor poke;
  // Asked before taking our lock: the group's lock is taken before ours
  // elsewhere (check_finished_locked), never after.
  bool group_finished = core_->finished();
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (awaits_ == awaits::answered) {
      what = now::done;
    } else if (awaits_ == awaits::failed || released_) {
      what = now::fail;
    } else if (!reducer_ && group_finished) {
      what = now::done; // nothing was ever pushed, so nothing to consume
    } else {
      awaiters_.push_back({std::move(who), rid});
      if (!reducer_) {
        // No result so far, so no reducer to hear that the group finished:
        // spawn it, and have it look once (the group may finish meanwhile).
        poke = reducer_locked();
      }
    }
  }
  if (what == now::done)
    answer(who, rid, caf::make_message(done_atom::value));
  else if (what == now::fail)
    answer(who, rid, caf::make_message(caf::make_error(caf::sec::request_receiver_down)));
  if (poke)
    caf::anon_send(poke, await_atom::value);
}

void wrapper_base::answer_awaiters() {
  std::vector<awaiter> ready;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    awaits_ = awaits::answered;
    ready.swap(awaiters_);
  }
  for (auto& a : ready)
    answer(a.who, a.rid, caf::make_message(done_atom::value));
}

void wrapper_base::fail_awaiters() {
  std::vector<awaiter> dropped;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (awaits_ == awaits::answered)
      return;
    awaits_ = awaits::failed;
    dropped.swap(awaiters_);
  }
  for (auto& a : dropped)
    answer(a.who, a.rid, caf::make_message(caf::make_error(caf::sec::request_receiver_down)));
}

caf::actor wrapper_base::release_reducer() {
  caf::actor r;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    released_ = true;
    r = std::move(reducer_);
  }
  fail_awaiters();
  if (pooled_reducer_)
    return {}; // the group retires it; it goes back to its pool
  return r;
}

void wrapper_base::retire_reducer() {
  std::lock_guard<std::mutex> guard{mtx_};
  released_ = true;
  reducer_ = nullptr;
}

} // namespace parallel::detail
