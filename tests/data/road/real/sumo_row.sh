# shellcheck shell=bash
# Sourced by make.sh and sumo_idm.sh: one run of SUMO and its row of
# sumo.csv's columns.
# sumo_row NET_NAME ROUTES_NAME ROUTES_FILE NET_FILE STEP_S TMPDIR runs
# `sumo` on the files to 3600 s and prints
# net,routes,step_s,until_s,inserted,completed,mean_travel_time_s,teleports
# (completed: tripinfo rows; mean travel time: tripinfo duration, s).
sumo_row() {
  sumo -n "$4" -r "$3" --end 3600 --step-length "$5" --no-step-log \
    --duration-log.statistics --tripinfo-output "$6/trip.xml" >"$6/log" 2>&1
  local ins done_n tt tp
  ins=$(grep -m1 'Inserted:' "$6/log" | awk '{print $2}')
  done_n=$(grep -c '<tripinfo ' "$6/trip.xml" || true)
  tt=$(grep -A3 'Statistics (avg' "$6/log" | grep -m1 'Duration:' | awk '{print $2}')
  tp=$(grep -m1 'Teleports:' "$6/log" | awk '{print $2}' || true)
  echo "$1,$2,$5,3600,$ins,$done_n,$tt,${tp:-0}"
}
