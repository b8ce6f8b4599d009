function mpc = bas
mpc.version = '2';
mpc.baseMVA = 100;
mpc.bus = [
	1	3	0	0	:	97739566 -2.64448620
];
