#include "reducer.hpp"

#include <caf/actor_system.hpp>

#include "parallel/detail/atoms.hpp"
#include "parallel/detail/result_batch.hpp"
#include "parallel/detail/spawn.hpp"

namespace parallel::detail {

reducer::reducer(caf::actor_config& cfg, std::shared_ptr<wrapper_base> w)
  : caf::event_based_actor(cfg), wrapper_(std::move(w)) {
}

caf::behavior reducer::make_behavior() {
  return {
    [this](results_atom, result_batch_ptr& batch) {
      wrapper_->consume_batch(*batch);
      batch.reset(); // results die here, not in the mailbox's cache
      finish_if_done();
    },
    [this](finished_atom) {
      group_finished_ = true;
      finish_if_done();
    },
    [this](await_atom) {
      awaiting_.push_back(make_response_promise());
      finish_if_done();
    },
  };
}

void reducer::finish_if_done() {
  // Every task has finished, so every result was sent; the last batches
  // may still be on their way (`finished_atom` can overtake them).
  if (!wrapper_->core().finished() || !wrapper_->drained())
    return;
  if (group_finished_ && !released_callbacks_) {
    released_callbacks_ = true;
    wrapper_->release_callbacks();
  }
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
