#include "requester_pool.hpp"

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "per_system.hpp"
#include "requester.hpp"

namespace parallel::detail {

std::shared_ptr<requester_pool> requester_pool::of(caf::actor_system& sys) {
  return per_system<requester_pool>(sys);
}

caf::actor requester_pool::borrow() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!idle_.empty()) {
      auto r = std::move(idle_.back());
      idle_.pop_back();
      return r;
    }
  }
  return sys_.spawn<requester, caf::lazy_init + caf::hidden>(shared_from_this());
}

bool requester_pool::give_back(caf::actor r) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (closed_ || idle_.size() >= max_idle)
    return false;
  idle_.push_back(std::move(r));
  return true;
}

void requester_pool::close() {
  std::vector<caf::actor> idle;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    closed_ = true;
    idle.swap(idle_);
  }
  for (auto& r : idle)
    caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
}

} // namespace parallel::detail
