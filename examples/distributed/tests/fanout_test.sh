#!/bin/sh
# Process-level test: two parallel-node processes on loopback and
# distributed-fanout over them.
#   fanout_test.sh NODE_BIN FANOUT_BIN plain|kill|kill-retry
# plain:      200 tasks, all ok.
# kill:       600 tasks of 20 ms, node 2 gets SIGKILL mid-run: every task is
#             accounted for (lost=0), the dead node's in-flight tasks failed.
# kill-retry: the same with --retry: every task completes (failed=0).
set -u
node_bin=$1
fanout_bin=$2
mode=$3
tmp=$(mktemp -d)
n1=""
n2=""
cleanup() {
  for pid in $n1 $n2; do kill -9 "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
  echo "FAIL: $*"
  echo "--- fanout output:"; cat "$tmp/out" 2>/dev/null
  exit 1
}

# The node prints its port as its first line; wait for it (10 s at most).
port_of() {
  i=0
  while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  head -n 1 "$1"
}

"$node_bin" --port 0 >"$tmp/n1" 2>"$tmp/n1.err" &
n1=$!
"$node_bin" --port 0 >"$tmp/n2" 2>"$tmp/n2.err" &
n2=$!
p1=$(port_of "$tmp/n1")
p2=$(port_of "$tmp/n2")
[ -n "$p1" ] && [ -n "$p2" ] || fail "nodes did not start"
nodes="127.0.0.1:$p1,127.0.0.1:$p2"

case $mode in
  plain)
    "$fanout_bin" --nodes "$nodes" --tasks 200 >"$tmp/out" 2>&1 || fail "exit status $?"
    want_ok=200
    want_total=200
    ;;
  kill|kill-retry)
    retry=""
    [ "$mode" = kill-retry ] && retry=--retry
    "$fanout_bin" --nodes "$nodes" --tasks 600 --ms 20 --per-node 4 $retry \
      >"$tmp/out" 2>&1 &
    f=$!
    # Once connected (not before: that is a failed connect, not a node
    # that died mid-run), the run takes 1.5 s at least: kill node 2 early in it.
    i=0
    while ! grep -q "connected to" "$tmp/out" 2>/dev/null && [ $i -lt 300 ]; do
      sleep 0.1; i=$((i + 1))
    done
    sleep 0.2
    kill -9 "$n2"
    wait "$f" || fail "exit status $?"
    grep -q "(down)" "$tmp/out" || fail "node 2 was not seen going down mid-run"
    [ "$mode" = kill-retry ] && want_ok=600 || want_ok=""
    want_total=600
    ;;
  *)
    fail "unknown mode $mode"
    ;;
esac

# The result line, not the last line: under LeakSanitizer the process may
# print a report of suppressions used after it (on stderr, merged here).
last=$(grep '^ok=' "$tmp/out" | tail -n 1)
cat "$tmp/out"
case $last in
  ok=*" failed="*" lost=0") ;;
  *) fail "last line is not ok=N failed=M lost=0: $last" ;;
esac
ok=$(echo "$last" | sed 's/^ok=\([0-9]*\) .*/\1/')
failed=$(echo "$last" | sed 's/.* failed=\([0-9]*\) .*/\1/')
[ $((ok + failed)) -eq "$want_total" ] || fail "ok + failed != $want_total"
if [ -n "$want_ok" ]; then
  [ "$ok" -eq "$want_ok" ] || fail "ok=$ok, want $want_ok"
fi
echo PASS
