/* The pedestrian broad phase for Chipmunk: see ped_index.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "ped_index.h"
#include "ped_physics.h"

typedef struct PedIndex {
    cpSpatialIndex base; /* first: Chipmunk sees a cpSpatialIndex */
    double cell_m;       /* >= the widest person's box, >= 1 m */
    double max_r;        /* largest person radius so far */
    bool failed;         /* out of memory in a step: no pairs were found */
    /* People in insertion order, their cells, and the hash over them. */
    cpShape **people;
    int32_t *pcx, *pcy;
    cpBB *pbb;      /* boxes, copied for the pair loop */
    int32_t *items; /* people by bucket, ascending */
    int32_t n, cap, cap_items, cap_bb;
    int32_t *first; /* mask + 2 */
    int32_t cap_first;
    uint32_t mask;
    /* Wall shapes in registration order, and the space's walls by cell. */
    cpShape **walls;
    int32_t n_walls, cap_walls;
    const PedWallHash *wall_hash;
    const uint8_t *near; /* by person: see ped_physics_step */
    const int32_t *near_wall;
} PedIndex;

static uint32_t cell_bucket(const PedIndex *ix, int32_t cx, int32_t cy)
{
    return ped_cell_bucket(cx, cy, ix->mask);
}

static int32_t cell_at(double v, double cell_m)
{
    double f = floor(v / cell_m);
    return f < -1e9 ? -1000000000 : f > 1e9 ? 1000000000 : (int32_t)f;
}

/* ---- people ---------------------------------------------------------- */

/* Sorts people into buckets (counting sort: ascending within a bucket). */
static bool people_hash(PedIndex *ix)
{
    int32_t nb = 64;
    while (nb < 4 * ix->n && nb < (1 << 28))
        nb <<= 1;
    ix->mask = (uint32_t)nb - 1;
    if (!city_array_grow((void **)&ix->first, &ix->cap_first, nb + 1, sizeof(int32_t)) ||
        !city_array_grow((void **)&ix->items, &ix->cap_items, ix->n + 1, sizeof(int32_t)) ||
        !city_array_grow((void **)&ix->pbb, &ix->cap_bb, ix->n + 1, sizeof(cpBB)))
        return false;
    memset(ix->first, 0, ((size_t)nb + 1) * sizeof(int32_t));
    for (int32_t i = 0; i < ix->n; i++) {
        cpBB bb = ix->pbb[i] = ix->people[i]->bb;
        ix->pcx[i] = cell_at(0.5 * (bb.l + bb.r), ix->cell_m);
        ix->pcy[i] = cell_at(0.5 * (bb.b + bb.t), ix->cell_m);
        ix->first[cell_bucket(ix, ix->pcx[i], ix->pcy[i]) + 1]++;
    }
    for (int32_t b = 0; b < nb; b++)
        ix->first[b + 1] += ix->first[b];
    for (int32_t i = 0; i < ix->n; i++)
        ix->items[ix->first[cell_bucket(ix, ix->pcx[i], ix->pcy[i])]++] = i;
    for (int32_t b = nb; b > 0; b--)
        ix->first[b] = ix->first[b - 1];
    ix->first[0] = 0;
    return true;
}

/* ---- the cpSpatialIndexClass ---------------------------------------- */

static void ix_destroy(cpSpatialIndex *index)
{
    PedIndex *ix = (PedIndex *)index;
    void *arrays[] = {ix->people, ix->pcx, ix->pcy, ix->pbb, ix->items, ix->first, ix->walls};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        free(arrays[i]);
}

static int ix_count(cpSpatialIndex *index)
{
    return ((PedIndex *)index)->n;
}

static void ix_each(cpSpatialIndex *index, cpSpatialIndexIteratorFunc func, void *data)
{
    PedIndex *ix = (PedIndex *)index;
    for (int32_t i = 0; i < ix->n; i++)
        func(ix->people[i], data);
}

static cpBool ix_contains(cpSpatialIndex *index, void *obj, cpHashValue hashid)
{
    (void)hashid;
    PedIndex *ix = (PedIndex *)index;
    const struct PedBody *b = cpShapeGetUserData(obj);
    return b && b->at >= 0 && b->at < ix->n && ix->people[b->at] == obj;
}

static void ix_insert(cpSpatialIndex *index, void *obj, cpHashValue hashid)
{
    (void)hashid;
    PedIndex *ix = (PedIndex *)index;
    int32_t cap = ix->cap;
    bool ok = city_array_grow((void **)&ix->people, &cap, ix->n + 1, sizeof(cpShape *));
    cap = ix->cap;
    ok = ok && city_array_grow((void **)&ix->pcx, &cap, ix->n + 1, sizeof(int32_t));
    cap = ix->cap;
    ok = ok && city_array_grow((void **)&ix->pcy, &cap, ix->n + 1, sizeof(int32_t));
    struct PedBody *b = cpShapeGetUserData(obj);
    if (!ok || !b) {
        ix->failed = true; /* ped_physics_add_body checks and takes it out again */
        return;
    }
    ix->cap = cap;
    b->at = ix->n;
    ix->people[ix->n++] = obj;
}

static void ix_remove(cpSpatialIndex *index, void *obj, cpHashValue hashid)
{
    if (!ix_contains(index, obj, hashid))
        return;
    PedIndex *ix = (PedIndex *)index;
    struct PedBody *b = cpShapeGetUserData(obj);
    cpShape *last = ix->people[--ix->n];
    ix->people[b->at] = last;
    ((struct PedBody *)cpShapeGetUserData(last))->at = b->at;
    b->at = -1;
}

static void ix_reindex(cpSpatialIndex *index)
{
    (void)index; /* the hash is rebuilt by every query */
}

static void ix_reindex_object(cpSpatialIndex *index, void *obj, cpHashValue hashid)
{
    (void)index;
    (void)obj;
    (void)hashid;
}

/* The pairs of one step, people visited bucket by bucket (in space order,
 * for the caches): each with the later people of its 3 x 3 cells whose
 * boxes meet its own, then with the walls of its cell. */
static void ix_reindex_query(cpSpatialIndex *index, cpSpatialIndexQueryFunc func, void *data)
{
    PedIndex *ix = (PedIndex *)index;
    if (!people_hash(ix)) {
        ix->failed = true;
        return;
    }
    const PedWallHash *wh = ix->wall_hash && ix->wall_hash->first ? ix->wall_hash : NULL;
    for (int32_t o = 0; o < ix->n; o++) {
        int32_t i = ix->items[o];
        cpShape *a = ix->people[i];
        cpBB bb = ix->pbb[i];
        uint8_t near = ix->near ? ix->near[i] : 1 | PED_NEAR_ALL_WALLS;
        /* Pair (i, j) comes from the lower of the two; nobody is near a
         * person without that person being near someone. */
        int32_t pcx = ix->pcx[i];
        /* The three cells of a row inside one 8 x 8 block of the hash lie
         * in consecutive buckets: one run over them, in the same order. */
        bool row_run = (uint32_t)(pcx - 1) >> 3 == (uint32_t)(pcx + 1) >> 3;
        for (int32_t dy = -1; dy <= 1 && (near & 1); dy++) {
            int32_t cy = ix->pcy[i] + dy;
            if (row_run) {
                uint32_t k = cell_bucket(ix, pcx - 1, cy);
                for (int32_t q = ix->first[k]; q < ix->first[k + 3]; q++) {
                    int32_t j = ix->items[q];
                    if (j > i && ix->pcy[j] == cy && (uint32_t)(ix->pcx[j] - pcx + 1) <= 2u &&
                        cpBBIntersects(bb, ix->pbb[j]))
                        func(a, ix->people[j], 0, data);
                }
                continue;
            }
            for (int32_t dx = -1; dx <= 1; dx++) {
                int32_t cx = pcx + dx;
                uint32_t k = cell_bucket(ix, cx, cy);
                for (int32_t q = ix->first[k]; q < ix->first[k + 1]; q++) {
                    int32_t j = ix->items[q];
                    if (j > i && ix->pcx[j] == cx && ix->pcy[j] == cy && cpBBIntersects(bb, ix->pbb[j]))
                        func(a, ix->people[j], 0, data);
                }
            }
        }
        int32_t listed = (near >> 1) & 7;
        if (listed > 0 && listed <= PED_NEAR_WALLS) {
            for (int32_t k = 0; k < listed; k++) {
                int32_t w = ix->near_wall[PED_NEAR_WALLS * i + k];
                if (w >= 0 && w < ix->n_walls && cpBBIntersects(bb, ix->walls[w]->bb))
                    func(a, ix->walls[w], 0, data);
            }
            continue;
        }
        if (!wh || listed == 0)
            continue;
        int32_t wx = ped_walls_cell(wh, 0.5 * (bb.l + bb.r)), wy = ped_walls_cell(wh, 0.5 * (bb.b + bb.t));
        uint32_t k = ped_walls_bucket(wh, wx, wy);
        for (int32_t q = wh->first[k]; q < wh->first[k + 1]; q++) {
            const PedWallEntry *e = &wh->entries[q];
            if (e->cx == wx && e->cy == wy && e->wall < ix->n_walls && cpBBIntersects(bb, ix->walls[e->wall]->bb))
                func(a, ix->walls[e->wall], 0, data);
        }
    }
}

static void ix_query(cpSpatialIndex *index, void *obj, cpBB bb, cpSpatialIndexQueryFunc func, void *data)
{
    PedIndex *ix = (PedIndex *)index;
    for (int32_t i = 0; i < ix->n; i++)
        if (cpBBIntersects(bb, ix->people[i]->bb))
            func(obj, ix->people[i], 0, data);
}

static void ix_segment_query(cpSpatialIndex *index, void *obj, cpVect a, cpVect b, cpFloat t_exit,
                             cpSpatialIndexSegmentQueryFunc func, void *data)
{
    (void)a;
    (void)b;
    (void)t_exit;
    PedIndex *ix = (PedIndex *)index;
    for (int32_t i = 0; i < ix->n; i++)
        func(obj, ix->people[i], data);
}

static cpSpatialIndexClass ped_index_class = {
    .destroy = ix_destroy,
    .count = ix_count,
    .each = ix_each,
    .contains = ix_contains,
    .insert = ix_insert,
    .remove = ix_remove,
    .reindex = ix_reindex,
    .reindexObject = ix_reindex_object,
    .reindexQuery = ix_reindex_query,
    .query = ix_query,
    .segmentQuery = ix_segment_query,
};

static PedIndex *index_of(cpSpace *space)
{
    return space->dynamicShapes->klass == &ped_index_class ? (PedIndex *)space->dynamicShapes : NULL;
}

bool ped_index_install(cpSpace *space)
{
    PedIndex *ix = calloc(1, sizeof *ix);
    if (!ix)
        return false;
    ix->cell_m = 1.0;
    /* The old tree goes (it is empty); the static tree stays, unqueried:
     * walls reach the step through this index. */
    cpSpatialIndexFree(space->dynamicShapes);
    space->staticShapes->dynamicIndex = NULL;
    cpSpatialIndexInit(&ix->base, &ped_index_class, (cpSpatialIndexBBFunc)cpShapeGetBB, NULL);
    space->dynamicShapes = &ix->base;
    return true;
}

bool ped_index_add_wall(cpSpace *space, cpShape *wall)
{
    PedIndex *ix = index_of(space);
    if (!ix || !city_array_grow((void **)&ix->walls, &ix->cap_walls, ix->n_walls + 1, sizeof(cpShape *)))
        return false;
    ix->walls[ix->n_walls++] = wall;
    return true;
}

void ped_index_set_walls(cpSpace *space, const PedWallHash *hash)
{
    PedIndex *ix = index_of(space);
    if (!ix)
        return;
    ix->wall_hash = hash;
}

void ped_index_set_near(cpSpace *space, const uint8_t *near, const int32_t *near_wall)
{
    PedIndex *ix = index_of(space);
    if (ix) {
        ix->near = near;
        ix->near_wall = near_wall;
    }
}

void ped_index_fit_radius(cpSpace *space, double radius_m)
{
    PedIndex *ix = index_of(space);
    if (!ix || radius_m <= ix->max_r)
        return;
    ix->max_r = radius_m;
    ix->cell_m = fmax(1.0, 2.0 * radius_m + 0.01);
}

double ped_index_max_radius(cpSpace *space)
{
    PedIndex *ix = index_of(space);
    return ix ? ix->max_r : 0.0;
}

bool ped_index_failed(cpSpace *space)
{
    PedIndex *ix = index_of(space);
    bool failed = ix && ix->failed;
    if (ix)
        ix->failed = false;
    return failed;
}
