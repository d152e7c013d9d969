// recorded_request: a `go_request` that tells the recorder what the client
// got, and that throws on the reply when the plan says the client code
// throws. It is the library's own request task (the one `go_request` submits),
// submitted through `submit_with` inside a wrapper that notes the task's
// outcome: the reply, the error, or neither (the group was cancelled while
// the call was in flight, and the library dropped it). `stats()` counts
// exactly these outcomes, so the timeline's bars and the table agree; the
// services' time stamps cannot tell, because the library cancels in-flight
// requests asynchronously and replies arriving meanwhile still succeed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <caf/actor.hpp>
#include <caf/duration.hpp>

#include <parallel/detail/invoke.hpp>
#include <parallel/extension/task.hpp>

#include "recorder.hpp"
#include "runner.hpp"
#include "service.hpp"

namespace sim {

class recorded_request final : public parallel::extension::request_task {
public:
  using task_outcome = parallel::extension::task_outcome;

  /// `throws`: the text of the exception the client code throws on the
  /// reply, or empty.
  recorded_request(std::unique_ptr<parallel::extension::task> inner,
                   std::shared_ptr<run_tables> tables, std::uint64_t id,
                   std::string throws)
    : request_task(inner->as_request()->dest(), inner->as_request()->timeout(),
                   inner->as_request()->content()),
      inner_(std::move(inner)),
      tables_(std::move(tables)),
      id_(id),
      throws_(std::move(throws)) {
  }

  task_outcome on_reply(caf::message& reply) override {
    if (!throws_.empty()) {
      // The library catches this in the requester: the group's panic.
      tables_->rec.at(id_).threw = true;
      throw simulated_exception(throws_);
    }
    return note(inner_->as_request()->on_reply(reply));
  }

  task_outcome on_error(parallel::error err) override {
    return note(inner_->as_request()->on_error(std::move(err)));
  }

private:
  // Runs in the requester before the group counts the outcome, so before
  // wait() returns.
  task_outcome note(task_outcome o) {
    auto& r = tables_->rec.at(id_);
    if (o == task_outcome::succeeded)
      r.client = client_result::ok;
    else if (o == task_outcome::failed)
      r.client = client_result::failed;
    return o;
  }

  std::unique_ptr<parallel::extension::task> inner_;
  std::shared_ptr<run_tables> tables_;
  std::uint64_t id_;
  std::string throws_;
};

/// `w.go_request(dest, caf::infinite, fetch_atom::value, id)`, recorded;
/// with a non-empty `throws`, handling the reply throws that text.
template <class W>
void go_recorded_request(W& w, caf::actor dest, const std::shared_ptr<run_tables>& tables,
                         std::uint64_t id, std::string throws = {}) {
  w.submit_with([&](auto* sink, std::size_t index) -> std::unique_ptr<parallel::extension::task> {
    return std::make_unique<recorded_request>(
      parallel::detail::make_request_task(std::move(dest), caf::infinite, sink, index,
                                          fetch_atom::value, id),
      tables, id, std::move(throws));
  });
}

} // namespace sim
