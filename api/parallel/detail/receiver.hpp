// receiver: a feed's callback, `error(const context&, T)` or `void(...)`.
#pragma once

#include <functional>
#include <type_traits>
#include <utility>

#include "parallel/context.hpp"
#include "parallel/error.hpp"

namespace parallel::detail {

template <class T>
using receiver_fn = std::function<error(const context&, T&&)>;

/// Adapts a user receiver to `error(const context&, T&&)`.
template <class T, class R>
receiver_fn<T> make_receiver(R r) {
  static_assert(std::is_invocable_v<R&, const context&, T>,
                "a receiver must be callable as receiver(const parallel::context&, T)");
  using Ret = std::invoke_result_t<R&, const context&, T>;
  static_assert(std::is_void_v<Ret> || std::is_convertible_v<Ret, error>,
                "a receiver returns parallel::error or void");
  return [r = std::move(r)](const context& ctx, T&& x) mutable -> error {
    if constexpr (std::is_void_v<Ret>) {
      r(ctx, std::move(x));
      return {};
    } else {
      return r(ctx, std::move(x));
    }
  };
}

} // namespace parallel::detail
