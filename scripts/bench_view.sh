#!/usr/bin/env bash
# Viewer benchmark: the Jamsil district at rush hour (scenarios/jamsil_rush.lua,
# about 10,000 vehicles on the streets from t = 45 min) in a 1280x800 window
# under Xvfb. Fast-forwards to t = 2700 s, then plays at real time (x1) and
# reports frames per second, the slowest frame and whether the simulation
# kept up with the clock. Software rendering (Xvfb has no GPU): a desktop
# with a GPU renderer draws faster.
#
# Usage: scripts/bench_view.sh [--build DIR] [--frames N]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build="$here/build"
frames=300
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --frames) frames=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
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
DISPLAY=":$n" "$build/citylab" view "$here/scenarios/jamsil_rush.lua" --size 1280x800 --out "$out/run" \
  --keys "until:2700,speed:1,wait:30,stats,wait:$frames,q" 2>&1 >/dev/null | grep '^view:' || true
