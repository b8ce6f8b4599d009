/* A parsed MATPOWER case into a CityGrid, with row-level checks that name
 * the file and line of the offending row, and the refusal of a case with
 * no source (no generator in service at a reference bus). */
#include <math.h>
#include <stdio.h>

#include "city_matpower.h"

static double at(const CityMpMatrix *m, int32_t r, int32_t c1)
{
    return m->v[(size_t)r * m->cols + (c1 - 1)];
}

static bool whole(double x)
{
    return isfinite(x) && x == floor(x) && fabs(x) < 2e9;
}

/* Column counts MATPOWER format 2 needs. */
static CityStatus check_columns(const CityMpCase *mp, const char *path, CityError *err)
{
    const CityMpMatrix *bus = &mp->bus, *gen = &mp->gen, *br = &mp->branch;
    if (!(mp->base_mva > 0) || !isfinite(mp->base_mva)) {
        city_error_set(err, CITY_ERR_PARSE, "%s:%d: mpc.baseMVA is %g; it must be a positive number such as 100", path,
                       (int)mp->base_line, mp->base_mva);
        return CITY_ERR_PARSE;
    }
    if (bus->cols < 13) {
        city_error_set(err, CITY_ERR_PARSE,
                       "%s:%d: mpc.bus has %d columns; MATPOWER format 2 needs 13 (bus_i type Pd Qd Gs Bs "
                       "area Vm Va baseKV zone Vmax Vmin)",
                       path, bus->rows ? (int)bus->row_line[0] : 1, (int)bus->cols);
        return CITY_ERR_PARSE;
    }
    if (gen->rows && gen->cols < 8) {
        city_error_set(err, CITY_ERR_PARSE,
                       "%s:%d: mpc.gen has %d columns; it needs at least 8 (bus Pg Qg Qmax Qmin Vg mBase "
                       "status)",
                       path, (int)gen->row_line[0], (int)gen->cols);
        return CITY_ERR_PARSE;
    }
    if (br->rows && br->cols < 11) {
        city_error_set(err, CITY_ERR_PARSE,
                       "%s:%d: mpc.branch has %d columns; it needs at least 11 (fbus tbus r x b rateA rateB "
                       "rateC ratio angle status)",
                       path, (int)br->row_line[0], (int)br->cols);
        return CITY_ERR_PARSE;
    }
    return CITY_OK;
}

/* A power flow needs a source: a generator in service at a reference
 * (type 3) bus. MATPOWER would go on and report nonsense or fail deep in
 * its solver; the case is refused instead. */
static CityStatus check_source(const CityMpCase *mp, const char *path, CityError *err)
{
    const CityMpMatrix *bus = &mp->bus, *gen = &mp->gen;
    int32_t n_on = 0, n_ref = 0;
    for (int32_t r = 0; r < gen->rows; r++)
        n_on += at(gen, r, 8) > 0;
    for (int32_t r = 0; r < bus->rows; r++) {
        if (at(bus, r, 2) != 3)
            continue;
        n_ref++;
        for (int32_t k = 0; k < gen->rows; k++)
            if (at(gen, k, 8) > 0 && at(gen, k, 1) == at(bus, r, 1))
                return CITY_OK;
    }
    int line = gen->rows ? (int)gen->row_line[0] : bus->rows ? (int)bus->row_line[0] : 1;
    if (n_on == 0)
        city_error_set(err, CITY_ERR_PARSE,
                       "%s:%d: the case has no generator in service (mpc.gen has %d rows, none with status 1); a power "
                       "flow needs one at the reference bus",
                       path, line, (int)gen->rows);
    else if (n_ref == 0)
        city_error_set(err, CITY_ERR_PARSE,
                       "%s:%d: the case has no reference bus (no row of mpc.bus has type 3); make the bus of the main "
                       "generator type 3",
                       path, bus->rows ? (int)bus->row_line[0] : 1);
    else
        city_error_set(err, CITY_ERR_PARSE,
                       "%s:%d: no generator in service is at a reference (type 3) bus; add one there or make a "
                       "generator's bus type 3",
                       path, line);
    return CITY_ERR_PARSE;
}

static CityStatus add_buses(CityGrid *g, const CityMpMatrix *bus, const char *path, CityError *err)
{
    for (int32_t r = 0; r < bus->rows; r++) {
        int line = bus->row_line[r];
        double id = at(bus, r, 1), type = at(bus, r, 2);
        if (!whole(id) || id <= 0) {
            city_error_set(err, CITY_ERR_PARSE, "%s:%d: bus number %g must be a positive whole number", path, line, id);
            return CITY_ERR_PARSE;
        }
        if (!whole(type) || type < 1 || type > 4) {
            city_error_set(err, CITY_ERR_PARSE,
                           "%s:%d: bus %d has type %g; use 1 (PQ), 2 (PV), 3 (reference) or 4 (isolated)", path, line,
                           (int)id, type);
            return CITY_ERR_PARSE;
        }
        CityGridBus b = {0};
        b.id = (int32_t)id;
        b.type = (CityBusType)(int)type;
        b.pd_mw = at(bus, r, 3);
        b.qd_mvar = at(bus, r, 4);
        b.gs_mw = at(bus, r, 5);
        b.bs_mvar = at(bus, r, 6);
        b.vm_pu = at(bus, r, 8);
        b.va_deg = at(bus, r, 9);
        b.base_kv = at(bus, r, 10);
        CityStatus st = city_grid_add_bus(g, &b);
        if (st != CITY_OK) {
            return city_error_set(err, st, "%s:%d: %s", path, line, city_grid_error(g));
        }
    }
    return CITY_OK;
}

static CityStatus add_gens(CityGrid *g, const CityMpMatrix *gen, const char *path, CityError *err)
{
    for (int32_t r = 0; r < gen->rows; r++) {
        int line = gen->row_line[r];
        double bid = at(gen, r, 1);
        if (!whole(bid) || city_grid_bus_index(g, (int32_t)bid) < 0) {
            city_error_set(err, CITY_ERR_PARSE,
                           "%s:%d: generator row %d is at bus %g, which is not in mpc.bus; fix the bus number", path,
                           line, (int)r + 1, bid);
            return CITY_ERR_PARSE;
        }
        CityGridGen gg = {0};
        gg.bus = (int32_t)bid;
        gg.pg_mw = at(gen, r, 2);
        gg.qg_mvar = at(gen, r, 3);
        gg.qmax_mvar = at(gen, r, 4);
        gg.qmin_mvar = at(gen, r, 5);
        gg.vg_pu = at(gen, r, 6);
        gg.on = at(gen, r, 8) > 0;
        CityStatus st = city_grid_add_gen(g, &gg);
        if (st != CITY_OK) {
            return city_error_set(err, st, "%s:%d: %s", path, line, city_grid_error(g));
        }
    }
    return CITY_OK;
}

static CityStatus add_branches(CityGrid *g, const CityMpMatrix *br, const char *path, CityError *err)
{
    for (int32_t r = 0; r < br->rows; r++) {
        int line = br->row_line[r];
        double f = at(br, r, 1), t = at(br, r, 2);
        if (!whole(f) || !whole(t) || city_grid_bus_index(g, (int32_t)f) < 0 ||
            city_grid_bus_index(g, (int32_t)t) < 0) {
            city_error_set(err, CITY_ERR_PARSE,
                           "%s:%d: branch row %d connects bus %g to bus %g, but bus %g is not in mpc.bus; "
                           "fix the bus number",
                           path, line, (int)r + 1, f, t, whole(f) && city_grid_bus_index(g, (int32_t)f) >= 0 ? t : f);
            return CITY_ERR_PARSE;
        }
        CityGridBranch b = {0};
        b.id = r + 1;
        b.from_bus = (int32_t)f;
        b.to_bus = (int32_t)t;
        b.r_pu = at(br, r, 3);
        b.x_pu = at(br, r, 4);
        b.b_pu = at(br, r, 5);
        b.rate_mva = at(br, r, 6);
        b.ratio = at(br, r, 9);
        b.shift_deg = at(br, r, 10);
        b.closed = at(br, r, 11) > 0;
        b.kind = (b.ratio != 0 && b.ratio != 1) || b.shift_deg != 0 ? CITY_BRANCH_TRANSFORMER : CITY_BRANCH_LINE;
        if (!b.closed && b.r_pu == 0 && b.x_pu == 0)
            b.x_pu = 1e-6; /* an open branch never enters Ybus */
        CityStatus st = city_grid_add_branch(g, &b);
        if (st != CITY_OK) {
            return city_error_set(err, st, "%s:%d: %s", path, line, city_grid_error(g));
        }
    }
    return CITY_OK;
}

/* The checks and builders above set err's status and its one line. */
static CityStatus to_grid(const CityMpCase *mp, const char *path, CityGrid **out, CityError *err)
{
    CityStatus st = check_columns(mp, path, err);
    if (st == CITY_OK)
        st = check_source(mp, path, err);
    if (st != CITY_OK)
        return st;
    CityGrid *g = city_grid_create(mp->base_mva);
    if (!g) {
        city_error_set(err, CITY_ERR_NOMEM, "%s: out of memory", path);
        return CITY_ERR_NOMEM;
    }
    st = add_buses(g, &mp->bus, path, err);
    if (st == CITY_OK)
        st = add_gens(g, &mp->gen, path, err);
    if (st == CITY_OK)
        st = add_branches(g, &mp->branch, path, err);
    if (st != CITY_OK) {
        city_grid_destroy(g);
        err->status = st == CITY_ERR_NOMEM ? st : CITY_ERR_PARSE;
        return err->status;
    }
    *out = g;
    return CITY_OK;
}

CityStatus city_matpower_to_grid(const CityMpCase *mp, const char *path, CityGrid **out, CityError *err)
{
    *out = NULL;
    CityError local;
    err = err ? err : &local;
    city_error_clear(err);
    return to_grid(mp, path, out, err);
}
