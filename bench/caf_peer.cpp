// The hand-written CAF equivalents. No parallel:: code in here.
#include <algorithm>
#include <atomic>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/result.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "harness.hpp"
#include "peers.hpp"
#include "service.hpp"

namespace bench {

namespace {

using values_ptr = std::shared_ptr<std::vector<int32_t>>;

void await_done(caf::actor_system& sys, const caf::actor& dest, const char* what) {
  caf::scoped_actor self{sys};
  self->request(dest, caf::infinite, await_atom::value)
    .receive([](done_atom) {},
             [&](caf::error& err) {
               throw std::runtime_error(std::string{what} + ": "
                                        + sys.render(err));
             });
}

// -- trivial_collect ------------------------------------------------------------

struct collector_state {
  values_ptr out;
  std::size_t remaining = 0;
  std::vector<caf::response_promise> waiting;
};

caf::behavior collector(caf::stateful_actor<collector_state>* self, values_ptr out) {
  self->state.remaining = out->size();
  self->state.out = std::move(out);
  return {
    [=](result_atom, uint64_t i, int32_t value) {
      auto& st = self->state;
      (*st.out)[i] = value;
      if (--st.remaining == 0) {
        for (auto& rp : st.waiting)
          rp.deliver(done_atom::value);
        st.waiting.clear();
      }
    },
    [=](await_atom) -> caf::result<done_atom> {
      if (self->state.remaining == 0)
        return done_atom::value;
      auto rp = self->make_response_promise();
      self->state.waiting.push_back(rp);
      return rp;
    },
  };
}

caf::behavior pool_worker(caf::event_based_actor* self, caf::actor collector) {
  return {
    [=](task_atom, uint64_t i) {
      self->send(collector, result_atom::value, i, trivial(i));
    },
  };
}

// -- latency_fanout -------------------------------------------------------------

caf::behavior sleeper(caf::event_based_actor* self, caf::actor collector,
                      std::chrono::milliseconds latency) {
  return {
    [=](task_atom, uint64_t i) {
      std::this_thread::sleep_for(latency);
      self->send(collector, result_atom::value, i, trivial(i));
    },
  };
}

struct window_state {
  caf::actor service;
  uint64_t n = 0;
  uint64_t bound = 0;
  uint64_t next = 0;
  uint64_t finished = 0;
  uint64_t failed = 0;
  caf::response_promise done;
};

void window_next(caf::stateful_actor<window_state>* self);

void window_finish_one(caf::stateful_actor<window_state>* self) {
  auto& st = self->state;
  if (++st.finished == st.n) {
    if (st.failed > 0)
      st.done.deliver(caf::make_error(caf::sec::runtime_error,
                                      std::to_string(st.failed) + " requests failed"));
    else
      st.done.deliver(done_atom::value);
  } else if (st.next < st.n) {
    window_next(self);
  }
}

void window_next(caf::stateful_actor<window_state>* self) {
  auto i = self->state.next++;
  self->request(self->state.service, caf::infinite, ping_atom::value, i)
    .then([=](int32_t) { window_finish_one(self); },
          [=](caf::error&) {
            ++self->state.failed;
            window_finish_one(self);
          });
}

caf::behavior window_client(caf::stateful_actor<window_state>* self,
                            caf::actor service, uint64_t n, uint64_t bound) {
  self->state.service = std::move(service);
  self->state.n = n;
  self->state.bound = bound;
  return {
    [=](await_atom) -> caf::result<done_atom> {
      auto& st = self->state;
      if (st.n == 0)
        return done_atom::value;
      st.done = self->make_response_promise();
      for (uint64_t k = 0; k < st.bound && st.next < st.n; ++k)
        window_next(self);
      return st.done;
    },
  };
}

// -- concurrent_requests --------------------------------------------------------

struct client_state {
  values_ptr out;
  std::size_t remaining = 0;
  std::size_t failed = 0;
  std::vector<caf::response_promise> waiting;
};

caf::result<done_atom> client_outcome(caf::stateful_actor<client_state>* self) {
  if (self->state.failed > 0)
    return caf::make_error(caf::sec::runtime_error,
                           std::to_string(self->state.failed) + " requests failed");
  return done_atom::value;
}

// Sends requests [begin, end) to `service` as soon as it starts; answers
// `await_atom` once every reply is stored.
caf::behavior client(caf::stateful_actor<client_state>* self, caf::actor service,
                     values_ptr out, uint64_t begin, uint64_t end) {
  self->state.out = std::move(out);
  self->state.remaining = end - begin;
  for (uint64_t i = begin; i < end; ++i) {
    auto finish_one = [self] {
      auto& st = self->state;
      if (--st.remaining > 0)
        return;
      for (auto& rp : st.waiting) {
        if (st.failed > 0)
          rp.deliver(caf::make_error(caf::sec::runtime_error,
                                     std::to_string(st.failed) + " requests failed"));
        else
          rp.deliver(done_atom::value);
      }
      st.waiting.clear();
    };
    self->request(service, caf::infinite, ping_atom::value, i)
      .then(
        [=](int32_t value) {
          (*self->state.out)[i] = value;
          finish_one();
        },
        [=](caf::error&) {
          ++self->state.failed;
          finish_one();
        });
  }
  return {
    [=](await_atom) -> caf::result<done_atom> {
      if (self->state.remaining == 0)
        return client_outcome(self);
      auto rp = self->make_response_promise();
      self->state.waiting.push_back(rp);
      return rp;
    },
  };
}

// -- queued_bytes ----------------------------------------------------------------

caf::behavior blocked_consumer(caf::event_based_actor*, std::latch* gate,
                               std::atomic<bool>* started,
                               std::atomic<uint64_t>* sink) {
  return {
    [=](block_atom) {
      started->store(true);
      gate->wait();
    },
    [=](task_atom, uint64_t i) { sink->fetch_add(i, std::memory_order_relaxed); },
    [=](await_atom) { return done_atom::value; },
  };
}

// -- group_overhead ---------------------------------------------------------------

caf::behavior one_task(caf::event_based_actor*, int32_t seed) {
  return {
    [=](run_atom) {
      volatile int32_t x = trivial(static_cast<uint64_t>(seed));
      (void) x;
      return done_atom::value;
    },
  };
}

} // namespace

double caf_trivial_collect(caf::actor_system& sys, std::size_t n, std::size_t workers) {
  auto out = std::make_shared<std::vector<int32_t>>();
  auto t0 = clock::now();
  out->resize(n);
  auto coll = sys.spawn(collector, out);
  auto pool = caf::actor_pool::make(
    sys.dummy_execution_unit(), workers,
    [&] { return sys.spawn(pool_worker, coll); }, caf::actor_pool::round_robin());
  for (uint64_t i = 0; i < n; ++i)
    caf::anon_send(pool, task_atom::value, i);
  await_done(sys, coll, "caf trivial_collect");
  auto secs = seconds_since(t0);
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(coll, caf::exit_reason::user_shutdown);
  for (uint64_t i = 0; i < n; ++i)
    if ((*out)[i] != trivial(i))
      throw std::runtime_error("caf trivial_collect: wrong value at " + std::to_string(i));
  return secs;
}

double caf_latency_blocking(caf::actor_system& sys, std::size_t n, std::size_t bound,
                            std::chrono::milliseconds latency) {
  auto out = std::make_shared<std::vector<int32_t>>();
  auto t0 = clock::now();
  out->resize(n);
  auto coll = sys.spawn(collector, out);
  auto pool = caf::actor_pool::make(
    sys.dummy_execution_unit(), bound,
    [&] { return sys.spawn<caf::detached>(sleeper, coll, latency); },
    caf::actor_pool::round_robin());
  for (uint64_t i = 0; i < n; ++i)
    caf::anon_send(pool, task_atom::value, i);
  await_done(sys, coll, "caf latency_fanout/blocking");
  auto secs = seconds_since(t0);
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(coll, caf::exit_reason::user_shutdown);
  return secs;
}

double caf_latency_requests(caf::actor_system& sys, const caf::actor& service,
                            std::size_t n, std::size_t bound) {
  auto t0 = clock::now();
  auto c = sys.spawn(window_client, service, uint64_t{n}, uint64_t{bound});
  await_done(sys, c, "caf latency_fanout/go_request");
  auto secs = seconds_since(t0);
  caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
  return secs;
}

double caf_concurrent_requests(caf::actor_system& sys, const caf::actor& service,
                               std::size_t n, std::size_t per_actor) {
  auto out = std::make_shared<std::vector<int32_t>>();
  auto t0 = clock::now();
  out->resize(n);
  if (per_actor == 0)
    per_actor = n;
  std::vector<caf::actor> clients;
  for (uint64_t begin = 0; begin < n; begin += per_actor)
    clients.push_back(sys.spawn(client, service, out, begin,
                                std::min<uint64_t>(n, begin + per_actor)));
  for (auto& c : clients)
    await_done(sys, c, "caf concurrent_requests");
  auto secs = seconds_since(t0);
  for (auto& c : clients)
    caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
  for (uint64_t i = 0; i < n; ++i)
    if ((*out)[i] != static_cast<int32_t>(i))
      throw std::runtime_error("caf concurrent_requests: wrong reply at "
                               + std::to_string(i));
  return secs;
}

queued_probe caf_queued_messages(caf::actor_system& sys, std::size_t n) {
  std::latch gate{1};
  std::atomic<bool> started{false};
  std::atomic<uint64_t> sink{0};
  auto consumer = sys.spawn<caf::detached>(blocked_consumer, &gate, &started, &sink);
  caf::anon_send(consumer, block_atom::value);
  while (!started.load())
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  trim_heap();
  auto rss0 = rss_bytes();
  auto heap0 = heap_bytes();
  for (uint64_t i = 0; i < n; ++i)
    caf::anon_send(consumer, task_atom::value, i);
  auto rss1 = rss_bytes();
  auto heap1 = heap_bytes();
  gate.count_down();
  await_done(sys, consumer, "caf queued_bytes");
  caf::anon_send_exit(consumer, caf::exit_reason::user_shutdown);
  if (sink.load() != n * (n - 1) / 2 && n > 0)
    throw std::runtime_error("caf queued_bytes: lost messages");
  auto per = [n](std::size_t a, std::size_t b) {
    return n == 0 ? 0.0 : (static_cast<double>(b) - static_cast<double>(a)) / n;
  };
  return {per(rss0, rss1), per(heap0, heap1)};
}

double caf_group_overhead(caf::actor_system& sys, std::size_t iterations) {
  caf::scoped_actor self{sys};
  auto t0 = clock::now();
  for (std::size_t k = 0; k < iterations; ++k) {
    auto a = sys.spawn(one_task, static_cast<int32_t>(k));
    self->request(a, caf::infinite, run_atom::value)
      .receive([](done_atom) {},
               [&](caf::error& err) {
                 throw std::runtime_error("caf group_overhead: " + sys.render(err));
               });
  }
  return seconds_since(t0) * 1e9 / static_cast<double>(iterations);
}

} // namespace bench
