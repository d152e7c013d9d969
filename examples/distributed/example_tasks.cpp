#include "example_tasks.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <stdexcept>

#include <unistd.h>

#include "parallel/multi_error.hpp"

namespace examples {

namespace {

int64_t naive_fib(int32_t n) {
  return n < 2 ? n : naive_fib(n - 1) + naive_fib(n - 2);
}

/// Adds a task to a registry unless `only` leaves it out.
struct filtered_registry {
  parallel::remote::registry& reg;
  const std::vector<std::string>& only;

  template <class F>
  void add(const std::string& name, F fn) {
    if (only.empty() || std::find(only.begin(), only.end(), name) != only.end())
      reg.add(name, std::move(fn));
  }
};

} // namespace

std::shared_ptr<parallel::remote::registry>
make_registry(const std::vector<std::string>& only) {
  using parallel::context;
  using parallel::error;
  using parallel::expected;
  auto all = std::make_shared<parallel::remote::registry>();
  filtered_registry filter{*all, only};
  auto* reg = &filter;
  reg->add("fib", [](const context& ctx, int32_t n) -> expected<int64_t> {
    if (n < 0 || n > 45)
      return parallel::make_error("fib: n must be in [0, 45]");
    if (ctx.cancelled())
      return ctx.cause();
    return naive_fib(n);
  });
  reg->add("work", [](const context& ctx, int32_t id, int32_t ms) -> expected<int32_t> {
    if (!ctx.sleep_for(std::chrono::milliseconds(ms)))
      return ctx.cause();
    return id;
  });
  reg->add("sleep", [](const context& ctx, int32_t ms) -> expected<int32_t> {
    if (!ctx.sleep_for(std::chrono::milliseconds(ms)))
      return ctx.cause();
    return ms;
  });
  reg->add("echo", [](const context&, int64_t x) { return x; });
  reg->add("hello", [](const context&, const std::string& who) {
    return "hello, " + who;
  });
  reg->add("sum", [](const context&, const std::vector<int64_t>& xs) {
    return std::accumulate(xs.begin(), xs.end(), int64_t{0});
  });
  reg->add("fail", [](const context&, const std::string& text) -> error {
    return parallel::make_error(text);
  });
  reg->add("fail_many", [](const context&, const std::vector<std::string>& texts) -> error {
    std::vector<error> errs;
    for (auto& t : texts)
      errs.push_back(parallel::make_error(t));
    return parallel::make_multi_error(std::move(errs));
  });
  reg->add("fail_code", [](const context&, int32_t code) -> error {
    return parallel::make_error(static_cast<parallel::errc>(code));
  });
  reg->add("throw", [](const context&, const std::string& what) -> int64_t {
    throw std::out_of_range(what);
  });
  reg->add("throw_int", [](const context&) -> int64_t { throw 42; });
  reg->add("block", [](const context& ctx) -> error {
    ctx.sleep_for(std::chrono::minutes(1));
    return ctx.cause();
  });
  reg->add("pid", [](const context&) { return static_cast<int32_t>(getpid()); });
  return all;
}

} // namespace examples
