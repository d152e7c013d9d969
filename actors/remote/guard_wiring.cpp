// Putting the BASP guard in front of a node's or a client's middleman.
#include "guard_wiring.hpp"

#include <map>
#include <mutex>
#include <tuple>

#include <caf/actor_system.hpp>

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
  node_guard out;
  out.guard = std::make_unique<basp_guard>(opts.guard, "parallel::remote node guard");
  auto port = out.guard->serve(opts.host, opts.port, inside_port, std::move(ctx));
  if (!port)
    return port.error();
  out.port = *port;
  return out;
}

expected<std::shared_ptr<guarded_link>>
guard_link(caf::actor_system& sys, const node_address& addr,
           std::chrono::steady_clock::time_point deadline,
           const guard_options& limits) {
  tls_context ctx;
  if (auto tls = tls_of(sys); tls.enabled()) {
    auto made = client_context(tls);
    if (!made)
      return made.error();
    ctx = *made;
  }
  return basp_guard::client_side().open_link(addr.host, addr.port, std::move(ctx),
                                             deadline, limits);
}

} // namespace parallel::remote::detail
