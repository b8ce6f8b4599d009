/* Checkpoint files: a header (magic, format version, byte order, citylab
 * version, the scenario, its seed, tick length and parameters), the world,
 * the scenario's Lua state, the caller's block, and a checksum. A file
 * from another version or format is refused: the layout of a subsystem's
 * state is not promised from one version to the next. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "city_text.h"
#include "scenario_internal.h"

#define CKPT_MAGIC "CITYCKPT"
/* 2: OD pairs' trips still to leave; 3: no per-lane halting counts; 4: 16-bit
 * vehicle types, step records, a controller's pending wake_on / wake_at;
 * 5: records saved whole have no holes (the same run, the same bytes);
 * 6: the road's count of lane swaps; 7: no cached good lanes (RoadGood);
 * 8: arrivals keep their lane and position, not the point */
#define CKPT_FORMAT 8u
#define CKPT_ORDER 0x01020304u
#define CHECKPOINT_MAX_BYTES ((size_t)1 << 30) /* a larger file is not a checkpoint */

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t source_hash(const CityScenario *sc)
{
    uint64_t h = 14695981039346656037ull;
    if (!sc->path[0])
        return h;
    FILE *f = fopen(sc->path, "rb");
    if (!f)
        return 0;
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        h = fnv1a(buf, n, h);
    fclose(f);
    return h;
}

static void write_header(const CityScenario *sc, CityStateWriter *w)
{
    city_state_put_array(w, CKPT_MAGIC, 8, 1);
    city_state_put_u32(w, CKPT_FORMAT);
    uint32_t order = CKPT_ORDER; /* raw: tells the byte order of raw arrays */
    city_state_put_array(w, &order, 1, sizeof order);
    city_state_put_str(w, CITY_VERSION_STRING);
    city_state_put_str(w, sc->path);
    city_state_put_u64(w, source_hash(sc));
    city_state_put_u64(w, city_world_seed(sc->world));
    city_state_put_i64(w, city_world_dt_ms(sc->world));
    city_state_put_i64(w, city_world_tick(sc->world));
    size_t n = 0;
    for (size_t i = 0; i < sc->n_params; i++)
        n += sc->params[i].given;
    city_state_put_u64(w, n);
    for (size_t i = 0; i < sc->n_params; i++) {
        if (!sc->params[i].given)
            continue;
        char kv[1024];
        snprintf(kv, sizeof kv, "%s=%s", sc->params[i].name, sc->params[i].value);
        city_state_put_str(w, kv);
    }
}

CityStatus city_scenario_save(CityScenario *sc, const char *path, const void *extra, size_t extra_len)
{
    CityStateWriter w = {0};
    write_header(sc, &w);
    CityStatus st = city_world_save(sc->world, &w);
    if (st == CITY_OK)
        st = city_lua_state_save(sc, &w);
    if (st == CITY_OK) {
        city_state_put_tag(&w, "XTRA");
        city_state_put_array(&w, extra, extra ? extra_len : 0, 1);
        city_state_put_u64(&w, fnv1a(w.data, w.len, 14695981039346656037ull));
        if (w.oom)
            st = city_world_fail(sc->world, CITY_ERR_NOMEM, "out of memory writing the checkpoint");
    }
    if (st != CITY_OK) {
        char msg[CITY_ERROR_MAX];
        snprintf(msg, sizeof msg, "%s", city_world_error(sc->world));
        city_state_writer_free(&w);
        return city_world_fail(sc->world, st, "%s: checkpoint not written: %s", path, msg);
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.partial-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(w.data, 1, w.len, f) == w.len;
    ok = f && fclose(f) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    city_state_writer_free(&w);
    if (!ok) {
        unlink(tmp);
        return city_world_fail(sc->world, CITY_ERR_IO, "%s: cannot write the checkpoint (%s); choose another path",
                               path, strerror(errno));
    }
    return CITY_OK;
}

static uint8_t *read_whole(const char *path, size_t *len, CityError *err)
{
    char *buf = city_file_read(path, CHECKPOINT_MAX_BYTES, len);
    if (!buf)
        city_error_set(err, CITY_ERR_INVALID, "%s: cannot read the checkpoint (%s)", path,
                       errno == EFBIG ? "over 1 GiB: not a checkpoint" : strerror(errno));
    return (uint8_t *)buf;
}

/* Checks magic, format, byte order, version and checksum; fills info. */
static bool read_header(CityStateReader *r, const char *path, CityCheckpointInfo *info, CityError *err)
{
    memset(info, 0, sizeof *info);
    char magic[8];
    uint64_t sum = 0;
    if (r->len >= 8)
        memcpy(&sum, r->data + r->len - 8, 8);
    if (r->len < 32 || !city_state_get_array(r, magic, 8, 1, "magic") || memcmp(magic, CKPT_MAGIC, 8) != 0) {
        city_error_set(err, CITY_ERR_INVALID,
                       "%s: not a citylab checkpoint (written by citylab run --save-state FILE --at S)", path);
        return false;
    }
    uint32_t format = city_state_get_u32(r), order = 0;
    city_state_get_array(r, &order, 1, sizeof order, "byte order");
    char *version = city_state_get_str(r);
    snprintf(info->version, sizeof info->version, "%s", version ? version : "?");
    free(version);
    if (format != CKPT_FORMAT || strcmp(info->version, CITY_VERSION_STRING) != 0 || order != CKPT_ORDER) {
        city_error_set(err, CITY_ERR_INVALID,
                       "%s: checkpoint from citylab %s (format %u%s); this is citylab %s (format %u): a checkpoint "
                       "restores only in the version that wrote it; run the scenario again from the start",
                       path, info->version, format, order != CKPT_ORDER ? ", other byte order" : "",
                       CITY_VERSION_STRING, CKPT_FORMAT);
        return false;
    }
    uint64_t h = 0;
    memcpy(&h, r->data + r->len - 8, 8);
    (void)sum;
    if (fnv1a(r->data, r->len - 8, 14695981039346656037ull) != h) {
        city_error_set(err, CITY_ERR_INVALID, "%s: the checkpoint is damaged (checksum mismatch); write it again",
                       path);
        return false;
    }
    char *scenario = city_state_get_str(r);
    snprintf(info->scenario, sizeof info->scenario, "%s", scenario ? scenario : "");
    free(scenario);
    info->source_hash = city_state_get_u64(r);
    info->seed = city_state_get_u64(r);
    info->dt_ms = (int32_t)city_state_get_i64(r);
    info->tick = city_state_get_i64(r);
    uint64_t n = city_state_get_u64(r);
    if (!r->bad && n < 4096 && (info->params = calloc((size_t)n + 1, sizeof *info->params)))
        for (uint64_t i = 0; i < n && !r->bad; i++)
            info->params[info->n_params++] = city_state_get_str(r);
    info->body_at = r->pos;
    if (r->bad) {
        city_error_set(err, CITY_ERR_INVALID, "%s: damaged checkpoint header: %s", path, r->error);
        return false;
    }
    return true;
}

void city_checkpoint_info_free(CityCheckpointInfo *info)
{
    for (size_t i = 0; i < info->n_params; i++)
        free(info->params[i]);
    free(info->params);
    info->params = NULL;
    info->n_params = 0;
}

CityStatus city_checkpoint_peek(const char *path, CityCheckpointInfo *info, CityError *err)
{
    size_t len;
    uint8_t *data = read_whole(path, &len, err);
    memset(info, 0, sizeof *info);
    if (!data)
        return CITY_ERR_IO;
    CityStateReader r = {data, len, 0, false, ""};
    bool ok = read_header(&r, path, info, err);
    free(data);
    if (!ok)
        city_checkpoint_info_free(info);
    return ok ? CITY_OK : CITY_ERR_INVALID;
}

CityStatus city_scenario_restore(CityScenario *sc, const char *path, void **extra, size_t *extra_len)
{
    CityError e = {0}, *err = &e;
    *extra = NULL;
    *extra_len = 0;
    size_t len;
    uint8_t *data = read_whole(path, &len, err);
    if (!data)
        return city_world_fail(sc->world, CITY_ERR_IO, "%s", e.msg);
    CityStateReader r = {data, len - (len >= 8 ? 8 : 0), 0, false, ""};
    CityCheckpointInfo info;
    CityStateReader whole = {data, len, 0, false, ""};
    bool ok = read_header(&whole, path, &info, err);
    r.pos = whole.pos;
    if (ok && info.source_hash != source_hash(sc)) {
        city_error_set(err, CITY_ERR_INVALID,
                       "%s: the scenario file %s changed since the checkpoint was taken; run it from the start", path,
                       sc->path[0] ? sc->path : sc->name);
        ok = false;
    }
    city_checkpoint_info_free(&info);
    CityStatus st = ok ? city_world_load(sc->world, &r) : CITY_ERR_INVALID;
    if (ok && st == CITY_OK)
        st = city_lua_state_load(sc, &r);
    if (ok && st == CITY_OK) {
        city_state_expect_tag(&r, "XTRA");
        *extra = city_state_get_alloc(&r, extra_len, 1);
        if (r.bad || r.pos != r.len) {
            st = CITY_ERR_PARSE;
            city_world_fail(sc->world, st, "%s", r.bad ? r.error : "trailing bytes after the last section");
        }
    }
    if (!ok)
        city_world_fail(sc->world, st, "%s", e.msg);
    else if (st != CITY_OK) {
        char msg[CITY_ERROR_MAX];
        snprintf(msg, sizeof msg, "%s", city_world_error(sc->world));
        city_world_fail(sc->world, st, "%s: cannot restore: %s", path, msg);
    }
    free(data);
    if (st != CITY_OK) {
        free(*extra);
        *extra = NULL;
        *extra_len = 0;
    }
    return st;
}
