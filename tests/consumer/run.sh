#!/usr/bin/env bash
# Installs the library from build dir $1 into a scratch prefix, then builds
# and runs the consumer project against it. Used by the install_consumer test.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build" --prefix "$scratch/prefix" > /dev/null
cmake -S "$here" -B "$scratch/build" -DCMAKE_PREFIX_PATH="$scratch/prefix" > /dev/null
cmake --build "$scratch/build" -j2 > /dev/null
"$scratch/build/consumer"
echo "installed package consumed: ok"
