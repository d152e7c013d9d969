#include "parallel/detail/notify_batch.hpp"

#include "parallel/detail/wrapper_state.hpp"

namespace parallel::detail {

notify_batch& notify_batch::local() noexcept {
  thread_local notify_batch batch;
  return batch;
}

void notify_batch::flush() {
  active = false;
  if (pending.empty())
    return;
  // Notifying may not add to `pending` (the batch is inactive now).
  for (auto* w : pending)
    w->send_held_back();
  pending.clear();
}

} // namespace parallel::detail
