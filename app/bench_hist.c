/*
 * bench_hist.c -- log-linear latency histogram (bench_hist.h).
 */
#include <math.h>
#include <string.h>

#include "bench_hist.h"

void
bench_hist_init(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void
bench_hist_bucket_range(unsigned i, uint64_t *lo, uint64_t *hi)
{
	if (i < 2 * BENCH_HIST_SUB) {
		*lo = *hi = i;
		return;
	}
	if (i == BENCH_HIST_BUCKETS - 1) {
		*lo = 1ull << BENCH_HIST_MAX_BITS;
		*hi = UINT64_MAX;
		return;
	}
	unsigned shift = i / BENCH_HIST_SUB - 1;
	uint64_t mant = BENCH_HIST_SUB + i % BENCH_HIST_SUB;
	*lo = mant << shift;
	*hi = *lo + (1ull << shift) - 1;
}

uint64_t
bench_hist_percentile(const struct bench_hist *h, double p)
{
	if (h->count == 0)
		return 0;
	if (p <= 0)
		return h->min;
	if (p >= 100)
		return h->max;
	/* The value of rank ceil(p% of count), counting from 1. */
	uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen < rank)
			continue;
		uint64_t lo, hi;
		bench_hist_bucket_range(i, &lo, &hi);
		if (hi > h->max)
			hi = h->max;
		if (lo < h->min)
			lo = h->min;
		return lo + (hi - lo) / 2 + ((hi - lo) & 1);
	}
	return h->max;
}

double
bench_hist_mean(const struct bench_hist *h)
{
	return h->count ? h->sum / (double)h->count : 0;
}

void
bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	if (src->count == 0)
		return;
	for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}
