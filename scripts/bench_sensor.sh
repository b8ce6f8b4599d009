#!/bin/sh
# Sensor and air-quality benchmark (not a test): builds citylab in Release
# and scripts/bench_sensor.c against it, then reports what 10,000 sensors
# at 1 Hz add to 10 minutes of Jamsil (traffic alone, an hour's and a rush's,
# and the whole fine-dust scenario with its air grid; target <= 10 %) and
# how fast the 10 m air field over Jamsil runs (target >= 100x real time).
# Each variant runs REPEAT times, the variants taking turns; the best
# (least time) of each is reported, run time (the target's) and CPU time.
#   scripts/bench_sensor.sh [BUILD_DIR] [SENSORS] [MODE] [REPEAT]
#   (defaults build-bench, 10000, all, 3; MODE: all, hour, rush, fine_dust,
#   air, once-hour, once-rush or once-fine_dust, the once-* one run for
#   valgrind, no REPEAT)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build-bench"}
sensors=${2:-10000}
mode=${3:-all}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCITY_BUILD_VIEWER=OFF >/dev/null
cmake --build "$build" --target bench_sensor -j2 >/dev/null
if [ $# -ge 4 ]; then
    exec "$build/tests/bench_sensor" "$root/scenarios/bench_sensors.lua" "$sensors" "$mode" "$4"
fi
exec "$build/tests/bench_sensor" "$root/scenarios/bench_sensors.lua" "$sensors" "$mode"
