#!/usr/bin/env bash
# Road traffic benchmark against SUMO on SUMO's own grid benchmark.
#
# Builds the 10x10 and 20x20 grids (200 m blocks, 2 lanes, traffic lights)
# with netgenerate, one hour of random trips (one vehicle every 0.5 s on
# 10x10, 0.25 s on 20x20) with randomTrips.py routed by duarouter, then runs
# sumo and citylab on the same files at step lengths 1 s and 0.1 s and
# prints vehicle updates per second (simulation loop only, loading
# excluded for both), their ratio, mean travel times, gridlock/teleports
# and peak memory.
#
# Usage: scripts/bench_road.sh [--grids "10 20"] [--steps "1 0.1"] [--build DIR]
# Needs Debian's sumo and sumo-tools (installed here when missing).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
grids="10 20"
steps="1 0.1"
build="$here/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --grids) grids=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bench_road: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if ! command -v sumo >/dev/null || ! command -v netgenerate >/dev/null || [ ! -f /usr/share/sumo/tools/randomTrips.py ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sumo sumo-tools >/dev/null
  fi
fi
if ! command -v sumo >/dev/null; then
  echo "bench_road: sumo is not installed (apt-get install sumo sumo-tools); nothing to compare against"
  exit 0
fi
export SUMO_HOME=${SUMO_HOME:-/usr/share/sumo}

if [ ! -x "$build/citylab" ]; then
  cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCITY_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build" -j"$(nproc)" >/dev/null
fi
citylab="$build/citylab"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

printf '%-6s %-5s %12s %12s %7s %10s %10s %8s %8s %9s %9s\n' grid step sumo_ups citylab_ups ratio sumo_tt_s city_tt_s teleport gridlock sumo_MB city_MB
for n in $grids; do
  period=0.5
  [ "$n" = 20 ] && period=0.25
  net="$work/g$n.net.xml"
  netgenerate --grid --grid.number "$n" --grid.length 200 --default.lanenumber 2 \
    --default-junction-type traffic_light -o "$net" >/dev/null 2>&1
  python3 "$SUMO_HOME/tools/randomTrips.py" -n "$net" -e 3600 -p "$period" --seed 42 \
    -o "$work/g$n.trips.xml" >/dev/null 2>&1
  duarouter -n "$net" -r "$work/g$n.trips.xml" -o "$work/g$n.rou.xml" --seed 42 --no-step-log \
    --ignore-errors >/dev/null 2>&1
  for step in $steps; do
    dt_ms=$(python3 -c "print(int(round($step*1000)))")
    /usr/bin/time -v -o "$work/sumo.time" sumo -n "$net" -r "$work/g$n.rou.xml" --end 3600 \
      --step-length "$step" --no-step-log --duration-log.statistics \
      --tripinfo-output "$work/trip.xml" >"$work/sumo.log" 2>&1
    sumo_ups=$(grep -m1 'UPS:' "$work/sumo.log" | awk '{print $2}' || true)
    sumo_tt=$(grep -A3 'Statistics (avg' "$work/sumo.log" | grep -m1 'Duration:' | awk '{print $2}' || true)
    teleports=$(grep -m1 'Teleports:' "$work/sumo.log" | awk '{print $2}' || true)
    sumo_kb=$(grep 'Maximum resident' "$work/sumo.time" | awk '{print $NF}' || true)
    out="$work/out-$n-$step"
    /usr/bin/time -v -o "$work/city.time" "$citylab" run --net "$net" --routes "$work/g$n.rou.xml" \
      --until 3600 --dt "$dt_ms" --out "$out" --quiet >/dev/null
    city_kb=$(grep 'Maximum resident' "$work/city.time" | awk '{print $NF}' || true)
    s="$out/summary.json"
    city_ups=$(json "$s" "round(d['kpi']['vehicle_updates']/(d['wall_time_s']-d['load_wall_time_s']))")
    city_tt=$(json "$s" "round(d['kpi']['mean_travel_time_s'],2)")
    gridlock=$(json "$s" "int(d['kpi']['gridlock_warnings'])")
    ratio=$(python3 -c "print(round($city_ups/float('${sumo_ups:-0}' or 1),1))")
    printf '%-6s %-5s %12.0f %12.0f %7s %10s %10s %8s %8s %9.0f %9.0f\n' "${n}x$n" "$step" "$sumo_ups" "$city_ups" \
      "$ratio" "${sumo_tt:-?}" "$city_tt" "${teleports:-0}" "$gridlock" "$((sumo_kb / 1024))" "$((city_kb / 1024))"
  done
done
