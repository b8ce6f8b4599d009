/* The social force (Helbing and Molnar 1995; Helbing, Farkas and Vicsek
 * 2000) on every person, from a uniform grid of people and walls. Sums run
 * in a fixed order (cells in grid order, people in slot order), so the
 * forces are a pure function of the state. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "ped_internal.h"

double ped_wrap_dx(const PedSpace *s, double dx)
{
    if (!s->periodic)
        return dx;
    double len = s->px1 - s->px0;
    if (dx > 0.5 * len)
        dx -= len;
    else if (dx < -0.5 * len)
        dx += len;
    return dx;
}

/* People by cell: counting sort of slots by bucket (ascending within a
 * bucket, hence within a cell), with copies of positions and radii in
 * that order. */
CityStatus ped_grid_build(CityPed *ped, uint32_t n)
{
    const PedSpace *s = &ped->space;
    uint32_t nb = 64;
    while (nb < 2 * n && nb < (1u << 28))
        nb <<= 1;
    if (!city_array_grow((void **)&ped->cell_first, &ped->cap_cells, (int32_t)nb + 1, sizeof(int32_t)))
        return ped_fail(ped, CITY_ERR_NOMEM, "ped: out of memory for the neighbour grid");
    ped->grid_mask = nb - 1;
    int32_t *first = ped->cell_first;
    memset(first, 0, ((size_t)nb + 1) * sizeof *first);
    for (uint32_t i = 0; i < n; i++) {
        int32_t cx, cy;
        ped_grid_cell(s, ped->x[i], ped->y[i], &cx, &cy);
        ped->cell_of[i] = cy * s->gnx + cx;
        ped->bucket_of[i] = (int32_t)ped_grid_bucket(ped, cx, cy);
        first[ped->bucket_of[i] + 1]++;
    }
    for (uint32_t b = 0; b < nb; b++)
        first[b + 1] += first[b];
    for (uint32_t i = 0; i < n; i++) {
        int32_t k = first[ped->bucket_of[i]]++;
        ped->cell_items[k] = (int32_t)i;
        ped->sorted_cell[k] = ped->cell_of[i];
        ped->sx[k] = ped->x[i];
        ped->sy[k] = ped->y[i];
        ped->sr[k] = ped->r[i];
    }
    memmove(first + 1, first, (size_t)nb * sizeof *first);
    first[0] = 0;
    return CITY_OK;
}

/* What the loops over neighbours and walls gather for one person. */
typedef struct PedAcc {
    double fx, fy;       /* force (N) */
    double ahead_m;      /* distance to the person ahead in one's path */
    double oncoming_m;   /* distance to someone coming the other way in it */
    double gap_people_m; /* smallest gap to another body */
    double margin_m;     /* walls closer than this are listed in near_wall */
    int32_t n_near;      /* how many (PED_NEAR_WALLS + 1: too many to list) */
} PedAcc;

/* Repulsion of the person at place o of the grid by the people of the
 * places [k0, k1) whose cells are cell_lo ... cell_hi, read from the
 * grid's copies in that order (cells ascending, slots ascending within
 * one). */
static void people_force(const CityPed *ped, int32_t o, int32_t k0, int32_t k1, int32_t cell_lo, int32_t cell_hi,
                         double ex, double ey, PedAcc *acc)
{
    /* Everything in locals: the compiler cannot tell that the stores to
     * acc leave the arrays alone, and would load them again each time. */
    const CityPedParams *p = &ped->p;
    const PedSpace *s = &ped->space;
    const int32_t *sorted_cell = ped->sorted_cell;
    const double *sx = ped->sx, *sy = ped->sy, *sr = ped->sr, *sex = ped->sex, *sey = ped->sey;
    const bool periodic = s->periodic;
    const double cut2 = p->cutoff_m * p->cutoff_m, gap_cut = 12 * p->b_m, b_m = p->b_m, a_n = p->a_n;
    const double lambda = p->lambda, path_share = p->path_share;
    double xi = ped->sx[o], yi = ped->sy[o], ri = ped->sr[o]; /* person i's own, in place order */
    double fx = acc->fx, fy = acc->fy, ahead = acc->ahead_m, oncoming = acc->oncoming_m, gap_min = acc->gap_people_m;
    for (int32_t k = k0; k < k1; k++) {
        int32_t cell = sorted_cell[k];
        if (cell < cell_lo || cell > cell_hi || k == o)
            continue;
        double dx = xi - sx[k], dy = yi - sy[k];
        if (periodic)
            dx = ped_wrap_dx(s, dx);
        double d2 = dx * dx + dy * dy;
        if (d2 >= cut2 || d2 < 1e-18)
            continue;
        double d = sqrt(d2), rj = sr[k], exj = sex[k], eyj = sey[k];
        double nx = dx / d, ny = dy / d;
        /* j stands in i's path: ahead, laterally within both radii (and a
         * margin for someone coming the other way). */
        double along = -(dx * ex + dy * ey), across = fabs(dx * ey - dy * ex);
        bool towards = exj * ex + eyj * ey < -0.5;
        if (along > 0 && towards && across < ri + rj + 0.2 && d < oncoming)
            oncoming = d;
        else if (along > 0 && !towards && across < path_share * (ri + rj) && d < ahead && along > dx * exj + dy * eyj)
            ahead = d; /* of two converging walkers, the one further behind in the other's eyes yields */
        /* Beyond 12 B the force is under e^-12 A (0.01 N): not worth an exp. */
        double gap = d - ri - rj;
        gap_min = gap < gap_min ? gap : gap_min;
        if (gap > gap_cut)
            continue;
        /* cos of the angle between i's heading and the direction to j. */
        double cos_phi = -(nx * ex + ny * ey);
        double w = lambda + (1.0 - lambda) * 0.5 * (1.0 + cos_phi);
        double mag = a_n * exp(-gap / b_m) * w;
        fx += mag * nx;
        fy += mag * ny;
    }
    acc->fx = fx;
    acc->fy = fy;
    acc->ahead_m = ahead;
    acc->oncoming_m = oncoming;
    acc->gap_people_m = gap_min;
}

/* Repulsion of person i by the walls listed in the cell of its centre. */
static void wall_force(const CityPed *ped, uint32_t i, int32_t o, PedAcc *acc)
{
    const CityPedParams *p = &ped->p;
    const PedWallHash *h = &ped->space.wall_hash;
    double x = ped->sx[o], y = ped->sy[o], r = ped->sr[o];
    /* Beyond 12 B the force is under e^-12 A: walls farther off are skipped. */
    double reach = r + p->wall_radius_m + 12 * p->wall_b_m;
    reach = reach < p->cutoff_m ? reach : p->cutoff_m;
    int32_t cx = ped_walls_cell(h, x), cy = ped_walls_cell(h, y);
    uint32_t b = ped_walls_bucket(h, cx, cy);
    for (int32_t k = h->first[b]; k < h->first[b + 1]; k++) {
        const PedWallEntry *e = &h->entries[k];
        if (e->cx != cx || e->cy != cy)
            continue;
        const PedWall *w = &ped->space.walls[e->wall];
        double ex = w->x2 - w->x1, ey = w->y2 - w->y1;
        double t = ((x - w->x1) * ex + (y - w->y1) * ey) * w->inv_len2;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double dx = x - (w->x1 + t * ex), dy = y - (w->y1 + t * ey);
        double d2 = dx * dx + dy * dy;
        if (d2 >= reach * reach || d2 < 1e-18)
            continue;
        double d = sqrt(d2);
        double gap = d - r - p->wall_radius_m;
        if (gap < acc->margin_m && acc->n_near <= PED_NEAR_WALLS) {
            if (acc->n_near < PED_NEAR_WALLS)
                ped->near_wall[PED_NEAR_WALLS * i + (uint32_t)acc->n_near] = e->wall;
            acc->n_near++;
        }
        double mag = p->wall_a_n * exp(-gap / p->wall_b_m);
        acc->fx += mag * dx / d;
        acc->fy += mag * dy / d;
    }
}

CityStatus ped_forces(CityPed *ped, double h_s)
{
    const PedSpace *s = &ped->space;
    uint32_t n = ped->dense.count;
    ped->h_s = h_s;
    CityStatus st = ped_grid_build(ped, n);
    if (st != CITY_OK)
        return st;
    /* Directions first: the force on i reads where j is heading. */
    double r_max = 0, v0_max = 0;
    for (uint32_t i = 0; i < n; i++) {
        bool waiting;
        ped_local_target(ped, i, &ped->ex[i], &ped->ey[i], &ped->share[i], &waiting);
        ped->waiting[i] = waiting;
        r_max = ped->r[i] > r_max ? ped->r[i] : r_max;
        v0_max = ped->v0[i] > v0_max ? ped->v0[i] : v0_max;
    }
    /* Two people close in at most twice the speed cap over the substep;
     * 0.1 m more covers Chipmunk's bias velocity (which pushes overlaps
     * apart at a few cm/s). */
    double margin_m = 2 * ped->p.max_speed_factor * v0_max * h_s + 0.1;
    for (uint32_t o = 0; o < n; o++) {
        uint32_t i = (uint32_t)ped->cell_items[o];
        ped->sex[o] = ped->ex[i];
        ped->sey[o] = ped->ey[i];
    }
    /* People bucket by bucket (space order: the grid and the walls are read
     * nearly in memory order); each sum is the same whatever the visiting
     * order: cells in grid order, people in slot order. */
    for (uint32_t o = 0; o < n; o++) {
        uint32_t i = (uint32_t)ped->cell_items[o];
        /* i's own data from the grid's copies (the same numbers), read in
         * place order like the neighbours'. */
        double ex = ped->sex[o], ey = ped->sey[o], ri = ped->sr[o];
        PedAcc acc = {0, 0, INFINITY, INFINITY, INFINITY, margin_m, 0};
        int32_t cx = ped->sorted_cell[o] % s->gnx, cy = ped->sorted_cell[o] / s->gnx;
        /* The three cells of a row inside one 8 x 8 block of the hash lie
         * in consecutive buckets: one run over their places. */
        bool row_run = cx >= 1 && cx + 1 < s->gnx && (cx & 7) != 0 && (cx & 7) != 7;
        int32_t runs[9][4], n_runs = 0; /* places from, to; cells from, to */
        for (int32_t dy = -1; dy <= 1; dy++) {
            int32_t y = cy + dy;
            if (y < 0 || y >= s->gny)
                continue;
            if (row_run) {
                uint32_t b = ped_grid_bucket(ped, cx - 1, y);
                int32_t cell = y * s->gnx + cx;
                int32_t *r = runs[n_runs++];
                r[0] = ped->cell_first[b];
                r[1] = ped->cell_first[b + 3];
                r[2] = cell - 1;
                r[3] = cell + 1;
                continue;
            }
            for (int32_t dx = -1; dx <= 1; dx++) {
                int32_t x = cx + dx;
                if (s->periodic)
                    x = (x + s->gnx) % s->gnx;
                else if (x < 0 || x >= s->gnx)
                    continue;
                uint32_t b = ped_grid_bucket(ped, x, y);
                int32_t *r = runs[n_runs++];
                r[0] = ped->cell_first[b];
                r[1] = ped->cell_first[b + 1];
                r[2] = r[3] = y * s->gnx + x;
            }
        }
        for (int32_t k = 0; k < n_runs; k++)
            people_force(ped, (int32_t)o, runs[k][0], runs[k][1], runs[k][2], runs[k][3], ex, ey, &acc);
        wall_force(ped, i, (int32_t)o, &acc);
        /* Who may touch a body or a wall in this substep (Chipmunk looks
         * for contacts of those only): a gap under the margin, or one the
         * loops above cannot see (reach shorter than the margin). */
        double wall_reach = fmin(ri + ped->p.wall_radius_m + 12 * ped->p.wall_b_m, ped->p.cutoff_m);
        if (ri + ped->p.wall_radius_m + margin_m > wall_reach)
            acc.n_near = PED_NEAR_WALLS + 1;
        ped->near[i] = (uint8_t)((acc.gap_people_m < margin_m || ri + r_max + margin_m > ped->p.cutoff_m) |
                                 (acc.n_near > PED_NEAR_WALLS ? PED_NEAR_ALL_WALLS : acc.n_near << 1));
        double fx = acc.fx, fy = acc.fy, ahead = acc.ahead_m, oncoming = acc.oncoming_m;
        /* The desired speed: the free speed, or less when someone stands
         * in the way: the speed-headway relation d = a + T v of Seyfried
         * et al. (2005), which gives Weidmann's fundamental diagram. */
        double v_des = ped->v0[i] * ped->share[i];
        if (ped->p.headway_t_s > 0 && isfinite(ahead)) {
            double v_room = (ahead - ped->p.headway_a_m) / ped->p.headway_t_s;
            v_des = v_room < 0 ? 0 : v_room < v_des ? v_room : v_des;
        }
        fx += ped->m[i] * (v_des * ex - ped->vx[i]) / ped->p.tau_s;
        fy += ped->m[i] * (v_des * ey - ped->vy[i]) / ped->p.tau_s;
        /* Someone coming straight at i: step to the right, unless i waits
         * at a closed door. There, those pushed past their waiting point
         * and stepping back face those walking up to theirs: each took the
         * other for oncoming and stepped aside, round and round, and the
         * churn pressed the front row over the line (40 walkers at a red
         * 2 m door stood up to 0.8 m past it, on the carriageway at a
         * zebra, where the crossing's conflict measurement did not see
         * them; without the sidestep they stand 0.35 m behind it). */
        if (isfinite(oncoming) && !ped->waiting[i]) {
            fx += ped->m[i] * ped->p.evade_mps2 * ey;
            fy -= ped->m[i] * ped->p.evade_mps2 * ex;
        }
        ped->fx[i] = fx;
        ped->fy[i] = fy;
    }
    for (uint32_t i = 0; i < n; i++) {
        /* Individual fluctuations (Helbing, Farkas and Vicsek 2000): a small
         * random push that breaks the frozen equilibria of a soft-force
         * crowd at narrowings. Drawn in slot order from the "ped" stream. */
        if (ped->p.noise_mps2 > 0) {
            /* A uniform direction as a point of the unit disc drawn from the
             * square round it (32 bits a coordinate, 1.27 draws on average):
             * cheaper than the sine and cosine of a uniform angle, and the
             * same distribution. */
            double cx, cy, q;
            do {
                uint64_t bits = city_rng_next(ped->rng);
                cx = (double)(bits >> 32) * 0x1.0p-31 - 1.0;
                cy = (double)(bits & 0xffffffffu) * 0x1.0p-31 - 1.0;
                q = cx * cx + cy * cy;
            } while (q > 1.0 || q < 1e-12);
            double u = ped->p.noise_mps2 * city_rng_uniform(ped->rng) / sqrt(q);
            u *= ped->stuck_s[i] >= PED_STUCK_S ? 4.0 : 1.0; /* shaken out of a jam */
            ped->fx[i] += ped->m[i] * u * cx;
            ped->fy[i] += ped->m[i] * u * cy;
        }
        if (!isfinite(ped->fx[i]) || !isfinite(ped->fy[i]))
            return ped_fail(ped, CITY_ERR_NUMERIC,
                            "ped: the social force on person %u is not finite; check the model "
                            "parameters",
                            (unsigned)city_dense_id(&ped->dense, i).index);
    }
    return CITY_OK;
}
