#!/usr/bin/env bash
# Out of threads: a nested unlimited run needs one thread per blocked item.
# When the library cannot start one, parallel-sim must say so and exit 1,
# not hang in ~actor_system. Usage: thread_limit.sh PARALLEL_SIM
# Exit 77 (skipped) where the limit cannot be set up.
sim=$1
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
cat > "$dir/nested.toml" <<'TOML'
[services.p]
latency = { dist = "fixed", ms = 50 }
[workload]
items = 2000
fetch = ["p", "p"]
serial_sample = 1
[[config]]
executor = "unlimited"
wrapper = "err_group"
nested = true
TOML
chmod 755 "$dir"
chmod 644 "$dir/nested.toml"
# A picture from an earlier run: a run that fails must leave it as it was.
echo "an earlier picture" > "$dir/keep.svg"
chmod 666 "$dir/keep.svg"
# RLIMIT_NPROC counts every thread of the user and does not bind root: run as
# nobody when root, else allow a little more than what the user runs now.
if [ "$(id -u)" = 0 ]; then
  command -v setpriv > /dev/null || exit 77
  run="setpriv --reuid=65534 --regid=65534 --clear-groups"
  limit=150
else
  run=""
  limit=$(( $(ps -L -u "$(id -u)" --no-headers 2> /dev/null | wc -l) + 150 ))
fi
# timeout: a hang fails the test instead of stalling it.
$run bash -c "ulimit -u $limit && exec timeout 60 '$sim' '$dir/nested.toml' --timeline '$dir/keep.svg'" \
  > "$dir/out" 2> "$dir/err"
status=$?
cat "$dir/err"
if [ $status -ne 1 ]; then
  echo "expected exit status 1, got $status" >&2
  exit 1
fi
grep -q "the library failed: .*no thread could be started.*Resource temporarily unavailable" \
  "$dir/err" || exit 1
[ ! -s "$dir/out" ] || { echo "expected nothing on stdout" >&2; exit 1; }
[ "$(cat "$dir/keep.svg")" = "an earlier picture" ] ||
  { echo "the failed run changed the earlier picture" >&2; exit 1; }
