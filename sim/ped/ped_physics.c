/* Chipmunk2D behind a small interface: see ped_physics.h. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "city_array.h"
#include "ped_index.h"
#include "ped_physics.h"

/* People's blocks come from chunks of PED_POOL_CHUNK, reused newest
 * freed first: 10,000 people take about 5 MB in one piece instead of
 * three allocations each scattered over the heap. */
#define PED_POOL_CHUNK 1024

struct PedPhysics {
    cpSpace *space;
    cpShape **walls; /* static segments, freed with the space */
    int32_t n_walls, cap_walls;
    PedBody **chunks; /* the pool's chunks, each of PED_POOL_CHUNK blocks */
    int32_t n_chunks, cap_chunks;
    int32_t chunk_used; /* blocks handed out of the last chunk */
    PedBody *free_list; /* blocks given back, newest first */
};

static PedBody *pool_take(PedPhysics *phys)
{
    PedBody *b = phys->free_list;
    if (b) {
        phys->free_list = b->next_free;
    } else {
        if (phys->n_chunks == 0 || phys->chunk_used == PED_POOL_CHUNK) {
            if (!city_array_grow((void **)&phys->chunks, &phys->cap_chunks, phys->n_chunks + 1, sizeof(PedBody *)))
                return NULL;
            PedBody *chunk = malloc(PED_POOL_CHUNK * sizeof *chunk);
            if (!chunk)
                return NULL;
            phys->chunks[phys->n_chunks++] = chunk;
            phys->chunk_used = 0;
        }
        b = &phys->chunks[phys->n_chunks - 1][phys->chunk_used++];
    }
    memset(b, 0, sizeof *b); /* what cpBodyNew and cpCircleShapeNew start from (calloc) */
    return b;
}

static void pool_give(PedPhysics *phys, PedBody *b)
{
    b->next_free = phys->free_list;
    phys->free_list = b;
}

/* Debian's debug build prints a two-line banner with printf the first time
 * any space is initialised in the process. citylab's results never go to
 * stdout mid-run, but tools that pipe stdout must not see it: the first
 * space is created with fd 1 pointing at /dev/null, flushing the C buffer
 * before and after so that nothing of ours is lost and nothing of
 * Chipmunk's leaks. Later spaces print nothing. */
static cpSpace *space_new_quietly(void)
{
    static int quieted = 0;
    if (quieted)
        return cpSpaceNew();
    quieted = 1;
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    int redirected = saved >= 0 && devnull >= 0 && dup2(devnull, STDOUT_FILENO) >= 0;
    cpSpace *space = cpSpaceNew();
    fflush(stdout);
    if (redirected)
        dup2(saved, STDOUT_FILENO);
    if (saved >= 0)
        close(saved);
    if (devnull >= 0)
        close(devnull);
    return space;
}

PedPhysics *ped_physics_create(int32_t iterations, double slop_m)
{
    if (iterations < 1 || !(slop_m >= 0.0) || !isfinite(slop_m))
        return NULL;
    PedPhysics *phys = calloc(1, sizeof *phys);
    if (!phys)
        return NULL;
    phys->space = space_new_quietly();
    if (!phys->space) {
        free(phys);
        return NULL;
    }
    cpSpaceSetIterations(phys->space, iterations);
    cpSpaceSetGravity(phys->space, cpvzero);
    cpSpaceSetDamping(phys->space, 1.0);
    cpSpaceSetCollisionSlop(phys->space, slop_m);
    if (!ped_index_install(phys->space)) {
        cpSpaceFree(phys->space);
        free(phys);
        return NULL;
    }
    /* Sleeping stays off (the default): a sleeping island would wake in an
     * order that depends on the contact graph's pointers. */
    return phys;
}

/* Chipmunk's integration of a person, without what a person does not
 * need: the same arithmetic as cpBodyUpdatePosition and
 * cpBodyUpdateVelocity of Chipmunk 7.0.3, so the numbers are the same bit
 * for bit, minus the debug build's sanity asserts on every body and step,
 * the body-type lookup (people are dynamic) and the sine and cosine of an
 * angle that stays 0 (infinite moment: people do not spin). */
static void person_position(cpBody *body, cpFloat dt)
{
    cpVect p = body->p = cpvadd(body->p, cpvmult(cpvadd(body->v, body->v_bias), dt));
    cpFloat a = body->a = body->a + (body->w + body->w_bias) * dt;
    cpVect rot = a == 0.0 && !signbit(a) ? cpv(1.0, 0.0) : cpvforangle(a);
    cpVect c = body->cog;
    body->transform = cpTransformNewTranspose(rot.x, -rot.y, p.x - (c.x * rot.x - c.y * rot.y), rot.y, rot.x,
                                              p.y - (c.x * rot.y + c.y * rot.x));
    body->v_bias = cpvzero;
    body->w_bias = 0.0;
}

static void person_velocity(cpBody *body, cpVect gravity, cpFloat damping, cpFloat dt)
{
    body->v = cpvadd(cpvmult(body->v, damping), cpvmult(cpvadd(gravity, cpvmult(body->f, body->m_inv)), dt));
    body->w = body->w * damping + body->t * body->i_inv * dt;
    body->f = cpvzero;
    body->t = 0.0;
}

/* As cpShapeFree and cpBodyFree, the block going back to the pool. */
static void free_body(PedPhysics *phys, PedBody *b)
{
    cpSpaceRemoveShape(phys->space, b->shape);
    cpSpaceRemoveBody(phys->space, b->body);
    cpShapeDestroy(b->shape);
    cpBodyDestroy(b->body);
    pool_give(phys, b);
}

static void count_body(cpBody *body, void *data)
{
    if (cpBodyGetUserData(body))
        (*(int32_t *)data)++;
}

typedef struct BodyList {
    PedBody **items;
    int32_t n;
} BodyList;

static void list_body(cpBody *body, void *data)
{
    BodyList *list = data;
    PedBody *b = cpBodyGetUserData(body);
    if (b)
        list->items[list->n++] = b;
}

void ped_physics_destroy(PedPhysics *phys)
{
    if (!phys)
        return;
    /* Bodies still in the space are collected first (removing while the
     * space iterates is not allowed), then freed. */
    int32_t count = 0;
    cpSpaceEachBody(phys->space, count_body, &count);
    BodyList list = {count > 0 ? malloc((size_t)count * sizeof(PedBody *)) : NULL, 0};
    if (list.items) {
        cpSpaceEachBody(phys->space, list_body, &list);
        for (int32_t i = 0; i < list.n; i++)
            free_body(phys, list.items[i]);
        free(list.items);
    }
    for (int32_t i = 0; i < phys->n_walls; i++) {
        cpSpaceRemoveShape(phys->space, phys->walls[i]);
        cpShapeFree(phys->walls[i]);
    }
    free(phys->walls);
    cpSpaceFree(phys->space);
    for (int32_t i = 0; i < phys->n_chunks; i++)
        free(phys->chunks[i]);
    free(phys->chunks);
    free(phys);
}

static bool finite4(double a, double b, double c, double d)
{
    return isfinite(a) && isfinite(b) && isfinite(c) && isfinite(d);
}

bool ped_physics_add_wall(PedPhysics *phys, double x1, double y1, double x2, double y2, double radius_m)
{
    if (!finite4(x1, y1, x2, y2) || !(radius_m >= 0.0) || !isfinite(radius_m))
        return false;
    if (hypot(x2 - x1, y2 - y1) < 1e-9)
        return false;
    if (!city_array_grow((void **)&phys->walls, &phys->cap_walls, phys->n_walls + 1, sizeof *phys->walls))
        return false;
    cpShape *seg = cpSegmentShapeNew(cpSpaceGetStaticBody(phys->space), cpv(x1, y1), cpv(x2, y2), radius_m);
    if (!seg)
        return false;
    cpShapeSetElasticity(seg, 0.0);
    cpShapeSetFriction(seg, 0.0);
    cpSpaceAddShape(phys->space, seg);
    phys->walls[phys->n_walls++] = seg;
    return ped_index_add_wall(phys->space, seg);
}

void ped_physics_set_walls(PedPhysics *phys, const PedWallHash *hash)
{
    ped_index_set_walls(phys->space, hash);
}

PedBody *ped_physics_add_body(PedPhysics *phys, double x, double y, double radius_m, double mass_kg, uint64_t id)
{
    if (!isfinite(x) || !isfinite(y) || !(radius_m > 0.0) || !isfinite(radius_m) || !(mass_kg > 0.0) ||
        !isfinite(mass_kg))
        return NULL;
    PedBody *b = pool_take(phys);
    if (!b)
        return NULL;
    b->id = id;
    b->body = cpBodyInit(&b->body_store, mass_kg, INFINITY);
    cpBodySetPosition(b->body, cpv(x, y));
    cpBodySetUserData(b->body, b);
    cpBodySetPositionUpdateFunc(b->body, person_position);
    cpBodySetVelocityUpdateFunc(b->body, person_velocity);
    b->shape = &cpCircleShapeInit(&b->shape_store, b->body, radius_m, cpvzero)->shape;
    cpShapeSetElasticity(b->shape, 0.0);
    cpShapeSetFriction(b->shape, 0.0);
    cpShapeSetUserData(b->shape, b);
    b->at = -1;
    ped_index_fit_radius(phys->space, radius_m);
    cpSpaceAddBody(phys->space, b->body);
    cpSpaceAddShape(phys->space, b->shape);
    if (ped_index_failed(phys->space)) {
        free_body(phys, b);
        return NULL;
    }
    return b;
}

double ped_physics_max_radius(const PedPhysics *phys)
{
    return ped_index_max_radius(phys->space);
}

void ped_physics_fit_radius(PedPhysics *phys, double radius_m)
{
    ped_index_fit_radius(phys->space, radius_m);
}

void ped_physics_remove_body(PedPhysics *phys, PedBody *body)
{
    if (body)
        free_body(phys, body);
}

void ped_physics_set_velocity(PedBody *body, double vx, double vy)
{
    /* What cpBodySetVelocity does when sleeping is off (it is: see
     * ped_physics_create), without its debug asserts. */
    body->body->v = cpv(vx, vy);
}

void ped_physics_set_position(PedBody *body, double x, double y)
{
    cpBodySetPosition(body->body, cpv(x, y));
}

void ped_physics_get(const PedBody *body, double *x, double *y, double *vx, double *vy)
{
    cpVect p = cpTransformPoint(body->body->transform, cpvzero); /* as cpBodyGetPosition */
    *x = p.x;
    *y = p.y;
    *vx = body->body->v.x;
    *vy = body->body->v.y;
}

bool ped_physics_step(PedPhysics *phys, double dt_s, const uint8_t *near, const int32_t *near_wall)
{
    if (!(dt_s > 0.0) || !isfinite(dt_s))
        return true;
    ped_index_set_near(phys->space, near, near_wall);
    cpSpaceStep(phys->space, dt_s);
    ped_index_set_near(phys->space, NULL, NULL);
    /* No warm start: the impulses a contact accumulated are dropped, so
     * that the next step depends on the bodies alone (positions,
     * velocities and the bias velocity that corrects overlap), which a
     * checkpoint restores exactly. */
    cpArray *arbiters = phys->space->arbiters;
    for (int i = 0; i < arbiters->num; i++) {
        cpArbiter *arb = arbiters->arr[i];
        for (int k = 0; k < arb->count; k++)
            arb->contacts[k].jnAcc = arb->contacts[k].jtAcc = 0.0;
    }
    return !ped_index_failed(phys->space);
}

void ped_physics_get_bias(const PedBody *body, double *vx, double *vy)
{
    *vx = body->body->v_bias.x;
    *vy = body->body->v_bias.y;
}

void ped_physics_set_bias(PedBody *body, double vx, double vy)
{
    body->body->v_bias = cpv(vx, vy);
}

typedef struct ContactList {
    const PedBody *self;
    uint64_t *out;
    int32_t cap, n;
} ContactList;

static void list_contact(cpBody *body, cpArbiter *arb, void *data)
{
    (void)body;
    ContactList *list = data;
    if (cpArbiterGetCount(arb) < 1)
        return;
    cpBody *a, *b;
    cpArbiterGetBodies(arb, &a, &b);
    cpBody *other = a == list->self->body ? b : a;
    const PedBody *pb = cpBodyGetUserData(other);
    uint64_t id = pb ? pb->id : UINT64_MAX;
    if (list->n < list->cap)
        list->out[list->n] = id;
    list->n++;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int32_t ped_physics_contacts(const PedBody *body, uint64_t *out, int32_t cap)
{
    ContactList list = {body, out, cap, 0};
    cpBodyEachArbiter(body->body, list_contact, &list);
    /* Chipmunk lists arbiters in an order that follows pointer values. */
    qsort(out, (size_t)(list.n < cap ? list.n : cap), sizeof *out, cmp_u64);
    return list.n;
}
