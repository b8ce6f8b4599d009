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
# CPU time (user + system, to the microsecond: scripts/cpu_time.c), the best
# of RUNS runs; the variants take turns within each round, so a machine
# whose load drifts slows them alike. Also
# the controllers' cost per controller-period (100 controllers x 1800
# periods), setup included: the scenario runs only 30 simulated minutes
# (about 2 s of CPU), so the fixed cost of opening 100 Lua states counts.
# With INSTR=1 it counts instructions under callgrind instead (exact and
# independent of the machine's load; about 50x slower, so keep --until
# short with UNTIL=seconds, default 300). Builds citylab in Release first.
#   scripts/bench_control_inproc.sh [BUILD_DIR] [RUNS]   (default build-bench, 3)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build-bench"}
runs=${2:-3}
instr=${INSTR:-0}
until_s=1800
[ "$instr" = 1 ] && until_s=${UNTIL:-300}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCITY_BUILD_VIEWER=OFF >/dev/null
cmake --build "$build" --target citylab cpu_time -j2 >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
variants="none preemption max_pressure"
one() { # one run with controller=$1: CPU seconds, or instructions under callgrind
    if [ "$instr" = 1 ]; then
        valgrind --tool=callgrind --callgrind-out-file=/dev/null "$build/citylab" run \
            "$root/scenarios/bench_control.lua" --param "controller=$1" --until "$until_s" --out "$out/$1" \
            --quiet 2>"$out/cg" >/dev/null
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/cg"
    else
        "$build/tests/cpu_time" "$out/t" "$build/citylab" run "$root/scenarios/bench_control.lua" \
            --param "controller=$1" --out "$out/$1" --quiet >/dev/null
        awk '{ printf "%.3f", $1 }' "$out/t"
    fi
}
[ "$instr" = 1 ] && runs=1 # deterministic: once is enough
i=0
while [ "$i" -lt "$runs" ]; do
    for c in $variants; do
        t=$(one "$c")
        b=$(cat "$out/best.$c" 2>/dev/null || echo "")
        awk -v a="$b" -v t="$t" 'BEGIN { print (a == "" || t + 0 < a + 0) ? t : a }' >"$out/best.$c"
    done
    i=$((i + 1))
done
updates() { sed -n 's/.*"vehicle_updates": \([0-9]*\).*/\1/p' "$out/$1/summary.json"; }
base=$(cat "$out/best.none")
periods=$((100 * until_s))
if [ "$instr" = 1 ]; then
    echo "$until_s s of a 10 x 10 grid of lights (dt 0.5 s), instructions (callgrind):"
    echo "  no controllers:      $base ($(updates none) vehicle updates)"
    unit="instructions"
    scale=1
    suffix=""
else
    echo "$until_s s of a 10 x 10 grid of lights (dt 0.5 s), CPU time, best of $runs (load average $(cut -d' ' -f1-3 /proc/loadavg)):"
    echo "  no controllers:      $base s ($(updates none) vehicle updates)"
    unit="us"
    scale=1000000
    suffix=" s"
fi
for c in preemption max_pressure; do
    t=$(cat "$out/best.$c")
    awk -v a="$base" -v b="$t" -v c="$c" -v u="$(updates "$c")" -v n="$periods" -v s="$scale" -v unit="$unit" \
        -v sfx="$suffix" 'BEGIN { printf "  100 x %-13s %s%s (%+.1f %%; %.2f %s per controller-period; %s vehicle updates)\n",
                 c ":", b, sfx, 100 * (b - a) / a, s * (b - a) / n, unit, u }'
done
echo "  (target for the controllers' own cost, the pre-emption line: <= +10 %)"
