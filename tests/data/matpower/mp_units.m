function mpc = mp_units
%MP_UNITS  A 6-bus 11 kV feeder written as MATPOWER's distribution cases
%   are (case141, case85, case33bw): impedances in ohms, loads in kVA with
%   a power factor, converted with named columns from idx_bus/idx_brch and
%   element-wise expressions: Vbase^2 / Sbase, / 1e3, sin(acos(pf)).
%   Made for citylab's tests; reference solution by MATPOWER (see ref/).

[PQ, PV, REF, NONE, BUS_I, BUS_TYPE, PD, QD, GS, BS, BUS_AREA, VM, ...
    VA, BASE_KV, ZONE, VMAX, VMIN, LAM_P, LAM_Q, MU_VMAX, MU_VMIN] = idx_bus;
[F_BUS, T_BUS, BR_R, BR_X, BR_B, RATE_A, RATE_B, RATE_C, ...
    TAP, SHIFT, BR_STATUS, PF, QF, PT, QT, MU_SF, MU_ST, ...
    ANGMIN, ANGMAX, MU_ANGMIN, MU_ANGMAX] = idx_brch;

mpc.version = '2';
mpc.baseMVA = 10;

%% bus data: Pd holds the apparent power in kVA until converted below
%	bus_i	type	Pd	Qd	Gs	Bs	area	Vm	Va	baseKV	zone	Vmax	Vmin
mpc.bus = [
	1	3	0	0	0	0	1	1	0	11	1	1	1;
	2	1	400	0	0	0	1	1	0	11	1	1.1	0.9;
	3	1	650	0	0	0	1	1	0	11	1	1.1	0.9;
	4	1	300	0	0	0	1	1	0	11	1	1.1	0.9;
	5	1	820	0	0	0.2	1	1	0	11	1	1.1	0.9;
	6	1	250	0	0	0	1	1	0	11	1	1.1	0.9;
];

%% generator data
%	bus	Pg	Qg	Qmax	Qmin	Vg	mBase	status	Pmax	Pmin
mpc.gen = [
	1	0	0	10	-10	1.02	10	1	10	0;
];

%% branch data: r and x in ohms
%	fbus	tbus	r	x	b	rateA	rateB	rateC	ratio	angle	status	angmin	angmax
mpc.branch = [
	1	2	0.35	0.72	0	0	0	0	0	0	1	-360	360;
	2	3	0.42	0.61	0	0	0	0	0	0	1	-360	360;
	3	4	0.51	0.55	0	0	0	0	0	0	1	-360	360;
	2	5	0.63	0.94	0	0	0	0	0	0	1	-360	360;
	5	6	0.28	0.33	0	0	0	0	0	0	1	-360	360;
	4	6	1.10	1.40	0	0	0	0	0	0	0	-360	360;
];

%% convert branch impedances from Ohms to p.u.
Vbase = mpc.bus(1, BASE_KV) * 1e3;      %% in Volts
Sbase = mpc.baseMVA * 1e6;              %% in VA
mpc.branch(:, [BR_R BR_X]) = mpc.branch(:, [BR_R BR_X]) / (Vbase^2 / Sbase);

%% convert loads from kVA to MVA, then to MW and MVAr at 0.9 power factor
mpc.bus(:, PD) = mpc.bus(:, PD) / 1e3;
pf = 0.9;
mpc.bus(:, QD) = mpc.bus(:, PD) * sin(acos(pf));
mpc.bus(:, PD) = mpc.bus(:, PD) * pf;
