/*
 * test_zskiplist.c -- store/zskiplist.c: inserts and deletes in random
 * order with the invariants (order, spans, backward links) checked,
 * ranks both ways against a sorted array, score updates in place and
 * moved, prefix counts, ties on score ordered by member bytes, and the
 * byte counter back to zero after the free.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "zskiplist.h"

#define N 2000

static char names[N][16];
static double scores[N];

static uint64_t rng_state = 88172645463325252ULL;

/* xrand -- a test xorshift64. */
static uint64_t
xrand(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* fill -- names "m<i>" with scores in 0..99 (many ties). */
static void
fill(void)
{
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "m%d", i);
		scores[i] = (double)(xrand() % 100);
	}
}

static int order[N];

/* order_cmp -- qsort of indexes in the skiplist's order. */
static int
order_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return zsl_cmp(scores[x], names[x], (uint32_t)strlen(names[x]),
		       scores[y], names[y], (uint32_t)strlen(names[y]));
}

static void
test_insert_rank_delete(void **state)
{
	(void)state;
	uint64_t acct = 0;
	struct zsl *zsl = zsl_create(42, &acct);

	assert_non_null(zsl);
	fill();
	for (int i = 0; i < N; i++) {
		assert_non_null(zsl_insert(zsl, scores[i], names[i],
					   (uint32_t)strlen(names[i])));
		if (i % 97 == 0)
			assert_int_equal(zsl_check(zsl), 0);
	}
	assert_int_equal(zsl_check(zsl), 0);
	assert_int_equal(zsl->length, N);
	for (int i = 0; i < N; i++)
		order[i] = i;
	qsort(order, N, sizeof(int), order_cmp);
	for (int r = 0; r < N; r++) {
		int i = order[r];
		uint32_t len = (uint32_t)strlen(names[i]);
		assert_int_equal(zsl_rank(zsl, scores[i], names[i], len), r + 1);
		struct zsl_node *x = zsl_by_rank(zsl, (uint64_t)r + 1);
		assert_non_null(x);
		assert_ptr_equal(x->ele, names[i]);
	}
	assert_null(zsl_by_rank(zsl, 0));
	assert_null(zsl_by_rank(zsl, N + 1));
	assert_int_equal(zsl_rank(zsl, 1000, "none", 4), 0);
	assert_int_equal(zsl_rank(zsl, scores[0], names[0], 1), 0);

	/* delete every other element, in random order of index */
	for (int i = 0; i < N; i += 2)
		assert_int_equal(zsl_delete(zsl, scores[i], names[i],
					    (uint32_t)strlen(names[i])), 0);
	assert_int_equal(zsl_delete(zsl, scores[0], names[0],
				    (uint32_t)strlen(names[0])), -ENOENT);
	assert_int_equal(zsl->length, N / 2);
	assert_int_equal(zsl_check(zsl), 0);
	zsl_free(zsl);
	assert_int_equal(acct, 0);
}

static void
test_ties_and_prefix(void **state)
{
	(void)state;
	struct zsl *zsl = zsl_create(1, NULL);

	/* same score: memcmp order, a prefix first */
	assert_non_null(zsl_insert(zsl, 1, "b", 1));
	assert_non_null(zsl_insert(zsl, 1, "ab", 2));
	assert_non_null(zsl_insert(zsl, 1, "a", 1));
	assert_non_null(zsl_insert(zsl, 1, "", 0));
	assert_non_null(zsl_insert(zsl, 0.5, "z", 1));
	assert_int_equal(zsl_check(zsl), 0);
	const char *want[] = { "z", "", "a", "ab", "b" };
	struct zsl_node *x = zsl->header->level[0].forward;
	for (int i = 0; i < 5; i++, x = x->level[0].forward)
		assert_memory_equal(x->ele, want[i], strlen(want[i]));
	assert_null(x);
	assert_string_equal(zsl->tail->ele, "b");
	assert_int_equal(zsl_rank(zsl, 1, "", 0), 2);
	assert_true(zsl_lexcmp("a", 1, "ab", 2) < 0);
	assert_true(zsl_lexcmp("b", 1, "ab", 2) > 0);
	assert_int_equal(zsl_lexcmp("ab", 2, "ab", 2), 0);
	zsl_free(zsl);
}

/* below -- zsl_count_while predicate: score below *ctx. */
static bool
below(const void *ctx, double score, const char *ele, uint32_t len)
{
	(void)ele;
	(void)len;
	return score < *(const double *)ctx;
}

static void
test_count_while(void **state)
{
	(void)state;
	struct zsl *zsl = zsl_create(7, NULL);
	static char buf[N][16];

	for (int i = 0; i < N; i++) {
		snprintf(buf[i], sizeof(buf[i]), "%d", i);
		assert_non_null(zsl_insert(zsl, i / 2, buf[i],
					   (uint32_t)strlen(buf[i])));
	}
	for (double lim = -1; lim <= N / 2 + 1; lim += 0.5) {
		uint64_t n = zsl_count_while(zsl, below, &lim);
		uint64_t c = 0;   /* the i with i/2 < lim */
		for (int i = 0; i < N; i++)
			c += (double)(i / 2) < lim;
		assert_int_equal(n, c);
	}
	zsl_free(zsl);
}

static void
test_update_score(void **state)
{
	(void)state;
	uint64_t acct = 0;
	struct zsl *zsl = zsl_create(3, &acct);

	fill();
	for (int i = 0; i < 300; i++)
		assert_non_null(zsl_insert(zsl, scores[i], names[i],
					   (uint32_t)strlen(names[i])));
	for (int k = 0; k < 1000; k++) {
		int i = (int)(xrand() % 300);
		double ns = (double)(xrand() % 200) - 50;
		uint32_t len = (uint32_t)strlen(names[i]);
		struct zsl_node *x = zsl_update_score(zsl, scores[i], names[i],
						      len, ns);
		assert_non_null(x);
		assert_true(x->score == ns);
		scores[i] = ns;
		assert_int_equal(zsl->length, 300);
		if (k % 50 == 0)
			assert_int_equal(zsl_check(zsl), 0);
	}
	assert_int_equal(zsl_check(zsl), 0);
	assert_null(zsl_update_score(zsl, 12345, "nope", 4, 1));
	/* the same score: nothing moves */
	uint32_t l0 = (uint32_t)strlen(names[0]);
	assert_non_null(zsl_update_score(zsl, scores[0], names[0], l0,
					 scores[0]));
	assert_int_equal(zsl->length, 300);
	assert_int_equal(zsl_check(zsl), 0);
	zsl_free(zsl);
	assert_int_equal(acct, 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_insert_rank_delete),
	cmocka_unit_test(test_ties_and_prefix),
	cmocka_unit_test(test_count_while),
	cmocka_unit_test(test_update_score),
};

RP_TEST_MAIN(tests, 0)
