function mpc = mp_blocks
%MP_BLOCKS  A 5-bus network changed by statements as the PEGASE cases do:
%   define_constants, if / elseif / else / end blocks whose conditions use
%   comparisons and logic, find(isinf(...) & ...) selecting rows, ranges,
%   size and ones, and a block that is skipped unread.
%   Made for citylab's tests; reference solution by MATPOWER (see ref/).
define_constants;
mpc.version = '2';
mpc.baseMVA = 100;

mpc.bus = [
	1	3	0	0	0	0	1	1.0	0	230	1	1.1	0.9;
	2	2	20	10	0	0	1	1.0	0	230	1	1.1	0.9;
	3	1	90	30	0	0	1	1.0	0	230	1	1.1	0.9;
	4	1	60	20	0	15	1	1.0	0	230	1	1.1	0.9;
	5	1	40	15	0	0	1	1.0	0	230	1	1.1	0.9;
];

mpc.gen = [
	1	0	0	Inf	-Inf	1.02	100	1	Inf	-Inf;
	2	80	0	Inf	-Inf	1.01	100	1	Inf	-Inf;
	4	30	5	50	-50	1.00	100	1	80	0;
];

mpc.branch = [
	1	2	0.02	0.06	0.03	0	0	0	0	0	1	-360	360;
	1	3	0.08	0.24	0.025	0	0	0	0	0	1	-360	360;
	2	3	0.06	0.18	0.02	0	0	0	0	0	1	-360	360;
	2	4	0.06	0.18	0.02	0	0	0	0	0	1	-360	360;
	3	4	0.01	0.03	0.01	0	0	0	0	0	1	-360	360;
	4	5	0.04	0.12	0.025	0	0	0	0	0	1	-360	360;
];

scale = 1.1;
if scale > 1 && size(mpc.bus, 1) == 5
    %% gens with no limits get fixed output, as case8387pegase's option
    k = find(isinf(mpc.gen(:, QMIN)) & isinf(mpc.gen(:, PMAX)));
    mpc.gen(k, PMAX) = mpc.gen(k, PG);
    mpc.bus(2:end, [PD QD]) = mpc.bus(2:end, [PD QD]) * scale;
elseif scale == 1
    mpc.bus(:, PD) = this_is_never_read(mpc);
else
    for i = 1:10, mpc.bus(1, PD) = 1; end
end
if ~(scale < 1) | 0
    mpc.branch(:, BR_B) = mpc.branch(:, BR_B) .* ones(size(mpc.branch, 1), 1) * 2;
end
if 0, mpc.branch(:, BR_STATUS) = 0; else, mpc.branch(6, BR_R) = 0.07; end
