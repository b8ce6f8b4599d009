#!/usr/bin/env bash
# Rebuilds the Jamsil day's car demand (assets/jamsil/jamsil_day.rou.xml) and
# what SUMO makes of it (assets/jamsil/jamsil_day_sumo.csv).
#
# Demand: SUMO's randomTrips.py --validate on the shipped network, one slice
# per part of the day, each with its own period (seconds between departures)
# and seed, routed by duarouter, then concatenated in time order. The
# morning peak (07:30-08:30) runs at one vehicle every 2 s, the rate of
# tests/data/road/real/jamsil-p2.rou.xml that the validation test holds
# citylab to SUMO on; the evening peak is a little lighter.
# SUMO 1.15 runs the day at 1 s steps with defaults otherwise; the CSV gets,
# per window of departure times, trips and mean travel time (tripinfo
# duration), the same for the trips arriving in the morning peak (what
# scenarios/jamsil_day.lua compares with), and the day's teleports. Needs Debian's sumo and sumo-tools.
# Usage: scripts/make_jamsil_day.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
net="$root/assets/jamsil/jamsil.net.xml"
out="$root/assets/jamsil/jamsil_day.rou.xml"
csv="$root/assets/jamsil/jamsil_day_sumo.csv"
export SUMO_HOME=${SUMO_HOME:-/usr/share/sumo}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name begin_s end_s period_s
slices="night 0 21600 30
dawn 21600 25200 6
early 25200 27000 3
am 27000 30600 2
late 30600 36000 4
day 36000 61200 6
pm 61200 68400 2.5
evening 68400 79200 5
late_night 79200 86400 15"

{
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo '<!-- The Jamsil day: validated randomTrips.py slices routed by duarouter, made by scripts/make_jamsil_day.sh -->'
  echo '<routes>'
} >"$out"
seed=100
while read -r name begin end period; do
  seed=$((seed + 1))
  (cd "$tmp" && python3 "$SUMO_HOME/tools/randomTrips.py" -n "$net" -b "$begin" -e "$end" -p "$period" \
    --seed "$seed" --validate --prefix "$name." -o "$name.trips.xml" >/dev/null 2>&1)
  duarouter -n "$net" -r "$tmp/$name.trips.xml" -o "$tmp/$name.rou.xml" --seed "$seed" --no-step-log \
    --ignore-errors --no-warnings >/dev/null 2>&1
  # one vehicle per line: <vehicle ...><route edges="..."/></vehicle>
  python3 - "$tmp/$name.rou.xml" >>"$out" <<'EOF'
import sys, xml.etree.ElementTree as ET
for v in ET.parse(sys.argv[1]).getroot().iter('vehicle'):
    r = v.find('route')
    print('<vehicle id="%s" depart="%s"><route edges="%s"/></vehicle>' % (v.get('id'), v.get('depart'), r.get('edges')))
EOF
done <<<"$slices"
echo '</routes>' >>"$out"

sumo -n "$net" -r "$out" --end 90000 --step-length 1 --no-step-log --duration-log.statistics \
  --tripinfo-output "$tmp/trip.xml" >"$tmp/log" 2>&1
python3 - "$tmp/trip.xml" "$tmp/log" >"$csv" <<'EOF'
import re, sys, xml.etree.ElementTree as ET
trips = [(float(t.get('depart')), float(t.get('duration'))) for t in ET.parse(sys.argv[1]).getroot().iter('tripinfo')]
log = open(sys.argv[2]).read()
tele = re.search(r'Teleports: (\d+)', log)
ins = re.search(r'Inserted: (\d+)', log)
print('window,depart_from_s,depart_to_s,trips,mean_travel_time_s')
for name, a, b in [('day', 0, 86400), ('morning_peak', 27000, 30600), ('evening_peak', 61200, 68400)]:
    d = [x for t, x in trips if a <= t < b]
    print('%s,%d,%d,%d,%.2f' % (name, a, b, len(d), sum(d) / len(d)))
# what the day's check compares with: trips that arrive (depart + duration) in the morning peak
d = [x for t, x in trips if 27000 <= t + x < 30600]
print('# arriving 27000-30600 s: %d trips, mean travel time %.2f s' % (len(d), sum(d) / len(d)))
print('# inserted %s, teleports %s (SUMO 1.15, step 1 s)' % (ins.group(1) if ins else '?', tele.group(1) if tele else '0'))
EOF
cat "$csv"
