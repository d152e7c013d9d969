#include "sentinel.hpp"

#include "parallel/detail/atoms.hpp"

namespace parallel::detail {

caf::behavior sentinel::make_behavior() {
  // A behavior that never matches anything real keeps the actor alive.
  return {[](wake_atom) {}};
}

} // namespace parallel::detail
