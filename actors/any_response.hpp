// any_response: a response handler that takes whatever reply comes.
#pragma once

#include <utility>

#include <caf/behavior.hpp>
#include <caf/detail/behavior_impl.hpp>
#include <caf/detail/invoke_result_visitor.hpp>
#include <caf/make_counted.hpp>
#include <caf/match_case.hpp>
#include <caf/message.hpp>
#include <caf/type_erased_tuple.hpp>

namespace parallel::detail {

/// A behavior that matches every message and calls `f()`; the reply itself
/// is then the caller's current mailbox element. A request task's reply type
/// is known only to the task, and CAF 0.17 offers event-based actors no
/// catch-all response handler: the alternative, an error handler only, gets
/// each reply as a `sec::unexpected_response` error built around a copy of
/// it, four allocations per reply.
template <class F>
class any_response final : public caf::detail::behavior_impl {
public:
  explicit any_response(F f) : f_(std::move(f)) {
  }

  caf::match_case::result invoke(caf::detail::invoke_result_visitor& visitor,
                                 caf::type_erased_tuple&) override {
    f_();
    caf::message none;
    visitor(none); // a handled message: CAF must not retry it as an error
    return caf::match_case::match;
  }

private:
  F f_;
};

/// The behavior of an `any_response`.
template <class F>
caf::behavior make_any_response(F f) {
  caf::behavior::impl_ptr impl{caf::make_counted<any_response<F>>(std::move(f))};
  return caf::behavior{std::move(impl)};
}

} // namespace parallel::detail
