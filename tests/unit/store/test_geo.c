/*
 * test_geo.c -- store/geo.c: geohash encoding and decoding (the scores
 * and cell centers Redis gives, known GEOHASH strings, round trips over
 * the whole map), haversine distances in every unit, the searches and
 * their stores, errors, wrong types, memory given back, and recovery
 * from the pmem log (GEOADD logged as ZADD, stores as themselves). Expected
 * replies are Redis 7.0's.
 */
#include <math.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "store_test.h"

static void
test_encode_decode(void **state)
{
	(void)state;
	rx("GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania "
	   "0 0 origin",
	   ":3\r\n");
	rx("ZSCORE g Palermo",
	   "$16\r\n3479099956230698\r\n");
	rx("ZSCORE g Catania",
	   "$16\r\n3479447370796909\r\n");
	rx("ZSCORE g origin",
	   "$16\r\n3377699720527872\r\n");
	rx("GEOPOS g Palermo origin nosuch",
	   "*3\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n"
	   "38.11555639549629859\r\n*2\r\n$19\r\n0.00000268220901489\r\n"
	   "$19\r\n0.00000126736058093\r\n*-1\r\n");
	rx("GEOHASH g Palermo Catania origin",
	   "*3\r\n$11\r\nsqc8b49rny0\r\n$11\r\nsqdtr74hyu0\r\n$11\r\n"
	   "s0000000000\r\n");
	rx("GEOADD p 180 85.05112878 ne -180 -85.05112878 sw",
	   ":2\r\n");
	rx("GEOPOS p ne sw",
	   "*2\r\n*2\r\n$3\r\n180\r\n$19\r\n85.0511287799999991\r\n"
	   "*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n"
	   "-85.05112751263942528\r\n");
	rx("GEOHASH p ne sw",
	   "*2\r\n$11\r\nbp05b5048p0\r\n$11\r\n00bh0hbj200\r\n");
	rx("GEOADD g 181 0 bad",
	   "-ERR invalid longitude,latitude pair 181.000000,0.000000\r\n");
	rx("GEOADD g 0 85.06 bad",
	   "-ERR invalid longitude,latitude pair 0.000000,85.060000\r\n");
	rx("GEOADD g NX XX 1 1 a",
	   "-ERR syntax error\r\n");
	rx("GEOADD g 1 x a",
	   "-ERR value is not a valid float\r\n");
}

static void
test_distances(void **state)
{
	(void)state;
	rx("GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania "
	   "0 0 origin",
	   ":3\r\n");
	rx("GEOADD p 180 85.05112878 ne -180 -85.05112878 sw",
	   ":2\r\n");
	rx("GEODIST g Palermo Catania",
	   "$11\r\n166274.1516\r\n");
	rx("GEODIST g Palermo Catania km",
	   "$8\r\n166.2742\r\n");
	rx("GEODIST g Palermo Catania ft",
	   "$11\r\n545518.8700\r\n");
	rx("GEODIST g Palermo Catania mi",
	   "$8\r\n103.3182\r\n");
	rx("GEODIST p ne sw km",
	   "$10\r\n18919.8446\r\n");
	rx("GEODIST g Palermo nosuch",
	   "$-1\r\n");
	rx("GEODIST g Palermo Catania yd",
	   "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n");
}

/* Bulk strings of a flat RESP reply, in order, into v (up to n). */
static int
bulks(const char *resp, double *v, int n)
{
	int k = 0;
	const char *p = resp;

	while (k < n && (p = strchr(p, '$')) != NULL) {
		long len = strtol(p + 1, (char **)&p, 10);
		if (len < 0)
			continue;
		v[k++] = strtod(p + 2, NULL);
		p += 2 + len;
	}
	return k;
}

/* reply -- the last reply as a C string. */
static const char *
reply(void)
{
	static char b[8192];
	size_t n = st_len < sizeof(b) - 1 ? st_len : sizeof(b) - 1;

	memcpy(b, st_out, n);
	b[n] = '\0';
	return b;
}

/* call -- run a command and return its reply as a C string. */
static const char *
call(const char *line)
{
	run(line);
	return reply();
}

static void
test_round_trip(void **state)
{
	(void)state;
	/* Longitude 180 is left out: its hash has bit 53 set, which a
	 * double score cannot hold with bit 0 (Redis loses it too; the
	 * differential tests compare that edge). */
	for (int i = 0; i < 40; i++) {
		for (int j = 0; j <= 40; j++) {
			double lon = -180 + 9.0 * i;
			double lat = -85.05 + 170.1 * j / 40;
			char cmd[128];
			double xy[2], score;
			snprintf(cmd, sizeof(cmd), "GEOADD rt %.9f %.9f m",
				 lon, lat);
			assert_int_equal(call(cmd)[0], ':');
			assert_int_equal(bulks(call("ZSCORE rt m"), &score, 1),
					 1);
			/* 52 bits, but the upper limits (180, 85.05112878)
			 * are one step past the last cell, as in Redis. */
			assert_true(score >= 0 && score < 18014398509481984.0);
			assert_true(score == (double)(long long)score);
			assert_int_equal(bulks(call("GEOPOS rt m"), xy, 2), 2);
			/* Within one cell of 2^26 steps of the point. */
			assert_true(fabs(xy[0] - lon) <= 360.0 / (1 << 26));
			assert_true(fabs(xy[1] - lat) <=
				    170.10225756 / (1 << 26));
			/* The cell center encodes to the same score. */
			double again;
			snprintf(cmd, sizeof(cmd), "GEOADD rt2 %.17g %.17g m",
				 xy[0], xy[1]);
			run(cmd);
			assert_int_equal(bulks(call("ZSCORE rt2 m"), &again, 1),
					 1);
			assert_true(again == score);
		}
	}
}

static void
test_search(void **state)
{
	(void)state;
	rx("GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania "
	   "0 0 origin",
	   ":3\r\n");
	rx("GEOSEARCH g FROMMEMBER Palermo BYRADIUS 200 km ASC WITHDIST "
	   "WITHHASH WITHCOORD",
	   "*2\r\n*4\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n"
	   ":3479099956230698\r\n*2\r\n$20\r\n13.36138933897018433\r\n"
	   "$20\r\n38.11555639549629859\r\n*4\r\n$7\r\nCatania\r\n$8\r\n"
	   "166.2742\r\n:3479447370796909\r\n*2\r\n$20\r\n"
	   "15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n");
	rx("GEOSEARCH g FROMLONLAT 15 37 BYBOX 400 400 km DESC",
	   "*2\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n");
	rx("GEORADIUS g 15 37 200 km COUNT 1 ASC",
	   "*1\r\n$7\r\nCatania\r\n");
	rx("GEORADIUSBYMEMBER g Catania 1 m",
	   "*1\r\n$7\r\nCatania\r\n");
	rx("GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST ASC",
	   ":2\r\n");
	rx("ZRANGE d 0 -1 WITHSCORES",
	   "*4\r\n$7\r\nCatania\r\n$18\r\n56.441257870158204\r\n$7\r\n"
	   "Palermo\r\n$18\r\n190.44242984775784\r\n");
	rx("GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km ANY",
	   "-ERR the ANY argument requires COUNT argument\r\n");
	rx("GEORADIUS_RO g 15 37 200 km STORE d",
	   "-ERR syntax error\r\n");
	rx("GEOSEARCHSTORE d g FROMLONLAT 100 0 BYRADIUS 1 km",
	   ":0\r\n");
	rx("EXISTS d",
	   ":0\r\n");
}

static void
test_wrongtype_memory(void **state)
{
	(void)state;
	rx("SET s v", "+OK\r\n");
	rx("GEOADD s 1 1 a", "-WRONGTYPE Operation against a key holding the "
	   "wrong kind of value\r\n");
	rx("GEOSEARCH s FROMLONLAT 1 1 BYRADIUS 1 km", "-WRONGTYPE Operation "
	   "against a key holding the wrong kind of value\r\n");
	rx("GEOPOS nokey a", "*1\r\n*-1\r\n");
	rx("GEODIST nokey a b", "$-1\r\n");
	uint64_t before = kv_used_memory(st_shard);
	for (int i = 0; i < 300; i++) {
		char cmd[96];
		snprintf(cmd, sizeof(cmd), "GEOADD big %d.5 %d.25 member%d",
			 i % 360 - 180, i % 170 - 85, i);
		run(cmd);
	}
	rx("ZCARD big", ":298\r\n");
	rx("GEOSEARCHSTORE d2 big FROMLONLAT 0 0 BYRADIUS 20000 km",
	   ":298\r\n");
	rx("DEL big d2", ":2\r\n");
	assert_true(kv_used_memory(st_shard) == before);
}

/* open_log -- this test's pmem log. */
static struct pm_log *
open_log(uint64_t size)
{
	char err[256];
	struct pm_log *log = pm_log_open(st_log_path, size, 0, err,
					 sizeof(err));

	assert_non_null(log);
	return log;
}

static void
test_recovered(void **state)
{
	char err[256];
	(void)state;

	unlink(st_log_path);
	struct pm_log *log = open_log(8 << 20);
	st_close();
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
	   ":2\r\n");
	rx("GEOADD g XX CH 13.5 38 Palermo 1 1 nobody", ":1\r\n");
	rx("GEOADD g 200 0 bad", "-ERR invalid longitude,latitude pair "
	   "200.000000,0.000000\r\n");
	rx("GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST ASC",
	   ":2\r\n");
	rx("GEORADIUS g 15 37 100 km STORE r", ":1\r\n");
	rx("SET gone v", "+OK\r\n");
	rx("GEOSEARCHSTORE gone g FROMLONLAT 0 0 BYRADIUS 1 km", ":0\r\n");
	run("ZRANGE g 0 -1 WITHSCORES");
	char g[512], d[512];
	assert_true(st_len < sizeof(g));
	memcpy(g, st_out, st_len);
	g[st_len] = '\0';
	run("ZRANGE d 0 -1 WITHSCORES");
	memcpy(d, st_out, st_len);
	d[st_len] = '\0';

	kv_commit(st_shard);
	assert_false(pm_log_pending(log));
	st_close();
	pm_log_close(log);
	log = open_log(8 << 20);
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("ZRANGE g 0 -1 WITHSCORES", g);
	rx("ZRANGE d 0 -1 WITHSCORES", d);
	rx("ZRANGE r 0 -1", "*1\r\n$7\r\nCatania\r\n");
	rx("EXISTS gone nobody", ":0\r\n");
	st_close();
	pm_log_close(log);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_encode_decode),
	ST_TEST(test_distances),
	ST_TEST(test_round_trip),
	ST_TEST(test_search),
	ST_TEST(test_wrongtype_memory),
	ST_TEST(test_recovered),
};

ST_MAIN_WITH_LOG(tests, "geo")
