/* The broad phase of the pedestrian space (internal to the Chipmunk side
 * of sim/ped: ped_physics.c and ped_index.c are the only files that
 * include chipmunk.h).
 *
 * Chipmunk finds candidate pairs through a spatial index it lets a program
 * replace (cpSpatialIndexClass). Its own bounding-box tree costs a few
 * microseconds per body and step with ten thousand people and tens of
 * thousands of wall segments, and visits pairs in an order that follows
 * the tree's history. This index is made for people among walls: people
 * in a spatial hash of square cells rebuilt every step (counting sort,
 * no allocation once grown), walls from the space's static table of walls
 * by cell (ped_walls.h), shared with the social force. Pairs go to Chipmunk in a fixed order: people
 * in insertion order (which is the person slot order: both move the last
 * entry into a freed place), each with the later people of its 3 x 3
 * cells, then the walls of its cell, ascending. Chipmunk's narrow phase,
 * contacts and solver are unchanged. */
#ifndef PED_INDEX_H
#define PED_INDEX_H

#include <stdint.h>

#include <chipmunk/chipmunk_private.h>

#include "ped_walls.h"

/* A person: a Chipmunk body with its circle shape (user data of both),
 * held in one block with them (ped_physics.c keeps the blocks in a pool:
 * Chipmunk's passes over bodies and shapes read few, packed lines). */
struct PedBody {
    cpBody body_store;         /* the body and its shape themselves */
    cpCircleShape shape_store; /* (cpBodyInit, cpCircleShapeInit) */
    cpBody *body;              /* &body_store: dynamic, infinite moment: people do not spin */
    cpShape *shape;            /* &shape_store.shape: its circle */
    uint64_t id;               /* packed CityId of the person */
    int32_t at;                /* place in the index */
    struct PedBody *next_free; /* in the pool's free list when not in use */
};

/* Replaces the dynamic index of an empty space by a pedestrian index;
 * false on OOM (the space keeps its own). The space frees it. */
bool ped_index_install(cpSpace *space);
/* Registers a static wall shape already in the space (in wall order);
 * false on OOM. */
bool ped_index_add_wall(cpSpace *space, cpShape *wall);
/* The walls by cell that person-wall pairs come from: wall i there is
 * the i-th shape registered. Borrowed: the
 * caller keeps them alive and rebuilt for the largest person. */
void ped_index_set_walls(cpSpace *space, const PedWallHash *hash);
/* Whose pairs the next step looks for (see ped_physics_step); NULL: all. */
void ped_index_set_near(cpSpace *space, const uint8_t *near, const int32_t *near_wall);
/* Grows the cell size for a person of this radius (call before adding it). */
void ped_index_fit_radius(cpSpace *space, double radius_m);
/* The largest radius fitted so far (the cell size follows it). */
double ped_index_max_radius(cpSpace *space);
/* True (once) when the index ran out of memory since the last call: an
 * insert was not recorded or a step found no pairs. */
bool ped_index_failed(cpSpace *space);

#endif
