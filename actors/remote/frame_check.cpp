// Checking a peer's BASP byte stream frame by frame.
#include "frame_check.hpp"

#include <algorithm>
#include <cstring>

namespace parallel::remote::detail {

namespace {

// BASP operations of CAF 0.17.6 (caf/io/basp/message_type.hpp).
enum op : uint8_t {
  server_handshake = 0x00,
  client_handshake = 0x01,
  direct_message = 0x02,
  routed_message = 0x03,
  monitor_message = 0x04,
  down_message = 0x05,
  heartbeat = 0x06,
};

// The flags CAF 0.17.6 defines: named_receiver and select_connection.
constexpr uint8_t known_flags = 0x03;

const char* op_name(uint8_t x) {
  switch (x) {
    case server_handshake: return "server_handshake";
    case client_handshake: return "client_handshake";
    case direct_message: return "direct_message";
    case routed_message: return "routed_message";
    case monitor_message: return "monitor_message";
    case down_message: return "down_message";
    case heartbeat: return "heartbeat";
    default: return "unknown";
  }
}

uint64_t big_endian(const unsigned char* p, std::size_t n) {
  uint64_t x = 0;
  for (std::size_t i = 0; i < n; ++i)
    x = (x << 8) | p[i];
  return x;
}

} // namespace

std::string frame_check::feed(const char* data, std::size_t n) {
  while (n > 0) {
    if (payload_left_ > 0) {
      auto take = static_cast<std::size_t>(std::min<uint64_t>(payload_left_, n));
      payload_left_ -= take;
      data += take;
      n -= take;
      if (payload_left_ == 0 && handshaken_)
        handshake_complete_ = true;
      continue;
    }
    auto take = std::min(basp_header_size - got_, n);
    std::memcpy(header_ + got_, data, take);
    got_ += take;
    data += take;
    n -= take;
    if (got_ < basp_header_size)
      break;
    got_ = 0;
    if (auto why = check_header(); !why.empty())
      return why;
  }
  return {};
}

std::string frame_check::check_header() {
  uint8_t operation = header_[0];
  uint8_t flags = header_[3];
  auto payload_len = static_cast<uint32_t>(big_endian(header_ + 4, 4));
  uint64_t operation_data = big_endian(header_ + 8, 8);
  uint64_t source = big_endian(header_ + 16, 8);
  uint64_t dest = big_endian(header_ + 24, 8);
  std::string name = op_name(operation);
  if (operation > heartbeat)
    return "unknown BASP operation " + std::to_string(operation);
  if (header_[1] != 0 || header_[2] != 0)
    return "a " + name + " header with non-zero padding";
  if ((flags & ~known_flags) != 0)
    return "a " + name + " header with unknown flags " + std::to_string(flags);
  auto expected = peer_ == basp_peer::node ? server_handshake : client_handshake;
  bool is_handshake = operation == server_handshake || operation == client_handshake;
  if (!handshaken_ && operation != expected)
    return "a " + name + " where a " + op_name(expected) + " must come first";
  // CAF's client repeats its handshake at once, with select_connection set
  // (instance::handle, server_handshake); a node never repeats its own.
  if (handshaken_ && operation == server_handshake)
    return "a second server_handshake";
  if (handshaken_ && operation != expected && is_handshake)
    return "a " + name + " from a " + (peer_ == basp_peer::node ? "node" : "client");
  // The fields CAF's valid(header) requires (caf/io/basp/header.cpp), and a
  // payload wherever CAF reads one: CAF 0.17.6 dereferences a null payload
  // for a handshake with payload length 0.
  bool fields_ok = true;
  uint32_t limit = max_message_;
  switch (operation) {
    case server_handshake:
      fields_ok = operation_data != 0 && payload_len != 0;
      limit = max_handshake_;
      break;
    case client_handshake:
      fields_ok = source == 0 && dest == 0 && payload_len != 0;
      limit = max_handshake_;
      break;
    case direct_message:
    case routed_message:
      fields_ok = dest != 0 && payload_len != 0;
      break;
    case monitor_message:
      fields_ok = payload_len != 0 && operation_data == 0;
      limit = max_handshake_;
      break;
    case down_message:
      fields_ok = source != 0 && dest == 0 && payload_len != 0
                  && operation_data == 0;
      break;
    case heartbeat:
      fields_ok = source == 0 && dest == 0 && payload_len == 0
                  && operation_data == 0;
      break;
  }
  if (!fields_ok)
    return "a malformed " + name + " header (payload length "
           + std::to_string(payload_len) + ")";
  if (payload_len > limit)
    return "a " + name + " claiming " + std::to_string(payload_len)
           + " payload bytes (limit " + std::to_string(limit) + ")";
  payload_left_ = payload_len;
  if (is_handshake)
    handshaken_ = true;
  return {};
}

} // namespace parallel::remote::detail
