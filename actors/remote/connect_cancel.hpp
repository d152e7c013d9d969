// connect_cancel: stopping connect attempts that wait for a node (private).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>

#include <sys/eventfd.h>
#include <unistd.h>

namespace parallel::remote::detail {

/// Stops a client's connect attempts that are still waiting for a node:
/// each registers how to stop it (`on_cancel`); `cancel` stops those and
/// every one registered later. A cluster cancels its reconnect attempts
/// when it goes away, so that none holds up the actor system's shutdown
/// until its connect timeout.
class connect_cancel {
public:
  connect_cancel() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  }

  ~connect_cancel() {
    if (fd_ >= 0)
      ::close(fd_);
  }

  connect_cancel(const connect_cancel&) = delete;
  connect_cancel& operator=(const connect_cancel&) = delete;

  /// A descriptor that becomes readable at `cancel` and stays so, for a
  /// blocking wait (a TCP connect) to `poll` beside its own.
  int readable_at_cancel() const noexcept {
    return fd_;
  }

  /// Runs `fn` at `cancel`, or at once if that ran already. Returns an id
  /// for `forget`.
  std::size_t on_cancel(std::function<void()> fn) {
    std::unique_lock<std::mutex> guard{mtx_};
    if (cancelled_) {
      guard.unlock();
      fn();
      return 0;
    }
    fns_.emplace(++next_, std::move(fn));
    return next_;
  }

  /// Drops what `on_cancel` registered under `id`.
  void forget(std::size_t id) {
    std::lock_guard<std::mutex> guard{mtx_};
    fns_.erase(id);
  }

  /// Runs what is registered, once.
  void cancel() {
    std::map<std::size_t, std::function<void()>> fns;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      cancelled_ = true;
      fns.swap(fns_);
    }
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(fd_, &one, sizeof(one));
    for (auto& [id, fn] : fns)
      fn();
  }

private:
  int fd_;
  std::mutex mtx_;
  bool cancelled_ = false;
  std::size_t next_ = 0;
  std::map<std::size_t, std::function<void()>> fns_;
};

} // namespace parallel::remote::detail
