/* Validation on real networks: four districts of Seoul built from
 * OpenStreetMap with netconvert's joined junctions (Jamsil as shipped, and
 * three cut from the same extract), random demand made with SUMO's own tools
 * (randomTrips.py --validate, duarouter; and trips routed by each
 * simulator itself), each run at 1 s and 0.1 s steps
 * against what SUMO 1.15 makes of the same files
 * (tests/data/road/real/sumo.csv; how it was made: README.md there).
 *
 * Acceptance, per network and step: completed trips at least 97% of
 * SUMO's, mean travel time within 15% of SUMO's, no more teleports than
 * SUMO's; and the vehicle count is conserved (inserted = arrived + aborted
 * + running). The sanitizer build runs the two smaller networks only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_road.h"
#include "city_scenario.h"
#include "test_support.h"

#define REAL_DIR CITY_SOURCE_DIR "/tests/data/road/real"

#if defined(__SANITIZE_ADDRESS__)
#define HEAVY_CASES 0 /* sanitizer build: the larger Jamsil network is left to the Release build */
#else
#define HEAVY_CASES 1
#endif

typedef struct SumoFigures {
    double inserted, completed, mean_tt_s, teleports;
} SumoFigures;

/* SUMO's figures for a routes file and step from sumo.csv. */
static SumoFigures sumo_figures(const char *routes, double step_s)
{
    char *csv = city_test_read_file(REAL_DIR "/sumo.csv", NULL);
    assert_non_null(csv);
    SumoFigures f = {-1, -1, -1, -1};
    for (char *line = strtok(csv, "\n"); line; line = strtok(NULL, "\n")) {
        char net[64], rou[128];
        double step, until;
        SumoFigures g;
        if (sscanf(line, "%63[^,],%127[^,],%lf,%lf,%lf,%lf,%lf,%lf", net, rou, &step, &until, &g.inserted, &g.completed,
                   &g.mean_tt_s, &g.teleports) == 8 &&
            !strcmp(rou, routes) && fabs(step - step_s) < 1e-9)
            f = g;
    }
    free(csv);
    if (f.completed < 0)
        fail_msg("no SUMO figures for %s at %g s in sumo.csv", routes, step_s);
    return f;
}

/* Loads a scenario given as source (named `what` in failures), at `seed`. */
static CityScenario *load_source_seed(const char *what, const char *src, uint64_t seed)
{
    CityScenarioOptions o = {0};
    o.source = src;
    o.source_name = "real";
    o.seed = seed;
    o.until_s = -1;
    CityScenario *sc = NULL;
    CityError err;
    if (city_scenario_load(&o, &sc, &err) != CITY_OK)
        fail_msg("%s: %s", what, err.msg);
    return sc;
}

/* Runs a scenario given as source (named `what` in failures) to its end,
 * at `seed`; the caller reads its world and destroys it. */
static CityScenario *run_source_seed(const char *what, const char *src, uint64_t seed)
{
    CityScenario *sc = load_source_seed(what, src, seed);
    CityWorld *w = city_scenario_world(sc);
    const int64_t end = city_scenario_end_tick(sc);
    while (city_world_tick(w) < end && !city_world_stopped(w))
        if (city_scenario_step(sc) != CITY_OK)
            fail_msg("%s: %s", what, city_world_error(w));
    if (city_scenario_finish(sc) != CITY_OK)
        fail_msg("%s: %s", what, city_world_error(w));
    return sc;
}

static CityScenario *run_source(const char *what, const char *src)
{
    return run_source_seed(what, src, 1);
}

/* Runs citylab on a network and routes file to 3600 s at `seed`; its road
 * stats and its emergency_brakes KPI. */
static CityRoadStats run_citylab_seed(const char *net_path, const char *routes, int dt_ms, uint64_t seed,
                                      double *emergency_brakes)
{
    char src[2048];
    snprintf(src, sizeof src,
             "city.config{ dt_ms = %d, until_s = 3600 }\n"
             "city.road.load_sumo{ net = '%s', routes = { '%s/%s' }, trip_output = false, edge_output = false }\n",
             dt_ms, net_path, REAL_DIR, routes);
    CityScenario *sc = run_source_seed(routes, src, seed);
    CityRoadStats s;
    city_road_stats(city_road_of(city_scenario_world(sc)), &s);
    if (!city_world_kpi_get(city_scenario_world(sc), "emergency_brakes", emergency_brakes))
        fail_msg("%s: no emergency_brakes KPI", routes);
    city_scenario_destroy(sc);
    return s;
}

/* A run's mean travel time over its completed trips (s). */
static double mean_travel_time(const CityRoadStats *s)
{
    return s->arrived ? s->sum_travel_time_s / (double)s->arrived : 0.0;
}

/* One run at `seed` against SUMO's figures for the same files: every
 * trip accounted for, at least 97 % of SUMO's completed and no more
 * teleports; at seed 1 (the run SUMO's figures come from), or when
 * hold_tt, also a mean travel time within 15 % of SUMO's; at seed 1
 * emergency braking held down. */
static CityRoadStats check_run_tt(const char *net_path, const char *routes, int dt_ms, uint64_t seed, bool hold_tt)
{
    SumoFigures sumo = sumo_figures(routes, dt_ms / 1000.0);
    double hard;
    CityRoadStats s = run_citylab_seed(net_path, routes, dt_ms, seed, &hard);
    double tt = mean_travel_time(&s);
    print_message("%-18s %5.1f s seed %llu  SUMO %4.0f done %7.2f s %2.0f teleports | citylab %4llu done %7.2f s "
                  "%2llu teleports %llu aborted %.0f emergency brakes\n",
                  routes, dt_ms / 1000.0, (unsigned long long)seed, sumo.completed, sumo.mean_tt_s, sumo.teleports,
                  (unsigned long long)s.arrived, tt, (unsigned long long)s.teleports, (unsigned long long)s.aborted,
                  hard);
    assert_int_equal(s.inserted, s.arrived + s.aborted + s.running);
    assert_true((double)s.arrived >= 0.97 * sumo.completed);
    assert_true((double)s.teleports <= sumo.teleports);
    if (seed != 1 && !hold_tt)
        return s;
    assert_true(fabs(tt - sumo.mean_tt_s) <= 0.15 * sumo.mean_tt_s);
    if (seed != 1)
        return s;
    /* vehicle updates braking at the emergency rate (9 m/s^2 for a car)
     * or beyond: SUMO 1.15 warns of none on these runs at 1 s steps and
     * of 0 to 5 at 0.1 s (jamsil-p1: 5, each at the rate exactly,
     * "severity=1.00"). While citylab's
     * vehicles braked for a closed line only once on its lane, they made
     * 1,685 such stops at 1 s steps on jamsil-p1 (1,731 trips) and 7,382
     * at 0.1 s, where IDM's last decimetres to a line count too (a drop of
     * 0.9 m/s in a step); 545 and 2,562 after that, 22 and 366 with the
     * steps at the rate counted too, 24 and 260 since a vehicle behind a
     * leader slows for its own turn, 21 and 233 since a give-way line past
     * a line looked past is braked for, 12 and 150 since a vehicle slows
     * for its turn past the junction ahead behind a vehicle there, 23 and
     * 128 since a line's stop point is the same seen from before the lane
     * ahead as from on it. */
    assert_true(hard <= (dt_ms >= 1000 ? 0.5 : 2.0) * (double)s.inserted);
    return s;
}

static CityRoadStats check_run(const char *net_path, const char *routes, int dt_ms, uint64_t seed)
{
    return check_run_tt(net_path, routes, dt_ms, seed, false);
}

/* The README's table of the real networks (tests/data/road/real/README.md,
 * the one headed "| routes | step (s) | SUMO completed"): the row of a
 * routes file ("center-p6" for center-p6.rou.xml, "grid3-p2 trips" for
 * grid3-p2.trips.xml) at a step, marked with " *" as a row this test runs.
 * Its citylab columns (completed, travel time to 0.1 s, teleports) must be
 * what the run gives: the table is written by table.sh there, and went
 * stale once while written by hand. */
static void check_readme_row(const char *routes, int dt_ms, const CityRoadStats *s)
{
    char *md = city_test_read_file(REAL_DIR "/README.md", NULL);
    assert_non_null(md);
    char label[80];
    size_t stem = strcspn(routes, ".");
    snprintf(label, sizeof label, "| %.*s%s *", (int)stem, routes, strstr(routes, ".trips.xml") ? " trips" : "");
    char *table = strstr(md, "\n| routes | step (s) | SUMO completed |");
    assert_non_null(table);
    char *end = strstr(table + 1, "\n\n");
    bool found = false;
    char wrong[400] = "";
    const size_t n = strlen(label);
    for (char *line = strchr(table + 1, '\n'); line && (!end || line < end) && !found; line = strchr(line + 1, '\n')) {
        double step, sumo_done, sumo_tt, sumo_tp, idm_tt, done, tt, tp;
        if (strncmp(line + 1, label, n) ||
            sscanf(line + 1 + n, " | %lf | %lf | %lf | %lf | %lf | %lf | %lf | %lf |", &step, &sumo_done, &sumo_tt,
                   &sumo_tp, &idm_tt, &done, &tt, &tp) != 8 ||
            fabs(step - dt_ms / 1000.0) > 1e-9)
            continue;
        found = true;
        char shown[32];
        snprintf(shown, sizeof shown, "%.1f", mean_travel_time(s));
        if (done != (double)s->arrived || tt != atof(shown) || tp != (double)s->teleports)
            snprintf(wrong, sizeof wrong, "%.0f completed, %.1f s, %.0f teleports; this run gives %llu, %s s, %llu",
                     done, tt, tp, (unsigned long long)s->arrived, shown, (unsigned long long)s->teleports);
    }
    free(md);
    if (!found)
        fail_msg("tests/data/road/real/README.md has no row \"%s\" at %g s in its table of the real networks",
                 label + 2, dt_ms / 1000.0);
    if (wrong[0])
        fail_msg("tests/data/road/real/README.md shows %s at %g s as %s: rewrite the table with "
                 "tests/data/road/real/table.sh BUILD_DIR",
                 routes, dt_ms / 1000.0, wrong);
}

/* One validation run: network, routes and step; heavy runs are left to
 * the Release build. */
typedef struct RealCase {
    const char *net_path, *routes;
    int dt_ms;
    bool heavy;
} RealCase;

static void test_case(void **state)
{
    const RealCase *c = *state;
    if (c->heavy && !HEAVY_CASES)
        skip();
    CityRoadStats s = check_run(c->net_path, c->routes, c->dt_ms, 1);
    check_readme_row(c->routes, c->dt_ms, &s);
}

#define JAMSIL_NET CITY_SOURCE_DIR "/assets/jamsil/jamsil.net.xml"
#define GRID3_NET CITY_SOURCE_DIR "/tests/data/road/grid3.net.xml"

/* Other seeds (the speed factors drawn, and so who meets whom where):
 * every trip done, and no more teleports than SUMO's run of the same
 * files. Runs that ended in teleports before: center-p6 at 0.1 s, seed 5
 * (two U-turns at the ends of a 5.89 m segment held each other's way: 4
 * teleports); jamsil-p1 at 0.1 s, seeds 3 and 7 (a yielding vehicle on a
 * 0.2 m lane started and stopped again each time room opened, never grew
 * impatient, and held the lane behind it: 1 and 3 teleports); jamsil-p1 at
 * 1 s, seeds 10 and 22 (four cars on the 0.2 m lanes around the joined
 * junction north of Jamsil station, each waiting for the next: a U-turn
 * held up by cars standing across its junction on paths it never
 * crosses, and a car that had changed lanes in front of one crossing the
 * junction: 4 teleports each). Travel times are not held to SUMO's here:
 * it ran at one seed. */
static void check_seeds(const char *net_path, const char *routes, int dt_ms, const uint64_t *seeds, int n)
{
    for (int i = 0; i < n; i++)
        check_run(net_path, routes, dt_ms, seeds[i]);
}

/* center-p6 at 0.1 s holds its travel time too: SUMO's runs of seeds 2 to
 * 30 came within 4.2 % of its run at seed 1 (141.0 to 148.3 s against
 * 142.3 s). At seeds 6, 19, 20 and 27, citylab's took 165-169 s (up to
 * 19 % over): a ring of queues round the block of 1238812698#0,
 * 867821845#3 and 202072529#2 stood until a teleport, because a car
 * waited at the end of the 7.8 m 1238812698#1 for the car ahead on the
 * 5.89 m exit to leave the junction beyond, where SUMO counts a vehicle
 * moving off by its length (short_exit_passable). 152-154 s now. */
/* The chain past 1238812698#0 at seed 1 (see test_center_seeds): a car too
 * near its line to stop comfortably goes on into a junction whose exit is
 * shorter than itself, as SUMO's does, and stands behind the car on that
 * exit; kept at its line, each lost the 7 s of green the car ahead had
 * left it. center-p6 at 0.1 s then came out 5.3 % over SUMO's travel time
 * (149.8 s against 142.3 s), beyond the 4.2 % SUMO's own runs spread over
 * seeds 2 to 30; 144.3 s now. */
static void test_short_exit_entered_too_near_to_stop(void **state)
{
    (void)state;
    SumoFigures sumo = sumo_figures("center-p6.rou.xml", 0.1);
    double hard;
    CityRoadStats s = run_citylab_seed(REAL_DIR "/center.net.xml", "center-p6.rou.xml", 100, 1, &hard);
    double tt = s.sum_travel_time_s / (double)s.arrived;
    print_message("center-p6 at 0.1 s: %.1f s (SUMO %.1f s)\n", tt, sumo.mean_tt_s);
    assert_true(fabs(tt - sumo.mean_tt_s) <= 0.042 * sumo.mean_tt_s);
}

static void test_center_seeds(void **state)
{
    (void)state;
    const uint64_t seeds[] = {2, 3, 4, 5, 6, 7, 8, 19, 20, 27};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
        check_run_tt(REAL_DIR "/center.net.xml", "center-p6.rou.xml", 100, seeds[i], true);
}

static void test_jamsil_seeds(void **state)
{
    (void)state;
    if (!HEAVY_CASES)
        skip();
    /* seed 11: two cars near the end of -426094556, each on the other's
     * turn lane, the one in front 1.1 m ahead of the other's front: the
     * urgent change into the gap before the standing car was refused
     * because IDM asked that standing car to brake at 13 m/s^2 (a standing
     * follower brakes at nothing): 1 teleport */
    const uint64_t seeds[] = {3, 6, 7, 11}, seeds_1s[] = {10, 22}, hour_seeds[] = {9};
    check_seeds(JAMSIL_NET, "jamsil-p1.rou.xml", 100, seeds, 4);
    check_seeds(JAMSIL_NET, "jamsil-p1.rou.xml", 1000, seeds_1s, 2);
    /* two cars standing at the end of -426094556, each needing the other's
     * lane, one 0.2 m behind the other: they swap (swap_with_blocker) */
    check_seeds(JAMSIL_NET, "jamsil-hour.rou.xml", 100, hour_seeds, 1);
}

/* jamsil-p1, one vehicle a second on Jamsil: queues on Songpa-daero
 * (426094557#*) cross chains of short lanes between joined junctions,
 * several lines in one 1 s step. jamsil-hour, the same rate for the whole
 * hour (3,454 trips): a queue crawls across the junction at the end of
 * -426094557#3 and left turners there must find gaps in it. The trips
 * files are routed by each simulator: on the 3 x 3 grid of lights, a
 * router that counted no junction time locked the grid at one trip every
 * 2 s (430 of 900 trips done, 203 teleports; SUMO: all, 80 s). On
 * center, a router that refused routes needing a lane change on edges
 * under 60 m and paid the minor penalty once a U-turn sent trips round a
 * ring of 6-13 m edges with a U-turn at each end, which locked at 0.1 s
 * (241.5 s, 11 teleports; SUMO 147.2 s, 2; see the README beside
 * sumo.csv). */
static RealCase cases[] = {
    {REAL_DIR "/center.net.xml", "center-p6.rou.xml", 1000, false},
    {REAL_DIR "/center.net.xml", "center-p6.rou.xml", 100, false},
    {REAL_DIR "/east.net.xml", "east-p2.rou.xml", 1000, false},
    {REAL_DIR "/east.net.xml", "east-p2.rou.xml", 100, false},
    {JAMSIL_NET, "jamsil-p2.rou.xml", 1000, true},
    {JAMSIL_NET, "jamsil-p2.rou.xml", 100, true},
    {JAMSIL_NET, "jamsil-p1.rou.xml", 1000, true},
    {JAMSIL_NET, "jamsil-p1.rou.xml", 100, true},
    {JAMSIL_NET, "jamsil-hour.rou.xml", 1000, true},
    {JAMSIL_NET, "jamsil-hour.rou.xml", 100, true},
    /* trips (from, to): each simulator routes them itself */
    {GRID3_NET, "grid3-p3.trips.xml", 1000, false},
    {GRID3_NET, "grid3-p3.trips.xml", 100, false},
    {GRID3_NET, "grid3-p2.trips.xml", 1000, false},
    {GRID3_NET, "grid3-p2.trips.xml", 100, false},
    {REAL_DIR "/center.net.xml", "center-p6.trips.xml", 1000, false},
    {REAL_DIR "/center.net.xml", "center-p6.trips.xml", 100, false},
    {JAMSIL_NET, "jamsil-p1.trips.xml", 1000, true},
    {JAMSIL_NET, "jamsil-p1.trips.xml", 100, true},
    /* a district cut after the rows above had shaped the junction model:
     * out of sample (songpa-p4 at 1 s: +10.3 %, the README beside
     * sumo.csv says where) */
    {REAL_DIR "/songpa.net.xml", "songpa-p4.rou.xml", 1000, true},
    {REAL_DIR "/songpa.net.xml", "songpa-p4.rou.xml", 100, true},
    {REAL_DIR "/songpa.net.xml", "songpa-p3.rou.xml", 1000, true},
    {REAL_DIR "/songpa.net.xml", "songpa-p3.rou.xml", 100, true},
};

/* Into src: the hour of the routes file `routes` of REAL_DIR on the Jamsil
 * network at 1 s steps, followed by the Lua `more`. */
static void hour_at_1s(char *src, size_t cap, const char *routes, const char *more)
{
    int n = snprintf(src, cap,
                     "city.config{ dt_ms = 1000, until_s = 3600 }\n"
                     "city.road.load_sumo{ net = '%s', routes = { '%s/%s' }, trip_output = false, "
                     "edge_output = false }\n%s",
                     JAMSIL_NET, REAL_DIR, routes, more);
    assert_true(n > 0 && (size_t)n < cap);
}

/* The hour of `routes` at 1 s steps with the Lua `more` (named `what`), run
 * to its end; returns its KPI `kpi`. */
static double hour_kpi(const char *what, const char *routes, const char *more, const char *kpi)
{
    char src[4096];
    hour_at_1s(src, sizeof src, routes, more);
    CityScenario *sc = run_source(what, src);
    double v = -1;
    assert_true(city_world_kpi_get(city_scenario_world(sc), kpi, &v));
    city_scenario_destroy(sc);
    return v;
}

/* Lua counting, every second, the vehicles v whose record p of a second
 * before meets `cond` (len[e]: the length of edge e), published as the
 * KPI "count". */
#define COUNT_EVERY_SECOND(cond)                                                                                       \
    "local len, last, count = {}, {}, 0\n"                                                                             \
    "for _, e in ipairs(city.road.edges()) do len[e.id] = e.length end\n"                                              \
    "city.every(1, function()\n"                                                                                       \
    "  for _, v in ipairs(city.road.vehicles()) do\n"                                                                  \
    "    local p = last[v.id]\n"                                                                                       \
    "    if p and " cond " then count = count + 1 end\n"                                                               \
    "    last[v.id] = v\n"                                                                                             \
    "  end\n"                                                                                                          \
    "  city.kpi('count', count)\n"                                                                                     \
    "end)\n"

/* A vehicle whose next lane it can only leave by a lane change (no
 * movement of that lane leads on along its route) approaches that lane's
 * end able to stop at it, as at a closed line. Jamsil's 0.2 m edge
 * 218899424 is one: some turns reach it only on lanes that do not lead
 * on. Driven at full speed onto such a lane, vehicles were stopped at its
 * end in one step. jamsil-p2 at 1 s steps: braking by more than the
 * emergency rate (9 m/s in a step) to a standstill within 2 m of the end
 * of a lane with no next lane, 24 times before, 0 now. */
static void test_wrong_exit_lane_approached(void **state)
{
    (void)state;
    if (!HEAVY_CASES)
        skip();
    double stops = hour_kpi("jamsil-p2, wrong exit lanes", "jamsil-p2.rou.xml",
                            COUNT_EVERY_SECOND("p.speed - v.speed > 9.0 and v.speed < 0.1 and v.next_lane == nil and "
                                               "len[v.edge] and v.pos > len[v.edge] - 2.0"),
                            "count");
    print_message("jamsil-p2, 1 s: %.0f emergency stops at the end of a lane with no next lane\n", stops);
    assert_true(stops == 0);
}

/* A vehicle on the wrong lane for its turn changes lanes only where it
 * need not brake harder than the change allows its new follower (1.5
 * times the comfortable rate: 6.75 m/s in a step for these cars), and it
 * brakes for its lane's end behind a leader too, not only at the front.
 * An urgent change checked the new follower alone: a car at 16.4 m/s
 * changed into a gap of 3.3 m behind one at 14.5 m/s and stood in the same
 * step; and a car following a leader that turned at the lane's end came
 * at 15.7 m/s to 10 m before it and stood when its leader had gone.
 * A change asked the new follower's IDM alone, not the space the
 * changer holds (the follower never drives into it): a car changed 12.4 m
 * in front of one at 24.1 m/s, which then drove 12.4 m in the step
 * (vehicle 241 at 557 s, once refused lines were braked for as safety
 * needs). jamsil-p2 at 1 s: lane changes from a wrong lane in a step
 * that took more than 6.75 m/s off the changer's speed, 21 before (up to
 * 20.6 m/s), 0 now. */
static void test_urgent_change_without_a_hard_stop(void **state)
{
    (void)state;
    if (!HEAVY_CASES)
        skip();
    double hard = hour_kpi("jamsil-p2, urgent lane changes", "jamsil-p2.rou.xml",
                           COUNT_EVERY_SECOND("p.edge == v.edge and p.lane ~= v.lane and p.next_lane == nil and "
                                              "p.speed - v.speed > 6.75"),
                           "count");
    print_message("jamsil-p2, 1 s: %.0f lane changes from a wrong lane with more than 6.75 m/s off in the step\n",
                  hard);
    assert_true(hard == 0);
}

/* A front vehicle looks past the line after the junction ahead when that
 * line is open (it will not reach it in this step) to whoever is in the
 * junction beyond, and approaches such a vehicle able to stop behind it.
 * The look stopped at that line: a car at 18.4 m/s found a car crawling
 * 10 m into the junction beyond only at the line, and braked from 20.4
 * m/s to 3.0 in one step (jamsil-p1, vehicle 0 at 38 s). Its emergency
 * brakes (more than 9 m/s^2) over the hour at 1 s steps: 496 before, 327
 * after (SUMO reports none), 30 since a vehicle refused at a line brakes
 * as safety needs (below); the bound leaves room for other changes. */
static void test_look_past_an_open_line(void **state)
{
    (void)state;
    if (!HEAVY_CASES)
        skip();
    double brakes = hour_kpi("jamsil-p1, emergency brakes", "jamsil-p1.rou.xml", "", "emergency_brakes");
    print_message("jamsil-p1, 1 s: %.0f emergency brakes\n", brakes);
    assert_true(brakes >= 0 && brakes <= 100);
}

/* A front vehicle brakes for the turn past the last line it looks at
 * (past a line looked past, or at the end of a chain of short lanes) as
 * for a nearer turn, at the comfortable rate. Seen only from the short lane
 * before, the turn at the end of Jamsil's 14.8 m 172059022#4 (two lines
 * past 172059022#2) took 9 m/s^2 for a second from cars at 21 m/s.
 * jamsil-p1 at 0.1 s: emergency brakes (a step that takes 0.9 m/s or more
 * off) 573 before, 135 of them on 172059022#4; 401 now. */
static void test_turn_past_the_look_braked_for(void **state)
{
    (void)state;
    if (!HEAVY_CASES)
        skip();
    double brakes;
    CityRoadStats s = run_citylab_seed(JAMSIL_NET, "jamsil-p1.rou.xml", 100, 1, &brakes);
    print_message("jamsil-p1, 0.1 s: %.0f emergency brakes, %llu trips done\n", brakes, (unsigned long long)s.arrived);
    assert_true(brakes >= 0 && brakes <= 480);
}

/* Lines a vehicle yields at are approached as SUMO's drivers approach
 * them (road_follow.c, road_junction.c): refused at one, it stops there
 * reacting within the step, as before a standing obstacle (SUMO's
 * stopSpeed), not after tau as behind a leader that may brake; it slows
 * for one only while it could stop for it (couldBrakeForMinor); and once
 * it can no longer stop at the comfortable rate it judges its foes' gaps
 * as a wholly impatient driver (impatience 1 in MSLink::opened). Emergency
 * brakes at 0.1 s steps (SUMO counts 1 on east-p2 and 5 on jamsil-p1 at
 * seed 1): east-p2 over seeds 1-4 197 before, 133 after (seed 1 alone 46
 * and 17: one vehicle's brakes at a lane drop move it by ten or more);
 * jamsil-p1 at seed 1 128 before, 68 after (the run above; seeds 1-4 680
 * and 264). The bounds sit between. */
static void test_yield_lines_approached_as_sumo(void **state)
{
    (void)state;
    double brakes, sum = 0.0;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        CityRoadStats s = run_citylab_seed(REAL_DIR "/east.net.xml", "east-p2.rou.xml", 100, seed, &brakes);
        assert_int_equal(s.arrived, 819);
        sum += brakes;
    }
    print_message("east-p2, 0.1 s, seeds 1-4: %.0f emergency brakes\n", sum);
    assert_true(sum >= 0 && sum <= 165);
    if (!HEAVY_CASES)
        return;
    run_citylab_seed(JAMSIL_NET, "jamsil-p1.rou.xml", 100, 1, &brakes);
    print_message("jamsil-p1, 0.1 s: %.0f emergency brakes\n", brakes);
    assert_true(brakes >= 0 && brakes <= 95);
}

/* A vehicle refused at a line brakes as safety needs, as behind a
 * standing leader (road_idm_behind_held; since the yield-line rules,
 * road_idm_behind_line, reacting within the step): IDM alone, with the
 * line a standing obstacle, stopped vehicles dead from 13 m/s 15 m before it
 * when the room beyond (lanes of 0.2 and 1.2 m past Jamsil's
 * 218899409#2 and 1206205737#0) filled in the step before. jamsil-p1 at
 * 1 s: stops from more than 9 m/s to standing, more than 5 m before the
 * end of a normal lane, 38 before, 1 now; all emergency brakes 109
 * before, 30 now (the bound above). */
static void test_refused_at_a_line_without_a_dead_stop(void **state)
{
    (void)state;
    if (!HEAVY_CASES)
        skip();
    double stops = hour_kpi("jamsil-p1, dead stops before a line", "jamsil-p1.rou.xml",
                            COUNT_EVERY_SECOND("p.lane == v.lane and p.speed - v.speed > 9.0 and v.speed < 0.1 and "
                                               "len[v.edge] and len[v.edge] - v.pos > 5.0"),
                            "count");
    print_message("jamsil-p1, 1 s: %.0f stops from over 9 m/s to standing more than 5 m before a line\n", stops);
    assert_true(stops >= 0 && stops <= 3);
}

/* IDM's braking behind a leader is held to what safety needs (the least
 * of the comfortable rate and Krauss's safe speed, road_idm_behind_held).
 * IDM alone braked at up to 7 m/s^2 where 4.5 was safe, and at 1 s steps
 * the vehicle behind, planning on its leader's speed at the start of the
 * step, found it standing: vehicle 42 at 98 s stood from 9.9 m/s in one
 * step, 14 m into the right turn from 426094557#3 into 1206205737#0, behind
 * vehicle 2, which had braked from 7.6 to 0.4 m/s behind a car stopping
 * at its line. jamsil-p1 at 1 s: vehicles inside a junction that lost more
 * than 9 m/s in a step, 73 before, 30 now (all emergency brakes: 327
 * before, 170 now). */
static void test_braking_held_to_what_safety_needs(void **state)
{
    (void)state;
    if (!HEAVY_CASES)
        skip();
    double stops = hour_kpi("jamsil-p1, hard stops in junctions", "jamsil-p1.rou.xml",
                            COUNT_EVERY_SECOND("p.speed - v.speed > 9.0 and string.sub(v.edge, 1, 1) == ':'"), "count");
    print_message("jamsil-p1, 1 s: %.0f hard stops inside junctions\n", stops);
    assert_true(stops >= 0 && stops <= 45);
}

/* Length of the internal lanes still between the end of lane `from` (the
 * lane before a junction, or one of the internal lanes crossing it) and
 * lane `to` beyond it: all of a connection's internal lanes from the lane
 * before, those after `from` from an internal lane (connections cross up
 * to two). */
static double via_length(const CityRoadNet *net, int32_t from, int32_t to)
{
    for (int32_t ci = 0; ci < net->n_conns; ci++) {
        const CityConnection *c = &net->conns[ci];
        if (c->to_lane != to)
            continue;
        int32_t i = 0;
        if (c->from_lane != from) {
            while (i < c->via_count && net->via[c->via_first + i] != from)
                i++;
            if (i++ == c->via_count)
                continue; /* not on this connection */
        }
        double len = 0;
        for (; i < c->via_count; i++)
            len += net->lanes[net->via[c->via_first + i]].length_m;
        return len;
    }
    return 0.0;
}

/* Runs the scenario `src` (named `what`) at 1 s steps to its end and calls
 * seen(net, a, all, n, ctx) for every vehicle a inserted in a step, with
 * the n vehicles on the road after that step. */
typedef void InsertionSeen(const CityRoadNet *net, const CityVehicleView *a, const CityVehicleView *all, size_t n,
                           void *ctx);
static void each_insertion(const char *what, const char *src, InsertionSeen *seen, void *ctx)
{
    CityScenario *sc = load_source_seed(what, src, 1);
    CityWorld *w = city_scenario_world(sc);
    const CityRoad *road = city_road_of(w);
    const CityRoadNet *net = city_road_net(road);
    const int64_t end = city_scenario_end_tick(sc);
    CityVehicleView *all = NULL;
    size_t cap = 0;
    while (city_world_tick(w) < end) {
        if (city_scenario_step(sc) != CITY_OK)
            fail_msg("%s", city_world_error(w));
        double now = (double)city_world_tick(w) * 1.0;
        size_t n = city_road_vehicle_count(road);
        if (n > cap) {
            cap = 2 * n;
            all = realloc(all, cap * sizeof *all);
            assert_non_null(all);
        }
        for (size_t i = 0; i < n; i++)
            city_road_vehicle_at(road, i, &all[i]);
        for (size_t i = 0; i < n; i++)
            if (fabs(all[i].depart_s - now) <= 1e-6) /* inserted in this step */
                seen(net, &all[i], all, n, ctx);
    }
    free(all);
    city_scenario_destroy(sc);
}

typedef struct FollowerRoom {
    long inserted, cramped;
    double worst;
} FollowerRoom;

static void follower_room(const CityRoadNet *net, const CityVehicleView *a, const CityVehicleView *all, size_t n,
                          void *ctx)
{
    FollowerRoom *f = ctx;
    f->inserted++;
    double back = a->pos_m - a->length_m;
    for (size_t j = 0; j < n; j++) {
        const CityVehicleView *b = &all[j];
        double gap;
        if (b->lane == a->lane && b->pos_m < a->pos_m)
            gap = back - b->pos_m;
        else if (b->lane != a->lane && b->next_lane == a->lane)
            gap = net->lanes[b->lane].length_m - b->pos_m + via_length(net, b->lane, a->lane) + back;
        else
            continue;
        double need = b->speed_mps * b->speed_mps / (2.0 * 4.5);
        if (gap < need) {
            f->cramped++;
            f->worst = fmax(f->worst, b->speed_mps);
        }
    }
}

/* A vehicle is put on the road only where the vehicle behind it can stop
 * behind it braking at its comfortable rate (4.5 m/s^2, these routes'
 * cars), whether that one is on the lane or still crossing the junction
 * before it. Insertion looked at the lane alone: a car was put standing
 * 0.9 m in front of one coming out of the junction at 17 m/s. jamsil-p1
 * at 1 s: insertions with a follower (on the lane, or bound for it on the
 * internal lanes or the lanes before the junction before it) closer than
 * its braking distance, counted every step: 37 before (coming at up to
 * 28.5 m/s), none now. */
static void test_insertion_leaves_the_follower_room(void **state)
{
    (void)state;
    if (!HEAVY_CASES)
        skip();
    char src[1024];
    hour_at_1s(src, sizeof src, "jamsil-p1.rou.xml", "");
    FollowerRoom f = {0};
    each_insertion("jamsil-p1, insertions", src, follower_room, &f);
    print_message("jamsil-p1, 1 s: %ld insertions, %ld with a follower closer than its braking distance (at up to "
                  "%.1f m/s)\n",
                  f.inserted, f.cramped, f.worst);
    assert_true(f.inserted >= 1700); /* (of 1,731: those entering at 0 s are on before the first step is seen) */
    assert_true(f.cramped == 0);
}

/* Counts the insertions of the flow 'here' and their fronts inside a back
 * over their lane's end (see below). */
typedef struct BackOverLine {
    long here, inside;
} BackOverLine;

static void back_over_line(const CityRoadNet *net, const CityVehicleView *a, const CityVehicleView *all, size_t n,
                           void *ctx)
{
    BackOverLine *o = ctx;
    o->here += strncmp(a->name, "here", 4) == 0;
    const CityLane *ln = &net->lanes[a->lane];
    for (int32_t k = ln->out_first; k < ln->out_first + ln->out_count; k++) {
        const CityConnection *c = &net->conns[k];
        int32_t first = c->via_count > 0 ? net->via[c->via_first] : c->to_lane;
        for (size_t j = 0; j < n; j++) {
            const CityVehicleView *b = &all[j];
            if (b->lane == first && b->pos_m < b->length_m && a->pos_m > ln->length_m + b->pos_m - b->length_m)
                o->inside++;
        }
    }
}

/* A vehicle departing on a lane is not put inside the tail of one that
 * has just left that lane and still sticks out over its end: joined
 * junctions leave lanes of 0.2 m (Jamsil's -218899409#1, before the
 * joined junction north of Jamsil station), and the Jamsil day put cars
 * there standing inside the back of one that had just pulled into the
 * junction (at 07:00 and 11:46, each a vehicle-vehicle conflict with TTC
 * 0). Here, cars through that edge and cars departing on it, both at 720
 * an hour on its lane 1 for 500 s, every insertion's front against the
 * backs over its lane's end (on the first lanes past its lines): before,
 * 97 cars departed there and 233 such (insertion, back) pairs overlapped;
 * then 81 departed, each behind the backs; 47 now, since the cars through
 * count a queue ahead that moves off by its length (short_exit_passable)
 * and take the lane more often. */
static void test_insertion_behind_a_back_over_the_line(void **state)
{
    (void)state;
    char src[1024];
    int len = snprintf(src, sizeof src,
                       "city.config{ dt_ms = 1000, until_s = 600 }\n"
                       "city.road.load_sumo{ net = '%s', trip_output = false, edge_output = false }\n"
                       "city.road.flow{ id = 'through', from = '-218899409#2', to = '-426094557#5', rate = 720, "
                       "begin = 0, ['end'] = 500, depart_lane = '1' }\n"
                       "city.road.flow{ id = 'here', from = '-218899409#1', to = '-426094557#5', rate = 720, "
                       "begin = 0, ['end'] = 500, depart_lane = '1' }\n",
                       JAMSIL_NET);
    assert_true(len > 0 && (size_t)len < sizeof src);
    BackOverLine o = {0};
    each_insertion("insertion behind a back over the line", src, back_over_line, &o);
    print_message("-218899409#1: %ld cars departed, %ld put inside the back of one over the line\n", o.here, o.inside);
    assert_true(o.here >= 40);
    assert_int_equal(o.inside, 0);
}

/* A vehicle too near its line to stop there braking at its comfortable
 * rate goes on when the room beyond vanishes, and stops behind the queue;
 * only one that can still stop comfortably (or one slow enough to stop
 * within a step) waits for room, as SUMO's vehicles do. A single lane with
 * a junction 300 m on and a light 16 m past it, 900 cars an hour: each
 * red's queue fills those 16 m, under cars a few metres from the
 * junction's line. In 1,800 s at 1 s steps: 35 emergency brakes before,
 * none now; the same 375 cars arrive. */
static void test_committed_to_a_full_junction(void **state)
{
    (void)state;
    const char *src =
        "city.config{ dt_ms = 1000, until_s = 1800 }\n"
        "city.road.build{ nodes = { { id = 'w', x = 0, y = 0 }, { id = 'b', x = 300, y = 0 },\n"
        "  { id = 'c', x = 316, y = 0, type = 'traffic_light' }, { id = 'e', x = 600, y = 0 } },\n"
        "  edges = { { id = 'wb', from = 'w', to = 'b', lanes = 1, speed = 16.67 },\n"
        "    { id = 'bc', from = 'b', to = 'c', lanes = 1, speed = 16.67 },\n"
        "    { id = 'ce', from = 'c', to = 'e', lanes = 1, speed = 16.67 } } }\n"
        "city.road.flow{ id = 'f', from = 'wb', to = 'ce', rate = 900, begin = 0, ['end'] = 1500 }\n";
    CityScenario *sc = run_source("committed to a full junction", src);
    CityWorld *w = city_scenario_world(sc);
    double brakes = -1, arrived = -1;
    assert_true(city_world_kpi_get(w, "emergency_brakes", &brakes));
    assert_true(city_world_kpi_get(w, "trips_completed", &arrived));
    print_message("a junction with a light 16 m past it: %.0f cars arrived, %.0f emergency brakes\n", arrived, brakes);
    assert_true(arrived >= 370);
    assert_true(brakes == 0);
    city_scenario_destroy(sc);
}

/* A declared route that starts on an edge none of whose lanes its
 * vehicle's class may use is refused when the trip or flow is added: a
 * tram on a Jamsil street (its lanes disallow trams) waited to enter for
 * ever, and the run ended with demand_served failing and no word of why.
 * SUMO 1.15 stops on it ("Vehicle ... is not allowed to depart on any lane
 * of edge"). A car on the same route is taken. */
static void test_route_start_its_class_may_use(void **state)
{
    (void)state;
    CityScenario *sc = load_source_seed("route start",
                                        "city.config{ dt_ms = 1000, until_s = 60 }\n"
                                        "city.road.load_sumo{ net = '" CITY_SOURCE_DIR
                                        "/assets/jamsil/jamsil.net.xml', trip_output = false, edge_output = false }\n",
                                        1);
    CityWorld *w = city_scenario_world(sc);
    CityRoad *road = city_road_of(w);
    const CityRoadNet *net = city_road_net(road);
    const int32_t edges[1] = {city_road_net_find_edge(net, "-1225108560#0")};
    assert_true(edges[0] >= 0);
    const int32_t route = city_road_add_route(road, "street", edges, 1);
    assert_true(route >= 0);
    CityVTypeDef tram;
    city_vtype_defaults(&tram, CITY_VC_RAIL);
    tram.id = "tram";
    const int32_t t = city_road_add_vtype(road, &tram);
    assert_true(t >= 0);
    const CityDepartDef d = {.lane = CITY_DEPART_LANE_BEST, .pos_m = -1, .speed_mps = 0};
    CityTripDef trip = {.id = "t1", .vtype = t, .route = route, .depart = d};
    assert_int_equal(city_road_add_trip(road, &trip), CITY_ERR_INVALID);
    if (!strstr(city_world_error(w), "vehicle 't1': no lane of the first edge of its route, -1225108560#0, allows "
                                     "its vehicle class rail"))
        fail_msg("unexpected error: %s", city_world_error(w));
    CityFlowDef f = {.id = "f1", .vtype = t, .end_s = 60, .period_s = 10, .route = route, .depart = d};
    assert_int_equal(city_road_add_flow(road, &f), CITY_ERR_INVALID);
    assert_non_null(strstr(city_world_error(w), "flow 'f1': no lane of the first edge"));
    trip.id = "car", trip.vtype = -1;
    assert_int_equal(city_road_add_trip(road, &trip), CITY_OK);
    city_scenario_destroy(sc);
}

/* city.road.path (city_road_path) names the route a trip between the
 * same edges takes: scenarios place sensors and controllers along it. It
 * was the router's fastest path alone, where departures also keep off
 * turns whose lanes do not lead on: the day's ambulance (Jamsil, from
 * -70998360#1 to -909315383) drove another road than the path through the
 * 0.2 m edge 218899424, and only one of the two lights on its way was
 * wired to pre-empt for it. Here: that trip and 120 between pseudo-random
 * pairs of Jamsil's edges, each compared when it enters with the path
 * asked for before. */
typedef struct PathTrip {
    int32_t from, to;
    uint32_t vclass;
    int32_t n; /* the path's length, -1: none */
    int32_t *edges;
    bool seen;
} PathTrip;

static void test_path_is_the_trips_route(void **state)
{
    (void)state;
    enum { PAIRS = 120 };
    CityScenario *sc = load_source_seed("paths",
                                        "city.config{ dt_ms = 1000, until_s = 1800 }\n"
                                        "city.road.load_sumo{ net = '" CITY_SOURCE_DIR
                                        "/assets/jamsil/jamsil.net.xml', trip_output = false, edge_output = false }\n"
                                        "city.road.vtype{ id = 'ambulance', class = 'emergency' }\n"
                                        "city.road.trip{ id = 'p0', type = 'ambulance', depart = 0, "
                                        "from = '-70998360#1', to = '-909315383' }\n",
                                        1);
    CityWorld *w = city_scenario_world(sc);
    CityRoad *road = city_road_of(w);
    const CityRoadNet *net = city_road_net(road);
    PathTrip trips[PAIRS + 1] = {{0}};
    trips[0] = (PathTrip){city_road_net_find_edge(net, "-70998360#1"),
                          city_road_net_find_edge(net, "-909315383"),
                          CITY_VC_EMERGENCY,
                          0,
                          NULL,
                          false};
    uint64_t x = 12345;
    int made = 1;
    while (made <= PAIRS) {
        int32_t ab[2];
        for (int k = 0; k < 2; k++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            ab[k] = (int32_t)((x >> 33) % (uint64_t)net->n_edges);
        }
        if (ab[0] == ab[1] || net->edges[ab[0]].internal || net->edges[ab[1]].internal)
            continue;
        trips[made] = (PathTrip){ab[0], ab[1], CITY_VC_PASSENGER, 0, NULL, false};
        char name[16];
        snprintf(name, sizeof name, "p%d", made);
        CityTripDef t = {.id = name,
                         .vtype = -1,
                         .depart_s = 5.0 * made,
                         .route = -1,
                         .from_edge = ab[0],
                         .to_edge = ab[1],
                         .depart = {.lane = CITY_DEPART_LANE_BEST, .pos_m = -1, .speed_mps = 0}};
        assert_int_equal(city_road_add_trip(road, &t), CITY_OK);
        made++;
    }
    int routed = 0;
    for (int i = 0; i <= PAIRS; i++) {
        trips[i].edges = malloc(((size_t)net->n_edges + 1) * sizeof *trips[i].edges);
        assert_non_null(trips[i].edges);
        trips[i].n =
            city_road_path(road, trips[i].from, trips[i].to, trips[i].vclass, trips[i].edges, net->n_edges + 1);
        routed += trips[i].n > 0;
    }
    int compared = 0, differ = 0;
    const int64_t end = city_scenario_end_tick(sc);
    while (city_world_tick(w) < end && compared < routed) {
        if (city_scenario_step(sc) != CITY_OK)
            fail_msg("paths: %s", city_world_error(w));
        for (size_t i = 0; i < city_road_vehicle_count(road); i++) {
            CityVehicleView v;
            city_road_vehicle_at(road, i, &v);
            PathTrip *p = &trips[atoi(v.name + 1)];
            if (p->seen)
                continue;
            p->seen = true;
            compared++;
            bool same = p->n == v.route_len && memcmp(p->edges, v.route, (size_t)p->n * sizeof *v.route) == 0;
            if (!same)
                print_message("%s: path of %d edges, route of %d\n", v.name, (int)p->n, (int)v.route_len);
            differ += !same;
        }
    }
    print_message("Jamsil: %d of the %d trips with a path entered, %d of them on another route than city_road_path "
                  "gave\n",
                  compared, routed, differ);
    assert_true(trips[0].seen);
    assert_true(compared >= routed * 9 / 10);
    assert_int_equal(differ, 0);
    for (int i = 0; i <= PAIRS; i++)
        free(trips[i].edges);
    city_scenario_destroy(sc);
}

int main(void)
{
    struct CMUnitTest tests[sizeof cases / sizeof cases[0]];
    char names[sizeof cases / sizeof cases[0]][64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(names[i], sizeof names[i], "%s at %d ms", cases[i].routes, cases[i].dt_ms);
        tests[i] = (struct CMUnitTest){names[i], test_case, NULL, NULL, &cases[i]};
    }
    int failed = _cmocka_run_group_tests("test_road_real", tests, sizeof tests / sizeof tests[0], NULL, NULL);
    const struct CMUnitTest behaviour[] = {cmocka_unit_test(test_center_seeds),
                                           cmocka_unit_test(test_short_exit_entered_too_near_to_stop),
                                           cmocka_unit_test(test_jamsil_seeds),
                                           cmocka_unit_test(test_wrong_exit_lane_approached),
                                           cmocka_unit_test(test_urgent_change_without_a_hard_stop),
                                           cmocka_unit_test(test_look_past_an_open_line),
                                           cmocka_unit_test(test_refused_at_a_line_without_a_dead_stop),
                                           cmocka_unit_test(test_turn_past_the_look_braked_for),
                                           cmocka_unit_test(test_yield_lines_approached_as_sumo),
                                           cmocka_unit_test(test_insertion_leaves_the_follower_room),
                                           cmocka_unit_test(test_insertion_behind_a_back_over_the_line),
                                           cmocka_unit_test(test_braking_held_to_what_safety_needs),
                                           cmocka_unit_test(test_committed_to_a_full_junction),
                                           cmocka_unit_test(test_path_is_the_trips_route),
                                           cmocka_unit_test(test_route_start_its_class_may_use)};
    failed += cmocka_run_group_tests_name("test_road_real_behaviour", behaviour, NULL, NULL);
    return failed != 0;
}
