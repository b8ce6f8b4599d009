#!/usr/bin/env bash
# Sets up, builds (Release) and runs citylab. Extra arguments go to citylab;
# with none it runs the default scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
exec ./build/citylab "$@"
