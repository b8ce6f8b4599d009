#!/bin/sh
# Control through the bridge (not a test): builds citylab and citylab-agent
# in Release, starts mosquitto on a free loopback port, and reports
#  - lockstep control periods per second for one controller through the
#    broker (citylab run --bridge + citylab-agent; target >= 1,000/s), with
#    the same scenario in-process for comparison;
#  - the broker's round trip (publish -> receive, QoS 1).
#   scripts/bench_control.sh [BUILD_DIR] [PERIODS]   (default build-bench, 20000; an existing
#   BUILD_DIR is used as configured)
# Each period is four one-way messages between three processes (clock, command, acknowledgement,
# done), so on a machine whose cores are busy the figure measures the scheduler's queue: there,
# `chrt -f 5 scripts/bench_control.sh` measures the pipeline itself.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build-bench"}
periods=${2:-20000}
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || { echo "bench_control: mosquitto is needed (scripts/setup.sh)" >&2; exit 2; }
broker=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCITY_BUILD_VIEWER=OFF >/dev/null
cmake --build "$build" --target citylab citylab-agent bench_mqtt_rtt -j2 >/dev/null
work=$(mktemp -d)
trap 'kill $agent $mosq 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
port=$(( 20000 + $$ % 20000 ))
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n' "$port" > "$work/m.conf"
"$broker" -c "$work/m.conf" >"$work/mosquitto.log" 2>&1 &
mosq=$!
mkdir -p "$work/controllers"
# one controller, a command every 1 s period
cat > "$work/controllers/echo.lua" <<'LUA'
local n = 0
function step() n = n + 1; command('a', n) end
LUA
cat > "$work/bench.lua" <<LUA
city.config{ dt_ms = 1000, until_s = $periods, name = "bench_bridge" }
city.control.actuator{ name = "a", kind = "generic", min = -1e12, max = 1e12 }
city.control.attach{ file = "controllers/echo.lua", name = "echo", actuators = { "a" }, period = 1 }
LUA
sleep 0.5
"$build/citylab-agent" "$work/controllers/echo.lua" --broker "mqtt://127.0.0.1:$port" --site bench --lockstep \
    --quiet >"$work/agent.out" 2>&1 &
agent=$!
t() { date +%s.%N; }
a=$(t); "$build/citylab" run "$work/bench.lua" --quiet --out "$work/inproc" >/dev/null; b=$(t)
"$build/citylab" run "$work/bench.lua" --quiet --out "$work/bridged" --bridge "mqtt://127.0.0.1:$port" \
    --bridge-all --site bench >/dev/null 2>"$work/bridge.err"; c=$(t)
cmp -s "$work/inproc/commands.csv" "$work/bridged/commands.csv" || { echo "bench_control: command logs differ" >&2; exit 1; }
echo "$periods $a $b $c" | awk '{ printf "in-process:  %d control periods in %.2f s = %.0f/s\n", $1, $3-$2, $1/($3-$2);
    printf "bridged:     %d control periods in %.2f s = %.0f/s (target >= 1000/s), same command log\n", $1, $4-$3, $1/($4-$3) }'
"$build/tests/bench_mqtt_rtt" "mqtt://127.0.0.1:$port" 2000
