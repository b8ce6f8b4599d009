#!/bin/sh
# In-process control benchmark (not a test): 100 max-pressure signal
# controllers at a 1 s control period (scenarios/bench_control.lua: a 10 x 10
# grid of lights, queue detectors on every lane at a light) against the same
# scenario without controllers (the lights on their fixed-time plan, the
# detectors still sampling). Reports the CPU time of each, the best of RUNS
# runs (CPU time, not wall: the machine may be shared), and the overhead
# (target: at most +10 %). Builds citylab in Release first.
#   scripts/bench_control_inproc.sh [BUILD_DIR] [RUNS]   (default build-bench, 3)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build-bench"}
runs=${2:-3}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCITY_BUILD_VIEWER=OFF >/dev/null
cmake --build "$build" --target citylab -j2 >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
best() { # best CPU seconds (user + system) of $runs runs with controllers=$1
    b=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        /usr/bin/time -f "%U %S" -o "$out/t" "$build/citylab" run "$root/scenarios/bench_control.lua" \
            --param "controllers=$1" --out "$out/run$1" --quiet >/dev/null
        t=$(awk '{ printf "%.2f", $1 + $2 }' "$out/t")
        b=$(awk -v a="$b" -v t="$t" 'BEGIN { print (a == "" || t < a) ? t : a }')
        i=$((i + 1))
    done
    echo "$b"
}
base=$(best 0)
ctl=$(best 1)
commands=$(grep -c ',ack$' "$out/run1/commands.csv" || true)
echo "100 signal controllers, 1 s period, 30 min of a 10 x 10 grid (dt 0.5 s), best of $runs:"
echo "  without controllers: $base s CPU"
echo "  with controllers:    $ctl s CPU ($commands commands acknowledged)"
awk -v a="$base" -v b="$ctl" 'BEGIN { printf "  overhead: %+.1f %% (target <= +10 %%)\n", 100 * (b - a) / a }'
