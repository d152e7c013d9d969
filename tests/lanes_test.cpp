// Extra lanes: request tasks routed when they start, under per-destination
// bounds, retried elsewhere when their destination dies (the mechanism
// distributed groups are built on).
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "parallel/extension/lane_router.hpp"
#include "service_actor.hpp"
#include "test_support.hpp"

using namespace parallel;
using namespace std::chrono_literals;

namespace {

// Routes to the least loaded live destination with fewer than `per_dest`
// requests in flight; records the most ever in flight per destination.
class test_router : public detail::lane_router {
public:
  test_router(std::vector<caf::actor> dests, std::size_t per_dest)
    : dests_(std::move(dests)), per_dest_(per_dest) {
  }

  caf::expected<caf::actor> acquire() override {
    std::lock_guard<std::mutex> guard{mtx_};
    caf::actor best;
    std::size_t best_load = per_dest_;
    bool any_alive = false;
    for (auto& d : dests_) {
      if (dead_.count(d.address()))
        continue;
      if (disabled_.count(d.address())) {
        any_alive = true;
        continue;
      }
      any_alive = true;
      auto load = load_[d.address()];
      if (load < best_load) {
        best = d;
        best_load = load;
      }
    }
    if (!any_alive)
      return make_error(errc::node_down);
    if (best) {
      auto n = ++load_[best.address()];
      peak_[best.address()] = std::max(peak_[best.address()], n);
    }
    return best;
  }

  void release(const caf::actor& dest) override {
    std::lock_guard<std::mutex> guard{mtx_};
    --load_[dest.address()];
  }

  void mark_dead(const caf::actor& dest) {
    std::lock_guard<std::mutex> guard{mtx_};
    dead_[dest.address()] = true;
  }

  void disable(const caf::actor& dest, bool off) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (off)
      disabled_[dest.address()] = true;
    else
      disabled_.erase(dest.address());
  }

  std::size_t peak(const caf::actor& dest) {
    std::lock_guard<std::mutex> guard{mtx_};
    return peak_[dest.address()];
  }

private:
  std::mutex mtx_;
  std::map<caf::actor_addr, std::size_t> peak_;
  std::map<caf::actor_addr, bool> disabled_;
  std::vector<caf::actor> dests_;
  std::size_t per_dest_;
  std::map<caf::actor_addr, std::size_t> load_;
  std::map<caf::actor_addr, bool> dead_;
};

struct results {
  std::mutex mtx;
  std::vector<int> values;
  std::vector<error> errors;
};

// A lane task: asks for `x`, retries when its destination died.
class lane_task : public detail::request_task {
public:
  lane_task(int x, results& out, test_router& router)
    : request_task(nullptr, caf::infinite, caf::make_message(x)),
      out_(out),
      router_(router) {
  }

  detail::task_outcome on_reply(caf::message& reply) override {
    std::lock_guard<std::mutex> guard{out_.mtx};
    out_.values.push_back(reply.get_as<int>(0));
    return detail::task_outcome::succeeded;
  }

  detail::task_outcome on_error(error err) override {
    if (err == caf::sec::request_receiver_down) {
      router_.mark_dead(dest());
      return detail::task_outcome::retry;
    }
    std::lock_guard<std::mutex> guard{out_.mtx};
    out_.errors.push_back(err);
    return detail::task_outcome::failed;
  }

private:
  results& out_;
  test_router& router_;
};

// Holds every int request unanswered, counting them.
caf::behavior black_hole(caf::stateful_actor<std::vector<caf::response_promise>>* self,
                         test::counter* held) {
  return {[=](int) {
    self->state.push_back(self->make_response_promise());
    held->add();
  }};
}

} // namespace

TEST_CASE_METHOD(test::system_fixture, "a lane routes requests under a per-destination bound") {
  auto a = test::spawn_service(sys, 2ms);
  auto b = test::spawn_service(sys, 2ms);
  {
    auto router = std::make_shared<test_router>(std::vector<caf::actor>{a, b}, 3);
    results out;
    auto ex = parallel::limited(sys, {}, 1); // lane 0's bound does not apply
    auto lane = ex.core().add_lane(router);
    for (int i = 0; i < 60; ++i) {
      auto t = std::make_unique<lane_task>(i, out, *router);
      t->lane = lane;
      ex.core().submit(std::move(t));
    }
    ex.wait();
    CHECK(out.values.size() == 60);
    CHECK(router->peak(a) == 3);
    CHECK(router->peak(b) == 3);
    CHECK(ex.stats().peak_in_flight == 6);
    CHECK(ex.stats().succeeded == 60);
  }
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(test::system_fixture, "a lane task retries on a surviving destination, and unroutable tasks fail") {
  test::counter held;
  auto doomed = sys.spawn(black_hole, &held);
  auto survivor = test::spawn_service(sys, 1ms);
  {
    auto router = std::make_shared<test_router>(std::vector<caf::actor>{doomed, survivor}, 10);
    router->disable(survivor, true); // every request goes to `doomed` first
    results out;
    auto ex = parallel::unlimited(sys);
    auto lane = ex.core().add_lane(router);
    for (int i = 0; i < 5; ++i) {
      auto t = std::make_unique<lane_task>(i, out, *router);
      t->lane = lane;
      ex.core().submit(std::move(t));
    }
    held.wait_for(5);
    router->disable(survivor, false);
    caf::anon_send_exit(doomed, caf::exit_reason::kill);
    ex.wait(); // the five fail over to the survivor
    std::sort(out.values.begin(), out.values.end());
    CHECK(out.values == std::vector<int>{0, 10, 20, 30, 40});
    CHECK(out.errors.empty());
    CHECK(ex.stats().succeeded == 5);
  }
  {
    // All destinations dead: queued lane tasks fail with the router's error.
    auto router = std::make_shared<test_router>(std::vector<caf::actor>{doomed}, 1);
    router->mark_dead(doomed);
    results none;
    auto ex = parallel::unlimited(sys);
    auto lane = ex.core().add_lane(router);
    auto t = std::make_unique<lane_task>(1, none, *router);
    t->lane = lane;
    ex.core().submit(std::move(t));
    ex.wait();
    REQUIRE(none.errors.size() == 1);
    CHECK(is(none.errors[0], errc::node_down));
    CHECK(ex.stats().failed == 1);
  }
  caf::anon_send_exit(survivor, caf::exit_reason::user_shutdown);
}
