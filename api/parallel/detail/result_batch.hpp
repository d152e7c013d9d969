// result_batch: the payload of one results message from producers to a
// wrapper's reducer actor.
#pragma once

#include <memory>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>

namespace parallel::detail {

/// Results on their way to a reducer; the wrapper that sent it knows the
/// item type (see `typed_result_batch`).
struct result_batch {
  virtual ~result_batch() = default;
};

/// A batch of `Item`s, in the order they were pushed.
template <class Item>
struct typed_result_batch final : result_batch {
  std::vector<Item> items;
};

/// The message element: shared only so that CAF can hold it; one producer
/// creates it and one reducer consumes it.
using result_batch_ptr = std::shared_ptr<result_batch>;

} // namespace parallel::detail

// Local messages only: a reducer is never remote.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parallel::detail::result_batch_ptr)
