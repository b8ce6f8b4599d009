#!/bin/sh
# A reference solution by MATPOWER (in GNU Octave) for one case file, in
# the layout `citylab pf` prints: header lines, BUS id Vm_pu Va_deg, GEN
# row bus Pg_MW Qg_MVAr. How tests/data/matpower/ref/ was made.
#   scripts/matpower_ref.sh MATPOWER_DIR CASE.m [QLIM] > ref/CASE.NR.txt
# QLIM 1 or 2 sets pf.enforce_q_lims (default 0).
set -eu
mp=$(cd "${1:?usage: scripts/matpower_ref.sh MATPOWER_DIR CASE.m [QLIM]}" && pwd)
case_file=${2:?usage: scripts/matpower_ref.sh MATPOWER_DIR CASE.m [QLIM]}
qlim=${3:-0}
dir=$(cd "$(dirname "$case_file")" && pwd)
name=$(basename "$case_file" .m)
octave-cli -q --eval "
for d = {'lib', 'mptest/lib', 'mp-opt-model/lib', 'mips/lib'}
  if exist(fullfile('$mp', d{1}), 'dir'), addpath(fullfile('$mp', d{1})); end
end
addpath('$dir');
r = runpf('$name', mpoption('verbose', 0, 'out.all', 0, 'pf.enforce_q_lims', $qlim));
printf('# case $name, solved by MATPOWER %s runpf (Newton-Raphson, tol 1e-8, pf.enforce_q_lims $qlim)\n', mpver());
printf('# success %d\n# iterations %d\n', r.success, r.iterations);
printf('# total_Pd_MW %.12f total_Qd_MVAr %.12f\n', sum(r.bus(:, 3)), sum(r.bus(:, 4)));
printf('# columns: BUS id Vm_pu Va_deg\n');
printf('BUS %d %.10f %.10f\n', r.bus(:, [1 8 9])');
printf('# columns: GEN row bus Pg_MW Qg_MVAr\n');
printf('GEN %d %d %.10f %.10f\n', [(1:size(r.gen, 1))' r.gen(:, [1 2 3])]');
"
