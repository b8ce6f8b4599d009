#!/bin/sh
# Runs the test suite with every core busy: starts N busy loops (default:
# two per core), runs ctest in BUILD_DIR (default build), stops the loops.
# The tests must pass however loaded the machine is: none may depend on
# wall-clock timing.
#   scripts/test_under_load.sh [N] [BUILD_DIR]
set -eu
cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
n=${1:-$((2 * cores))}
build=${2:-build}
[ -d "$build" ] || { echo "test_under_load.sh: no build folder '$build'; build first" >&2; exit 2; }
pids=""
stop() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
}
trap stop EXIT INT TERM
i=0
while [ "$i" -lt "$n" ]; do
    ( while :; do :; done ) &
    pids="$pids $!"
    i=$((i + 1))
done
echo "test_under_load.sh: $n busy loops on $cores cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
(cd "$build" && ctest --output-on-failure -j"$cores") || rc=$?
echo "test_under_load.sh: load average at the end $(cut -d' ' -f1-3 /proc/loadavg); ctest exit $rc"
exit "$rc"
