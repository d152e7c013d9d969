// group_handle: what every executor and wrapper copy of one group shares.
#pragma once

#include <memory>


#include "parallel/detail/group_core.hpp"

namespace parallel::detail {

/// Shared by every handle of a group (executor copies and wrappers). When the
/// last one is destroyed, the group learns it (see group_core::handle_gone):
/// its supervisor, if it has one, receives the sentinel's down message and
/// cleans up. Destroying it never blocks.
class group_handle {
public:
  explicit group_handle(std::shared_ptr<group_core> core) : core_(std::move(core)) {
  }

  ~group_handle() {
    core_->handle_gone();
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
  std::shared_ptr<group_core> core_;
};

} // namespace parallel::detail
