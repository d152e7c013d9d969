#include "reducer.hpp"

#include <caf/actor_system.hpp>

#include "parallel/detail/atoms.hpp"
#include "parallel/detail/spawn.hpp"

namespace parallel::detail {

reducer::reducer(caf::actor_config& cfg, std::shared_ptr<wrapper_base> w)
  : caf::event_based_actor(cfg), wrapper_(std::move(w)) {
}

caf::behavior reducer::make_behavior() {
  return {
    [this](drain_atom) { wrapper_->drain(); },
    [this](finished_atom) {
      // Every task has finished, so every result is in the inbox by now.
      wrapper_->drain();
      wrapper_->release_callbacks();
      deliver_if_finished();
    },
    [this](await_atom) {
      awaiting_.push_back(make_response_promise());
      deliver_if_finished();
    },
  };
}

void reducer::deliver_if_finished() {
  if (awaiting_.empty() || !wrapper_->core().finished())
    return;
  // Every task has finished, so every result is in the inbox by now.
  wrapper_->drain();
  for (auto& rp : awaiting_)
    rp.deliver(done_atom::value);
  awaiting_.clear();
}

void reducer::on_exit() {
  awaiting_.clear();
  wrapper_.reset();
}

caf::actor spawn_reducer(std::shared_ptr<wrapper_base> w) {
  auto& sys = w->core().system();
  // Lazily: it first runs when the first result (or an await) arrives.
  return sys.spawn<reducer, caf::lazy_init>(std::move(w));
}

} // namespace parallel::detail
