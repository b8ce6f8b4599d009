/* The vehicle records in the order the step walks them.
 *
 * Every pass of the step goes over the active lanes in lane order and each
 * lane's vehicles front first. Records kept in insertion order put each
 * vehicle of such a walk anywhere in memory: on a city whose vehicles
 * outgrow the core's caches every first touch of a record is a miss the
 * processor cannot see coming. Renumbering the slots in walk order makes
 * the passes read the records in address order (the hardware prefetchers
 * then fetch ahead), until vehicles change lanes; the reorder is repeated
 * every ROAD_REORDER_PERIOD_S. Handles (pool indices) and every per-handle
 * field stay where they are, so readers, checkpoints and the state hash
 * never see a slot. */
#include <string.h>

#include "road_internal.h"

/* arr[j] = arr[order[j]] for j < n, through tmp (elements of `size` bytes). */
static void gather(void *arr, size_t size, const int32_t *order, uint32_t n, void *tmp)
{
    unsigned char *a = arr, *t = tmp;
    for (uint32_t j = 0; j < n; j++)
        memcpy(t + (size_t)j * size, a + (size_t)order[j] * size, size);
    memcpy(a, t, (size_t)n * size);
}

void road_vehicles_reorder(CityRoad *road)
{
    RoadVehicles *vh = &road->veh;
    const uint32_t n_old = vh->n_slots;
    int32_t *order = vh->order; /* new slot -> old slot */
    if (vh->cap == 0 || road->n_leaving > 0 || road->n_teleport_due > 0)
        return; /* no vehicle yet, or lists of slots pending (not so after COMMIT): keep the layout */
    uint32_t on_lanes = 0;
    for (int32_t a = 0; a < road->n_active; a++)
        on_lanes += (uint32_t)road->lanes[road->active[a]].n; /* the walk below reads these records */
    if (on_lanes != vh->n_live)
        return; /* every live vehicle is on exactly one lane; were it not so, the layout would stay */
    /* the walk: active lanes in list order, each front first; the queue
     * entries and the handles' slots take the new numbers as they go */
    uint32_t k = 0;
    for (int32_t a = 0; a < road->n_active; a++) {
        RoadLaneQ *q = &road->lanes[road->active[a]];
        int32_t *e = q->v + q->head;
        for (int32_t i = 0; i < q->n; i++) {
            int32_t old = e[i];
            order[k] = old;
            vh->slot[vh->handle[old]] = (int32_t)k;
            e[i] = (int32_t)k++;
        }
    }
    /* the records: gathered into the second buffer (prefetched: they are
     * scattered), which becomes the first */
    RoadVehRec *src = vh->rec, *dst = vh->rec_alt;
    for (uint32_t j = 0; j < k; j++) {
        if (j + 8 < k) {
            const char *r = (const char *)&src[order[j + 8]];
            road_prefetch(r);
            road_prefetch(r + 64);
        }
        dst[j] = src[order[j]];
    }
    vh->rec = dst;
    vh->rec_alt = src;
    /* the readers' list keeps its order, its entries renumbered (through
     * the handles, before those move) */
    for (uint32_t i = 0; i < vh->n_live; i++) {
        int32_t v = vh->slot[vh->handle[vh->live[i]]];
        vh->live[i] = v;
        vh->live_pos[v] = (int32_t)i;
    }
    /* the other per-slot fields, through the spare record buffer (128 bytes a slot) */
    gather(vh->step, sizeof *vh->step, order, k, vh->rec_alt);
    gather(vh->good, sizeof *vh->good, order, k, vh->rec_alt);
    gather(vh->handle, sizeof *vh->handle, order, k, vh->rec_alt);
    for (uint32_t j = k; j < n_old; j++)
        vh->handle[j] = -1;
    vh->n_slots = k;
}
