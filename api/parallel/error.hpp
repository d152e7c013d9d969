// Errors: Go's `error` as CAF's `caf::error`, plus the library's sentinels.
#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace parallel {

/// Go's `error`. An empty (false) error means success. It is serialisable, so
/// it crosses a CAF node boundary unchanged.
using error = caf::error;

/// A value or the error that prevented it (Go's `(T, error)` pair).
template <class T>
using expected = caf::expected<T>;

/// The library's own error sentinels (category `parallel`).
enum class errc : uint8_t {
  cancelled = 1,      ///< a context was cancelled by its canceller
  deadline_exceeded,  ///< a context's deadline passed
  group_done,         ///< the group's `wait()` returned
  group_abandoned,    ///< the last handle was destroyed without `wait()`
  panicked,           ///< a task or receiver threw
  node_down,          ///< the node running a remote task died or is unreachable
  misuse,             ///< the API was used against its contract
};

/// The CAF error category of `errc` errors.
inline constexpr caf::atom_value error_category = caf::atom("parallel");

/// An error in the library's own category, e.g. `make_error(errc::cancelled)`.
error make_error(errc code);

/// Like Go's `errors.New("...")`: a runtime error carrying `message`.
error make_error(std::string message);

/// The human text of `e`: "uh oh" for `make_error("uh oh")`, "cancelled" for
/// `make_error(errc::cancelled)`, the parts joined by '\n' for an error made
/// from a `multi_error`, and "" for the empty error.
std::string message(const error& e);

/// True when `e` is exactly the sentinel `code`.
bool is(const error& e, errc code);

/// The name of `code`, e.g. "deadline exceeded".
std::string to_string(errc code);

} // namespace parallel
