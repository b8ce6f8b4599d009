function mpc = mp_qlim_infeasible
%MP_QLIM_INFEASIBLE  mp_qlim with every generator's Qmax at 5 MVAr: with
%   pf.enforce_q_lims all generators still holding their voltage exceed
%   Qmax at once, which MATPOWER's runpf reports as infeasible (success 0).
%   Made for citylab's tests; MATPOWER's answer is in ref/.
mpc.version = '2';
mpc.baseMVA = 100;

%	bus_i	type	Pd	Qd	Gs	Bs	area	Vm	Va	baseKV	zone	Vmax	Vmin
mpc.bus = [
	1	3	0	0	0	0	1	1.05	0	138	1	1.1	0.9;
	2	1	60	30	0	0	1	1	0	138	1	1.1	0.9;
	3	2	40	35	0	0	1	1	0	138	1	1.1	0.9;
	4	1	80	45	0	0	1	1	0	138	1	1.1	0.9;
	5	2	30	10	0	0	1	1	0	138	1	1.1	0.9;
	6	1	50	20	0	0	1	1	0	138	1	1.1	0.9;
];

%	bus	Pg	Qg	Qmax	Qmin	Vg	mBase	status	Pmax	Pmin
mpc.gen = [
	1	0	0	5	-300	1.05	100	1	400	0;
	3	50	0	5	-15	1.04	100	1	100	0;
	5	30	0	5	-10	1.03	100	1	100	0;
	5	20	0	5	-20	1.03	100	1	100	0;
	6	10	0	5	-10	1.00	100	0	100	0;
];

%	fbus	tbus	r	x	b	rateA	rateB	rateC	ratio	angle	status	angmin	angmax
mpc.branch = [
	1	2	0.02	0.10	0.02	0	0	0	0	0	1	-360	360;
	1	4	0.03	0.15	0.03	0	0	0	0	0	1	-360	360;
	2	3	0.04	0.20	0.02	0	0	0	0	0	1	-360	360;
	2	4	0.02	0.10	0.01	0	0	0	0	0	1	-360	360;
	3	6	0.05	0.25	0.02	0	0	0	0	0	1	-360	360;
	4	5	0.03	0.12	0.02	0	0	0	0	0	1	-360	360;
	5	6	0.04	0.18	0.02	0	0	0	0	0	1	-360	360;
];
