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
/// `server_handshake`. It never buffers: payload bytes are
/// only counted.
class frame_check {
public:
  frame_check(basp_peer peer, const guard_options& limits)
    : peer_(peer),
      max_handshake_(limits.max_handshake_bytes),
      max_message_(limits.max_message_bytes) {
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

private:
  std::string check_header();

  basp_peer peer_;
  uint32_t max_handshake_;
  uint32_t max_message_;
  unsigned char header_[basp_header_size];
  std::size_t got_ = 0;        // header bytes of the current frame so far
  uint64_t payload_left_ = 0;  // payload bytes of the current frame to come
  bool handshaken_ = false;    // the handshake's header has been accepted
  bool handshake_complete_ = false; // ... and its payload arrived
};

} // namespace parallel::remote::detail
