// failing-node: a node program like parallel-node (the same exit path,
// node_program.cpp) whose node actor runs out of memory, for the test that
// a node program whose node actor fails exits 1 with one line of reason.
//
//   failing-node --heartbeat MS --connection-timeout MS --port N
//
// Serves the example tasks plus one more whose name is `poisoned_name_length`
// characters long. Its allocator fails every allocation of exactly that
// length plus one byte (one copy of that name, an odd size nothing else here
// asks for) after the first one once the node serves: the first is the copy
// the node actor makes when a client connects and asks for the task names;
// the second `tasks` request then throws std::bad_alloc in the node actor's
// own handler, which is the failure left to a node actor (its handlers
// catch what a peer's input can cause): CAF ends the actor.
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <new>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "../example_tasks.hpp"
#include "../node_program.hpp"

namespace {

constexpr std::size_t poisoned_name_length = 100002;

/// Armed once the node serves; counts the poisoned allocations since.
std::atomic<bool> armed{false};
std::atomic<int> poisoned_seen{0};

void* allocate(std::size_t n) {
  if (n == poisoned_name_length + 1 && armed && ++poisoned_seen >= 2)
    throw std::bad_alloc{};
  if (auto* p = std::malloc(n == 0 ? 1 : n))
    return p;
  throw std::bad_alloc{};
}

[[noreturn]] void usage() {
  std::cerr << "usage: failing-node --heartbeat MS --connection-timeout MS --port N\n";
  std::exit(2);
}

} // namespace

void* operator new(std::size_t n) {
  return allocate(n);
}

void* operator new[](std::size_t n) {
  return allocate(n);
}

// Every unaligned form, so that each allocation is freed by its own kind
// (sanitizers check that).
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}

void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}

void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

void operator delete(void* p) noexcept {
  std::free(p);
}

void operator delete[](void* p) noexcept {
  std::free(p);
}

void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

int main(int argc, char** argv) {
  parallel::remote::node_options opts;
  parallel::remote::network_options net;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string opt = argv[i];
    auto val = std::strtoul(argv[i + 1], nullptr, 10);
    if (opt == "--heartbeat")
      net.heartbeat_interval = std::chrono::milliseconds(val);
    else if (opt == "--connection-timeout")
      net.connection_timeout = std::chrono::milliseconds(val);
    else if (opt == "--port")
      opts.port = static_cast<uint16_t>(val);
    else
      usage();
  }
  if (argc % 2 != 1)
    usage();
  auto stop_signals = examples::block_stop_signals();
  auto reg = examples::make_registry();
  reg->add(std::string(poisoned_name_length, 'x'),
           [](const parallel::context&) { return int32_t{0}; });
  caf::actor_system_config cfg;
  parallel::remote::configure(cfg, *reg, net);
  caf::actor_system sys{cfg};
  auto started = parallel::remote::node::start(sys, reg, opts);
  if (!started) {
    std::cerr << "failing-node: " << parallel::message(started.error()) << "\n";
    return 1;
  }
  std::optional<parallel::remote::node> node{std::move(*started)};
  armed = true;
  std::cout << node->port() << std::endl;
  std::cerr << "failing-node: serving on 127.0.0.1:" << node->port() << "\n";
  return examples::serve_until_stopped(node, stop_signals);
}
