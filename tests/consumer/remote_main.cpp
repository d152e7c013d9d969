// Squares ten numbers on a node through the installed library: the node runs
// in a child process, this process is the client, both on 127.0.0.1.
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <parallel/parallel.hpp>
#include <parallel/remote/remote.hpp>

namespace remote = parallel::remote;

namespace {

std::shared_ptr<remote::registry> tasks() {
  auto reg = std::make_shared<remote::registry>();
  reg->add("square", [](const parallel::context&, int32_t x) { return x * x; });
  return reg;
}

// The node: serves on a free port, writes the port to `port_out`, and stops
// once `stop_in` is closed (by the client, or by its exit).
int run_node(int port_out, int stop_in) {
  auto reg = tasks();
  caf::actor_system_config cfg;
  remote::configure(cfg, *reg);
  caf::actor_system sys{cfg};
  auto node = remote::node::start(sys, reg, {.host = "127.0.0.1", .port = 0});
  if (!node) {
    std::cerr << "node: " << parallel::message(node.error()) << "\n";
    return 1;
  }
  uint16_t port = node->port();
  if (write(port_out, &port, sizeof port) != sizeof port)
    return 1;
  close(port_out);
  char c;
  while (read(stop_in, &c, 1) > 0) {
  }
  node->stop();
  return 0;
}

int run_client(uint16_t port) {
  auto reg = tasks();
  caf::actor_system_config cfg;
  remote::configure(cfg, *reg);
  caf::actor_system sys{cfg};
  auto nodes = remote::cluster::connect(sys, "127.0.0.1:" + std::to_string(port));
  if (!nodes) {
    std::cerr << "client: " << parallel::message(nodes.error()) << "\n";
    return 1;
  }
  auto squares = parallel::collect<int32_t>(remote::spread(parallel::unlimited(sys), *nodes));
  for (int32_t i = 0; i < 10; ++i)
    remote::go_remote(squares, "square", i);
  auto got = squares.wait();
  if (!got) {
    std::cerr << "client: " << parallel::message(got.error()) << "\n";
    return 1;
  }
  return got->size() == 10 && (*got)[9] == 81 ? 0 : 1;
}

} // namespace

int main() {
  // Fork before any actor system exists, so no thread is lost in the child.
  int port_pipe[2];
  int stop_pipe[2];
  if (pipe(port_pipe) != 0 || pipe(stop_pipe) != 0) {
    std::cerr << "pipe failed\n";
    return 1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    std::cerr << "fork failed\n";
    return 1;
  }
  if (pid == 0) {
    close(port_pipe[0]);
    close(stop_pipe[1]);
    _exit(run_node(port_pipe[1], stop_pipe[0]));
  }
  close(port_pipe[1]);
  close(stop_pipe[0]);
  uint16_t port = 0;
  int rc = 1;
  if (read(port_pipe[0], &port, sizeof port) == sizeof port)
    rc = run_client(port);
  else
    std::cerr << "the node did not start\n";
  close(stop_pipe[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "the node failed\n";
    rc = 1;
  }
  return rc;
}
