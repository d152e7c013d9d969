// tcp_socket: TCP sockets by address, made without blocking past a
// deadline (private).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "parallel/error.hpp"

namespace parallel::remote::detail {

/// A non-blocking TCP socket connected to `host`:`port` (each address the
/// name resolves to, in turn) before `deadline`, with TCP_NODELAY set; or
/// why not: "cannot resolve host: ...", "no answer (timed out)" once the
/// deadline passed, "cancelled" once `cancel_fd` (if not -1) became
/// readable, or the system's reason for the last address tried. The name
/// lookup counts against the deadline and is cancelled too: a name server
/// that never answers cannot hold the caller past either. The caller owns
/// (and closes) the descriptor.
expected<int> tcp_connect_before(const std::string& host, uint16_t port,
                                 std::chrono::steady_clock::time_point deadline,
                                 int cancel_fd = -1);

/// Whether `err` (from `tcp_connect_before`) says the deadline passed.
bool timed_out(const error& err);

/// A non-blocking TCP socket listening on `host`:`port` ("" or "0.0.0.0":
/// every interface; port 0: any), or why not. A host name must resolve
/// before `deadline` (as for `tcp_connect_before`); a numeric address needs
/// no lookup.
expected<int> tcp_listen(const std::string& host, uint16_t port, int backlog,
                         std::chrono::steady_clock::time_point deadline);

/// The local port of socket `fd`.
uint16_t local_port(int fd);

} // namespace parallel::remote::detail
