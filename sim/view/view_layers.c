/* The layers of the picture, picking and the inspector panel.
 * A new layer is a draw function and a row in view_layers[]. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "city_grid_sim.h"
#include "city_map.h"
#include "city_road.h"
#include "view_internal.h"

static const CityPoint *lane_shape(const CityRoadNet *net, int32_t l, int32_t *n)
{
    *n = net->lanes[l].shape_count;
    return net->points + net->lanes[l].shape_first;
}

static SDL_Color signal_color(char s)
{
    switch (s) {
    case 'G':
    case 'g':
    case 'O':
        return (SDL_Color){60, 220, 90, 255};
    case 'y':
    case 'Y':
    case 'u':
        return (SDL_Color){250, 200, 40, 255};
    case 'o':
        return (SDL_Color){250, 200, 40, 160};
    default:
        return (SDL_Color){235, 60, 50, 255};
    }
}

/* ---- roads and signals -------------------------------------------------- */

/* Junction areas and lanes in their plain colours: the cached picture. */
void view_draw_roads_static(View *v)
{
    const CityRoad *road = city_road_of(v->world);
    if (!road)
        return;
    const CityRoadNet *net = city_road_net(road);
    SDL_Color jc = {52, 55, 64, 255};
    for (int32_t j = 0; j < net->n_junctions; j++) {
        const CityJunction *jn = &net->junctions[j];
        if (jn->shape_count < 3 || !view_box_visible(v, jn->pos.x - 60, jn->pos.y - 60, jn->pos.x + 60, jn->pos.y + 60))
            continue;
        const CityPoint *p = net->points + jn->shape_first;
        for (int32_t k = 0; k < jn->shape_count; k++) {
            const CityPoint a = p[k], b = p[(k + 1) % jn->shape_count];
            float x[3], y[3]; /* a fan from the centre */
            view_world_to_screen(v, jn->pos.x, jn->pos.y, &x[0], &y[0]);
            view_world_to_screen(v, a.x, a.y, &x[1], &y[1]);
            view_world_to_screen(v, b.x, b.y, &x[2], &y[2]);
            view_triangle(v, x, y, jc);
        }
    }
    for (int32_t l = 0; l < net->n_lanes; l++) {
        const CityLane *ln = &net->lanes[l];
        const CityEdge *e = &net->edges[ln->edge];
        if (e->internal && v->scale < 0.5)
            continue; /* turning paths only when zoomed in */
        int32_t n;
        const CityPoint *p = lane_shape(net, l, &n);
        SDL_Color c = {70, 74, 86, 255};
        if (!(ln->allow & (CITY_VC_PASSENGER | CITY_VC_BUS | CITY_VC_TRUCK)))
            c = (SDL_Color){48, 58, 52, 255}; /* footways and cycle tracks */
        if (e->internal)
            c = (SDL_Color){60, 63, 74, 255};
        for (int32_t k = 1; k < n; k++)
            view_thick_line(v, p[k - 1].x, p[k - 1].y, p[k].x, p[k].y, ln->width_m * 0.9, c);
    }
}

/* Closed and selected lanes over the cached picture, and the signal bars
 * at the stop lines (the state of each lane's first controlled link). */
static void draw_roads(View *v)
{
    const CityRoad *road = city_road_of(v->world);
    if (!road)
        return;
    const CityRoadNet *net = city_road_net(road);
    for (int32_t l = 0; l < net->n_lanes; l++) {
        bool sel = v->pick == VIEW_PICK_LANE && v->pick_id == l;
        if (!sel && !city_road_lane_closed(road, l))
            continue;
        int32_t n;
        const CityPoint *p = lane_shape(net, l, &n);
        SDL_Color c = sel ? (SDL_Color){80, 140, 230, 255} : (SDL_Color){150, 40, 40, 255};
        for (int32_t k = 1; k < n; k++)
            view_thick_line(v, p[k - 1].x, p[k - 1].y, p[k].x, p[k].y, net->lanes[l].width_m * 0.9, c);
    }
    if (v->scale < 0.15)
        return;
    for (int32_t l = 0; l < net->n_lanes; l++) {
        const CityLane *ln = &net->lanes[l];
        for (int32_t k = 0; k < ln->out_count; k++) {
            const CityConnection *c = &net->conns[ln->out_first + k];
            if (c->tls < 0)
                continue;
            int32_t n;
            const CityPoint *p = lane_shape(net, l, &n);
            CityPoint a = p[n - 2], b = p[n - 1];
            if (!view_box_visible(v, b.x - 5, b.y - 5, b.x + 5, b.y + 5))
                break;
            double dx = b.x - a.x, dy = b.y - a.y, len = hypot(dx, dy);
            if (len <= 0)
                break;
            double hw = ln->width_m * 0.5, nx = -dy / len * hw, ny = dx / len * hw;
            view_thick_line(v, b.x + nx, b.y + ny, b.x - nx, b.y - ny, 1.2,
                            signal_color(city_road_tls_state(road, c->tls)[c->tls_link]));
            break;
        }
    }
}

static int roads_legend(View *v, int x, int y, int w)
{
    (void)w;
    if (!city_road_of(v->world))
        return -1;
    int dx = 0;
    dx += view_legend_swatch(v, x + dx, y, signal_color('G'), "green");
    dx += view_legend_swatch(v, x + dx, y, signal_color('y'), "yellow");
    dx += view_legend_swatch(v, x + dx, y, signal_color('r'), "red");
    view_legend_swatch(v, x + dx, y, (SDL_Color){150, 40, 40, 255}, "closed lane");
    return v->line_h;
}

/* ---- vehicles ------------------------------------------------------------ */

static SDL_Color vehicle_color(const View *v, const CityVehicleView *vv, double limit)
{
    if (v->color_by_class) {
        switch (vv->vclass) {
        case CITY_VC_BUS:
            return (SDL_Color){250, 170, 40, 255};
        case CITY_VC_TRUCK:
            return (SDL_Color){170, 120, 220, 255};
        case CITY_VC_EMERGENCY:
            return (SDL_Color){255, 60, 60, 255};
        case CITY_VC_BICYCLE:
            return (SDL_Color){120, 220, 120, 255};
        default:
            return vv->energy_kwh > 0 ? (SDL_Color){80, 230, 210, 255} : (SDL_Color){220, 220, 230, 255};
        }
    }
    /* speed relative to the limit: red (standing) -> yellow -> green (free) */
    return view_speed_color(limit > 0.1 ? vv->speed_mps / limit : 0, 60);
}

static void draw_vehicles(View *v)
{
    const CityRoad *road = city_road_of(v->world);
    if (!road)
        return;
    const CityRoadNet *net = city_road_net(road);
    size_t n = city_road_vehicle_count(road);
    for (size_t i = 0; i < n; i++) {
        CityVehicleView vv;
        city_road_vehicle_at(road, i, &vv);
        if (!view_box_visible(v, vv.xy.x - 20, vv.xy.y - 20, vv.xy.x + 20, vv.xy.y + 20))
            continue;
        double hx = cos(vv.heading_rad), hy = sin(vv.heading_rad);
        SDL_Color c = vehicle_color(v, &vv, net->lanes[vv.lane].speed_mps);
        if (v->pick == VIEW_PICK_VEHICLE && v->pick_id == (int64_t)city_id_pack(vv.id))
            c = (SDL_Color){80, 160, 255, 255};
        double len = vv.length_m, width = vv.vclass == CITY_VC_BICYCLE ? 0.8 : 2.0;
        if (len * v->scale < 3) /* keep vehicles visible when zoomed out */
            len = 3 / v->scale, width = fmax(width, 2 / v->scale);
        view_thick_line(v, vv.xy.x - hx * len, vv.xy.y - hy * len, vv.xy.x, vv.xy.y, width, c);
    }
}

static SDL_Color speed_scale(double f)
{
    return view_speed_color(f, 60);
}

static int vehicles_legend(View *v, int x, int y, int w)
{
    if (!city_road_of(v->world))
        return -1;
    if (v->color_by_class) {
        int dx = 0;
        dx += view_legend_swatch(v, x + dx, y, (SDL_Color){220, 220, 230, 255}, "car");
        dx += view_legend_swatch(v, x + dx, y, (SDL_Color){80, 230, 210, 255}, "EV");
        dx += view_legend_swatch(v, x + dx, y, (SDL_Color){250, 170, 40, 255}, "bus");
        view_legend_swatch(v, x + dx, y, (SDL_Color){170, 120, 220, 255}, "truck");
        return v->line_h;
    }
    static const char *const ticks[] = {"standing", "speed / limit", "free"};
    static const double at[] = {0, 0.5, 1};
    return view_legend_bar(v, x, y, w, speed_scale, ticks, at, 3);
}

/* ---- buildings ------------------------------------------------------------ */

/* Triangles of every footprint, cut once (ear clipping, so concave
 * footprints fill correctly), kept in world coordinates. */
static void build_triangles(View *v, const CityMapLayer *b)
{
    v->bld_ready = true;
    size_t cap = (size_t)b->n_pts * 3;
    v->bld = malloc(cap * sizeof *v->bld + 1);
    int *idx = malloc(((size_t)b->n_pts + 1) * sizeof *idx);
    if (!v->bld || !idx) {
        free(idx);
        return;
    }
    SDL_Color c = {96, 84, 74, 255};
    for (int32_t pi = 0; pi < b->n_polys; pi++) {
        const double *xy = b->xy + 2 * b->first[pi];
        int n = b->count[pi];
        if (n > 3 && xy[0] == xy[2 * (n - 1)] && xy[1] == xy[2 * (n - 1) + 1])
            n--; /* closing point */
        double area = 0;
        for (int k = 0; k < n; k++) {
            int k2 = (k + 1) % n;
            area += xy[2 * k] * xy[2 * k2 + 1] - xy[2 * k2] * xy[2 * k + 1];
        }
        for (int k = 0; k < n; k++)
            idx[k] = area >= 0 ? k : n - 1 - k; /* counter-clockwise */
        int m = n, guard = 0;
        while (m > 3 && guard++ < 4 * n) {
            bool cut = false;
            for (int k = 0; k < m && !cut; k++) {
                int a = idx[(k + m - 1) % m], o = idx[k], c2 = idx[(k + 1) % m];
                double ax = xy[2 * a], ay = xy[2 * a + 1], ox = xy[2 * o], oy = xy[2 * o + 1];
                double cx = xy[2 * c2], cy = xy[2 * c2 + 1];
                if ((ox - ax) * (cy - ay) - (oy - ay) * (cx - ax) <= 0)
                    continue; /* reflex corner */
                bool inside = false;
                for (int q = 0; q < m && !inside; q++) {
                    int p = idx[q];
                    if (p == a || p == o || p == c2)
                        continue;
                    double px = xy[2 * p], py = xy[2 * p + 1];
                    double d1 = (ox - ax) * (py - ay) - (oy - ay) * (px - ax);
                    double d2 = (cx - ox) * (py - oy) - (cy - oy) * (px - ox);
                    double d3 = (ax - cx) * (py - cy) - (ay - cy) * (px - cx);
                    inside = d1 > 0 && d2 > 0 && d3 > 0;
                }
                if (inside)
                    continue;
                SDL_Vertex *t = v->bld + v->n_bld;
                t[0] = (SDL_Vertex){{(float)ax, (float)ay}, c, {0, 0}};
                t[1] = (SDL_Vertex){{(float)ox, (float)oy}, c, {0, 0}};
                t[2] = (SDL_Vertex){{(float)cx, (float)cy}, c, {0, 0}};
                v->n_bld += 3;
                memmove(idx + k, idx + k + 1, (size_t)(m - k - 1) * sizeof *idx);
                m--;
                cut = true;
            }
            if (!cut)
                break;
        }
        if (m == 3) {
            SDL_Vertex *t = v->bld + v->n_bld;
            for (int q = 0; q < 3; q++)
                t[q] = (SDL_Vertex){{(float)xy[2 * idx[q]], (float)xy[2 * idx[q] + 1]}, c, {0, 0}};
            v->n_bld += 3;
        }
    }
    free(idx);
}

void view_draw_buildings(View *v)
{
    const CityMapLayer *b = city_map_layer(v->world, "buildings");
    if (!b || !b->n_polys)
        return;
    if (!v->bld_ready)
        build_triangles(v, b);
    if (!v->n_bld)
        return;
    /* project a copy: the cache stays in world coordinates */
    SDL_Vertex *s = malloc((size_t)v->n_bld * sizeof *s);
    if (!s)
        return;
    for (int i = 0; i < v->n_bld; i++) {
        s[i] = v->bld[i];
        view_world_to_screen(v, v->bld[i].position.x, v->bld[i].position.y, &s[i].position.x, &s[i].position.y);
    }
    view_flush(v);
    SDL_RenderGeometry(v->r, NULL, s, v->n_bld, NULL, 0);
    free(s);
}

static int buildings_legend(View *v, int x, int y, int w)
{
    (void)w;
    const CityMapLayer *b = city_map_layer(v->world, "buildings");
    if (!b || !b->n_polys)
        return -1;
    char label[64];
    snprintf(label, sizeof label, "%d footprints", (int)b->n_polys);
    view_legend_swatch(v, x, y, (SDL_Color){96, 84, 74, 255}, label);
    return v->line_h;
}

/* ---- power grid ------------------------------------------------------------ */

static SDL_Color voltage_color(double vm)
{
    if (vm <= 0)
        return (SDL_Color){90, 90, 90, 255}; /* de-energised */
    if (vm < 0.95)
        return (SDL_Color){240, 70, 60, 255};
    if (vm > 1.05)
        return (SDL_Color){200, 90, 240, 255};
    double f = (vm - 0.95) / 0.1;
    return (SDL_Color){(Uint8)(250 - 150 * f), (Uint8)(200 + 40 * f), 80, 255};
}

static void draw_grid(View *v)
{
    CityGrid *g = city_grid_of(v->world);
    if (!g)
        return;
    int32_t nb, nl, nf;
    const CityGridBus *bus = city_grid_buses(g, &nb);
    const CityGridBranch *br = city_grid_branches(g, &nl);
    const CityGridFlow *fl = city_grid_flows(g, &nf);
    for (int32_t i = 0; i < nl; i++) {
        int32_t a = city_grid_bus_index(g, br[i].from_bus), b = city_grid_bus_index(g, br[i].to_bus);
        if (a < 0 || b < 0)
            continue;
        double load = fl && i < nf ? fl[i].loading_pct : 0;
        bool dead = !br[i].closed || !city_grid_bus_energised(g, a); /* open, or in a part without a source */
        SDL_Color c = dead         ? (SDL_Color){90, 90, 90, 255}
                      : load > 100 ? (SDL_Color){240, 60, 60, 255}
                      : load > 80  ? (SDL_Color){250, 180, 40, 255}
                                   : (SDL_Color){70, 160, 250, 255};
        bool sel = v->pick == VIEW_PICK_BRANCH && v->pick_id == i;
        double px = sel ? 6.0 : 3.0;
        if (sel)
            c = (SDL_Color){240, 240, 255, 255};
        view_thick_line(v, bus[a].x_m, bus[a].y_m, bus[b].x_m, bus[b].y_m, px / v->scale, c);
    }
    for (int32_t i = 0; i < nb; i++) {
        double r = fmax(6.0, 4 / v->scale);
        view_thick_line(v, bus[i].x_m - r, bus[i].y_m, bus[i].x_m + r, bus[i].y_m, 2 * r,
                        voltage_color(city_grid_bus_energised(g, i) ? bus[i].vm_pu : 0));
    }
}

static SDL_Color voltage_scale(double f)
{
    return voltage_color(0.93 + 0.14 * f);
}

static int grid_legend(View *v, int x, int y, int w)
{
    if (!city_grid_of(v->world))
        return -1;
    static const char *const ticks[] = {"0.95", "bus voltage, pu", "1.05"};
    static const double at[] = {2.0 / 14, 0.5, 12.0 / 14};
    int h = view_legend_bar(v, x, y, w, voltage_scale, ticks, at, 3);
    int dx = 0;
    dx += view_legend_swatch(v, x + dx, y + h, (SDL_Color){70, 160, 250, 255}, "line");
    dx += view_legend_swatch(v, x + dx, y + h, (SDL_Color){250, 180, 40, 255}, ">80%");
    dx += view_legend_swatch(v, x + dx, y + h, (SDL_Color){240, 60, 60, 255}, ">100%");
    view_legend_swatch(v, x + dx, y + h, (SDL_Color){90, 90, 90, 255}, "dead");
    return h + v->line_h;
}

/* Drawing order is table order; the keys toggle. */
const ViewLayer view_layers[] = {
    {"buildings", SDLK_1, true, view_draw_buildings, NULL, buildings_legend},
    {"roads and signals", SDLK_2, true, view_draw_roads_static, draw_roads, roads_legend},
    {"air quality, PM2.5", SDLK_7, true, NULL, view_draw_air, view_air_legend},
    {"power grid", SDLK_3, true, NULL, draw_grid, grid_legend},
    {"vehicles", SDLK_4, true, NULL, draw_vehicles, vehicles_legend},
    {"pedestrians, crossings", SDLK_5, true, view_draw_walls, view_draw_people, view_people_legend},
    {"sensors", SDLK_6, true, NULL, view_draw_sensors, view_sensor_legend},
};
const int view_layer_count = (int)(sizeof view_layers / sizeof view_layers[0]);

/* ---- picking and the inspector -------------------------------------------- */

static double seg_dist(double px, double py, CityPoint a, CityPoint b)
{
    double dx = b.x - a.x, dy = b.y - a.y, l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((px - a.x) * dx + (py - a.y) * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(px - (a.x + t * dx), py - (a.y + t * dy));
}

void view_pick(View *v, int sx, int sy)
{
    double x, y, tol = 8 / v->scale;
    view_screen_to_world(v, sx, sy, &x, &y);
    v->pick = VIEW_PICK_NONE;
    const CityRoad *road = city_road_of(v->world);
    double best = tol;
    if (road) {
        for (size_t i = 0; i < city_road_vehicle_count(road); i++) {
            CityVehicleView vv;
            city_road_vehicle_at(road, i, &vv);
            double d = hypot(vv.xy.x - x, vv.xy.y - y);
            if (d < best) {
                best = d;
                v->pick = VIEW_PICK_VEHICLE;
                v->pick_id = (int64_t)city_id_pack(vv.id);
            }
        }
    }
    if (v->pick == VIEW_PICK_NONE && v->layer_on[VIEW_LAYER_SENSORS]) {
        int32_t ch = view_pick_sensor(v, x, y, tol);
        if (ch >= 0) {
            v->pick = VIEW_PICK_SENSOR;
            v->pick_id = ch;
        }
    }
    if (v->pick == VIEW_PICK_NONE) {
        int64_t person = view_pick_person(v, x, y, tol);
        if (person >= 0) {
            v->pick = VIEW_PICK_PERSON;
            v->pick_id = person;
        }
    }
    CityGrid *g = city_grid_of(v->world);
    if (v->pick == VIEW_PICK_NONE && g) {
        int32_t nb;
        const CityGridBus *bus = city_grid_buses(g, &nb);
        for (int32_t i = 0; i < nb; i++) {
            double d = hypot(bus[i].x_m - x, bus[i].y_m - y);
            if (d < fmax(best, 8)) {
                best = d;
                v->pick = VIEW_PICK_BUS;
                v->pick_id = i;
            }
        }
        /* a line: within 6 px of its drawn segment */
        int32_t nl;
        const CityGridBranch *br = city_grid_branches(g, &nl);
        double line_tol = 6 / v->scale;
        for (int32_t i = 0; i < nl && v->pick == VIEW_PICK_NONE; i++) {
            int32_t a = city_grid_bus_index(g, br[i].from_bus), b = city_grid_bus_index(g, br[i].to_bus);
            if (a < 0 || b < 0)
                continue;
            double d = seg_dist(x, y, (CityPoint){bus[a].x_m, bus[a].y_m}, (CityPoint){bus[b].x_m, bus[b].y_m});
            if (d < line_tol) {
                v->pick = VIEW_PICK_BRANCH;
                v->pick_id = i;
            }
        }
    }
    if (v->pick == VIEW_PICK_NONE && road) {
        const CityRoadNet *net = city_road_net(road);
        for (int32_t l = 0; l < net->n_lanes; l++) {
            if (net->edges[net->lanes[l].edge].internal)
                continue;
            int32_t n;
            const CityPoint *p = lane_shape(net, l, &n);
            for (int32_t k = 1; k < n; k++) {
                double d = seg_dist(x, y, p[k - 1], p[k]);
                if (d < fmax(best, net->lanes[l].width_m * 0.5)) {
                    best = d;
                    v->pick = VIEW_PICK_LANE;
                    v->pick_id = l;
                }
            }
        }
    }
}

int view_inspector_lines(View *v, char lines[][160], int max)
{
    int n = 0;
    if (v->pick == VIEW_PICK_NONE)
        return 0;
    const CityRoad *road = city_road_of(v->world);
    if (v->pick == VIEW_PICK_VEHICLE && road) {
        CityVehicleView vv;
        if (!city_road_vehicle_get(road, city_id_unpack((uint64_t)v->pick_id), &vv)) {
            v->pick = VIEW_PICK_NONE; /* it arrived */
            return 0;
        }
        const CityRoadNet *net = city_road_net(road);
        snprintf(lines[n++], 160, "vehicle %s (%s)", vv.name, city_vclass_name(vv.vclass));
        snprintf(lines[n++], 160, "lane %s at %.1f m", net->lanes[vv.lane].id, vv.pos_m);
        snprintf(lines[n++], 160, "speed %.1f km/h, accel %.2f m/s2", vv.speed_mps * 3.6, vv.accel_mps2);
        snprintf(lines[n++], 160, "departed %.0f s, standing %.0f s", vv.depart_s, vv.halt_s);
        snprintf(lines[n++], 160, "route edge %d of %d", (int)vv.route_pos + 1, (int)vv.route_len);
        for (int32_t k = vv.route_pos; k < vv.route_len && n < max - 1 && n < 9; k++)
            snprintf(lines[n++], 160, "  %s%s", net->edges[vv.route[k]].id, k == vv.route_pos ? "  <" : "");
    } else if (v->pick == VIEW_PICK_LANE && road) {
        const CityRoadNet *net = city_road_net(road);
        const CityLane *ln = &net->lanes[v->pick_id];
        snprintf(lines[n++], 160, "lane %s", ln->id);
        snprintf(lines[n++], 160, "length %.1f m, limit %.0f km/h", ln->length_m, ln->speed_mps * 3.6);
        snprintf(lines[n++], 160, "x closes or reopens it");
        for (int32_t k = 0; k < ln->out_count && n < max - 3; k++) {
            const CityConnection *c = &net->conns[ln->out_first + k];
            if (c->tls < 0)
                continue;
            const CityTls *t = &net->tls[c->tls];
            char mode[120];
            view_signal_mode(v, c->tls, mode, sizeof mode);
            snprintf(lines[n++], 160, "signal %s, phase %d of %d", t->id, (int)city_road_tls_phase(road, c->tls) + 1,
                     (int)t->phase_count);
            snprintf(lines[n++], 160, "  mode: %s", mode);
            snprintf(lines[n++], 160, "  %s", city_road_tls_state(road, c->tls));
            break;
        }
    } else if (v->pick == VIEW_PICK_PERSON) {
        if (!view_person_lines(v, v->pick_id, lines, &n, max)) {
            v->pick = VIEW_PICK_NONE; /* arrived */
            return 0;
        }
    } else if (v->pick == VIEW_PICK_SENSOR) {
        view_sensor_lines(v, (int32_t)v->pick_id, lines, &n, max);
    } else if (v->pick == VIEW_PICK_BUS) {
        CityGrid *g = city_grid_of(v->world);
        int32_t nb;
        const CityGridBus *bus = g ? city_grid_buses(g, &nb) : NULL;
        if (!bus || v->pick_id >= nb)
            return 0;
        const CityGridBus *b = &bus[v->pick_id];
        snprintf(lines[n++], 160, "bus %d", (int)b->id);
        snprintf(lines[n++], 160, "V = %.4f pu, angle %.2f deg", b->vm_pu, b->va_deg);
        snprintf(lines[n++], 160, "load %.1f kW, %.1f kvar", b->pd_mw * 1000, b->qd_mvar * 1000);
    } else if (v->pick == VIEW_PICK_BRANCH) {
        CityGrid *g = city_grid_of(v->world);
        int32_t nl = 0, nf = 0;
        const CityGridBranch *br = g ? city_grid_branches(g, &nl) : NULL;
        if (!br || v->pick_id >= nl)
            return 0;
        const CityGridBranch *b = &br[v->pick_id];
        const CityGridFlow *fl = city_grid_flows(g, &nf);
        static const char *kinds[] = {"line", "transformer", "switch"};
        snprintf(lines[n++], 160, "%s %d: bus %d - bus %d", kinds[b->kind % 3], (int)b->id, (int)b->from_bus,
                 (int)b->to_bus);
        snprintf(lines[n++], 160, "%s", b->closed ? "in service" : "open (out of service)");
        if (fl && v->pick_id < nf && b->closed)
            snprintf(lines[n++], 160, "P %.1f kW, Q %.1f kvar, loading %.0f %%", fl[v->pick_id].pf_mw * 1000,
                     fl[v->pick_id].qf_mvar * 1000, fl[v->pick_id].loading_pct);
        snprintf(lines[n++], 160, "x %s it", b->closed ? "trips" : "restores");
    }
    return n;
}
