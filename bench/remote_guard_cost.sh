#!/bin/bash
# What the BASP guard costs remote tasks (docs/distributed.md, section 12).
#
#   bench/remote_guard_cost.sh throughput|cpu ROUNDS DIR...
#
# Each DIR holds a Release build's `parallel-node` and `distributed-bench`
# (copy them out of build trees of the variants to compare, e.g. with and
# without the guard). Each round runs every DIR in turn against a fresh node
# on loopback:
#   throughput  distributed-bench --windows 1,64: tasks per second;
#   cpu         distributed-bench --windows 1 --tasks 2000 with both
#               processes under `perf stat`: CPU time and context switches
#               per round trip (12,000: three rounds of 2,000 each by the
#               library and by the hand-written CAF loop).
# With TLS_CERTS=DIR (holding ca.pem, node.pem/.key and client.pem/.key, as
# the build's examples/distributed/test-certs), nodes and clients use TLS.
set -euo pipefail
mode=$1 rounds=$2
shift 2
node_tls=() client_tls=()
if [ -n "${TLS_CERTS:-}" ]; then
  node_tls=(--tls-cert "$TLS_CERTS/node.pem" --tls-key "$TLS_CERTS/node.key"
            --tls-ca "$TLS_CERTS/ca.pem")
  client_tls=(--tls-cert "$TLS_CERTS/client.pem" --tls-key "$TLS_CERTS/client.key"
              --tls-ca "$TLS_CERTS/ca.pem")
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

start_node() { # DIR -> sets node_pid, node_port
  "$1/parallel-node" --heartbeat 100 --connection-timeout 1000 --port 0 \
    --max-in-flight 0 "${node_tls[@]}" > "$tmp/node.out" 2>&1 &
  node_pid=$!
  node_port=""
  for _ in $(seq 1 50); do
    node_port=$(head -1 "$tmp/node.out" 2>/dev/null || true)
    [ -n "$node_port" ] && return
    sleep 0.1
  done
  echo "node of $1 did not start: $(cat "$tmp/node.out")" >&2
  exit 1
}

stop_node() {
  kill "$node_pid"
  wait "$node_pid" 2>/dev/null || true
}

stat_of() { # FILE EVENT
  grep "$2" "$1" | cut -d, -f1
}

for r in $(seq 1 "$rounds"); do
  for dir in "$@"; do
    start_node "$dir"
    load=$(cut -d' ' -f1 /proc/loadavg)
    if [ "$mode" = throughput ]; then
      echo "== $dir round $r load $load"
      "$dir/distributed-bench" --nodes "127.0.0.1:$node_port" --windows 1,64 \
        "${client_tls[@]}"
    else
      perf stat -x, -e context-switches,task-clock -p "$node_pid" -o "$tmp/node.stat" &
      perf_pid=$!
      sleep 0.2
      perf stat -x, -e context-switches,task-clock -o "$tmp/client.stat" \
        "$dir/distributed-bench" --nodes "127.0.0.1:$node_port" --windows 1 \
        --tasks 2000 "${client_tls[@]}" > "$tmp/bench.out"
      kill -INT "$perf_pid"
      wait "$perf_pid" 2>/dev/null || true
      python3 - "$dir" "$load" "$tmp" <<'PY'
import re, sys
d, load, tmp = sys.argv[1:]
def stat(f, ev):
    for line in open(f"{tmp}/{f}.stat"):
        if ev in line:
            return float(line.split(",")[0])
cpu_ms = stat("node", "task-clock") + stat("client", "task-clock")
switches = stat("node", "context-switches") + stat("client", "context-switches")
rate = re.search(r"library (\d+)", open(f"{tmp}/bench.out").read()).group(1)
trips = 3 * 2 * 2000
print(f"{d} load {load}: library {rate}/s, CPU {cpu_ms / trips * 1000:.0f} us "
      f"and {switches / trips:.1f} context switches per round trip")
PY
    fi
    stop_node
  done
done
