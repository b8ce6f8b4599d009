/* Junction admission. A link may be entered when its signal or sign
 * allows it, no crossing (foe) link is occupied, and, for a yielding link,
 * no vehicle with priority (response bits) is due before we would have
 * cleared. Vehicles about to cross a stop line are granted the junction in
 * a fixed order, so two vehicles on crossing paths never enter together.
 * Approaching vehicles announce when they will reach their link; a step's
 * announcements are read in the next one. */
#include <stdlib.h>
#include <string.h>

#include "city_array.h"
#include "road_step_internal.h"

/* Length (m) of the internal lanes a connection crosses. */
static double via_length(const CityRoadNet *net, const CityConnection *c)
{
    double len = 0.0;
    for (int32_t k = 0; k < c->via_count; k++)
        len += net->lanes[net->via[c->via_first + k]].length_m;
    return len;
}

/* Squared distance between segments ab and cd (0 when they cross). */
static double seg_dist2(CityPoint a, CityPoint b, CityPoint c, CityPoint d)
{
    double d1 = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
    double d2 = (b.x - a.x) * (d.y - a.y) - (b.y - a.y) * (d.x - a.x);
    double d3 = (d.x - c.x) * (a.y - c.y) - (d.y - c.y) * (a.x - c.x);
    double d4 = (d.x - c.x) * (b.y - c.y) - (d.y - c.y) * (b.x - c.x);
    if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)))
        return 0.0;
    const CityPoint p[4] = {a, b, c, d}, s0[4] = {c, c, a, a}, s1[4] = {d, d, b, b};
    double best = INFINITY;
    for (int k = 0; k < 4; k++) { /* each end against the other segment */
        double ux = s1[k].x - s0[k].x, uy = s1[k].y - s0[k].y, l2 = ux * ux + uy * uy;
        double t = l2 > 0 ? ((p[k].x - s0[k].x) * ux + (p[k].y - s0[k].y) * uy) / l2 : 0.0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double dx = s0[k].x + t * ux - p[k].x, dy = s0[k].y + t * uy - p[k].y;
        if (dx * dx + dy * dy < best)
            best = dx * dx + dy * dy;
    }
    return best;
}

/* Whether the paths of connections a and b through their junction meet:
 * they end on the same lane, share an internal lane, or their internal
 * lanes' centre lines come within ROAD_PATHS_MEET_M of each other. Without
 * internal lanes (a net built without them) there is no path to compare:
 * they meet. */
static bool paths_meet(const CityRoadNet *net, const CityConnection *a, const CityConnection *b)
{
    if (a->via_count == 0 || b->via_count == 0 || a->to_lane == b->to_lane)
        return true;
    for (int32_t i = 0; i < a->via_count; i++)
        for (int32_t j = 0; j < b->via_count; j++) {
            const CityLane *la = &net->lanes[net->via[a->via_first + i]], *lb = &net->lanes[net->via[b->via_first + j]];
            if (la == lb)
                return true;
            const CityPoint *pa = net->points + la->shape_first, *pb = net->points + lb->shape_first;
            for (int32_t u = 0; u + 1 < la->shape_count; u++)
                for (int32_t w = 0; w + 1 < lb->shape_count; w++)
                    if (seg_dist2(pa[u], pa[u + 1], pb[w], pb[w + 1]) < ROAD_PATHS_MEET_M * ROAD_PATHS_MEET_M)
                        return true;
        }
    return false;
}

/* The crossing masks (road->link_cross, in the net's mask layout: a link's
 * words at mask_first + mask_words): the foes of each link whose paths
 * meet its own (paths_meet). A vehicle inside a junction holds up only
 * those, as SUMO's vehicles on an internal lane hold up the links whose
 * internal lanes cross theirs; a link still yields to every foe that
 * approaches (its response). Held to all foes, a U-turn at Jamsil's
 * 11177272210 waited for good behind cars queued across the junction on
 * the straight lanes beside it, whose paths it never crosses; with the
 * queues it held, four cars on the 0.2 m lanes around the joined
 * junction north of the station waited for each other until teleported
 * (jamsil-p1 at 1 s steps, seed 10; at 0.1 s, seeds 3 and 6 once lane
 * changes looked behind the junction: road_lanechange.c). */
static bool cross_masks_init(CityRoad *road)
{
    const CityRoadNet *net = road->net;
    road->link_cross = calloc((size_t)net->n_masks + 1, sizeof *road->link_cross);
    if (!road->link_cross)
        return false;
    for (int32_t l = 0; l < net->n_links; l++) {
        const CityLink *lk = &net->links[l];
        const uint64_t *foes = city_road_link_foes(net, l);
        uint64_t *cross = road->link_cross + lk->mask_first + lk->mask_words;
        int32_t base = net->junctions[lk->junction].link_first;
        for (int32_t w = 0; w < lk->mask_words; w++)
            for (uint64_t m = foes[w]; m; m &= m - 1) {
                int32_t j = base + w * 64 + __builtin_ctzll(m);
                /* (a foe with no connection of its own, or this link with none: kept) */
                int32_t cj = j < net->n_links ? net->links[j].conn : -1;
                if (j == l || lk->conn < 0 || cj < 0 || paths_meet(net, &net->conns[lk->conn], &net->conns[cj]))
                    cross[w] |= m & -m;
            }
    }
    return true;
}

bool road_conns_init(CityRoad *road)
{
    const CityRoadNet *net = road->net;
    int32_t nc = net->n_conns, nt = net->n_tls;
    road->connq = aligned_alloc(64, ((size_t)nc + 1) * sizeof *road->connq);
    /* tls_epoch[-1]: the epoch of "no light", 0 for good, as every record's
     * epoch starts: an unsignalled connection's record is always current
     * (road_conn_shown reads it without a test of its light) */
    uint32_t *epochs = malloc(((size_t)nt + 2) * sizeof *road->tls_epoch);
    road->tls_epoch = epochs ? epochs + 1 : NULL;
    if (!road->connq || !road->tls_epoch || !cross_masks_init(road))
        return false;
    road->tls_epoch[-1] = 0;
    road->shown_base = road_signals_shown_base(road->signals);
    memset(road->connq, 0, ((size_t)nc + 1) * sizeof *road->connq);
    for (int32_t t = 0; t < nt; t++)
        road->tls_epoch[t] = 1; /* the records' epoch 0: every light's state is read at first use */
    for (int32_t ci = 0; ci < nc; ci++) {
        const CityConnection *c = &net->conns[ci];
        RoadConnQ *q = &road->connq[ci];
        if (c->via_count > INT16_MAX)
            return false; /* no junction has so many internal lanes on one path */
        q->via_len_m = via_length(net, c);
        q->to_len_m = net->lanes[c->to_lane].length_m;
        q->to_lane = c->to_lane;
        q->first_lane = c->via_count > 0 ? net->via[c->via_first] : c->to_lane;
        q->via_count = (int16_t)c->via_count;
        q->link = c->link;
        q->state = c->state;
        q->tls = c->tls >= 0 && c->tls_link >= 0 ? c->tls : -1;
        if (q->tls >= 0) {
            int64_t at = road_signals_shown_at(road->signals, q->tls) + c->tls_link;
            if (at > INT32_MAX)
                return false; /* over two thousand million links in all */
            q->shown_at = (int32_t)at;
        }
        if (c->link >= 0) {
            const CityLink *lk = &net->links[c->link];
            q->link_base = net->junctions[lk->junction].link_first;
            q->flags = lk->mask_words > 1 ? ROAD_CQ_WIDE : 0;
            if (lk->cont && c->via_count >= 2)
                q->flags |= ROAD_CQ_CONT;
            if (lk->mask_words == 1) {
                q->resp = city_road_link_response(net, c->link)[0];
                q->cross = road->link_cross[lk->mask_first + 1];
            }
            /* SUMO keeps a junction clear only on links that have foes (a
             * blocked exit beyond a junction nothing crosses lets vehicles
             * in: its test no_space_behind_junction_nocrossing) */
            const uint64_t *foes = city_road_link_foes(net, c->link);
            int32_t self = c->link - q->link_base;
            for (int32_t w = 0; w < lk->mask_words; w++)
                if (foes[w] & ~(w == self / 64 ? 1ull << (self % 64) : 0ull))
                    q->flags |= ROAD_CQ_KEEP_CLEAR;
        }
    }
    return true;
}

void road_conns_free(CityRoad *road)
{
    free(road->connq);
    free(road->tls_epoch ? road->tls_epoch - 1 : NULL);
    free(road->link_cross);
    road->connq = NULL;
    road->tls_epoch = NULL;
    road->link_cross = NULL;
}

void road_tls_shown_refresh(CityRoad *road)
{
    const int32_t *lights;
    int32_t n = road_signals_take_changed(road->signals, &lights);
    for (int32_t i = 0; i < n; i++)
        road->tls_epoch[lights[i]]++; /* wraps after 2^32 changes of one light: never within a run */
}

void road_tls_shown_reset(CityRoad *road)
{
    road_tls_shown_refresh(road);
    for (int32_t t = 0; t < road->net->n_tls; t++)
        road->tls_epoch[t]++;
}

char road_conn_shown_refresh(CityRoad *road, int32_t ci)
{
    RoadConnQ *q = &road->connq[ci];
    q->state = road->shown_base[q->shown_at]; /* one byte: not the light's record, its string, the net's connection */
    q->epoch = road->tls_epoch[q->tls];
    return q->state;
}

/* The room lane l leaves when its vehicles move off: its length less
 * their lengths and gaps, packed nose to tail (SUMO counts the space
 * beyond a junction so: MSVehicle::checkRewindLinkLanes); -INFINITY when
 * its last vehicle stands or crawls. */
static double room_moving_off(const CityRoad *road, int32_t l)
{
    int32_t n = road->lanes[l].n;
    if (n == 0)
        return road->lanes[l].length_m;
    if (road_tail_start(road, l).speed <= ROAD_MOVING_OFF_MPS)
        return -INFINITY;
    double packed = 0.0;
    for (int32_t i = 0; i < n; i++) {
        const RoadVType *tu = road_vtype_of(road, road_lane_at(road, l, i));
        packed += tu->def.length_m + tu->def.min_gap_m;
    }
    return road->lanes[l].length_m - packed;
}

/* Whether connection ci's light lets vehicles on now (red and yellow do
 * not), read without the step's cache (road_conn_shown). */
static bool conn_open_now(const CityRoad *road, int32_t ci)
{
    const RoadConnQ *q = &road->connq[ci];
    char st = q->tls >= 0 ? road->shown_base[q->shown_at] : q->state;
    return !road_state_stops(st);
}

/* An exit lane shorter than the vehicle (joined junctions leave lanes of a
 * few decimetres to a few metres) is entered, as SUMO does, when the free
 * space along the route beyond it (the next lanes, through the next
 * junctions, whatever their lights show) holds the vehicle: it may then
 * stop at the next line with its tail in this junction, but it does not
 * wait for a green it cannot see. Chains of such lanes otherwise block for
 * good, each queue waiting for the other's light.
 * Vehicles moving off ahead, on a lane of the chain or in a junction of
 * it, leave the room they will not hold once packed (room_moving_off);
 * past a lane whose vehicles move off, the look goes on only through a
 * line its light lets them cross. Counted as blocking, a car crossing the
 * next junction on its green kept the car behind it from the 5.89 m
 * 867821845#3 (center-p6) until it had left that junction too: the
 * second car came to the line as its light turned yellow, and waited a
 * cycle of 90 s (and queues on 1238812698#0 took 118 s a vehicle against
 * SUMO's 66 s; at some seeds they closed a ring of queues round the block
 * for 300 s). */
static bool short_exit_passable(const CityRoad *road, int32_t v, const CityConnection *c, int32_t rp, double need)
{
    const CityRoadNet *net = road->net;
    const RoadVehicles *vh = &road->veh;
    double space = 0.0;
    for (int depth = 0; depth < 8; depth++) {
        int32_t lane = c->to_lane;
        bool moving = false;
        if (road_lane_count(road, lane) > 0) {
            RoadTail u = road_tail_start(road, lane);
            if (space + u.pos - u.length_m >= need)
                return true;
            double room = room_moving_off(road, lane);
            if (room == -INFINITY)
                return false;
            space += room;
            moving = true;
        } else {
            space += net->lanes[lane].length_m;
        }
        if (space >= need)
            return true;
        rp++;
        if (vh->rec[v].route_n <= rp + 1)
            return true; /* it arrives on this lane */
        int32_t next = road_plan_conn_at(road, v, lane, rp);
        if (next < 0) /* it changes lanes on this short edge first */
            return !moving && net->edges[net->lanes[lane].edge].lane_count > 1;
        if (moving && !conn_open_now(road, next))
            return false; /* they stop at that line */
        c = &net->conns[next];
        if (road->lane_closed[c->to_lane])
            return false;
        for (int32_t k = 0; k < c->via_count; k++) {
            double room = room_moving_off(road, net->via[c->via_first + k]);
            if (room == -INFINITY)
                return false;
            space += room;
        }
    }
    return false;
}

/* Whether vehicle w, alone on the exit lane of v's turn, stands at its own
 * line waiting to turn onto v's lane: each holds the lane the other needs
 * (two U-turns at the ends of a short two-way segment, both sent there by
 * rerouting: am.1087 and am.1147 on Jamsil's 369920696#3 at 08:08 in the
 * day stood 300 s until teleported). The room counts as free: v enters
 * the junction, w then finds its own exit lane empty. */
static bool swaps_with(const CityRoad *road, int32_t v, int32_t w)
{
    const RoadVehRec *rw = &road->veh.rec[w];
    return rw->speed < ROAD_HALT_MPS && rw->via_pos < 0 && rw->conn >= 0 &&
           road->connq[rw->conn].to_lane == road->veh.rec[v].lane &&
           road_lane_length(road, rw->lane) - rw->pos < ROAD_STOP_LINE_M + 3.0;
}

/* Whether v, at its line on its route edge rp (standing or creeping),
 * swaps with the one vehicle on its exit lane `to` (swaps_with). Asked of
 * an exit lane shorter than v too: two U-turns at the ends of a 5.89 m
 * segment, each lane shorter than a car and its gap, stood until
 * teleported with the vehicles queued behind them (center-p6 at 0.1 s
 * steps, seed 5: 4 teleports). It was once asked only after
 * ROAD_IMPATIENCE_S of standing, which a vehicle creeping at each green
 * never reached: its clock started again each time. */
static bool swap_at_line(const CityRoad *road, int32_t v, int32_t rp, int32_t to)
{
    const RoadVehRec *r = &road->veh.rec[v];
    return road->lanes[to].n == 1 && rp == r->route_pos && r->speed < 1.0 &&
           road_lane_length(road, r->lane) - r->pos < ROAD_STOP_LINE_M + 3.0 &&
           swaps_with(road, v, road_lane_at(road, to, 0));
}

bool road_turns_held_mutually(const CityRoad *road, int32_t v)
{
    const RoadVehRec *r = &road->veh.rec[v];
    if (r->conn < 0 || r->via_pos >= 0)
        return false;
    int32_t to = road->connq[r->conn].to_lane;
    if (road->lanes[to].n != 1 || road_lane_length(road, r->lane) - r->pos >= ROAD_STOP_LINE_M + 3.0)
        return false;
    /* (with room behind the other, v enters and the other's exit empties:
     * only vehicles waiting for a light stand there) */
    const RoadVType *t = road_vtype_of(road, v);
    RoadTail u = road_tail_start(road, to);
    return u.pos - u.length_m < t->def.length_m + t->def.min_gap_m && swaps_with(road, v, road_lane_at(road, to, 0));
}

/* Keep the junction clear (on a link with a foe only: ROAD_CQ_KEEP_CLEAR,
 * as SUMO): enter only when the exit lane has room for us behind its last
 * vehicle, counting the vehicles already inside on our
 * path. When that vehicle is moving off, the lane counts as its vehicles
 * packed nose to tail (length and minimum gap each, as SUMO counts the
 * space beyond a junction): a queue crawling across a junction otherwise
 * holds it for good, and a vehicle yielding to that queue never finds a
 * gap (left turns from Songpa-daero, Jamsil, at one vehicle a second). */
static bool exit_has_room(const CityRoad *road, int32_t v, int32_t ci, int32_t rp)
{
    const CityRoadNet *net = road->net;
    const RoadVehicles *vh = &road->veh;
    const RoadConnQ *q = &road->connq[ci];
    const RoadVType *t = road_vtype_of(road, v);
    double need = t->def.length_m + t->def.min_gap_m;
    for (int32_t k = 0; k < q->via_count; k++) {
        int32_t l = k == 0 ? q->first_lane : net->via[net->conns[ci].via_first + k]; /* most cross one */
        for (int32_t i = 0; i < road->lanes[l].n; i++) { /* (the queue's line, not lane_n's too) */
            const RoadVType *tu = road_vtype_of(road, road_lane_at(road, l, i));
            need += tu->def.length_m + tu->def.min_gap_m;
        }
    }
    int32_t n = road->lanes[q->to_lane].n; /* with the queue read below: one line, not two */
    if (q->to_len_m < need && vh->rec[v].route_n > rp + 2)
        return n == 0 ? short_exit_passable(road, v, &net->conns[ci], rp, need) : swap_at_line(road, v, rp, q->to_lane);
    if (n == 0)
        return true;
    RoadTail u = road_tail_start(road, q->to_lane);
    if (u.pos - u.length_m >= need || swap_at_line(road, v, rp, q->to_lane))
        return true;
    return room_moving_off(road, q->to_lane) >= need;
}

/* A link blocked by a coupling (a person on or stepping onto a crossing
 * it crosses) is not entered; a vehicle already pulled in clears it. */
static bool link_blocked_for(const CityRoad *road, int32_t link, bool pulled_in)
{
    return road->link_blocked && road->link_blocked[link] && !pulled_in;
}

CityStatus city_road_link_set_blocked(CityRoad *road, int32_t link, bool blocked)
{
    const CityRoadNet *net = road->net;
    if (link < 0 || link >= net->n_links)
        return city_world_fail(road->world, CITY_ERR_INVALID, "road: no junction link %d (0 to %d)", (int)link,
                               (int)net->n_links - 1);
    if (!road->link_blocked) {
        if (!blocked)
            return CITY_OK;
        road->link_blocked = calloc((size_t)net->n_links, 1);
        if (!road->link_blocked)
            return city_world_fail(road->world, CITY_ERR_NOMEM, "road: out of memory blocking a link");
    }
    road->link_blocked[link] = blocked;
    return CITY_OK;
}

bool city_road_link_blocked(const CityRoad *road, int32_t link)
{
    return road->link_blocked && link >= 0 && link < road->net->n_links && road->link_blocked[link];
}

/* SUMO's impatience of a vehicle kept waiting: from 0 at first to 1 after
 * ROAD_TIME_TO_IMPATIENCE_S (see road_link_allowed). */
static double impatience_of(const CityRoad *road, int32_t v)
{
    return road_min2(1.0, road->veh.rec[v].halt_s / ROAD_TIME_TO_IMPATIENCE_S);
}

/* SUMO's internal junctions. netconvert gives a turn that crosses a
 * priority stream inside a junction (a left turn across the oncoming
 * traffic) a waiting point: its request says cont="1", and its path is two
 * internal lanes, the second starting at an internal junction where the
 * paths cross. SUMO lets a vehicle onto such a link at once when its light
 * is not red (MSLink::opened answers yes for it) and has it wait at the
 * internal junction for the links it yields to. Held at the stop line
 * instead (a link admitted as a whole), the turn waited there for a gap in
 * the oncoming stream and the straight vehicles queued behind it on its
 * lane with it: past saturation at 0.1 s steps the Olympic Park district
 * (east-p1) locked (1,004 of SUMO's 1,633 trips, 435 teleports against
 * its 30). */

/* The response mask of connection record q's link (bit k: junction link
 * q->link_base + k): in the record when its junction has at most 64
 * links, else in the net; *words: its 64-bit words. */
static const uint64_t *conn_response(const CityRoadNet *net, const RoadConnQ *q, int32_t *words)
{
    const bool wide = (q->flags & ROAD_CQ_WIDE) != 0;
    *words = wide ? net->links[q->link].mask_words : 1;
    return wide ? city_road_link_response(net, q->link) : &q->resp;
}

/* Whether link j's holders all stand short of where link `link` crosses
 * its path: j has an internal junction where it yields to `link`, and
 * none of its vehicles is past that point (on the internal lanes after
 * it, or on the exit lane with its back still in the junction). A
 * priority vehicle does not wait for them: they wait for it. */
static bool waits_before_cross(const CityRoad *road, int32_t j, int32_t link)
{
    const CityRoadNet *net = road->net;
    int32_t cj = net->links[j].conn;
    const RoadConnQ *cq = &road->connq[cj];
    if (!(cq->flags & ROAD_CQ_CONT))
        return false;
    int32_t words, k = link - cq->link_base;
    const uint64_t *resp = conn_response(net, cq, &words); /* (cq's link is j) */
    if (k < 0 || k >= 64 * words || !((resp[k / 64] >> (k % 64)) & 1u))
        return false;
    for (int32_t i = 1; i < cq->via_count; i++)
        if (road->lanes[net->via[net->conns[cj].via_first + i]].n > 0)
            return false;
    const RoadLaneQ *q = &road->lanes[cq->to_lane];
    return q->n == 0 || road->veh.rec[q->v[q->head + q->n - 1]].occ_link != j;
}

/* Whether a vehicle with that impatience may merge behind a holder of
 * link j instead of waiting for it to leave: once half impatient, when j
 * leads into the same lane as its own connection q (SUMO's impatience). */
static bool merges_behind(const CityRoad *road, int32_t j, const RoadConnQ *q, double impatience)
{
    return impatience > 0.5 && road->net->conns[road->net->links[j].conn].to_lane == q->to_lane;
}

/* Whether no vehicle of the links in `links` (bit k: junction link
 * q->link_base + k) is due at its line before vehicle v, on connection q
 * with `cover` metres of junction ahead of its front, has cleared it
 * (its length more), with ROAD_YIELD_MARGIN_S to spare: SUMO's gap
 * acceptance, the gap shortened by impatience, and once impatient a foe
 * already overdue (standing at its line) not waited for. */
static bool gap_clear(const RoadStepCtx *x, int32_t v, const RoadConnQ *q, const uint64_t *links, int32_t words,
                      double cover, double impatience)
{
    const CityRoad *road = x->road;
    const RoadVType *t = road_vtype_of(road, v);
    double vmax = road_desired_speed(road, v, q->first_lane);
    double t_clear = road_time_to_cover(cover + t->def.length_m, road->veh.rec[v].speed, t->def.accel_mps2, vmax);
    double limit = x->now_s + road_max2(0.5, (t_clear + ROAD_YIELD_MARGIN_S) * (1.0 - impatience));
    bool impatient = road->veh.rec[v].halt_s > ROAD_IMPATIENCE_S;
    for (int32_t w = 0; w < words; w++)
        for (uint64_t m = links[w]; m; m &= m - 1) {
            double eta = road->link_eta_prev[q->link_base + w * 64 + __builtin_ctzll(m)];
            if (eta < limit && !(impatient && eta < x->now_s - 0.5))
                return false;
        }
    return true;
}

/* May vehicle v, dist metres before the stop line at the end of route edge rp, enter connection ci now?
 * What it reads of the connection, its link and its light is one record (RoadConnQ). (road_link_allowed
 * has answered for a red light already, but for a vehicle pulled in or on duty.) */
bool road_link_allowed_unless_red(const RoadStepCtx *x, int32_t v, const RoadVType *t, int32_t ci, double dist,
                                  int32_t rp)
{
    const CityRoad *road = x->road;
    const CityRoadNet *net = x->net;
    const RoadConnQ *q = &road->connq[ci];
    char state = road_conn_shown(x->road, ci);
    const RoadVehicles *vh = &road->veh;
    bool minor;
    double v_now = vh->rec[v].speed;
    /* pulled in at the line it waited at, the one at the end of its
     * current edge: the lines beyond it are asked as anyone's (a vehicle
     * crossing the junction it pulled into took the next junction's red,
     * or a link people on a zebra held, for its own and drove at it
     * without braking; at the line, on a lane of 0.2 m between the two,
     * it stopped dead from 13 m/s) */
    bool pulled_in = (vh->rec[v].flags & ROAD_VF_PULLED_IN) != 0 && rp == vh->rec[v].route_pos;
    /* an emergency vehicle on duty treats red and yellow as a give-way
     * sign: it crosses when no vehicle on any crossing path is due */
    bool yield_all = false;
    if (t->def.vclass == CITY_VC_EMERGENCY && road_state_stops(state)) {
        state = 'm';
        yield_all = true;
    }
    switch (state) {
    case 'r':
    case 'u':
        if (!pulled_in)
            return false;
        minor = false; /* in the junction already: clear it */
        break;
    case 'y':
    case 'Y':
        /* stop if we comfortably can, otherwise clear the junction */
        if (!pulled_in && v_now * v_now / (2.0 * t->def.decel_mps2) <= dist)
            return false;
        minor = false;
        break;
    case 's':
    case 'w':
        if (!(vh->rec[v].flags & ROAD_VF_STOPPED_AT_LINE))
            return false;
        minor = true;
        break;
    case 'g':
    case 'm':
    case '=':
    case 'o':
    case 'Z':
        minor = true;
        break;
    default: /* 'G', 'O', 'M', '-' */
        minor = false;
        break;
    }
    /* after the light: a vehicle waiting at a red asks every step, and the
     * room beyond is the dearer question (the answer is the same). Only a
     * vehicle that can still stop before its line braking at b, or one slow
     * enough to stop within a step, waits for room; one nearer goes on and
     * stops behind the queue, as SUMO's vehicles do (a request on a link
     * with no room beyond is withdrawn only at the brake gap or farther:
     * MSVehicle::checkRewindLinkLanes). Asked every step to the line, the
     * room that vanished under a vehicle a few metres from it stopped it
     * there from full speed: 35 emergency brakes in half an hour behind a
     * red 16 m past a junction (tests/test_road_real.c), 168 in all on
     * jamsil-p1 at 1 s steps, 142 now. An exit lane shorter than the
     * vehicle (joined junctions) is no exception: SUMO's car, too near to
     * stop, goes on and stands in the junction behind the one on that
     * lane. Kept waiting at its line, each car in center-p6's chain of
     * 5-8 m lanes past 1238812698#0 (7 s of green in 90 s) lost the green
     * the car ahead left it: 3,432 vehicle-seconds on that edge at 0.1 s
     * steps now, 4,356 before (SUMO 2,311), and center-p6 at 0.1 s
     * +1.4 % against SUMO's travel time (+5.3 % before). (Committing so
     * once gridlocked center-p6's trips at 0.1 s: 5 teleports, before
     * short_exit_passable, swap_with_blocker and road_turns_held_mutually.) */
    if (q->flags & ROAD_CQ_EXIT_CLOSED)
        return false;
    const double b = t->def.decel_mps2;
    const bool may_wait = v_now * v_now / (2.0 * b) <= dist || v_now < b * x->dt_s;
    if (may_wait && (q->flags & ROAD_CQ_KEEP_CLEAR) && !exit_has_room(road, v, ci, rp))
        return false;
    if (q->link < 0)
        return true;
    if (link_blocked_for(road, q->link, pulled_in))
        return false;
    int32_t base = q->link_base;
    const bool wide = (q->flags & ROAD_CQ_WIDE) != 0;
    int32_t words;
    const uint64_t *resp = conn_response(net, q, &words);
    const uint64_t *cross =
        wide ? road->link_cross + net->links[q->link].mask_first + net->links[q->link].mask_words : &q->cross;
    /* SUMO's impatience: a vehicle kept waiting accepts ever shorter gaps
     * (priority vehicles are assumed to brake for it), from none at first
     * to all but the shortest after ROAD_TIME_TO_IMPATIENCE_S; and once
     * half impatient it merges behind a vehicle crossing into the same
     * lane instead of waiting for the junction to be empty. (Read only when
     * asked: its standing time is in the record's second cache line.) */
    double impatience = -1.0;
    /* a link with an internal junction asks for the links it yields to
     * there (road_internal_allowed), not here */
    const bool cont = (q->flags & ROAD_CQ_CONT) != 0;
    const uint64_t *held = road->link_held + base;
    for (int32_t w = 0; w < words; w++)
        for (uint64_t m = cross[w] & held[w]; m; m &= m - 1) {
            int32_t j = base + w * 64 + __builtin_ctzll(m);
            if (j == q->link)
                continue;
            if ((cont && ((resp[w] >> (j - base - w * 64)) & 1u)) || waits_before_cross(road, j, q->link))
                continue;
            if (impatience < 0.0)
                impatience = impatience_of(road, v);
            if (!merges_behind(road, j, q, impatience))
                return false;
        }
    if (!minor || cont)
        return true;
    /* one that can no longer stop at the line braking at the comfortable
     * rate judges its foes' gaps as a wholly impatient driver, whose foes
     * brake for it (SUMO asks MSLink::opened with impatience 1 then): it
     * stood in one step at 11.8 m/s^2 for a foe that came due 4.5 m before
     * its line (jamsil-p1 at 0.1 s steps). Not an emergency vehicle
     * crossing a red light: it waits for a gap however it came. */
    if (!may_wait && !yield_all)
        impatience = 1.0;
    else if (impatience < 0.0)
        impatience = impatience_of(road, v);
    return gap_clear(x, v, q, yield_all ? city_road_link_foes(net, q->link) : resp, words, dist + q->via_len_m,
                     impatience);
}

/* Whether vehicle v, dist metres before the internal junction of its
 * connection ci (ROAD_CQ_CONT: the end of its first internal lane), may
 * drive past it: no vehicle of a link it yields to is in the junction past
 * its own waiting point, and none is due at its line before v has cleared
 * the junction. Impatience shortens the gaps it accepts as at a stop line
 * (road_link_allowed). */
bool road_internal_allowed(const RoadStepCtx *x, int32_t v, int32_t ci, double dist)
{
    const CityRoad *road = x->road;
    const CityRoadNet *net = x->net;
    const RoadConnQ *q = &road->connq[ci];
    int32_t words;
    const uint64_t *resp = conn_response(net, q, &words);
    double impatience = impatience_of(road, v);
    const uint64_t *held = road->link_held + q->link_base;
    for (int32_t w = 0; w < words; w++)
        for (uint64_t m = resp[w] & held[w]; m; m &= m - 1) {
            int32_t j = q->link_base + w * 64 + __builtin_ctzll(m);
            if (!waits_before_cross(road, j, q->link) && !merges_behind(road, j, q, impatience))
                return false;
        }
    /* the junction ahead: the rest of its first internal lane and the lanes after it */
    double rest = q->via_len_m - road_lane_length(road, q->first_lane);
    return gap_clear(x, v, q, resp, words, dist + rest, impatience);
}

void road_junction_rotate_announcements(CityRoad *road)
{
    double *tmp = road->link_eta_prev;
    road->link_eta_prev = road->link_eta;
    road->link_eta = tmp;
    int32_t *tl = road->link_touched_prev;
    int32_t tc = road->cap_touched_prev, tn = road->n_touched_prev;
    road->link_touched_prev = road->link_touched;
    road->cap_touched_prev = road->cap_touched;
    road->n_touched_prev = road->n_touched;
    road->link_touched = tl;
    road->cap_touched = tc;
    for (int32_t i = 0; i < tn; i++)
        road->link_eta[tl[i]] = INFINITY;
    road->n_touched = 0;
}

void road_grant_junctions(RoadStepCtx *x)
{
    CityRoad *road = x->road;
    RoadVehicles *vh = &road->veh;
    /* fixed order: by link (then handle: slots follow the memory layout) */
    for (int32_t i = 1; i < x->n_cand; i++) {
        int32_t v = x->cand[i], j = i;
        int32_t lv = road->connq[vh->rec[v].conn].link;
        while (j > 0) {
            int32_t u = x->cand[j - 1];
            int32_t lu = road->connq[vh->rec[u].conn].link;
            if (lu < lv || (lu == lv && vh->handle[u] < vh->handle[v]))
                break;
            x->cand[j] = u;
            j--;
        }
        x->cand[j] = v;
    }
    for (int32_t i = 0; i < x->n_cand; i++) {
        if (i + 4 < x->n_cand) { /* in link order: the vehicles' records are far apart */
            road_prefetch(&vh->rec[x->cand[i + 4]]);
            road_prefetch(&vh->rec[x->cand[i + 4]].halt_s); /* its lane (second line) */
        }
        int32_t v = x->cand[i];
        int32_t ci = vh->rec[v].conn;
        const RoadConnQ *c = &road->connq[ci];
        double dist = road_lane_length(road, vh->rec[v].lane) - vh->rec[v].pos;
        const RoadVType *t = road_vtype_of(road, v);
        if (!road_link_allowed(x, v, t, ci, dist, vh->rec[v].route_pos)) {
            /* a vehicle granted just before us took a crossing path: stop at the line */
            double vn = (dist - 0.01) / x->dt_s;
            vh->step[v].next_speed = vn > 0 ? vn : 0.0; /* (movement counts it when beyond emergency braking) */
            continue;
        }
        if (vh->rec[v].occ_link >= 0)
            road_link_unhold(road, vh->rec[v].occ_link);
        vh->rec[v].occ_link = c->link;
        if (c->link >= 0) {
            road_link_hold(road, c->link);
            vh->rec[v].occ_left_m = dist + c->via_len_m + t->def.length_m;
        }
    }
}
