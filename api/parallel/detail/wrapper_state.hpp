// wrapper_state: a wrapper's outbox of results, the messages that carry them
// to its reducer actor, and the reduction the reducer runs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/message_id.hpp>
#include <caf/send.hpp>

#include "parallel/detail/atoms.hpp"
#include "parallel/detail/group_core.hpp"
#include "parallel/detail/notify_batch.hpp"
#include "parallel/detail/result_batch.hpp"
#include "parallel/detail/spawn.hpp"
#include "parallel/extension/task.hpp"

namespace parallel::detail {

/// What the group and the reducer actor see of a wrapper.
///
/// Producers (workers, requesters for request replies, a waiting caller)
/// push results; they travel to the reducer actor as messages, each carrying
/// a `result_batch`. A worker running a streak of short tasks holds its
/// results in the outbox and sends them as one message when the streak ends
/// (see `notify_batch`); any other push sends its result at once, except in
/// the reducer itself (a requester that doubles as it), which consumes its
/// own replies without a message when nothing sent earlier is pending. The
/// outbox is sent under its lock, so results reach the reducer in push order.
/// Consuming happens only inside the reducer actor, so it never runs
/// concurrently with itself.
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

  /// Makes `r` this wrapper's reducer, unless it has one already or was
  /// released. Used by the group's first requester, which doubles as the
  /// reducer of the group's only wrapper. That requester belongs to the
  /// system's pool: releasing the wrapper never kills it (the group retires
  /// it instead).
  /// `on_adopt()` runs under the lock once `r` is the reducer, before any
  /// result can be sent to it.
  template <class OnAdopt>
  bool adopt_reducer(const caf::actor& r, OnAdopt on_adopt) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (reducer_ || released_)
      return false;
    reducer_ = r;
    pooled_reducer_ = true;
    on_adopt();
    return true;
  }

  /// The reducer if it was spawned, else null.
  caf::actor reducer() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return reducer_;
  }

  /// Drops the strong reference to the reducer (breaks the cycle at exit)
  /// and returns it, to be stopped, unless it is a pooled requester. Awaits
  /// not answered yet get an error: nobody will answer them now.
  caf::actor release_reducer();

  // -- awaits (defined in actors/awaiters.cpp) ------------------------------

  /// `who` awaits this wrapper: once the group finished and the reducer
  /// consumed every result, `done_atom` is put into its mailbox as the
  /// response `rid` (a response handler `who` registered), with no message
  /// to the reducer in between. Answered at once if that time has come.
  void add_awaiter(caf::strong_actor_ptr who, caf::message_id rid);

  /// The reduction is complete (the group finished, every result consumed):
  /// answers every await, now and later. Runs inside the reducer actor.
  void answer_awaiters();

  /// The reducer is gone without completing (the system shuts down):
  /// pending and later awaits get an error, which drops their handlers (and
  /// the handles those hold).
  void fail_awaiters();

  /// The reduction is complete and the reducer actor quits: nothing will be
  /// sent to it any more. Runs inside the reducer actor.
  void retire_reducer();

  /// Consumes one batch of results. Runs inside the reducer actor only.
  virtual void consume_batch(result_batch& batch) = 0;

  /// The group finished and every result was consumed: drop user callbacks
  /// (a receiver may hold a handle of its own group, which would otherwise
  /// keep the group alive forever). Runs inside the reducer actor only.
  virtual void release_callbacks() {
  }

  /// Sends the results that a worker's batch held back (see `notify_batch`).
  virtual void send_held_back() = 0;

  /// Whether the reducer consumed every result pushed so far.
  bool drained() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return processed_ == sent_;
  }

  /// Blocks until the reducer consumed every result pushed so far. Call
  /// after every task finished.
  void wait_drained() {
    std::unique_lock<std::mutex> lk{mtx_};
    cv_.wait(lk, [this] { return processed_ == sent_; });
  }

protected:
  /// The reducer actor, spawned on first use: a wrapper whose tasks never
  /// send it anything (an err_group whose tasks all succeed) never needs
  /// one. Null once released. Call under `mtx_`.
  caf::actor reducer_locked() {
    if (!reducer_ && !released_)
      reducer_ = spawn_reducer(shared_from_this());
    return reducer_;
  }

  /// Counts `n` results as consumed; wakes `wait_drained`.
  void count_consumed(std::size_t n) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      processed_ += n;
    }
    cv_.notify_all();
  }

  mutable std::mutex mtx_;
  std::condition_variable cv_;
  caf::actor reducer_;
  std::size_t sent_ = 0;      // results pushed
  std::size_t processed_ = 0; // results consumed (or dropped: no reducer)
  bool deferred_ = false;     // registered in a worker's notify_batch
  bool released_ = false;
  bool pooled_reducer_ = false; // the reducer is a pooled requester
  /// An await waiting for the reduction to complete.
  struct awaiter {
    caf::strong_actor_ptr who;
    caf::message_id rid;
  };
  std::vector<awaiter> awaiters_;
  enum class awaits { pending, answered, failed };
  awaits awaits_ = awaits::pending;
  std::shared_ptr<group_core> core_;
  std::atomic<std::size_t> next_index_{0};
};

/// A wrapper whose tasks produce `Item`s for its reducer.
template <class Item>
class wrapper_state : public wrapper_base {
public:
  using wrapper_base::wrapper_base;

  /// Sends `x` to the reducer, or holds it in the outbox for the calling
  /// worker's batch (see `notify_batch`). Inside the reducer itself (a
  /// requester that doubles as it), consumes `x` at once when no result
  /// pushed before is still on its way, which keeps push order.
  void push(Item x) {
    if (notify_batch::local().consuming == this) {
      bool now = false;
      {
        std::lock_guard<std::mutex> guard{mtx_};
        now = processed_ == sent_;
        if (now)
          ++sent_;
      }
      if (now) {
        consume_one(x);
        count_consumed(1);
        return;
      }
    }
    bool defer = false;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      outbox_.push_back(std::move(x));
      ++sent_;
      auto& batch = notify_batch::local();
      // Held back only with a reducer to send to: the group may finish
      // before a requester's batch leaves, and a wrapper with no reducer
      // then drops its callbacks (see group_state::check_finished_locked).
      if (batch.active && batch.owner == core_.get()
          && outbox_.size() < max_held_back && reducer_locked()) {
        defer = !deferred_;
        deferred_ = true;
      } else {
        send_locked();
      }
    }
    if (defer) {
      auto& batch = notify_batch::local();
      batch.pending.push_back(this);
      if (!batch.flushes_itself)
        core().flush_later(); // the safety net if the worker's streak stalls
    }
  }

  void send_held_back() final {
    std::lock_guard<std::mutex> guard{mtx_};
    deferred_ = false;
    send_locked();
  }

  void consume_batch(result_batch& batch) final {
    auto& items = static_cast<typed_result_batch<Item>&>(batch).items;
    for (auto& x : items)
      consume_one(x);
    count_consumed(items.size());
  }

protected:
  /// Consumes one result. Runs inside the reducer actor; may throw.
  virtual void consume(Item& x) = 0;

private:
  void consume_one(Item& x) {
    if (stopped_)
      return;
    try {
      consume(x);
    } catch (...) {
      // A receiver threw: that is the group's panic; stop consuming.
      stopped_ = true;
      core().record_panic(std::current_exception());
    }
  }

  // Results a batch may hold back before they are sent anyway.
  static constexpr std::size_t max_held_back = 128;

  /// Sends the outbox as one message. Under the lock, so that batches leave
  /// in the order their results were pushed.
  void send_locked() {
    if (outbox_.empty())
      return;
    auto dest = reducer_locked();
    if (!dest) {
      // Released: the group is gone and nobody waits for these results.
      processed_ += outbox_.size();
      outbox_.clear();
      return;
    }
    auto batch = std::make_shared<typed_result_batch<Item>>();
    batch->items.swap(outbox_);
    caf::anon_send(dest, results_atom::value, result_batch_ptr{std::move(batch)});
  }

  std::vector<Item> outbox_; // held back for the end of a worker's streak
  bool stopped_ = false;     // reducer-only
};

} // namespace parallel::detail
