#include "worker_pool.hpp"

#include <algorithm>

#include <caf/actor_system.hpp>

#include <caf/send.hpp>

#include "parallel/detail/atoms.hpp"
#include "per_system.hpp"
#include "worker.hpp"

namespace parallel::detail {

std::shared_ptr<worker_pool> worker_pool::of(caf::actor_system& sys) {
  return per_system<worker_pool>(sys);
}

void worker_pool::close() {
  std::lock_guard<std::mutex> guard{mtx_};
  closed_ = true; // workers hear it from the config server's down message
  reaper_cv_.notify_all();
}

worker_slot* worker_pool::borrow() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (idle_.empty())
    return nullptr;
  auto* slot = idle_.back();
  idle_.pop_back();
  return slot;
}

bool worker_pool::has_idle() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return !idle_.empty();
}

worker_slot* worker_pool::spawn() {
  auto* made = worker::spawn_in(sys_, shared_from_this());
  std::lock_guard<std::mutex> guard{mtx_};
  ++alive_;
  return made;
}

bool worker_pool::give_back(worker_slot* slot) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (closed_) {
    --alive_;
    return false;
  }
  slot->idle_since = std::chrono::steady_clock::now();
  idle_.push_back(slot);
  if (!reaper_started_) {
    try {
      std::thread{[self = shared_from_this()] { self->reap(); }}.detach();
      reaper_started_ = true;
    } catch (...) {
      // No thread for the reaper (thread limit): idle workers stay; the
      // next hand-back tries again.
    }
  }
  return true;
}

void worker_pool::reap() {
  std::unique_lock<std::mutex> lk{mtx_};
  while (!closed_) {
    auto now = std::chrono::steady_clock::now();
    auto i = idle_.begin();
    while (i != idle_.end() && (*i)->idle_since + idle_timeout <= now)
      ++i;
    std::vector<caf::actor> retiring;
    for (auto j = idle_.begin(); j != i; ++j)
      retiring.push_back((*j)->self);
    idle_.erase(idle_.begin(), i);
    alive_ -= retiring.size();
    auto next = idle_.empty() ? now + idle_timeout
                              : idle_.front()->idle_since + idle_timeout;
    if (!retiring.empty()) {
      lk.unlock();
      for (auto& w : retiring)
        caf::anon_send(w, retire_atom::value);
      retiring.clear();
      lk.lock();
    }
    reaper_cv_.wait_until(lk, next, [this] { return closed_; });
  }
}

bool worker_pool::close(worker_slot* slot) {
  std::lock_guard<std::mutex> guard{mtx_};
  closed_ = true;
  reaper_cv_.notify_all();
  auto i = std::find(idle_.begin(), idle_.end(), slot);
  if (i == idle_.end())
    return false;
  idle_.erase(i);
  --alive_;
  return true;
}

std::size_t worker_pool::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return alive_;
}

} // namespace parallel::detail
