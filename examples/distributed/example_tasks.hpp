// The example tasks parallel-node serves, shared by nodes and clients.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "parallel/remote/remote.hpp"

namespace examples {

/// Every example task:
///   fib(int32 n) -> int64          naive recursive Fibonacci (fib 27: ~1 ms)
///   work(int32 id, int32 ms) -> int32   "ms" of work (a cancellable wait), returns id
///   sleep(int32 ms) -> int32       waits ms (cancellable: then the context's cause)
///   echo(int64 x) -> int64         returns x at once (for throughput)
///   hello(string who) -> string    "hello, <who>"
///   sum(vector<int64>) -> int64    a type CAF needs registered
///   fail(string text) -> error     returns make_error(text)
///   fail_many(vector<string>) -> error  an error made from a multi_error
///   fail_code(int32 code) -> error returns make_error(errc(code))
///   throw(string what) -> int64    throws std::out_of_range(what)
///   throw_int() -> int64           throws 42 (not a std::exception)
///   block() -> error               waits until its context is cancelled (at most
///                                  a minute), returns the cause
///   pid() -> int32                 the node's process id
/// `only`: the names of the tasks to include (empty: every task).
std::shared_ptr<parallel::remote::registry>
make_registry(const std::vector<std::string>& only = {});

/// Typed references for clients (arguments and results checked at compile time).
inline const parallel::remote::task_ref<int64_t(int32_t)> fib{"fib"};
inline const parallel::remote::task_ref<int32_t(int32_t, int32_t)> work{"work"};
inline const parallel::remote::task_ref<int32_t(int32_t)> sleep{"sleep"};
inline const parallel::remote::task_ref<int64_t(int64_t)> echo{"echo"};
inline const parallel::remote::task_ref<int32_t()> pid{"pid"};

} // namespace examples
