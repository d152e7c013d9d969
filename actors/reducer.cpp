#include "reducer.hpp"

#include <caf/actor_system.hpp>

#include "parallel/detail/atoms.hpp"
#include "parallel/detail/spawn.hpp"

namespace parallel::detail {

bool reduction::on_results(result_batch_ptr& batch) {
  // Always this wrapper's: a pooled requester leaves a wrapper only once
  // it has consumed everything, or after the wrapper was released (under
  // its lock, before the retire that unbinds it), so no batch can follow.
  wrapper_->consume_batch(*batch);
  batch.reset(); // results die here, not in the mailbox's cache
  return finish_if_done();
}

bool reduction::on_finished() {
  group_finished_ = true;
  return finish_if_done();
}

bool reduction::on_await() {
  return finish_if_done();
}

bool reduction::finish_if_done() {
  // Every task has finished, so every result was sent; the last batches
  // may still be on their way (`finished_atom` can overtake them).
  if (released_callbacks_ || !wrapper_->core().finished() || !wrapper_->drained())
    return released_callbacks_;
  wrapper_->answer_awaiters();
  if (!group_finished_)
    return false;
  released_callbacks_ = true;
  wrapper_->release_callbacks();
  // Nothing can come any more: later awaits are answered at once.
  wrapper_->retire_reducer();
  return true;
}

reducer::reducer(caf::actor_config& cfg, std::shared_ptr<wrapper_base> w)
  : caf::event_based_actor(cfg), reduction_(std::in_place, std::move(w)) {
}

caf::behavior reducer::make_behavior() {
  return {
    [this](results_atom, result_batch_ptr& batch) { quit_if(reduction_->on_results(batch)); },
    [this](finished_atom) { quit_if(reduction_->on_finished()); },
    [this](await_atom) { quit_if(reduction_->on_await()); },
  };
}

void reducer::quit_if(bool complete) {
  if (complete)
    quit();
}

void reducer::on_exit() {
  reduction_.reset(); // killed before completing: fails the awaits
}

caf::actor spawn_reducer(std::shared_ptr<wrapper_base> w) {
  auto& sys = w->core().system();
  // Lazily: it first runs when the first result (or an await) arrives.
  return sys.spawn<reducer, caf::lazy_init>(std::move(w));
}

} // namespace parallel::detail
