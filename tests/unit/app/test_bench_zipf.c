/*
 * test_bench_zipf.c -- app/bench_zipf.c: with a fixed seed, the
 * frequencies of the first ranks follow P(k) = k^-s / H(n, s) within a
 * tolerance for several exponents (below, at and above 1) and key space
 * sizes, every rank stays in 1..n, the same seed gives the same ranks,
 * and bad parameters are refused. Also the uniform helpers of bench_rng.
 */
#include <errno.h>
#include <math.h>

#include "unit.h"

#include "bench_zipf.h"

/* check_law -- draw and compare the first ranks with the law. */
static void
check_law(uint64_t n, double s, unsigned draws)
{
	struct bench_zipf z;
	struct bench_rng r;
	static uint64_t counts[1001];
	double norm = 0;
	unsigned top = n < 1000 ? (unsigned)n : 1000;

	assert_int_equal(bench_zipf_init(&z, n, s), 0);
	bench_rng_seed(&r, 2026);
	memset(counts, 0, sizeof(counts));
	for (unsigned i = 0; i < draws; i++) {
		uint64_t k = bench_zipf_next(&z, &r);
		assert_true(k >= 1 && k <= n);
		if (k <= top)
			counts[k]++;
	}
	for (uint64_t k = 1; k <= n; k++)
		norm += pow((double)k, -s);
	/* The ranks expected at least 2000 times: within 5 sigma. */
	for (unsigned k = 1; k <= top; k++) {
		double p = pow((double)k, -s) / norm;
		double expect = p * draws;
		if (expect < 2000)
			break;
		double sigma = sqrt(expect * (1 - p));
		assert_true(fabs((double)counts[k] - expect) < 5 * sigma);
	}
	/* And the head as a whole: ranks 1..10. */
	double head = 0, got = 0;
	for (unsigned k = 1; k <= 10 && k <= n; k++) {
		head += pow((double)k, -s) / norm;
		got += (double)counts[k];
	}
	assert_true(fabs(got / draws - head) < 0.005);
}

static void
test_law_099(void **state)
{
	(void)state;
	check_law(100000, 0.99, 2000000);
}

static void
test_law_1(void **state)
{
	(void)state;
	check_law(1000, 1.0, 1000000);
}

static void
test_law_05(void **state)
{
	(void)state;
	check_law(1000, 0.5, 1000000);
}

static void
test_law_15(void **state)
{
	(void)state;
	check_law(1000000, 1.5, 1000000);
}

/* n = 1 and n = 2: the degenerate spaces. */
static void
test_small_spaces(void **state)
{
	struct bench_zipf z;
	struct bench_rng r;
	unsigned ones = 0;
	(void)state;
	bench_rng_seed(&r, 1);
	assert_int_equal(bench_zipf_init(&z, 1, 0.99), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(bench_zipf_next(&z, &r), 1);
	assert_int_equal(bench_zipf_init(&z, 2, 1.0), 0);
	for (int i = 0; i < 30000; i++) {
		uint64_t k = bench_zipf_next(&z, &r);
		assert_true(k == 1 || k == 2);
		ones += k == 1;
	}
	/* P(1) = 1 / (1 + 1/2) = 2/3 */
	assert_true(fabs(ones / 30000.0 - 2.0 / 3) < 0.02);
}

/* The same seed gives the same ranks. */
static void
test_reproducible(void **state)
{
	struct bench_zipf z;
	struct bench_rng a, b;
	(void)state;
	assert_int_equal(bench_zipf_init(&z, 5000, 0.8), 0);
	bench_rng_seed(&a, 99);
	bench_rng_seed(&b, 99);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(bench_zipf_next(&z, &a),
				 bench_zipf_next(&z, &b));
}

static void
test_bad_params(void **state)
{
	struct bench_zipf z;
	(void)state;
	assert_int_equal(bench_zipf_init(&z, 0, 1), -EINVAL);
	assert_int_equal(bench_zipf_init(&z, 10, 0), -EINVAL);
	assert_int_equal(bench_zipf_init(&z, 10, -1), -EINVAL);
	assert_int_equal(bench_zipf_init(&z, 10, NAN), -EINVAL);
	assert_int_equal(bench_zipf_init(&z, 10, INFINITY), -EINVAL);
}

/* bench_rng_below is uniform and in range; double in [0, 1). */
static void
test_rng(void **state)
{
	struct bench_rng r;
	unsigned counts[10] = { 0 };
	(void)state;
	bench_rng_seed(&r, 5);
	for (int i = 0; i < 100000; i++) {
		uint64_t v = bench_rng_below(&r, 10);
		assert_true(v < 10);
		counts[v]++;
		double d = bench_rng_double(&r);
		assert_true(d >= 0 && d < 1);
	}
	for (int i = 0; i < 10; i++)
		assert_true(abs((int)counts[i] - 10000) < 500);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_law_099),
	cmocka_unit_test(test_law_1),
	cmocka_unit_test(test_law_05),
	cmocka_unit_test(test_law_15),
	cmocka_unit_test(test_small_spaces),
	cmocka_unit_test(test_reproducible),
	cmocka_unit_test(test_bad_params),
	cmocka_unit_test(test_rng),
};

RP_TEST_MAIN(tests, 0)
