// multiplexer_slot: an epoll set of ours, served by the thread of CAF's
// middleman (private).
#pragma once

#include <functional>

#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/event_handler.hpp>

namespace parallel::remote::detail {

/// Puts an epoll descriptor into the epoll set of CAF's multiplexer: when
/// one of its sockets has an event, the multiplexer's thread calls `ready`,
/// which should handle what `epoll_wait(fd, ..., 0)` returns.
///
/// Why: a thread of our own would have to wake up for every frame it
/// relays, and on small machines those wake-ups cost more than the work.
/// The multiplexer's thread is awake anyway when bytes arrive, and a relayed
/// frame it writes to the middleman's loopback socket is read in its next
/// round, without a sleep in between.
///
/// Everything but construction runs on the multiplexer's thread. The slot
/// owns the epoll descriptor. `release` takes it out of the loop and frees
/// it (then or, if CAF still has to confirm the removal, at that point).
class multiplexer_slot final : public caf::io::network::event_handler {
public:
  multiplexer_slot(caf::io::network::default_multiplexer& mpx, int epoll_fd,
                   std::function<void()> ready);

  /// Adds the epoll descriptor to the multiplexer's set; if `release` came
  /// first, frees this object instead.
  void enter();

  /// Leaves the loop, closes the epoll descriptor and frees this object
  /// (after `enter`, if that has not run yet). `ready` is not called again.
  void release();

  void handle_event(caf::io::network::operation op) override;
  void removed_from_loop(caf::io::network::operation op) override;
  void graceful_shutdown() override;

private:
  ~multiplexer_slot() override = default;

  std::function<void()> ready_;
  bool entered_ = false;
  bool released_ = false;
};

/// The multiplexer of `sys`'s middleman, or null if it is not CAF's default
/// one (the testing backend).
caf::io::network::default_multiplexer* default_multiplexer_of(caf::actor_system& sys);

} // namespace parallel::remote::detail
