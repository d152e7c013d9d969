// thread_state: whether a thread is blocked, read from /proc.
#pragma once

#include <optional>
#include <sys/types.h>

namespace parallel::detail {

/// The calling thread's kernel id.
pid_t current_thread_id() noexcept;

/// True if thread `tid` of this process is blocked (sleeping or waiting on
/// I/O), false if it is running or runnable; nullopt if unknown (no /proc).
std::optional<bool> thread_blocked(pid_t tid);

} // namespace parallel::detail
