/*
 * test_dict.c -- store/dict.c: insert, lookup, delete; growth and shrink
 * with the invariants checked after every operation; SCAN across
 * resizes returns every element present for the whole scan; random
 * pick; SipHash-1-3 against reference values; byte accounting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "dict.h"

static uint64_t rng_state = 88172645463325252ULL;

/* xrand -- a test xorshift64 (kv_dict_random's rnd). */
static uint64_t
xrand(void *ctx)
{
	(void)ctx;
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* fld -- the field name of number i. */
static size_t
fld(char *buf, size_t len, int i)
{
	return (size_t)snprintf(buf, len, "field:%d", i);
}

static void
test_hash_seeded(void **state)
{
	(void)state;
	uint64_t k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL;
	char msg[64];
	for (int i = 0; i < 64; i++)
		msg[i] = (char)i;
	/* SipHash-1-3 with a zero key, as CPython 3.11 computes it for
	 * bytes with PYTHONHASHSEED=0: hash(b"abc"), and a 25-byte input
	 * that goes through three blocks and a tail. */
	assert_true(kv_dict_hash(0, 0, "abc", 3) == 13851880170939887858ULL);
	assert_true(kv_dict_hash(0, 0, "hello world, this is long", 25) ==
		    7650859633215404784ULL);
	/* Equal inputs hash equally, the seed changes the hash. */
	assert_true(kv_dict_hash(k0, k1, msg, 15) ==
		    kv_dict_hash(k0, k1, msg, 15));
	assert_true(kv_dict_hash(k0, k1, msg, 15) !=
		    kv_dict_hash(k0 + 1, k1, msg, 15));
	assert_true(kv_dict_hash(k0, k1, msg, 15) !=
		    kv_dict_hash(k0, k1, msg, 16));
	/* Every length up to 64 differs from its neighbour. */
	for (size_t n = 1; n < 64; n++)
		assert_true(kv_dict_hash(k0, k1, msg, n) !=
			    kv_dict_hash(k0, k1, msg, n - 1));
}

static void
test_insert_delete(void **state)
{
	uint64_t acct = 0;
	bool created;
	(void)state;

	struct kv_dict *d = kv_dict_create(1, true, &acct);
	assert_non_null(d);
	assert_int_equal(acct, kv_dict_bytes(d));
	assert_null(kv_dict_lookup(d, "a", 1));
	assert_int_equal(kv_dict_del(d, "a", 1), -ENOENT);

	struct kv_dict_entry *e = kv_dict_add(d, "a", 1, &created);
	assert_non_null(e);
	assert_true(created);
	assert_int_equal(kv_dict_set_value(d, e, "one", 3), 0);
	assert_ptr_equal(kv_dict_add(d, "a", 1, &created), e);
	assert_false(created);
	/* Binary-safe: NUL bytes and the empty field. */
	e = kv_dict_add(d, "a\0b", 3, &created);
	assert_true(created);
	e = kv_dict_add(d, "", 0, &created);
	assert_true(created);
	assert_int_equal(kv_dict_set_value(d, e, "", 0), 0);
	assert_int_equal(kv_dict_size(d), 3);
	assert_non_null(kv_dict_lookup(d, "a\0b", 3));
	assert_null(kv_dict_lookup(d, "a\0c", 3));
	e = kv_dict_lookup(d, "a", 1);
	assert_memory_equal(e->v.s.ptr, "one", 3);
	assert_int_equal(kv_dict_set_value(d, e, "eleven", 6), 0);
	assert_int_equal(e->v.s.len, 6);
	assert_int_equal(kv_dict_check(d), 0);
	assert_int_equal(acct, kv_dict_bytes(d));

	assert_int_equal(kv_dict_del(d, "a", 1), 0);
	assert_int_equal(kv_dict_del(d, "a", 1), -ENOENT);
	assert_int_equal(kv_dict_size(d), 2);
	assert_int_equal(kv_dict_check(d), 0);
	kv_dict_free(d);
	assert_int_equal(acct, 0);
}

static void
test_grow_shrink(void **state)
{
	uint64_t acct = 0;
	bool created;
	char f[32];
	const int n = 5000;
	(void)state;

	struct kv_dict *d = kv_dict_create(42, true, &acct);
	bool saw_rehash = false;
	for (int i = 0; i < n; i++) {
		size_t len = fld(f, sizeof(f), i);
		struct kv_dict_entry *e = kv_dict_add(d, f, len, &created);
		assert_non_null(e);
		assert_true(created);
		assert_int_equal(kv_dict_set_value(d, e, f, len), 0);
		saw_rehash |= kv_dict_is_rehashing(d);
		if (i % 97 == 0 || i < 100)
			assert_int_equal(kv_dict_check(d), 0);
	}
	assert_true(saw_rehash);
	assert_int_equal(kv_dict_size(d), n);
	assert_int_equal(kv_dict_check(d), 0);
	for (int i = 0; i < n; i++) {
		size_t len = fld(f, sizeof(f), i);
		struct kv_dict_entry *e = kv_dict_lookup(d, f, len);
		assert_non_null(e);
		assert_int_equal(e->v.s.len, len);
		assert_memory_equal(e->v.s.ptr, f, len);
	}
	/* Lookups finish the rehash; the table is then not over-full. */
	assert_false(kv_dict_is_rehashing(d));
	assert_true(kv_dict_buckets(d) >= (uint64_t)n);
	assert_true(kv_dict_buckets(d) <= 4 * (uint64_t)n);
	uint64_t big = kv_dict_bytes(d);

	/* Delete all but 10: the table shrinks, step by step. */
	saw_rehash = false;
	for (int i = 10; i < n; i++) {
		size_t len = fld(f, sizeof(f), i);
		assert_int_equal(kv_dict_del(d, f, len), 0);
		saw_rehash |= kv_dict_is_rehashing(d);
		if (i % 89 == 0)
			assert_int_equal(kv_dict_check(d), 0);
	}
	assert_true(saw_rehash);
	/* One bucket (or ten empty ones) per operation. */
	for (int i = 0; i < 1000; i++)
		kv_dict_lookup(d, "x", 1);
	assert_false(kv_dict_is_rehashing(d));
	assert_int_equal(kv_dict_size(d), 10);
	/* No more than 8 buckets per element once settled. */
	assert_true(kv_dict_buckets(d) <= 8 * 10);
	assert_true(kv_dict_bytes(d) < big / 100);
	for (int i = 0; i < 10; i++) {
		size_t len = fld(f, sizeof(f), i);
		assert_non_null(kv_dict_lookup(d, f, len));
	}
	assert_int_equal(kv_dict_check(d), 0);
	assert_int_equal(acct, kv_dict_bytes(d));
	kv_dict_free(d);
	assert_int_equal(acct, 0);
}

/* fnum -- the number of a field named by fld (fields are not C strings). */
static int
fnum(const struct kv_dict_entry *e)
{
	char buf[32];

	assert_true(e->flen > 6 && e->flen < sizeof(buf));
	memcpy(buf, e->field, e->flen);
	buf[e->flen] = '\0';
	return atoi(buf + 6);
}

struct seen {
	unsigned char *count;   /* per field number */
	int n;
};

/* note_seen -- scan callback: count each field number returned. */
static void
note_seen(void *ctx, const struct kv_dict_entry *e)
{
	struct seen *s = ctx;
	int i = fnum(e);
	assert_true(i >= 0 && i < s->n);
	if (s->count[i] < 255)
		s->count[i]++;
}

/*
 * scan_while -- scan d; between calls add (grow) or remove (shrink)
 * fields numbered from [lo, hi); fields [0, keep) stay for the whole
 * scan and must each be returned.
 */
static void
scan_while(struct kv_dict *d, int keep, int lo, int hi, bool add)
{
	struct seen s = { calloc((size_t)hi, 1), hi };
	uint64_t cursor = 0;
	int next = lo, calls = 0;
	char f[32];
	bool created;

	do {
		cursor = kv_dict_scan(d, cursor, note_seen, &s);
		for (int k = 0; k < 7 && next < hi; k++, next++) {
			size_t len = fld(f, sizeof(f), next);
			if (add)
				assert_non_null(kv_dict_add(d, f, len,
							    &created));
			else
				assert_int_equal(kv_dict_del(d, f, len), 0);
		}
		assert_int_equal(kv_dict_check(d), 0);
		calls++;
	} while (cursor != 0);
	for (int i = 0; i < keep; i++)
		assert_true(s.count[i] >= 1);
	assert_true(calls > 1);
	free(s.count);
}

static void
test_scan_across_resizes(void **state)
{
	uint64_t acct = 0;
	bool created;
	char f[32];
	(void)state;

	struct kv_dict *d = kv_dict_create(7, false, &acct);
	/* A plain scan of a stable dict returns each element once. */
	for (int i = 0; i < 300; i++)
		kv_dict_add(d, f, fld(f, sizeof(f), i), &created);
	for (int i = 0; i < 100; i++)
		kv_dict_lookup(d, "x", 1);
	{
		struct seen s = { calloc(300, 1), 300 };
		uint64_t c = 0;
		do {
			c = kv_dict_scan(d, c, note_seen, &s);
		} while (c != 0);
		for (int i = 0; i < 300; i++)
			assert_int_equal(s.count[i], 1);
		free(s.count);
	}
	/* Growth during the scan: 300 kept, 3000 added. */
	scan_while(d, 300, 300, 3300, true);
	/* Shrink during the scan: 300 kept, 3000 removed. */
	scan_while(d, 300, 300, 3300, false);
	/* And the same from a dict caught in the middle of a rehash. */
	for (int i = 300; i < 1100; i++)
		kv_dict_add(d, f, fld(f, sizeof(f), i), &created);
	scan_while(d, 1100, 1100, 5000, true);
	kv_dict_free(d);
	assert_int_equal(acct, 0);
}

static void
test_random(void **state)
{
	uint64_t acct = 0;
	bool created;
	char f[32];
	int hits[64] = { 0 };
	(void)state;

	struct kv_dict *d = kv_dict_create(9, false, &acct);
	assert_null(kv_dict_random(d, xrand, NULL));
	kv_dict_add(d, "only", 4, &created);
	for (int i = 0; i < 10; i++)
		assert_memory_equal(kv_dict_random(d, xrand, NULL)->field,
				    "only", 4);
	kv_dict_del(d, "only", 4);
	assert_null(kv_dict_random(d, xrand, NULL));
	for (int i = 0; i < 64; i++)
		kv_dict_add(d, f, fld(f, sizeof(f), i), &created);
	/* Picks also work while rehashing; each of 64 comes up. */
	for (int i = 0; i < 64 * 200; i++) {
		struct kv_dict_entry *e = kv_dict_random(d, xrand, NULL);
		hits[fnum(e)]++;
	}
	for (int i = 0; i < 64; i++)
		assert_true(hits[i] > 0);
	assert_int_equal(kv_dict_check(d), 0);
	kv_dict_free(d);
	assert_int_equal(acct, 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_hash_seeded),
	cmocka_unit_test(test_insert_delete),
	cmocka_unit_test(test_grow_shrink),
	cmocka_unit_test(test_scan_across_resizes),
	cmocka_unit_test(test_random),
};

RP_TEST_MAIN(tests, 0)
