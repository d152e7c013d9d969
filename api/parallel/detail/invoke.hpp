// How a task's return value becomes a result for its wrapper (the "sink").
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <caf/message.hpp>

#include "parallel/context.hpp"
#include "parallel/extension/task.hpp"
#include "parallel/detail/task_check.hpp"
#include "parallel/detail/type_name.hpp"
#include "parallel/error.hpp"

namespace parallel::detail {

/// Calls `f(ctx)` and hands what it returned to `sink`: `sink.ok(i)` or
/// `sink.ok(i, value)` on success, `sink.fail(i, err)` on error.
/// Sinks with `value_type == void` accept tasks returning `void` or `error`;
/// the others accept `expected<T>` or anything convertible to `T`.
template <class Sink, class F>
task_outcome invoke_task(F& f, const context& ctx, Sink& sink, std::size_t i) {
  using T = typename Sink::value_type;
  static_assert(std::is_invocable_v<F&, const context&>,
                "a task must be callable as task(const parallel::context&)");
  using R = std::invoke_result_t<F&, const context&>;
  if constexpr (std::is_void_v<T>) {
    if constexpr (std::is_void_v<R>) {
      f(ctx);
      return sink.ok(i);
    } else {
      static_assert(std::is_convertible_v<R, error>,
                    "this wrapper's tasks return parallel::error (or void)");
      if (error e = f(ctx))
        return sink.fail(i, std::move(e));
      return sink.ok(i);
    }
  } else if constexpr (is_expected<R>::value) {
    static_assert(std::is_convertible_v<typename R::value_type, T>,
                  "the task's expected<U> does not convert to the wrapper's T");
    auto r = f(ctx);
    if (!r)
      return sink.fail(i, std::move(r.error()));
    return sink.ok(i, T(std::move(*r)));
  } else {
    static_assert(std::is_convertible_v<R, T>,
                  "this wrapper's tasks return expected<T> or T");
    return sink.ok(i, T(f(ctx)));
  }
}

/// Turns an actor's reply into the sink's value: a reply of the wrong type is
/// a task error naming both types.
template <class Sink>
task_outcome deliver_reply(caf::message& reply, Sink& sink, std::size_t i) {
  using T = typename Sink::value_type;
  if constexpr (std::is_void_v<T>) {
    return sink.ok(i);
  } else {
    if (reply.match_elements<T>())
      return sink.ok(i, std::move(reply.get_mutable_as<T>(0)));
    return sink.fail(i, make_error("go_request: expected a reply of type "
                                   + type_name<T>() + ", got "
                                   + describe_types(reply)));
  }
}

/// A closure task: `run` calls the user's function.
template <class F, class Sink>
class fn_task final : public task {
public:
  fn_task(F f, Sink* sink, std::size_t index)
    : f_(std::move(f)), sink_(sink), index_(index) {
  }

  task_outcome run(const context& ctx) override {
    return invoke_task(f_, ctx, *sink_, index_);
  }

  task_outcome fail(error err) override {
    return sink_->fail(index_, std::move(err));
  }

private:
  F f_;
  Sink* sink_; // the group keeps the wrapper alive while tasks exist
  std::size_t index_;
};

/// A request task: the reply (or error) goes to the sink.
template <class Sink>
class sink_request_task final : public request_task {
public:
  sink_request_task(caf::actor dest, caf::duration timeout, caf::message msg,
                    Sink* sink, std::size_t index)
    : request_task(std::move(dest), timeout, std::move(msg)),
      sink_(sink),
      index_(index) {
  }

  task_outcome on_reply(caf::message& reply) override {
    return deliver_reply(reply, *sink_, index_);
  }

  task_outcome on_error(error err) override {
    return sink_->fail(index_, std::move(err));
  }

private:
  Sink* sink_;
  std::size_t index_;
};

template <class Sink, class F>
std::unique_ptr<task> make_fn_task(F&& f, Sink* sink, std::size_t index) {
  return std::make_unique<fn_task<std::decay_t<F>, Sink>>(std::forward<F>(f),
                                                          sink, index);
}

template <class Sink, class Timeout, class... Ts>
std::unique_ptr<task> make_request_task(caf::actor dest, Timeout timeout,
                                        Sink* sink, std::size_t index,
                                        Ts&&... xs) {
  return std::make_unique<sink_request_task<Sink>>(
    std::move(dest), caf::duration{timeout},
    caf::make_message(std::forward<Ts>(xs)...), sink, index);
}

} // namespace parallel::detail
