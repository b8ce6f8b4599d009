/* Road outputs: one row per finished trip, per-edge aggregates and the
 * summary KPIs. */
#include <math.h>
#include <stdio.h>

#include "city_compiler.h"
#include "road_internal.h"

static bool csv_special(char c)
{
    return c == ',' || c == '"' || c == '\n' || c == '\r';
}

/* Appends s as a CSV field: quoted (with doubled quotes) when it holds , "
 * or a newline; what fits in a field of len bytes with its NUL. Returns the
 * end. (One pass over a plain name, the common case: the quoting pass runs
 * only once a special byte is seen.) */
char *road_put_csv_field(char *p, size_t len, const char *s)
{
    char *o = p, *end = p + len - 1;
    const char *q = s;
    for (; *q && o < end; q++) {
        if (csv_special(*q))
            goto quoted;
        *o++ = *q;
    }
    for (; *q; q++) /* (cut short: a special byte past the cut still quotes it) */
        if (csv_special(*q))
            goto quoted;
    return o;
quoted:
    end = p + len - 3;
    *p++ = '"';
    for (; *s && p < end; s++) {
        if (*s == '"')
            *p++ = '"';
        *p++ = *s;
    }
    *p++ = '"';
    return p;
}

/* Appends x as "%.3f" prints it, byte for byte, without printf's cost: the
 * digits of x * 1000 rounded, or printf itself for what that cannot do
 * exactly (x * 1000 within rounding error of a half, huge, not finite, -0):
 * at most ROAD_FIXED3_MAX - 1 bytes (DBL_MAX has 309 digits).
 * Below 2^52, y + 0.5 is exact, so its integer part is the truncation of y
 * plus one when y's fraction is a half or more (no call to floor). */
char *road_put_fixed3(char *p, double x)
{
    double y = fabs(x) * 1000.0;
    const bool exact = y < 0x1p52; /* (false for NaN too) */
    unsigned long long m = exact ? (unsigned long long)y : 0;
    double f = y - (double)m;
    if (!exact || fabs(f - 0.5) <= y * 1e-15 || (x == 0.0 && signbit(x)))
        return p + snprintf(p, ROAD_FIXED3_MAX, "%.3f", x);
    m += f >= 0.5;
    if (x < 0)
        *p++ = '-';
    unsigned long long ip = m / 1000;
    unsigned fp = (unsigned)(m % 1000);
    CITY_UNINIT char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    while (n)
        *p++ = tmp[--n];
    p[0] = '.';
    p[1] = (char)('0' + fp / 100);
    p[2] = (char)('0' + fp / 10 % 10);
    p[3] = (char)('0' + fp % 10);
    return p + 4;
}

/* Appends u in decimal. */
static char *put_uint(char *p, unsigned long long u)
{
    CITY_UNINIT char tmp[24];
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
    CITY_UNINIT char row[2 * 256 + 7 * ROAD_FIXED3_MAX + 24];
    char *p = row;
    p = road_put_csv_field(p, 256, vh->name[h]);
    *p++ = ',';
    p = road_put_csv_field(p, 256, road->vtypes[vh->rec[v].vtype].def.id);
    *p++ = ',';
    const double vals[] = {vh->depart_s[h],        vh->depart_delay_s[h], now_s, vh->rec[v].dist_m, tt,
                           vh->rec[v].time_loss_s, vh->rec[v].wait_s};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        p = road_put_fixed3(p, vals[i]);
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
        CITY_UNINIT char row[256 + 5 * ROAD_FIXED3_MAX + 2 * 24];
        char *p = row;
        p = road_put_fixed3(p, road->stats_begin_s);
        *p++ = ',';
        p = road_put_fixed3(p, now_s);
        *p++ = ',';
        p = road_put_csv_field(p, 256, road->net->edges[e].id);
        *p++ = ',';
        p = put_uint(p, s->entered);
        *p++ = ',';
        p = put_uint(p, s->left);
        const double vals[] = {mean_speed, mean_tt, f->sampled_s};
        for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
            *p++ = ',';
            p = road_put_fixed3(p, vals[i]);
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

/* Sets the road's KPI number k (a place of its own in road->kpi_ref). */
static void kpi(CityRoad *road, int k, const char *name, double value)
{
    CITY_ASSERT(k < ROAD_KPI_REFS);
    city_world_kpi_set_ref(road->world, &road->kpi_ref[k], name, value);
}

void road_publish_kpis(CityRoad *road)
{
    const CityRoadStats *s = &road->stats;
    double n = (double)s->arrived;
    kpi(road, 0, "vehicles_inserted", (double)s->inserted);
    kpi(road, 1, "trips_completed", n);
    kpi(road, 2, "vehicles_running", (double)s->running);
    kpi(road, 3, "vehicles_waiting_to_insert", (double)s->waiting_insert);
    kpi(road, 4, "mean_travel_time_s", n > 0 ? s->sum_travel_time_s / n : 0.0);
    kpi(road, 5, "mean_time_loss_s", n > 0 ? s->sum_time_loss_s / n : 0.0);
    kpi(road, 6, "mean_route_length_m", n > 0 ? s->sum_route_length_m / n : 0.0);
    kpi(road, 7, "vehicle_updates", (double)s->vehicle_updates);
    kpi(road, 8, "gridlock_warnings", (double)s->gridlock_warnings);
    kpi(road, 9, "emergency_brakes", (double)road->emergency_brakes);
    kpi(road, 10, "missed_turns", (double)road->missed_turns);
    if (road->lane_swaps > 0) /* (only where it happened: other runs' summaries stay as they were) */
        kpi(road, 11, "lane_swaps", (double)road->lane_swaps);
    if (road->closure_reroutes > 0) /* only where lanes closed: other runs' summaries stay as they were */
        kpi(road, 12, "closure_reroutes", (double)road->closure_reroutes);
    kpi(road, 13, "trips_aborted", (double)s->aborted);
    kpi(road, 14, "teleports", (double)s->teleports);
    if (s->ev_inserted > 0) {
        kpi(road, 15, "ev_km_driven", s->ev_dist_m / 1000.0);
        kpi(road, 16, "ev_drive_kwh", s->ev_used_kwh);
        kpi(road, 17, "ev_drive_kwh_per_km", s->ev_dist_m > 0 ? s->ev_used_kwh / (s->ev_dist_m / 1000.0) : 0.0);
    }
}
