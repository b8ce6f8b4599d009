#!/usr/bin/env bash
# Sets up, builds with warnings as errors, runs every test, then does the
# same in an AddressSanitizer + UndefinedBehaviorSanitizer build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs="$(nproc)"

echo "== build (warnings as errors) =="
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCITY_WERROR=ON >/dev/null
cmake --build build-test -j"$jobs"
echo "== tests =="
(cd build-test && ctest --output-on-failure -j"$jobs")

echo "== Release build, as scripts/run.sh makes it (for this processor): the pinned results =="
# (the state hashes and the real networks' table the tests pin, computed by
# the code the program runs: built for this machine's processor, CMakeLists.txt)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs" -R '^(test_golden|test_road_real|test_checkpoint)$')

echo "== sanitizer build (ASan + UBSan) =="
# (locals not zeroed here: the checkpoints' bytes must not rest on it, see CMakeLists.txt)
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCITY_WERROR=ON -DCITY_SANITIZE=ON -DCITY_ZERO_LOCALS=OFF >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests under sanitizers =="
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$jobs")

echo "== fuzz every reader briefly (libFuzzer, ASan + UBSan; scripts/fuzz.sh SECONDS for longer) =="
scripts/fuzz.sh 20
