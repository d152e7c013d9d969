#!/bin/sh
# Makes throw-away TLS certificates for parallel nodes and clients:
#   ca.pem/ca.key          a test CA
#   node.pem/node.key      the node's certificate, signed by the CA
#   client.pem/client.key  a client's certificate, signed by the CA
#   rogue.pem/rogue.key    a self-signed certificate the CA never signed
# Usage: make_test_certs.sh DIR      (never use these keys for anything real)
set -eu
dir=${1:?usage: make_test_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
days=3650
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days $days \
  -keyout ca.key -out ca.pem -subj "/CN=parallel test CA" 2>/dev/null
for name in node client; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -keyout $name.key -out $name.csr -subj "/CN=parallel $name" 2>/dev/null
  openssl x509 -req -sha256 -days $days -in $name.csr \
    -CA ca.pem -CAkey ca.key -CAcreateserial -out $name.pem 2>/dev/null
  rm -f $name.csr
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days $days \
  -keyout rogue.key -out rogue.pem -subj "/CN=parallel rogue" 2>/dev/null
