#!/usr/bin/env bash
# Viewer benchmark: the default scenario (scenarios/default.lua) in a
# 1280x800 window under Xvfb with every layer on. Fast-forwards to
# t = 1800 s (the middle of the run), then plays at real time (x1) and
# reports frames per second, the slowest frame, the CPU time per frame
# (what a free core would give: the fps figure depends on the machine's
# load, this one much less) and whether the simulation kept up with the
# clock. Software rendering: the window shows the same offscreen canvas a
# screenshot writes.
#
# Usage: scripts/bench_view.sh [--build DIR] [--frames N] [--scenario FILE.lua] [--at SECONDS]
#   e.g. --scenario scenarios/jamsil_rush.lua --at 2700 for 10,000 vehicles at rush hour
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build="$here/build"
frames=300
scenario="$here/scenarios/default.lua"
at=1800
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --frames) frames=$2; shift 2 ;;
    --scenario) scenario=$2; shift 2 ;;
    --at) at=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bench_view: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
command -v Xvfb >/dev/null || { echo "bench_view: Xvfb is not installed (scripts/setup.sh installs it)"; exit 0; }
if [ ! -x "$build/citylab" ]; then
  cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCITY_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build" -j"$(nproc)" >/dev/null
fi
n=$((100 + $$ % 100))
Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true; rm -rf "$out"' EXIT
out=$(mktemp -d)
for i in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
echo "bench_view: $(basename "$scenario") at t = $at s, x1, 1280x800, every layer on, load average $(cut -d' ' -f1 /proc/loadavg)"
DISPLAY=":$n" "$build/citylab" view "$scenario" --size 1280x800 --out "$out/run" \
  --keys "until:$at,speed:1,wait:30,stats,wait:$frames,q" 2>&1 >/dev/null | grep '^view:' || true
