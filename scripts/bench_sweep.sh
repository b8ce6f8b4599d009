#!/usr/bin/env bash
# Sweep benchmark: what a sweep adds to every run, and how fast collect is.
#
# 1. Overhead per run. A sweep of N short runs of the Jamsil hour (scenarios/jamsil.lua)
#    (--local 1, one at a time) is timed end to end; each run's own
#    simulation time (wall_time_s - load_wall_time_s from its summary.json)
#    is subtracted, leaving what the sweep costs per run: process spawn,
#    loading the scenario (network, demand), writing the outputs, the
#    sweep's bookkeeping, plus collect's share. It is then compared with a
#    1-minute run (the brief's yardstick: under 5 %).
# 2. collect on 10,000 run folders (summary.json copies of a real run, with
#    distinct seeds and KPI values), timed (target: under 10 s).
#
# Usage: scripts/bench_sweep.sh [--runs N] [--folders N] [--build DIR]
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
runs=20
folders=10000
build="$here/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --folders) folders=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "bench_sweep: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
bin="$build/citylab"
[ -x "$bin" ] || { echo "bench_sweep: $bin not found; build first (cmake --build build)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }

# --- 1. overhead per run ---------------------------------------------------
cat >"$work/bench.lua" <<LUA
return { scenario = "$here/scenarios/jamsil.lua", seeds = range(1, $runs), until_s = 60 }
LUA
t0=$(now)
"$bin" sweep "$work/bench.lua" --local 1 --out "$work/sweep" --quiet >/dev/null
t1=$(now)
"$bin" collect "$work/sweep" >/dev/null
t2=$(now)
sim=$(cat "$work"/sweep/runs/*/summary.json | tr ',' '\n' |
  awk -F': ' '/"wall_time_s"/{w+=$2} /"load_wall_time_s"/{l+=$2} END{printf "%.6f", w-l}')
load=$(cat "$work"/sweep/runs/*/summary.json | tr ',' '\n' | awk -F': ' '/"load_wall_time_s"/{l+=$2} END{printf "%.6f", l}')
awk -v n="$runs" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v sim="$sim" -v load="$load" 'BEGIN{
  sweep = t1 - t0; coll = t2 - t1
  over = (sweep - sim) / n; per_coll = coll / n; tot = over + per_coll
  printf "overhead per run (Jamsil hour, %d runs one at a time):\n", n
  printf "  sweep wall %.2f s, of which simulating %.2f s\n", sweep, sim
  printf "  per run: %.3f s = load %.3f s + spawn/write/bookkeeping %.3f s; collect %.4f s\n", tot, load / n, over - load / n, per_coll
  printf "  against a 1-minute run: %.2f %% (target < 5 %%)\n", 100 * tot / 60
}'

# --- 2. collect on many folders ---------------------------------------------
src=$(ls -d "$work"/sweep/runs/*/ | head -1)
mkdir -p "$work/many/runs"
# one awk writes every copy (a process per folder would time the shell, not collect)
seq 1 "$folders" | awk -v root="$work/many/runs" '{printf "%s/p%04d-s%d\n", root, int($1 / 10), $1 % 10}' |
  xargs mkdir -p
awk -v root="$work/many/runs" -v n="$folders" '
  { tmpl[NR] = $0 } END {
    for (i = 1; i <= n; i++) {
      f = sprintf("%s/p%04d-s%d/summary.json", root, int(i / 10), i % 10)
      for (k = 1; k <= NR; k++) {
        line = tmpl[k]
        if (line ~ /"seed":/) sub(/"seed": [0-9]+/, "\"seed\": " (i % 10), line)
        if (line ~ /"arrived":/) sub(/"arrived": [0-9.e+-]+/, "\"arrived\": " i, line)
        print line > f
      }
      close(f)
    }
  }' "$src/summary.json"
t0=$(now)
"$bin" collect "$work/many" >/dev/null
t1=$(now)
rows=$(($(wc -l <"$work/many/results.csv") - 1))
awk -v t0="$t0" -v t1="$t1" -v n="$rows" 'BEGIN{t = t1 - t0; printf "collect: %d run folders in %.2f s (target < 10 s)\n", n, t}'
