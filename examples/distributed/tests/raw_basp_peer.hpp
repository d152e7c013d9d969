// A hostile BASP peer on a raw socket, for tests of what a connected peer
// can forge: it shakes hands with a node through its guard as a CAF client
// would, then sends frames that CAF's own serializer made.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>
#include <caf/node_id.hpp>

namespace test {

/// BASP operations of CAF 0.17.6 (caf/io/basp/message_type.hpp).
enum class basp_op : uint8_t {
  server_handshake = 0,
  client_handshake = 1,
  direct_message = 2,
  routed_message = 3,
  monitor_message = 4,
  down_message = 5,
  heartbeat = 6,
};

/// A node id no actor system has: a random host hash and process id.
inline caf::node_id made_up_node_id() {
  std::random_device rd;
  caf::node_id::default_data::host_id_type host;
  for (auto& b : host)
    b = static_cast<uint8_t>(rd() | 1);
  return caf::make_node_id(rd(), host);
}

/// One connection to a node's public port, speaking BASP by hand. Every
/// wait is bounded; a write to a connection the guard closed is ignored
/// (the test looks at what happened afterwards).
class raw_basp_peer {
public:
  /// What became of the connection while waiting for an answer.
  enum class outcome { answered, closed, timed_out };

  /// Connects to 127.0.0.1:`port` and reads the node's server_handshake.
  /// `sys` serializes the frames (its node id is not used).
  raw_basp_peer(caf::actor_system& sys, uint16_t port) : sys_(sys) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
      throw std::runtime_error("cannot connect to the node");
    std::vector<char> payload;
    if (read_frame(payload) != basp_op::server_handshake)
      throw std::runtime_error("the node's first frame is not its handshake");
    caf::binary_deserializer source{sys_, payload};
    if (source(node_))
      throw std::runtime_error("cannot read the node's id");
  }

  raw_basp_peer(const raw_basp_peer&) = delete;
  raw_basp_peer& operator=(const raw_basp_peer&) = delete;

  ~raw_basp_peer() {
    ::close(fd_);
  }

  /// The node's id, from its handshake.
  const caf::node_id& node() const {
    return node_;
  }

  /// Answers the node's handshake declaring node id `as`, as CAF's client
  /// does: once plain, once with select_connection.
  void handshake(caf::node_id as) {
    for (uint8_t flags : {0, 2})
      frame(basp_op::client_handshake, flags, 0, 0, 0, bytes(as));
  }

  /// A direct message from actor `source` (of the declared node) to actor
  /// `dest` of the node; `request` > 0 makes it a request with that id.
  void direct(uint64_t source, uint64_t dest, caf::message msg, uint64_t request = 0) {
    std::vector<caf::strong_actor_ptr> stages;
    frame(basp_op::direct_message, 0, request_id(request), source, dest,
          bytes(stages, msg));
  }

  /// A direct message from actor `source` to the actor the node registered
  /// under `name` (CAF's named_receiver flag), e.g. "SpawnServ".
  void named(uint64_t source, caf::atom_value name, caf::message msg,
             uint64_t request = 0) {
    std::vector<caf::strong_actor_ptr> stages;
    frame(basp_op::direct_message, 1, request_id(request), source,
          static_cast<uint64_t>(name), bytes(stages, msg));
  }

  /// A routed message from actor `source` of node `source_node` to actor
  /// `dest` of node `dest_node`.
  void routed(caf::node_id source_node, uint64_t source, caf::node_id dest_node,
              uint64_t dest, caf::message msg) {
    std::vector<caf::strong_actor_ptr> stages;
    frame(basp_op::routed_message, 0, 0, source, dest,
          bytes(source_node, dest_node, stages, msg));
  }

  /// A down_message: actor `source` of `source_node` has ended.
  void down(caf::node_id source_node, uint64_t source, caf::error reason) {
    auto dest_node = node_;
    frame(basp_op::down_message, 0, 0, source, 0,
          bytes(source_node, dest_node, reason));
  }

  /// A monitor_message: `source_node` monitors the node's actor `dest`.
  void monitor(caf::node_id source_node, uint64_t dest) {
    auto dest_node = node_;
    frame(basp_op::monitor_message, 0, 0, 0, dest, bytes(source_node, dest_node));
  }

  /// Reads what the node sends until a direct message for actor `to`
  /// arrives (the answer to a request sent from `to`), the connection ends,
  /// or `limit` passes.
  /// `answer` gets its payload (forwarding stages and message).
  outcome await_answer(uint64_t to, std::vector<char>* answer = nullptr,
                       std::chrono::milliseconds limit = std::chrono::milliseconds(20000)) {
    deadline_ = std::chrono::steady_clock::now() + limit;
    try {
      for (;;) {
        std::vector<char> payload;
        if (read_frame(payload) == basp_op::direct_message && last_dest_ == to) {
          if (answer != nullptr)
            *answer = std::move(payload);
          return outcome::answered;
        }
      }
    } catch (const closed&) {
      return outcome::closed;
    } catch (const late&) {
      return outcome::timed_out;
    }
  }

private:
  struct closed {};
  struct late {};

  static uint64_t request_id(uint64_t n) {
    return n == 0 ? 0 : caf::make_message_id(n).integer_value();
  }

  template <class... Ts>
  std::vector<char> bytes(Ts... xs) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys_, buf};
    if (sink(xs...))
      throw std::runtime_error("cannot serialize a BASP payload");
    return buf;
  }

  void frame(basp_op op, uint8_t flags, uint64_t op_data, uint64_t source,
             uint64_t dest, const std::vector<char>& payload) {
    std::vector<char> out(32);
    auto put = [&](std::size_t at, uint64_t x, std::size_t n) {
      for (std::size_t i = 0; i < n; ++i)
        out[at + i] = static_cast<char>(x >> (8 * (n - 1 - i)));
    };
    put(0, static_cast<uint8_t>(op), 1);
    put(3, flags, 1);
    put(4, payload.size(), 4);
    put(8, op_data, 8);
    put(16, source, 8);
    put(24, dest, 8);
    out.insert(out.end(), payload.begin(), payload.end());
    std::size_t sent = 0;
    while (sent < out.size()) {
      auto n = ::send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0)
        return; // closed by the guard: what follows shows it
      sent += static_cast<std::size_t>(n);
    }
  }

  void read_exact(char* p, std::size_t n) {
    while (n > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline_ - std::chrono::steady_clock::now())
                    .count();
      pollfd pfd{fd_, POLLIN, 0};
      if (left <= 0 || ::poll(&pfd, 1, static_cast<int>(left)) <= 0)
        throw late{};
      auto got = ::recv(fd_, p, n, 0);
      if (got <= 0)
        throw closed{};
      p += got;
      n -= static_cast<std::size_t>(got);
    }
  }

  basp_op read_frame(std::vector<char>& payload) {
    if (deadline_ == std::chrono::steady_clock::time_point{})
      deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    unsigned char hdr[32];
    read_exact(reinterpret_cast<char*>(hdr), sizeof(hdr));
    auto field = [&](std::size_t at, std::size_t n) {
      uint64_t x = 0;
      for (std::size_t i = 0; i < n; ++i)
        x = (x << 8) | hdr[at + i];
      return x;
    };
    last_dest_ = field(24, 8);
    payload.resize(field(4, 4));
    read_exact(payload.data(), payload.size());
    return static_cast<basp_op>(hdr[0]);
  }

  caf::actor_system& sys_;
  int fd_ = -1;
  caf::node_id node_;
  uint64_t last_dest_ = 0;
  std::chrono::steady_clock::time_point deadline_{};
};

} // namespace test
