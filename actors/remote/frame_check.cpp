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
      std::size_t take;
      if (ids_.size() < ids_want_) {
        // The node ids a payload starts with: kept until they can be checked.
        take = std::min(ids_want_ - ids_.size(), n);
        ids_.append(data, take);
        if (ids_.size() == ids_want_)
          if (auto why = check_node_ids(); !why.empty())
            return why;
      } else {
        take = static_cast<std::size_t>(std::min<uint64_t>(payload_left_, n));
      }
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
  // The node ids at the start of the payload (instance::handle reads them
  // first): the declared one of a handshake; source and destination of a
  // routed, monitor or down frame. Direct messages and heartbeats have none.
  ids_.clear();
  ids_want_ = 0;
  if (is_handshake)
    ids_want_ = local_.size();
  else if (operation == routed_message || operation == monitor_message
           || operation == down_message)
    ids_want_ = 2 * local_.size();
  if (payload_len < ids_want_)
    return "a " + name + " too short for its node ids (payload length "
           + std::to_string(payload_len) + ")";
  operation_ = operation;
  payload_left_ = payload_len;
  ++frames_;
  if (is_handshake)
    handshaken_ = true;
  return {};
}

std::string frame_check::check_node_ids() {
  std::string name = op_name(operation_);
  auto len = local_.size();
  auto kind = [&](const std::string& id) { return id.compare(0, 8, local_, 0, 8) == 0; };
  if (operation_ == server_handshake || operation_ == client_handshake) {
    // CAF makes ids of one kind (an atom naming it, then its data): one of
    // another kind would not be `len` bytes long.
    if (!kind(ids_))
      return "a " + name + " declaring a node id of another kind than CAF's default";
    // This process's own id is legitimate for a CAF client of its own actor
    // system (it closes the connection once it sees the id); the guard of a
    // node does not relay it (basp_guard::bind_peer).
    if (peer_node_.empty())
      peer_node_ = ids_;
    else if (ids_ != peer_node_)
      return "a " + name + " declaring node " + node_text(ids_) + " after "
             + node_text(peer_node_);
    return {};
  }
  // CAF makes a proxy of the source node's actor the sender of a routed
  // message (remote_message_handler), kills that node's proxy for a down
  // message, and forwards any of them whose destination is another node.
  auto source = ids_.substr(0, len);
  if (source != peer_node_)
    return "a " + name + " in the name of node " + node_text(source)
           + " (the connection is node " + node_text(peer_node_) + ")";
  if (ids_.compare(len, len, local_) != 0)
    return "a " + name + " for node " + node_text(ids_.substr(len))
           + ", not this one (no routing through this process)";
  return {};
}

std::string frame_check::node_text(const std::string& id) {
  // CAF's default kind: the kind's atom (8 bytes), the process id (4 bytes)
  // and a 20-byte host hash.
  if (id.size() != 32)
    return "(" + std::to_string(id.size()) + " bytes)";
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 12; i < 32; ++i) {
    auto b = static_cast<unsigned char>(id[i]);
    out += hex[b >> 4];
    out += hex[b & 0x0F];
  }
  auto pid = big_endian(reinterpret_cast<const unsigned char*>(id.data()) + 8, 4);
  return out + "#" + std::to_string(pid);
}

} // namespace parallel::remote::detail
