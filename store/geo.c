/*
 * geo.c -- the Geo commands, on sorted sets, as Redis 7.0 has them.
 *
 * A point is a member whose score is its 52-bit geohash: longitude
 * (-180..180) and latitude (-85.05112878..85.05112878, Web Mercator's
 * limits) each cut into 2^26 steps, their bits interleaved (latitude in
 * the even bits). Reading a point back gives the center of its cell.
 * Distances are haversine on a sphere of 6372797.560856 m.
 *
 * A search (GEOSEARCH, GEORADIUS...) does what Redis does, so that it
 * finds the same points in the same order: pick a geohash precision from
 * the radius, take the cell of the center and its 8 neighbours (dropping
 * the ones the shape cannot reach), read each cell's score range of the
 * sorted set and keep the points really inside the circle or box.
 *
 * GEOADD is run as the ZADD it amounts to, and logged as that ZADD;
 * the STORE forms are logged as the command itself.
 */
/*
 * No fused multiply-add: the cell centers and distances must round as
 * in Redis's build, to the last bit (-march=native would contract).
 */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#else
#pragma GCC optimize("fp-contract=off")
#endif

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "kv_private.h"

#define GEO_STEP_MAX 26
#define GEO_LAT_MIN (-85.05112878)
#define GEO_LAT_MAX 85.05112878
#define GEO_LONG_MIN (-180.0)
#define GEO_LONG_MAX 180.0
#define GEO_EARTH_RADIUS 6372797.560856
#define GEO_MERCATOR_MAX 20037726.37
#define GEO_D_R (M_PI / 180.0)

/* A geohash: bits, of which 2 * step are used. */
struct geo_hash {
	uint64_t bits;
	uint8_t step;
};

/* An interval of one coordinate. */
struct geo_range {
	double min, max;
};

/* The cell of a geohash. */
struct geo_area {
	struct geo_range lon, lat;
};

/* geo_deg_rad / geo_rad_deg -- degrees to radians and back. */
static inline double
geo_deg_rad(double a)
{
	return a * GEO_D_R;
}

static inline double
geo_rad_deg(double a)
{
	return a / GEO_D_R;
}

/* geo_interleave -- x in the even bits, y in the odd bits. */
static uint64_t
geo_interleave(uint32_t x, uint32_t y)
{
	uint64_t r = 0;

	for (int i = 0; i < 32; i++)
		r |= (uint64_t)((x >> i) & 1) << (2 * i) |
		     (uint64_t)((y >> i) & 1) << (2 * i + 1);
	return r;
}

/* geo_deinterleave -- the inverse: x in the low 32 bits, y above. */
static uint64_t
geo_deinterleave(uint64_t v)
{
	uint32_t x = 0, y = 0;

	for (int i = 0; i < 32; i++) {
		x |= (uint32_t)((v >> (2 * i)) & 1) << i;
		y |= (uint32_t)((v >> (2 * i + 1)) & 1) << i;
	}
	return (uint64_t)x | (uint64_t)y << 32;
}

/*
 * geo_encode -- the geohash of a point at a precision, within the given
 * ranges; false if the point is out of them or of the WGS84 limits.
 */
static bool
geo_encode(struct geo_range lon_r, struct geo_range lat_r, double lon,
	   double lat, uint8_t step, struct geo_hash *h)
{
	if (step > 32 || step == 0 || lon > GEO_LONG_MAX ||
	    lon < GEO_LONG_MIN || lat > GEO_LAT_MAX || lat < GEO_LAT_MIN)
		return false;
	if (lat < lat_r.min || lat > lat_r.max || lon < lon_r.min ||
	    lon > lon_r.max)
		return false;
	double lat_off = (lat - lat_r.min) / (lat_r.max - lat_r.min);
	double lon_off = (lon - lon_r.min) / (lon_r.max - lon_r.min);

	lat_off *= (double)(1ULL << step);
	lon_off *= (double)(1ULL << step);
	h->bits = geo_interleave((uint32_t)lat_off, (uint32_t)lon_off);
	h->step = step;
	return true;
}

/* The WGS84 ranges every stored hash uses. */
static const struct geo_range geo_lon_range = { GEO_LONG_MIN, GEO_LONG_MAX };
static const struct geo_range geo_lat_range = { GEO_LAT_MIN, GEO_LAT_MAX };

/* geo_decode -- the cell of a geohash. */
static void
geo_decode(struct geo_range lon_r, struct geo_range lat_r,
	   struct geo_hash h, struct geo_area *a)
{
	uint64_t sep = geo_deinterleave(h.bits);
	double lat_scale = lat_r.max - lat_r.min;
	double lon_scale = lon_r.max - lon_r.min;
	uint32_t ilat = (uint32_t)sep, ilon = (uint32_t)(sep >> 32);
	double div = (double)(1ULL << h.step);

	a->lat.min = lat_r.min + (ilat * 1.0 / div) * lat_scale;
	a->lat.max = lat_r.min + ((ilat + 1) * 1.0 / div) * lat_scale;
	a->lon.min = lon_r.min + (ilon * 1.0 / div) * lon_scale;
	a->lon.max = lon_r.min + ((ilon + 1) * 1.0 / div) * lon_scale;
}

/*
 * score_bits -- a score as the hash Redis reads from it: Redis casts the
 * double as is, undefined in C outside 0..2^64. Its x86-64 build gives 0
 * for scores of 2^64 and more (inf too), wraps a negative score in
 * int64's range as an int64, and gives 2^63 below that (-inf too); the
 * same here, defined (GEOPOS of such members matches redis-server's).
 */
static uint64_t
score_bits(double score)
{
	if (score >= 0)
		return score < 18446744073709551616.0 ? (uint64_t)score : 0;
	if (score >= -9223372036854775808.0)
		return (uint64_t)(int64_t)score;
	return 1ULL << 63;
}

/* geo_score_decode -- the point (center of its cell) a score stands for. */
static void
geo_score_decode(double score, double xy[2])
{
	struct geo_hash h = { score_bits(score), GEO_STEP_MAX };
	struct geo_area a;

	geo_decode(geo_lon_range, geo_lat_range, h, &a);
	xy[0] = (a.lon.min + a.lon.max) / 2;
	if (xy[0] > GEO_LONG_MAX)
		xy[0] = GEO_LONG_MAX;
	if (xy[0] < GEO_LONG_MIN)
		xy[0] = GEO_LONG_MIN;
	xy[1] = (a.lat.min + a.lat.max) / 2;
	if (xy[1] > GEO_LAT_MAX)
		xy[1] = GEO_LAT_MAX;
	if (xy[1] < GEO_LAT_MIN)
		xy[1] = GEO_LAT_MIN;
}

/* geo_lat_distance -- meters between two latitudes on a meridian. */
static double
geo_lat_distance(double lat1, double lat2)
{
	return GEO_EARTH_RADIUS * fabs(geo_deg_rad(lat2) - geo_deg_rad(lat1));
}

/* geo_distance -- haversine distance in meters, as Redis computes it. */
static double
geo_distance(double lon1, double lat1, double lon2, double lat2)
{
	double lon1r = geo_deg_rad(lon1), lon2r = geo_deg_rad(lon2);
	double v = sin((lon2r - lon1r) / 2);

	if (v == 0.0)
		return geo_lat_distance(lat1, lat2);
	double lat1r = geo_deg_rad(lat1), lat2r = geo_deg_rad(lat2);
	double u = sin((lat2r - lat1r) / 2);
	double a = u * u + cos(lat1r) * cos(lat2r) * v * v;

	return 2.0 * GEO_EARTH_RADIUS * asin(sqrt(a));
}

/* Argument parsing. */

/* geo_str2d -- Redis's getDoubleFromObject: strtod of the whole string. */
static bool
geo_str2d(const struct kv_arg *a, double *out)
{
	char buf[128], *p = buf, *end;
	bool ok;

	if (a->len == 0 || a->ptr[0] == ' ' || (a->ptr[0] >= '\t' &&
						 a->ptr[0] <= '\r'))
		return false;
	if (a->len >= sizeof(buf) && (p = malloc(a->len + 1)) == NULL)
		return false;
	memcpy(p, a->ptr, a->len);
	p[a->len] = '\0';
	errno = 0;
	*out = strtod(p, &end);
	ok = *end == '\0' && (size_t)(end - p) == a->len && !isnan(*out) &&
	     !(errno == ERANGE && (*out == HUGE_VAL || *out == -HUGE_VAL ||
				   *out == 0));
	if (p != buf)
		free(p);
	return ok;
}

/* geo_lonlat_or_reply -- a longitude,latitude pair at a[0], a[1]. */
static bool
geo_lonlat_or_reply(struct kv_req *r, const struct kv_arg *a, double xy[2])
{
	for (int i = 0; i < 2; i++)
		if (!geo_str2d(&a[i], &xy[i])) {
			kv_reply_error(r->c, "ERR value is not a valid float");
			return false;
		}
	if (xy[0] < GEO_LONG_MIN || xy[0] > GEO_LONG_MAX ||
	    xy[1] < GEO_LAT_MIN || xy[1] > GEO_LAT_MAX) {
		kv_reply_error(r->c, "ERR invalid longitude,latitude pair "
			       "%f,%f", xy[0], xy[1]);
		return false;
	}
	return true;
}

/* geo_unit_or_reply -- meters in a unit (m km ft mi), or -1. */
static double
geo_unit_or_reply(struct kv_req *r, const struct kv_arg *a)
{
	if (kv_arg_is(a, "m"))
		return 1;
	if (kv_arg_is(a, "km"))
		return 1000;
	if (kv_arg_is(a, "ft"))
		return 0.3048;
	if (kv_arg_is(a, "mi"))
		return 1609.34;
	kv_reply_error(r->c, "ERR unsupported unit provided. please use M, "
		       "KM, FT, MI");
	return -1;
}

/* geo_member_point -- the point of a member; false if absent. */
static bool
geo_member_point(const struct kv_entry *e, const struct kv_arg *m,
		 double xy[2])
{
	double score;

	if (!kv_zset_score(e, m->ptr, m->len, &score))
		return false;
	geo_score_decode(score, xy);
	return true;
}

/* Replies. */

/* geo_reply_coord -- a coordinate as Redis's addReplyHumanLongDouble. */
static void
geo_reply_coord(struct kv_client *c, double v)
{
	char buf[256];
	int n = kv_ld2str(buf, sizeof(buf), (long double)v);

	kv_reply_bulk(c, buf, (size_t)n);
}

/* geo_reply_dist -- a distance with 4 decimals (addReplyDoubleDistance). */
static void
geo_reply_dist(struct kv_client *c, double d)
{
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "%.4f", d);

	kv_reply_bulk(c, buf, (size_t)n);
}

/* GEOADD, GEOPOS, GEODIST, GEOHASH. */

/*
 * cmd_geoadd -- check the points, then run (and log) the ZADD with
 * their hashes as scores, as Redis does.
 */
void
cmd_geoadd(struct kv_req *r)
{
	int li = 2;
	bool nx = false, xx = false;

	for (; li < r->argc; li++) {
		if (kv_arg_is(&r->argv[li], "nx"))
			nx = true;
		else if (kv_arg_is(&r->argv[li], "xx"))
			xx = true;
		else if (!kv_arg_is(&r->argv[li], "ch"))
			break;
	}
	if ((r->argc - li) % 3 != 0 || (nx && xx)) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	int n = (r->argc - li) / 3;
	int argc = li + 2 * n;
	struct kv_arg *argv = malloc(sizeof(*argv) * (size_t)argc);
	char (*scores)[32] = malloc(sizeof(*scores) * (size_t)(n + 1));

	if (argv == NULL || scores == NULL) {
		free(argv);
		free(scores);
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	argv[0].ptr = "ZADD";
	argv[0].len = 4;
	for (int i = 1; i < li; i++)
		argv[i] = r->argv[i];
	for (int i = 0; i < n; i++) {
		double xy[2];
		struct geo_hash h;
		if (!geo_lonlat_or_reply(r, &r->argv[li + 3 * i], xy))
			goto out;
		geo_encode(geo_lon_range, geo_lat_range, xy[0], xy[1],
			   GEO_STEP_MAX, &h);
		int len = kv_ll2str(scores[i], sizeof(scores[i]),
				    (long long)h.bits);
		argv[li + 2 * i].ptr = scores[i];
		argv[li + 2 * i].len = (size_t)len;
		argv[li + 2 * i + 1] = r->argv[li + 3 * i + 2];
	}
	struct kv_req z = *r;
	z.argc = argc;
	z.argv = argv;
	cmd_zadd(&z);
out:
	free(argv);
	free(scores);
}

/* cmd_geopos -- the point of each member, or a null array. */
void
cmd_geopos(struct kv_req *r)
{
	struct kv_entry *e = kv_lookup(r->s, r->c->db, r->argv[1].ptr,
				       r->argv[1].len, true);

	if (!kv_check_type_or_reply(r, e, KV_TYPE_ZSET))
		return;
	kv_reply_array(r->c, r->argc - 2);
	for (int i = 2; i < r->argc; i++) {
		double xy[2];
		if (e == NULL || !geo_member_point(e, &r->argv[i], xy)) {
			kv_reply_null_array(r->c);
			continue;
		}
		kv_reply_array(r->c, 2);
		geo_reply_coord(r->c, xy[0]);
		geo_reply_coord(r->c, xy[1]);
	}
}

/* cmd_geodist -- the distance between two members, in a unit. */
void
cmd_geodist(struct kv_req *r)
{
	double to_meter = 1, a[2], b[2];

	if (r->argc == 5) {
		if ((to_meter = geo_unit_or_reply(r, &r->argv[4])) < 0)
			return;
	} else if (r->argc > 5) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	struct kv_entry *e = kv_lookup(r->s, r->c->db, r->argv[1].ptr,
				       r->argv[1].len, true);
	if (e == NULL) {
		kv_reply_null(r->c);
		return;
	}
	if (!kv_check_type_or_reply(r, e, KV_TYPE_ZSET))
		return;
	if (!geo_member_point(e, &r->argv[2], a) ||
	    !geo_member_point(e, &r->argv[3], b)) {
		kv_reply_null(r->c);
		return;
	}
	geo_reply_dist(r->c, geo_distance(a[0], a[1], b[0], b[1]) / to_meter);
}

/*
 * cmd_geohash -- each member's standard 11-character geohash: its point
 * encoded again on the -90..90 latitude range.
 */
void
cmd_geohash(struct kv_req *r)
{
	static const char alphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
	static const struct geo_range lat_std = { -90, 90 };
	struct kv_entry *e = kv_lookup(r->s, r->c->db, r->argv[1].ptr,
				       r->argv[1].len, true);

	if (!kv_check_type_or_reply(r, e, KV_TYPE_ZSET))
		return;
	kv_reply_array(r->c, r->argc - 2);
	for (int i = 2; i < r->argc; i++) {
		double xy[2];
		struct geo_hash h;
		char buf[11];
		if (e == NULL || !geo_member_point(e, &r->argv[i], xy)) {
			kv_reply_null(r->c);
			continue;
		}
		if (!geo_encode(geo_lon_range, lat_std, xy[0], xy[1],
				GEO_STEP_MAX, &h)) {
			kv_reply_null(r->c);
			continue;
		}
		for (int j = 0; j < 11; j++) {
			int idx = j == 10 ? 0 :
				  (int)((h.bits >> (52 - (j + 1) * 5)) & 0x1f);
			buf[j] = alphabet[idx];
		}
		kv_reply_bulk(r->c, buf, sizeof(buf));
	}
}

/* Searches. */

/* The shape searched: a circle or a box (sizes in the unit given). */
struct geo_shape {
	bool box;
	double xy[2];           /* center */
	double conversion;      /* meters in the unit */
	double radius;          /* circle */
	double width, height;   /* box */
};

/* A point found. */
struct geo_point {
	double lon, lat, dist, score;
	const char *m;
	size_t len;
};

/* What a search collects. */
struct geo_found {
	const struct geo_shape *shape;
	struct geo_point *v;
	size_t n, cap;
	long long limit;        /* ANY: stop after this many; 0 none */
	bool oom;
};

/*
 * geo_steps -- the precision whose cells are about as wide as the
 * radius (fewer bits near the poles), as Redis estimates it.
 */
static uint8_t
geo_steps(double range, double lat)
{
	int step = 1;

	if (range == 0)
		return GEO_STEP_MAX;
	while (range < GEO_MERCATOR_MAX) {
		range *= 2;
		step++;
	}
	step -= 2;
	if (lat > 66 || lat < -66) {
		step--;
		if (lat > 80 || lat < -80)
			step--;
	}
	if (step < 1)
		step = 1;
	if (step > GEO_STEP_MAX)
		step = GEO_STEP_MAX;
	return (uint8_t)step;
}

/*
 * geo_bounds -- the longitude/latitude box around the shape: min lon,
 * min lat, max lon, max lat.
 */
static void
geo_bounds(const struct geo_shape *sh, double b[4])
{
	double lon = sh->xy[0], lat = sh->xy[1];
	double height = sh->conversion *
			(sh->box ? sh->height / 2 : sh->radius);
	double width = sh->conversion *
		       (sh->box ? sh->width / 2 : sh->radius);
	double lat_delta = geo_rad_deg(height / GEO_EARTH_RADIUS);
	double top = geo_rad_deg(width / GEO_EARTH_RADIUS /
				 cos(geo_deg_rad(lat + lat_delta)));
	double bottom = geo_rad_deg(width / GEO_EARTH_RADIUS /
				    cos(geo_deg_rad(lat - lat_delta)));
	bool south = lat < 0;

	b[0] = south ? lon - bottom : lon - top;
	b[2] = south ? lon + bottom : lon + top;
	b[1] = lat - lat_delta;
	b[3] = lat + lat_delta;
}

/* geo_move_x / geo_move_y -- the next cell east/west, north/south. */
static void
geo_move_x(struct geo_hash *h, int d)
{
	uint64_t x = h->bits & 0xaaaaaaaaaaaaaaaaULL;
	uint64_t y = h->bits & 0x5555555555555555ULL;
	uint64_t zz = 0x5555555555555555ULL >> (64 - h->step * 2);

	if (d > 0) {
		x = x + (zz + 1);
	} else {
		x = x | zz;
		x = x - (zz + 1);
	}
	x &= 0xaaaaaaaaaaaaaaaaULL >> (64 - h->step * 2);
	h->bits = x | y;
}

static void
geo_move_y(struct geo_hash *h, int d)
{
	uint64_t x = h->bits & 0xaaaaaaaaaaaaaaaaULL;
	uint64_t y = h->bits & 0x5555555555555555ULL;
	uint64_t zz = 0xaaaaaaaaaaaaaaaaULL >> (64 - h->step * 2);

	if (d > 0) {
		y = y + (zz + 1);
	} else {
		y = y | zz;
		y = y - (zz + 1);
	}
	y &= 0x5555555555555555ULL >> (64 - h->step * 2);
	h->bits = x | y;
}

/* Redis's order of the 9 cells: center, N, S, E, W, NE, NW, SE, SW. */
static const int geo_dirs[9][2] = {
	{ 0, 0 }, { 0, 1 }, { 0, -1 }, { 1, 0 }, { -1, 0 },
	{ 1, 1 }, { -1, 1 }, { 1, -1 }, { -1, -1 },
};

/* geo_cells -- the 9 cells around the center, at a precision. */
static void
geo_cells(const struct geo_shape *sh, uint8_t step, struct geo_hash c[9])
{
	geo_encode(geo_lon_range, geo_lat_range, sh->xy[0], sh->xy[1], step,
		   &c[0]);
	for (int i = 1; i < 9; i++) {
		c[i] = c[0];
		if (geo_dirs[i][0] != 0)
			geo_move_x(&c[i], geo_dirs[i][0]);
		if (geo_dirs[i][1] != 0)
			geo_move_y(&c[i], geo_dirs[i][1]);
	}
}

/*
 * geo_areas -- the cells to scan: Redis's geohashCalculateAreasByShape
 * (one step coarser if the neighbours do not cover the bounds; cells the
 * bounds do not reach are zeroed: bits 0, step 0).
 */
static void
geo_areas(const struct geo_shape *sh, struct geo_hash c[9])
{
	double b[4], radius;
	struct geo_area area, a;
	bool decrease = false;

	radius = sh->box ? sqrt(sh->width / 2 * sh->width / 2 +
				sh->height / 2 * sh->height / 2) : sh->radius;
	radius *= sh->conversion;
	geo_bounds(sh, b);
	uint8_t step = geo_steps(radius, sh->xy[1]);

	geo_cells(sh, step, c);
	geo_decode(geo_lon_range, geo_lat_range, c[1], &a);
	if (a.lat.max < b[3])
		decrease = true;
	geo_decode(geo_lon_range, geo_lat_range, c[2], &a);
	if (a.lat.min > b[1])
		decrease = true;
	geo_decode(geo_lon_range, geo_lat_range, c[3], &a);
	if (a.lon.max < b[2])
		decrease = true;
	geo_decode(geo_lon_range, geo_lat_range, c[4], &a);
	if (a.lon.min > b[0])
		decrease = true;
	if (step > 1 && decrease) {
		step--;
		geo_cells(sh, step, c);
	}
	geo_decode(geo_lon_range, geo_lat_range, c[0], &area);
	if (step >= 2) {
		static const struct geo_hash zero = { 0, 0 };
		if (area.lat.min < b[1])        /* S, SE, SW */
			c[2] = c[7] = c[8] = zero;
		if (area.lat.max > b[3])        /* N, NE, NW */
			c[1] = c[5] = c[6] = zero;
		if (area.lon.min < b[0])        /* W, SW, NW */
			c[4] = c[8] = c[6] = zero;
		if (area.lon.max > b[2])        /* E, SE, NE */
			c[3] = c[7] = c[5] = zero;
	}
}

/*
 * geo_inside -- whether a point is in the shape; *dist receives its
 * distance to the center in meters.
 */
static bool
geo_inside(const struct geo_shape *sh, const double xy[2], double *dist)
{
	if (!sh->box) {
		*dist = geo_distance(sh->xy[0], sh->xy[1], xy[0], xy[1]);
		return *dist <= sh->radius * sh->conversion;
	}
	/* Each side is measured from the point (Redis 7.0). */
	double w = sh->width * sh->conversion, h = sh->height * sh->conversion;
	double lon_d = geo_distance(xy[0], xy[1], sh->xy[0], xy[1]);
	double lat_d = geo_distance(xy[0], xy[1], xy[0], sh->xy[1]);

	if (lon_d > w / 2 || lat_d > h / 2)
		return false;
	*dist = geo_distance(sh->xy[0], sh->xy[1], xy[0], xy[1]);
	return true;
}

/* geo_visit -- kv_zset_score_range callback: keep a point in the shape. */
static bool
geo_visit(void *ctx, const char *m, size_t len, double score)
{
	struct geo_found *f = ctx;
	double xy[2], dist = 0;

	geo_score_decode(score, xy);
	if (!geo_inside(f->shape, xy, &dist))
		return true;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct geo_point *v = realloc(f->v, cap * sizeof(*v));
		if (v == NULL) {
			f->oom = true;
			return false;
		}
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = (struct geo_point){ xy[0], xy[1], dist, score, m, len };
	return !(f->limit && f->n >= (size_t)f->limit);
}

/*
 * geo_collect -- the points of the set in the shape, cell by cell in
 * Redis's order (a cell equal to the previous one scanned is skipped).
 */
static void
geo_collect(const struct kv_entry *e, struct geo_found *f)
{
	struct geo_hash c[9];
	int last = 0;

	geo_areas(f->shape, c);
	for (int i = 0; i < 9 && !f->oom; i++) {
		if (c[i].bits == 0 && c[i].step == 0)
			continue;
		if (last && c[i].bits == c[last].bits &&
		    c[i].step == c[last].step)
			continue;
		if (f->n && f->limit && f->n >= (size_t)f->limit)
			break;
		int shift = 52 - c[i].step * 2;
		double min = (double)(c[i].bits << shift);
		double max = (double)((c[i].bits + 1) << shift);
		kv_zset_score_range(e, min, max, geo_visit, f);
		last = i;
	}
}

/* Sort orders of the points found. */
static int
geo_cmp_asc(const void *a, const void *b)
{
	const struct geo_point *x = a, *y = b;

	return x->dist > y->dist ? 1 : x->dist == y->dist ? 0 : -1;
}

static int
geo_cmp_desc(const void *a, const void *b)
{
	return -geo_cmp_asc(a, b);
}

/* Which command a search runs for. */
#define GEO_COORDS    0x01      /* GEORADIUS[_RO] */
#define GEO_MEMBER    0x02      /* GEORADIUSBYMEMBER[_RO] */
#define GEO_NOSTORE   0x04      /* the _RO forms */
#define GEO_SEARCH    0x08      /* GEOSEARCH */
#define GEO_SEARCHSTORE 0x10    /* GEOSEARCHSTORE */

/* geo_dist_or_reply -- a radius and its unit at a[0], a[1]. */
static bool
geo_dist_or_reply(struct kv_req *r, const struct kv_arg *a,
		  struct geo_shape *sh)
{
	if (!geo_str2d(&a[0], &sh->radius)) {
		kv_reply_error(r->c, "ERR need numeric radius");
		return false;
	}
	if (sh->radius < 0) {
		kv_reply_error(r->c, "ERR radius cannot be negative");
		return false;
	}
	return (sh->conversion = geo_unit_or_reply(r, &a[1])) >= 0;
}

/* geo_box_or_reply -- width, height and unit at a[0..2]. */
static bool
geo_box_or_reply(struct kv_req *r, const struct kv_arg *a,
		 struct geo_shape *sh)
{
	if (!geo_str2d(&a[0], &sh->width)) {
		kv_reply_error(r->c, "ERR need numeric width");
		return false;
	}
	if (!geo_str2d(&a[1], &sh->height)) {
		kv_reply_error(r->c, "ERR need numeric height");
		return false;
	}
	if (sh->height < 0 || sh->width < 0) {
		kv_reply_error(r->c, "ERR height or width cannot be negative");
		return false;
	}
	return (sh->conversion = geo_unit_or_reply(r, &a[2])) >= 0;
}

/* geo_reply_found -- the reply of a search without STORE. */
static void
geo_reply_found(struct kv_req *r, const struct geo_found *f, size_t n,
		const struct geo_shape *sh, bool wdist, bool whash,
		bool wcoord)
{
	int opts = wdist + whash + wcoord;

	kv_reply_array(r->c, (long long)n);
	for (size_t i = 0; i < n; i++) {
		const struct geo_point *p = &f->v[i];
		if (opts)
			kv_reply_array(r->c, opts + 1);
		kv_reply_bulk(r->c, p->m, p->len);
		if (wdist)
			geo_reply_dist(r->c, p->dist / sh->conversion);
		if (whash)
			kv_reply_int(r->c, (long long)p->score);
		if (wcoord) {
			kv_reply_array(r->c, 2);
			geo_reply_coord(r->c, p->lon);
			geo_reply_coord(r->c, p->lat);
		}
	}
}

/* geo_store_found -- the STORE forms: the points into a sorted set. */
static void
geo_store_found(struct kv_req *r, int di, const struct geo_found *f,
		size_t n, const struct geo_shape *sh, bool storedist)
{
	struct kv_entry *v = kv_zset_new();

	if (v == NULL) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct geo_point *p = &f->v[i];
		double score = storedist ? p->dist / sh->conversion : p->score;
		if (kv_zset_add(r->s, v, p->m, p->len, score) < 0) {
			kv_zset_free(r->s, v);
			free(v);
			kv_reply_error(r->c, "OOM out of memory");
			return;
		}
	}
	kv_zset_store(r, di, v);
}

/*
 * geo_search -- Redis's georadiusGeneric: every search command, the key
 * at argv[ki].
 */
static void
geo_search(struct kv_req *r, int ki, int flags)
{
	struct kv_entry *e = kv_lookup(r->s, r->c->db, r->argv[ki].ptr,
				       r->argv[ki].len, true);
	struct geo_shape sh = { 0 };
	int base, store = 0;
	bool storedist = false;

	if (!kv_check_type_or_reply(r, e, KV_TYPE_ZSET))
		return;
	if (flags & GEO_COORDS) {
		base = 6;
		if (!geo_lonlat_or_reply(r, &r->argv[2], sh.xy) ||
		    !geo_dist_or_reply(r, &r->argv[4], &sh))
			return;
	} else if (flags & GEO_MEMBER) {
		base = 5;
		if (e != NULL) {
			if (!geo_member_point(e, &r->argv[2], sh.xy)) {
				kv_reply_error(r->c, "ERR could not decode "
					       "requested zset member");
				return;
			}
			if (!geo_dist_or_reply(r, &r->argv[3], &sh))
				return;
		}
	} else {
		base = 2;
		if (flags & GEO_SEARCHSTORE) {
			base = 3;
			store = 1;
		}
	}

	bool wdist = false, whash = false, wcoord = false, any = false;
	bool frommember = false, fromloc = false, byradius = false;
	bool bybox = false;
	int sort = 0;           /* 1 ASC, -1 DESC */
	long long count = 0;
	int rem = r->argc - base;

	for (int i = 0; i < rem; i++) {
		const struct kv_arg *a = &r->argv[base + i];
		if (kv_arg_is(a, "withdist")) {
			wdist = true;
		} else if (kv_arg_is(a, "withhash")) {
			whash = true;
		} else if (kv_arg_is(a, "withcoord")) {
			wcoord = true;
		} else if (kv_arg_is(a, "any")) {
			any = true;
		} else if (kv_arg_is(a, "asc")) {
			sort = 1;
		} else if (kv_arg_is(a, "desc")) {
			sort = -1;
		} else if (kv_arg_is(a, "count") && i + 1 < rem) {
			const struct kv_arg *c = &r->argv[base + i + 1];
			if (!kv_str2ll(c->ptr, c->len, &count)) {
				kv_reply_error(r->c, KV_ERR_NOT_INT);
				return;
			}
			if (count <= 0) {
				kv_reply_error(r->c, "ERR COUNT must be > 0");
				return;
			}
			i++;
		} else if ((kv_arg_is(a, "store") ||
			    kv_arg_is(a, "storedist")) && i + 1 < rem &&
			   !(flags & (GEO_NOSTORE | GEO_SEARCH))) {
			store = base + i + 1;
			storedist = kv_arg_is(a, "storedist");
			i++;
		} else if (kv_arg_is(a, "storedist") &&
			   (flags & GEO_SEARCHSTORE)) {
			storedist = true;
		} else if (kv_arg_is(a, "frommember") && i + 1 < rem &&
			   (flags & GEO_SEARCH) && !fromloc) {
			if (e != NULL &&
			    !geo_member_point(e, &r->argv[base + i + 1],
					      sh.xy)) {
				kv_reply_error(r->c, "ERR could not decode "
					       "requested zset member");
				return;
			}
			frommember = true;
			i++;
		} else if (kv_arg_is(a, "fromlonlat") && i + 2 < rem &&
			   (flags & GEO_SEARCH) && !frommember) {
			if (!geo_lonlat_or_reply(r, &r->argv[base + i + 1],
						 sh.xy))
				return;
			fromloc = true;
			i += 2;
		} else if (kv_arg_is(a, "byradius") && i + 2 < rem &&
			   (flags & GEO_SEARCH) && !bybox) {
			if (!geo_dist_or_reply(r, &r->argv[base + i + 1], &sh))
				return;
			sh.box = false;
			byradius = true;
			i += 2;
		} else if (kv_arg_is(a, "bybox") && i + 3 < rem &&
			   (flags & GEO_SEARCH) && !byradius) {
			if (!geo_box_or_reply(r, &r->argv[base + i + 1], &sh))
				return;
			sh.box = true;
			bybox = true;
			i += 3;
		} else {
			kv_reply_error(r->c, KV_ERR_SYNTAX);
			return;
		}
	}
	if (store && (wdist || whash || wcoord)) {
		kv_reply_error(r->c, "ERR %s is not compatible with WITHDIST, "
			       "WITHHASH and WITHCOORD options",
			       (flags & GEO_SEARCHSTORE) ? "GEOSEARCHSTORE" :
			       "STORE option in GEORADIUS");
		return;
	}
	if ((flags & GEO_SEARCH) && !frommember && !fromloc) {
		kv_reply_error(r->c, "ERR exactly one of FROMMEMBER or "
			       "FROMLONLAT can be specified for %.*s",
			       (int)r->argv[0].len, r->argv[0].ptr);
		return;
	}
	if ((flags & GEO_SEARCH) && !byradius && !bybox) {
		kv_reply_error(r->c, "ERR exactly one of BYRADIUS and BYBOX "
			       "can be specified for %.*s",
			       (int)r->argv[0].len, r->argv[0].ptr);
		return;
	}
	if (any && count == 0) {
		kv_reply_error(r->c, "ERR the ANY argument requires COUNT "
			       "argument");
		return;
	}

	struct geo_found f = { &sh, NULL, 0, 0, any ? count : 0, false };

	if (e != NULL) {
		if (count != 0 && sort == 0 && !any)
			sort = 1;
		geo_collect(e, &f);
		if (f.oom) {
			free(f.v);
			kv_reply_error(r->c, "OOM out of memory");
			return;
		}
	}
	size_t n = count == 0 || f.n < (size_t)count ? f.n : (size_t)count;

	if (sort != 0 && f.n > 1)
		qsort(f.v, f.n, sizeof(*f.v),
		      sort > 0 ? geo_cmp_asc : geo_cmp_desc);
	if (store)
		geo_store_found(r, store, &f, n, &sh, storedist);
	else
		geo_reply_found(r, &f, n, &sh, wdist, whash, wcoord);
	free(f.v);
}

void
cmd_georadius(struct kv_req *r)
{
	geo_search(r, 1, GEO_COORDS);
}

void
cmd_georadius_ro(struct kv_req *r)
{
	geo_search(r, 1, GEO_COORDS | GEO_NOSTORE);
}

void
cmd_georadiusbymember(struct kv_req *r)
{
	geo_search(r, 1, GEO_MEMBER);
}

void
cmd_georadiusbymember_ro(struct kv_req *r)
{
	geo_search(r, 1, GEO_MEMBER | GEO_NOSTORE);
}

void
cmd_geosearch(struct kv_req *r)
{
	geo_search(r, 1, GEO_SEARCH);
}

void
cmd_geosearchstore(struct kv_req *r)
{
	geo_search(r, 2, GEO_SEARCH | GEO_SEARCHSTORE);
}
