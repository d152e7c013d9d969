// multi_error: Go's MultiError, several errors as one value.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "parallel/error.hpp"

namespace parallel {

/// Several errors as one value. Empty means "no error".
class multi_error {
public:
  multi_error() = default;

  /// Keeps `errs` exactly as given (see `make_multi_error`).
  explicit multi_error(std::vector<error> errs) : errs_(std::move(errs)) {
  }

  /// True when it holds at least one error.
  explicit operator bool() const noexcept {
    return !errs_.empty();
  }

  /// The number of errors held.
  std::size_t size() const noexcept {
    return errs_.size();
  }

  /// Go's `Unwrap()`: every error, in order.
  const std::vector<error>& errors() const noexcept {
    return errs_;
  }

  /// Go's `One()`: the first error. Throws `std::logic_error` when empty.
  const error& one() const;

  /// Go's `Error()`: `message()` of each non-empty error, joined by '\n'.
  std::string message() const;

  /// One `error` carrying every non-empty part (a single one is returned as
  /// itself), with the same text as `message()`; empty if the list is empty.
  /// `combine_errors` flattens it back into its parts, also after it crossed
  /// a node boundary.
  operator error() const;

private:
  std::vector<error> errs_;
};

/// Go's `NewMultiError`: keeps the list as given, empty errors included.
multi_error make_multi_error(std::vector<error> errs);

/// Drops empty errors and flattens an error that came from a `multi_error`
/// back into its parts, keeping the order.
multi_error combine_errors(std::vector<error> errs);

/// `a`'s parts then `b`'s, flattened: the result never nests.
multi_error combine_errors(const multi_error& a, const multi_error& b);

/// `message()` of every non-empty part, joined by '\n'.
std::string message(const multi_error& e);

/// Same as `message(e)`, for generic printing code.
std::string to_string(const multi_error& e);

} // namespace parallel
