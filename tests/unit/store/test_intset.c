/*
 * test_intset.c -- store/intset.c: order, the widths and their upgrades
 * (to the front for a negative member, to the end for a positive one),
 * lookups of values wider than the set, deletes, exact byte accounting,
 * and random operations checked against a plain sorted array.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

#include "intset.h"

/* members -- expect the intset to hold exactly want[0..n), in order. */
static void
members(const struct kv_intset *is, const int64_t *want, uint32_t n)
{
	assert_int_equal(kv_intset_len(is), n);
	for (uint32_t i = 0; i < n; i++)
		assert_true(kv_intset_get(is, i) == want[i]);
	assert_int_equal(kv_intset_check(is), 0);
}

static void
test_order_and_widths(void **state)
{
	uint64_t acct = 0;
	(void)state;

	struct kv_intset *is = kv_intset_create(&acct);
	assert_non_null(is);
	assert_int_equal(kv_intset_width(is), 2);
	assert_int_equal(acct, kv_intset_bytes(is));
	assert_int_equal(kv_intset_add(&is, 5, &acct), 1);
	assert_int_equal(kv_intset_add(&is, -3, &acct), 1);
	assert_int_equal(kv_intset_add(&is, 1, &acct), 1);
	assert_int_equal(kv_intset_add(&is, 5, &acct), 0);
	assert_int_equal(kv_intset_add(&is, INT16_MAX, &acct), 1);
	assert_int_equal(kv_intset_add(&is, INT16_MIN, &acct), 1);
	assert_int_equal(kv_intset_width(is), 2);
	members(is, (int64_t[]){ INT16_MIN, -3, 1, 5, INT16_MAX }, 5);
	assert_int_equal(acct, kv_intset_bytes(is));

	/* Wider members: positive to the end, negative to the front. */
	assert_int_equal(kv_intset_add(&is, INT16_MAX + 1, &acct), 1);
	assert_int_equal(kv_intset_width(is), 4);
	members(is, (int64_t[]){ INT16_MIN, -3, 1, 5, INT16_MAX,
				 INT16_MAX + 1 }, 6);
	assert_int_equal(kv_intset_add(&is, INT32_MIN - 1LL, &acct), 1);
	assert_int_equal(kv_intset_width(is), 8);
	members(is, (int64_t[]){ INT32_MIN - 1LL, INT16_MIN, -3, 1, 5,
				 INT16_MAX, INT16_MAX + 1 }, 7);
	assert_int_equal(kv_intset_add(&is, INT64_MAX, &acct), 1);
	assert_int_equal(kv_intset_add(&is, INT64_MIN, &acct), 1);
	assert_int_equal(kv_intset_add(&is, INT64_MIN, &acct), 0);
	assert_true(kv_intset_get(is, 0) == INT64_MIN);
	assert_true(kv_intset_get(is, 8) == INT64_MAX);
	assert_int_equal(acct, kv_intset_bytes(is));
	assert_int_equal(kv_intset_bytes(is), 8 + 9 * 8);

	/* Lookups and deletes, also of values wider than the width. */
	assert_true(kv_intset_find(is, -3));
	assert_false(kv_intset_find(is, -4));
	assert_true(kv_intset_del(&is, INT64_MAX, &acct));
	assert_false(kv_intset_del(&is, INT64_MAX, &acct));
	assert_true(kv_intset_del(&is, INT64_MIN, &acct));
	assert_true(kv_intset_del(&is, -3, &acct));
	/* It never narrows again. */
	assert_int_equal(kv_intset_width(is), 8);
	members(is, (int64_t[]){ INT32_MIN - 1LL, INT16_MIN, 1, 5, INT16_MAX,
				 INT16_MAX + 1 }, 6);
	assert_int_equal(acct, kv_intset_bytes(is));
	kv_intset_free(is, &acct);
	assert_int_equal(acct, 0);

	/* A 16-bit set asked about 32 and 64-bit values. */
	is = kv_intset_create(NULL);
	assert_int_equal(kv_intset_add(&is, 7, NULL), 1);
	assert_false(kv_intset_find(is, 7 + 65536));
	assert_false(kv_intset_find(is, INT64_MAX));
	assert_false(kv_intset_del(&is, 7 + 65536, NULL));
	assert_true(kv_intset_find(is, 7));
	assert_true(kv_intset_del(&is, 7, NULL));
	assert_int_equal(kv_intset_len(is), 0);
	assert_int_equal(kv_intset_check(is), 0);
	kv_intset_free(is, NULL);
	kv_intset_free(NULL, NULL);
}

/* cmp64 -- qsort comparison of int64_t. */
static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* rnd -- a xorshift64 for reproducible random operations. */
static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void
test_random_against_model(void **state)
{
	enum { N = 3000 };
	int64_t model[N], v;
	uint32_t n = 0;
	uint64_t acct = 0, seed = 88172645463325252ULL;
	(void)state;

	struct kv_intset *is = kv_intset_create(&acct);
	assert_non_null(is);
	for (int step = 0; step < 20000; step++) {
		uint64_t r = rnd(&seed);
		/* Mostly small values, some of every width. */
		switch (r % 8) {
		case 0:
			v = (int64_t)rnd(&seed);
			break;
		case 1:
			v = (int32_t)rnd(&seed);
			break;
		default:
			v = (int64_t)(rnd(&seed) % 2000) - 1000;
			break;
		}
		bool present = bsearch(&v, model, n, sizeof(v), cmp64) != NULL;
		assert_int_equal(kv_intset_find(is, v), present);
		if ((r >> 8) % 3 != 0 && n < N) {
			assert_int_equal(kv_intset_add(&is, v, &acct),
					 present ? 0 : 1);
			if (!present) {
				model[n++] = v;
				qsort(model, n, sizeof(v), cmp64);
			}
		} else {
			assert_int_equal(kv_intset_del(&is, v, &acct), present);
			if (present) {
				int64_t *p = bsearch(&v, model, n, sizeof(v),
						     cmp64);
				memmove(p, p + 1, (size_t)(model + n - p - 1) *
					sizeof(v));
				n--;
			}
		}
		if (step % 500 == 0)
			members(is, model, n);
		assert_int_equal(acct, kv_intset_bytes(is));
	}
	members(is, model, n);
	kv_intset_free(is, &acct);
	assert_int_equal(acct, 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_order_and_widths),
	cmocka_unit_test(test_random_against_model),
};

RP_TEST_MAIN(tests, 0)
