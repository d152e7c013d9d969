#!/usr/bin/env bash
# Installs the library from build dir $1 into a scratch prefix, then checks
# what a user gets there. Used by the install_* tests.
#   run.sh BUILD_DIR core|remote|parallel   builds and runs the consumer
#                                           project against that one target
#   run.sh BUILD_DIR programs               the installed programs run
set -euo pipefail
build=$1
what=$2
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
node_pid=""
cleanup() {
  if [ -n "$node_pid" ]; then kill "$node_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

cmake --install "$build" --prefix "$scratch/prefix" > /dev/null

# -- consumers --------------------------------------------------------------------
consume() {
  local part=$1
  cmake -S "$here" -B "$scratch/build" -DPART="$part" \
        -DCMAKE_PREFIX_PATH="$scratch/prefix" > "$scratch/configure.log" \
    || { cat "$scratch/configure.log"; fail "configuring the $part consumer"; }
  cmake --build "$scratch/build" -j2 > "$scratch/build.log" \
    || { cat "$scratch/build.log"; fail "building the $part consumer"; }
  for exe in "$scratch"/build/consumer_*; do
    "$exe" || fail "$(basename "$exe") (linked to parallel::$part) exited $?"
  done
}

# A core-only program must not link CAF io, CAF openssl or OpenSSL: neither on
# its link line nor among the libraries it loads.
check_core_links_core_only() {
  local exe=$scratch/build/consumer_local
  local unwanted='caf_io|caf_openssl|libssl|libcrypto|OpenSSL'
  local link_txt
  link_txt=$(cat "$scratch/build/CMakeFiles/consumer_local.dir/link.txt")
  if grep -Eo "[^ ]*($unwanted)[^ ]*" <<< "$link_txt"; then
    fail "the parallel::core consumer's link line names the libraries above"
  fi
  local loads
  loads=$(ldd "$exe")
  if grep -E "$unwanted" <<< "$loads"; then
    fail "the parallel::core consumer loads the libraries above"
  fi
  grep -q caf_core <<< "$loads" || fail "the parallel::core consumer does not load libcaf_core"
}

# -- programs -----------------------------------------------------------------------
# Each installed program is in bin/ and runs: --help prints its usage and exits
# as it does in the build tree (parallel-sim: 0, CLI11; the node and the
# fan-out print their usage on stderr and exit 2, like any usage message),
# then a node and the fan-out do a real run over loopback.
check_help() {
  local exe=$1 want=$2 pattern=$3
  [ -x "$exe" ] || fail "$exe is not installed"
  local rc=0
  "$exe" --help > "$scratch/help.out" 2>&1 || rc=$?
  [ "$rc" -eq "$want" ] || fail "$(basename "$exe") --help exited $rc, want $want"
  grep -qi -- "$pattern" "$scratch/help.out" \
    || { cat "$scratch/help.out"; fail "$(basename "$exe") --help printed no '$pattern'"; }
}

check_programs() {
  local bin=$scratch/prefix/bin
  check_help "$bin/parallel-sim" 0 "usage"
  check_help "$bin/parallel-node" 2 "usage: parallel-node"
  check_help "$bin/distributed-fanout" 2 "usage: distributed-fanout"
  # The node prints its port as its first line; read blocks until it does
  # (or fails at once if the node exits first).
  coproc node { exec "$bin/parallel-node" --port 0 2> "$scratch/node.err"; }
  node_pid=$node_PID
  local port
  read -r port <&"${node[0]}" || { cat "$scratch/node.err"; fail "parallel-node did not start"; }
  "$bin/distributed-fanout" --nodes "127.0.0.1:$port" --tasks 20 --ms 1 \
    > "$scratch/fanout.out" 2>&1 \
    || { cat "$scratch/fanout.out"; fail "distributed-fanout exited $?"; }
  local last
  last=$(tail -n 1 "$scratch/fanout.out")
  [ "$last" = "ok=20 failed=0 lost=0" ] \
    || { cat "$scratch/fanout.out"; fail "distributed-fanout: '$last', want 'ok=20 failed=0 lost=0'"; }
  kill "$node_pid"
  wait "$node_pid" 2>/dev/null || true
  node_pid=""
}

case $what in
  core)
    consume core
    check_core_links_core_only
    ;;
  remote|parallel)
    consume "$what"
    ;;
  programs)
    check_programs
    ;;
  *)
    fail "unknown check '$what' (core, remote, parallel or programs)"
    ;;
esac
echo "installed package, $what: ok"
