/* The pedestrian physics on Chipmunk2D (internal to sim/ped): the only
 * interface to the library, so that ped_physics.c and its broad phase
 * (ped_index.c) are the only files that include chipmunk.h.
 *
 * People are dynamic circle bodies, walls are static segment shapes. The
 * social force is computed outside Chipmunk and handed in as a velocity
 * each step; Chipmunk integrates positions and resolves contacts (it
 * replaces the body-compression and sliding-friction terms of Helbing,
 * Farkas and Vicsek 2000, whose stiffness, k = 1.2e5 kg/s2, would need
 * steps of about 1 ms). Determinism: fixed iteration count and step, no
 * sleeping, candidate pairs in a fixed order (ped_index.h), no callbacks
 * whose order matters (Chipmunk lists a body's arbiters in an order that
 * follows pointer values): contacts are collected per body in slot order
 * and sorted by id.
 *
 * Debian's Chipmunk is a debug build: it prints a banner on stdout the
 * first time a space is created in a process, and abort()s on bad input.
 * Every call here is validated first (finite numbers, positive radii and
 * masses, no shape added twice), and the first space is created with
 * stdout redirected to /dev/null (see ped_physics.c). */
#ifndef PED_PHYSICS_H
#define PED_PHYSICS_H

#include <stdbool.h>
#include <stdint.h>

#include "ped_walls.h"

typedef struct PedPhysics PedPhysics;
typedef struct PedBody PedBody; /* a Chipmunk body with its circle shape */

/* A space with `iterations` solver iterations and the allowed overlap
 * `slop_m`; NULL on OOM or bad parameters. Owned by the caller. */
PedPhysics *ped_physics_create(int32_t iterations, double slop_m);
/* Frees the space, its walls and every body still in it. */
void ped_physics_destroy(PedPhysics *phys);

/* Adds a static wall segment of half-thickness radius_m; false when the
 * input is not finite or the segment is degenerate (it is then skipped). */
bool ped_physics_add_wall(PedPhysics *phys, double x1, double y1, double x2, double y2, double radius_m);

/* Person-wall pairs come from this table of the walls by cell (wall i is
 * the i-th added; borrowed, kept listing cells within the largest
 * person's radius plus the wall radius of every wall). */
void ped_physics_set_walls(PedPhysics *phys, const PedWallHash *hash);

/* Adds a person: a circle body at (x, y); `id` (a packed CityId) is kept
 * as its user data. NULL on bad input or OOM. Not during a step. */
PedBody *ped_physics_add_body(PedPhysics *phys, double x, double y, double radius_m, double mass_kg, uint64_t id);
/* The largest body radius the space has seen, and growing it (the broad
 * phase's cells follow it, and with them the order of contacts: a
 * checkpoint restores it before adding bodies). */
double ped_physics_max_radius(const PedPhysics *phys);
void ped_physics_fit_radius(PedPhysics *phys, double radius_m);
/* Removes and frees a body. Not during a step. */
void ped_physics_remove_body(PedPhysics *phys, PedBody *body);

/* Sets a body's velocity (finite numbers only: the caller checks). */
void ped_physics_set_velocity(PedBody *body, double vx, double vy);
/* Moves a body (periodic wrap); finite numbers only. */
void ped_physics_set_position(PedBody *body, double x, double y);
void ped_physics_get(const PedBody *body, double *x, double *y, double *vx, double *vy);

/* Advances the space by dt_s (> 0); false when out of memory (the step
 * found no contacts). near[i] (by body in the order added, which is the
 * slot order) tells whose contacts to look for: bit 0 with people; bits
 * 1-3 the number k <= PED_NEAR_WALLS of walls it may touch, which are
 * near_wall[PED_NEAR_WALLS i ... + k - 1] (wall numbers in the order
 * added), or PED_NEAR_ALL_WALLS: every wall near. near NULL: everything. */
#define PED_NEAR_WALLS 4
#define PED_NEAR_ALL_WALLS 14
bool ped_physics_step(PedPhysics *phys, double dt_s, const uint8_t *near, const int32_t *near_wall);
/* The bias velocity Chipmunk carries from a step to the next (it pushes
 * overlapping bodies apart); read and written by checkpoints. */
void ped_physics_get_bias(const PedBody *body, double *vx, double *vy);
void ped_physics_set_bias(PedBody *body, double vx, double vy);

/* The ids of what touches a body after the last step, sorted: other
 * people's packed ids, and UINT64_MAX for a wall. Returns the number
 * found (may exceed cap; only cap are written). */
int32_t ped_physics_contacts(const PedBody *body, uint64_t *out, int32_t cap);

#endif
