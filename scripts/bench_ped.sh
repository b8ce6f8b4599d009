#!/bin/sh
# Pedestrian benchmark (not a test): builds the io and ped layers in
# Release, compiles scripts/bench_ped.c against them (wrapping Chipmunk's
# cpSpaceStep to time it) and prints pedestrian-updates per second, the
# share of time in Chipmunk and the cost per update for 1,000 to 50,000
# people on the Jamsil walkable network at dt 100 ms (target: 1 million
# updates per second on one core), in processor time (the machine may be
# shared; wall time is printed too).
#   scripts/bench_ped.sh [BUILD_DIR] [PEOPLE ...]   (default build-bench; 1000 5000 10000 20000 50000)
#   BENCH_VEHICLES=1 scripts/bench_ped.sh ...       the same with car traffic on the Jamsil streets
#   BENCH_TICKS=N                                   ticks measured (default 100, 50 from 20,000 people)
#   BENCH_SPREAD=1                                  people start anywhere on the walkable space, not at doors
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build-bench"}
[ $# -gt 0 ] && shift
net="$root/assets/jamsil/jamsil.net.xml"
if [ ! -f "$net" ]; then
    echo "bench_ped: no Jamsil network found (looked for $net)" >&2
    exit 2
fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCITY_BUILD_VIEWER=OFF >/dev/null
cmake --build "$build" --target cityio -j2 >/dev/null
${CC:-cc} -std=c17 -O2 -Wall -Wextra -pedantic -ffp-contract=off -D_XOPEN_SOURCE=700 \
    -I"$root/sim/include/citylab/ped" -I"$root/sim/include/citylab/io" -I"$root/sim/include/citylab/core" \
    -I"$root/sim/include/citylab/road" \
    "$root/scripts/bench_ped.c" \
    "$build/sim/libcityio.a" "$build/sim/libcityped.a" "$build/sim/libcityroad.a" "$build/sim/libcitypower.a" \
    "$build/sim/libcitycore.a" -Wl,--wrap=cpSpaceStep -lchipmunk -lexpat -lm -o "$build/bench_ped"
"$build/bench_ped" "$net" "$@"
