/* Walls by cell (internal to sim/ped): a static spatial hash of square
 * cells, each listing the walls whose capsule of half-width `reach_m`
 * may touch it. The social force (ped_force.c) and Chipmunk's broad phase
 * (ped_index.c) read the same table: a person looks up the one cell that
 * holds its centre. Cells are hashed (ped_cell_bucket: no dense grid
 * over a district); entries keep their cell, so that cells sharing a
 * bucket stay apart. */
#ifndef PED_WALLS_H
#define PED_WALLS_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct PedWall {
    double x1, y1, x2, y2;
    double inv_len2;           /* 1 / squared length (set when sealed) */
    double bx0, by0, bx1, by1; /* bounding box (set when sealed) */
} PedWall;

/* A wall listed in a cell (12 bytes: the table stays small; the walls
 * themselves are few and stay in cache). */
typedef struct PedWallEntry {
    int32_t cx, cy; /* the cell */
    int32_t wall;   /* index into the wall array */
} PedWallEntry;

typedef struct PedWallHash {
    double cell_m;  /* cell side */
    double reach_m; /* walls are listed in every cell within this of them */
    uint32_t mask;  /* buckets - 1 */
    int32_t *first; /* mask + 2 */
    PedWallEntry *entries;
} PedWallHash;

/* (Re)builds the table over n walls (bounding boxes set); false on OOM
 * (the table is then empty). */
bool ped_walls_build(PedWallHash *h, const PedWall *walls, int32_t n, double cell_m, double reach_m);
void ped_walls_free(PedWallHash *h);
/* Cell of a coordinate (clamped to the int32 range). Inline, as the
 * three below: the force loop and the broad phase call them per person. */
static inline int32_t ped_walls_cell(const PedWallHash *h, double v)
{
    double f = floor(v / h->cell_m);
    return f < -1e9 ? -1000000000 : f > 1e9 ? 1000000000 : (int32_t)f;
}

/* Bucket of cell (cx, cy) in a table of mask + 1 buckets (a power of two
 * >= 64): blocks of 8 x 8 cells are hashed, the cells of a block take 64
 * neighbouring buckets, so that people visited in space order read the
 * table nearly in order. */
static inline uint32_t ped_cell_bucket(int32_t cx, int32_t cy, uint32_t mask)
{
    uint32_t bx = (uint32_t)cx >> 3, by = (uint32_t)cy >> 3;
    uint64_t k = (uint64_t)bx * 0x9E3779B97F4A7C15ull ^ (uint64_t)by * 0xC2B2AE3D27D4EB4Full;
    return (((uint32_t)(k >> 32) << 6) + (((uint32_t)cy & 7) << 3) + ((uint32_t)cx & 7)) & mask;
}

/* Bucket of a cell: its entries are [first[b], first[b + 1]), filtered by
 * cell. An empty table has one empty bucket. */
static inline uint32_t ped_walls_bucket(const PedWallHash *h, int32_t cx, int32_t cy)
{
    return ped_cell_bucket(cx, cy, h->mask);
}

#endif
