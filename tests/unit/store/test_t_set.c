/*
 * test_t_set.c -- store/t_set.c: every set command with replies and
 * errors as Redis 7.0 writes them, the intset's order and its conversion
 * to a dict (at set-max-intset-entries and on a non-integer member),
 * dict sets' replies compared as sets, SPOP and SRANDMEMBER counts,
 * SINTERCARD's LIMIT, SSCAN of a large set, memory returned on DEL, and
 * replay of every write from the log (SPOP as SREM or DEL, records of
 * more than 1024 arguments).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#include "store_test.h"

#define WRONGTYPE "-WRONGTYPE Operation against a key holding the wrong kind " \
	"of value\r\n"

static char path[64];

/* enc -- the encoding of a key's value. */
static int
enc(const char *key)
{
	struct kv_entry *e = kv_lookup(st_shard, 0, key, strlen(key), false);
	assert_non_null(e);
	assert_int_equal(e->type, KV_TYPE_SET);
	return e->encoding;
}

/*
 * run_range -- "<cmd> <key> first..last" with the integers as separate
 * arguments (more than run()'s 64), optionally times a stride.
 */
static void
run_range(const char *cmd, const char *key, long first, long last,
	  long stride)
{
	long n = last - first + 1;
	struct kv_arg *argv = calloc((size_t)n + 2, sizeof(*argv));
	char *buf = calloc((size_t)n, 24);

	assert_non_null(argv);
	assert_non_null(buf);
	argv[0] = (struct kv_arg){ cmd, strlen(cmd) };
	argv[1] = (struct kv_arg){ key, strlen(key) };
	for (long i = 0; i < n; i++) {
		char *p = buf + i * 24;
		int l = snprintf(p, 24, "%ld", (first + i) * stride);
		argv[i + 2] = (struct kv_arg){ p, (size_t)l };
	}
	st_len = 0;
	kv_execute(st_shard, &st_client, (int)n + 2, argv);
	free(argv);
	free(buf);
}

/*
 * parse_bulks -- the bulk strings of a flat array reply (nested arrays'
 * headers and integers skipped); returns how many. Each is
 * NUL-terminated in place.
 */
static int
parse_bulks(char *out, size_t len, char **v, int max)
{
	int n = 0;
	char *p = out, *end = out + len;

	while (p < end) {
		if (*p == '*' || *p == ':') {
			p = strstr(p, "\r\n") + 2;
			continue;
		}
		assert_true(*p == '$');
		long l = strtol(p + 1, &p, 10);
		p += 2;
		assert_true(n < max);
		v[n++] = p;
		p[l] = '\0';
		p += l + 2;
	}
	return n;
}

/* sorted_cmp -- qsort comparison of C strings. */
static int
sorted_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* expect_members -- the reply of cmd holds want[0..n) in any order. */
static void
expect_members(const char *cmd, const char *const *want, int n)
{
	char *v[4096];

	run(cmd);
	int got = parse_bulks(st_out, st_len, v, 4096);
	assert_int_equal(got, n);
	qsort(v, (size_t)got, sizeof(v[0]), sorted_cmp);
	for (int i = 0; i < n; i++)
		assert_string_equal(v[i], want[i]);
}

/* expect_distinct -- the last reply has n members, all distinct, all
 * integers in [lo, hi]; returns nothing, fails otherwise. */
static void
expect_distinct(int n, long lo, long hi)
{
	char *v[4096];
	int got = parse_bulks(st_out, st_len, v, 4096);

	assert_int_equal(got, n);
	qsort(v, (size_t)got, sizeof(v[0]), sorted_cmp);
	for (int i = 0; i < got; i++) {
		long x = atol(v[i]);
		assert_true(x >= lo && x <= hi);
		if (i > 0)
			assert_true(strcmp(v[i - 1], v[i]) != 0);
	}
}

static void
test_add_rem_card(void **state)
{
	(void)state;
	rx("SADD s 3 1 2", ":3\r\n");
	rx("SADD s 2 3 4", ":1\r\n");
	rx("SADD s 1 1", ":0\r\n");
	assert_int_equal(enc("s"), KV_ENC_INTSET);
	rx("SMEMBERS s", "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n");
	rx("SCARD s", ":4\r\n");
	rx("SCARD nokey", ":0\r\n");
	rx("SISMEMBER s 3", ":1\r\n");
	rx("SISMEMBER s 5", ":0\r\n");
	rx("SISMEMBER s x", ":0\r\n");
	rx("SISMEMBER s 03", ":0\r\n");
	rx("SISMEMBER nokey 3", ":0\r\n");
	rx("SMISMEMBER s 1 5 x 4", "*4\r\n:1\r\n:0\r\n:0\r\n:1\r\n");
	rx("SMISMEMBER nokey 1", "*1\r\n:0\r\n");
	rx("TYPE s", "+set\r\n");
	rx("SREM s 1 9 2", ":2\r\n");
	rx("SREM nokey 1", ":0\r\n");
	rx("SREM s x", ":0\r\n");
	rx("SMEMBERS s", "*2\r\n$1\r\n3\r\n$1\r\n4\r\n");
	rx("SREM s 3 4 5", ":2\r\n");
	rx("EXISTS s", ":0\r\n");
	rx("SMEMBERS s", "*0\r\n");
	rx("SADD s", "-ERR wrong number of arguments for 'sadd' command\r\n");
	rx("SREM s", "-ERR wrong number of arguments for 'srem' command\r\n");
	rx("SCARD", "-ERR wrong number of arguments for 'scard' command\r\n");

	/* Every width, in order; non-canonical integers are strings. */
	rx("SADD w 9223372036854775807 -9223372036854775808 70000 -5 0",
	   ":5\r\n");
	assert_int_equal(enc("w"), KV_ENC_INTSET);
	rx("SMEMBERS w", "*5\r\n$20\r\n-9223372036854775808\r\n$2\r\n-5\r\n"
	   "$1\r\n0\r\n$5\r\n70000\r\n$19\r\n9223372036854775807\r\n");
	rx("SISMEMBER w 9223372036854775808", ":0\r\n");
	rx("SISMEMBER w -0", ":0\r\n");
	rx("SADD w -0", ":1\r\n");
	assert_int_equal(enc("w"), KV_ENC_HASHTABLE);
	rx("SISMEMBER w -0", ":1\r\n");
	rx("SISMEMBER w 0", ":1\r\n");
	rx("SISMEMBER w 70000", ":1\r\n");
	rx("SCARD w", ":6\r\n");
	rx("SADD l 01", ":1\r\n");
	assert_int_equal(enc("l"), KV_ENC_HASHTABLE);
	rx("SADD e  x", ":2\r\n");   /* the empty string is a member */
	rx("SISMEMBER e ", ":1\r\n");
	assert_int_equal(enc("e"), KV_ENC_HASHTABLE);
	static const char *const want[] = { "", "x" };
	expect_members("SMEMBERS e", want, 2);
	rx("DEL w l e", ":3\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static void
test_wrongtype(void **state)
{
	(void)state;
	rx("SET str v", "+OK\r\n");
	rx("SADD s 1", ":1\r\n");
	rx("SADD str a", WRONGTYPE);
	rx("SREM str a", WRONGTYPE);
	rx("SCARD str", WRONGTYPE);
	rx("SISMEMBER str a", WRONGTYPE);
	rx("SMISMEMBER str a", WRONGTYPE);
	rx("SMEMBERS str", WRONGTYPE);
	rx("SPOP str", WRONGTYPE);
	rx("SPOP str 1", WRONGTYPE);
	rx("SRANDMEMBER str", WRONGTYPE);
	rx("SRANDMEMBER str -1", WRONGTYPE);
	rx("SMOVE str s a", WRONGTYPE);
	rx("SMOVE s str 1", WRONGTYPE);
	rx("SMOVE nokey str 1", ":0\r\n");
	rx("SINTER nokey str", WRONGTYPE);
	rx("SINTERCARD 2 s str", WRONGTYPE);
	rx("SINTERSTORE d s str", WRONGTYPE);
	rx("SUNION s str", WRONGTYPE);
	rx("SUNIONSTORE d nokey str", WRONGTYPE);
	rx("SDIFF nokey str", WRONGTYPE);
	rx("SDIFFSTORE d s str", WRONGTYPE);
	rx("SSCAN str 0", WRONGTYPE);
	rx("EXISTS d", ":0\r\n");
	rx("SMEMBERS s", "*1\r\n$1\r\n1\r\n");
	rx("LPUSH l a", ":1\r\n");
	rx("HSET h f v", ":1\r\n");
	rx("SADD l a", WRONGTYPE);
	rx("SADD h a", WRONGTYPE);
	rx("TYPE s", "+set\r\n");
}

static void
test_conversion(void **state)
{
	char *v[1024];
	(void)state;

	/* 512 integers stay an intset, the 513th converts. */
	run_range("SADD", "c", 0, 511, 1);
	expect(":512\r\n");
	assert_int_equal(enc("c"), KV_ENC_INTSET);
	run("SMEMBERS c");
	assert_int_equal(parse_bulks(st_out, st_len, v, 1024), 512);
	for (int i = 0; i < 512; i++)
		assert_int_equal(atoi(v[i]), i);
	rx("SADD c 512", ":1\r\n");
	assert_int_equal(enc("c"), KV_ENC_HASHTABLE);
	rx("SCARD c", ":513\r\n");
	run("SMEMBERS c");
	expect_distinct(513, 0, 512);
	/* It stays a dict when it shrinks again. */
	rx("SREM c 512 511", ":2\r\n");
	assert_int_equal(enc("c"), KV_ENC_HASHTABLE);
	/* A result of integers is built as an intset again. */
	rx("SUNIONSTORE c2 c", ":511\r\n");
	assert_int_equal(enc("c2"), KV_ENC_INTSET);
	rx("SINTERSTORE c3 c c2", ":511\r\n");
	assert_int_equal(enc("c3"), KV_ENC_INTSET);
	/* One SADD of 513 members converts too. */
	run_range("SADD", "c4", 1, 513, 1000);
	expect(":513\r\n");
	assert_int_equal(enc("c4"), KV_ENC_HASHTABLE);

	/* A non-integer member converts; the first member decides. */
	rx("SADD m 1 2", ":2\r\n");
	rx("SADD m a", ":1\r\n");
	assert_int_equal(enc("m"), KV_ENC_HASHTABLE);
	static const char *const m[] = { "1", "2", "a" };
	expect_members("SMEMBERS m", m, 3);
	rx("SADD n a 1", ":2\r\n");
	assert_int_equal(enc("n"), KV_ENC_HASHTABLE);
	rx("SADD f 1.0", ":1\r\n");
	assert_int_equal(enc("f"), KV_ENC_HASHTABLE);

	/* set-max-intset-entries is read at every add. */
	rx("CONFIG SET set-max-intset-entries 2", "+OK\r\n");
	rx("SADD k 1 2", ":2\r\n");
	assert_int_equal(enc("k"), KV_ENC_INTSET);
	rx("SADD k 3", ":1\r\n");
	assert_int_equal(enc("k"), KV_ENC_HASHTABLE);
	rx("CONFIG SET set-max-intset-entries 0", "+OK\r\n");
	rx("SADD z 1", ":1\r\n");
	assert_int_equal(enc("z"), KV_ENC_HASHTABLE);
	rx("CONFIG GET set-max-intset-entries",
	   "*2\r\n$22\r\nset-max-intset-entries\r\n$1\r\n0\r\n");
	rx("CONFIG SET set-max-intset-entries 512", "+OK\r\n");

	/* RENAME moves either encoding; SET over a set frees it. */
	rx("RENAME c2 c5", "+OK\r\n");
	rx("SCARD c5", ":511\r\n");
	rx("RENAME m m2", "+OK\r\n");
	rx("SISMEMBER m2 a", ":1\r\n");
	rx("SET c3 str", "+OK\r\n");
	rx("FLUSHALL", "+OK\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static void
test_pop_randmember(void **state)
{
	char cmd[64];
	(void)state;

	rx("SPOP nokey", "$-1\r\n");
	rx("SPOP nokey 3", "*0\r\n");
	rx("SRANDMEMBER nokey", "$-1\r\n");
	rx("SRANDMEMBER nokey -3", "*0\r\n");
	rx("SADD one x", ":1\r\n");
	rx("SRANDMEMBER one", "$1\r\nx\r\n");
	rx("SRANDMEMBER one -3", "*3\r\n$1\r\nx\r\n$1\r\nx\r\n$1\r\nx\r\n");
	rx("SRANDMEMBER one 3", "*1\r\n$1\r\nx\r\n");
	rx("SRANDMEMBER one 0", "*0\r\n");
	rx("SPOP one 0", "*0\r\n");
	rx("SPOP one", "$1\r\nx\r\n");
	rx("EXISTS one", ":0\r\n");
	rx("SADD p 1 2 3", ":3\r\n");
	rx("SPOP p -1", "-ERR value is out of range, must be positive\r\n");
	rx("SPOP p x", "-ERR value is out of range, must be positive\r\n");
	rx("SPOP p 1 2", "-ERR syntax error\r\n");
	rx("SRANDMEMBER p 1 2", "-ERR syntax error\r\n");
	rx("SRANDMEMBER p x", "-ERR value is not an integer or out of "
	   "range\r\n");
	rx("SRANDMEMBER p -9223372036854775808", "-ERR value is out of range, "
	   "value must between -9223372036854775807 and 9223372036854775807"
	   "\r\n");
	rx("SRANDMEMBER p -134217729", "-ERR value is out of range\r\n");
	rx("SRANDMEMBER p 9223372036854775807",
	   "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
	rx("SPOP p 3", "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
	rx("EXISTS p", ":0\r\n");

	/* Distinct members out of intsets and dicts of several sizes. */
	static const long sizes[] = { 10, 300, 2000 };
	static const int counts[] = { 1, 2, 3, 5, 9, 50, 299, 700, 1999 };
	for (int k = 0; k < 3; k++) {
		long size = sizes[k];
		run_range("SADD", "r", 1, size, 1);
		for (int j = 0; j < 9; j++) {
			int c = counts[j];
			int want = c < size ? c : (int)size;
			snprintf(cmd, sizeof(cmd), "SRANDMEMBER r %d", c);
			run(cmd);
			expect_distinct(want, 1, size);
		}
		run("SRANDMEMBER r -700");
		char *v[1024];
		assert_int_equal(parse_bulks(st_out, st_len, v, 1024), 700);
		/* SPOP removes what it returns. */
		run("SPOP r 7");
		expect_distinct(7, 1, size);
		snprintf(cmd, sizeof(cmd), ":%ld\r\n", size - 7);
		rx("SCARD r", cmd);
		run("SPOP r");
		snprintf(cmd, sizeof(cmd), ":%ld\r\n", size - 8);
		rx("SCARD r", cmd);
		/* Popping most of it. */
		snprintf(cmd, sizeof(cmd), "SPOP r %ld", size - 9);
		run(cmd);
		expect_distinct((int)size - 9, 1, size);
		rx("SCARD r", ":1\r\n");
		run("SPOP r 5");
		expect_distinct(1, 1, size);
		rx("EXISTS r", ":0\r\n");
	}
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static void
test_smove(void **state)
{
	(void)state;
	rx("SADD a 1 2 3", ":3\r\n");
	rx("SADD b 3 4", ":2\r\n");
	rx("SMOVE a b 1", ":1\r\n");
	rx("SMEMBERS a", "*2\r\n$1\r\n2\r\n$1\r\n3\r\n");
	rx("SMEMBERS b", "*3\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n4\r\n");
	rx("SMOVE a b 3", ":1\r\n");
	rx("SCARD b", ":3\r\n");
	rx("SMOVE a b 9", ":0\r\n");
	rx("SMOVE a a 2", ":1\r\n");
	rx("SMOVE a a 9", ":0\r\n");
	rx("SMOVE nokey b 1", ":0\r\n");
	rx("SMOVE a c 2", ":1\r\n");
	rx("EXISTS a", ":0\r\n");
	assert_int_equal(enc("c"), KV_ENC_INTSET);
	rx("SADD x a", ":1\r\n");
	rx("SMOVE x c a", ":1\r\n");
	assert_int_equal(enc("c"), KV_ENC_HASHTABLE);
	rx("SMOVE c y zz", ":0\r\n");
	rx("EXISTS y", ":0\r\n");
	rx("SMOVE a b", "-ERR wrong number of arguments for 'smove' "
	   "command\r\n");
	rx("DEL b c", ":2\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static void
test_inter_union_diff(void **state)
{
	(void)state;
	rx("SADD a 1 2 3 4 5 6", ":6\r\n");
	rx("SADD b 6 4 2 8", ":4\r\n");
	rx("SADD c 10 6 4", ":3\r\n");
	rx("SINTER a b", "*3\r\n$1\r\n2\r\n$1\r\n4\r\n$1\r\n6\r\n");
	rx("SINTER c b a", "*2\r\n$1\r\n4\r\n$1\r\n6\r\n");
	rx("SINTER a nokey", "*0\r\n");
	rx("SINTER a a", "*6\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n"
	   "$1\r\n5\r\n$1\r\n6\r\n");
	rx("SINTERSTORE d a b c", ":2\r\n");
	rx("SMEMBERS d", "*2\r\n$1\r\n4\r\n$1\r\n6\r\n");
	rx("SINTERSTORE d d a", ":2\r\n");
	rx("SET d x", "+OK\r\n");
	rx("EXPIRE d 100", ":1\r\n");
	rx("SINTERSTORE d a b", ":3\r\n");
	rx("TTL d", ":-1\r\n");
	rx("SINTERSTORE d a nokey", ":0\r\n");
	rx("EXISTS d", ":0\r\n");
	rx("SINTERCARD 2 a b", ":3\r\n");
	rx("SINTERCARD 2 a b LIMIT 0", ":3\r\n");
	rx("SINTERCARD 2 a b LIMIT 2", ":2\r\n");
	rx("SINTERCARD 2 a b limit 5", ":3\r\n");
	rx("SINTERCARD 2 a nokey", ":0\r\n");
	rx("SINTERCARD 2 a b LIMIT -1", "-ERR LIMIT can't be negative\r\n");
	rx("SINTERCARD 2 a b LIMIT x", "-ERR LIMIT can't be negative\r\n");
	rx("SINTERCARD 2 a b LIMIT", "-ERR syntax error\r\n");
	rx("SINTERCARD 2 a b x", "-ERR syntax error\r\n");
	rx("SINTERCARD 0 a", "-ERR numkeys should be greater than 0\r\n");
	rx("SINTERCARD x a", "-ERR numkeys should be greater than 0\r\n");
	rx("SINTERCARD 3 a b", "-ERR Number of keys can't be greater than "
	   "number of args\r\n");
	rx("SUNION a b c", "*8\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n"
	   "$1\r\n5\r\n$1\r\n6\r\n$1\r\n8\r\n$2\r\n10\r\n");
	rx("SUNION nokey", "*0\r\n");
	rx("SUNIONSTORE u a nokey c", ":7\r\n");
	rx("SCARD u", ":7\r\n");
	rx("SUNIONSTORE u nokey", ":0\r\n");
	rx("EXISTS u", ":0\r\n");
	rx("SDIFF a b c", "*3\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n");
	rx("SDIFF a nokey", "*6\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n"
	   "$1\r\n5\r\n$1\r\n6\r\n");
	rx("SDIFF nokey a", "*0\r\n");
	rx("SDIFF a b a", "*0\r\n");
	rx("SDIFFSTORE df a b", ":3\r\n");
	rx("SMEMBERS df", "*3\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n");
	rx("SDIFFSTORE df a a", ":0\r\n");
	rx("EXISTS df", ":0\r\n");

	/* Dict sets: both diff algorithms, compared as sets. */
	rx("SADD s1 a b c d e f g h 1 2", ":10\r\n");
	rx("SADD s2 a", ":1\r\n");
	rx("SADD s3 b c", ":2\r\n");
	static const char *const d1[] = { "1", "2", "d", "e", "f", "g", "h" };
	expect_members("SDIFF s1 s2 s3", d1, 7);     /* by removal */
	rx("SADD s4 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
	   ":20\r\n");
	rx("SADD s4 a", ":1\r\n");
	static const char *const d2[] = { "b", "c", "d", "e", "f", "g", "h" };
	expect_members("SDIFF s1 s4", d2, 7);        /* by lookups */
	static const char *const i1[] = { "1", "2", "a" };
	expect_members("SINTER s4 s1", i1, 3);
	rx("SINTERCARD 2 s1 s4", ":3\r\n");
	rx("SINTERCARD 2 s1 s4 LIMIT 1", ":1\r\n");
	rx("SUNIONSTORE big s1 s4", ":28\r\n");
	assert_int_equal(enc("big"), KV_ENC_HASHTABLE);
	rx("FLUSHALL", "+OK\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static void
test_scan(void **state)
{
	char cmd[128], *v[4096];
	(void)state;

	rx("SADD s 1 2 10 20", ":4\r\n");
	rx("SSCAN s 0", "*2\r\n$1\r\n0\r\n*4\r\n$1\r\n1\r\n$1\r\n2\r\n$2\r\n10"
	   "\r\n$2\r\n20\r\n");
	rx("SSCAN s 0 MATCH 1* COUNT 1", "*2\r\n$1\r\n0\r\n*2\r\n$1\r\n1\r\n"
	   "$2\r\n10\r\n");
	rx("SSCAN s 0 COUNT 0", "-ERR syntax error\r\n");
	rx("SSCAN s 0 COUNT x", "-ERR value is not an integer or out of "
	   "range\r\n");
	rx("SSCAN s 0 TYPE set", "-ERR syntax error\r\n");
	rx("SSCAN s x", "-ERR invalid cursor\r\n");
	rx("SSCAN nokey 0 COUNT 0", "*2\r\n$1\r\n0\r\n*0\r\n");

	/* A dict set scanned in steps while it grows: every member present
	 * from the start comes back at least once. */
	run_range("SADD", "d", 0, 999, 1);
	rx("SADD d x", ":1\r\n");
	unsigned char seen[3000] = { 0 };
	char cursor[32] = "0";
	int calls = 0, added = 1000;
	do {
		snprintf(cmd, sizeof(cmd), "SSCAN d %s COUNT 20", cursor);
		run(cmd);
		int n = parse_bulks(st_out, st_len, v, 4096);
		assert_true(n >= 1);
		snprintf(cursor, sizeof(cursor), "%s", v[0]);
		for (int j = 1; j < n; j++)
			if (strcmp(v[j], "x") != 0)
				seen[atoi(v[j])] = 1;
		for (int k = 0; k < 30 && added < 3000; k++, added++) {
			snprintf(cmd, sizeof(cmd), "SADD d %d", added);
			run(cmd);
		}
		calls++;
	} while (strcmp(cursor, "0") != 0);
	assert_true(calls > 10);
	for (int i = 0; i < 1000; i++)
		assert_true(seen[i]);
	rx("SSCAN d 0 MATCH x COUNT 100000", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nx"
	   "\r\n");
	rx("SET str x", "+OK\r\n");
	static const char *const keys[] = { "0", "d", "s" };
	expect_members("SCAN 0 TYPE set COUNT 100", keys, 3);
}

/*
 * snapshot -- "key:count:m1,m2,...;" for each set the replay test
 * writes, members sorted, into buf.
 */
static void
snapshot(char *buf, size_t size)
{
	static const char *const keys[] = { "s", "i", "gone", "m1", "m2", "st",
					    "sd", "sd2", "big" };
	static char reply[1 << 16];
	char cmd[64], *v[2048];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		snprintf(cmd, sizeof(cmd), "SMEMBERS %s", keys[k]);
		run(cmd);
		assert_true(st_len < sizeof(reply));
		memcpy(reply, st_out, st_len);
		int m = parse_bulks(reply, st_len, v, 2048);
		qsort(v, (size_t)m, sizeof(v[0]), sorted_cmp);
		n += (size_t)snprintf(buf + n, size - n, "%s:%d:", keys[k], m);
		for (int i = 0; i < m; i++)
			n += (size_t)snprintf(buf + n, size - n, "%s,", v[i]);
		n += (size_t)snprintf(buf + n, size - n, ";");
		assert_true(n < size);
	}
}

static void
test_replay(void **state)
{
	char err[256];
	(void)state;

	unlink(path);
	struct pm_log *log = pm_log_open(path, 8 << 20, 0, err, sizeof(err));
	assert_non_null(log);
	st_close();
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("SADD s 1 2 3 4 5 a", ":6\r\n");
	rx("SREM s 5 zz", ":1\r\n");
	rx("SADD i 5 6 7 8 9", ":5\r\n");
	run("SPOP i");
	run("SPOP i 2");
	rx("SADD gone 1", ":1\r\n");
	rx("SPOP gone 5", "*1\r\n$1\r\n1\r\n");
	rx("SADD m1 x y", ":2\r\n");
	rx("SMOVE m1 m2 x", ":1\r\n");
	rx("SINTERSTORE st s i", ":0\r\n");
	rx("SUNIONSTORE st s i", ":7\r\n");
	rx("SDIFFSTORE sd s i", ":5\r\n");
	rx("SADD sd2 1", ":1\r\n");
	rx("SINTERSTORE sd2 s nokey", ":0\r\n");
	run("SRANDMEMBER s 3");
	/* SADD of 2000 members (one record of 2002 arguments), then an
	 * SPOP logged as SREMs of 1000 members at most. */
	run_range("SADD", "big", 0, 1999, 1);
	expect(":2000\r\n");
	run("SPOP big 1500");
	kv_commit(st_shard);
	static char before[65536], after[65536];
	snapshot(before, sizeof(before));
	assert_non_null(strstr(before, "big:500:"));
	assert_non_null(strstr(before, "gone:0:"));
	assert_non_null(strstr(before, "sd2:0:"));
	assert_non_null(strstr(before, "m2:1:x,"));
	st_close();
	pm_log_close(log);

	log = pm_log_open(path, 8 << 20, 0, err, sizeof(err));
	assert_non_null(log);
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	snapshot(after, sizeof(after));
	assert_string_equal(after, before);
	assert_int_equal(enc("big"), KV_ENC_HASHTABLE);
	assert_int_equal(enc("i"), KV_ENC_INTSET);
	/* An intset answers in ascending order. */
	char *v[16];
	run("SMEMBERS i");
	int n = parse_bulks(st_out, st_len, v, 16);
	assert_int_equal(n, 2);
	assert_true(atol(v[0]) < atol(v[1]));
	rx("FLUSHALL", "+OK\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
	st_close();
	pm_log_close(log);
	unlink(path);
	st_open(NULL);
}

static int
replay_setup(void **state)
{
	setenv("PMEM_IS_PMEM_FORCE", "1", 1);
	snprintf(path, sizeof(path), "/dev/shm/rptest-t_set-%d",
		 (int)getpid());
	return st_setup(state);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_add_rem_card),
	ST_TEST(test_wrongtype),
	ST_TEST(test_conversion),
	ST_TEST(test_pop_randmember),
	ST_TEST(test_smove),
	ST_TEST(test_inter_union_diff),
	ST_TEST(test_scan),
	cmocka_unit_test_setup_teardown(test_replay, replay_setup,
					st_teardown),
};

RP_TEST_MAIN(tests, 1)
