/* SUMO polygon reader and the UTM projection geo shapes need. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "city_array.h"
#include "city_sumo_poly.h"
#include "sumo_xml.h"

/* ---- projection ------------------------------------------------------------- */

/* Transverse Mercator on WGS84 (Snyder, Map Projections: A Working Manual,
 * USGS PP 1395, eqs. 8-9 to 8-10); millimetre-level inside a zone. */
static void utm_forward(int zone, bool south, double lon_deg, double lat_deg, double *e, double *n)
{
    const double a = 6378137.0, f = 1.0 / 298.257223563, k0 = 0.9996;
    double e2 = f * (2 - f), ep2 = e2 / (1 - e2), e4 = e2 * e2, e6 = e4 * e2;
    double phi = lat_deg * M_PI / 180.0, lam = lon_deg * M_PI / 180.0;
    double lam0 = (zone * 6.0 - 183.0) * M_PI / 180.0;
    double s = sin(phi), c = cos(phi), t = tan(phi);
    double N = a / sqrt(1 - e2 * s * s), T = t * t, C = ep2 * c * c, A = c * (lam - lam0);
    double M = a * ((1 - e2 / 4 - 3 * e4 / 64 - 5 * e6 / 256) * phi -
                    (3 * e2 / 8 + 3 * e4 / 32 + 45 * e6 / 1024) * sin(2 * phi) +
                    (15 * e4 / 256 + 45 * e6 / 1024) * sin(4 * phi) - (35 * e6 / 3072) * sin(6 * phi));
    double A2 = A * A, A3 = A2 * A, A4 = A3 * A, A5 = A4 * A, A6 = A5 * A;
    *e = k0 * N * (A + (1 - T + C) * A3 / 6 + (5 - 18 * T + T * T + 72 * C - 58 * ep2) * A5 / 120) + 500000.0;
    *n = k0 * (M + N * t *
                       (A2 / 2 + (5 - T + 9 * C + 4 * C * C) * A4 / 24 +
                        (61 - 58 * T + T * T + 600 * C - 330 * ep2) * A6 / 720));
    if (south)
        *n += 10000000.0;
}

void city_sumo_geo_to_local(const CitySumoLocation *loc, double lon, double lat, double *x, double *y)
{
    double e, n;
    utm_forward(loc->utm_zone, loc->south, lon, lat, &e, &n);
    *x = e + loc->off_x;
    *y = n + loc->off_y;
}

/* ---- <location> ---------------------------------------------------------------- */

typedef struct LocCtx {
    SumoParse p;
    CitySumoLocation *loc;
    bool found;
} LocCtx;

static void loc_start(void *ud, const XML_Char *name, const XML_Char **attr)
{
    LocCtx *c = ud;
    if (strcmp(name, "location") != 0)
        return;
    c->found = true;
    for (int i = 0; attr[i]; i += 2) {
        if (!strcmp(attr[i], "netOffset"))
            sscanf(attr[i + 1], "%lf,%lf", &c->loc->off_x, &c->loc->off_y);
        else if (!strcmp(attr[i], "projParameter")) {
            const char *z = strstr(attr[i + 1], "+zone=");
            if (strstr(attr[i + 1], "+proj=utm") && z) {
                c->loc->utm_zone = atoi(z + 6);
                c->loc->has_utm = c->loc->utm_zone >= 1 && c->loc->utm_zone <= 60;
            }
            c->loc->south = strstr(attr[i + 1], "+south") != NULL;
        }
    }
    XML_StopParser(c->p.parser, XML_FALSE); /* all it needs: the rest of the file is not read */
}

CityStatus city_sumo_location_read(const char *path, CitySumoLocation *loc, CityError *err)
{
    memset(loc, 0, sizeof *loc);
    LocCtx c = {.loc = loc};
    sumo_parse_init(&c.p, path, "network", err);
    CityStatus st = sumo_parse_file(&c.p, loc_start, NULL, &c);
    if (st == CITY_OK && !c.found) {
        sumo_fail_file(&c.p, CITY_ERR_PARSE, "no <location> element; geo polygons need a network with a projection");
        st = CITY_ERR_PARSE;
    }
    return st;
}

/* ---- polygons ------------------------------------------------------------------ */

typedef struct PolyCtx {
    SumoParse p;
    const CitySumoLocation *loc; /* NULL when no shape may be geo */
    const char *types;           /* wanted types, comma-separated; NULL or "" for all */
    CityPolySet *set;            /* where polygons go */
} PolyCtx;

static bool type_wanted(const char *types, const char *type)
{
    if (!types || !types[0])
        return true;
    size_t n = strlen(type);
    for (const char *p = types; *p;) {
        const char *e = strchr(p, ',');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == n && !strncmp(p, type, n))
            return true;
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}

static void poly_start(void *ud, const XML_Char *name, const XML_Char **attr)
{
    PolyCtx *c = ud;
    if (c->p.status != CITY_OK || strcmp(name, "poly") != 0)
        return;
    const char *id = NULL, *type = "", *shape = NULL;
    bool geo = false;
    for (int i = 0; attr[i]; i += 2) {
        if (!strcmp(attr[i], "id"))
            id = attr[i + 1];
        else if (!strcmp(attr[i], "type"))
            type = attr[i + 1];
        else if (!strcmp(attr[i], "shape"))
            shape = attr[i + 1];
        else if (!strcmp(attr[i], "geo"))
            geo = !strcmp(attr[i + 1], "1") || !strcmp(attr[i + 1], "true");
    }
    if (!id || !shape) {
        sumo_fail(&c->p, CITY_ERR_PARSE, "a <poly> needs both id and shape attributes");
        return;
    }
    if (!type_wanted(c->types, type))
        return;
    if (geo && (!c->loc || !c->loc->has_utm)) {
        sumo_fail(&c->p, CITY_ERR_INVALID,
                  "polygon '%s' has geo coordinates (lon,lat); also name the network whose "
                  "<location> (UTM zone and netOffset) converts them to local metres",
                  id);
        return;
    }
    CityPolySet *s = c->set;
    if (!city_array_grow((void **)&s->poly, &s->cap, s->n + 1, sizeof *s->poly)) {
        sumo_fail(&c->p, CITY_ERR_NOMEM, "out of memory");
        return;
    }
    CityPolygon poly = {0};
    poly.first = s->n_pts;
    poly.line = (int32_t)XML_GetCurrentLineNumber(c->p.parser);
    const char *p = shape;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            break;
        char *end;
        double x = strtod(p, &end);
        if (end == p || *end != ',') {
            sumo_fail(&c->p, CITY_ERR_PARSE, "polygon '%s': shape must be 'x,y x,y ...'; found '%.20s'", id, p);
            return;
        }
        p = end + 1;
        double y = strtod(p, &end);
        if (end == p || !isfinite(x) || !isfinite(y)) {
            sumo_fail(&c->p, CITY_ERR_PARSE, "polygon '%s': shape must be 'x,y x,y ...'; found '%.20s'", id, p);
            return;
        }
        p = end;
        if (geo)
            city_sumo_geo_to_local(c->loc, x, y, &x, &y);
        if (!city_array_grow((void **)&s->xy, &s->cap_pts, s->n_pts + 1, 2 * sizeof *s->xy)) {
            sumo_fail(&c->p, CITY_ERR_NOMEM, "out of memory");
            return;
        }
        s->xy[2 * s->n_pts] = x;
        s->xy[2 * s->n_pts + 1] = y;
        s->n_pts++;
        poly.n++;
    }
    if (poly.n < 3) {
        sumo_fail(&c->p, CITY_ERR_PARSE, "polygon '%s' has fewer than 3 points; a footprint needs at least 3", id);
        return;
    }
    /* shoelace area and centroid, relative to the first point for precision */
    const double *xy = s->xy + 2 * poly.first;
    double x0 = xy[0], y0 = xy[1], a2 = 0, cx = 0, cy = 0, mx = 0, my = 0;
    for (int32_t i = 0; i < poly.n; i++) {
        int32_t j = (i + 1) % poly.n;
        double xi = xy[2 * i] - x0, yi = xy[2 * i + 1] - y0, xj = xy[2 * j] - x0, yj = xy[2 * j + 1] - y0;
        double cr = xi * yj - xj * yi;
        a2 += cr;
        cx += (xi + xj) * cr;
        cy += (yi + yj) * cr;
        mx += xi;
        my += yi;
    }
    poly.area_m2 = fabs(a2) / 2.0;
    if (fabs(a2) > 1e-12) {
        poly.cx_m = x0 + cx / (3.0 * a2);
        poly.cy_m = y0 + cy / (3.0 * a2);
    } else {
        poly.cx_m = x0 + mx / poly.n;
        poly.cy_m = y0 + my / poly.n;
    }
    poly.id = city_strdup(id);
    poly.type = city_strdup(type);
    if (!poly.id || !poly.type) {
        free(poly.id);
        free(poly.type);
        sumo_fail(&c->p, CITY_ERR_NOMEM, "out of memory");
        return;
    }
    s->poly[s->n++] = poly;
}

CityStatus city_sumo_poly_read(const char *path, const CitySumoLocation *loc, const char *types, CityPolySet *out,
                               CityError *err)
{
    memset(out, 0, sizeof *out);
    PolyCtx c = {.loc = loc, .types = types, .set = out};
    sumo_parse_init(&c.p, path, "polygon file", err);
    CityStatus st = sumo_parse_file(&c.p, poly_start, NULL, &c);
    if (st != CITY_OK)
        city_poly_set_free(out);
    return st;
}

void city_poly_set_free(CityPolySet *s)
{
    for (int32_t i = 0; i < s->n; i++) {
        free(s->poly[i].id);
        free(s->poly[i].type);
    }
    free(s->poly);
    free(s->xy);
    memset(s, 0, sizeof *s);
}
