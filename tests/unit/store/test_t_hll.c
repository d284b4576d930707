/*
 * test_t_hll.c -- store/t_hll.c: the exact bytes of sparse and dense
 * HyperLogLogs and PFCOUNT's estimates from 1 to 200000 elements, both
 * as redis-server 7.0.15 gave them for the same commands; unions,
 * merges, invalid values, memory, and replay through the log.
 */
#include <errno.h>

#include "unit.h"

#include "store_test.h"

#define WRONGTYPE "-WRONGTYPE Operation against a key holding the wrong " \
	"kind of value\r\n"
#define NOT_HLL "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"
#define INVALID "-INVALIDOBJ Corrupted HLL object detected\r\n"

static char path[64];

/* pfadd_items -- PFADD key item:lo .. item:hi-1, 1000 per command. */
static void
pfadd_items(const char *key, int lo, int hi)
{
	static char names[1000][16];
	static struct kv_arg argv[1002];

	for (int b = lo; b < hi; b += 1000) {
		int n = 0;
		argv[0] = (struct kv_arg){ "PFADD", 5 };
		argv[1] = (struct kv_arg){ key, strlen(key) };
		for (int i = b; i < hi && i < b + 1000; i++, n++) {
			int l = snprintf(names[n], sizeof(names[n]), "item:%d",
					 i);
			argv[2 + n] = (struct kv_arg){ names[n], (size_t)l };
		}
		st_len = 0;
		kv_execute(st_shard, &st_client, 2 + n, argv);
		assert_true(st_len == 4 && st_out[0] == ':');
	}
}

/* value_of -- GET key: the bytes (in st_out) and their count. */
static const char *
value_of(const char *key, size_t *len)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "GET %s", key);
	run(cmd);
	assert_int_equal(st_out[0], '$');
	char *nl = memchr(st_out, '\n', st_len);
	assert_non_null(nl);
	*len = (size_t)atoll(st_out + 1);
	assert_int_equal(st_len, (size_t)(nl + 1 - st_out) + *len + 2);
	return nl + 1;
}

/* fnv64 -- FNV-1a of a value, to compare 12 KB dense values. */
static uint64_t
fnv64(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* expect_hex -- the value of key, as hex, is want. */
static void
expect_hex(const char *key, const char *want)
{
	size_t len;
	const char *p = value_of(key, &len);
	char hex[256];

	assert_true(len * 2 < sizeof(hex));
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", (uint8_t)p[i]);
	hex[2 * len] = '\0';
	assert_string_equal(hex, want);
}

/* expect_val -- the value of key has this length and FNV-1a. */
static void
expect_val(const char *key, size_t want_len, uint64_t want_fnv)
{
	size_t len;
	const char *p = value_of(key, &len);

	assert_int_equal(len, want_len);
	assert_true(fnv64(p, len) == want_fnv);
}

/* test_bytes -- the bytes of a few small sparse values, as Redis has
 * them: header, cached cardinality (stale bit), opcodes. */
static void
test_bytes(void **state)
{
	(void)state;
	rx("PFADD x a b c", ":1\r\n");
	expect_hex("x", "48594c4c01000000000000000000008060f38050b1844bfb"
		   "80425a");
	rx("PFCOUNT x", ":3\r\n");
	expect_hex("x", "48594c4c01000000030000000000000060f38050b1844bfb"
		   "80425a");
	rx("PFADD x a b", ":0\r\n");
	rx("PFADD x hello world foo", ":1\r\n");
	expect_hex("x", "48594c4c0100000003000000000000804ab58851fc90443e"
		   "80430a804da5844bfb80425a");
	rx("PFCOUNT x", ":6\r\n");
	/* No element: the key is made, its cache is marked stale. */
	rx("PFADD e", ":1\r\n");
	expect_hex("e", "48594c4c0100000000000000000000807fff");
	rx("PFADD e", ":0\r\n");
	rx("PFCOUNT e", ":0\r\n");
	expect_hex("e", "48594c4c0100000000000000000000007fff");
}

/*
 * test_count_model -- PFCOUNT after adding item:0 .. item:n-1, with the
 * length and FNV-1a of the value right after (so the cached cardinality
 * is in it), for n up to 200000: the numbers redis-server 7.0.15 gave
 * for the same sequence of commands.
 */
static void
test_count_model(void **state)
{
	static const struct {
		int n;
		long long count;
		size_t len;
		uint64_t fnv;
	} want[] = {
		{ 1, 1, 21, 0xac4894496f8aa41eULL },
		{ 2, 2, 24, 0x940804aa9e85e640ULL },
		{ 3, 3, 27, 0x87e1dcb5cab4b01eULL },
		{ 5, 5, 33, 0x341f36596a28358aULL },
		{ 10, 10, 48, 0x948759a35958a565ULL },
		{ 20, 20, 78, 0xb6a34da454bc905aULL },
		{ 50, 50, 163, 0x3b43e65b5d79d9f7ULL },
		{ 100, 99, 277, 0x58a9fe581be8a402ULL },
		{ 200, 199, 505, 0x4f73884f330ff60eULL },
		{ 500, 501, 1052, 0x85a7a2a1a8454bd9ULL },
		{ 1000, 1002, 1892, 0xb6a33b2379785d6eULL },
		{ 2000, 2006, 12304, 0x92e5295cadfbdea4ULL },
		{ 5000, 5052, 12304, 0x6482b28927b3bd41ULL },
		{ 10000, 10083, 12304, 0x5030846238012f3aULL },
		{ 20000, 20021, 12304, 0xdce2da1ccc3a931cULL },
		{ 50000, 50189, 12304, 0x57c0a30247e0e1b4ULL },
		{ 100000, 100310, 12304, 0x5c1086ea2b6014e4ULL },
		{ 150000, 150172, 12304, 0x93d6c51cdeb591b3ULL },
		{ 200000, 199145, 12304, 0x72e7cd1a7f288fdbULL },
	};
	int n = 0;
	(void)state;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		/* The same batches as for redis-server: at most 1000 per
		 * PFADD, never across a checkpoint. */
		for (; n < want[i].n; n += 1000)
			pfadd_items("h", n, n + 1000 < want[i].n ? n + 1000 :
				    want[i].n);
		n = want[i].n;
		char w[32];
		snprintf(w, sizeof(w), ":%lld\r\n", want[i].count);
		rx("PFCOUNT h", w);
		expect_val("h", want[i].len, want[i].fnv);
	}
	rx("STRLEN h", ":12304\r\n");
}

/* test_union -- PFCOUNT of several keys and PFMERGE, sparse and dense. */
static void
test_union(void **state)
{
	(void)state;
	pfadd_items("u1", 0, 100000);
	pfadd_items("u2", 50000, 150000);
	rx("PFCOUNT u1 u2", ":150172\r\n");
	rx("PFCOUNT u1 u2 nokey", ":150172\r\n");
	rx("PFMERGE m u1 u2", "+OK\r\n");
	expect_val("m", 12304, 0x3d4cd63c54eff7f3ULL);
	rx("PFCOUNT m", ":150172\r\n");
	pfadd_items("s1", 0, 300);
	pfadd_items("s2", 200, 600);
	rx("PFCOUNT s1 s2", ":601\r\n");
	rx("PFMERGE s3 s1 s2", "+OK\r\n");
	expect_val("s3", 1219, 0x555aa0e25c00f05bULL);
	rx("PFCOUNT s3", ":601\r\n");
	/* A dense source makes the destination dense. */
	rx("PFMERGE s1 u1", "+OK\r\n");
	expect_val("s1", 12304, 0xcaff9972c8278a2eULL);
	rx("PFCOUNT s1", ":100310\r\n");
	/* Nothing to merge: an empty HLL, the cache marked stale. */
	rx("PFMERGE new nokey", "+OK\r\n");
	expect_hex("new", "48594c4c0100000000000000000000807fff");
	rx("PFCOUNT nokey", ":0\r\n");
	rx("PFCOUNT nokey nokey2", ":0\r\n");
	rx("EXISTS nokey", ":0\r\n");
}

/* test_invalid -- wrong types, strings that are not HyperLogLogs and
 * corrupted sparse opcodes. */
static void
test_invalid(void **state)
{
	(void)state;
	rx("RPUSH l a", ":1\r\n");
	rx("PFADD l a", WRONGTYPE);
	rx("PFCOUNT l", WRONGTYPE);
	rx("PFMERGE d l", WRONGTYPE);
	rx("EXISTS d", ":0\r\n");
	rx("SET s hello", "+OK\r\n");
	rx("PFADD s a", NOT_HLL);
	rx("PFCOUNT s", NOT_HLL);
	rx("PFCOUNT nokey s", NOT_HLL);
	rx("PFMERGE s nokey", NOT_HLL);
	rx("SET i 1234567890123", "+OK\r\n");
	rx("PFCOUNT i", NOT_HLL);
	rx("SET magic HYLXAAAAAAAAAAAAAAAA", "+OK\r\n");
	rx("PFCOUNT magic", NOT_HLL);
	rx("SET enc HYLLAAAAAAAAAAAAAAAA", "+OK\r\n");
	rx("PFCOUNT enc", NOT_HLL);
	/* Dense of the wrong size. */
	rx("BITFIELD enc SET u8 32 0", "*1\r\n:65\r\n");
	rx("PFADD enc a", NOT_HLL);
	/* Sparse whose opcodes cover 644 registers; a stale cache. */
	rx("SET bad HYLLAAAAAAAAAAAAAAAA", "+OK\r\n");
	rx("BITFIELD bad SET u8 32 1 SET u8 120 128",
	   "*2\r\n:65\r\n:65\r\n");
	rx("PFCOUNT bad", INVALID);
	rx("PFCOUNT bad nokey", INVALID);
	rx("PFMERGE out bad", INVALID);
	rx("EXISTS out", ":0\r\n");
	rx("PFADD bad a b c", INVALID);
	/* Opcodes past the 16384 registers (XZERO 16384, then a VAL) are
	 * refused everywhere, as Redis does since CVE-2025-32023. */
	rx("SET over HYLLAAAAAAAAAAAAAAA", "+OK\r\n");
	rx("BITFIELD over SET u8 32 1 SET u8 120 128 SET u8 128 127 "
	   "SET u8 136 255 SET u8 144 250", "*5\r\n:65\r\n:65\r\n:65\r\n"
	   ":65\r\n:65\r\n");
	rx("PFCOUNT over", INVALID);
	rx("PFCOUNT over nokey", INVALID);
	rx("PFMERGE over", INVALID);
	rx("PFADD dst a", ":1\r\n");
	rx("PFMERGE dst over", INVALID);
	/* A valid cache is returned as it is. */
	rx("BITFIELD bad SET u8 120 0", "*1\r\n:128\r\n");
	rx("PFCOUNT bad", ":18367622009667905\r\n");
	rx("PFADD", "-ERR wrong number of arguments for 'pfadd' command\r\n");
	rx("PFCOUNT", "-ERR wrong number of arguments for 'pfcount' "
	   "command\r\n");
	rx("PFMERGE", "-ERR wrong number of arguments for 'pfmerge' "
	   "command\r\n");
}

/* test_memory -- sparse growth, promotion and DEL keep used_memory
 * exact. */
static void
test_memory(void **state)
{
	(void)state;
	uint64_t m0 = kv_used_memory(st_shard);
	pfadd_items("a", 0, 500);
	pfadd_items("b", 0, 5000);
	rx("PFMERGE c a", "+OK\r\n");
	rx("PFMERGE c b", "+OK\r\n");
	rx("PFCOUNT a", ":501\r\n");
	rx("DEL a b c", ":3\r\n");
	assert_int_equal(kv_used_memory(st_shard), m0);
}

/* test_replay -- PFADD, PFMERGE and the cache PFCOUNT writes are
 * logged; recovery rebuilds the same bytes. */
static void
test_replay(void **state)
{
	char err[256];
	const char *keys[] = { "sp", "dn", "mg", "mg2", "e" };
	uint64_t fnv[5];
	size_t len[5];
	(void)state;

	unlink(path);
	struct pm_log *log = pm_log_open(path, 16 << 20, 0, err, sizeof(err));
	assert_non_null(log);
	st_close();
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	pfadd_items("sp", 0, 200);
	rx("PFCOUNT sp", ":199\r\n");            /* cache written */
	pfadd_items("sp", 200, 210);
	pfadd_items("dn", 0, 3000);
	rx("PFCOUNT dn", ":3004\r\n");
	rx("PFMERGE mg sp", "+OK\r\n");
	rx("PFMERGE mg2 sp dn", "+OK\r\n");
	rx("PFCOUNT mg2", ":3004\r\n");
	rx("PFCOUNT sp dn", ":3004\r\n");        /* nothing written */
	rx("PFADD e", ":1\r\n");
	for (int i = 0; i < 5; i++) {
		const char *p = value_of(keys[i], &len[i]);
		fnv[i] = fnv64(p, len[i]);
	}
	kv_commit(st_shard);
	st_close();
	pm_log_close(log);

	log = pm_log_open(path, 16 << 20, 0, err, sizeof(err));
	assert_non_null(log);
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("DBSIZE", ":5\r\n");
	for (int i = 0; i < 5; i++)
		expect_val(keys[i], len[i], fnv[i]);
	st_close();
	pm_log_close(log);
	unlink(path);
	st_open(NULL);
}

/* exec_bin -- run argv (binary-safe) and return the reply as a string. */
static const char *
exec_bin(int argc, const struct kv_arg *argv)
{
	st_len = 0;
	kv_execute(st_shard, &st_client, argc, argv);
	st_out[st_len] = '\0';
	return st_out;
}

/*
 * test_truncated_xzero -- sparse data ending in the first byte of a
 * two-byte XZERO is corrupted: PFADD and an uncached PFCOUNT answer
 * INVALIDOBJ without reading past the value (the ASan build checks); a
 * valid cache answers PFCOUNT as Redis does.
 */
static void
test_truncated_xzero(void **state)
{
	(void)state;
	static const char *const inv = "-INVALIDOBJ Corrupted HLL object "
				       "detected\r\n";
	const uint8_t tails[][3] = { { 0x40 }, { 0x40, 0x00 },
				     { 0x7f, 0xff, 0x40 } };
	const size_t tail_len[] = { 1, 2, 3 };
	for (unsigned t = 0; t < 3; t++) {
		for (int cached = 1; cached >= 0; cached--) {
			uint8_t v[19] = { 'H', 'Y', 'L', 'L', 1 };
			if (!cached)
				v[15] = 0x80;      /* cardinality cache stale */
			memcpy(v + 16, tails[t], tail_len[t]);
			struct kv_arg set[3] = { { "SET", 3 }, { "h", 1 },
				{ (const char *)v, 16 + tail_len[t] } };
			assert_string_equal(exec_bin(3, set), "+OK\r\n");
			struct kv_arg cnt[2] = { { "PFCOUNT", 7 }, { "h", 1 } };
			const char *got = exec_bin(2, cnt);
			if (cached)
				assert_string_equal(got, ":0\r\n");
			else if (t < 2)
				assert_string_equal(got, inv);
			struct kv_arg add[3] = { { "PFADD", 5 }, { "h", 1 },
						 { "a", 1 } };
			got = exec_bin(3, add);
			/* Redis: INVALIDOBJ, except when the register set
			 * lies in the valid XZERO before the cut one. */
			assert_string_equal(got, t == 2 ? ":1\r\n" : inv);
		}
	}
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_truncated_xzero),
	ST_TEST(test_bytes),
	ST_TEST(test_count_model),
	ST_TEST(test_union),
	ST_TEST(test_invalid),
	ST_TEST(test_memory),
	ST_TEST(test_replay),
};

int
main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	setenv("PMEM_IS_PMEM_FORCE", "1", 1);
	snprintf(path, sizeof(path), "/dev/shm/rptest-hll-%d", (int)getpid());
	rp_test_eal_init(argv[0]);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	rte_eal_cleanup();
	return rc;
}
