// Putting the BASP guard in front of a node's or a client's middleman.
#include "guard_wiring.hpp"

#include <map>
#include <mutex>
#include <tuple>

#include <caf/actor_system.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/node_id.hpp>

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
  node_guard out;
  out.guard = std::make_unique<basp_guard>(opts.guard, "parallel::remote node guard");
  auto port = out.guard->serve(opts.host, opts.port, inside_port, std::move(ctx),
                               std::move(*self));
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
  return basp_guard::client_side().open_link(addr.host, addr.port, std::move(ctx),
                                             deadline, limits, std::move(*self),
                                             cancel);
}

} // namespace parallel::remote::detail
