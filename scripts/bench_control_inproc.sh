#!/bin/sh
# In-process control benchmark (not a test): 100 signal controllers at a 1 s
# control period on a 10 x 10 grid of lights (scenarios/bench_control.lua,
# queue and emergency detectors on every lane at a light in every variant)
# against the same grid on its fixed-time plan. Two controllers:
#   preemption   watches its detectors every second and, with no emergency
#                vehicle about, never commands: the same traffic as without
#                controllers, so the difference is the controllers' own cost
#                (target: at most +10 %);
#   max_pressure drives every light: the traffic itself changes (see the
#                vehicle updates), so its difference is not cost alone.
# CPU time (user + system), the best of RUNS runs (the machine may be
# shared). Builds citylab in Release first.
#   scripts/bench_control_inproc.sh [BUILD_DIR] [RUNS]   (default build-bench, 3)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build-bench"}
runs=${2:-3}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCITY_BUILD_VIEWER=OFF >/dev/null
cmake --build "$build" --target citylab -j2 >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
best() { # best CPU seconds of $runs runs with controller=$1
    b=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        /usr/bin/time -f "%U %S" -o "$out/t" "$build/citylab" run "$root/scenarios/bench_control.lua" \
            --param "controller=$1" --out "$out/$1" --quiet >/dev/null
        t=$(awk '{ printf "%.2f", $1 + $2 }' "$out/t")
        b=$(awk -v a="$b" -v t="$t" 'BEGIN { print (a == "" || t < a) ? t : a }')
        i=$((i + 1))
    done
    echo "$b"
}
updates() { sed -n 's/.*"vehicle_updates": \([0-9]*\).*/\1/p' "$out/$1/summary.json"; }
base=$(best none)
echo "30 min of a 10 x 10 grid of lights (dt 0.5 s), CPU time, best of $runs:"
echo "  no controllers:      $base s ($(updates none) vehicle updates)"
for c in preemption max_pressure; do
    t=$(best "$c")
    awk -v a="$base" -v b="$t" -v c="$c" -v u="$(updates "$c")" \
        'BEGIN { printf "  100 x %-13s %.2f s (%+.1f %%; %s vehicle updates)\n", c ":", b, 100 * (b - a) / a, u }'
done
echo "  (target for the controllers' own cost, the pre-emption line: <= +10 %)"
