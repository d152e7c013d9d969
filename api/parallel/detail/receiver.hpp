// receiver: a feed's callback, `error(const context&, T)` or `void(...)`.
#pragma once

#include <functional>
#include <type_traits>
#include <utility>

#include "parallel/context.hpp"
#include "parallel/detail/task_check.hpp"
#include "parallel/error.hpp"

namespace parallel::detail {

template <class T>
using receiver_fn = std::function<error(const context&, T&&)>;

/// Adapts a user receiver to `error(const context&, T&&)`.
template <class T, class R>
receiver_fn<T> make_receiver(R r) {
  // One sentence for a receiver of the wrong shape, and no follow-on errors.
  if constexpr (check_receiver<T, R>()) {
    using Ret = std::invoke_result_t<R&, const context&, T>;
    return [r = std::move(r)](const context& ctx, T&& x) mutable -> error {
      if constexpr (std::is_void_v<Ret>) {
        r(ctx, std::move(x));
        return {};
      } else {
        return r(ctx, std::move(x));
      }
    };
  } else {
    return {};
  }
}

} // namespace parallel::detail
