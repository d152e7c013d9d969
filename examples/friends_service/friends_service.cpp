// friends_service: the errgroup fan-out article as a CAF application.
//
// A user's friends page needs every friend's profile. The friend service
// streams the user's friend ids; the profile service answers one look-up at a
// time, each after a latency. Three actors, none of which ever blocks:
//
//   friend_service   (next, user, cursor) -> the next page of up to 8 ids, or
//                    an empty page at the end. Streaming by paging: it is
//                    plain request/response, and the reader stops asking the
//                    moment it wants to -- which is what the article needs
//                    select for, to keep its producer from leaking.
//   profile_service  (profile, id) -> "id: name <mail>", or an error for one
//                    broken id.
//   handler          (friends, user, bound, stream) -> (profiles sorted by id,
//                    peak look-ups in flight). The look-ups are go_request tasks
//                    of a feed<std::string> over limited(bound); the feed's
//                    receiver builds the response (no lock: it runs in one
//                    reducer actor). The handler answers its own request from
//                    group.await(self, ...), never wait(), so it could serve
//                    other requests meanwhile.
//
// serial   = the article's first version: all ids first, then one look-up at
//            a time (bound 1, stream = false).
// parallel = the final version: look-ups start as each page arrives, at most
//            `bound` in flight, the first error cancels everything (queued
//            look-ups never start, pending ones are dropped) and the request
//            has a 2 s deadline, like the article's request context.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "parallel/parallel.hpp"

using namespace std::chrono_literals;
using next_atom = caf::atom_constant<caf::atom("next")>;
using profile_atom = caf::atom_constant<caf::atom("profile")>;
using friends_atom = caf::atom_constant<caf::atom("friends")>;
using due_atom = caf::atom_constant<caf::atom("due")>;
using count_atom = caf::atom_constant<caf::atom("count")>;

using friend_db = std::map<std::string, std::vector<std::string>>;

// -- services: reply after a latency, without blocking -------------------------

struct service_state {
  std::uint64_t next_key = 0;
  std::map<std::uint64_t, std::function<void()>> due; // replies waiting for their time
  int requests = 0;                                   // since the last (count)
};
using service = caf::stateful_actor<service_state>;

void reply_later(service* self, std::chrono::milliseconds latency, std::function<void()> reply) {
  auto key = self->state.next_key++;
  self->state.due.emplace(key, std::move(reply));
  self->delayed_send(self, latency, due_atom::value, key);
}

caf::message_handler service_basics(service* self) {
  return {
    [=](due_atom, std::uint64_t key) {
      auto reply = std::move(self->state.due.at(key));
      self->state.due.erase(key);
      reply();
    },
    [=](count_atom) { return std::exchange(self->state.requests, 0); },
  };
}

caf::behavior friend_service(service* self, friend_db db, std::chrono::milliseconds latency) {
  return service_basics(self).or_else(
    [=](next_atom, const std::string& user, int cursor) {
      ++self->state.requests;
      auto& ids = db.at(user);
      auto first = ids.begin() + std::min<std::size_t>(cursor, ids.size());
      std::vector<std::string> page(first, first + std::min<std::ptrdiff_t>(8, ids.end() - first));
      reply_later(self, latency, [rp = self->make_response_promise(), page]() mutable {
        rp.deliver(page);
      });
    });
}

caf::behavior profile_service(service* self, std::string broken_id, std::chrono::milliseconds latency) {
  return service_basics(self).or_else([=](profile_atom, const std::string& id) {
    ++self->state.requests;
    reply_later(self, latency, [rp = self->make_response_promise(), id, broken_id]() mutable {
      if (id == broken_id)
        rp.deliver(parallel::make_error("profile service: " + id + " is unavailable"));
      else
        rp.deliver(id + ": Friend " + id.substr(1) + " <" + id + "@example.com>");
    });
  });
}

// -- the handler ---------------------------------------------------------------

struct job { // one (friends, ...) request in progress
  caf::actor friends, profiles;
  caf::response_promise rp;
  std::string user;
  std::size_t bound;
  bool stream;
  parallel::canceller cancel;
  std::shared_ptr<std::map<std::string, std::string>> response; // id -> profile
  parallel::feed<std::string> group;
  std::vector<std::string> ids; // serial only: every id, before any look-up
};
using job_ptr = std::shared_ptr<job>;

void look_up(const job_ptr& j, const std::vector<std::string>& ids) {
  for (auto& id : ids) // a task that holds a slot, but no thread, until the reply
    j->group.go_request(j->profiles, 1s, profile_atom::value, id);
}

void finish(caf::event_based_actor* self, job_ptr j) {
  if (!j->stream)
    look_up(j, j->ids);
  j->group.await(self, [j](parallel::error err) { // runs later, inside the handler
    auto peak = j->group.stats().peak_in_flight;
    if (!err && peak > j->bound)
      err = parallel::make_error("bound exceeded"); // the library broke its promise
    if (err)
      return j->rp.deliver(err);
    std::vector<std::string> profiles; // every value was received: read freely
    for (auto& [id, profile] : *j->response)
      profiles.push_back(profile);
    j->rp.deliver(std::move(profiles), int(peak));
  });
}

void next_page(caf::event_based_actor* self, job_ptr j, int cursor) {
  self->request(j->friends, 1s, next_atom::value, j->user, cursor)
    .then(
      [=](std::vector<std::string>& page) {
        if (j->stream)
          look_up(j, page);
        else
          j->ids.insert(j->ids.end(), page.begin(), page.end());
        if (page.empty() || j->group.group_context().cancelled())
          return finish(self, j); // end of stream, or no point reading on
        next_page(self, j, cursor + int(page.size()));
      },
      [=](caf::error& err) {
        j->cancel(err); // the group reports it: the parent context's cause
        finish(self, j);
      });
}

caf::behavior handler(caf::event_based_actor* self, caf::actor friends, caf::actor profiles) {
  return {
    [=](friends_atom, const std::string& user, int bound, bool stream) {
      auto [ctx, cancel] = parallel::with_timeout(parallel::context::background(), 2s);
      auto response = std::make_shared<std::map<std::string, std::string>>();
      auto receiver = [response](const parallel::context&, std::string profile) {
        (*response)[profile.substr(0, profile.find(':'))] = std::move(profile);
      };
      auto bound_n = static_cast<std::size_t>(bound);
      auto j = std::make_shared<job>(job{
        friends, profiles, self->make_response_promise(), user, bound_n, stream, cancel,
        response, parallel::feed<std::string>(parallel::limited(self->system(), ctx, bound_n), receiver),
        {}});
      next_page(self, j, 0);
    },
  };
}

// -- main: serial against parallel, then a failing look-up ----------------------

int main() {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  bool ok = true;
  {
    friend_db db;
    for (int i = 1; i <= 40; ++i) {
      char id[8];
      std::snprintf(id, sizeof id, "u%03d", i);
      db["alice"].push_back(id);
    }
    db["mallory"] = db["alice"];
    db["mallory"].insert(db["mallory"].begin() + 20, "u666");
    auto friends = sys.spawn(friend_service, db, 5ms);
    auto profiles = sys.spawn(profile_service, std::string{"u666"}, 10ms);
    auto h = sys.spawn(handler, friends, profiles);
    caf::scoped_actor self{sys};

    std::string last_error;
    auto run = [&](const char* user, int bound, bool stream, std::vector<std::string>& out) {
      auto start = std::chrono::steady_clock::now();
      self->request(h, 10s, friends_atom::value, std::string{user}, bound, stream)
        .receive(
          [&](std::vector<std::string>& ps, int peak) {
            out = std::move(ps);
            std::printf("%-8s bound %2d, %s: %zu profiles, peak in flight %d",
                        user, bound, stream ? "streamed" : "ids first", out.size(), peak);
            ok = ok && peak <= bound;
          },
          [&](caf::error& err) {
            out.clear();
            last_error = parallel::message(err);
            std::printf("%-8s bound %2d: error \"%s\"", user, bound,
                        parallel::message(err).c_str());
          });
      auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      std::printf(", %.0f ms\n", ms);
      return ms;
    };

    std::vector<std::string> serial, streamed, failed;
    auto t_serial = run("alice", 1, false, serial);
    auto t_parallel = run("alice", 10, true, streamed);
    std::printf("speed-up %.1fx (ideal for 40 look-ups of 10 ms, 10 at a time: 40 ms)\n",
                t_serial / t_parallel);
    ok = ok && serial.size() == 40 && streamed == serial
         && serial.front() == "u001: Friend 001 <u001@example.com>";

    self->request(profiles, 1s, count_atom::value).receive([](int) {}, [](caf::error&) {});
    run("mallory", 10, true, failed); // u666 fails: the rest is cancelled
    int looked_up = 0;
    self->request(profiles, 1s, count_atom::value).receive([&](int n) { looked_up = n; },
                                                           [](caf::error&) {});
    std::printf("mallory: %d of 41 look-ups were made before the error stopped the rest\n",
                looked_up);
    ok = ok && failed.empty() && last_error == "profile service: u666 is unavailable"
         && looked_up < 41;

    for (auto& a : {h, friends, profiles})
      self->send_exit(a, caf::exit_reason::user_shutdown);
  }
  std::printf("%s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
