/*
 * test_bench_hist.c -- app/bench_hist.c: the relative error bound over
 * values from 0 to 2^44, bucket ranges that tile the value line,
 * percentiles of known distributions (uniform, exponential, constant),
 * exact min and max, the mean, merge, and clamping of huge values.
 */
#include <math.h>

#include "unit.h"

#include "bench_hist.h"
#include "bench_zipf.h"

static struct bench_hist h, h2;

/* Buckets are contiguous and each holds its own bounds. */
static void
test_buckets_tile(void **state)
{
	uint64_t prev_hi = 0;
	(void)state;
	for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++) {
		uint64_t lo, hi;
		bench_hist_bucket_range(i, &lo, &hi);
		if (i > 0)
			assert_int_equal(lo, prev_hi + 1);
		assert_true(hi >= lo);
		assert_int_equal(bench_hist_index(lo), i);
		assert_int_equal(bench_hist_index(hi), i);
		/* width within the bound of the lower edge */
		if (hi > lo && i < BENCH_HIST_BUCKETS - 1)
			assert_true((double)(hi - lo + 1) / (double)lo <=
				    1.0 / BENCH_HIST_SUB + 1e-12 ||
				    i == BENCH_HIST_BUCKETS - 1);
		prev_hi = hi;
	}
	assert_int_equal(prev_hi, UINT64_MAX);
}

/* A single value comes back within the stated relative error. */
static void
test_relative_error(void **state)
{
	struct bench_rng rng;
	double worst = 0;
	(void)state;
	bench_rng_seed(&rng, 7);
	for (unsigned k = 0; k < 200000; k++) {
		/* log-uniform over 1 .. 2^44 - 1, plus the small exact range */
		uint64_t v = k < 1000 ? k :
			(uint64_t)exp2(bench_rng_double(&rng) * 44);
		if (v >= (1ull << 44))
			v = (1ull << 44) - 1;
		uint64_t lo, hi;
		bench_hist_bucket_range(bench_hist_index(v), &lo, &hi);
		uint64_t mid = lo + (hi - lo) / 2 + ((hi - lo) & 1);
		if (v > 0) {
			double e = fabs((double)mid - (double)v) / (double)v;
			if (e > worst)
				worst = e;
		}
		bench_hist_init(&h);
		bench_hist_record(&h, v);
		assert_int_equal(bench_hist_percentile(&h, 50), v);
	}
	assert_true(worst <= BENCH_HIST_REL_ERR);
	assert_true(worst > BENCH_HIST_REL_ERR / 2);  /* the bound is tight */
	assert_true(BENCH_HIST_REL_ERR < 0.004);
}

/* check_pct -- percentile p of h is within the bound of the exact one. */
static void
check_pct(double p, double exact)
{
	double got = (double)bench_hist_percentile(&h, p);
	assert_true(fabs(got - exact) <= BENCH_HIST_REL_ERR * exact + 1);
}

/* 1..1,000,000 once each: percentile p is p% of a million. */
static void
test_uniform_percentiles(void **state)
{
	(void)state;
	bench_hist_init(&h);
	for (uint64_t v = 1000000; v >= 1; v--)
		bench_hist_record(&h, v);
	assert_int_equal(h.count, 1000000);
	check_pct(50, 500000);
	check_pct(90, 900000);
	check_pct(99, 990000);
	check_pct(99.9, 999000);
	check_pct(99.99, 999900);
	assert_int_equal(bench_hist_percentile(&h, 100), 1000000);
	assert_int_equal(bench_hist_percentile(&h, 0), 1);
	assert_true(fabs(bench_hist_mean(&h) - 500000.5) < 1e-6);
}

/* Exponential with mean 10,000: the quantile is -mean * ln(1 - p). */
static void
test_exponential_percentiles(void **state)
{
	struct bench_rng rng;
	const double mean = 10000;
	(void)state;
	bench_rng_seed(&rng, 42);
	bench_hist_init(&h);
	for (unsigned k = 0; k < 2000000; k++) {
		double u = bench_rng_double(&rng);
		bench_hist_record(&h, (uint64_t)(-mean * log1p(-u)));
	}
	/* sampling noise dominates: 2% at p99, 10% at p99.9 */
	const double p[] = { 50, 90, 99, 99.9 };
	const double tol[] = { 0.01, 0.01, 0.02, 0.06 };
	for (unsigned i = 0; i < 4; i++) {
		double exact = -mean * log(1 - p[i] / 100);
		double got = (double)bench_hist_percentile(&h, p[i]);
		assert_true(fabs(got - exact) / exact < tol[i]);
	}
	assert_true(fabs(bench_hist_mean(&h) - mean) / mean < 0.01);
}

/* A constant: every percentile is that value. */
static void
test_constant(void **state)
{
	(void)state;
	bench_hist_init(&h);
	assert_int_equal(bench_hist_percentile(&h, 50), 0);
	for (int i = 0; i < 1000; i++)
		bench_hist_record(&h, 123457);
	for (double p = 0; p <= 100; p += 12.5)
		assert_int_equal(bench_hist_percentile(&h, p), 123457);
}

/* Merging two halves equals recording everything in one. */
static void
test_merge(void **state)
{
	static struct bench_hist all;
	(void)state;
	bench_hist_init(&h);
	bench_hist_init(&h2);
	bench_hist_init(&all);
	for (uint64_t v = 1; v <= 100000; v++) {
		bench_hist_record(v % 3 ? &h : &h2, v * 37);
		bench_hist_record(&all, v * 37);
	}
	bench_hist_merge(&h, &h2);
	assert_int_equal(h.count, all.count);
	assert_int_equal(h.min, all.min);
	assert_int_equal(h.max, all.max);
	assert_memory_equal(h.buckets, all.buckets, sizeof(all.buckets));
	const double p[] = { 0, 50, 90, 99, 99.9, 99.99, 100 };
	for (unsigned i = 0; i < 7; i++)
		assert_int_equal(bench_hist_percentile(&h, p[i]),
				 bench_hist_percentile(&all, p[i]));
	/* merging an empty one changes nothing */
	bench_hist_init(&h2);
	bench_hist_merge(&h, &h2);
	assert_int_equal(h.count, all.count);
	assert_int_equal(h.min, all.min);
}

/* Values beyond the range land in the last bucket; max stays exact. */
static void
test_huge_values(void **state)
{
	(void)state;
	bench_hist_init(&h);
	bench_hist_record(&h, UINT64_MAX);
	bench_hist_record(&h, 1ull << 50);
	assert_int_equal(bench_hist_index(UINT64_MAX), BENCH_HIST_BUCKETS - 1);
	assert_int_equal(bench_hist_percentile(&h, 100), UINT64_MAX);
	assert_int_equal(bench_hist_percentile(&h, 0), 1ull << 50);
	uint64_t p50 = bench_hist_percentile(&h, 50);
	assert_true(p50 >= 1ull << 50);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_buckets_tile),
	cmocka_unit_test(test_relative_error),
	cmocka_unit_test(test_uniform_percentiles),
	cmocka_unit_test(test_exponential_percentiles),
	cmocka_unit_test(test_constant),
	cmocka_unit_test(test_merge),
	cmocka_unit_test(test_huge_values),
};

RP_TEST_MAIN(tests, 0)
