/* Road outputs: one row per finished trip, per-edge aggregates and the
 * summary KPIs. */
#include <stdio.h>

#include "road_internal.h"

/* A CSV field: quoted (with doubled quotes) when it holds , " or a newline. */
static void csv_field(char *out, size_t len, const char *s)
{
    bool quote = false;
    for (const char *p = s; *p; p++)
        if (*p == ',' || *p == '"' || *p == '\n' || *p == '\r')
            quote = true;
    if (!quote) {
        snprintf(out, len, "%s", s);
        return;
    }
    size_t k = 0;
    out[k++] = '"';
    for (const char *p = s; *p && k + 3 < len; p++) {
        if (*p == '"')
            out[k++] = '"';
        out[k++] = *p;
    }
    out[k++] = '"';
    out[k] = '\0';
}

/* Appends x with three decimals (what "%.3f" prints, for the range of
 * times and distances a trip has, |x| < 9e15 / 1000), much faster than printf. */
static char *put_fixed3(char *p, double x)
{
    if (x < 0) {
        *p++ = '-';
        x = -x;
    }
    unsigned long long m = (unsigned long long)(x * 1000.0 + 0.5);
    unsigned long long ip = m / 1000, fp = m % 1000;
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    while (n)
        *p++ = tmp[--n];
    *p++ = '.';
    *p++ = (char)('0' + fp / 100);
    *p++ = (char)('0' + fp / 10 % 10);
    *p++ = (char)('0' + fp % 10);
    return p;
}

CityStatus road_record_trip(CityRoad *road, int32_t v, double now_s)
{
    const RoadVehicles *vh = &road->veh;
    const int32_t h = road_handle(road, v);
    double tt = now_s - vh->depart_s[h];
    road->stats.sum_travel_time_s += tt;
    road->stats.sum_time_loss_s += vh->rec[v].time_loss_s;
    road->stats.sum_route_length_m += vh->rec[v].dist_m;
    if (!road->trips)
        return CITY_OK;
    char name[256];
    csv_field(name, sizeof name, vh->name[h]);
    char tname[256];
    csv_field(tname, sizeof tname, road->vtypes[vh->rec[v].vtype].def.id);
    char nums[256], *p = nums;
    const double vals[] = {vh->depart_s[h],        vh->depart_delay_s[h], now_s, vh->rec[v].dist_m, tt,
                           vh->rec[v].time_loss_s, vh->rec[v].wait_s};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        p = put_fixed3(p, vals[i]);
        *p++ = ',';
    }
    *p = '\0';
    return city_table_row(road->trips, "%s,%s,%s%d", name, tname, nums, (int)vh->rec[v].stops);
}

/* Writes one row per edge that saw traffic since the last flush. */
CityStatus road_flush_edges(CityRoad *road, double now_s)
{
    if (!road->edges_table)
        return CITY_OK;
    for (int32_t e = 0; e < road->net->n_edges; e++) {
        RoadEdgeStats *s = &road->edge_stats[e];
        if (road->net->edges[e].internal || (s->entered == 0 && s->sampled_s == 0.0))
            continue;
        char id[256];
        csv_field(id, sizeof id, road->net->edges[e].id);
        double mean_speed = s->sampled_s > 0 ? s->dist_m / s->sampled_s : 0.0;
        double mean_tt = s->left > 0 ? s->travel_s / s->left : 0.0;
        CityStatus st = city_table_row(road->edges_table, "%.3f,%.3f,%s,%u,%u,%.3f,%.3f,%.3f", road->stats_begin_s,
                                       now_s, id, s->entered, s->left, mean_speed, mean_tt, s->sampled_s);
        if (st != CITY_OK)
            return st;
        *s = (RoadEdgeStats){0};
    }
    road->stats_begin_s = now_s;
    return CITY_OK;
}

void road_publish_kpis(CityRoad *road)
{
    CityWorld *w = road->world;
    const CityRoadStats *s = &road->stats;
    double n = (double)s->arrived;
    city_world_kpi_set(w, "vehicles_inserted", (double)s->inserted);
    city_world_kpi_set(w, "trips_completed", n);
    city_world_kpi_set(w, "vehicles_running", (double)s->running);
    city_world_kpi_set(w, "vehicles_waiting_to_insert", (double)s->waiting_insert);
    city_world_kpi_set(w, "mean_travel_time_s", n > 0 ? s->sum_travel_time_s / n : 0.0);
    city_world_kpi_set(w, "mean_time_loss_s", n > 0 ? s->sum_time_loss_s / n : 0.0);
    city_world_kpi_set(w, "mean_route_length_m", n > 0 ? s->sum_route_length_m / n : 0.0);
    city_world_kpi_set(w, "vehicle_updates", (double)s->vehicle_updates);
    city_world_kpi_set(w, "gridlock_warnings", (double)s->gridlock_warnings);
    city_world_kpi_set(w, "emergency_brakes", (double)road->emergency_brakes);
    city_world_kpi_set(w, "missed_turns", (double)road->missed_turns);
    city_world_kpi_set(w, "trips_aborted", (double)s->aborted);
    city_world_kpi_set(w, "teleports", (double)s->teleports);
    if (s->ev_inserted > 0) {
        city_world_kpi_set(w, "ev_km_driven", s->ev_dist_m / 1000.0);
        city_world_kpi_set(w, "ev_drive_kwh", s->ev_used_kwh);
        city_world_kpi_set(w, "ev_drive_kwh_per_km", s->ev_dist_m > 0 ? s->ev_used_kwh / (s->ev_dist_m / 1000.0) : 0.0);
    }
}
