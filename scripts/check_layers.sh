#!/bin/sh
# Checks the layer rules (README "Architecture"):
#  1. a quick scan of the sources: lua.h only in sim/lua; the core includes
#     no domain header; a domain includes no other domain's header;
#  2. the compiler's word on it: the layer probes (ctest -L layers) build
#     tiny sources with each layer's own include path and expect a wrong
#     include to stop with "No such file".
#   scripts/check_layers.sh [BUILD_DIR]   (default build)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build"}
cd "$root"
status=0
bad() {
    echo "check_layers: $1" >&2
    status=1
}

# public headers of each domain, by layer folder
headers_of() { ls "sim/include/citylab/$1" 2>/dev/null | tr '\n' ' '; }
domains=$(ls sim/include/citylab | grep -v -x -e core -e couple -e io -e lua -e view)

hits=$(grep -rln '#include *<lua' sim --include='*.[ch]' | grep -v '^sim/lua/' || true)
[ -z "$hits" ] || bad "lua.h included outside sim/lua: $hits"
for d in $domains; do
    for h in $(headers_of "$d"); do
        hits=$(grep -rl "#include \"$h\"" sim/core || true)
        [ -z "$hits" ] || bad "the core includes $d's $h: $hits"
        for other in $domains; do
            [ "$other" = "$d" ] && continue
            [ -d "sim/$other" ] || continue
            hits=$(grep -rl "#include \"$h\"" "sim/$other" || true)
            [ -z "$hits" ] || bad "domain $other includes $d's $h (make it a coupling in sim/couple): $hits"
        done
    done
done

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" >/dev/null
fi
(cd "$build" && ctest -L layers --output-on-failure) || bad "a layer probe failed (see above)"
[ "$status" -eq 0 ] && echo "check_layers: layers sealed"
exit "$status"
