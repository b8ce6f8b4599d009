#!/usr/bin/env bash
# Road traffic benchmark against SUMO, in three parts:
#
# grids: SUMO's grid benchmark. The 10x10 and 20x20 grids (200 m blocks, 2
#   lanes, traffic lights) from netgenerate, one hour of random trips (one
#   vehicle every 0.5 s on 10x10, 0.25 s on 20x20) from randomTrips.py
#   routed by duarouter; sumo and citylab on the same files at step lengths
#   1 s and 0.1 s: vehicle updates per second (simulation loop only, loading
#   excluded for both, see "Speed" below), their ratio, mean travel times,
#   gridlock/teleports and peak memory.
# real: the real Seoul networks of tests/data/road/real (their SUMO figures
#   in sumo.csv), with duarouter's routes and with trips each simulator
#   routes itself (also on the 3 x 3 grid of lights), at both steps: completed trips, mean travel time and
#   teleports for sumo and citylab, the speed ratio, and citylab's end of
#   run (checks, last edge rows, KPIs: end_ms) timed apart.
# scale: citylab's cost per vehicle update (ns of CPU time of the simulation
#   loop, taken in the process: loop_cpu_s of summary.json) on grids of
#   growing size (200 m blocks, 2 lanes, random trips of at most 2.5 km at a
#   rate that grows with the area): it must not grow with the map. The
#   density of traffic does not stay the same on these rows: the 10x10 grid
#   (1.8 km a side) cuts its trips short (8.3 edges a route against 12.2 on
#   40x40), so the larger grids carry about 1.35 times its vehicles per
#   lane-km (veh_lkm gives each run's mean), with longer queues, more lane
#   changes and more vehicles held at lines: more work per update that
#   comes from the traffic, not from the map. The rows marked "t" hold the
#   traffic per block: the smallest grid's own routes, run in each of a
#   larger grid's blocks of its size (4 copies on 20x20, 16 on 40x40), so
#   every block carries the smallest grid's vehicles, queues and lights
#   (updates: 16 times the 10x10 grid's on 40x40, to 0.1 %), on a map and
#   with vehicles at once (veh: each run's mean) 4 or 16 times as many;
#   the largest grid's ratio to the smallest is the one that must stay
#   <= 1.2, and the t rows between show how the cost grows on the way.
#   The other ratios are printed beside it. Beside veh_lkm, load_s: the wall time of loading
#   (load_wall_time_s: network, routes and everything up to the first
#   step), which must grow like the network file, not faster. With
#   --repeat N each run is made N times, in rounds of every grid and step
#   in turn (see below), and the least CPU time and least
#   load time kept (other processes only ever add to them). A last row,
#   marked "+", runs the largest grid with the smallest grid's number of
#   trips: about as many vehicles on a map 16 times as large (40x40
#   against 10x10), spread over it, most of them alone on their lanes.
#   The row marked "c" runs the smallest grid's own routes on the largest
#   grid, on the same edges (its corner): the same vehicles, queues and
#   lights, the map around them 16 times as large, so what its cost per
#   update adds to the smallest grid's grows with the map alone; the rows
#   above add what grows with the vehicles that move at once (their
#   records outgrowing the core's caches) and with how they spread.
# The generated grids and their demand are kept in BUILD/bench-road-inputs
# (per SUMO version) and made again only when their parameters change.
#
# Speed, like for like: SUMO's "UPS" is the vehicle steps it ran divided by
#   its "Duration" (MSNet::generateStatistics): the wall time from the end of
#   building the network (MSNet::closeBuilding) to the end of its loop and
#   MSNet::closeSimulation; loading the network is left out, and so is the
#   closing of its output files. citylab's is its vehicle updates divided by
#   summary.json's loop_wall_time_s: the wall time of its stepping loop, after
#   loading and after making its output folder (SUMO opens its outputs
#   before closeBuilding), and before the end of run. One difference remains, in SUMO's
#   disfavour: SUMO reads its route file in slices inside the loop, citylab
#   reads it while loading (about a tenth of the loop's instructions on
#   center-p6 at 1 s). SUMO's Duration is in whole milliseconds (150 ms and
#   more here); citylab's loops are short (center-p6 at 1 s: about 10 ms on
#   an idle machine), so --repeat N keeps the fastest of N runs of each.
#   On a shared machine the fastest runs of the two can come minutes apart,
#   in different spells of load (SUMO's fastest of five on center-p6 at 1 s
#   was 296,000 updates/s in one bench and 166,000 in another): the real
#   part runs them in rounds of one sumo run and one citylab run, and
#   round_med is the median of the rounds' own ratios.
#   A second difference, in citylab's favour: Debian's SUMO is built for any
#   x86-64, citylab's Release build for the machine that builds it
#   (CITY_NATIVE, CMakeLists.txt: 2 to 4 % less time an update).
#
# Usage: scripts/bench_road.sh [--grids "10 20"] [--steps "1 0.1"]
#          [--scale "10 20 40"] [--repeat N] [--parts "grids real scale"] [--build DIR]
# Needs Debian's sumo and sumo-tools (installed here when missing).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
grids="10 20"
steps="1 0.1"
scale="10 20 40"
repeat=1
parts="grids real scale"
build="$here/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --grids) grids=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --scale) scale=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --parts) parts=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
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

has() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }

# The generated grids and their demand are kept beside the build, one
# folder per SUMO version (made once: the 40x40 grid's take a minute; the
# version's first line is taken with sed, not head, which may quit before
# sumo has written and kill it with SIGPIPE, an exit under pipefail):
#   grid_inputs NAME N END PERIOD [randomTrips options] -> $inputs/NAME.{net,rou}.xml
inputs="$build/bench-road-inputs/$(sumo --version 2>/dev/null | sed -n 1p | tr -c 'A-Za-z0-9.\n' _)"
grid_inputs() {
  local name=$1 n=$2 end=$3 period=$4
  shift 4
  local key="$n $end $period $*"
  if [ -f "$inputs/$name.rou.xml" ] && [ "$(cat "$inputs/$name.key" 2>/dev/null)" = "$key" ]; then
    return
  fi
  mkdir -p "$inputs"
  rm -f "$inputs/$name.key"
  netgenerate --grid --grid.number "$n" --grid.length 200 --default.lanenumber 2 \
    --default-junction-type traffic_light -o "$work/$name.net.xml" >/dev/null 2>&1
  python3 "$SUMO_HOME/tools/randomTrips.py" -n "$work/$name.net.xml" -e "$end" -p "$period" --seed 42 "$@" \
    -o "$work/$name.trips.xml" >/dev/null 2>&1
  duarouter -n "$work/$name.net.xml" -r "$work/$name.trips.xml" -o "$work/$name.rou.xml" --seed 42 \
    --no-step-log --ignore-errors --no-warnings >/dev/null 2>&1
  mv "$work/$name.net.xml" "$work/$name.rou.xml" "$inputs/" # the key last: a half-made pair is made again
  echo "$key" >"$inputs/$name.key"
}
has grids || grids=""
[ -n "$grids" ] && printf '%-6s %-5s %12s %12s %7s %10s %10s %8s %8s %9s %9s\n' grid step sumo_ups citylab_ups ratio sumo_tt_s city_tt_s teleport gridlock sumo_MB city_MB
for n in $grids; do
  period=0.5
  [ "$n" = 20 ] && period=0.25
  grid_inputs "g$n" "$n" 3600 "$period"
  net="$inputs/g$n.net.xml"
  routes="$inputs/g$n.rou.xml"
  for step in $steps; do
    dt_ms=$(python3 -c "print(int(round($step*1000)))")
    /usr/bin/time -v -o "$work/sumo.time" sumo -n "$net" -r "$routes" --end 3600 \
      --step-length "$step" --no-step-log --duration-log.statistics \
      --tripinfo-output "$work/trip.xml" >"$work/sumo.log" 2>&1
    sumo_ups=$(grep -m1 'UPS:' "$work/sumo.log" | awk '{print $2}' || true)
    sumo_tt=$(grep -A3 'Statistics (avg' "$work/sumo.log" | grep -m1 'Duration:' | awk '{print $2}' || true)
    teleports=$(grep -m1 'Teleports:' "$work/sumo.log" | awk '{print $2}' || true)
    sumo_kb=$(grep 'Maximum resident' "$work/sumo.time" | awk '{print $NF}' || true)
    out="$work/out-$n-$step"
    /usr/bin/time -v -o "$work/city.time" "$citylab" run --net "$net" --routes "$routes" \
      --until 3600 --dt "$dt_ms" --out "$out" --quiet >/dev/null
    city_kb=$(grep 'Maximum resident' "$work/city.time" | awk '{print $NF}' || true)
    s="$out/summary.json"
    city_ups=$(json "$s" "round(d['kpi']['vehicle_updates']/d['loop_wall_time_s'])")
    city_tt=$(json "$s" "round(d['kpi']['mean_travel_time_s'],2)")
    gridlock=$(json "$s" "int(d['kpi']['gridlock_warnings'])")
    ratio=$(python3 -c "print(round($city_ups/float('${sumo_ups:-0}' or 1),1))")
    printf '%-6s %-5s %12.0f %12.0f %7s %10s %10s %8s %8s %9.0f %9.0f\n' "${n}x$n" "$step" "$sumo_ups" "$city_ups" \
      "$ratio" "${sumo_tt:-?}" "$city_tt" "${teleports:-0}" "$gridlock" "$((sumo_kb / 1024))" "$((city_kb / 1024))"
  done
done

# ---- real networks -------------------------------------------------------
real="$here/tests/data/road/real"
if has real; then
  echo
  printf '%-18s %-5s %9s %9s %9s %9s %6s %6s %12s %12s %7s %9s %7s\n' routes step sumo_done city_done sumo_tt_s city_tt_s \
    sumo_tp city_tp sumo_ups citylab_ups ratio round_med end_ms
  for spec in "center center-p6.rou.xml" "east east-p2.rou.xml" "jamsil jamsil-p2.rou.xml" "jamsil jamsil-p1.rou.xml" \
    "jamsil jamsil-hour.rou.xml" "grid3 grid3-p2.trips.xml" "jamsil jamsil-p1.trips.xml" "songpa songpa-p3.rou.xml"; do
    set -- $spec
    net="$real/$1.net.xml"
    [ "$1" = jamsil ] && net="$here/assets/jamsil/jamsil.net.xml"
    [ "$1" = grid3 ] && net="$here/tests/data/road/grid3.net.xml"
    for step in $steps; do
      dt_ms=$(python3 -c "print(int(round($step*1000)))")
      # in rounds of one sumo run and one citylab run, each keeping its
      # fastest; the two runs of a round are taken seconds apart, so each
      # round's own ratio sees the machine as it was then (round_med: their
      # median), where the fastest runs of each may come minutes apart
      sumo_ups=0 city_ups=0 end_ms= rounds=
      out="$work/real-${2%.xml}-$step"
      for _ in $(seq "$repeat"); do
        sumo -n "$net" -r "$real/$2" --end 3600 --step-length "$step" --no-step-log \
          --duration-log.statistics --tripinfo-output "$work/trip.xml" >"$work/sumo.log" 2>&1
        su=$(grep -m1 'UPS:' "$work/sumo.log" | awk '{print $2}' || true)
        sumo_ups=$(python3 -c "print(max(float('${su:-0}'), $sumo_ups))")
        rm -rf "$out"
        "$citylab" run --net "$net" --routes "$real/$2" --until 3600 --dt "$dt_ms" --out "$out" \
          --quiet >/dev/null 2>&1 || true
        s="$out/summary.json"
        u=$(json "$s" "round(d['kpi']['vehicle_updates']/d['loop_wall_time_s'])")
        e=$(json "$s" "round(1000*(d['wall_time_s']-d['load_wall_time_s']-d['loop_wall_time_s']),2)")
        if [ "$(python3 -c "print(int($u > $city_ups))")" = 1 ]; then city_ups=$u end_ms=$e; fi
        rounds="$rounds $(python3 -c "print($u / float('${su:-}' or 'inf'))")"
      done
      round_med=$(python3 -c "import statistics, sys; print(round(statistics.median(map(float, sys.argv[1:])), 1))" $rounds)
      sumo_done=$(grep -c '<tripinfo ' "$work/trip.xml" || true)
      sumo_tt=$(grep -A3 'Statistics (avg' "$work/sumo.log" | grep -m1 'Duration:' | awk '{print $2}' || true)
      sumo_tp=$(grep -m1 'Teleports:' "$work/sumo.log" | awk '{print $2}' || true)
      printf '%-18s %-5s %9s %9s %9s %9s %6s %6s %12.0f %12.0f %7s %9s %7s\n' "${2%.xml}" "$step" "$sumo_done" \
        "$(json "$s" "int(d['kpi']['trips_completed'])")" "${sumo_tt:-?}" \
        "$(json "$s" "round(d['kpi']['mean_travel_time_s'],2)")" "${sumo_tp:-0}" \
        "$(json "$s" "int(d['kpi']['teleports'])")" "$sumo_ups" "$city_ups" \
        "$(python3 -c "print(round($city_ups/float('${sumo_ups:-0}' or 1),1))")" "$round_med" "$end_ms"
    done
  done
fi

# ---- cost per update against map size -----------------------------------
# The runs are taken in rounds, each round one run of every grid and step
# in turn, and each keeps the least of its rounds: ns (ns of loop CPU time
# per vehicle update: loop_cpu_s, loading and outputs excluded, taken in
# the process itself, so a shared machine's load does not show in it as it
# does in wall time) and load (the least load_wall_time_s). A busy spell
# of the machine (on a shared host it can last minutes and slow the large
# grid by a third) then falls on every grid alike, not on the grid whose
# runs happened to come then: the ratio compares runs taken together.
# Beside the ratio of the least figures, each round's own ratio (its large
# grid's run against its small grid's, taken minutes apart) and their
# median: a spell that slows one run of a round moves that round's ratio
# only, where it can pair a lucky run of one grid with an unlucky one of
# the other in the least figures.
# A round's figure for a grid is the loop time of as many runs of it as
# take about as long as one run of the largest grid (TIMES: the ratio of
# their areas, 16 runs of the 10x10 grid to one of the 40x40 grid), summed:
# one run of the smallest grid lasts a twentieth of the largest's (77 ms
# against 2.4 s at 1 s steps), and the least of its short runs is one that
# fell between two busy spells of a shared machine, which a run of seconds
# never does; the smallest grid's figure was then its cost on an idle
# machine and the largest's its cost with the host's usual load (rounds'
# own ratios from 0.83 to 1.99 in one bench). Summed over as long a time,
# both weigh the load alike.
# One round's runs: KEY NET ROUTES at step DT_MS, TIMES runs; keeps the
# least per KEY, and every round's figure in scale_all.
declare -A scale_ns scale_load scale_upd scale_trips scale_lkm scale_all
scale_once() {
  local key=$1 net=$2 routes=$3 dt_ms=$4 times=$5 out="$work/scale-$1" s c l upd sum_c=0 sum_upd=0
  for _ in $(seq "$times"); do
    rm -rf "$out"
    "$citylab" run --net "$net" --routes "$routes" \
      --until 1800 --dt "$dt_ms" --out "$out" --quiet >/dev/null 2>&1 || true
    s="$out/summary.json"
    c=$(json "$s" "d['loop_cpu_s']")
    l=$(json "$s" "d['load_wall_time_s']")
    upd=$(json "$s" "int(d['kpi']['vehicle_updates'])")
    sum_c=$(python3 -c "print($sum_c + $c)")
    sum_upd=$((sum_upd + upd))
    scale_load[$key]=$(python3 -c "print(min($l, float('${scale_load[$key]:-inf}')))")
  done
  scale_upd[$key]=$upd
  scale_all[$key]="${scale_all[$key]:-} $(python3 -c "print(round(1e9*$sum_c/$sum_upd,1))")"
  scale_ns[$key]=$(python3 -c "print(round(min(1e9*$sum_c/$sum_upd, float('${scale_ns[$key]:-inf}')),1))")
  [ -n "${scale_trips[$key]:-}" ] || scale_trips[$key]=$(grep -c '<vehicle ' "$routes" || true)
  # mean vehicles per km of lane (internal lanes left out): read once per network
  [ -n "${scale_lkm[$net]:-}" ] || scale_lkm[$net]=$(python3 -c "import re,sys; print(sum(float(m.group(2)) for m in re.finditer(r'<lane id=\"([^\"]*)\"[^>]*? length=\"([^\"]*)\"', open(sys.argv[1]).read()) if m.group(1)[0] != ':') / 1000)" "$net")
}
if has scale; then
  small=${scale%% *} large=${scale##* }
  runs=() # key net routes dt_ms label step times
  # runs of an N x N grid's size in a round: the largest grid's area over its own
  area_ratio() { python3 -c "print(max(1, round(($large / $1) ** 2)))"; }
  for n in $scale; do
    period=$(python3 -c "print(0.5*(10/$n)**2)")
    grid_inputs "s$n" "$n" 1800 "$period" --max-distance 2500
    for step in $steps; do
      runs+=("$n-$step $inputs/s$n.net.xml $inputs/s$n.rou.xml $(python3 -c "print(int(round($step*1000)))") ${n}x$n $step $(area_ratio "$n")")
    done
  done
  # the largest grid with the smallest grid's demand (see the header)
  if [ "$small" != "$large" ]; then
    period=$(python3 -c "print(0.5*(10/$small)**2)")
    grid_inputs "s$large-d$small" "$large" 1800 "$period" --max-distance 2500
    for step in $steps; do
      runs+=("$large-d$small-$step $inputs/s$large-d$small.net.xml $inputs/s$large-d$small.rou.xml $(python3 -c "print(int(round($step*1000)))") ${large}x$large+ $step $(area_ratio "$small")")
    done
  fi
  # The smallest grid's own routes moved onto the largest grid (see the
  # header): netgenerate names a node by its column's letters and its row's
  # number, with two letters for every column once a grid has more than 26
  # (column G of the 10x10 grid is AG on the 40x40 grid); the block at
  # column x, row y (in blocks of the smallest grid's size) moves a node
  # small*x columns and small*y rows on.
  #   move_routes DST K [N]: the routes in each of the K x K blocks from the
  #   corner of the N x N grid (default: the largest), into DST; with K > 1
  #   a vehicle takes its block's number before its name (ordered by
  #   departure, then block, then as in the file)
  move_routes() {
    python3 - "$inputs/s$small.rou.xml" "$1" "$small" "${3:-$large}" "$2" <<'PY'
import re, sys
src, dst, small, large, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def name(col):
    return chr(65 + col // 26) + chr(65 + col % 26) if large > 26 else chr(65 + col)
def move(e, bx, by):
    return ''.join(name(ord(c) - 65 + small * bx) + str(int(r) + small * by) for c, r in re.findall(r'([A-Z])(\d+)', e))
text = open(src).read()
veh = re.findall(r'<vehicle id="([^"]*)" depart="([^"]*)">\s*<route edges="([^"]*)"/>\s*</vehicle>', text)
if len(veh) != text.count('<vehicle ') or not veh:
    sys.exit('bench_road: unexpected vehicle records in ' + src)
rows = sorted((float(dep), b, i, '    <vehicle id="%s" depart="%s">\n        <route edges="%s"/>\n    </vehicle>\n'
               % (vid if k == 1 else 'b%d_%s' % (b, vid), dep, ' '.join(move(e, b % k, b // k) for e in edges.split())))
              for i, (vid, dep, edges) in enumerate(veh) for b in range(k * k))
open(dst, 'w').write('<routes>\n' + ''.join(r[3] for r in rows) + '</routes>\n')
PY
  }
  # its routes in the largest grid's corner, and in every block of it
  if [ "$small" != "$large" ] && [ "$small" -le 26 ]; then
    move_routes "$work/s$large-c$small.rou.xml" 1
    for step in $steps; do
      runs+=("$large-c$small-$step $inputs/s$large.net.xml $work/s$large-c$small.rou.xml $(python3 -c "print(int(round($step*1000)))") ${large}x${large}c $step $(area_ratio "$small")")
    done
    # the t row of every grid made of whole blocks of the smallest: its
    # traffic copied into each, so the vehicles at once grow with the
    # grid's area (4 times on 20x20, 16 on 40x40) and nothing else does
    for n in $scale; do
      if [ "$n" != "$small" ] && [ $((n % small)) = 0 ]; then
        move_routes "$work/s$n-t$small.rou.xml" $((n / small)) "$n"
        for step in $steps; do
          runs+=("$n-t$small-$step $inputs/s$n.net.xml $work/s$n-t$small.rou.xml $(python3 -c "print(int(round($step*1000)))") ${n}x${n}t $step $(area_ratio "$n")")
        done
      fi
    done
  fi
  for r in $(seq "$repeat"); do
    for run in "${runs[@]}"; do
      read -r key net routes dt_ms label step times <<<"$run"
      scale_once "$key" "$net" "$routes" "$dt_ms" "$times"
    done
  done
  echo
  printf '%-7s %-5s %9s %12s %7s %8s %12s %10s %8s\n' grid step trips updates veh veh_lkm citylab_ups ns_per_upd load_s
  for run in "${runs[@]}"; do
    read -r key net routes dt_ms label step _ <<<"$run"
    veh=$(python3 -c "print(round(${scale_upd[$key]} / (1800 * 1000 / $dt_ms)))")
    veh_lkm=$(python3 -c "print(round(${scale_upd[$key]} / (1800 * 1000 / $dt_ms) / ${scale_lkm[$net]}, 2))")
    printf '%-7s %-5s %9s %12s %7s %8s %12.0f %10s %8.3f\n' "$label" "$step" \
      "${scale_trips[$key]}" "${scale_upd[$key]}" "$veh" "$veh_lkm" "$(python3 -c "print(1e9/${scale_ns[$key]})")" \
      "${scale_ns[$key]}" "${scale_load[$key]}"
  done
  # ratio LABEL KEY STEP: KEY's cost per update over the smallest grid's at
  # STEP, fastest against fastest, then every round's own (--repeat > 1)
  ratio() {
    local a=${scale_ns[$small-$3]:-} b=${scale_ns[$2-$3]:-}
    [ -n "$a" ] && [ -n "$b" ] || return 0
    echo "$1: $(python3 -c "print(round($b/$a,2))")"
    [ "$repeat" -gt 1 ] && python3 -c "
import statistics, sys
a, b = [list(map(float, x.split())) for x in sys.argv[1:3]]
r = [round(y / x, 2) for x, y in zip(a, b)]
print('    each round\'s own ratio:', ' '.join(map(str, r)), ' median:', round(statistics.median(r), 2))" \
      "${scale_all[$small-$3]}" "${scale_all[$2-$3]}"
    return 0
  }
  for step in $steps; do
    echo "cost per update at $step s, against the ${small}x$small grid's:"
    for n in $scale; do
      [ "$n" != "$small" ] && [ $((n % small)) = 0 ] || continue
      held=""
      [ "$n" = "$large" ] && held="; must stay <= 1.2"
      ratio "  the same traffic in each block of a map $(((n / small) ** 2)) times as large (the ${n}x${n}t row$held)" \
        "$n-t$small" "$step"
    done
    ratio "  the ${large}x$large grid's own random trips (denser: veh_lkm)" "$large" "$step"
    ratio "  the ${large}x$large grid with the ${small}x$small grid's number of trips (the + row)" "$large-d$small" "$step"
    ratio "  the ${small}x$small grid's routes alone, in the ${large}x$large grid's corner (the c row)" "$large-c$small" "$step"
  done
fi
