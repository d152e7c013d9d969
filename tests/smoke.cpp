#include <catch2/catch.hpp>
#include <caf/all.hpp>
#include "parallel/parallel.hpp"

TEST_CASE("smoke: collect squares") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  {
    auto g = parallel::collect<int>(parallel::limited(sys, {}, 3));
    for (int i = 0; i < 100; ++i)
      g.go([i](const parallel::context&) { return i * i; });
    auto r = g.wait();
    REQUIRE(r);
    REQUIRE(r->size() == 100);
    CHECK((*r)[7] == 49);
  }
}
