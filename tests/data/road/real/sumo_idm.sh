#!/usr/bin/env bash
# SUMO 1.15's figures for the validation rows of sumo.csv with SUMO's own
# IDM driver (carFollowModel="IDM"), the car-following model citylab's
# vehicles follow, instead of SUMO's default Krauss: the same files, with
# <vType id="DEFAULT_VEHTYPE" carFollowModel="IDM"/> added to each routes
# file. Writes sumo_idm.csv (sumo.csv's columns). A reference beside the
# validation, not its bounds: the test and the bench compare against
# sumo.csv, SUMO as users run it. Usage: sumo_idm.sh (Debian's sumo).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
export SUMO_HOME=${SUMO_HOME:-/usr/share/sumo}
# shellcheck source=sumo_row.sh
. "$here/sumo_row.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here"
echo "net,routes,step_s,until_s,inserted,completed,mean_travel_time_s,teleports" >"$tmp/sumo_idm.csv"
tail -n +2 sumo.csv | while IFS=, read -r net routes step _; do
  [ "$routes" = east-p1.rou.xml ] && continue # past saturation: not a validation row
  case $net in
  jamsil) netf=$root/assets/jamsil/jamsil.net.xml ;;
  grid3) netf=$here/../grid3.net.xml ;;
  *) netf=$here/$net.net.xml ;;
  esac
  sed '0,/<routes[^>]*>/s##&\n    <vType id="DEFAULT_VEHTYPE" carFollowModel="IDM"/>#' "$routes" >"$tmp/$routes"
  grep -q 'carFollowModel="IDM"' "$tmp/$routes" || { echo "no <routes> element in $routes" >&2; exit 2; }
  sumo_row "$net" "$routes" "$tmp/$routes" "$netf" "$step" "$tmp" | tee -a "$tmp/sumo_idm.csv"
done
mv "$tmp/sumo_idm.csv" sumo_idm.csv
