// Codes of the `parallel` error category that are not part of `errc`.
#pragma once

#include <cstdint>

namespace parallel::detail {

/// An error whose context holds the parts of a `multi_error` (see
/// `multi_error::operator error`). Outside `errc`'s range on purpose.
inline constexpr uint8_t multi_error_code = 200;

} // namespace parallel::detail
