// Helpers the wrappers' reductions share: indexed results and error lists.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <vector>

#include "parallel/error.hpp"
#include "parallel/multi_error.hpp"

namespace parallel::detail {

/// A result tagged with its task's submission index.
template <class T>
struct indexed {
  std::size_t index;
  T value;
};

/// The errors a multi-error wrapper reports: the group's stop cause first (the
/// parent's cancellation, say), then the tasks' errors in submission order,
/// flattened.
inline multi_error gather_errors(const error& cause,
                                 std::vector<indexed<error>> errs) {
  std::stable_sort(errs.begin(), errs.end(),
                   [](auto& x, auto& y) { return x.index < y.index; });
  std::vector<error> all;
  all.reserve(errs.size() + 1);
  if (cause)
    all.push_back(cause);
  for (auto& e : errs)
    all.push_back(std::move(e.value));
  return combine_errors(std::move(all));
}

/// Stores values by submission index and returns them in that order.
template <class T>
class ordered_values {
public:
  void put(std::size_t index, T value) {
    if (slots_.size() <= index)
      slots_.resize(std::max(index + 1, slots_.size() * 2));
    slots_[index].emplace(std::move(value));
  }

  std::vector<T> values() const {
    std::vector<T> out;
    if constexpr (std::is_copy_constructible_v<T>) // else: see check_collectable
      for (auto& x : slots_)
        if (x)
          out.push_back(*x);
    return out;
  }

private:
  std::vector<std::optional<T>> slots_;
};

} // namespace parallel::detail
