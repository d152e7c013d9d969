// gather_errs.cpp: every error is kept, nothing stops, and multi_errors flatten.
//
// Go's GatherErrs. Tasks return parallel::error, as for err_group, but an
// error does not cancel anything: every task runs, and wait() returns all the
// errors as one multi_error, in submission order. A task that has several
// errors returns a multi_error (make_multi_error converts to parallel::error);
// the group flattens it into its parts instead of nesting it.
#include <atomic>
#include <cstdio>

#include <caf/all.hpp>

#include "parallel/parallel.hpp"

int main() {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto group = parallel::gather_errs(parallel::unlimited(sys));

  std::atomic<bool> okay_ran{false};
  group.go([&](const parallel::context&) -> parallel::error {
    okay_ran = true; // this definitely runs
    return {};
  });
  group.go([](const parallel::context&) { return parallel::make_error("uh oh"); });
  group.go([](const parallel::context&) -> parallel::error {
    return parallel::make_multi_error({parallel::make_error("bad foo"),
                                       parallel::make_error("bad bar")});
  });

  parallel::multi_error err = group.wait(); // it's a multi_error!
  std::printf("size:    %zu\n", err.size());                                // 3, not 2
  std::printf("message: %s\n", err.message().c_str());                      // every text,
                                                                            // one per line
  std::printf("one():   %s\n", parallel::message(err.one()).c_str());       // the first
  for (auto& e : err.errors())                                              // Unwrap()
    std::printf("part:    %s\n", parallel::message(e).c_str());

  bool ok = okay_ran && err && err.size() == 3
            && err.message() == "uh oh\nbad foo\nbad bar"
            && parallel::message(err.one()) == "uh oh"
            && parallel::message(err.errors()[2]) == "bad bar";
  // And back: a multi_error is a parallel::error too, e.g. to return it.
  parallel::error as_one = err;
  ok = ok && parallel::message(as_one) == "uh oh\nbad foo\nbad bar"
       && parallel::combine_errors({as_one}).size() == 3;
  return ok ? 0 : 1;
}
