// frame_check: checks a peer's BASP byte stream frame by frame (private).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "parallel/remote/guard_options.hpp"

namespace parallel::remote::detail {

/// Size of a BASP header in CAF 0.17.6 (caf/io/basp/header.hpp): operation,
/// two padding bytes, flags, payload length (4), operation data (8), source
/// actor (8), destination actor (8); integers in network byte order.
constexpr std::size_t basp_header_size = 32;

/// Who sent the stream, which fixes the handshake it must open with: BASP's
/// server (the node) sends `server_handshake` first, the client answers with
/// `client_handshake`.
enum class basp_peer { client, node };

/// Follows one direction of a BASP connection, from an untrusted peer. It
/// sees every byte once, in order, and answers whether the stream so far is
/// well-formed: every header has a known operation, the fields CAF's
/// `valid(header)` requires, no unknown flags, zero padding, and a payload
/// length within the limit of its operation; the peer's handshake comes
/// first and has a payload; a node never sends a second one, nor a client a
/// `server_handshake`.
///
/// It also binds the stream to the node id its handshake declares (CAF's
/// routing table names the sender of every direct message after it): that
/// id must be of the kind `local_node` is, and a repeated handshake must
/// declare the same one. A routed, monitor or
/// down frame names its source and destination nodes first in its payload:
/// the source must be the peer's node and the destination this one, so a
/// peer can neither speak for another node's actors nor route through this
/// one. Apart from the first bytes of those payloads (at most two node ids)
/// it never buffers: payload bytes are only counted.
class frame_check {
public:
  /// `local_node`: this process's node id as CAF 0.17.6 serializes it
  /// (`binary_serializer`; 32 bytes for CAF's default kind of id).
  frame_check(basp_peer peer, const guard_options& limits, std::string local_node)
    : peer_(peer),
      max_handshake_(limits.max_handshake_bytes),
      max_message_(limits.max_message_bytes),
      local_(std::move(local_node)) {
  }

  /// Takes the next `n` bytes of the stream. Returns "" while the stream is
  /// well-formed, else why it is not (then the connection must be closed;
  /// the bytes of this call must not be forwarded).
  std::string feed(const char* data, std::size_t n);

  /// Whether the peer's handshake frame arrived whole.
  bool handshake_done() const noexcept {
    return handshake_complete_;
  }

  /// Whether a frame has begun and is not complete yet.
  bool mid_frame() const noexcept {
    return got_ > 0 || payload_left_ > 0;
  }

  /// The node id the peer's handshake declared, as serialized ("" until
  /// its first bytes arrived).
  const std::string& peer_node() const noexcept {
    return peer_node_;
  }

  /// Whether the stream so far is exactly one whole handshake frame.
  bool only_handshake() const noexcept {
    return handshake_complete_ && frames_ == 1 && !mid_frame();
  }

  /// A serialized node id as CAF prints it ("<host hash>#<process id>").
  static std::string node_text(const std::string& id);

private:
  std::string check_header();
  std::string check_node_ids();

  basp_peer peer_;
  uint32_t max_handshake_;
  uint32_t max_message_;
  std::string local_;          // this process's node id, serialized
  std::string peer_node_;      // the peer's, from its handshake
  unsigned char header_[basp_header_size];
  std::size_t got_ = 0;        // header bytes of the current frame so far
  uint64_t payload_left_ = 0;  // payload bytes of the current frame to come
  uint8_t operation_ = 0;      // of the current frame
  std::string ids_;            // the node ids a payload starts with, so far
  std::size_t ids_want_ = 0;   // ... and how many bytes of them to check
  uint64_t frames_ = 0;        // headers accepted
  bool handshaken_ = false;    // the handshake's header has been accepted
  bool handshake_complete_ = false; // ... and its payload arrived
};

} // namespace parallel::remote::detail
