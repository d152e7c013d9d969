#include "reducer.hpp"

#include <caf/actor_system.hpp>

#include "parallel/detail/atoms.hpp"
#include "parallel/detail/spawn.hpp"

namespace parallel::detail {

void reduction::on_results(result_batch_ptr& batch) {
  wrapper_->consume_batch(*batch);
  batch.reset(); // results die here, not in the mailbox's cache
  finish_if_done();
}

void reduction::on_finished() {
  group_finished_ = true;
  finish_if_done();
}

void reduction::on_await(caf::response_promise rp) {
  awaiting_.push_back(std::move(rp));
  finish_if_done();
}

void reduction::finish_if_done() {
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

reducer::reducer(caf::actor_config& cfg, std::shared_ptr<wrapper_base> w)
  : caf::event_based_actor(cfg), reduction_(std::in_place, std::move(w)) {
}

caf::behavior reducer::make_behavior() {
  return {
    [this](results_atom, result_batch_ptr& batch) { reduction_->on_results(batch); },
    [this](finished_atom) { reduction_->on_finished(); },
    [this](await_atom) { reduction_->on_await(make_response_promise()); },
  };
}

void reducer::on_exit() {
  reduction_.reset();
}

caf::actor spawn_reducer(std::shared_ptr<wrapper_base> w) {
  auto& sys = w->core().system();
  // Lazily: it first runs when the first result (or an await) arrives.
  return sys.spawn<reducer, caf::lazy_init>(std::move(w));
}

} // namespace parallel::detail
