/*
 * test_kv.c -- store/kv.c: the keyspace on rte_hash: growth far past the
 * first table, digest collisions, lazy and active expiry, flush, memory.
 */
#include "unit.h"

#include "store_test.h"

extern void (*kv_digest_fn)(const char *key, size_t len, uint8_t out[16]);

/* weak_digest -- every key gets the same digest: all chain. */
static void
weak_digest(const char *key, size_t len, uint8_t out[16])
{
	(void)key;
	(void)len;
	memset(out, 0x5a, 16);
}

static void
test_growth(void **state)
{
	char key[32];
	(void)state;

	for (int i = 0; i < 100000; i++) {
		int n = snprintf(key, sizeof(key), "key:%d", i);
		struct kv_entry *e = kv_create(st_shard, 0, key, (size_t)n);
		assert_non_null(e);
		kv_str_set_int(st_shard, e, i);
	}
	assert_int_equal(kv_dbsize(st_shard, 0), 100000);
	assert_true(st_shard->stats.rehashes >= 4);   /* 4096 -> ... */
	for (int i = 0; i < 100000; i += 7) {
		int n = snprintf(key, sizeof(key), "key:%d", i);
		struct kv_entry *e = kv_lookup(st_shard, 0, key, (size_t)n,
					       false);
		assert_non_null(e);
		assert_int_equal(e->v.ival, i);
	}
	for (int i = 0; i < 100000; i++) {
		int n = snprintf(key, sizeof(key), "key:%d", i);
		kv_delete(st_shard, 0, kv_lookup(st_shard, 0, key, (size_t)n,
						 false));
	}
	assert_int_equal(kv_dbsize(st_shard, 0), 0);
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static void
test_collisions(void **state)
{
	char key[32];
	(void)state;

	st_close();
	void (*saved)(const char *, size_t, uint8_t[16]) = kv_digest_fn;
	kv_digest_fn = weak_digest;
	st_open(NULL);
	for (int i = 0; i < 200; i++) {
		int n = snprintf(key, sizeof(key), "c%d", i);
		assert_non_null(kv_create(st_shard, 0, key, (size_t)n));
	}
	/* Delete from the head, the middle and the tail of the chain. */
	rx("DEL c199 c100 c0", ":3\r\n");
	rx("EXISTS c1 c99 c198 c0", ":3\r\n");
	rx("SET c5 five", "+OK\r\n");
	rx("GET c5", "$4\r\nfive\r\n");
	rx("DBSIZE", ":197\r\n");
	rx("FLUSHDB", "+OK\r\n");
	rx("DBSIZE", ":0\r\n");
	st_close();
	kv_digest_fn = saved;
	st_open(NULL);
}

static void
test_lazy_expiry(void **state)
{
	(void)state;
	rx("SET k v PX 100000", "+OK\r\n");
	struct kv_entry *e = kv_lookup(st_shard, 0, "k", 1, false);
	assert_non_null(e);
	e->expire_ms = st_shard->now_ms - 1;   /* its time has come */
	rx("GET k", "$-1\r\n");
	assert_int_equal(kv_dbsize(st_shard, 0), 0);
	assert_int_equal(st_shard->stats.expired_keys, 1);
	assert_int_equal(kv_expires(st_shard, 0), 0);
}

static void
test_active_expiry(void **state)
{
	char cmd[64];
	(void)state;

	for (int i = 0; i < 1000; i++) {
		snprintf(cmd, sizeof(cmd), "SET v%d x PX 100000", i);
		run(cmd);
	}
	rx("SET keep x", "+OK\r\n");
	assert_int_equal(kv_expires(st_shard, 0), 1000);
	for (uint32_t i = 0; i < st_shard->db[0].n_vol; i++)
		st_shard->db[0].vol[i]->expire_ms = 1;
	unsigned total = 0;
	for (int round = 0; round < 1000 && total < 1000; round++) {
		unsigned n = kv_cron(st_shard);
		assert_true(n <= 200);          /* bounded work per call */
		total += n;
	}
	assert_int_equal(total, 1000);
	assert_int_equal(kv_dbsize(st_shard, 0), 1);
	rx("GET keep", "$1\r\nx\r\n");
}

static void
test_random_entry(void **state)
{
	(void)state;
	assert_null(kv_random_entry(st_shard, 0));
	rx("MSET a 1 b 2 c 3", "+OK\r\n");
	for (int i = 0; i < 50; i++)
		assert_non_null(kv_random_entry(st_shard, 0));
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_growth),
	ST_TEST(test_collisions),
	ST_TEST(test_lazy_expiry),
	ST_TEST(test_active_expiry),
	ST_TEST(test_random_entry),
};

RP_TEST_MAIN(tests, 1)
