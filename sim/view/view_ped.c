/* The pedestrian layer: walls of the walkable space (in the cached
 * picture), road crossings tinted by their signal for people (green walk,
 * red wait, white zebra), doors coloured by their state, people as discs
 * one body wide coloured by their speed against their own free speed (red:
 * standing, yellow: slowed, green: free walking) or, with `w`, by waiting
 * (orange: held at a closed crossing), and conflicts measured at crossings
 * and in junctions as marks that fade over CONFLICT_FADE_S. */
#include <math.h>
#include <stdio.h>

#include "city_ped.h"
#include "city_ped_road.h"
#include "city_road.h"
#include "view_internal.h"

#define CONFLICT_FADE_S 60.0 /* a conflict mark fades out over this much simulated time */

static const SDL_Color waiting_color = {255, 140, 30, 255}, walking_color = {110, 190, 255, 255};

void view_draw_walls(View *v)
{
    CityPed *ped = city_ped_of(v->world);
    if (!ped)
        return;
    const SDL_Color wall = {150, 150, 160, 255};
    for (int32_t i = 0; i < city_ped_wall_count(ped); i++) {
        double x1, y1, x2, y2;
        city_ped_wall_get(ped, i, &x1, &y1, &x2, &y2);
        if (view_box_visible(v, fmin(x1, x2), fmin(y1, y2), fmax(x1, x2), fmax(y1, y2)))
            view_thick_line(v, x1, y1, x2, y2, 0.1, wall);
    }
}

/* A person waits when the next door of its route is closed and it stands. */
static bool person_waiting(const CityPed *ped, const CityPedView *p)
{
    double speed = hypot(p->vx_mps, p->vy_mps);
    return p->next_door >= 0 && !city_ped_door_open(ped, p->next_door) && speed < 0.2 * p->free_speed_mps;
}

/* Crossings of roads, tinted by their signal for people (the state of the
 * light's link for the crossing: green walk, else wait) or white for zebras. */
static void draw_crossings(View *v, const CityPed *ped)
{
    const CityRoad *road = city_road_of(v->world);
    const CityRoadNet *net = road ? city_road_net(road) : NULL;
    for (int32_t i = 0; i < city_ped_crossing_count(ped); i++) {
        const CityPedCrossingDef *c = city_ped_crossing_get(ped, i);
        if (!view_box_visible(v, fmin(c->x1, c->x2) - c->width_m, fmin(c->y1, c->y2) - c->width_m,
                              fmax(c->x1, c->x2) + c->width_m, fmax(c->y1, c->y2) + c->width_m))
            continue;
        SDL_Color col = {150, 150, 160, 70}; /* unsignalised: people wait for a gap */
        int32_t tls = net && c->tls ? city_road_net_find_tls(net, c->tls) : -1;
        if (c->priority)
            col = (SDL_Color){235, 235, 240, 110};
        else if (tls >= 0 && c->tls_link >= 0 && c->tls_link < net->tls[tls].link_count) {
            char st = city_road_tls_state(road, tls)[c->tls_link];
            col = st == 'G' || st == 'g' ? (SDL_Color){60, 200, 90, 110} : (SDL_Color){235, 60, 50, 110};
        }
        view_thick_line(v, c->x1, c->y1, c->x2, c->y2, fmax(c->width_m, 1.0), col);
    }
}

/* Conflicts of the last CONFLICT_FADE_S seconds, fading with age: people
 * and vehicles magenta, vehicles and vehicles orange, collisions red. */
static void draw_conflicts(View *v)
{
    CityConflictMark marks[256];
    double now = city_world_time_s(v->world);
    int32_t n = city_ped_road_conflicts(v->world, now - CONFLICT_FADE_S, marks, 256);
    if (n > 256)
        n = 256;
    for (int32_t i = 0; i < n; i++) {
        const CityConflictMark *m = &marks[i];
        double f = 1.0 - fmin(fmax((now - m->time_s) / CONFLICT_FADE_S, 0), 1);
        SDL_Color c = m->collision                       ? (SDL_Color){255, 40, 40, 255}
                      : m->type == CITY_CONFLICT_VEH_PED ? (SDL_Color){240, 80, 240, 255}
                                                         : (SDL_Color){255, 160, 40, 255};
        c.a = (Uint8)lround(40 + 215 * f);
        view_disc(v, m->x_m, m->y_m, m->collision ? 3.0 : 2.0, (m->collision ? 7 : 5) * v->ui, c);
    }
}

void view_draw_people(View *v)
{
    CityPed *ped = city_ped_of(v->world);
    if (!ped)
        return;
    draw_crossings(v, ped);
    /* doors that can close are crossings with a signal */
    for (int32_t d = 0; d < city_ped_door_count(ped); d++) {
        int32_t a, b;
        double x1, y1, x2, y2;
        city_ped_door_get(ped, d, &a, &b, &x1, &y1, &x2, &y2);
        if (!view_box_visible(v, fmin(x1, x2), fmin(y1, y2), fmax(x1, x2), fmax(y1, y2)))
            continue;
        bool open = city_ped_door_open(ped, d);
        SDL_Color c = open ? (SDL_Color){60, 200, 90, 200} : (SDL_Color){235, 60, 50, 230};
        view_thick_line(v, x1, y1, x2, y2, open ? 0.25 : 0.5, c);
    }
    size_t n = city_ped_count(ped);
    for (size_t i = 0; i < n; i++) {
        CityPedView p;
        city_ped_at(ped, i, &p);
        double r = p.radius_m;
        if (!view_box_visible(v, p.x_m - r, p.y_m - r, p.x_m + r, p.y_m + r))
            continue;
        SDL_Color c;
        if (v->people_by_waiting)
            c = person_waiting(ped, &p) ? waiting_color : walking_color;
        else
            c = view_speed_color(p.free_speed_mps > 0 ? hypot(p.vx_mps, p.vy_mps) / p.free_speed_mps : 0, 200);
        if (v->pick == VIEW_PICK_PERSON && v->pick_id == (int64_t)city_id_pack(p.id))
            c = (SDL_Color){80, 160, 255, 255};
        view_disc(v, p.x_m, p.y_m, r, 1.5, c);
    }
    draw_conflicts(v);
}

static SDL_Color people_scale(double f)
{
    return view_speed_color(f, 200);
}

int view_people_legend(View *v, int x, int y, int w)
{
    if (!city_ped_of(v->world))
        return -1;
    int h = 0;
    if (v->people_by_waiting) {
        int dx = view_legend_swatch(v, x, y, walking_color, "walking");
        view_legend_swatch(v, x + dx, y, waiting_color, "waiting at a red crossing");
        h = v->line_h;
    } else {
        static const char *const ticks[] = {"standing", "speed / free speed", "free"};
        static const double at[] = {0, 0.5, 1};
        h = view_legend_bar(v, x, y, w, people_scale, ticks, at, 3);
    }
    int dx = view_legend_swatch(v, x, y + h, (SDL_Color){60, 200, 90, 255}, "walk");
    dx += view_legend_swatch(v, x + dx, y + h, (SDL_Color){235, 60, 50, 255}, "wait");
    view_legend_swatch(v, x + dx, y + h, (SDL_Color){235, 235, 240, 255}, "zebra");
    h += v->line_h;
    uint64_t conflicts, collisions, ped_ttc;
    if (city_ped_road_counts(v->world, &conflicts, &collisions, &ped_ttc)) {
        dx = view_legend_swatch(v, x, y + h, (SDL_Color){240, 80, 240, 255}, "conflict with a person");
        view_legend_swatch(v, x + dx, y + h, (SDL_Color){255, 160, 40, 255}, "vehicles");
        h += v->line_h;
        view_legend_swatch(v, x, y + h, (SDL_Color){255, 40, 40, 255}, "collision");
        h += v->line_h;
        view_text(v, x, y + h, (SDL_Color){200, 205, 215, 255},
                  "%llu conflicts, %llu collisions (marks fade in %.0f s)", (unsigned long long)conflicts,
                  (unsigned long long)collisions, CONFLICT_FADE_S);
        h += v->line_h;
    }
    return h;
}

bool view_people_bounds(const View *v, double *x0, double *y0, double *x1, double *y1)
{
    CityPed *ped = city_ped_of(v->world);
    if (!ped || city_ped_area_count(ped) == 0)
        return false;
    for (int32_t a = 0; a < city_ped_area_count(ped); a++) {
        int32_t n;
        const double *xy = city_ped_area_points(ped, a, &n);
        for (int32_t k = 0; k < n; k++) {
            *x0 = fmin(*x0, xy[2 * k]);
            *y0 = fmin(*y0, xy[2 * k + 1]);
            *x1 = fmax(*x1, xy[2 * k]);
            *y1 = fmax(*y1, xy[2 * k + 1]);
        }
    }
    return true;
}

int64_t view_pick_person(const View *v, double x, double y, double tol_m)
{
    CityPed *ped = city_ped_of(v->world);
    if (!ped)
        return -1;
    int64_t best_id = -1;
    double best = tol_m;
    for (size_t i = 0; i < city_ped_count(ped); i++) {
        CityPedView p;
        city_ped_at(ped, i, &p);
        double d = hypot(p.x_m - x, p.y_m - y) - p.radius_m;
        if (d < best) {
            best = d;
            best_id = (int64_t)city_id_pack(p.id);
        }
    }
    return best_id;
}

bool view_person_lines(const View *v, int64_t id, char lines[][160], int *n, int max)
{
    CityPed *ped = city_ped_of(v->world);
    CityPedView p;
    if (!ped || !city_ped_get(ped, city_id_unpack((uint64_t)id), &p))
        return false;
    double speed = sqrt(p.vx_mps * p.vx_mps + p.vy_mps * p.vy_mps);
    if (*n < max)
        snprintf(lines[(*n)++], 160, "person %u (radius %.2f m, %.0f kg)", (unsigned)p.id.index, p.radius_m, p.mass_kg);
    if (*n < max)
        snprintf(lines[(*n)++], 160, "speed %.2f m/s of a free %.2f m/s", speed, p.free_speed_mps);
    if (*n < max)
        snprintf(lines[(*n)++], 160, "walking since %.0f s, in area %d", p.depart_s, (int)p.area + 1);
    if (*n < max && !isnan(p.to_x))
        snprintf(lines[(*n)++], 160, "to (%.1f, %.1f), %d doors to pass", p.to_x, p.to_y, (int)p.doors_left);
    if (*n < max && p.next_door >= 0)
        snprintf(lines[(*n)++], 160, "next door %d%s", (int)p.next_door + 1,
                 city_ped_door_open(ped, p.next_door) ? "" : " (closed: waiting)");
    return true;
}
