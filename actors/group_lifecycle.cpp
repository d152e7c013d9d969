// A group's life around its tasks: the supervisor, spawned only when the
// group needs it, cancellation, the last handle going away (abandonment),
// and releasing the group's actors at the end.
#include "group_state.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/default_attachable.hpp>
#include <caf/send.hpp>

#include "group_update.hpp"
#include "parallel/detail/atoms.hpp"
#include "parallel/detail/wrapper_state.hpp"
#include "sentinel.hpp"
#include "supervisor.hpp"

namespace parallel::detail {

void group_state::start() {
  // Cancellation from anywhere (parent, deadline, a task error) reaches the
  // supervisor as a message, so it can drop the queue and stop waiting for
  // replies. Runs at once if the parent is already cancelled.
  // A finished group has nothing left to stop (the usual case: wait()
  // cancels it with group_done), so no supervisor is woken or made for that.
  on_cancel_.emplace(ctx_.stop_token(),
                     std::function<void()>{[this] { on_cancel_signal(); }});
}

void group_state::on_cancel_signal() {
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
  for (auto& [r, ticket] : requesters())
    caf::anon_send(r, cancel_atom::value, ticket);
}

caf::actor group_state::need_supervisor() {
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

caf::actor group_state::supervisor() const {
  std::lock_guard<std::mutex> guard{sup_mtx_};
  return supervisor_;
}

void group_state::handle_gone() {
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
  // (A finished group, the usual case, has nothing to abandon.)
  bool done = finished();
  if (!done)
    abandon();
  if (supervised)
    return;
  // A finished group is cleaned up here. An unfinished one gets a
  // supervisor now, which lives until its running tasks end: like every
  // group, it keeps `await_all_actors_done` waiting until then.
  if (done)
    release_actors();
  else
    need_supervisor();
}

void group_state::abandon() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    abandoned_ = true;
  }
  if (!finished())
    cancel(make_error(errc::group_abandoned));
  on_cancelled();
}

void group_state::on_cancelled() {
  update([&](actions& a) { pump_locked(a); });
}

bool group_state::notify_supervisor_when_finished() {
  std::lock_guard<std::mutex> guard{mtx_};
  notify_supervisor_ = !finished_;
  return finished_;
}

std::vector<requester_ref> group_state::retire_locked(bool reducing_too) {
  std::vector<requester_ref> result;
  retired_ = true;
  open_requesters_.clear();
  for (auto& rec : requesters_) {
    // A requester that is its wrapper's reducer goes back to its pool when
    // its reduction is complete, or when the group lets its actors go.
    if (rec->self && (reducing_too || !rec->reduces))
      result.emplace_back(std::move(rec->self), rec->ticket);
  }
  return result;
}

void group_state::on_supervisor_exit() {
  {
    std::lock_guard<std::mutex> guard{sup_mtx_};
    supervisor_ = nullptr;
    supervisor_exited_ = true;
  }
  release_actors();
  if (!finished())
    cancel(make_error(errc::group_abandoned));
}

bool group_state::orphaned() const {
  std::lock_guard<std::mutex> guard{sup_mtx_};
  return handle_gone_ && !supervisor_ && !supervisor_exited_;
}

void group_state::release_actors() {
  std::vector<requester_ref> retire;
  std::vector<caf::actor> to_stop;
  std::vector<std::shared_ptr<wrapper_base>> wrappers;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    retire = retire_locked(true);
    wrappers.swap(wrappers_);
  }
  for (auto& w : wrappers)
    if (auto r = w->release_reducer()) // not a pooled requester
      to_stop.push_back(std::move(r));
  for (auto& [r, ticket] : retire)
    caf::anon_send(r, retire_atom::value, ticket);
  for (auto& x : to_stop)
    caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
}

void group_state::flush_later() {
  if (flush_scheduled_.exchange(true))
    return;
  if (auto sup = need_supervisor())
    caf::anon_send(sup, flush_atom::value);
}

void group_state::flush_wrappers() {
  flush_scheduled_ = false;
  std::vector<std::shared_ptr<wrapper_base>> ws;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    ws = wrappers_;
  }
  for (auto& w : ws)
    w->send_held_back();
}

} // namespace parallel::detail
