// per_system: one shared instance of a pool per live actor_system.
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>

namespace parallel::detail {

/// The `T` of `sys`, created on first use (`T(sys)`). When the system's
/// config server exits (~actor_system stops it once every non-hidden actor
/// is done) the instance is forgotten and `T::close()` runs, so what it
/// holds can end before the system does.
template <class T>
std::shared_ptr<T> per_system(caf::actor_system& sys) {
  static std::mutex mtx;
  static std::unordered_map<const caf::actor_system*, std::shared_ptr<T>> all;
  {
    std::lock_guard<std::mutex> guard{mtx};
    if (auto i = all.find(&sys); i != all.end())
      return i->second;
  }
  auto p = std::make_shared<T>(sys);
  auto config_serv = sys.config_serv();
  if (!config_serv) {
    // ~actor_system has stopped it already (a task running at shutdown):
    // an instance of its own, closed from the start, that nothing keeps.
    p->close();
    return p;
  }
  {
    std::lock_guard<std::mutex> guard{mtx};
    auto [i, added] = all.emplace(&sys, p);
    if (!added)
      return i->second; // another thread was first
  }
  // Runs at once if the config server has exited already.
  const auto* key = &sys;
  caf::actor_cast<caf::abstract_actor*>(config_serv)
    ->attach_functor([key, weak = std::weak_ptr<T>{p}] {
      std::shared_ptr<T> gone;
      {
        std::lock_guard<std::mutex> guard{mtx};
        if (auto i = all.find(key); i != all.end() && i->second == weak.lock()) {
          gone = std::move(i->second);
          all.erase(i);
        }
      }
      if (gone)
        gone->close();
    });
  return p;
}

} // namespace parallel::detail
