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
	for (int i = 0; i < 100000; i++) {
		int n = snprintf(key, sizeof(key), "key:%d", i);
		struct kv_entry *e = kv_lookup(st_shard, 0, key, (size_t)n,
					       false);
		assert_non_null(e);
		assert_int_equal(e->v.ival, i);
	}
	assert_null(kv_lookup(st_shard, 0, "key:100000", 10, false));
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


/* test_create_lookup_delete -- the basic life of a key, binary keys,
 * databases kept apart, memory accounted and given back. */
static void
test_create_lookup_delete(void **state)
{
	(void)state;
	uint64_t m0 = kv_used_memory(st_shard);
	assert_null(kv_lookup(st_shard, 0, "a", 1, false));
	struct kv_entry *e = kv_create(st_shard, 0, "a", 1);
	assert_non_null(e);
	assert_int_equal(e->type, KV_TYPE_STRING);
	assert_int_equal(e->expire_ms, 0);
	assert_int_equal(e->vol_idx, KV_NO_VOLATILE);
	assert_int_equal(kv_str_set(st_shard, e, "hello", 5), 0);
	assert_true(kv_used_memory(st_shard) > m0);
	assert_ptr_equal(kv_lookup(st_shard, 0, "a", 1, false), e);
	assert_int_equal(e->klen, 1);
	assert_memory_equal(e->key, "a", 1);
	assert_null(kv_lookup(st_shard, 0, "ab", 2, false));
	assert_null(kv_lookup(st_shard, 0, "", 0, false));
	assert_null(kv_lookup(st_shard, 1, "a", 1, false));   /* other db */
	assert_int_equal(kv_dbsize(st_shard, 0), 1);
	assert_int_equal(kv_dbsize(st_shard, 1), 0);
	assert_int_equal(kv_dbsize(st_shard, 99999), 0);     /* no such db */

	/* Binary keys: NUL bytes inside, prefixes of each other. */
	struct kv_entry *b1 = kv_create(st_shard, 0, "k\0x", 3);
	struct kv_entry *b2 = kv_create(st_shard, 0, "k\0", 2);
	struct kv_entry *b3 = kv_create(st_shard, 1, "a", 1);
	struct kv_entry *b4 = kv_create(st_shard, 0, "", 0);
	assert_non_null(b1);
	assert_non_null(b2);
	assert_non_null(b3);
	assert_non_null(b4);
	assert_ptr_equal(kv_lookup(st_shard, 0, "k\0x", 3, false), b1);
	assert_ptr_equal(kv_lookup(st_shard, 0, "k\0", 2, false), b2);
	assert_ptr_equal(kv_lookup(st_shard, 1, "a", 1, false), b3);
	assert_ptr_equal(kv_lookup(st_shard, 0, "", 0, false), b4);
	assert_null(kv_lookup(st_shard, 0, "k\0y", 3, false));
	assert_int_equal(kv_dbsize(st_shard, 0), 4);
	assert_int_equal(kv_dbsize(st_shard, 1), 1);

	/* Statistics are counted only when asked. */
	uint64_t hits = st_shard->stats.keyspace_hits;
	uint64_t misses = st_shard->stats.keyspace_misses;
	kv_lookup(st_shard, 0, "a", 1, true);
	kv_lookup(st_shard, 0, "zz", 2, true);
	kv_lookup(st_shard, 0, "a", 1, false);
	assert_int_equal(st_shard->stats.keyspace_hits, hits + 1);
	assert_int_equal(st_shard->stats.keyspace_misses, misses + 1);

	kv_delete(st_shard, 0, e);
	assert_null(kv_lookup(st_shard, 0, "a", 1, false));
	assert_ptr_equal(kv_lookup(st_shard, 1, "a", 1, false), b3);
	kv_delete(st_shard, 0, b1);
	kv_delete(st_shard, 0, b2);
	kv_delete(st_shard, 1, b3);
	kv_delete(st_shard, 0, b4);
	assert_int_equal(kv_dbsize(st_shard, 0), 0);
	assert_int_equal(kv_dbsize(st_shard, 1), 0);
	assert_int_equal(kv_used_memory(st_shard), m0);
	/* A deleted key can be created again. */
	e = kv_create(st_shard, 0, "a", 1);
	assert_non_null(e);
	assert_ptr_equal(kv_lookup(st_shard, 0, "a", 1, false), e);
}

/* test_collisions_many -- 2000 keys with one digest, created, found,
 * deleted in an interleaved order through the keyspace API. */
static void
test_collisions_many(void **state)
{
	char key[32];
	const int n = 2000;
	(void)state;

	st_close();
	void (*saved)(const char *, size_t, uint8_t[16]) = kv_digest_fn;
	kv_digest_fn = weak_digest;
	st_open(NULL);
	uint64_t m0 = kv_used_memory(st_shard);
	for (int i = 0; i < n; i++) {
		int len = snprintf(key, sizeof(key), "coll:%d", i);
		assert_null(kv_lookup(st_shard, 0, key, (size_t)len, false));
		struct kv_entry *e = kv_create(st_shard, 0, key, (size_t)len);
		assert_non_null(e);
		kv_str_set_int(st_shard, e, i);
	}
	assert_int_equal(kv_dbsize(st_shard, 0), n);
	for (int i = 0; i < n; i++) {
		int len = snprintf(key, sizeof(key), "coll:%d", i);
		struct kv_entry *e = kv_lookup(st_shard, 0, key, (size_t)len,
					       false);
		assert_non_null(e);
		assert_int_equal(e->klen, len);
		assert_memory_equal(e->key, key, (size_t)len);
		assert_int_equal(e->v.ival, i);
	}
	assert_null(kv_lookup(st_shard, 0, "coll:2000", 9, false));
	/* Every third key first (head, middle and tail of the chain). */
	for (int i = 0; i < n; i += 3) {
		int len = snprintf(key, sizeof(key), "coll:%d", i);
		kv_delete(st_shard, 0, kv_lookup(st_shard, 0, key,
						 (size_t)len, false));
	}
	for (int i = 0; i < n; i++) {
		int len = snprintf(key, sizeof(key), "coll:%d", i);
		struct kv_entry *e = kv_lookup(st_shard, 0, key, (size_t)len,
					       false);
		if (i % 3 == 0) {
			assert_null(e);
		} else {
			assert_non_null(e);
			assert_int_equal(e->v.ival, i);
		}
	}
	/* Expiry of chained keys through commands. */
	rx("SET coll:1 v PX 100000", "+OK\r\n");
	kv_lookup(st_shard, 0, "coll:1", 6, false)->expire_ms = 1;
	rx("GET coll:1", "$-1\r\n");
	rx("GET coll:2", "$1\r\n2\r\n");
	for (int i = n - 1; i >= 0; i--) {
		int len = snprintf(key, sizeof(key), "coll:%d", i);
		struct kv_entry *e = kv_lookup(st_shard, 0, key, (size_t)len,
					       false);
		if (e != NULL)
			kv_delete(st_shard, 0, e);
	}
	assert_int_equal(kv_dbsize(st_shard, 0), 0);
	assert_int_equal(kv_used_memory(st_shard), m0);
	rx("KEYS *", "*0\r\n");
	st_close();
	kv_digest_fn = saved;
	st_open(NULL);
}

/* test_lazy_expiry_api -- kv_lookup deletes a key whose expire time is
 * at or before now_ms, and only then. */
static void
test_lazy_expiry_api(void **state)
{
	(void)state;
	uint64_t m0 = kv_used_memory(st_shard);
	struct kv_entry *e = kv_create(st_shard, 0, "t", 1);
	assert_non_null(e);
	kv_str_set(st_shard, e, "v", 1);
	kv_set_expire(st_shard, 0, e, st_shard->now_ms + 100000);
	assert_int_equal(kv_expires(st_shard, 0), 1);
	assert_ptr_equal(kv_lookup(st_shard, 0, "t", 1, false), e);
	e->expire_ms = st_shard->now_ms + 1;         /* not yet */
	assert_ptr_equal(kv_lookup(st_shard, 0, "t", 1, false), e);
	e->expire_ms = st_shard->now_ms;             /* exactly now: gone */
	uint64_t expired = st_shard->stats.expired_keys;
	assert_null(kv_lookup(st_shard, 0, "t", 1, false));
	assert_int_equal(st_shard->stats.expired_keys, expired + 1);
	assert_int_equal(kv_dbsize(st_shard, 0), 0);
	assert_int_equal(kv_expires(st_shard, 0), 0);
	assert_int_equal(kv_used_memory(st_shard), m0);
	/* kv_set_expire(0) makes a key persistent again. */
	e = kv_create(st_shard, 0, "p", 1);
	kv_set_expire(st_shard, 0, e, st_shard->now_ms + 1000);
	assert_int_equal(kv_expires(st_shard, 0), 1);
	kv_set_expire(st_shard, 0, e, 0);
	assert_int_equal(kv_expires(st_shard, 0), 0);
	assert_int_equal(e->expire_ms, 0);
	assert_ptr_equal(kv_lookup(st_shard, 0, "p", 1, false), e);
}

/* test_active_expiry_mixed -- kv_cron reclaims only the expired keys,
 * in whatever database they are. */
static void
test_active_expiry_mixed(void **state)
{
	char key[32];
	(void)state;
	for (int i = 0; i < 300; i++) {
		int n = snprintf(key, sizeof(key), "x%d", i);
		unsigned db = i % 2 ? 0 : 5;
		struct kv_entry *e = kv_create(st_shard, db, key, (size_t)n);
		kv_set_expire(st_shard, db, e, i < 200 ? 1
			      : st_shard->now_ms + 1000000);
	}
	assert_int_equal(kv_expires(st_shard, 0) + kv_expires(st_shard, 5),
			 300);
	unsigned total = 0;
	for (int round = 0; round < 100000 && total < 200; round++)
		total += kv_cron(st_shard);
	assert_int_equal(total, 200);
	for (int round = 0; round < 100; round++)
		assert_int_equal(kv_cron(st_shard), 0);
	assert_int_equal(kv_dbsize(st_shard, 0) + kv_dbsize(st_shard, 5), 100);
	assert_int_equal(kv_expires(st_shard, 0) + kv_expires(st_shard, 5),
			 100);
	assert_int_equal(st_shard->stats.expired_keys, 200);
	for (int i = 200; i < 300; i++) {
		int n = snprintf(key, sizeof(key), "x%d", i);
		assert_non_null(kv_lookup(st_shard, i % 2 ? 0 : 5, key,
					  (size_t)n, false));
	}
}

/* test_flush_db -- kv_flush_db empties one database only. */
static void
test_flush_db(void **state)
{
	(void)state;
	uint64_t m0 = kv_used_memory(st_shard);
	rx("SELECT 1", "+OK\r\n");
	rx("SET keep v", "+OK\r\n");
	rx("RPUSH keepl a b", ":2\r\n");
	uint64_t m1 = kv_used_memory(st_shard);
	rx("SELECT 0", "+OK\r\n");
	for (int i = 0; i < 5000; i++) {
		char cmd[64];
		snprintf(cmd, sizeof(cmd), i % 3 ? "SET f%d value%d"
			 : "SET f%d value%d EX 1000", i, i);
		run(cmd);
	}
	rx("RPUSH fl a b c", ":3\r\n");
	assert_int_equal(kv_dbsize(st_shard, 0), 5001);
	assert_true(kv_expires(st_shard, 0) > 0);
	kv_flush_db(st_shard, 0);
	assert_int_equal(kv_dbsize(st_shard, 0), 0);
	assert_int_equal(kv_expires(st_shard, 0), 0);
	assert_int_equal(kv_dbsize(st_shard, 1), 2);
	assert_int_equal(kv_used_memory(st_shard), m1);
	assert_null(kv_lookup(st_shard, 0, "f1", 2, false));
	assert_int_equal(kv_cron(st_shard), 0);
	rx("SET f1 again", "+OK\r\n");
	rx("GET f1", "$5\r\nagain\r\n");
	rx("DEL f1", ":1\r\n");
	kv_flush_db(st_shard, 1);
	assert_int_equal(kv_used_memory(st_shard), m0);
}

/* test_used_memory -- every kind of value given back on deletion. */
static void
test_used_memory(void **state)
{
	(void)state;
	uint64_t m0 = kv_used_memory(st_shard);
	rx("SET s hello", "+OK\r\n");
	uint64_t m1 = kv_used_memory(st_shard);
	assert_true(m1 > m0);
	rx("APPEND s worldworldworldworldworldworld", ":35\r\n");
	assert_true(kv_used_memory(st_shard) > m1);
	rx("SET i 12345", "+OK\r\n");
	rx("INCR i", ":12346\r\n");
	rx("SET i abc", "+OK\r\n");          /* int -> raw */
	rx("SET s 7", "+OK\r\n");            /* raw -> int */
	rx("SETRANGE r 100 x", ":101\r\n");
	rx("INCRBYFLOAT f 1.5", "$3\r\n1.5\r\n");
	rx("RPUSH l a b c d e f g h i j k l m n o p q", ":17\r\n");
	rx("LPOP l 3", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
	rx("SET e v EX 100", "+OK\r\n");
	rx("RENAME e e2", "+OK\r\n");
	rx("GETSET e2 longer-value", "$1\r\nv\r\n");
	rx("DEL s i r f l e2", ":6\r\n");
	assert_int_equal(kv_dbsize(st_shard, 0), 0);
	assert_int_equal(kv_used_memory(st_shard), m0);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_growth),
	ST_TEST(test_collisions),
	ST_TEST(test_lazy_expiry),
	ST_TEST(test_active_expiry),
	ST_TEST(test_random_entry),
	ST_TEST(test_create_lookup_delete),
	ST_TEST(test_collisions_many),
	ST_TEST(test_lazy_expiry_api),
	ST_TEST(test_active_expiry_mixed),
	ST_TEST(test_flush_db),
	ST_TEST(test_used_memory),
};

RP_TEST_MAIN(tests, 1)
