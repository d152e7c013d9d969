#include "handler_load.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "harness.hpp"

namespace bench {

namespace {

using start_atom = caf::atom_constant<caf::atom("b_start")>;

// Written by the client actor; read by the bench thread once `done` is set.
struct load_report {
  std::atomic<std::size_t> answered{0};
  std::atomic<bool> done{false};
  clock::time_point end;
  std::vector<double> latencies_us;
  std::size_t wrong = 0;
  std::string first_wrong;
};

struct client_state {
  std::shared_ptr<load_report> report;
  handler_spawner spawn;
  uint64_t requests = 0;
  uint64_t next = 0;
};

void send_next(caf::stateful_actor<client_state>* self);

void finish_one(caf::stateful_actor<client_state>* self, clock::time_point sent) {
  auto& st = self->state;
  auto& rep = *st.report;
  rep.latencies_us.push_back(
    std::chrono::duration<double, std::micro>(clock::now() - sent).count());
  auto n = rep.answered.load(std::memory_order_relaxed) + 1;
  if (n == st.requests) {
    rep.end = clock::now();
    rep.answered.store(n, std::memory_order_relaxed);
    rep.done.store(true, std::memory_order_release);
    return;
  }
  rep.answered.store(n, std::memory_order_relaxed);
  if (st.next < st.requests)
    send_next(self);
}

void send_next(caf::stateful_actor<client_state>* self) {
  auto id = self->state.next++;
  auto handler = self->state.spawn(self->system());
  auto sent = clock::now();
  self->request(handler, caf::infinite, handle_atom::value, id)
    .then(
      [=](int64_t answer) {
        if (answer != answer_of(id)) {
          auto& rep = *self->state.report;
          if (rep.wrong++ == 0)
            rep.first_wrong = "request " + std::to_string(id) + " answered "
                              + std::to_string(answer) + ", expected "
                              + std::to_string(answer_of(id));
        }
        finish_one(self, sent);
      },
      [=](caf::error& err) {
        auto& rep = *self->state.report;
        if (rep.wrong++ == 0)
          rep.first_wrong = "request " + std::to_string(id) + " failed: "
                            + self->system().render(err);
        finish_one(self, sent);
      });
}

caf::behavior client(caf::stateful_actor<client_state>* self,
                     std::shared_ptr<load_report> report, handler_spawner spawn,
                     uint64_t requests, uint64_t in_flight) {
  self->state.report = std::move(report);
  self->state.spawn = std::move(spawn);
  self->state.requests = requests;
  self->state.report->latencies_us.reserve(requests);
  return {
    [=](start_atom) {
      for (uint64_t k = 0; k < in_flight && self->state.next < requests; ++k)
        send_next(self);
    },
  };
}

// The most threads the process holds while it lives, read every millisecond,
// not counting the sampling thread itself.
class thread_peak {
public:
  thread_peak()
    : peak_(thread_count()), thread_([this](std::stop_token st) {
        while (!st.stop_requested()) {
          auto n = thread_count() - 1;
          if (n > peak_.load())
            peak_.store(n);
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }) {
  }

  std::size_t peak() const {
    return peak_.load();
  }

private:
  std::atomic<std::size_t> peak_;
  std::jthread thread_;
};

} // namespace

handler_timing run_handlers(caf::actor_system& sys, const handler_spawner& spawn,
                            std::size_t requests, std::size_t in_flight,
                            std::chrono::seconds stall_limit, const char* what) {
  handler_timing out;
  if (requests == 0)
    return out;
  out.threads_before = static_cast<double>(thread_count());
  auto report = std::make_shared<load_report>();
  thread_peak peak;
  auto c = sys.spawn(client, report, spawn, uint64_t{requests}, uint64_t{in_flight});
  auto t0 = clock::now();
  caf::anon_send(c, start_atom::value);
  auto last_answered = std::size_t{0};
  auto last_progress = clock::now();
  while (!report->done.load(std::memory_order_acquire)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto n = report->answered.load(std::memory_order_relaxed);
    if (n != last_answered) {
      last_answered = n;
      last_progress = clock::now();
    } else if (clock::now() - last_progress > stall_limit) {
      std::fprintf(stderr,
                   "parallel-bench: %s: stall: no answer for %lld s, %zu of %zu "
                   "requests answered; giving up\n",
                   what, static_cast<long long>(stall_limit.count()), n, requests);
      std::fflush(stderr);
      std::_Exit(3);
    }
  }
  out.threads_peak = static_cast<double>(peak.peak());
  caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
  if (report->wrong > 0)
    throw std::runtime_error(std::string{what} + ": " + std::to_string(report->wrong)
                             + " of " + std::to_string(requests)
                             + " answers wrong, the first: " + report->first_wrong);
  auto secs = std::chrono::duration<double>(report->end - t0).count();
  out.requests_per_s = static_cast<double>(requests) / secs;
  auto& lat = report->latencies_us;
  std::sort(lat.begin(), lat.end());
  out.p99_us = lat[lat.size() * 99 / 100];
  return out;
}

} // namespace bench
