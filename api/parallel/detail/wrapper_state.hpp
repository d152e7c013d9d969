// wrapper_state: a wrapper's inbox and the reduction its reducer actor runs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include <caf/actor.hpp>
#include <caf/send.hpp>

#include "parallel/detail/atoms.hpp"
#include "parallel/detail/group_core.hpp"
#include "parallel/detail/notify_batch.hpp"
#include "parallel/detail/spawn.hpp"
#include "parallel/extension/task.hpp"

namespace parallel::detail {

/// What the group and the reducer actor see of a wrapper.
///
/// Producers (workers, the supervisor for request replies, a serial caller)
/// append results to the inbox; the reducer actor gets one `drain_atom` per
/// burst, not per result, and consumes them in order. Consuming happens only
/// inside the reducer actor, so it never runs concurrently with itself.
class wrapper_base : public std::enable_shared_from_this<wrapper_base> {
public:
  explicit wrapper_base(std::shared_ptr<group_core> core)
    : core_(std::move(core)) {
  }

  virtual ~wrapper_base() = default;

  group_core& core() const noexcept {
    return *core_;
  }

  /// Index of the next submitted task, for ordering results.
  std::size_t next_index() noexcept {
    return next_index_.fetch_add(1, std::memory_order_relaxed);
  }

  /// The reducer actor, spawned on first use: a wrapper whose tasks never
  /// send it anything (an err_group whose tasks all succeed) never needs
  /// one. Null once released (the group's supervisor has exited).
  caf::actor reducer_or_spawn() {
    std::lock_guard<std::mutex> guard{mtx_};
    return reducer_locked();
  }

  /// The reducer if it was spawned, else null.
  caf::actor reducer() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return reducer_;
  }

  /// Drops the strong reference to the reducer (breaks the cycle at exit).
  caf::actor release_reducer() {
    std::lock_guard<std::mutex> guard{mtx_};
    released_ = true;
    return std::move(reducer_);
  }

  /// Consumes everything in the inbox. Runs inside the reducer actor only.
  virtual void drain() = 0;

  /// The group finished and every result was consumed: drop user callbacks
  /// (a receiver may hold a handle of its own group, which would otherwise
  /// keep the group alive forever). Runs inside the reducer actor only.
  virtual void release_callbacks() {
  }

  /// Wakes the reducer if results wait that a worker's batch held back.
  void notify_deferred() {
    caf::actor notify;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      deferred_ = false;
      if (sent_ > processed_ && !drain_scheduled_) {
        drain_scheduled_ = true;
        notify = reducer_locked();
      }
    }
    if (notify)
      caf::anon_send(notify, drain_atom::value);
  }

  /// Blocks until the reducer consumed every result sent so far. Call after
  /// every task finished.
  void wait_drained() {
    std::unique_lock<std::mutex> lk{mtx_};
    cv_.wait(lk, [this] { return processed_ == sent_; });
  }

protected:
  caf::actor reducer_locked() {
    if (!reducer_ && !released_)
      reducer_ = spawn_reducer(shared_from_this());
    return reducer_;
  }

  mutable std::mutex mtx_;
  std::condition_variable cv_;
  caf::actor reducer_;
  std::size_t sent_ = 0;
  std::size_t processed_ = 0;
  bool drain_scheduled_ = false;
  bool deferred_ = false; // registered in a worker's notify_batch
  bool released_ = false;
  std::shared_ptr<group_core> core_;
  std::atomic<std::size_t> next_index_{0};
};

/// A wrapper whose tasks produce `Item`s for its reducer.
template <class Item>
class wrapper_state : public wrapper_base {
public:
  using wrapper_base::wrapper_base;

  /// Appends `x` to the inbox; wakes the reducer if it is not already due,
  /// or leaves that to the calling worker's batch (see `notify_batch`).
  void push(Item x) {
    caf::actor notify;
    bool defer = false;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      inbox_.push_back(std::move(x));
      ++sent_;
      if (!drain_scheduled_) {
        auto& batch = notify_batch::local();
        if (batch.active && batch.owner == core_.get()
            && inbox_.size() < max_deferred) {
          defer = !deferred_;
          deferred_ = true;
        } else {
          drain_scheduled_ = true;
          notify = reducer_locked();
        }
      }
    }
    if (defer) {
      notify_batch::local().pending.push_back(this);
      core().flush_later(); // the safety net if the worker's streak stalls
    }
    if (notify)
      caf::anon_send(notify, drain_atom::value);
  }

  void drain() final {
    auto batch = std::move(spare_);
    {
      std::lock_guard<std::mutex> guard{mtx_};
      std::swap(batch, inbox_);
      drain_scheduled_ = false;
    }
    if (batch.empty()) {
      spare_ = std::move(batch);
      return;
    }
    for (auto& x : batch) {
      if (stopped_)
        break;
      try {
        consume(x);
      } catch (...) {
        // A receiver threw: that is the group's panic; stop consuming.
        stopped_ = true;
        core().record_panic(std::current_exception());
      }
    }
    auto n = batch.size();
    batch.clear();
    spare_ = std::move(batch);
    {
      std::lock_guard<std::mutex> guard{mtx_};
      processed_ += n;
    }
    cv_.notify_all();
  }

protected:
  /// Consumes one result. Runs inside the reducer actor; may throw.
  virtual void consume(Item& x) = 0;

private:
  // Results a batch may hold back before the reducer is woken anyway.
  static constexpr std::size_t max_deferred = 128;

  std::vector<Item> inbox_;
  std::vector<Item> spare_;  // reducer-only: the drained buffer, reused
  bool stopped_ = false;     // reducer-only
};

} // namespace parallel::detail
