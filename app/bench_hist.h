/*
 * bench_hist.h -- log-linear latency histogram of redpoll-bench.
 *
 * Values (nanoseconds, or any unsigned unit) below 2 * BENCH_HIST_SUB are
 * counted exactly; above, each power of two [2^k, 2^(k+1)) is split into
 * BENCH_HIST_SUB equal buckets, so a bucket is never wider than
 * 1/BENCH_HIST_SUB of its lower bound. A percentile is reported as the
 * midpoint of its bucket (clamped to the exact minimum and maximum), so
 * its relative error is at most BENCH_HIST_REL_ERR = 1 / (2 *
 * BENCH_HIST_SUB) = 0.39%. Values of 2^BENCH_HIST_MAX_BITS and more land
 * in one overflow bucket (the exact maximum is still kept).
 *
 * Recording is a few shifts and one increment: no allocation, no lock.
 * A histogram belongs to one thread; merge them to combine.
 */
#ifndef RP_BENCH_HIST_H
#define RP_BENCH_HIST_H

#include <stdint.h>

#define BENCH_HIST_SUB_BITS 7
#define BENCH_HIST_SUB      (1u << BENCH_HIST_SUB_BITS)
#define BENCH_HIST_MAX_BITS 44          /* 2^44 ns: about 4.9 hours */
/* 2 * SUB exact values, SUB per power of two above, one for overflow */
#define BENCH_HIST_BUCKETS \
	((BENCH_HIST_MAX_BITS - BENCH_HIST_SUB_BITS + 1) * BENCH_HIST_SUB + 1)
#define BENCH_HIST_REL_ERR  (1.0 / (2.0 * BENCH_HIST_SUB))

struct bench_hist {
	uint64_t count;
	uint64_t min;                   /* UINT64_MAX when empty */
	uint64_t max;
	double sum;                     /* for the mean */
	uint64_t buckets[BENCH_HIST_BUCKETS];
};

/* bench_hist_init -- empty the histogram. */
void bench_hist_init(struct bench_hist *h);

/* bench_hist_index -- the bucket that counts value v. */
static inline unsigned
bench_hist_index(uint64_t v)
{
	if (v < 2 * BENCH_HIST_SUB)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	if (msb >= BENCH_HIST_MAX_BITS)
		return BENCH_HIST_BUCKETS - 1;
	unsigned shift = msb - BENCH_HIST_SUB_BITS;
	return (shift + 1) * BENCH_HIST_SUB +
		(unsigned)(v >> shift) - BENCH_HIST_SUB;
}

/* bench_hist_record -- count one value. */
static inline void
bench_hist_record(struct bench_hist *h, uint64_t v)
{
	h->buckets[bench_hist_index(v)]++;
	h->count++;
	h->sum += (double)v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/*
 * bench_hist_bucket_range -- the values [*lo, *hi] that bucket i counts.
 */
void bench_hist_bucket_range(unsigned i, uint64_t *lo, uint64_t *hi);

/*
 * bench_hist_percentile -- the value below or at which p percent (0..100)
 * of the recorded values lie, within BENCH_HIST_REL_ERR. 0 when empty;
 * p = 100 gives the exact maximum, p = 0 the exact minimum.
 */
uint64_t bench_hist_percentile(const struct bench_hist *h, double p);

/* bench_hist_mean -- the exact mean, 0 when empty. */
double bench_hist_mean(const struct bench_hist *h);

/* bench_hist_merge -- add every value of src to dst. */
void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src);

#endif /* RP_BENCH_HIST_H */
