// What a node program does once its node serves (node_program.hpp).
#include "node_program.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <pthread.h>

namespace examples {

namespace {

/// Exits at once with `code`, after flushing.
[[noreturn]] void exit_now(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(code);
}

} // namespace

sigset_t block_stop_signals() {
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return stop_signals;
}

int serve_until_stopped(std::optional<parallel::remote::node>& node,
                        const sigset_t& stop_signals) {
  std::atomic<bool> signalled{false};
  std::thread on_signal([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    signalled = true;
    node->stop();
  });
  auto reason = node->wait_stopped();
  if (!signalled) {
    // The node stopped serving by itself: nothing here can fix that.
    std::cerr << "parallel-node: the node stopped serving: "
              << parallel::message(*reason) << "\n";
    exit_now(1);
  }
  on_signal.join();
  // The node actor has answered every task, but the answers may still be
  // on their way through the middleman and the guard. Destroying the node
  // drains them: it returns once every client got its last byte (at most
  // the guard's drain timeout, 2 s).
  node.reset();
  if (*reason) {
    std::cerr << "parallel-node: " << parallel::message(*reason) << "\n";
    exit_now(1);
  }
  std::cerr << "parallel-node: stopped\n";
  return 0;
}

} // namespace examples
