/* citylab: the command-line front end. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static void usage(FILE *f)
{
    fprintf(f,
            "citylab %s - a discrete-time city simulator for smart-city living labs\n"
            "\n"
            "usage:\n"
            "  citylab                         run the default scenario (%s)\n"
            "  citylab run SCENARIO.lua [...]  run a scenario headless (citylab run --help)\n"
            "  citylab run --net N.net.xml --routes R.rou.xml [...]   run SUMO files directly\n"
            "  citylab view SCENARIO.lua [...] watch a scenario in an SDL2 window (citylab view --help)\n"
            "  citylab pf CASE.m [...]         one AC power flow on a MATPOWER case (citylab pf --help)\n"
            "  citylab sweep SWEEP.lua [...]   many runs over parameters and seeds, here or on Slurm\n"
            "  citylab collect SWEEP_OUT       one CSV of every run of a sweep (citylab collect --help)\n"
            "  citylab report OUT_DIR          an HTML page of a run: KPIs, checks, a chart per series\n"
            "  citylab --help | --version\n"
            "\n"
            "exit codes: 0 all checks passed, 1 a check failed, 2 bad input or error\n",
            CITY_VERSION, city_cli_default_scenario());
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return city_cmd_run_from(argc, argv, 1);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run"))
        return city_cmd_run(argc, argv);
    if (!strcmp(cmd, "view"))
        return city_cmd_view(argc, argv);
    if (!strcmp(cmd, "pf"))
        return city_cmd_pf(argc, argv);
    if (!strcmp(cmd, "sweep"))
        return city_cmd_sweep(argc, argv);
    if (!strcmp(cmd, "collect"))
        return city_cmd_collect(argc, argv);
    if (!strcmp(cmd, "report"))
        return city_cmd_report(argc, argv);
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("citylab %s\n", CITY_VERSION);
        return 0;
    }
    if (cmd[0] == '-' || strstr(cmd, ".lua")) /* `citylab --seed 3` or `citylab x.lua`: a run */
        return city_cmd_run_from(argc, argv, 1);
    static const char *const commands[] = {"run", "view", "pf", "sweep", "collect", "report", "help", NULL};
    const char *near = city_cli_nearest(cmd, commands);
    if (near)
        fprintf(stderr, "citylab: unknown command '%s'; did you mean citylab %s? (try citylab --help)\n", cmd, near);
    else
        fprintf(stderr, "citylab: unknown command '%s'; try citylab --help\n", cmd);
    return 2;
}
