function mpc = mp_elements
%MP_ELEMENTS  A 5-bus network whose numbers are written as expressions
%   inside the matrices, as case533mt_hi does (135/sqrt(3) kV): a base of
%   50/3 MVA, kV of phase voltages, products, powers, parentheses, unary
%   minus ("[1 -2]" is two elements, "1 - 2" one), exp/abs/round, a range
%   with `end`, and a transposed column. Two generators share bus 2.
%   Made for citylab's tests; reference solution by MATPOWER (see ref/).
mpc.version = '2';
mpc.baseMVA = 50/3;

kv = 110/sqrt(3);
mpc.bus = [
	1	3	0		0		0	0	1	1	0	kv	1	1.1	0.9;
	2	2	2*5		(1+2)*0.5	0	0	1	1	0	kv	1	1.1	0.9;
	3	1	3^2		-1.5 - 0.5	0	0	1	1	0	kv	1	1.1	0.9;
	4	1	abs(-7.5)	2 - 0.5		0	0	1	1	0	kv	1	1.1	0.9;
	5	1	round(4.4)	exp(0)		0	-2	1	1	0	kv	1	1.1	0.9;
];

mpc.gen = [
	1	0	0	100	-100	1.03	100	1	100	0;
	2	6	0	4	-2	1.01	100	1	10	0;
	2	4	0	Inf	-Inf	1.01	100	1	10	0;
];

x = [0.06 0.05 0.08 0.04 0.07 0.09]';
mpc.branch = [
	1	2	x(1)/5	x(1)	0.02	0	0	0	0	0	1	-360	360;
	1	3	x(2)/5	x(2)	0.02	0	0	0	0	0	1	-360	360;
	2	3	x(3)/5	x(3)	0.01	0	0	0	0	0	1	-360	360;
	2	4	x(4)/5	x(4)	0.01	0	0	0	0.98	0	1	-360	360;
	3	5	x(5)/5	x(5)	0.01	0	0	0	0	0	1	-360	360;
	4	5	x(6)/5	x(6)	0.01	0	0	0	0	0	1	-360	360;
];
mpc.branch(2:end, 5) = mpc.branch(2:end, 5) .* 2;
