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
#pragma GCC optimize("fp-contract=off")

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

/* geo_score_decode -- the point (center of its cell) a score stands for. */
static void
geo_score_decode(double score, double xy[2])
{
	struct geo_hash h = { (uint64_t)score, GEO_STEP_MAX };
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
