#!/usr/bin/env bash
# Rewrites the table of README.md here (the one headed "| routes | step (s) |
# SUMO completed") from SUMO's figures (sumo.csv, sumo_idm.csv) and from runs
# of the citylab program in BUILD_DIR on the same files, row by row, in the
# table's own order and with its marks (*: the rows tests/test_road_real.c
# runs, which also checks that the table shows what it got).
# Usage: table.sh BUILD_DIR (26 runs: a few seconds with a Release build).
# README.md is replaced whole once every run has succeeded, or left as it was.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
build=${1:?usage: table.sh BUILD_DIR}
bin="$build/citylab"
[ -x "$bin" ] || { echo "table.sh: no citylab program in $build (build it first: see README.md)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$here" "$root" "$bin" "$tmp" <<'PY'
import csv, json, os, subprocess, sys

here, root, bin_, tmp = sys.argv[1:5]
header = "| routes | step (s) | SUMO completed |"

def figures(name):
    with open(os.path.join(here, name)) as f:
        return {(r["routes"], float(r["step_s"])): r for r in csv.DictReader(f)}

sumo, idm = figures("sumo.csv"), figures("sumo_idm.csv")
nets = {"jamsil": os.path.join(root, "assets/jamsil/jamsil.net.xml"),
        "grid3": os.path.join(root, "tests/data/road/grid3.net.xml")}

def routes_file(label):  # "grid3-p2 trips" -> grid3-p2.trips.xml, "center-p6" -> center-p6.rou.xml
    return label[:-len(" trips")] + ".trips.xml" if label.endswith(" trips") else label + ".rou.xml"

def citylab(routes, net, step):
    out = os.path.join(tmp, "out")
    cmd = [bin_, "run", "--net", net, "--routes", os.path.join(here, routes), "--until", "3600",
           "--dt", str(round(step * 1000)), "--out", out, "--quiet"]
    if subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode not in (0, 1):  # 1: a check failed, figures written
        print("table.sh: %s failed; README.md left as it was" % " ".join(cmd), file=sys.stderr)
        sys.exit(2)
    with open(os.path.join(out, "summary.json")) as f:
        k = json.load(f)["kpi"]
    return k["trips_completed"], k["mean_travel_time_s"], k["teleports"]

path = os.path.join(here, "README.md")
with open(path) as f:
    lines = f.read().split("\n")
i = next(k for k, l in enumerate(lines) if l.startswith(header)) + 2  # past the header and its rule
while i < len(lines) and lines[i].startswith("| "):
    cells = [c.strip() for c in lines[i].strip("|").split("|")]
    label, step = cells[0], float(cells[1])
    mark = label.endswith(" *")
    label = label[:-2] if mark else label
    routes = routes_file(label)
    s, m = sumo[(routes, step)], idm[(routes, step)]
    net = nets.get(s["net"], os.path.join(here, s["net"] + ".net.xml"))
    done, tt, tp = citylab(routes, net, step)
    row = [label + (" *" if mark else ""), cells[1], s["completed"], s["mean_travel_time_s"], s["teleports"],
           m["mean_travel_time_s"], str(done), "%.1f" % tt, str(tp)]
    lines[i] = "| " + " | ".join(row) + " |"
    print(lines[i])
    i += 1
with open(path + ".new", "w") as f:
    f.write("\n".join(lines))
os.replace(path + ".new", path)
PY
