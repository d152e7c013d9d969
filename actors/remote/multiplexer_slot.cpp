// An epoll set of ours inside CAF's multiplexer.
#include "multiplexer_slot.hpp"

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>

namespace parallel::remote::detail {

using caf::io::network::operation;

multiplexer_slot::multiplexer_slot(caf::io::network::default_multiplexer& mpx,
                                   int epoll_fd, std::function<void()> ready)
  : event_handler(mpx, epoll_fd), ready_(std::move(ready)) {
}

void multiplexer_slot::enter() {
  if (released_) {
    // Released before its (dispatched) entry ran: it never joined the loop.
    delete this;
    return;
  }
  entered_ = true;
  backend().add(operation::read, fd(), this);
}

void multiplexer_slot::release() {
  released_ = true;
  // The owner may release it on this thread before the entry it dispatched
  // ran (a client guard closes when its system's BASP broker ends, which
  // can come first): then `enter` frees it.
  if (!entered_)
    return;
  // CAF applies additions and removals after the current round. If the
  // addition is still pending (eventbf() is set once it is applied), the
  // removal cancels it and CAF forgets this handler at once; otherwise CAF
  // calls removed_from_loop once the descriptor left its set.
  bool in_set = eventbf() != 0;
  backend().del(operation::read, fd(), this);
  if (!in_set)
    delete this;
}

void multiplexer_slot::handle_event(operation op) {
  if (op == operation::read && !released_ && ready_)
    ready_();
}

void multiplexer_slot::removed_from_loop(operation op) {
  if (op == operation::read && released_)
    delete this;
}

void multiplexer_slot::graceful_shutdown() {
  // Only brokers' servants are shut down by CAF; the owner releases this.
}

caf::io::network::default_multiplexer* default_multiplexer_of(caf::actor_system& sys) {
  return dynamic_cast<caf::io::network::default_multiplexer*>(
    &sys.middleman().backend());
}

} // namespace parallel::remote::detail
