/* Quasi-static time series on the grid: energy balance every period,
 * battery state-of-charge and power limits, EV charging, the cooling load
 * model, PV, islands and shedding as unserved energy, the world subsystem's
 * KPIs, the SUMO polygon reader, and the heat-wave scenario end to end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_grid.h"
#include "city_grid_sim.h"
#include "city_sumo_poly.h"
#include "city_world.h"
#include "test_support.h"

/* Substation (1) - 2 - 3 - 4 at 0.4 kV-ish impedances on a 1 MVA base. */
static CityGrid *feeder(void)
{
    CityGrid *g = city_grid_create(1.0);
    for (int i = 1; i <= 4; i++) {
        CityGridBus b = {.id = i, .type = i == 1 ? CITY_BUS_SLACK : CITY_BUS_PQ, .vm_pu = 1.0, .base_kv = 22.9};
        assert_int_equal(city_grid_add_bus(g, &b), CITY_OK);
    }
    CityGridGen gen = {.bus = 1, .vg_pu = 1.0, .on = true};
    assert_int_equal(city_grid_add_gen(g, &gen), CITY_OK);
    for (int i = 2; i <= 4; i++) {
        CityGridBranch br = {.id = i,
                             .from_bus = i - 1,
                             .to_bus = i,
                             .r_pu = 0.01,
                             .x_pu = 0.02,
                             .b_pu = 0.001,
                             .rate_mva = 2.0,
                             .closed = true};
        assert_int_equal(city_grid_add_branch(g, &br), CITY_OK);
    }
    return g;
}

/* Cooling: +2 %/C above 24 C on a constant-power load gives exactly 1.28x
 * at 38 C; the served demand and the balance follow. */
static void test_cooling_and_balance(void **state)
{
    (void)state;
    CityGrid *g = feeder();
    CityGridLoad l = {
        .id = 1, .bus = 4, .p_kw = 300, .q_kvar = 100, .profile = -1, .cooling_pct_per_c = 2.0, .t_base_c = 24};
    assert_int_equal(city_grid_add_load(g, &l), CITY_OK);
    double t[] = {0, 3600}, v[] = {24, 38};
    assert_int_equal(city_grid_set_temperature(g, t, v, 2, false), CITY_OK);
    CityPfOptions o;
    city_pf_options_default(&o);
    CityGridStep s0, s1;
    assert_int_equal(city_grid_advance(g, &o, 0, 900, &s0), CITY_OK);
    assert_int_equal(city_grid_advance(g, &o, 3600, 900, &s1), CITY_OK);
    assert_true(fabs(s0.demand_kw - 300) < 1e-9);
    assert_true(fabs(s1.demand_kw - 300 * 1.28) < 1e-9);
    assert_true(s1.losses_kw > s0.losses_kw);
    assert_true(s0.balance_rel_err < 1e-6 && s1.balance_rel_err < 1e-6);
    /* a wrong per-degree figure is refused with the published range */
    CityGridLoad bad = l;
    bad.id = 2;
    bad.cooling_pct_per_c = 50;
    assert_int_equal(city_grid_add_load(g, &bad), CITY_ERR_INVALID);
    assert_non_null(strstr(city_grid_error(g), "0.45 to 4.6"));
    city_grid_destroy(g);
}

/* ZIP: a constant-impedance load draws V^2 times its nominal power, and
 * the solvers account for it (NR Jacobian and sweep agree). */
static void test_zip_load(void **state)
{
    (void)state;
    double served[2];
    for (int m = 0; m < 2; m++) {
        CityGrid *g = feeder();
        CityGridLoad l = {.id = 1, .bus = 4, .p_kw = 500, .q_kvar = 200, .zip_z = 1.0, .profile = -1};
        assert_int_equal(city_grid_add_load(g, &l), CITY_OK);
        CityPfOptions o;
        city_pf_options_default(&o);
        o.method = m ? CITY_PF_SWEEP : CITY_PF_NR;
        CityGridStep s;
        assert_int_equal(city_grid_advance(g, &o, 0, 900, &s), CITY_OK);
        int32_t n;
        const CityGridBus *bus = city_grid_buses(g, &n);
        double v = bus[3].vm_pu;
        assert_true(v < 1.0);
        assert_true(fabs(s.demand_kw - 500 * v * v) < 1e-6);
        assert_true(s.balance_rel_err < 1e-6);
        served[m] = s.demand_kw;
        city_grid_destroy(g);
    }
    assert_true(fabs(served[0] - served[1]) < 1e-6);
}

/* Batteries never leave their SOC band or power limit, whatever they are
 * told, and the energy in and out follows the efficiency. */
static void test_battery_limits(void **state)
{
    (void)state;
    CityGrid *g = feeder();
    CityGridBattery b = {.id = 7,
                         .bus = 3,
                         .energy_kwh = 100,
                         .power_kw = 40,
                         .efficiency = 0.81,
                         .soc = 0.5,
                         .soc_min = 0.2,
                         .soc_max = 0.8,
                         .mode = CITY_BATTERY_MANUAL,
                         .setpoint_kw = -500};
    assert_int_equal(city_grid_add_battery(g, &b), CITY_OK);
    CityGridLoad l = {.id = 1, .bus = 4, .p_kw = 200, .q_kvar = 50, .profile = -1};
    assert_int_equal(city_grid_add_load(g, &l), CITY_OK);
    CityPfOptions o;
    city_pf_options_default(&o);
    int32_t n;
    const CityGridBattery *bat = city_grid_batteries(g, &n);
    double charged_grid = 0, max_soc = 0;
    for (int k = 0; k < 20; k++) { /* charge hard for 5 h */
        CityGridStep s;
        assert_int_equal(city_grid_advance(g, &o, k * 900.0, 900, &s), CITY_OK);
        assert_true(bat[0].soc <= 0.8 + 1e-12 && bat[0].soc >= 0.2 - 1e-12);
        assert_true(fabs(bat[0].p_kw) <= 40 + 1e-9);
        assert_true(s.balance_rel_err < 1e-6);
        charged_grid += s.charge_kw * 0.25;
        max_soc = fmax(max_soc, bat[0].soc);
    }
    assert_true(fabs(max_soc - 0.8) < 1e-12);
    /* 30 kWh stored took 30 / sqrt(0.81) = 33.33 kWh from the grid */
    assert_true(fabs(charged_grid - 30.0 / 0.9) < 1e-9);
    assert_int_equal(city_grid_battery_set(g, 7, CITY_BATTERY_MANUAL, 1e6), CITY_OK);
    double out = 0;
    for (int k = 20; k < 40; k++) { /* discharge hard */
        CityGridStep s;
        assert_int_equal(city_grid_advance(g, &o, k * 900.0, 900, &s), CITY_OK);
        assert_true(bat[0].soc >= 0.2 - 1e-12);
        assert_true(bat[0].p_kw <= 40 + 1e-9);
        out += fmax(0.0, s.battery_kw) * 0.25;
    }
    assert_true(fabs(bat[0].soc - 0.2) < 1e-12);
    assert_true(fabs(out - 60.0 * 0.9) < 1e-9); /* 60 kWh of charge gives 54 kWh at the terminals */
    assert_true(fabs(bat[0].throughput_kwh - (charged_grid + out)) < 1e-9);
    city_grid_destroy(g);
}

/* Peak shaving discharges only above its threshold. */
static void test_peak_shave(void **state)
{
    (void)state;
    CityGrid *g = feeder();
    CityGridBattery b = {.id = 1,
                         .bus = 2,
                         .energy_kwh = 1000,
                         .power_kw = 100,
                         .efficiency = 0.9,
                         .soc = 0.5,
                         .soc_min = 0.1,
                         .soc_max = 0.9,
                         .mode = CITY_BATTERY_PEAK_SHAVE,
                         .discharge_above_kw = 450,
                         .charge_below_kw = 200};
    assert_int_equal(city_grid_add_battery(g, &b), CITY_OK);
    CityGridLoad l = {.id = 1, .bus = 4, .p_kw = 500, .q_kvar = 0, .profile = -1};
    assert_int_equal(city_grid_add_load(g, &l), CITY_OK);
    CityPfOptions o;
    city_pf_options_default(&o);
    CityGridStep s;
    assert_int_equal(city_grid_advance(g, &o, 0, 900, &s), CITY_OK);
    assert_true(fabs(s.battery_kw - 50) < 1e-9);               /* 500 - 450 */
    assert_int_equal(city_grid_load_shed(g, 1, 0.7), CITY_OK); /* 150 kW left: recharge */
    assert_int_equal(city_grid_advance(g, &o, 900, 900, &s), CITY_OK);
    assert_true(fabs(s.battery_kw + 50) < 1e-9);
    assert_true(fabs(s.unserved_kw - 350) < 1e-9); /* shed load is unserved energy */
    city_grid_destroy(g);
}

/* An EV that plugs in leaves with more energy, never above its capacity;
 * chargers are found nearest-first with free ports; the charger's draw is
 * in the balance. */
static void test_ev_charging(void **state)
{
    (void)state;
    CityGrid *g = feeder();
    CityGridCharger c1 = {.id = 1, .bus = 3, .x_m = 0, .y_m = 0, .power_kw = 22, .ports = 1, .efficiency = 0.9};
    CityGridCharger c2 = {.id = 2, .bus = 4, .x_m = 100, .y_m = 0, .power_kw = 50, .ports = 1, .efficiency = 0.9};
    assert_int_equal(city_grid_add_charger(g, &c1), CITY_OK);
    assert_int_equal(city_grid_add_charger(g, &c2), CITY_OK);
    assert_int_equal(city_grid_charger_find(g, 10, 0, 0), 1);
    assert_int_equal(city_grid_charger_find(g, 10, 0, 5), -1);  /* nothing within 5 m */
    double arrive = 60.0 - city_grid_ev_drive_kwh(100000, 0.2); /* 100 km at 0.2 kWh/km: 40 kWh left */
    assert_true(fabs(arrive - 40.0) < 1e-12);
    assert_int_equal(city_grid_ev_plug(g, 1, 42, arrive, 60), CITY_OK);
    assert_int_equal(city_grid_charger_find(g, 10, 0, 0), 2); /* port 1 taken */
    assert_int_equal(city_grid_ev_plug(g, 1, 43, 10, 60), CITY_ERR_LIMIT);
    assert_int_equal(city_grid_ev_plug(g, 2, 43, 59, 60), CITY_OK);
    CityPfOptions o;
    city_pf_options_default(&o);
    CityGridStep s;
    assert_int_equal(city_grid_advance(g, &o, 0, 3600, &s), CITY_OK);
    /* 22 kW for an hour at 90 %: +19.8 kWh; the nearly full one takes 1 kWh */
    assert_true(fabs(s.ev_kw - (22 + 1.0 / 0.9)) < 1e-9);
    assert_true(s.balance_rel_err < 1e-6);
    double e42, e43;
    assert_int_equal(city_grid_ev_unplug(g, 42, &e42), CITY_OK);
    assert_int_equal(city_grid_ev_unplug(g, 43, &e43), CITY_OK);
    assert_true(fabs(e42 - 59.8) < 1e-9);
    assert_true(e42 > arrive);
    assert_true(fabs(e43 - 60) < 1e-9);
    assert_int_equal(city_grid_ev_unplug(g, 43, NULL), CITY_ERR_INVALID);
    city_grid_destroy(g);
}

/* PV: nothing at night, about derate * kWp at 1000 W/m2 and 25 C cells,
 * less when hot; never above kWp. Streetlights only in the dark. */
static void test_pv_and_lights(void **state)
{
    (void)state;
    CityGrid *g = feeder();
    CityGridPv pv = {.id = 1, .bus = 4, .kwp = 100, .derate = 0.86};
    CityGridLights li = {.id = 1, .bus = 3, .count = 100, .w_each = 150, .dim = 0.5, .on_below_wm2 = 20};
    assert_int_equal(city_grid_add_pv(g, &pv), CITY_OK);
    assert_int_equal(city_grid_add_lights(g, &li), CITY_OK);
    double t[] = {0, 43200}, irr[] = {0, 1000}, temp[] = {0, 0};
    assert_int_equal(city_grid_set_irradiance(g, t, irr, 2, false), CITY_OK);
    assert_int_equal(city_grid_set_temperature(g, t, temp, 2, false), CITY_OK);
    CityPfOptions o;
    city_pf_options_default(&o);
    CityGridStep s;
    assert_int_equal(city_grid_advance(g, &o, 0, 900, &s), CITY_OK);
    assert_true(s.pv_kw == 0);
    assert_true(fabs(s.demand_kw - 7.5) < 1e-9); /* 100 x 150 W at 50 % */
    assert_int_equal(city_grid_advance(g, &o, 43200, 900, &s), CITY_OK);
    /* T_cell = 0 + 1000/800 * 20 = 25 C: exactly the derate */
    assert_true(fabs(s.pv_kw - 86) < 1e-9);
    assert_true(s.demand_kw == 0);
    /* PV exports through the feeder: the balance still holds */
    assert_true(s.gen_kw < 0);
    assert_true(s.balance_rel_err < 1e-6);
    city_grid_destroy(g);
}

/* An outage islands buses 3 and 4: their load is unserved and the PV
 * there trips; the rest keeps its balance. */
static void test_island_unserved(void **state)
{
    (void)state;
    CityGrid *g = feeder();
    CityGridLoad l3 = {.id = 3, .bus = 3, .p_kw = 100, .profile = -1};
    CityGridLoad l2 = {.id = 2, .bus = 2, .p_kw = 80, .profile = -1};
    CityGridPv pv = {.id = 1, .bus = 4, .kwp = 50};
    assert_int_equal(city_grid_add_load(g, &l3), CITY_OK);
    assert_int_equal(city_grid_add_load(g, &l2), CITY_OK);
    assert_int_equal(city_grid_add_pv(g, &pv), CITY_OK);
    double t[] = {0}, irr[] = {800};
    assert_int_equal(city_grid_set_irradiance(g, t, irr, 1, false), CITY_OK);
    assert_int_equal(city_grid_branch_set_closed(g, 3, false), CITY_OK);
    CityPfOptions o;
    city_pf_options_default(&o);
    CityGridStep s;
    assert_int_equal(city_grid_advance(g, &o, 0, 900, &s), CITY_OK);
    assert_int_equal(s.pf.n_dead, 2);
    assert_true(fabs(s.unserved_kw - 100) < 1e-9);
    assert_true(s.pv_kw == 0);
    assert_true(fabs(s.demand_kw - 80) < 1e-9);
    assert_true(s.balance_rel_err < 1e-6);
    city_grid_destroy(g);
}

/* The world subsystem: runs once per period, sets the KPIs and tables,
 * and its state hash changes with the state. */
static void test_world_subsystem(void **state)
{
    (void)state;
    CityWorldConfig wc = {1, 1000};
    CityWorld *w = city_world_create(&wc);
    CityGrid *g = feeder();
    CityGridLoad l = {.id = 1, .bus = 4, .p_kw = 400, .q_kvar = 100, .profile = -1};
    assert_int_equal(city_grid_add_load(g, &l), CITY_OK);
    CityGridSimConfig c;
    city_grid_sim_config_default(&c);
    c.period_s = 600;
    assert_int_equal(city_grid_sim_attach(w, g, &c), CITY_OK);
    assert_int_equal(city_world_run_until(w, 3600), CITY_OK);
    assert_int_equal(city_world_finish(w), CITY_OK);
    const CityGridTotals *t = city_grid_sim_totals(w);
    assert_int_equal(t->solves, 6);
    double v;
    assert_true(city_world_kpi_get(w, "grid_losses_kwh", &v) && v > 0);
    assert_true(fabs(v - t->losses_kwh) < 1e-12);
    assert_true(city_world_kpi_get(w, "peak_demand_kw", &v) && fabs(v - 400) < 1e-9);
    assert_true(city_world_kpi_get(w, "demand_energy_kwh", &v) && fabs(v - 400) < 1e-9); /* 400 kW for 1 h */
    assert_true(city_world_kpi_get(w, "energy_balance_max_rel_err", &v) && v < 1e-6);
    bool found = false;
    for (size_t i = 0; i < city_world_table_count(w); i++)
        if (!strcmp(city_table_name(city_world_table_at(w, i)), "grid_feeder_main")) {
            found = true;
            assert_int_equal(city_table_rows(city_world_table_at(w, i)), 6);
        }
    assert_true(found);
    uint64_t h1 = city_world_hash(w);
    assert_int_equal(city_grid_load_shed(city_grid_of(w), 1, 0.5), CITY_OK);
    assert_true(city_world_hash(w) != h1);
    city_world_destroy(w);
}

/* Shoelace area and centroid on a known shape; geo shapes projected with
 * the network's UTM location land inside the network's boundary. */
static void test_poly_reader(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("power_poly");
    char path[4200];
    CityError err;
    snprintf(path, sizeof path, "%s/a.poly.xml", dir);
    assert_true(city_test_write_file(path, "<additional>\n"
                                           "  <poly id=\"b\" type=\"building\" shape=\"0,0 10,0 10,20 0,20 0,0\"/>\n"
                                           "  <poly id=\"a\" type=\"park\" shape=\"0,0 4,0 0,3\"/>\n"
                                           "</additional>\n"));
    CityPolySet set;
    assert_int_equal(city_sumo_poly_read(path, NULL, NULL, &set, &err), CITY_OK);
    assert_int_equal(set.n, 2);
    assert_true(fabs(set.poly[0].area_m2 - 200) < 1e-9);
    assert_true(fabs(set.poly[0].cx_m - 5) < 1e-9 && fabs(set.poly[0].cy_m - 10) < 1e-9);
    assert_true(fabs(set.poly[1].area_m2 - 6) < 1e-9);
    city_poly_set_free(&set);
    assert_int_equal(city_sumo_poly_read(path, NULL, "park", &set, &err), CITY_OK);
    assert_int_equal(set.n, 1);
    city_poly_set_free(&set);
    assert_true(city_test_write_file(path, "<additional>\n  <poly id=\"x\" shape=\"0,0 1,1\"/>\n</additional>\n"));
    assert_int_equal(city_sumo_poly_read(path, NULL, NULL, &set, &err), CITY_ERR_PARSE);
    assert_non_null(strstr(err.msg, "a.poly.xml:2: polygon 'x' has fewer than 3 points"));

    CitySumoLocation loc;
    assert_int_equal(city_sumo_location_read(CITY_SOURCE_DIR "/assets/jamsil/jamsil.net.xml", &loc, &err), CITY_OK);
    assert_true(loc.has_utm && loc.utm_zone == 52);
    /* PROJ (`proj +proj=utm +zone=52 +ellps=WGS84`) puts the network's origBoundary corners at
     * (330078.924, 4152779.302) and (335058.931, 4156277.819); minus netOffset in local metres: */
    double x, y;
    city_sumo_geo_to_local(&loc, 127.077532, 37.506327, &x, &y);
    printf("  origBoundary corners -> (%.3f, %.3f)", x, y);
    assert_true(fabs(x - (330078.924 - 330102.26)) < 0.01 && fabs(y - (4152779.302 - 4152722.99)) < 0.01);
    city_sumo_geo_to_local(&loc, 127.133062, 37.538748, &x, &y);
    printf(" (%.3f, %.3f) m\n", x, y);
    assert_true(fabs(x - (335058.931 - 330102.26)) < 0.01 && fabs(y - (4156277.819 - 4152722.99)) < 0.01);
    assert_int_equal(
        city_sumo_poly_read(CITY_SOURCE_DIR "/assets/jamsil/jamsil.poly.xml", &loc, "building", &set, &err), CITY_OK);
    assert_int_equal(set.n, 1359);
    double total = 0;
    for (int32_t i = 0; i < set.n; i++) {
        assert_true(set.poly[i].cx_m > -200 && set.poly[i].cx_m < 5200);
        assert_true(set.poly[i].cy_m > -200 && set.poly[i].cy_m < 3800);
        total += set.poly[i].area_m2;
    }
    printf("  %d buildings, %.0f m2 of footprint\n", (int)set.n, total);
    assert_true(total > 1e5);
    city_poly_set_free(&set);
    /* geo shapes without a network are refused with the fix */
    assert_int_equal(city_sumo_poly_read(CITY_SOURCE_DIR "/assets/jamsil/jamsil.poly.xml", NULL, NULL, &set, &err),
                     CITY_ERR_INVALID);
    assert_non_null(strstr(err.msg, "also name the network"));
}

static char *summary_of(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    return city_test_read_file(path, NULL);
}

/* A KPI's value in summary.json ("name": number); fails when absent. */
static double kpi_of(const char *summary, const char *name)
{
    char key[200];
    snprintf(key, sizeof key, "\"%s\": ", name);
    const char *at = strstr(summary, key);
    if (!at)
        fail_msg("KPI %s missing from summary.json", name);
    return strtod(at + strlen(key), NULL);
}

/* Traffic meets the grid: an EV that arrives with its battery below 30 %
 * plugs into the nearest charger with a free port, the grid fills it at the
 * charger's power and it leaves after its dwell with the energy the grid
 * delivered; a second low EV finds the only port taken and leaves as it
 * came; a full EV does not look for a charger. Road and grid agree on the
 * energy to the last digit, and the run is reproducible. */
static void test_ev_trips_charge(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("power_ev_trips");
    char path[4200], out[4300];
    snprintf(path, sizeof path, "%s/ev.lua", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    assert_true(city_test_write_file(
        path, "city.config{ until_s = 5400, dt_ms = 500 }\n"
              "city.road.grid{ nx = 3, ny = 3, spacing = 400, lanes = 1, speed = 13.9, ev_dwell = 1800 }\n"
              "city.road.vtype{ id = 'small', ev = true, battery_kwh = 1.0, consumption_kwh_per_km = 0.5 }\n"
              "city.road.vtype{ id = 'big', ev = true, battery_kwh = 60.0 }\n"
              "city.grid.config{ period_s = 60 }\n"
              "city.grid.bus{ id = 1, type = 'slack', kv = 22.9 }\n"
              "city.grid.bus{ id = 2, kv = 22.9 }\n"
              "city.grid.line{ id = 1, from = 1, to = 2, r_ohm = 0.1, x_ohm = 0.2 }\n"
              "city.grid.charger{ id = 7, bus = 2, x = 800, y = 800, power_kw = 3.0, ports = 1 }\n"
              "city.road.trip{ id = 'low', type = 'small', from = 'A0B0', to = 'B2C2', depart = 0 }\n"
              "city.road.trip{ id = 'low2', type = 'small', from = 'A0B0', to = 'B2C2', depart = 30 }\n"
              "city.road.trip{ id = 'full', type = 'big', from = 'A0B0', to = 'B2C2', depart = 60 }\n"
              "local arrived\n"
              "city.every(10, function()\n"
              "  local evs = city.grid.evs()\n"
              "  if #evs == 1 and not arrived then arrived = evs[1].arrived_kwh end\n"
              "end)\n"
              "city.check('low_ev_plugged_in', function()\n"
              "  return arrived ~= nil and arrived > 0 and arrived < 0.3, tostring(arrived) end)\n"
              "city.check('charger_delivered_what_battery_took', function()\n"
              "  local d = city.grid.chargers()[1].delivered_kwh\n"
              "  return math.abs(d - (1.0 - arrived)) < 1e-9 and #city.grid.evs() == 0, tostring(d) end)\n"));
    const char *args[] = {"run", path, "--quiet", "--out", out, NULL};
    CityTestRun r = city_test_run(args, 60);
    if (r.exit_code != 0)
        print_error("%s\n%s\n", r.out, r.err);
    assert_int_equal(r.exit_code, 0);
    const char *h = strstr(r.out, "state_hash");
    assert_non_null(h);
    char hash1[40];
    snprintf(hash1, sizeof hash1, "%.27s", h);
    city_test_run_free(&r);
    r = city_test_run(args, 60);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, hash1));
    city_test_run_free(&r);

    char *s = summary_of(out);
    assert_non_null(s);
    double sessions = kpi_of(s, "ev_charging_sessions"), road_kwh = kpi_of(s, "ev_charged_kwh");
    double grid_kwh = kpi_of(s, "ev_energy_kwh");
    free(s);
    assert_true(sessions == 1.0);
    assert_true(road_kwh > 0.7 && road_kwh < 1.0);
    assert_true(fabs(road_kwh - grid_kwh) < 1e-9);
    char events[4400];
    snprintf(events, sizeof events, "%s/events.csv", out);
    char *ev = city_test_read_file(events, NULL);
    assert_non_null(ev);
    assert_non_null(strstr(ev, ",ev,low plugged in at charger 7"));
    assert_non_null(strstr(ev, ",ev,low2 arrived with"));
    assert_non_null(strstr(ev, "found no free charger"));
    assert_non_null(strstr(ev, ",ev,low unplugged with 1.00 kWh"));
    assert_null(strstr(ev, ",ev,full"));
    free(ev);
}

/* The heat-wave scenario passes its checks and gives the same state hash
 * twice (its speed is for scripts/bench_power.sh, not a test). */
static void test_heatwave_scenario(void **state)
{
    (void)state;
    const char *base = city_test_scratch("power_heatwave");
    char out1[4200], out2[4200];
    snprintf(out1, sizeof out1, "%s/a", base);
    snprintf(out2, sizeof out2, "%s/b", base);
    const char *a1[] = {"run", CITY_SOURCE_DIR "/scenarios/heatwave.lua", "--quiet", "--out", out1, NULL};
    const char *a2[] = {"run", CITY_SOURCE_DIR "/scenarios/heatwave.lua", "--quiet", "--out", out2, NULL};
    CityTestRun r1 = city_test_run(a1, 120), r2 = city_test_run(a2, 120);
    if (r1.exit_code != 0)
        fprintf(stderr, "%s\n%s\n", r1.out, r1.err);
    assert_int_equal(r1.exit_code, 0);
    assert_int_equal(r2.exit_code, 0);
    const char *h1 = strstr(r1.out, "state_hash"), *h2 = strstr(r2.out, "state_hash");
    assert_non_null(h1);
    assert_non_null(h2);
    assert_memory_equal(h1, h2, 27);
    char *s = summary_of(out1);
    assert_non_null(s);
    const char *kpis[] = {"grid_losses_kwh", "min_voltage_pu",        "max_line_loading_pct",
                          "peak_demand_kw",  "voltage_violation_min", "storage_throughput_kwh",
                          "ev_energy_kwh",   "unserved_energy_kwh"};
    for (size_t i = 0; i < sizeof kpis / sizeof kpis[0]; i++)
        assert_non_null(strstr(s, kpis[i]));
    free(s);
    char feeder_csv[4300];
    snprintf(feeder_csv, sizeof feeder_csv, "%s/grid_feeder_F1.csv", out1);
    assert_true(city_test_exists(feeder_csv));
    city_test_run_free(&r1);
    city_test_run_free(&r2);
}

/* A scenario that only sets the weather has an empty grid: the run goes on. */
static void test_empty_grid(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("power_empty");
    char path[4200], out[4300];
    snprintf(path, sizeof path, "%s/empty.lua", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    assert_true(city_test_write_file(path, "city.config{ until_s = 1800, dt_ms = 1000 }\n"
                                           "city.grid.environment{ temperature = { {0, 30}, {3600, 34} } }\n"
                                           "city.check('t', function() local t = city.grid.temperature() "
                                           "return t > 30 and t < 34, tostring(t) end)\n"));
    const char *args[] = {"run", path, "--quiet", "--out", out, NULL};
    CityTestRun r = city_test_run(args, 60);
    assert_int_equal(r.exit_code, 0);
    city_test_run_free(&r);
}

/* Lua misuse is one clear error line and exit 2. */
static void test_lua_errors(void **state)
{
    (void)state;
    const char *dir = city_test_scratch("power_lua");
    char path[4200];
    snprintf(path, sizeof path, "%s/bad.lua", dir);
    assert_true(city_test_write_file(path, "city.grid.bus{ id = 1, type = 'slack' }\n"
                                           "city.grid.line{ id = 1, from = 1, to = 9, x_pu = 0.1 }\n"));
    char out[4300];
    snprintf(out, sizeof out, "%s/out", dir);
    const char *args[] = {"run", path, "--quiet", "--out", out, NULL};
    CityTestRun r = city_test_run(args, 60);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "bus 9 does not exist"));
    assert_false(city_test_exists(out));
    city_test_run_free(&r);
    snprintf(path, sizeof path, "%s/bad_case.lua", dir);
    assert_true(city_test_write_file(path, "city.grid.load_case('tests/data/matpower/bad_row.m')\n"));
    r = city_test_run(args, 60);
    assert_int_equal(r.exit_code, 2);
    city_test_run_free(&r);
    const char *args2[] = {"run", path, "--quiet", "--out", out, NULL};
    r = city_test_run(args2, 60);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "bad_row.m:8:"));
    city_test_run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cooling_and_balance), cmocka_unit_test(test_zip_load),
        cmocka_unit_test(test_battery_limits),      cmocka_unit_test(test_peak_shave),
        cmocka_unit_test(test_ev_charging),         cmocka_unit_test(test_pv_and_lights),
        cmocka_unit_test(test_island_unserved),     cmocka_unit_test(test_world_subsystem),
        cmocka_unit_test(test_poly_reader),         cmocka_unit_test(test_ev_trips_charge),
        cmocka_unit_test(test_heatwave_scenario),   cmocka_unit_test(test_lua_errors),
        cmocka_unit_test(test_empty_grid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
