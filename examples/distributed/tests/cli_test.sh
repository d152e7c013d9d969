#!/bin/sh
# Process-level test: command lines that cannot work are refused at once, with
# a clear message and a non-zero exit status, instead of hanging or failing
# later.
#   cli_test.sh NODE_BIN FANOUT_BIN CERTS_DIR MODE
# same-node:   one node listed under two names: fanout exits with an error.
# tls-files:   a non-certificate, a key of another certificate: node and
#              client exit 2 before listening or connecting.
# tls-expired: an expired node certificate (made here with `openssl ca`):
#              parallel-node exits 2 at start, naming the file.
# heartbeat:   parallel-node --heartbeat 0, fanout timeouts of 0: exit 2.
# tasks:       more --tasks than fanout accepts: exit 2.
set -u
node_bin=$1
fanout_bin=$2
certs=$3
mode=$4
tmp=$(mktemp -d)
n1=""
cleanup() {
  [ -n "$n1" ] && kill -9 "$n1" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
  echo "FAIL: $*"
  echo "--- stdout:"; cat "$tmp/out" 2>/dev/null
  echo "--- stderr:"; cat "$tmp/err" 2>/dev/null
  exit 1
}

# expect STATUS TEXT COMMAND...: runs COMMAND (a hang guard of 60 s), which
# must exit with STATUS ("nonzero": any but 0 and timeout's 124) and print
# TEXT on stderr.
expect() {
  want=$1
  text=$2
  shift 2
  timeout 60 "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  [ $got -ne 124 ] || fail "$* hung"
  if [ "$want" = nonzero ]; then
    [ $got -ne 0 ] || fail "$* exited 0"
  else
    [ $got -eq "$want" ] || fail "$* exited $got, want $want"
  fi
  grep -qF -- "$text" "$tmp/err" || fail "$* did not say: $text"
  echo "ok: $* -> $got: $(head -n 1 "$tmp/err")"
}

case $mode in
  tls-expired)
    # A certificate the test CA signed, valid for one day in 2020 only.
    cd "$tmp" || fail "no temporary directory"
    touch index.txt
    echo 01 >serial
    printf '[ca]\ndefault_ca = old\n[old]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\npolicy = any\n[any]\ncommonName = supplied\n' >ca.cnf
    openssl req -newkey rsa:2048 -nodes -keyout expired.key -out expired.csr \
      -subj "/CN=parallel expired" 2>/dev/null || fail "openssl req failed"
    openssl ca -batch -config ca.cnf -cert "$certs/ca.pem" -keyfile "$certs/ca.key" \
      -in expired.csr -out expired.pem \
      -startdate 20200101000000Z -enddate 20200102000000Z >/dev/null 2>&1 \
      || fail "openssl ca failed"
    expect 2 "TLS certificate $tmp/expired.pem has expired" \
      "$node_bin" --port 0 --tls-cert "$tmp/expired.pem" --tls-key "$tmp/expired.key" \
      --tls-ca "$certs/ca.pem"
    # A client refuses them too, before connecting.
    expect 2 "TLS certificate $tmp/expired.pem has expired" "$fanout_bin" --nodes 127.0.0.1:1 \
      --tls-cert "$tmp/expired.pem" --tls-key "$tmp/expired.key" --tls-ca "$certs/ca.pem"
    ;;
  same-node)
    "$node_bin" --port 0 >"$tmp/n1" 2>/dev/null &
    n1=$!
    i=0
    while [ ! -s "$tmp/n1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    p=$(head -n 1 "$tmp/n1")
    [ -n "$p" ] || fail "the node did not start"
    expect nonzero "127.0.0.1:$p and localhost:$p are the same node" \
      "$fanout_bin" --nodes "127.0.0.1:$p,localhost:$p" --tasks 100
    expect nonzero "node 127.0.0.1:$p is listed twice" \
      "$fanout_bin" --nodes "127.0.0.1:$p,127.0.0.1:$p" --tasks 100
    ;;
  tls-files)
    [ -f "$certs/ca.pem" ] || { echo "no test certificates: skipped"; exit 0; }
    expect 2 "is not a usable PEM certificate" \
      "$node_bin" --port 0 --tls-cert "$certs/node.key" --tls-key "$certs/node.key" \
      --tls-ca "$certs/ca.pem"
    [ ! -s "$tmp/out" ] || fail "the node printed a port"
    expect 2 "TLS key $certs/client.key does not match the certificate $certs/node.pem" \
      "$node_bin" --port 0 --tls-cert "$certs/node.pem" --tls-key "$certs/client.key" \
      --tls-ca "$certs/ca.pem"
    [ ! -s "$tmp/out" ] || fail "the node printed a port"
    expect 2 "TLS key $certs/node.key does not match the certificate $certs/client.pem" \
      "$fanout_bin" --nodes 127.0.0.1:1 --tls-cert "$certs/client.pem" \
      --tls-key "$certs/node.key" --tls-ca "$certs/ca.pem"
    expect 2 "holds no usable PEM certificate" \
      "$fanout_bin" --nodes 127.0.0.1:1 --tls-cert "$certs/client.pem" \
      --tls-key "$certs/client.key" --tls-ca "$certs/ca.key"
    ;;
  heartbeat)
    expect 2 "--heartbeat must be at least 1 ms" "$node_bin" --port 0 --heartbeat 0
    expect 2 "--connection-timeout must be above --heartbeat" \
      "$node_bin" --port 0 --heartbeat 500 --connection-timeout 500
    expect 2 "--connection-timeout must be above --heartbeat" \
      "$fanout_bin" --nodes 127.0.0.1:1 --connection-timeout 0
    expect 2 "--heartbeat must be at least 1 ms" \
      "$fanout_bin" --nodes 127.0.0.1:1 --heartbeat 0
    expect 2 "--connect-timeout must be at least 1 ms" \
      "$fanout_bin" --nodes 127.0.0.1:1 --connect-timeout 0
    ;;
  tasks)
    expect 2 "--tasks takes at most 1000000" \
      "$fanout_bin" --nodes 127.0.0.1:1 --tasks 1000001
    ;;
  *)
    fail "unknown mode $mode"
    ;;
esac
echo PASS
