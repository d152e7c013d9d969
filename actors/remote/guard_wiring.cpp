// Putting the BASP guard in front of a node's or a client's middleman.
#include "guard_wiring.hpp"

#include <map>
#include <mutex>
#include <tuple>

#include <caf/actor_system.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/node_id.hpp>

#include "multiplexer_slot.hpp"

namespace parallel::remote::detail {

namespace {

/// A client's TLS context, made once per set of files and reused by every
/// connection (a context loads and parses the files).
expected<tls_context> client_context(const tls_options& tls) {
  using files = std::tuple<std::string, std::string, std::string, std::string>;
  static std::mutex mtx;
  // Never destroyed: freeing a context after OpenSSL's own exit handler ran
  // would crash at exit.
  static auto& made = *new std::map<files, tls_context>;
  auto key = std::make_tuple(tls.certificate, tls.key, tls.ca_file, tls.passphrase);
  std::lock_guard<std::mutex> guard{mtx};
  if (auto i = made.find(key); i != made.end())
    return i->second;
  auto ctx = make_tls_context(tls, false);
  if (ctx)
    made.emplace(key, *ctx);
  return ctx;
}

/// This process's node id as CAF 0.17.6 puts it on the wire, for the guard
/// to compare with the ids a peer's frames declare.
expected<std::string> serialized_node(caf::actor_system& sys) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto id = sys.node();
  if (auto err = sink(id); err || buf.size() < 8)
    return make_error("cannot serialize this process's CAF node id");
  return std::string{buf.begin(), buf.end()};
}

/// The multiplexer a guard of `sys` joins, or why there is none.
expected<caf::io::network::default_multiplexer*> multiplexer_of(caf::actor_system& sys) {
  if (auto* mpx = default_multiplexer_of(sys))
    return mpx;
  return make_error("the BASP guard needs CAF's default network backend "
                    "(middleman.network-backend)");
}

/// The client guard of each actor system that connected to a node. A guard
/// lives in its system's multiplexer, so it ends with the system's BASP
/// broker: the broker ends when the middleman stops, on the multiplexer's
/// thread, before that thread is joined.
std::mutex client_guards_mtx;
auto& client_guards = *new std::map<caf::actor_system*, std::shared_ptr<basp_guard>>;

expected<std::shared_ptr<basp_guard>> client_guard(caf::actor_system& sys) {
  std::shared_ptr<basp_guard> made;
  {
    std::lock_guard<std::mutex> guard{client_guards_mtx};
    if (auto i = client_guards.find(&sys); i != client_guards.end())
      return i->second;
    auto mpx = multiplexer_of(sys);
    if (!mpx)
      return mpx.error();
    made = std::make_shared<basp_guard>(**mpx, guard_options{},
                                        "parallel::remote client guard");
    client_guards.emplace(&sys, made);
  }
  // (Runs at once if the broker ended already.)
  auto basp = sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  basp->attach_functor([key = &sys, mine = std::weak_ptr<basp_guard>{made}] {
    std::shared_ptr<basp_guard> ended;
    {
      std::lock_guard<std::mutex> guard{client_guards_mtx};
      auto i = client_guards.find(key);
      if (i == client_guards.end() || i->second != mine.lock())
        return;
      ended = std::move(i->second);
      client_guards.erase(i);
    }
    ended->close();
  });
  return made;
}

} // namespace

expected<node_guard> guard_node(caf::actor_system& sys, const node_options& opts,
                                uint16_t inside_port) {
  tls_context ctx;
  if (auto tls = tls_of(sys); tls.enabled()) {
    auto made = make_tls_context(tls, true);
    if (!made)
      return made.error();
    ctx = *made;
  }
  auto self = serialized_node(sys);
  if (!self)
    return self.error();
  auto mpx = multiplexer_of(sys);
  if (!mpx)
    return mpx.error();
  node_guard out;
  out.guard = std::make_unique<basp_guard>(**mpx, opts.guard,
                                           "parallel::remote node guard");
  auto port = out.guard->serve(opts.host, opts.port, inside_port, std::move(ctx),
                               std::move(*self), opts.host_lookup_timeout);
  if (!port)
    return port.error();
  out.port = *port;
  return out;
}

expected<std::shared_ptr<guarded_link>>
guard_link(caf::actor_system& sys, const node_address& addr,
           std::chrono::steady_clock::time_point deadline,
           const guard_options& limits,
           const std::shared_ptr<connect_cancel>& cancel) {
  tls_context ctx;
  if (auto tls = tls_of(sys); tls.enabled()) {
    auto made = client_context(tls);
    if (!made)
      return made.error();
    ctx = *made;
  }
  auto self = serialized_node(sys);
  if (!self)
    return self.error();
  auto guard = client_guard(sys);
  if (!guard)
    return guard.error();
  return (*guard)->open_link(addr.host, addr.port, std::move(ctx), deadline, limits,
                             std::move(*self), cancel);
}

} // namespace parallel::remote::detail
