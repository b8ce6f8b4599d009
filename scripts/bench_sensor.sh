#!/bin/sh
# Sensor and air-quality benchmark (not a test): builds citylab in Release
# and scripts/bench_sensor.c against it, then reports what 10,000 sensors
# at 1 Hz add to 10 minutes of Jamsil traffic (target <= 10 %) and how
# fast the 10 m air field over Jamsil runs (target >= 100x real time).
#   scripts/bench_sensor.sh [BUILD_DIR] [SENSORS]   (default build-bench, 10000)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build-bench"}
sensors=${2:-10000}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCITY_BUILD_VIEWER=OFF >/dev/null
cmake --build "$build" --target bench_sensor -j2 >/dev/null
"$build/tests/bench_sensor" "$root/scenarios/bench_sensors.lua" "$sensors"
