#!/usr/bin/env bash
# Runs parallel-bench with Go's errgroup as a peer in the same run: builds
# ../shared/peers/handler.go (from the repository root) into the build
# directory and passes it as --go-peer. Go is not a dependency of the project
# (CI never runs this); it needs Debian's golang-go and
# golang-golang-x-sync-dev.
#
#   bench/with_go.sh [BUILD_DIR] [parallel-bench options...]
#   bench/with_go.sh build --only request_fanout
#
# BUILD_DIR (default: build) must hold a built bench/parallel-bench.
# HANDLER_GO overrides where handler.go is.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=build
if [[ $# -gt 0 && $1 != -* ]]; then
  build=$1
  shift
fi
bench="$build/bench/parallel-bench"
source_go=${HANDLER_GO:-$root/../shared/peers/handler.go}
if [[ ! -x $bench ]]; then
  echo "with_go.sh: no $bench; build it first:" >&2
  echo "  cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release && cmake --build $build -j2 --target parallel-bench" >&2
  exit 2
fi
if [[ ! -f $source_go ]]; then
  echo "with_go.sh: no handler.go at $source_go (set HANDLER_GO)" >&2
  exit 2
fi
if ! command -v go >/dev/null; then
  echo "with_go.sh: no go compiler; apt-get install golang-go golang-golang-x-sync-dev" >&2
  exit 2
fi
peer="$build/bench/handler-go"
# The Go build cache goes into the build directory, not $HOME.
export GOCACHE=${GOCACHE:-$(cd "$build" && pwd)/bench/go-cache}
GOPATH=/usr/share/gocode GO111MODULE=off go build -o "$peer" "$source_go"
exec "$bench" --go-peer "$peer" "$@"
