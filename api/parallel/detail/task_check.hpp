// task_check: the library's own compile-time sentence for a task or receiver
// of the wrong shape, and nothing after it.
#pragma once

#include <type_traits>

#include "parallel/context.hpp"
#include "parallel/error.hpp"

namespace parallel::detail {

/// False, but only once `T` is known: for static_asserts that must fire only
/// in the branch that is instantiated.
template <class... T>
inline constexpr bool always_false = false;

template <class T>
struct is_expected : std::false_type {};

template <class T>
struct is_expected<caf::expected<T>> : std::true_type {};

/// True if `F` fits a sink whose value type is `T` (`void`: tasks return
/// `error` or `void`; otherwise `expected<U>` or something convertible to
/// `T`). Otherwise fails with the library's sentence, and callers skip
/// everything that would add follow-on errors (`if constexpr`).
template <class T, class F>
constexpr bool check_task() {
  if constexpr (!std::is_invocable_v<F&, const context&>) {
    static_assert(always_false<F>,
                  "parallel: a task must be callable as task(const parallel::context&): "
                  "add that parameter (it is the group's context)");
    return false;
  } else {
    using R = std::invoke_result_t<F&, const context&>;
    if constexpr (std::is_void_v<T>) {
      if constexpr (!std::is_void_v<R> && !std::is_convertible_v<R, error>) {
        static_assert(always_false<F>,
                      "parallel: this wrapper's tasks return parallel::error (or void)");
        return false;
      } else {
        return true;
      }
    } else if constexpr (is_expected<R>::value) {
      if constexpr (!std::is_convertible_v<typename R::value_type, T>) {
        static_assert(always_false<F>,
                      "parallel: the task's expected<U> does not convert to the wrapper's T");
        return false;
      } else {
        return true;
      }
    } else if constexpr (!std::is_convertible_v<R, T>) {
      static_assert(always_false<F>,
                    "parallel: this wrapper's tasks return expected<T> or T");
      return false;
    } else {
      return true;
    }
  }
}

/// True if `R` is a receiver of `T` values: `receiver(const context&, T)`
/// returning `error` or `void`. Otherwise fails with the library's sentence.
template <class T, class R>
constexpr bool check_receiver() {
  if constexpr (!std::is_invocable_v<R&, const context&, T>) {
    static_assert(always_false<R>,
                  "parallel: a receiver must be callable as "
                  "receiver(const parallel::context&, T)");
    return false;
  } else if constexpr (!std::is_void_v<std::invoke_result_t<R&, const context&, T>>
                       && !std::is_convertible_v<
                         std::invoke_result_t<R&, const context&, T>, error>) {
    static_assert(always_false<R>, "parallel: a receiver returns parallel::error or void");
    return false;
  } else {
    return true;
  }
}

/// True if `T` can be collected: every `wait()` returns the values again.
template <class T>
constexpr bool check_collectable() {
  if constexpr (!std::is_copy_constructible_v<T>) {
    static_assert(always_false<T>,
                  "parallel: collect<T> and collect_with_errs<T> need a copyable T "
                  "(every wait() returns the values again): wrap a move-only T in "
                  "std::shared_ptr");
    return false;
  } else {
    return true;
  }
}

} // namespace parallel::detail
