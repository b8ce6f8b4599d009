#!/usr/bin/env python3
"""Prints the tables of the 256-layer ziggurat for the standard normal
(Marsaglia and Tsang 2000, "The Ziggurat Method for Generating Random
Variables", J. Stat. Softw. 5(8); R and V as there and in Doornik 2005)
as C, for sim/core/rng_ziggurat.c. Python floats are IEEE doubles, so the
numbers are the ones a C program computing them in double would get; they
are committed so that no libm ever changes them.
   scripts/ziggurat_tables.py > /tmp/tables.c"""
import math

R = 3.6541528853610088  # start of the tail
V = 0.00492867323399  # area of every layer, the base's included (f unnormalised)


def f(x):
    return math.exp(-x * x / 2.0)


def f_inv(y):
    return math.sqrt(-2.0 * math.log(y))


xs = [V / f(R), R]
for _ in range(2, 256):
    xs.append(f_inv(V / xs[-1] + f(xs[-1])))
xs.append(0.0)
fs = [f(x) for x in xs]


def table(decl, values):
    print("%s[257] = {" % decl)
    for k in range(0, 257, 3):
        print("    " + ", ".join("%.17g" % v for v in values[k:k + 3]) + ",")
    print("};")


table("const double CITY_RNG_ZIG_X", xs)
table("static const double ZIG_F", fs)
