#!/usr/bin/env python3
"""Process-level attacks on the BASP guard, on 127.0.0.1 only.

    guard_attack_test.py NODE_BIN FANOUT_BIN MODE [CERTS_DIR]

Modes (each starts its own parallel-node, attacks it, then checks that the
node is still up and serves distributed-fanout correctly):
  header0    a 32-byte client_handshake header claiming a payload of 0
             (CAF 0.17.6 dereferences a null payload: SIGSEGV)
  header0-tls  the same header from a client whose certificate the CA signed,
             over TLS (CERTS_DIR: the test certificates)
  claim      payload claims of 1 GiB and 4 GiB, before and after a valid
             handshake: the connection is closed and the node's VmRSS stays
             under 200 MiB
  blobs      300 random blobs of 1-4096 bytes, one per connection
  silent     300 silent connections at once: each over the cap of 64 in
             their handshake closes the oldest, the last 64 are closed at
             the handshake deadline (5 s)
  fake-node  a fake node sends the bad header to distributed-fanout, which
             fails that node with a one-line error (no crash, no hang)

Every wait is bounded (socket timeouts, an overall alarm); a bound that is
reached fails the test.
"""
import os
import random
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading

HEADER = struct.Struct(">BBBBIQQQ")  # CAF 0.17.6's BASP header, 32 bytes
SERVER_HANDSHAKE, CLIENT_HANDSHAKE, DIRECT_MESSAGE = 0, 1, 2
HOST = "127.0.0.1"
RSS_LIMIT_KIB = 200 * 1024


def fail(why):
    print("FAIL: " + why, flush=True)
    sys.exit(1)


def header(op, payload_len, op_data=0, source=0, dest=0, flags=0):
    return HEADER.pack(op, 0, 0, flags, payload_len, op_data, source, dest)


class Node:
    """A parallel-node process on a free port."""

    def __init__(self, node_bin, *args):
        self.err_path = "/tmp/guard-test-node-%d.err" % os.getpid()
        self.err = open(self.err_path, "w+")
        self.proc = subprocess.Popen([node_bin, "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=self.err,
                                     text=True)
        line = self.proc.stdout.readline().strip()
        if not line.isdigit():
            fail("the node did not print its port")
        self.port = int(line)

    def alive(self):
        return self.proc.poll() is None

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def log(self):
        self.err.flush()
        with open(self.err_path) as f:
            return f.read()

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()
        os.unlink(self.err_path)


TLS = None  # (certs dir) when the node and its clients use TLS


def tls_args(who):
    return ["--tls-cert", os.path.join(TLS, who + ".pem"),
            "--tls-key", os.path.join(TLS, who + ".key"),
            "--tls-ca", os.path.join(TLS, "ca.pem")]


def connect(port, timeout=10):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.settimeout(timeout)
    if TLS:
        # A certified client: the guard must check it as any other.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.load_verify_locations(os.path.join(TLS, "ca.pem"))
        ctx.load_cert_chain(os.path.join(TLS, "client.pem"),
                            os.path.join(TLS, "client.key"))
        s = ctx.wrap_socket(s)
    return s


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        part = s.recv(n - len(data))
        if not part:
            fail("the node closed the connection during its own handshake")
        data += part
    return data


def wait_closed(s, what):
    """Reads until the peer closes; fails if it does not within the timeout."""
    try:
        while s.recv(65536):
            pass
    except (ConnectionResetError, ssl.SSLError):
        pass
    except socket.timeout:
        fail(what + ": the connection was not closed")
    finally:
        s.close()


def handshaken(port):
    """A connection that completed BASP's handshake as a client would: the
    node's server_handshake is read, and a client_handshake answers it with
    the node's own node id (its first 32 payload bytes: an atom, a process id
    and a host hash) under another process id."""
    s = connect(port)
    op, _, _, _, length, _, _, _ = HEADER.unpack(recv_exact(s, HEADER.size))
    if op != SERVER_HANDSHAKE:
        fail("the node's first frame is not a server_handshake")
    payload = recv_exact(s, length)
    node_id = bytearray(payload[:32])
    node_id[8:12] = struct.pack(">I", (struct.unpack(">I", node_id[8:12])[0] + 1))
    s.sendall(header(CLIENT_HANDSHAKE, len(node_id), flags=2) + bytes(node_id))
    return s


def serves(node, fanout_bin):
    """The node is up and serves a real client correctly."""
    if not node.alive():
        fail("the node died (exit status %s)\n%s" % (node.proc.returncode, node.log()))
    out = subprocess.run([fanout_bin, "--nodes", "%s:%d" % (HOST, node.port),
                          "--tasks", "50"] + (tls_args("client") if TLS else []),
                         capture_output=True, text=True, timeout=60)
    last = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    if out.returncode != 0 or last != "ok=50 failed=0 lost=0":
        fail("a real client was not served: exit %d, %r\n%s" %
             (out.returncode, last, out.stderr))


def header0(node):
    s = connect(node.port)
    s.sendall(header(CLIENT_HANDSHAKE, 0))
    wait_closed(s, "a client_handshake with payload 0")
    if "client_handshake" not in node.log():
        fail("the node did not log why it closed the connection")


def claim(node):
    for size in (1 << 30, 0xFFFFFFFF):
        # Before any handshake.
        s = connect(node.port)
        s.sendall(header(DIRECT_MESSAGE, size, dest=1))
        wait_closed(s, "a %d-byte claim before the handshake" % size)
        # After a valid handshake: the claim is a message's.
        s = handshaken(node.port)
        s.sendall(header(DIRECT_MESSAGE, size, dest=1) + b"x" * 4096)
        wait_closed(s, "a %d-byte claim after the handshake" % size)
        rss = node.rss_kib()
        print("node VmRSS after a %d-byte claim: %d KiB" % (size, rss))
        if rss > RSS_LIMIT_KIB:
            fail("the node's VmRSS grew to %d KiB" % rss)
    if "claiming 1073741824 payload bytes" not in node.log():
        fail("the node did not log the claim")


def blobs(node):
    seed = 1010
    rng = random.Random(seed)
    print("random blobs with seed %d" % seed)
    for i in range(300):
        blob = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4096)))
        s = connect(node.port)
        try:
            s.sendall(blob)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed at the first bad header already
        wait_closed(s, "blob %d" % i)
        if not node.alive():
            fail("the node died at blob %d" % i)


def silent(node):
    socks = []
    for _ in range(300):
        socks.append(connect(node.port, timeout=30))
    for i, s in enumerate(socks):
        wait_closed(s, "silent connection %d" % i)
    log = node.log()
    if "closed to make room for a new one" not in log:
        fail("no connection over the cap made the oldest silent one close")
    if "no handshake within 5000 ms" not in log:
        fail("no silent connection was closed at the handshake deadline")


def fake_node(fanout_bin, op, want):
    """A listener that answers every connection with a bad header."""
    lst = socket.socket()
    lst.bind((HOST, 0))
    lst.listen(8)
    port = lst.getsockname()[1]
    stop = threading.Event()

    def serve():
        lst.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = lst.accept()
            except socket.timeout:
                continue
            try:
                c.sendall(header(op, 0))
            except OSError:
                pass
            # Kept open: the client must not wait for more.
            conns.append(c)

    conns = []
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        out = subprocess.run([fanout_bin, "--nodes", "%s:%d" % (HOST, port),
                              "--tasks", "5", "--connect-timeout", "5000"],
                             capture_output=True, text=True, timeout=60)
    finally:
        stop.set()
        t.join()
        for c in conns:
            c.close()
        lst.close()
    print("distributed-fanout against a fake node: exit %d, stderr %r" %
          (out.returncode, out.stderr.strip()))
    if out.returncode <= 0:
        fail("distributed-fanout did not fail cleanly (exit %d)" % out.returncode)
    if want not in out.stderr or "%s:%d" % (HOST, port) not in out.stderr:
        fail("the error does not say what the fake node sent: %r" % out.stderr)


def main():
    global TLS
    node_bin, fanout_bin, mode = sys.argv[1:4]
    if mode.endswith("-tls"):
        TLS = sys.argv[4]
        if not os.path.exists(os.path.join(TLS, "ca.pem")):
            print("no test certificates: skipped")
            return
        mode = mode[:-len("-tls")]
    signal.alarm(110)  # a hang fails the test before ctest's timeout
    if mode == "fake-node":
        fake_node(fanout_bin, CLIENT_HANDSHAKE,
                  "client_handshake where a server_handshake must come first")
        fake_node(fanout_bin, SERVER_HANDSHAKE, "malformed server_handshake")
        print("PASS")
        return
    # Default guard settings (a 5 s handshake deadline, 64 connections in
    # their handshake at most), so the same test runs against an unguarded
    # node and fails there.
    node = Node(node_bin, *(tls_args("node") if TLS else []))
    try:
        {"header0": header0, "claim": claim, "blobs": blobs,
         "silent": silent}[mode](node)
        serves(node, fanout_bin)
    finally:
        node.stop()
    print("PASS")


if __name__ == "__main__":
    main()
