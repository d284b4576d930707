/*
 * test_t_bitops.c -- store/t_bitops.c: SETBIT/GETBIT on raw and integer
 * strings, BITCOUNT and BITPOS ranges (BYTE and BIT) against a bit by bit
 * model, BITOP, BITFIELD's types, offsets and overflow modes, errors as
 * redis-server 7.0 writes them, memory given back, and replay of every
 * write through the log.
 */
#include <errno.h>

#include "unit.h"

#include "store_test.h"

#define WRONGTYPE "-WRONGTYPE Operation against a key holding the wrong " \
	"kind of value\r\n"
#define ERR_OFFSET "-ERR bit offset is not an integer or out of range\r\n"
#define ERR_BIT "-ERR bit is not an integer or out of range\r\n"
#define ERR_TYPE "-ERR Invalid bitfield type. Use something like i16 u8. " \
	"Note that u64 is not supported but i64 is.\r\n"


/* set_bytes -- SET key to n arbitrary bytes. */
static void
set_bytes(const char *key, const void *val, size_t n)
{
	struct kv_arg argv[3] = { { "SET", 3 }, { key, strlen(key) },
				  { val, n } };
	st_len = 0;
	kv_execute(st_shard, &st_client, 3, argv);
	expect("+OK\r\n");
}

/* expect_bulk -- the last reply is the bulk string of n bytes. */
static void
expect_bulk(const void *want, size_t n)
{
	char head[32];
	int h = snprintf(head, sizeof(head), "$%zu\r\n", n);
	assert_int_equal(st_len, (size_t)h + n + 2);
	assert_memory_equal(st_out, head, (size_t)h);
	assert_memory_equal(st_out + h, want, n);
}

static void
test_setbit_getbit(void **state)
{
	(void)state;
	rx("SETBIT b 7 1", ":0\r\n");
	rx("GET b", "$1\r\n\x01\r\n");
	rx("SETBIT b 7 1", ":1\r\n");
	rx("SETBIT b 0 1", ":0\r\n");
	rx("GET b", "$1\r\n\x81\r\n");
	rx("SETBIT b 7 0", ":1\r\n");
	rx("GETBIT b 0", ":1\r\n");
	rx("GETBIT b 7", ":0\r\n");
	rx("GETBIT b 8", ":0\r\n");
	rx("GETBIT b 4294967295", ":0\r\n");
	rx("GETBIT nokey 3", ":0\r\n");
	rx("EXISTS nokey", ":0\r\n");
	/* Clearing a far bit still pads the string with zero bytes. */
	rx("SETBIT z 23 0", ":0\r\n");
	rx("STRLEN z", ":3\r\n");
	run("GET z");
	expect_bulk("\0\0\0", 3);
	/* Errors, in Redis's order: offset, then value, then type. */
	rx("SETBIT b -1 1", ERR_OFFSET);
	rx("SETBIT b x 1", ERR_OFFSET);
	rx("SETBIT b 4294967296 1", ERR_OFFSET);
	rx("SETBIT b 01 1", ERR_OFFSET);
	rx("SETBIT b 0 2", ERR_BIT);
	rx("SETBIT b 0 -1", ERR_BIT);
	rx("SETBIT b 0 one", ERR_BIT);
	rx("GETBIT b -1", ERR_OFFSET);
	rx("GETBIT b 4294967296", ERR_OFFSET);
	rx("RPUSH l x", ":1\r\n");
	rx("SETBIT l 0 1", WRONGTYPE);
	rx("SETBIT l 0 5", ERR_BIT);
	rx("SETBIT l x 5", ERR_OFFSET);
	rx("GETBIT l 0", WRONGTYPE);
	rx("SETBIT", "-ERR wrong number of arguments for 'setbit' command\r\n");
	rx("GETBIT b", "-ERR wrong number of arguments for 'getbit' "
	   "command\r\n");
	/* The TTL stays. */
	rx("SET t v EX 100", "+OK\r\n");
	rx("SETBIT t 100 1", ":0\r\n");
	rx("TTL t", ":100\r\n");
}

/* test_integer_strings -- an integer value is read through its digits
 * and turned into raw bytes by a write. */
static void
test_integer_strings(void **state)
{
	(void)state;
	rx("SET n 12", "+OK\r\n");            /* "12" = 0x31 0x32 */
	rx("GETBIT n 2", ":1\r\n");
	rx("GETBIT n 3", ":1\r\n");
	rx("GETBIT n 4", ":0\r\n");
	rx("BITCOUNT n", ":6\r\n");
	rx("BITPOS n 1", ":2\r\n");
	rx("BITFIELD_RO n GET u16 0", "*1\r\n:12594\r\n");
	rx("SETBIT n 15 1", ":0\r\n");        /* '2' -> '3' */
	rx("GET n", "$2\r\n13\r\n");
	rx("INCR n", ":14\r\n");
	rx("SET m -9223372036854775808", "+OK\r\n");
	rx("BITCOUNT m", ":72\r\n");
	rx("SETBIT m 200 1", ":0\r\n");
	rx("STRLEN m", ":26\r\n");
	rx("GETRANGE m 0 19", "$20\r\n-9223372036854775808\r\n");
	rx("SET k 7", "+OK\r\n");
	rx("BITFIELD k SET u8 0 56", "*1\r\n:55\r\n");
	rx("GET k", "$1\r\n8\r\n");
	rx("SET k2 7", "+OK\r\n");
	rx("BITOP NOT k3 k2", ":1\r\n");
	rx("GET k3", "$1\r\n\xc8\r\n");
}

static void
test_bitcount(void **state)
{
	(void)state;
	rx("SET s foobar", "+OK\r\n");
	rx("BITCOUNT s", ":26\r\n");
	rx("BITCOUNT s 0 0", ":4\r\n");
	rx("BITCOUNT s 1 1", ":6\r\n");
	rx("BITCOUNT s -2 -1", ":7\r\n");
	rx("BITCOUNT s -1 -2", ":0\r\n");
	rx("BITCOUNT s 5 100", ":4\r\n");
	rx("BITCOUNT s -100 100", ":26\r\n");
	rx("BITCOUNT s 5 30 BIT", ":17\r\n");
	rx("BITCOUNT s 1 1 bit", ":1\r\n");
	rx("BITCOUNT s 0 0 BYTE", ":4\r\n");
	rx("BITCOUNT s 0 1 FOO", "-ERR syntax error\r\n");
	rx("BITCOUNT s -1 -2 FOO", ":0\r\n");   /* Redis 7.0's order */
	rx("BITCOUNT s 0", "-ERR syntax error\r\n");
	rx("BITCOUNT s 0 1 BIT x", "-ERR syntax error\r\n");
	rx("BITCOUNT s a 1", "-ERR value is not an integer or out of "
	   "range\r\n");
	/* Redis 7.0 looks the key up first: a missing key is 0 whatever
	 * the arguments, another type WRONGTYPE. */
	rx("BITCOUNT nokey a b", ":0\r\n");
	rx("BITCOUNT nokey 0", ":0\r\n");
	rx("RPUSH l x", ":1\r\n");
	rx("BITCOUNT l 0", WRONGTYPE);
	set_bytes("e", "", 0);
	rx("BITCOUNT e", ":0\r\n");
	rx("BITCOUNT e 0 -1 BIT", ":0\r\n");
}

static void
test_bitpos(void **state)
{
	(void)state;
	set_bytes("p", "\xff\xf0\x00", 3);
	rx("BITPOS p 0", ":12\r\n");
	rx("BITPOS p 1", ":0\r\n");
	rx("BITPOS p 1 2", ":-1\r\n");
	rx("BITPOS p 0 0 0", ":-1\r\n");
	rx("BITPOS p 0 0 0 BIT", ":-1\r\n");
	rx("BITPOS p 0 3 20 BIT", ":12\r\n");
	rx("BITPOS p 1 10 20 BIT", ":10\r\n");
	rx("BITPOS p 1 -12 -1 BIT", ":-1\r\n");
	rx("BITPOS p 1 3 1", ":-1\r\n");
	set_bytes("ones", "\xff\xff", 2);
	/* No end given: the bits after the string are zeros. */
	rx("BITPOS ones 0", ":16\r\n");
	rx("BITPOS ones 0 1", ":16\r\n");
	rx("BITPOS ones 0 0 -1", ":-1\r\n");
	rx("BITPOS ones 0 0 -1 BIT", ":-1\r\n");
	rx("BITPOS nokey 0", ":0\r\n");
	rx("BITPOS nokey 1", ":-1\r\n");
	rx("BITPOS nokey 1 x", ":-1\r\n");
	rx("BITPOS p 2", "-ERR The bit argument must be 1 or 0.\r\n");
	rx("BITPOS p x", "-ERR value is not an integer or out of range\r\n");
	rx("BITPOS p 1 0 x FOO", "-ERR syntax error\r\n");
	rx("BITPOS p 1 x 0 FOO", "-ERR value is not an integer or out of "
	   "range\r\n");
	rx("BITPOS p 1 0 1 BIT x", "-ERR syntax error\r\n");
	rx("RPUSH l x", ":1\r\n");
	rx("BITPOS l 3", "-ERR The bit argument must be 1 or 0.\r\n");
	rx("BITPOS l 1", WRONGTYPE);
}

/* model_range -- Redis's start/end normalization (n units). */
static bool
model_range(long long n, long long *s, long long *e)
{
	if (*s < 0)
		*s += n;
	if (*e < 0)
		*e += n;
	if (*s < 0)
		*s = 0;
	if (*e < 0)
		*e = 0;
	if (*e >= n)
		*e = n - 1;
	return *s <= *e;
}

/* model_bit -- bit i of p. */
static int
model_bit(const uint8_t *p, long long i)
{
	return (p[i / 8] >> (7 - i % 8)) & 1;
}

/*
 * test_ranges_model -- BITCOUNT and BITPOS over random strings and
 * ranges (lengths around the 8-byte word steps) against a bit by bit
 * model of Redis's rules.
 */
static void
test_ranges_model(void **state)
{
	uint8_t buf[300];
	uint64_t x = 88172645463325252ULL;
	(void)state;

	for (int round = 0; round < 3000; round++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t n = 1 + x % (round < 1500 ? 40 : 300);
		int kind = (int)(x >> 20) % 3;   /* random, zeros, ones */
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = kind == 0 ? (uint8_t)x : kind == 1 ?
				 (x % 50 ? 0 : (uint8_t)x) :
				 (x % 50 ? 0xff : (uint8_t)x);
		}
		set_bytes("r", buf, n);
		long long nb = (long long)n * 8;
		long long s0 = (long long)(x % (2 * nb)) - nb;
		long long e0 = (long long)((x >> 32) % (2 * nb)) - nb;
		bool isbit = (x >> 40) & 1;
		int bit = (x >> 41) & 1;
		bool with_end = (x >> 42) & 3;
		char cmd[128];

		/* BITCOUNT */
		long long s = s0, e = e0, want = 0;
		long long units = isbit ? nb : (long long)n;
		if (!(s < 0 && e < 0 && s > e) && model_range(units, &s, &e)) {
			long long sb = isbit ? s : s * 8;
			long long eb = isbit ? e : e * 8 + 7;
			for (long long i = sb; i <= eb; i++)
				want += model_bit(buf, i);
		}
		snprintf(cmd, sizeof(cmd), "BITCOUNT r %lld %lld %s", s0, e0,
			 isbit ? "BIT" : "BYTE");
		run(cmd);
		char w[64];
		snprintf(w, sizeof(w), ":%lld\r\n", want);
		expect(w);

		/* BITPOS */
		s = s0;
		e = with_end ? e0 : units - 1;
		want = -1;
		if (model_range(units, &s, &e)) {
			long long sb = isbit ? s : s * 8;
			long long eb = isbit ? e : e * 8 + 7;
			for (long long i = sb; i <= eb && want < 0; i++)
				if (model_bit(buf, i) == bit)
					want = i;
			if (want < 0 && bit == 0 && !with_end)
				want = nb;
		}
		if (with_end)
			snprintf(cmd, sizeof(cmd), "BITPOS r %d %lld %lld %s",
				 bit, s0, e0, isbit ? "BIT" : "BYTE");
		else
			snprintf(cmd, sizeof(cmd), "BITPOS r %d %lld", bit,
				 isbit ? s0 / 8 : s0);
		if (!with_end) {
			/* Without an end the unit is bytes. */
			s = isbit ? s0 / 8 : s0;
			e = (long long)n - 1;
			want = -1;
			if (model_range((long long)n, &s, &e)) {
				for (long long i = s * 8; i <= e * 8 + 7 &&
				     want < 0; i++)
					if (model_bit(buf, i) == bit)
						want = i;
				if (want < 0 && bit == 0)
					want = nb;
			}
		}
		run(cmd);
		snprintf(w, sizeof(w), ":%lld\r\n", want);
		expect(w);
	}
}

static void
test_bitop(void **state)
{
	(void)state;
	rx("SET a abc", "+OK\r\n");
	rx("SET b A", "+OK\r\n");
	rx("BITOP AND d a b", ":3\r\n");
	run("GET d");
	expect_bulk("A\0\0", 3);
	rx("BITOP OR d a b", ":3\r\n");
	rx("GET d", "$3\r\nabc\r\n");
	rx("BITOP XOR d a b", ":3\r\n");
	run("GET d");
	expect_bulk(" bc", 3);
	rx("BITOP NOT d b", ":1\r\n");
	rx("GET d", "$1\r\n\xbe\r\n");
	rx("BITOP not d a b", "-ERR BITOP NOT must be called with a single "
	   "source key.\r\n");
	rx("BITOP NAND d a", "-ERR syntax error\r\n");
	rx("BITOP AND d", "-ERR wrong number of arguments for 'bitop' "
	   "command\r\n");
	/* All sources missing or empty: dest goes. */
	rx("BITOP OR d nokey", ":0\r\n");
	rx("EXISTS d", ":0\r\n");
	/* Dest of another type or with a TTL is replaced like SET. */
	rx("RPUSH l x", ":1\r\n");
	rx("BITOP OR l a", ":3\r\n");
	rx("TYPE l", "+string\r\n");
	rx("SET t x EX 100", "+OK\r\n");
	rx("BITOP OR t a", ":3\r\n");
	rx("TTL t", ":-1\r\n");
	rx("RPUSH l2 x", ":1\r\n");
	rx("BITOP AND d a l2", WRONGTYPE);
	/* A source may be the destination; longer inputs use words. */
	rx("SET x 0123456789abcdefghijklmnopq", "+OK\r\n");
	rx("SET y ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210", "+OK\r\n");
	rx("BITOP AND x x y", ":36\r\n");
	run("GET x");
	char want[36];
	const char *p = "0123456789abcdefghijklmnopq";
	const char *q = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210";
	for (int i = 0; i < 36; i++)
		want[i] = i < 27 ? (char)(p[i] & q[i]) : 0;
	expect_bulk(want, 36);
	rx("BITOP XOR z y y", ":36\r\n");
	rx("BITCOUNT z", ":0\r\n");
}

static void
test_bitfield(void **state)
{
	(void)state;
	rx("BITFIELD bf SET u8 0 255 GET u8 0", "*2\r\n:0\r\n:255\r\n");
	rx("BITFIELD bf GET u4 0 GET i4 0 GET i8 0",
	   "*3\r\n:15\r\n:-1\r\n:-1\r\n");
	rx("BITFIELD bf INCRBY u8 0 10", "*1\r\n:9\r\n");
	rx("BITFIELD bf INCRBY u8 0 -300", "*1\r\n:221\r\n");
	rx("BITFIELD bf OVERFLOW SAT INCRBY u8 0 300 INCRBY u8 0 -1000",
	   "*2\r\n:255\r\n:0\r\n");
	rx("BITFIELD bf OVERFLOW FAIL INCRBY u8 0 -1 INCRBY u8 0 255 "
	   "INCRBY u8 0 1", "*3\r\n$-1\r\n:255\r\n$-1\r\n");
	rx("BITFIELD bf SET i8 8 -128 INCRBY i8 8 -1",
	   "*2\r\n:0\r\n:127\r\n");
	rx("BITFIELD bf OVERFLOW SAT INCRBY i8 8 100 INCRBY i8 8 -1000",
	   "*2\r\n:127\r\n:-128\r\n");
	rx("BITFIELD bf SET i64 16 -1 INCRBY i64 16 1 GET u63 16",
	   "*3\r\n:0\r\n:0\r\n:0\r\n");
	rx("BITFIELD bf INCRBY i64 16 9223372036854775807 INCRBY i64 16 1",
	   "*2\r\n:9223372036854775807\r\n:-9223372036854775808\r\n");
	rx("BITFIELD bf OVERFLOW SAT INCRBY i64 16 -1 INCRBY i64 16 "
	   "-9223372036854775808", "*2\r\n:-9223372036854775808\r\n"
	   ":-9223372036854775808\r\n");
	rx("BITFIELD bf OVERFLOW FAIL SET u63 16 -1",
	   "*1\r\n$-1\r\n");
	rx("BITFIELD bf OVERFLOW SAT SET u63 16 -1 GET u63 16",
	   "*2\r\n:4611686018427387904\r\n:9223372036854775807\r\n");
	/* Redis's quirk: a SET of INT64_MIN in SAT mode saturates up. */
	rx("BITFIELD bf OVERFLOW SAT SET i8 0 -9223372036854775808 "
	   "GET i8 0", "*2\r\n:-1\r\n:127\r\n");
	rx("BITFIELD bf SET i8 0 1000 GET i8 0", "*2\r\n:127\r\n:-24\r\n");
	rx("BITFIELD bf OVERFLOW WRAP SET u5 3 100 GET u5 3",
	   "*2\r\n:8\r\n:4\r\n");
	/* #n offsets are n * width; GET past the end reads zeros. */
	rx("BITFIELD bf SET u8 #20 7 GET u8 #20 GET u8 160", "*3\r\n:0\r\n"
	   ":7\r\n:7\r\n");
	rx("STRLEN bf", ":21\r\n");
	rx("BITFIELD bf GET u16 #20 GET i64 1000", "*2\r\n:0\r\n:0\r\n");
	rx("BITFIELD bf GET u16 152 GET u4 #40", "*2\r\n:7\r\n:0\r\n");
	rx("BITFIELD bf", "*0\r\n");
	rx("BITFIELD nokey GET i8 0", "*1\r\n:0\r\n");
	rx("EXISTS nokey", ":0\r\n");
	rx("BITFIELD nokey OVERFLOW FAIL INCRBY u8 8 300", "*1\r\n$-1\r\n");
	run("GET nokey");
	expect_bulk("\0\0", 2);
	/* Errors. */
	rx("BITFIELD bf GET u64 0", ERR_TYPE);
	rx("BITFIELD bf GET i65 0", ERR_TYPE);
	rx("BITFIELD bf GET i0 0", ERR_TYPE);
	rx("BITFIELD bf GET x8 0", ERR_TYPE);
	rx("BITFIELD bf GET i08 0", ERR_TYPE);
	rx("BITFIELD bf GET i8 -1", ERR_OFFSET);
	rx("BITFIELD bf GET i8 #-1", ERR_OFFSET);
	rx("BITFIELD bf GET i8 #", ERR_OFFSET);
	rx("BITFIELD bf GET i8 4294967296", ERR_OFFSET);
	rx("BITFIELD bf GET i8 #536870912", ERR_OFFSET);
	/* n * width wraps as in Redis: (2^61 + 1) * 8 is bit 8. */
	rx("BITFIELD bf GET u8 #2305843009213693953", "*1\r\n:128\r\n");
	rx("BITFIELD bf GET i8 #1152921504606846976", ERR_OFFSET);
	rx("BITFIELD bf SET i8 0 x", "-ERR value is not an integer or out "
	   "of range\r\n");
	rx("BITFIELD bf GET i8", "-ERR syntax error\r\n");
	rx("BITFIELD bf FOO i8 0", "-ERR syntax error\r\n");
	rx("BITFIELD bf GET i8 0 OVERFLOW", "-ERR syntax error\r\n");
	rx("BITFIELD bf OVERFLOW foo GET i8 0", "-ERR Invalid OVERFLOW type "
	   "specified\r\n");
	rx("RPUSH l x", ":1\r\n");
	rx("BITFIELD l GET i8 0", WRONGTYPE);
	rx("BITFIELD l SET i8 0 1", WRONGTYPE);
	rx("BITFIELD l GET x 0", ERR_TYPE);
	/* BITFIELD_RO: GET (and OVERFLOW) only. */
	rx("BITFIELD_RO bf GET u8 #20 OVERFLOW WRAP", "*1\r\n:7\r\n");
	rx("BITFIELD_RO bf GET u8 0 SET u8 0 1", "-ERR BITFIELD_RO only "
	   "supports the GET subcommand\r\n");
	rx("BITFIELD_RO bf INCRBY u8 0 x", "-ERR value is not an integer or "
	   "out of range\r\n");
	rx("BITFIELD_RO l GET u8 0", WRONGTYPE);
}

/* test_memory -- values grown by bit writes give their memory back. */
static void
test_memory(void **state)
{
	(void)state;
	uint64_t m0 = kv_used_memory(st_shard);
	rx("SETBIT big 8000000 1", ":0\r\n");
	assert_true(kv_used_memory(st_shard) >= m0 + 1000000);
	rx("BITFIELD big2 SET u8 #300000 1", "*1\r\n:0\r\n");
	rx("SET s abc", "+OK\r\n");
	rx("BITOP OR dst big s", ":1000001\r\n");
	rx("BITOP OR dst s", ":3\r\n");
	rx("SET n 123", "+OK\r\n");
	rx("SETBIT n 100 1", ":0\r\n");
	rx("DEL big big2 s dst n", ":5\r\n");
	assert_int_equal(kv_used_memory(st_shard), m0);
}

/* test_replay -- every bit write is logged and recovered to the same
 * bytes. */
static void
test_replay(void **state)
{
	char err[256];
	char a[2048], b[2048];
	size_t na, nb;
	(void)state;

	unlink(st_log_path);
	struct pm_log *log = pm_log_open(st_log_path, 8 << 20, 0, err, sizeof(err));
	assert_non_null(log);
	st_close();
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("SETBIT b 100 1", ":0\r\n");
	rx("SETBIT b 3 1", ":0\r\n");
	rx("SETBIT b 100 0", ":1\r\n");
	rx("SET n 42", "+OK\r\n");
	rx("SETBIT n 20 1", ":0\r\n");
	rx("BITFIELD bf SET u8 0 200 INCRBY i5 3 7 OVERFLOW FAIL "
	   "INCRBY u8 #3 300 GET u8 0", "*4\r\n:0\r\n:15\r\n$-1\r\n:207\r\n");
	rx("BITFIELD bf OVERFLOW SAT INCRBY u8 #2 1000", "*1\r\n:255\r\n");
	rx("BITFIELD_RO bf GET u8 0", "*1\r\n:207\r\n");
	rx("SET s foobar", "+OK\r\n");
	rx("BITOP XOR x s b", ":13\r\n");
	rx("BITOP NOT y s", ":6\r\n");
	rx("SET gone v", "+OK\r\n");
	rx("BITOP AND gone nokey", ":0\r\n");
	kv_commit(st_shard);
	const char *keys[] = { "b", "n", "bf", "x", "y" };
	char snap[5][64];
	size_t snap_len[5];
	for (int i = 0; i < 5; i++) {
		char cmd[32];
		snprintf(cmd, sizeof(cmd), "GET %s", keys[i]);
		run(cmd);
		assert_true(st_len < sizeof(snap[i]));
		memcpy(snap[i], st_out, st_len);
		snap_len[i] = st_len;
	}
	run("DBSIZE");
	na = st_len;
	memcpy(a, st_out, na);
	st_close();
	pm_log_close(log);

	log = pm_log_open(st_log_path, 8 << 20, 0, err, sizeof(err));
	assert_non_null(log);
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	run("DBSIZE");
	nb = st_len;
	memcpy(b, st_out, nb);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	for (int i = 0; i < 5; i++) {
		char cmd[32];
		snprintf(cmd, sizeof(cmd), "GET %s", keys[i]);
		run(cmd);
		assert_int_equal(st_len, snap_len[i]);
		assert_memory_equal(st_out, snap[i], st_len);
	}
	rx("EXISTS gone", ":0\r\n");
	st_close();
	pm_log_close(log);
	unlink(st_log_path);
	st_open(NULL);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_setbit_getbit),
	ST_TEST(test_integer_strings),
	ST_TEST(test_bitcount),
	ST_TEST(test_bitpos),
	ST_TEST(test_ranges_model),
	ST_TEST(test_bitop),
	ST_TEST(test_bitfield),
	ST_TEST(test_memory),
	ST_TEST(test_replay),
};

ST_MAIN_WITH_LOG(tests, "bitops")
