#!/bin/sh
# MATPOWER's case library through MATPOWER (in GNU Octave) and through
# `citylab pf`, case by case (not a test: it needs a MATPOWER source tree).
#   scripts/matpower_library.sh MATPOWER_DIR [QLIM]
# QLIM 0 (default), 1 or 2 sets pf.enforce_q_lims / --enforce-q-lims=QLIM.
# Prints one row per data/case*.m: buses, whether each converged, the
# largest |Vm| (pu) and |Va| (deg) differences, and each side's wall time
# (MATPOWER: runpf alone; citylab: the whole process, reading included).
# A case matches when MATPOWER converges and the differences are within
# 1e-6 pu and 1e-4 deg. CITYLAB names the binary (default build/citylab).
# MATPOWER_LEGACY_CORE=1 runs MATPOWER 8's legacy runpf (pfsoln.m), whose
# split of a bus's Q among its generators citylab follows; the default
# MP-Core splits Q by a linear solve that differs on a few large cases
# (case_ACTIVSg10k), which changes which generators Q limits catch.
# CASES="case9 case2868rte" runs those cases only (default: every
# data/case*.m). A case citylab refuses prints citylab's reason below its
# row; the last line counts each verdict.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
mp=${1:?usage: scripts/matpower_library.sh MATPOWER_DIR [QLIM]}
qlim=${2:-0}
mp=$(cd "$mp" && pwd)
bin=${CITYLAB:-"$root/build/citylab"}
legacy=${MATPOWER_LEGACY_CORE:-0}
cases=${CASES:-}
[ -x "$bin" ] || { echo "matpower_library.sh: no $bin; build first or set CITYLAB" >&2; exit 2; }
command -v octave-cli >/dev/null || { echo "matpower_library.sh: octave-cli not found (apt-get install octave)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/ref.m" <<OCT
for d = {'lib', 'mptest/lib', 'mp-opt-model/lib', 'mips/lib', 'data'}
  if exist(fullfile('$mp', d{1}), 'dir'), addpath(fullfile('$mp', d{1})); end
end
mpopt = mpoption('verbose', 0, 'out.all', 0, 'pf.enforce_q_lims', $qlim);
if $legacy, mpopt = mpoption(mpopt, 'exp.use_legacy_core', 1); end
names = strsplit(strtrim('$cases'));
if isempty(names{1})
  files = dir(fullfile('$mp', 'data', 'case*.m'));
  names = cellfun(@(f) f(1:end-2), {files.name}, 'UniformOutput', false);
end
for k = 1:numel(names)
  nm = names{k};
  fid = fopen(fullfile('$tmp', [nm '.ref']), 'w');
  try
    mpc = loadcase(nm);
    t = tic; r = runpf(mpc, mpopt); el = toc(t);
    fprintf(fid, '# success %d\n# time %.4f\n', r.success, el);
    fprintf(fid, 'BUS %d %.10f %.10f\n', r.bus(:, [1 8 9])');
  catch err
    fprintf(fid, '# error %s\n', err.message);
  end
  fclose(fid);
end
OCT
octave-cli -q "$tmp/ref.m" >"$tmp/octave.log" 2>&1 || { cat "$tmp/octave.log" >&2; exit 2; }

printf '%-18s %6s %7s %7s %10s %10s %8s %8s  %s\n' case buses mp_conv cl_conv max_dVm max_dVa mp_s cl_s verdict
total=0 match=0 bothfail=0 clfail=0 clonly=0 mismatch=0
for ref in "$tmp"/*.ref; do
  nm=$(basename "$ref" .ref)
  total=$((total + 1))
  flag=""
  [ "$qlim" != 0 ] && flag="--enforce-q-lims=$qlim"
  t0=$(date +%s.%N)
  if "$bin" pf "$mp/data/$nm.m" $flag >"$tmp/$nm.out" 2>"$tmp/$nm.err"; then cl=1; else cl=0; fi
  t1=$(date +%s.%N)
  row=$(awk -v nm="$nm" -v cl="$cl" -v t0="$t0" -v t1="$t1" '
    FNR == NR && /^# success/ { ok = $3 }
    FNR == NR && /^# time/ { mt = $3 }
    FNR == NR && /^BUS/ { vm[$2] = $3; va[$2] = $4; nb++ }
    FNR == NR { next }
    /^BUS/ { d = $3 - vm[$2]; if (d < 0) d = -d; if (d > dm) dm = d
             a = $4 - va[$2]; if (a < 0) a = -a; if (a > da) da = a; n++ }
    END {
      t = t1 - t0
      if (ok == "") { ok = "err"; mt = 0 }
      v = ok != 1 ? (cl == 1 ? "MATPOWER does not converge, citylab does" : "neither converges") : \
          cl != 1 ? "citylab refuses" : (n == nb && dm <= 1e-6 && da <= 1e-4) ? "match" : "MISMATCH"
      if (cl != 1) { dm = -1; da = -1 }
      printf "%-18s %6d %7s %7d %10.1e %10.1e %8.3f %8.3f  %s\n", nm, nb, ok, cl, dm, da, mt, t, v
    }' "$ref" "$tmp/$nm.out")
  echo "$row"
  case "$row" in
  *" match") match=$((match + 1)) ;;
  *"neither converges") bothfail=$((bothfail + 1)) ;;
  *"citylab does") clonly=$((clonly + 1)) ;;
  *"citylab refuses") clfail=$((clfail + 1)) ;;
  *) mismatch=$((mismatch + 1)) ;;
  esac
  [ "$cl" = 1 ] || sed -n '1{s/^citylab pf: [^:]*: //;s/^/    citylab: /;p;}' "$tmp/$nm.err"
done
echo "# $total cases (enforce_q_lims $qlim, legacy core $legacy): $match match MATPOWER, $mismatch differ," \
  "$bothfail fail in both, $clfail solved by MATPOWER only, $clonly solved by citylab only"
