// group_handle: what every executor and wrapper copy of one group shares.
#pragma once

#include <memory>

#include <caf/actor.hpp>

#include "parallel/detail/group_core.hpp"

namespace parallel::detail {

/// Shared by every handle of a group (executor copies and wrappers). When the
/// last one is destroyed, its sentinel goes first: the supervisor receives the
/// down message and cleans up. Destroying it never blocks.
class group_handle {
public:
  group_handle(std::shared_ptr<group_core> core, caf::actor sentinel)
    : core_(std::move(core)), sentinel_(std::move(sentinel)) {
  }

  group_handle(const group_handle&) = delete;
  group_handle& operator=(const group_handle&) = delete;

  group_core& core() const noexcept {
    return *core_;
  }

  const std::shared_ptr<group_core>& core_ptr() const noexcept {
    return core_;
  }

private:
  // Declared first, destroyed last: the sentinel dies before we let go of
  // the core, so the supervisor learns of the abandonment first.
  std::shared_ptr<group_core> core_;
  caf::actor sentinel_;
};

} // namespace parallel::detail
