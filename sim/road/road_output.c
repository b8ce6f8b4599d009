/* Road outputs: one row per finished trip, per-edge aggregates and the
 * summary KPIs. */
#include <math.h>
#include <stdio.h>

#include "road_internal.h"

/* Appends s as a CSV field: quoted (with doubled quotes) when it holds , "
 * or a newline; what fits in a field of len bytes with its NUL. Returns the end. */
static char *put_field(char *p, size_t len, const char *s)
{
    bool quote = false;
    for (const char *q = s; *q; q++)
        if (*q == ',' || *q == '"' || *q == '\n' || *q == '\r')
            quote = true;
    char *end = p + (quote ? len - 3 : len - 1);
    if (quote)
        *p++ = '"';
    for (; *s && p < end; s++) {
        if (*s == '"')
            *p++ = '"';
        *p++ = *s;
    }
    if (quote)
        *p++ = '"';
    return p;
}

/* Appends x as "%.3f" prints it, byte for byte, without printf's cost: the
 * digits of x * 1000 rounded, or printf itself for what that cannot do
 * exactly (x * 1000 within rounding error of a half, huge, not finite, -0). */
static char *put_fixed3(char *p, double x)
{
    double y = fabs(x) * 1000.0;
    double f = y - floor(y);
    if (!(y < 9e15) || fabs(f - 0.5) <= y * 1e-15 || (x == 0.0 && signbit(x)))
        return p + snprintf(p, 32, "%.3f", x);
    unsigned long long m = (unsigned long long)(y + 0.5);
    if (x < 0)
        *p++ = '-';
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

/* Appends u in decimal. */
static char *put_uint(char *p, unsigned long long u)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* A trip's row, formatted here: one vsnprintf per row cost more than the
 * rest of a short trip's life on the road */
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
    char row[1024], *p = row;
    p = put_field(p, 256, vh->name[h]);
    *p++ = ',';
    p = put_field(p, 256, road->vtypes[vh->rec[v].vtype].def.id);
    *p++ = ',';
    const double vals[] = {vh->depart_s[h],        vh->depart_delay_s[h], now_s, vh->rec[v].dist_m, tt,
                           vh->rec[v].time_loss_s, vh->rec[v].wait_s};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        p = put_fixed3(p, vals[i]);
        *p++ = ',';
    }
    int32_t stops = vh->rec[v].stops;
    if (stops < 0) {
        *p++ = '-';
        stops = -stops;
    }
    p = put_uint(p, (unsigned long long)stops);
    return city_table_row_text(road->trips, row, (size_t)(p - row));
}

/* Writes one row per edge that saw traffic since the last flush. */
CityStatus road_flush_edges(CityRoad *road, double now_s)
{
    if (!road->edges_table)
        return CITY_OK;
    for (int32_t e = 0; e < road->net->n_edges; e++) {
        RoadEdgeStats *s = &road->edge_stats[e];
        RoadEdgeFlow *f = &road->edge_flow[e];
        if (road->net->edges[e].internal || (s->entered == 0 && f->sampled_s == 0.0))
            continue;
        double mean_speed = f->sampled_s > 0 ? f->dist_m / f->sampled_s : 0.0;
        double mean_tt = s->left > 0 ? s->travel_s / s->left : 0.0;
        char row[512], *p = row;
        p = put_fixed3(p, road->stats_begin_s);
        *p++ = ',';
        p = put_fixed3(p, now_s);
        *p++ = ',';
        p = put_field(p, 256, road->net->edges[e].id);
        *p++ = ',';
        p = put_uint(p, s->entered);
        *p++ = ',';
        p = put_uint(p, s->left);
        const double vals[] = {mean_speed, mean_tt, f->sampled_s};
        for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
            *p++ = ',';
            p = put_fixed3(p, vals[i]);
        }
        CityStatus st = city_table_row_text(road->edges_table, row, (size_t)(p - row));
        if (st != CITY_OK)
            return st;
        *s = (RoadEdgeStats){0};
        *f = (RoadEdgeFlow){0};
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
    if (road->lane_swaps > 0) /* (only where it happened: other runs' summaries stay as they were) */
        city_world_kpi_set(w, "lane_swaps", (double)road->lane_swaps);
    if (road->closure_reroutes > 0) /* only where lanes closed: other runs' summaries stay as they were */
        city_world_kpi_set(w, "closure_reroutes", (double)road->closure_reroutes);
    city_world_kpi_set(w, "trips_aborted", (double)s->aborted);
    city_world_kpi_set(w, "teleports", (double)s->teleports);
    if (s->ev_inserted > 0) {
        city_world_kpi_set(w, "ev_km_driven", s->ev_dist_m / 1000.0);
        city_world_kpi_set(w, "ev_drive_kwh", s->ev_used_kwh);
        city_world_kpi_set(w, "ev_drive_kwh_per_km", s->ev_dist_m > 0 ? s->ev_used_kwh / (s->ev_dist_m / 1000.0) : 0.0);
    }
}
