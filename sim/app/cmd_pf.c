/* citylab pf CASE.m [--method nr|sweep]: one AC power flow. */
#include <stdio.h>

#include "commands.h"

int city_cmd_pf(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "citylab pf: not built yet\n");
    return 2;
}
