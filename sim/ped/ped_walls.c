/* Walls by cell: see ped_walls.h. */
#include <math.h>
#include <stdlib.h>

#include "ped_walls.h"

static double segment_distance(const PedWall *w, double x, double y)
{
    double ex = w->x2 - w->x1, ey = w->y2 - w->y1;
    double t = ((x - w->x1) * ex + (y - w->y1) * ey) * w->inv_len2;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(x - w->x1 - t * ex, y - w->y1 - t * ey);
}

/* Visits the cells a wall may touch (its distance to the cell centre
 * within reach plus half the cell diagonal): pass 0 counts per bucket,
 * pass 1 fills. */
static void wall_cells(PedWallHash *h, const PedWall *w, int32_t wall, int pass)
{
    double c = h->cell_m, near = h->reach_m + 0.70711 * c;
    int32_t x0 = ped_walls_cell(h, w->bx0 - h->reach_m), x1 = ped_walls_cell(h, w->bx1 + h->reach_m);
    int32_t y0 = ped_walls_cell(h, w->by0 - h->reach_m), y1 = ped_walls_cell(h, w->by1 + h->reach_m);
    for (int32_t cy = y0; cy <= y1; cy++)
        for (int32_t cx = x0; cx <= x1; cx++) {
            if (segment_distance(w, ((double)cx + 0.5) * c, ((double)cy + 0.5) * c) > near)
                continue;
            uint32_t b = ped_walls_bucket(h, cx, cy);
            if (pass == 0)
                h->first[b + 1]++;
            else
                h->entries[h->first[b]++] = (PedWallEntry){cx, cy, wall};
        }
}

void ped_walls_free(PedWallHash *h)
{
    free(h->first);
    free(h->entries);
    h->first = NULL;
    h->entries = NULL;
    h->mask = 0;
}

bool ped_walls_build(PedWallHash *h, const PedWall *walls, int32_t n, double cell_m, double reach_m)
{
    ped_walls_free(h);
    h->cell_m = cell_m;
    h->reach_m = reach_m;
    /* About one bucket per listed cell, estimated from the walls' lengths. */
    double cells = 64 * 64;
    for (int32_t i = 0; i < n; i++) {
        double len = sqrt(1.0 / walls[i].inv_len2);
        cells += (len / cell_m + 3) * (2 * reach_m / cell_m + 3);
    }
    uint32_t nb = 64;
    while (nb < cells && nb < (1u << 28))
        nb <<= 1;
    h->mask = nb - 1;
    h->first = calloc((size_t)nb + 1, sizeof(int32_t));
    if (!h->first) {
        ped_walls_free(h);
        return false;
    }
    for (int32_t i = 0; i < n; i++)
        wall_cells(h, &walls[i], i, 0);
    for (uint32_t b = 0; b < nb; b++)
        h->first[b + 1] += h->first[b];
    h->entries = malloc(((size_t)h->first[nb] + 1) * sizeof(PedWallEntry));
    if (!h->entries) {
        ped_walls_free(h);
        return false;
    }
    for (int32_t i = 0; i < n; i++)
        wall_cells(h, &walls[i], i, 1);
    for (uint32_t b = nb; b > 0; b--)
        h->first[b] = h->first[b - 1];
    h->first[0] = 0;
    return true;
}
