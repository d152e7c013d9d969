// parallel-node: a ready worker node serving the example tasks.
//
//   parallel-node [--port N] [--host ADDR] [--max-in-flight N]
//                 [--tls-cert FILE --tls-key FILE --tls-ca FILE]
//                 [--heartbeat MS] [--connection-timeout MS]
//                 [--tasks NAME,NAME...] [--stop-grace MS]
//                 [--handshake-timeout MS] [--max-connections N]
//                 [--max-handshaking N] [--max-connects-per-source N]
//                 [--max-connects-from-new-sources N] [--max-message BYTES]
//
// Prints the port it listens on as its first line (useful with --port 0),
// then serves until SIGINT or SIGTERM, which stop it gracefully: it stops
// listening, cancels the running tasks, answers them as cancelled and exits
// 0 once they returned (1 if some did not within --stop-grace), after the
// answers left (at most 2 s more). If the node
// stops serving by itself, it exits 1 with the reason on one line, so that a
// process supervisor can restart it. Listens on 127.0.0.1 unless --host
// says otherwise (--host 0.0.0.0 for every interface). With the three TLS
// options it accepts only clients whose certificate the CA signed.
// Heartbeats (--heartbeat, default 500 ms) tell clients the node is alive:
// every client's connection timeout must be well above the node's heartbeat
// interval, or it declares a healthy node down. The last six options set
// the guard in front of CAF's parser (docs/distributed.md, "Trust model").
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "example_tasks.hpp"
#include "tls_args.hpp"
#include "node_program.hpp"

namespace {

void usage(const char* why) {
  std::cerr << "parallel-node: " << why << "\n"
            << "usage: parallel-node [--port N] [--host ADDR] [--max-in-flight N]\n"
            << "                     [--tls-cert FILE --tls-key FILE --tls-ca FILE]\n"
            << "                     [--heartbeat MS] [--connection-timeout MS]\n"
            << "                     [--tasks NAME,NAME...] [--stop-grace MS]\n"
            << "                     [--handshake-timeout MS] [--max-connections N]\n"
            << "                     [--max-handshaking N] [--max-connects-per-source N]\n"
            << "                     [--max-connects-from-new-sources N] [--max-message BYTES]\n"
            << "  --heartbeat MS           heartbeat interval, at least 1 (default 500);\n"
            << "                           clients' connection timeouts must exceed it\n"
            << "  --connection-timeout MS  a client silent this long is gone; above\n"
            << "                           --heartbeat (default 5000)\n"
            << "  --tasks NAME,NAME...     serve only these example tasks (default: all)\n"
            << "  --stop-grace MS          on SIGTERM/SIGINT, wait this long for the\n"
            << "                           cancelled tasks to return (default 5000)\n"
            << "  --handshake-timeout MS   a client's TLS and BASP handshake must end\n"
            << "                           this soon after it connects (default 5000)\n"
            << "  --max-connections N      clients at once; more are refused (default 256)\n"
            << "  --max-handshaking N      clients in their handshake at once (default 64)\n"
            << "  --max-connects-per-source N\n"
            << "                           new connections one address (IPv6: one /64)\n"
            << "                           may open a second, bursts of 2N; 0: no\n"
            << "                           limit (default)\n"
            << "  --max-connects-from-new-sources N\n"
            << "                           new connections a second, bursts of 2N, over\n"
            << "                           all sources without a completed handshake in\n"
            << "                           the last hour; 0: no limit (default)\n"
            << "  --max-message BYTES      the largest request a client may send\n"
            << "                           (default 8388608)\n";
  std::exit(2);
}

unsigned long number(const std::string& opt, const char* text, unsigned long max) {
  char* end = nullptr;
  errno = 0;
  auto n = std::strtoul(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || n > max || text[0] == '-')
    usage((opt + " takes a number up to " + std::to_string(max)).c_str());
  return n;
}

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    auto item = text.substr(pos, comma == std::string::npos ? std::string::npos
                                                            : comma - pos);
    if (!item.empty())
      out.push_back(item);
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  return out;
}

} // namespace

int main(int argc, char** argv) {
  parallel::remote::node_options opts;
  parallel::remote::network_options net;
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    std::string opt = argv[i];
    if (opt == "--help" || opt == "-h")
      usage("serves the example tasks to client groups");
    if (i + 1 >= argc)
      usage((opt + " needs a value (or is unknown)").c_str());
    const char* val = argv[++i];
    if (opt == "--port")
      opts.port = static_cast<uint16_t>(number(opt, val, 65535));
    else if (opt == "--host")
      opts.host = val;
    else if (opt == "--max-in-flight")
      opts.max_in_flight = number(opt, val, 1 << 20);
    else if (examples::take_tls_option(opt, val, net.tls))
      continue;
    else if (opt == "--heartbeat")
      net.heartbeat_interval = std::chrono::milliseconds(number(opt, val, 3600000));
    else if (opt == "--connection-timeout")
      net.connection_timeout = std::chrono::milliseconds(number(opt, val, 3600000));
    else if (opt == "--stop-grace")
      opts.stop_grace = std::chrono::milliseconds(number(opt, val, 3600000));
    else if (opt == "--tasks")
      only = split_names(val);
    else if (opt == "--handshake-timeout")
      opts.guard.handshake_timeout = std::chrono::milliseconds(number(opt, val, 3600000));
    else if (opt == "--max-connections")
      opts.guard.max_connections = number(opt, val, 1 << 20);
    else if (opt == "--max-handshaking")
      opts.guard.max_handshaking = number(opt, val, 1 << 20);
    else if (opt == "--max-connects-per-source")
      opts.guard.max_connects_per_source = number(opt, val, 1 << 20);
    else if (opt == "--max-connects-from-new-sources")
      opts.guard.max_connects_from_new_sources = number(opt, val, 1 << 20);
    else if (opt == "--max-message")
      opts.guard.max_message_bytes = static_cast<uint32_t>(number(opt, val, 0xffffffffUL));
    else
      usage(("unknown option " + opt).c_str());
  }
  // Without heartbeats an idle node is silent, and clients (whose connection
  // timeout must exceed this interval) would declare it down.
  if (net.heartbeat_interval.count() == 0)
    usage("--heartbeat must be at least 1 ms (clients need the heartbeats)");
  if (net.connection_timeout <= net.heartbeat_interval)
    usage("--connection-timeout must be above --heartbeat");
  if (opts.guard.handshake_timeout.count() == 0 || opts.guard.max_connections == 0
      || opts.guard.max_handshaking == 0)
    usage("--handshake-timeout, --max-connections and --max-handshaking must be at "
          "least 1");
  if (auto err = parallel::remote::check_tls(net.tls))
    usage(parallel::message(err).c_str());

  // Before the actor system: its threads inherit the signal mask.
  auto stop_signals = examples::block_stop_signals();

  auto reg = examples::make_registry(only);
  if (reg->names().size() != (only.empty() ? examples::make_registry()->names().size()
                                           : only.size()))
    usage("--tasks names a task this node does not have");
  caf::actor_system_config cfg;
  parallel::remote::configure(cfg, *reg, net);
  caf::actor_system sys{cfg};
  {
    auto started = parallel::remote::node::start(sys, reg, opts);
    if (!started) {
      std::cerr << "parallel-node: " << parallel::message(started.error()) << "\n";
      return 1;
    }
    std::optional<parallel::remote::node> node{std::move(*started)};
    std::cout << node->port() << std::endl;
    std::cerr << "parallel-node: serving " << reg->names().size() << " tasks on "
              << (opts.host.empty() ? "*" : opts.host) << ":" << node->port()
              << (net.tls.enabled() ? " (TLS)" : "") << ", at most "
              << opts.max_in_flight << " at once\n";
    return examples::serve_until_stopped(node, stop_signals);
  }
}
