#!/bin/sh
# Fuzzes every reader with libFuzzer (clang, AddressSanitizer and
# UndefinedBehaviorSanitizer): SUMO net, routes, poly, walkable space and persons, MATPOWER,
# replay CSV, MQTT payloads, SenML, weather CSV and checkpoints (--restore).
#   scripts/fuzz.sh [SECONDS] [TARGET...]    (default 30 s each, all targets)
# Starts from the committed seeds in tests/fuzz/corpus/<target>/ (the MATPOWER
# target also from the test cases in tests/data/matpower/) and grows a
# working corpus under build-fuzz/corpus/ (not committed). A crash, leak,
# undefined behaviour, timeout (10 s) or memory blow-up (over 2 GiB) is a
# finding: its input goes to build-fuzz/artifacts/<target>/ and the script
# exits 1. Re-run one input with: build-fuzz/tests/fuzz/fuzz_<target> FILE
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-30}
[ $# -gt 0 ] && shift
targets=${*:-sumo_net sumo_routes sumo_poly sumo_walk sumo_persons matpower replay mqtt senml weather checkpoint report collect}
build=build-fuzz
command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (apt-get install clang)" >&2; exit 2; }
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCITY_FUZZ=ON \
    -DCITY_BUILD_TESTS=OFF -DCITY_BUILD_VIEWER=OFF >/dev/null
cmake --build "$build" -j2 >/dev/null
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
rc=0
for t in $targets; do
    bin="$build/tests/fuzz/fuzz_$t"
    [ -x "$bin" ] || { echo "fuzz.sh: no target '$t'" >&2; exit 2; }
    work="$build/corpus/$t"
    seeds="tests/fuzz/corpus/$t"
    [ "$t" = matpower ] && seeds="tests/data/matpower tests/fuzz/corpus/matpower"
    art="$build/artifacts/$t"
    mkdir -p "$work" "$art"
    log="$build/fuzz_$t.log"
    if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$art/" "$work" $seeds >"$log" 2>&1; then
        status=ok
    else
        status=FINDING
        rc=1
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    echo "fuzz $t: $status, ${execs:-?} inputs in $seconds s, coverage ${cov:-?} edges, corpus $(ls "$work" | wc -l) files (log $log)"
    [ "$status" = ok ] || grep -E "^(==|SUMMARY|.*runtime error)" "$log" | head -5
done
exit "$rc"
