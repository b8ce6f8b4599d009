/* The pedestrian layer: walls of the walkable space and people as squares
 * one body wide, coloured by their speed against their own free speed (red:
 * standing, yellow: slowed, green: free walking). */
#include <math.h>
#include <stdio.h>

#include "city_ped.h"
#include "view_internal.h"

void view_draw_people(View *v)
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
    size_t n = city_ped_count(ped);
    for (size_t i = 0; i < n; i++) {
        CityPedView p;
        city_ped_at(ped, i, &p);
        double r = p.radius_m;
        if (!view_box_visible(v, p.x_m - r, p.y_m - r, p.x_m + r, p.y_m + r))
            continue;
        double speed = sqrt(p.vx_mps * p.vx_mps + p.vy_mps * p.vy_mps);
        SDL_Color c = view_speed_color(p.free_speed_mps > 0 ? speed / p.free_speed_mps : 0, 200);
        /* A square one body wide (at least 3 px). */
        double half = fmax(r, 1.5 / v->scale);
        view_thick_line(v, p.x_m - half, p.y_m, p.x_m + half, p.y_m, 2 * half, c);
    }
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
