/*
 * bench_zipf.h -- seeded random numbers and a Zipf sampler for
 * redpoll-bench's key choice.
 *
 * bench_rng is splitmix64: one 64-bit state, reproducible from a seed.
 * bench_zipf draws ranks 1..n with P(k) proportional to k^-s (s > 0) in
 * constant time and memory by rejection-inversion (W. Hoermann and
 * G. Derflinger, "Rejection-inversion to generate variates from monotone
 * discrete distributions", ACM TOMACS 6(3), 1996): a continuous hat
 * function whose integral is inverted in closed form, and an acceptance
 * test that rejects rarely (well under one try in ten for any s).
 */
#ifndef RP_BENCH_ZIPF_H
#define RP_BENCH_ZIPF_H

#include <stdint.h>

struct bench_rng {
	uint64_t s;
};

/* bench_rng_seed -- start the sequence of seed. */
static inline void
bench_rng_seed(struct bench_rng *r, uint64_t seed)
{
	r->s = seed;
}

/* bench_rng_next -- the next 64 random bits (splitmix64). */
static inline uint64_t
bench_rng_next(struct bench_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* bench_rng_double -- uniform in [0, 1). */
static inline double
bench_rng_double(struct bench_rng *r)
{
	return (double)(bench_rng_next(r) >> 11) * 0x1.0p-53;
}

/* bench_rng_below -- uniform in [0, n), n > 0 (Lemire's multiply). */
static inline uint64_t
bench_rng_below(struct bench_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)bench_rng_next(r) * n) >> 64);
}

struct bench_zipf {
	uint64_t n;
	double s;
	double h_x1;            /* H(1.5) - 1 */
	double h_n;             /* H(n + 0.5) */
	double cut;             /* accept without the test below this */
};

/*
 * bench_zipf_init -- a sampler of ranks 1..n with exponent s.
 * Returns 0, or -EINVAL when n is 0 or s is not positive and finite.
 */
int bench_zipf_init(struct bench_zipf *z, uint64_t n, double s);

/* bench_zipf_next -- one rank in 1..n. */
uint64_t bench_zipf_next(const struct bench_zipf *z, struct bench_rng *r);

#endif /* RP_BENCH_ZIPF_H */
