#!/usr/bin/env python3
"""Attack review of the BASP guard on the middleman's thread: ad-hoc attacks
on parallel-node that measure rather than assert (not run by ctest).
Loopback only; every wait is bounded; each mode starts and stops its node.

    guard_review_attacks.py BUILD_DIR MODE [ARGS]
    (CERTS=DIR: TLS files other than BUILD_DIR's test-certs; HB=MS: node and
    client heartbeat MS, connection timeout 10*MS, for the hello mode;
    NODE_ARGS="...": more node options, e.g. "--max-connects-per-source 16";
    FROM=ADDR: the hello flood's source address, e.g. 127.0.0.2, or a range
    of loopback addresses it cycles through, e.g. 127.0.0.2-127.0.0.65)

Modes:
  hello [SECS [THREADS]]  replayed TLS ClientHellos (no crypto for the
                          attacker, one signature each for the node) while
                          distributed-fanout runs; then SIGTERM
  tls-flood [THREADS [cert]]  full TLS handshakes in a loop, same measures
  tls-churn               60 s of TLS handshakes (ROUNDS=4): RSS and fds
  churn [N]               N connections opened and closed (some RST, some
                          with 5 bytes) while a client runs
  slow                    200 connections that never read
  term [tls]              SIGTERM while connections churn (and TLS floods)
  lockout                 70 silent connections renewed every 4 s: do new
                          clients get in?
"""
import os, signal, socket, ssl, struct, subprocess, sys, threading, time
HOST = "127.0.0.1"
HEADER = struct.Struct(">BBBBIQQQ")
BUILD = sys.argv[1]
MODE = sys.argv[2]
NODE = BUILD + "/examples/distributed/parallel-node"
FANOUT = BUILD + "/examples/distributed/distributed-fanout"
CERTS = os.environ.get("CERTS", BUILD + "/examples/distributed/test-certs")

def tls_args(who):
    return ["--tls-cert", f"{CERTS}/{who}.pem", "--tls-key", f"{CERTS}/{who}.key",
            "--tls-ca", f"{CERTS}/ca.pem"]

class Node:
    def __init__(self, *args):
        self.err_path = "/tmp/guard-review-node-%d.err" % os.getpid()
        self.err = open(self.err_path, "w+")
        args = [*args, *os.environ.get("NODE_ARGS", "").split()]
        self.proc = subprocess.Popen(["nice", "-n", "19", NODE, "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=self.err, text=True)
        self.port = int(self.proc.stdout.readline().strip())
    def rss(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for l in f:
                if l.startswith("VmRSS:"): return int(l.split()[1])
    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))
    def log(self):
        self.err.flush(); return open(self.err_path).read()
    def term(self, limit=20):
        t0 = time.time()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            print("NODE DID NOT EXIT within %ds after SIGTERM" % limit, flush=True)
            self.proc.kill(); rc = self.proc.wait()
        return rc, time.time() - t0

def fanout(port, tasks=50, ms=5, tls=False, extra=(), timeout=120):
    t0 = time.time()
    out = subprocess.run(["nice", "-n", "19", FANOUT, "--nodes", f"{HOST}:{port}", "--tasks", str(tasks),
                          "--ms", str(ms), *extra] + (tls_args("client") if tls else []),
                         capture_output=True, text=True, timeout=timeout)
    return out.returncode, out.stdout.strip().splitlines()[-1:] , out.stderr.strip()[-800:], time.time() - t0

def tls_flood(port, stop, counter, with_cert):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if with_cert:
        ctx.load_cert_chain(f"{CERTS}/client.pem", f"{CERTS}/client.key")
    while not stop.is_set():
        try:
            s = socket.create_connection((HOST, port), timeout=5)
            s = ctx.wrap_socket(s)
            counter[0] += 1
            s.close()
        except (OSError, ssl.SSLError):
            counter[1] += 1

def mode_tls_flood():
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    with_cert = len(sys.argv) > 4 and sys.argv[4] == "cert"
    node = Node(*tls_args("node"))
    print("baseline:", fanout(node.port, tasks=200, tls=True), flush=True)
    stop = threading.Event(); counter = [0, 0]
    ts = [threading.Thread(target=tls_flood, args=(node.port, stop, counter, with_cert), daemon=True) for _ in range(threads)]
    for t in ts: t.start()
    time.sleep(1)
    c0 = counter[0]; t0 = time.time()
    r = fanout(node.port, tasks=200, tls=True)
    rate = (counter[0] - c0) / (time.time() - t0)
    print("under flood: %s; handshakes/s %.0f failures %d" % (r, rate, counter[1]), flush=True)
    # long-lived client: 30 s of tasks (3000 x 10ms / 8 per node) under flood
    r = fanout(node.port, tasks=3000, ms=10, tls=True)
    print("long run under flood:", r, flush=True)
    rc, dt = node.term()
    stop.set()
    for t in ts: t.join()
    print("SIGTERM during flood: rc=%s after %.2fs; log lines=%d" % (rc, dt, node.log().count("\n")), flush=True)

def mode_slow_reader():
    """Handshaken peers that send requests... here: peers that never read
    while the node writes (its server handshake), plus a real client."""
    node = Node()
    socks = []
    for i in range(200):
        s = socket.create_connection((HOST, node.port), timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        socks.append(s)
    print("rss after 200 non-readers: %d KiB, fds %d" % (node.rss(), node.fds()), flush=True)
    print("client:", fanout(node.port), flush=True)
    for s in socks: s.close()
    rc, dt = node.term()
    print("SIGTERM rc=%s after %.2fs" % (rc, dt))

def mode_churn():
    node = Node()
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    t0 = time.time(); errs = 0
    stop = threading.Event()
    res = {}
    def client():
        res["r"] = fanout(node.port, tasks=500, ms=5)
    ct = threading.Thread(target=client); ct.start()
    for i in range(n):
        try:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0) if i % 2 else struct.pack("ii", 0, 0))
            s.settimeout(5)
            s.connect((HOST, node.port))
            if i % 3 == 0:
                s.send(b"\x01" * 5)
            s.close()
        except OSError:
            errs += 1
    ct.join()
    print("churn %d conns in %.1fs errs %d; client %s" % (n, time.time() - t0, errs, res.get("r")), flush=True)
    time.sleep(6)
    print("rss %d KiB fds %d" % (node.rss(), node.fds()))
    print("client after:", fanout(node.port), flush=True)
    rc, dt = node.term()
    print("SIGTERM rc=%s after %.2fs" % (rc, dt))

def mode_term_under_attack():
    tls = len(sys.argv) > 3 and sys.argv[3] == "tls"
    node = Node(*(tls_args("node") if tls else []))
    stop = threading.Event(); counter = [0, 0]
    def churn():
        while not stop.is_set():
            try:
                s = socket.create_connection((HOST, node.port), timeout=2)
                s.send(HEADER.pack(1, 0, 0, 0, 0x7fffffff, 0, 0, 0))
                s.close(); counter[0] += 1
            except OSError:
                counter[1] += 1
    ts = [threading.Thread(target=churn, daemon=True) for _ in range(3)]
    if tls:
        ts += [threading.Thread(target=tls_flood, args=(node.port, stop, counter, False), daemon=True) for _ in range(3)]
    silent = [socket.create_connection((HOST, node.port), timeout=5) for _ in range(50)]
    for t in ts: t.start()
    res = {}
    def client():
        res["r"] = fanout(node.port, tasks=2000, ms=20, tls=tls, extra=("--retry",))
    ct = threading.Thread(target=client); ct.start()
    time.sleep(3)
    rc, dt = node.term()
    stop.set()
    ct.join()
    print("SIGTERM under attack: rc=%s after %.2fs; attack conns %s; client: %s" % (rc, dt, counter, res.get("r")))
    print(node.log()[-600:])


def client_hello():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(i, o)
    try: obj.do_handshake()
    except ssl.SSLWantReadError: pass
    return o.read()

def flood_sources():
    spec = os.environ.get("FROM", HOST)
    if "-" not in spec:
        return [spec]
    first, last = spec.split("-")
    prefix = first.rsplit(".", 1)[0]
    lo, hi = int(first.rsplit(".", 1)[1]), int(last.rsplit(".", 1)[1])
    return ["%s.%d" % (prefix, i) for i in range(lo, hi + 1)]

def mode_hello_replay():
    secs = float(sys.argv[3]) if len(sys.argv) > 3 else 20
    hello = client_hello()
    sources = flood_sources()
    hb = os.environ.get("HB", "")
    hbargs = ["--heartbeat", hb, "--connection-timeout", str(int(hb) * 10)] if hb else []
    node = Node(*tls_args("node"), *hbargs)
    global fanout
    _f = fanout
    fanout = lambda port, **kw: _f(port, extra=tuple(hbargs), **kw)
    print("baseline:", fanout(node.port, tasks=200, tls=True), flush=True)
    stop = threading.Event(); counter = [0, 0, 0] # answered, errors, closed unanswered
    def flood(k):
        i = k
        while not stop.is_set():
            i += 1
            try:
                s = socket.create_connection((HOST, node.port), timeout=2,
                                             source_address=(sources[i % len(sources)], 0))
                s.sendall(hello)
                # wait for the server's first flight: it did the signature
                got = s.recv(1)
                s.close(); counter[0 if got else 2] += 1
            except OSError:
                counter[1] += 1
    ts = [threading.Thread(target=flood, args=(k,), daemon=True) for k in range(int(sys.argv[4]) if len(sys.argv) > 4 else 4)]
    for t in ts: t.start()
    time.sleep(1)
    c0 = counter[0]; t0 = time.time()
    r = fanout(node.port, tasks=200, tls=True)
    print("under replayed ClientHello flood from %d sources: %s; hellos answered/s %.0f, "
          "closed unanswered %d, errors %d" % (len(sources), r, (counter[0]-c0)/(time.time()-t0),
                                               counter[2], counter[1]), flush=True)
    r = fanout(node.port, tasks=int(secs*80), ms=10, tls=True)
    print("long run:", r, flush=True)
    rc, dt = node.term()
    stop.set()
    for t in ts: t.join()
    print("SIGTERM during flood: rc=%s after %.2fs" % (rc, dt), flush=True)
    print(node.log()[-300:])




def mode_lockout():
    node = Node()
    stop = threading.Event()
    def renew():
        socks = []
        while not stop.is_set():
            # keep 70 silent connections, renewing each before the 5 s deadline
            for s in socks: s.close()
            fresh = []
            for _ in range(70):
                try: fresh.append(socket.create_connection((HOST, node.port), timeout=2))
                except OSError: pass
            socks = fresh
            stop.wait(4.0)
        for s in socks: s.close()
    t = threading.Thread(target=renew, daemon=True); t.start()
    time.sleep(1)
    results = []
    t0 = time.time()
    while time.time() - t0 < 20:
        rc, last, err, dt = fanout(node.port, tasks=5, extra=("--connect-timeout", "1000"))
        results.append(rc)
        time.sleep(1)
    stop.set(); t.join()
    print("client attempts during 20 s of renewed silent connections: %d, succeeded %d" % (len(results), results.count(0)))
    print("after:", fanout(node.port, tasks=5))
    node.term()


def mode_tls_churn():
    node = Node(*tls_args("node"))
    rss0, fds0 = node.rss(), node.fds()
    stop = threading.Event(); counter = [0, 0]
    ts = [threading.Thread(target=tls_flood, args=(node.port, stop, counter, i % 2 == 0), daemon=True) for i in range(4)]
    for t in ts: t.start()
    for k in range(int(os.environ.get("ROUNDS", "1"))):
        time.sleep(15)
        print("  after %d s: %d handshakes, rss %d KiB" % (15 * (k + 1), counter[0], node.rss()), flush=True)
    stop.set()
    for t in ts: t.join()
    time.sleep(6)
    print("tls churn: %d handshakes (%d failed); rss %d -> %d KiB; fds %d -> %d" % (counter[0], counter[1], rss0, node.rss(), fds0, node.fds()))
    print("client after:", fanout(node.port, tasks=50, tls=True))
    print("SIGTERM:", node.term())
MODES = {"hello": mode_hello_replay, "tls-flood": mode_tls_flood,
         "tls-churn": mode_tls_churn, "churn": mode_churn, "slow": mode_slow_reader,
         "term": mode_term_under_attack, "lockout": mode_lockout}
MODES[MODE]()
