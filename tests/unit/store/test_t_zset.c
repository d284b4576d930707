/*
 * test_t_zset.c -- store/t_zset.c: ZADD's options and replies, score
 * parsing and formatting, -0 where Redis keeps it and where it writes
 * 0, rank, score and lex ranges in both encodings, the conversion of a
 * compact set (by count, by member length), the
 * same random command stream giving the same replies in both encodings,
 * stores and set operations, pops and what they log, memory returned on
 * DEL, and replay of every write from the log.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#include "store_test.h"

#define WRONGTYPE "-WRONGTYPE Operation against a key holding the wrong kind " \
	"of value\r\n"

/* enc -- the encoding of a sorted set. */
static int
enc(const char *key)
{
	struct kv_entry *e = kv_lookup(st_shard, 0, key, strlen(key), false);
	assert_non_null(e);
	assert_int_equal(e->type, KV_TYPE_ZSET);
	return e->encoding;
}

static void
test_add(void **state)
{
	(void)state;
	rx("ZADD z 1 a 2 b 3 c", ":3\r\n");
	rx("ZADD z 1 a", ":0\r\n");
	rx("ZADD z CH 5 a 2 b 7 d", ":2\r\n");
	rx("ZADD z NX 100 a 8 e", ":1\r\n");
	rx("ZADD z XX 100 a 9 f", ":0\r\n");
	rx("ZSCORE z a", "$3\r\n100\r\n");
	rx("ZADD z GT CH 50 a", ":0\r\n");
	rx("ZADD z LT CH 50 a", ":1\r\n");
	rx("ZADD z INCR 1.5 a", "$4\r\n51.5\r\n");
	rx("ZADD z INCR NX 1 a", "$-1\r\n");
	rx("ZADD z INCR GT -1 a", "$-1\r\n");
	rx("ZINCRBY z -51.5 a", "$1\r\n0\r\n");
	rx("ZADD z NX XX 1 a", "-ERR XX and NX options at the same time are "
	   "not compatible\r\n");
	rx("ZADD z GT LT 1 a", "-ERR GT, LT, and/or NX options at the same "
	   "time are not compatible\r\n");
	rx("ZADD z INCR 1 a 2 b", "-ERR INCR option supports a single "
	   "increment-element pair\r\n");
	rx("ZADD z 1 a 2", "-ERR syntax error\r\n");
	rx("ZADD z nan a", "-ERR value is not a valid float\r\n");
	rx("ZADD z 1e400 a", "-ERR value is not a valid float\r\n");
	rx("ZADD z 1 a x b", "-ERR value is not a valid float\r\n");
	rx("ZADD inf inf a", ":1\r\n");
	rx("ZINCRBY inf -inf a", "-ERR resulting score is not a number "
	   "(NaN)\r\n");
	rx("ZSCORE inf a", "$3\r\ninf\r\n");
	rx("ZADD nokey XX 1 a", ":0\r\n");
	rx("EXISTS nokey", ":0\r\n");
	rx("ZCARD z", ":5\r\n");
	rx("ZREM z a nope b", ":2\r\n");
	rx("ZMSCORE z c nope", "*2\r\n$1\r\n3\r\n$-1\r\n");
	rx("ZREM z c d e", ":3\r\n");
	rx("EXISTS z", ":0\r\n");
	rx("SET s x", "+OK\r\n");
	rx("ZADD s 1 a", WRONGTYPE);
	rx("ZRANGE s 0 -1", WRONGTYPE);
	rx("ZUNION 2 inf s", WRONGTYPE);
	rx("TYPE inf", "+zset\r\n");
	rx("SCAN 0 TYPE zset", "*2\r\n$1\r\n0\r\n*1\r\n$3\r\ninf\r\n");
}

static void
test_format(void **state)
{
	(void)state;
	rx("ZADD f 0.1 a 1e308 b -0 c 123456789012345678 d 2.5e-5 e", ":5\r\n");
	rx("ZINCRBY f 0.2 a", "$19\r\n0.30000000000000004\r\n");
	rx("ZSCORE f b", "$6\r\n1e+308\r\n");
	rx("ZSCORE f c", "$1\r\n0\r\n");   /* compact: -0 kept as 0 */
	rx("ZSCORE f d", "$22\r\n1.2345678901234568e+17\r\n");
	rx("ZSCORE f e", "$22\r\n2.5000000000000001e-05\r\n");
	/* ZSCAN of a compact set: integers as integers, as Redis keeps them */
	rx("ZSCAN f 0 MATCH d", "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nd\r\n"
	   "$18\r\n123456789012345680\r\n");
	rx("ZINCRBY g -0.0 x", "$2\r\n-0\r\n");
	st_cfg.zset_lp_entries = 0;
	rx("ZINCRBY h -0.0 x", "$2\r\n-0\r\n");
	assert_int_equal(enc("h"), KV_ENC_SKIPLIST);
	rx("ZSCORE h x", "$2\r\n-0\r\n");
	rx("ZADD h 123456789012345678 d", ":1\r\n");
	rx("ZSCAN h 0 MATCH d", "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nd\r\n"
	   "$22\r\n1.2345678901234568e+17\r\n");
}

/*
 * loaded -- a listpack set key as a load makes it (kv_zset_add keeps
 * the score): x with -0 (a payload's "-0" text), y with 1.
 */
static void
loaded(const char *key)
{
	struct kv_entry *e = kv_create(st_shard, 0, key, strlen(key));

	assert_non_null(e);
	kv_zset_init(e);
	assert_int_equal(kv_zset_add(st_shard, e, "x", 1, -0.0), 1);
	assert_int_equal(kv_zset_add(st_shard, e, "y", 1, 1), 1);
	assert_int_equal(kv_zset_add(st_shard, e, "y", 1, 2), 0);
	assert_int_equal(e->encoding, KV_ENC_LISTPACK);
}

/*
 * test_neg_zero -- -0 as redis-server 7.0 keeps it: a listpack keeps a
 * loaded "-0" (replies, ZSCAN, COPY, conversion to a skiplist), a
 * command writes -0 into a listpack as 0 (ZADD, a changed score, the
 * *STORE results), a skiplist keeps it.
 */
static void
test_neg_zero(void **state)
{
	char buf[32];
	(void)state;

	loaded("lp");
	rx("ZSCORE lp x", "$2\r\n-0\r\n");
	rx("ZRANGE lp 0 0 WITHSCORES", "*2\r\n$1\r\nx\r\n$2\r\n-0\r\n");
	rx("ZSCAN lp 0", "*2\r\n$1\r\n0\r\n*4\r\n$1\r\nx\r\n$2\r\n-0\r\n"
	   "$1\r\ny\r\n$1\r\n1\r\n");
	/* an unchanged score stays as it was (-0 == 0) */
	rx("ZADD lp 0 x", ":0\r\n");
	rx("ZINCRBY lp 0 x", "$1\r\n0\r\n");
	rx("ZADD lp -0 x", ":0\r\n");
	rx("ZSCORE lp x", "$2\r\n-0\r\n");
	/* replies read the set; stores write their result */
	rx("ZUNION 1 lp WITHSCORES", "*4\r\n$1\r\nx\r\n$2\r\n-0\r\n"
	   "$1\r\ny\r\n$1\r\n1\r\n");
	rx("ZRANGESTORE rs lp 0 -1", ":2\r\n");
	rx("ZSCORE rs x", "$1\r\n0\r\n");
	rx("ZUNIONSTORE us 1 lp", ":2\r\n");
	rx("ZSCORE us x", "$1\r\n0\r\n");
	assert_int_equal(enc("us"), KV_ENC_LISTPACK);
	/* COPY copies the listpack as it is, even past the limits now */
	st_cfg.zset_lp_entries = 1;
	rx("COPY lp c", ":1\r\n");
	assert_int_equal(enc("c"), KV_ENC_LISTPACK);
	rx("ZSCORE c x", "$2\r\n-0\r\n");
	/* the conversion keeps it */
	rx("ZADD c 5 w", ":1\r\n");
	assert_int_equal(enc("c"), KV_ENC_SKIPLIST);
	rx("ZSCORE c x", "$2\r\n-0\r\n");
	st_cfg.zset_lp_entries = 128;
	/* a changed score written again is 0 in a listpack... */
	rx("ZADD lp 1 x", ":0\r\n");
	rx("ZADD lp -0 x", ":0\r\n");
	rx("ZSCORE lp x", "$1\r\n0\r\n");
	/* ...and -0 in a skiplist */
	rx("ZADD c 1 x", ":0\r\n");
	rx("ZADD c -0 x", ":0\r\n");
	rx("ZSCORE c x", "$2\r\n-0\r\n");
	/* a rank range's destination is made for its length, a score
	 * range's starts a listpack (x goes in first, as 0) */
	st_cfg.zset_lp_entries = 2;
	rx("ZRANGESTORE rr c 0 -1", ":3\r\n");
	assert_int_equal(enc("rr"), KV_ENC_SKIPLIST);
	rx("ZSCORE rr x", "$2\r\n-0\r\n");
	rx("ZRANGESTORE rr c -inf +inf BYSCORE", ":3\r\n");
	assert_int_equal(enc("rr"), KV_ENC_SKIPLIST);
	rx("ZSCORE rr x", "$1\r\n0\r\n");
	rx("ZRANGESTORE rr c +inf -inf BYSCORE REV", ":3\r\n");
	rx("ZSCORE rr x", "$2\r\n-0\r\n");
	rx("ZRANGESTORE rr c 0 1", ":2\r\n");
	assert_int_equal(enc("rr"), KV_ENC_LISTPACK);
	rx("ZSCORE rr x", "$1\r\n0\r\n");
	st_cfg.zset_lp_entries = 128;
	/* a weight making -0: 0 in a compact result, -0 in a skiplist */
	rx("ZADD zero 0 a", ":1\r\n");
	rx("ZUNIONSTORE w 1 zero WEIGHTS -1", ":1\r\n");
	rx("ZSCORE w a", "$1\r\n0\r\n");
	rx("ZUNION 1 zero WEIGHTS -1 WITHSCORES",
	   "*2\r\n$1\r\na\r\n$2\r\n-0\r\n");
	st_cfg.zset_lp_entries = 0;
	rx("ZUNIONSTORE w 1 zero WEIGHTS -1", ":1\r\n");
	assert_int_equal(enc("w"), KV_ENC_SKIPLIST);
	rx("ZSCORE w a", "$2\r\n-0\r\n");
	st_cfg.zset_lp_entries = 128;

	/* kv_zset_lp_canon: a small set loaded from binary scores */
	loaded("canon");
	struct kv_entry *e = kv_lookup(st_shard, 0, "canon", 5, false);
	kv_zset_lp_canon(e);
	rx("ZSCORE canon x", "$1\r\n0\r\n");
	e = kv_lookup(st_shard, 0, "c", 1, false);
	kv_zset_lp_canon(e);   /* a skiplist keeps it */
	rx("ZSCORE c x", "$2\r\n-0\r\n");

	/* a listpack's text: integers as integers, -0 kept */
	assert_int_equal(kv_zset_fmt_lp_score(buf, sizeof(buf), -0.0), 2);
	assert_string_equal(buf, "-0");
	kv_zset_fmt_lp_score(buf, sizeof(buf), 0);
	assert_string_equal(buf, "0");
	kv_zset_fmt_lp_score(buf, sizeof(buf), -3);
	assert_string_equal(buf, "-3");
	kv_zset_fmt_lp_score(buf, sizeof(buf), 2.5);
	assert_string_equal(buf, "2.5");
	kv_zset_fmt_lp_score(buf, sizeof(buf), -INFINITY);
	assert_string_equal(buf, "-inf");
	rx("DEL lp rs us c zero w canon rr", ":8\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

/* ranges -- the range commands over the set r (either encoding). */
static void
ranges(void)
{
	rx("ZADD r 1 a 2 b 3 c 3 d 4 e", ":5\r\n");
	rx("ZRANGE r 0 -1", "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"
	   "$1\r\ne\r\n");
	rx("ZRANGE r -2 100 WITHSCORES", "*4\r\n$1\r\nd\r\n$1\r\n3\r\n"
	   "$1\r\ne\r\n$1\r\n4\r\n");
	rx("ZRANGE r 1 2 REV", "*2\r\n$1\r\nd\r\n$1\r\nc\r\n");
	rx("ZRANGE r 3 1", "*0\r\n");
	rx("ZRANGE r (1 3 BYSCORE", "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n");
	rx("ZRANGE r 3 (1 BYSCORE REV LIMIT 1 5", "*2\r\n$1\r\nc\r\n"
	   "$1\r\nb\r\n");
	rx("ZRANGE r -inf +inf BYSCORE LIMIT -1 2", "*0\r\n");
	rx("ZRANGE r -inf +inf BYSCORE LIMIT 3 -1", "*2\r\n$1\r\nd\r\n"
	   "$1\r\ne\r\n");
	rx("ZRANGEBYSCORE r 4 1", "*0\r\n");
	rx("ZREVRANGEBYSCORE r (3 -inf WITHSCORES", "*4\r\n$1\r\nb\r\n"
	   "$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n");
	rx("ZCOUNT r (1 3", ":3\r\n");
	rx("ZCOUNT r 3 1", ":0\r\n");
	rx("ZCOUNT r x 1", "-ERR min or max is not a float\r\n");
	rx("ZRANK r c", ":2\r\n");
	rx("ZREVRANK r c", ":2\r\n");
	rx("ZREVRANK r a", ":4\r\n");
	rx("ZRANK r zz", "$-1\r\n");
	rx("ZRANGE r 0 -1 LIMIT 0 1", "-ERR syntax error, LIMIT is only "
	   "supported in combination with either BYSCORE or BYLEX\r\n");
	rx("ZRANGE r - + BYLEX WITHSCORES", "-ERR syntax error, WITHSCORES "
	   "not supported in combination with BYLEX\r\n");
	rx("ZADD l 0 a 0 b 0 c 0 aa 0 d", ":5\r\n");
	rx("ZRANGE l [a (b BYLEX", "*2\r\n$1\r\na\r\n$2\r\naa\r\n");
	rx("ZRANGE l + (b BYLEX REV", "*2\r\n$1\r\nd\r\n$1\r\nc\r\n");
	rx("ZRANGEBYLEX l - + LIMIT 1 2", "*2\r\n$2\r\naa\r\n$1\r\nb\r\n");
	rx("ZLEXCOUNT l (a [c", ":3\r\n");
	rx("ZLEXCOUNT l a c", "-ERR min or max not valid string range "
	   "item\r\n");
	rx("ZREMRANGEBYLEX l (a [c", ":3\r\n");
	rx("ZRANGE l 0 -1", "*2\r\n$1\r\na\r\n$1\r\nd\r\n");
	rx("ZREMRANGEBYRANK r 1 2", ":2\r\n");
	rx("ZREMRANGEBYSCORE r (3 +inf", ":1\r\n");
	rx("ZRANGE r 0 -1 WITHSCORES", "*4\r\n$1\r\na\r\n$1\r\n1\r\n"
	   "$1\r\nd\r\n$1\r\n3\r\n");
	rx("ZRANGESTORE dst r 0 0", ":1\r\n");
	rx("ZRANGESTORE dst r 5 6", ":0\r\n");
	rx("EXISTS dst", ":0\r\n");
	rx("ZPOPMAX r 5", "*4\r\n$1\r\nd\r\n$1\r\n3\r\n$1\r\na\r\n$1\r\n1\r\n");
	rx("EXISTS r", ":0\r\n");
}

static void
test_ranges_listpack(void **state)
{
	(void)state;
	ranges();
	rx("ZADD x 1 a", ":1\r\n");
	assert_int_equal(enc("x"), KV_ENC_LISTPACK);
}

static void
test_ranges_skiplist(void **state)
{
	(void)state;
	st_cfg.zset_lp_entries = 0;
	ranges();
	rx("ZADD x 1 a", ":1\r\n");
	assert_int_equal(enc("x"), KV_ENC_SKIPLIST);
}

static void
test_conversion(void **state)
{
	char cmd[8192];
	int n;
	(void)state;

	/* 128 members, 30 per command (run() takes 64 words) */
	for (int i = 0; i < 128; i += 30) {
		n = snprintf(cmd, sizeof(cmd), "ZADD c");
		for (int j = i; j < i + 30 && j < 128; j++)
			n += snprintf(cmd + n, sizeof(cmd) - (size_t)n,
				      " %d m%03d", j % 5, j);
		run(cmd);
	}
	rx("ZCARD c", ":128\r\n");
	assert_int_equal(enc("c"), KV_ENC_LISTPACK);
	rx("ZADD c 2.5 m128", ":1\r\n");
	assert_int_equal(enc("c"), KV_ENC_SKIPLIST);
	rx("ZCARD c", ":129\r\n");
	rx("ZRANK c m128", ":78\r\n");   /* after the 78 of score 0..2 */
	rx("ZRANGE c 77 79", "*3\r\n$4\r\nm127\r\n$4\r\nm128\r\n$4\r\nm003\r\n");
	/* removing members does not go back */
	rx("ZREMRANGEBYRANK c 0 -3", ":127\r\n");
	assert_int_equal(enc("c"), KV_ENC_SKIPLIST);
	/* a store makes a small result compact again */
	rx("ZRANGESTORE d c 0 -1", ":2\r\n");
	assert_int_equal(enc("d"), KV_ENC_LISTPACK);
	rx("ZUNIONSTORE d 1 c", ":2\r\n");
	assert_int_equal(enc("d"), KV_ENC_LISTPACK);

	/* a 65-byte member */
	rx("ZADD v 1 a", ":1\r\n");
	rx("ZADD v 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	   "aaaa", ":1\r\n");
	assert_int_equal(enc("v"), KV_ENC_LISTPACK);
	rx("ZADD v 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	   "aaaaa", ":1\r\n");
	assert_int_equal(enc("v"), KV_ENC_SKIPLIST);
	rx("ZRANGE v 0 0", "*1\r\n$1\r\na\r\n");
	rx("ZRANGE v -1 -1", "*1\r\n$65\r\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
	/* a member beyond what one length byte holds, limit raised */
	st_cfg.zset_lp_value = 1000;
	memset(cmd, 'b', 300);
	memcpy(cmd, "ZADD w 1 ", 9);
	cmd[300] = '\0';
	rx(cmd, ":1\r\n");
	assert_int_equal(enc("w"), KV_ENC_SKIPLIST);
	rx("DEL c d v w", ":4\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static char replies[2][1 << 19];
static uint64_t rng;

/* rnd -- a test xorshift64 below n. */
static int
rnd(int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (int)(rng % (uint64_t)n);
}

static size_t replies_len[2];

/* stream -- a random command stream; its replies appended to out. */
static void
stream(int which)
{
	static const char *scores[] = { "0", "1", "2", "-1", "1.5", "inf",
					 "-inf", "3", "0.5", "10" };
	static const char *bounds[] = { "-inf", "+inf", "0", "(0", "1", "(1",
					"2", "(2.5", "3", "10" };
	static const char *lex[] = { "-", "+", "[m1", "(m1", "[m5", "(m25",
				     "[m3", "(m" };
	char cmd[512];
	size_t len = 0;

	rng = 12345;
	for (int i = 0; i < 4000; i++) {
		int k = rnd(3);
		switch (rnd(14)) {
		case 0: case 1: case 2:
			snprintf(cmd, sizeof(cmd), "ZADD k%d %s m%d %s m%d", k,
				 scores[rnd(10)], rnd(40), scores[rnd(10)], rnd(40));
			break;
		case 3:
			snprintf(cmd, sizeof(cmd), "ZINCRBY k%d %s m%d", k,
				 scores[rnd(10)], rnd(40));
			break;
		case 4:
			snprintf(cmd, sizeof(cmd), "ZREM k%d m%d m%d", k, rnd(40),
				 rnd(40));
			break;
		case 5:
			snprintf(cmd, sizeof(cmd), "ZRANGE k%d %d %d%s WITHSCORES",
				 k, rnd(20) - 10, rnd(20) - 10, rnd(2) ? " REV" : "");
			break;
		case 6:
			snprintf(cmd, sizeof(cmd), "ZRANGE k%d %s %s BYSCORE%s "
				 "LIMIT %d %d WITHSCORES", k, bounds[rnd(10)],
				 bounds[rnd(10)], rnd(2) ? " REV" : "", rnd(4) - 1,
				 rnd(6) - 1);
			break;
		case 7:
			snprintf(cmd, sizeof(cmd), "ZCOUNT k%d %s %s", k,
				 bounds[rnd(10)], bounds[rnd(10)]);
			break;
		case 8:
			snprintf(cmd, sizeof(cmd), "%s k%d m%d",
				 rnd(2) ? "ZRANK" : "ZREVRANK", k, rnd(40));
			break;
		case 9:
			snprintf(cmd, sizeof(cmd), "%s k%d %d",
				 rnd(2) ? "ZPOPMIN" : "ZPOPMAX", k, rnd(4));
			break;
		case 10:
			snprintf(cmd, sizeof(cmd), "ZREMRANGEBYRANK k%d %d %d", k,
				 rnd(10) - 5, rnd(10) - 5);
			break;
		case 11:
			snprintf(cmd, sizeof(cmd), "ZUNIONSTORE k%d 2 k%d k%d "
				 "WEIGHTS 1 %d AGGREGATE %s", rnd(3), k, rnd(3),
				 rnd(3), rnd(2) ? "MIN" : "SUM");
			break;
		case 12:
			snprintf(cmd, sizeof(cmd), "ZINTER 2 k%d k%d WITHSCORES",
				 k, rnd(3));
			break;
		default:
			/* lex ranges on the set of equal scores */
			if (rnd(2))
				snprintf(cmd, sizeof(cmd), "ZADD lx 0 m%d", rnd(40));
			else
				snprintf(cmd, sizeof(cmd), "ZRANGE lx %s %s BYLEX%s",
					 lex[rnd(8)], lex[rnd(8)],
					 rnd(2) ? " REV" : "");
			break;
		}
		run(cmd);
		assert_true(len + st_len <= sizeof(replies[which]));
		/* A skiplist keeps -0 (0 times -1), a compact set has 0:
		 * the one difference Redis's encodings show too. */
		for (size_t j = 0; j < st_len; j++) {
			if (j + 8 <= st_len &&
			    memcmp(st_out + j, "$2\r\n-0\r\n", 8) == 0) {
				memcpy(replies[which] + len, "$1\r\n0\r\n", 7);
				len += 7;
				j += 7;
				continue;
			}
			replies[which][len++] = st_out[j];
		}
	}
	replies_len[which] = len;
}

static void
test_encodings_agree(void **state)
{
	(void)state;
	stream(0);
	st_close();
	st_cfg.zset_lp_entries = 0;   /* every set a skiplist */
	st_open(NULL);
	stream(1);
	assert_int_equal(replies_len[0], replies_len[1]);
	assert_memory_equal(replies[0], replies[1], replies_len[0]);
	run("FLUSHALL");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static void
test_setops(void **state)
{
	(void)state;
	rx("ZADD a 1 x 2 y 3 z", ":3\r\n");
	rx("ZADD b 10 y 20 z 30 w", ":3\r\n");
	rx("ZUNION 2 a b WITHSCORES", "*8\r\n$1\r\nx\r\n$1\r\n1\r\n"
	   "$1\r\ny\r\n$2\r\n12\r\n$1\r\nz\r\n$2\r\n23\r\n$1\r\nw\r\n$2\r\n30\r\n");
	rx("ZINTER 2 a b WEIGHTS 2 1 AGGREGATE MAX WITHSCORES",
	   "*4\r\n$1\r\ny\r\n$2\r\n10\r\n$1\r\nz\r\n$2\r\n20\r\n");
	rx("ZDIFF 2 a b WITHSCORES", "*2\r\n$1\r\nx\r\n$1\r\n1\r\n");
	rx("ZINTERCARD 2 a b LIMIT 1", ":1\r\n");
	rx("ZINTERCARD 2 a b", ":2\r\n");
	rx("ZUNION 2 a b WEIGHTS 1", "-ERR syntax error\r\n");
	rx("ZUNION 2 a b WEIGHTS 1 x", "-ERR weight value is not a float\r\n");
	rx("ZUNION 0 a", "-ERR at least 1 input key is needed for 'zunion' "
	   "command\r\n");
	rx("ZINTERCARD 0 a", "-ERR at least 1 input key is needed for "
	   "'zintercard' command\r\n");
	rx("ZINTERCARD 1 a LIMIT -1", "-ERR LIMIT can't be negative\r\n");
	rx("ZUNIONSTORE a 2 a b", ":4\r\n");
	rx("ZRANGE a 0 -1 WITHSCORES", "*8\r\n$1\r\nx\r\n$1\r\n1\r\n"
	   "$1\r\ny\r\n$2\r\n12\r\n$1\r\nz\r\n$2\r\n23\r\n$1\r\nw\r\n$2\r\n30\r\n");
	rx("ZINTERSTORE a 2 a nokey", ":0\r\n");
	rx("EXISTS a", ":0\r\n");
	rx("ZDIFFSTORE c 1 b", ":3\r\n");
	rx("DEL b c", ":2\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);

	/* RENAME moves the value, SET replaces it: memory comes back */
	char cmd[64];
	for (int i = 0; i < 200; i++) {
		snprintf(cmd, sizeof(cmd), "ZADD big %d m%d", i, i);
		run(cmd);
	}
	rx("ZADD small 1 a", ":1\r\n");
	rx("RENAME big big2", "+OK\r\n");
	rx("ZSCORE big2 m199", "$3\r\n199\r\n");
	rx("RENAME small big2", "+OK\r\n");
	rx("ZRANGE big2 0 -1", "*1\r\n$1\r\na\r\n");
	rx("SET big2 x", "+OK\r\n");
	rx("DEL big2", ":1\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static void
test_pops(void **state)
{
	(void)state;
	rx("ZADD p 1 a 2 b 3 c", ":3\r\n");
	rx("ZPOPMIN p", "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
	rx("ZPOPMIN p -1", "-ERR value is out of range, must be positive\r\n");
	rx("ZMPOP 2 nokey p MAX COUNT 5", "*2\r\n$1\r\np\r\n*2\r\n*2\r\n"
	   "$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
	rx("EXISTS p", ":0\r\n");
	rx("ZMPOP 1 p MIN", "*-1\r\n");
	rx("ZPOPMAX p", "*0\r\n");
	rx("ZMPOP 0 p MIN", "-ERR numkeys should be greater than 0\r\n");
	rx("ZMPOP 1 p MIN COUNT 0", "-ERR count should be greater than 0\r\n");
	rx("ZADD one 5 x", ":1\r\n");
	rx("ZRANDMEMBER one", "$1\r\nx\r\n");
	rx("ZRANDMEMBER one -2 WITHSCORES", "*4\r\n$1\r\nx\r\n$1\r\n5\r\n"
	   "$1\r\nx\r\n$1\r\n5\r\n");
	rx("ZRANDMEMBER nokey", "$-1\r\n");

	/* distinct members, every one of them over many draws */
	char cmd[64];
	int seen[10] = { 0 };
	for (int i = 0; i < 10; i++) {
		snprintf(cmd, sizeof(cmd), "ZADD r %d m%d", i, i);
		run(cmd);
	}
	for (int k = 0; k < 200; k++) {
		run("ZRANDMEMBER r 3");
		st_out[st_len] = '\0';
		assert_memory_equal(st_out, "*3\r\n", 4);
		int got[3], g = 0;
		for (char *p = st_out; (p = strstr(p, "\r\nm")) != NULL; p++)
			got[g++] = p[3] - '0';
		assert_int_equal(g, 3);
		assert_true(got[0] != got[1] && got[1] != got[2] &&
			    got[0] != got[2]);
		for (int j = 0; j < 3; j++)
			seen[got[j]]++;
	}
	for (int i = 0; i < 10; i++)
		assert_true(seen[i] > 0);

	/* repeats allowed: every member of a compact set shows up */
	memset(seen, 0, sizeof(seen));
	run("ZRANDMEMBER r -500");
	st_out[st_len] = '\0';
	int total = 0;
	for (char *p = st_out; (p = strstr(p, "\r\nm")) != NULL; p++) {
		seen[p[3] - '0']++;
		total++;
	}
	assert_int_equal(total, 500);
	for (int i = 0; i < 10; i++)
		assert_true(seen[i] > 0);

	/* few of a large skiplist: distinct, by random ranks */
	for (int i = 0; i < 300; i++) {
		snprintf(cmd, sizeof(cmd), "ZADD big %d b%03d", i, i);
		run(cmd);
	}
	assert_int_equal(enc("big"), KV_ENC_SKIPLIST);
	for (int k = 0; k < 50; k++) {
		bool hit[300] = { false };
		run("ZRANDMEMBER big 20 WITHSCORES");
		st_out[st_len] = '\0';
		assert_memory_equal(st_out, "*40\r\n", 5);
		int g = 0;
		for (char *p = st_out; (p = strstr(p, "\r\nb")) != NULL; p++) {
			int i = atoi(p + 3);
			assert_false(hit[i]);
			hit[i] = true;
			char *sc = strstr(p + 3, "\r\n$");
			sc = strstr(sc + 3, "\r\n") + 2;
			assert_int_equal(atoi(sc), i);
			g++;
		}
		assert_int_equal(g, 20);
	}
}

static void
test_scan(void **state)
{
	char cmd[64], cursor[32] = "0";
	bool seen[300] = { false };
	(void)state;

	for (int i = 0; i < 300; i++) {
		snprintf(cmd, sizeof(cmd), "ZADD big %d m%d", i, i);
		run(cmd);
	}
	assert_int_equal(enc("big"), KV_ENC_SKIPLIST);
	int calls = 0;
	do {
		snprintf(cmd, sizeof(cmd), "ZSCAN big %s COUNT 20", cursor);
		run(cmd);
		st_out[st_len] = '\0';
		char *p = strstr(st_out, "\r\n$") + 3;
		long cl = strtol(p, &p, 10);
		memcpy(cursor, p + 2, (size_t)cl);
		cursor[cl] = '\0';
		p = strstr(p + 2, "\r\n*") + 3;
		/* pairs: $len m<i> $len <i> */
		for (char *q = p; (q = strstr(q, "\r\nm")) != NULL; q++) {
			int i = atoi(q + 3);
			char *sc = strstr(q + 3, "\r\n$");
			sc = strstr(sc + 3, "\r\n") + 2;
			assert_int_equal(atoi(sc), i);
			seen[i] = true;
		}
		calls++;
	} while (strcmp(cursor, "0") != 0);
	assert_true(calls > 5);
	for (int i = 0; i < 300; i++)
		assert_true(seen[i]);
}

static char path[64];

/* snapshot -- the replies of commands that show every set. */
static size_t
snapshot(char *buf, size_t size)
{
	static const char *cmds[] = {
		"ZRANGE z 0 -1 WITHSCORES", "ZRANGE big 0 -1 WITHSCORES",
		"ZRANGE dst 0 -1 WITHSCORES", "ZRANGE u 0 -1 WITHSCORES",
		"ZRANGE p 0 -1 WITHSCORES", "ZRANGE q 0 -1 WITHSCORES",
		"EXISTS gone", "DBSIZE",
	};
	size_t len = 0;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		run(cmds[i]);
		assert_true(len + st_len <= size);
		memcpy(buf + len, st_out, st_len);
		len += st_len;
	}
	return len;
}

static void
test_replay(void **state)
{
	char err[256], cmd[128];
	static char before[1 << 16], after[1 << 16];
	(void)state;

	unlink(path);
	struct pm_log *log = pm_log_open(path, 8 << 20, 0, err, sizeof(err));
	assert_non_null(log);
	st_close();
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("ZADD z 1 a 2 b 3 c 0.1 d", ":4\r\n");
	rx("ZADD z INCR 0.2 d", "$19\r\n0.30000000000000004\r\n");
	rx("ZINCRBY z 1e300 a", "$23\r\n1.0000000000000001e+300\r\n");
	rx("ZADD z GT CH 0 b 5 c", ":1\r\n");
	rx("ZREM z b nope", ":1\r\n");
	for (int i = 0; i < 200; i++) {
		snprintf(cmd, sizeof(cmd), "ZADD big %d.5 m%d", i % 17, i);
		run(cmd);
	}
	rx("ZREMRANGEBYRANK big 10 19", ":10\r\n");
	rx("ZREMRANGEBYSCORE big (15 +inf", ":22\r\n");
	rx("ZADD lx 0 a 0 b 0 c 0 d", ":4\r\n");
	rx("ZREMRANGEBYLEX lx [b (d", ":2\r\n");
	rx("ZRANGESTORE dst big 5 40 REV", ":36\r\n");
	rx("ZUNIONSTORE u 3 z lx big WEIGHTS 2 1 0.5 AGGREGATE MAX",
	   ":171\r\n");
	rx("ZADD p 1 a 2 b 3 c 4 d", ":4\r\n");
	rx("ZPOPMIN p 2", "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
	rx("ZMPOP 2 nokey p MAX COUNT 1", "*2\r\n$1\r\np\r\n*1\r\n*2\r\n"
	   "$1\r\nd\r\n$1\r\n4\r\n");
	rx("ZADD q 1 a 2 b", ":2\r\n");
	rx("ZPOPMAX q 5", "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n");
	rx("ZADD q 7 x", ":1\r\n");
	rx("ZADD gone 1 x", ":1\r\n");
	rx("ZINTERSTORE gone 2 gone nokey", ":0\r\n");

	/* reads and ZRANDMEMBER log nothing */
	uint64_t records = st_shard->stats.log_records;
	run("ZRANDMEMBER big 5");
	run("ZRANGE big 0 -1");
	run("ZUNION 2 z big");
	run("ZREM nokey a");
	run("ZPOPMIN nokey");
	run("ZADD z NX 9 a");
	assert_int_equal(st_shard->stats.log_records, records);
	kv_commit(st_shard);
	size_t blen = snapshot(before, sizeof(before));
	st_close();
	pm_log_close(log);

	log = pm_log_open(path, 8 << 20, 0, err, sizeof(err));
	assert_non_null(log);
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	size_t alen = snapshot(after, sizeof(after));
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	assert_int_equal(enc("big"), KV_ENC_SKIPLIST);
	assert_int_equal(enc("z"), KV_ENC_LISTPACK);
	st_close();
	pm_log_close(log);
	unlink(path);
	st_open(NULL);
}

static int
replay_setup(void **state)
{
	setenv("PMEM_IS_PMEM_FORCE", "1", 1);
	snprintf(path, sizeof(path), "/dev/shm/rptest-t_zset-%d",
		 (int)getpid());
	return st_setup(state);
}

/* Plain sets are inputs too: members with score 1, WEIGHTS applied. */
static void
test_setops_plain_sets(void **state)
{
	char cmd[64];

	(void)state;
	rx("SADD s 1 2 3", ":3\r\n");         /* intset */
	rx("SADD h x y", ":2\r\n");           /* hashtable */
	rx("ZADD z 5 2 7 x", ":2\r\n");
	rx("ZUNION 2 s h WITHSCORES", "*10\r\n$1\r\n1\r\n$1\r\n1\r\n"
	   "$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n1\r\n"
	   "$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$1\r\n1\r\n");
	rx("ZINTER 2 s z WEIGHTS 3 1 WITHSCORES",
	   "*2\r\n$1\r\n2\r\n$1\r\n8\r\n");
	rx("ZINTER 2 z h AGGREGATE MIN WITHSCORES",
	   "*2\r\n$1\r\nx\r\n$1\r\n1\r\n");
	rx("ZDIFF 2 s z", "*2\r\n$1\r\n1\r\n$1\r\n3\r\n");
	rx("ZINTERCARD 2 s s", ":3\r\n");
	rx("ZUNIONSTORE d 3 s h z WEIGHTS 2 2 1", ":5\r\n");
	rx("ZRANGE d 0 -1 WITHSCORES", "*10\r\n$1\r\n1\r\n$1\r\n2\r\n"
	   "$1\r\n3\r\n$1\r\n2\r\n$1\r\ny\r\n$1\r\n2\r\n"
	   "$1\r\n2\r\n$1\r\n7\r\n$1\r\nx\r\n$1\r\n9\r\n");
	rx("TYPE s", "+set\r\n");
	/* the destination may be a set input: it becomes a sorted set */
	rx("ZDIFFSTORE s 2 s z", ":2\r\n");
	rx("TYPE s", "+zset\r\n");
	rx("SET str v", "+OK\r\n");
	rx("ZUNION 2 s str", "-WRONGTYPE Operation against a key holding "
	   "the wrong kind of value\r\n");
	/* a large set: its copy is a skiplist, and is freed */
	for (int i = 0; i < 300; i++) {
		snprintf(cmd, sizeof(cmd), "SADD big m%d", i);
		run(cmd);
	}
	rx("ZINTERSTORE d2 2 big big", ":300\r\n");
	rx("ZSCORE d2 m299", "$1\r\n2\r\n");
	assert_int_equal(enc("d2"), KV_ENC_SKIPLIST);
	rx("DEL s h z d str big d2", ":7\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_add),
	ST_TEST(test_format),
	ST_TEST(test_neg_zero),
	ST_TEST(test_ranges_listpack),
	ST_TEST(test_ranges_skiplist),
	ST_TEST(test_conversion),
	ST_TEST(test_encodings_agree),
	ST_TEST(test_setops),
	ST_TEST(test_setops_plain_sets),
	ST_TEST(test_pops),
	ST_TEST(test_scan),
	cmocka_unit_test_setup_teardown(test_replay, replay_setup,
					st_teardown),
};

RP_TEST_MAIN(tests, 1)
