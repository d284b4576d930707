/*
 * impair.c -- drop, duplicate, reorder, delay and corrupt packets of a
 * burst, for tests of the TCP stack under loss (see impair.h).
 *
 * Each enabled action draws one number of a per-instance xorshift64*
 * generator per packet, in a fixed order (drop, corrupt, duplicate,
 * reorder, delay), so that a seed gives the same actions every run.
 * Delayed packets wait in a FIFO ring with their TSC deadlines (the
 * delay is the same for all, so the ring stays sorted); one packet at a
 * time is held back for reordering.
 *
 * mbuf ownership: as impair.h states.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "cfg.h"
#include "impair.h"

struct dp_impair_slot {
	struct rte_mbuf *m;
	uint64_t due_tsc;
};

struct dp_impair {
	uint64_t rng;                   /* xorshift64 state, never 0 */
	/* thresholds: an action is taken when a draw is <= its value */
	uint64_t thr_drop, thr_dup, thr_reorder, thr_corrupt, thr_delay;
	uint64_t delay_tsc;
	struct rte_mempool *pool;

	struct rte_mbuf *held;          /* held back for reordering */
	uint64_t held_call;             /* the call that held it */
	uint64_t calls;

	unsigned q_head, q_count;       /* delay ring */
	struct dp_impair_slot q[DP_IMPAIR_HOLD];

	uint64_t counters[DP_IMPAIR__MAX];
};

static const char *const impair_counter_names[] = {
#define DP_IMPAIR_NAME(n) #n,
	DP_IMPAIR_COUNTERS(DP_IMPAIR_NAME)
#undef DP_IMPAIR_NAME
};

static const uint64_t zero_counters[DP_IMPAIR__MAX];

const char *
dp_impair_counter_name(enum dp_impair_counter c)
{
	return c < DP_IMPAIR__MAX ? impair_counter_names[c] : "?";
}

/* threshold -- a probability as a bound on 64-bit draws; 0 = never. */
static uint64_t
threshold(double p)
{
	if (!(p > 0))
		return 0;
	if (p >= 1)
		return UINT64_MAX;
	return (uint64_t)ldexp(p, 64);
}

struct dp_impair *
dp_impair_create(const struct cfg_impair *spec, uint64_t seed,
		 struct rte_mempool *pool, uint64_t tsc_hz)
{
	if (!cfg_impair_on(spec))
		return NULL;
	struct dp_impair *im = rte_zmalloc("dp_impair", sizeof(*im),
					   RTE_CACHE_LINE_SIZE);
	if (im == NULL)
		return NULL;
	/* Spread the seed (splitmix64 finaliser) so that near seeds differ. */
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	im->rng = z != 0 ? z : 0x2545f4914f6cdd1dULL;
	im->thr_drop = threshold(spec->drop);
	im->thr_dup = threshold(spec->dup);
	im->thr_reorder = threshold(spec->reorder);
	im->thr_corrupt = threshold(spec->corrupt);
	im->thr_delay = spec->delay_us > 0 ? threshold(spec->delay) : 0;
	im->delay_tsc = (uint64_t)spec->delay_us * tsc_hz / 1000000;
	im->pool = pool;
	return im;
}

void
dp_impair_free(struct dp_impair *im)
{
	if (im == NULL)
		return;
	rte_pktmbuf_free(im->held);
	for (unsigned i = 0; i < im->q_count; i++)
		rte_pktmbuf_free(im->q[(im->q_head + i) % DP_IMPAIR_HOLD].m);
	rte_free(im);
}

/* draw -- the next number of the generator (xorshift64*, never 0). */
static inline uint64_t
draw(struct dp_impair *im)
{
	uint64_t x = im->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	im->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* chance -- whether an action with threshold thr happens (one draw). */
static inline bool
chance(struct dp_impair *im, uint64_t thr)
{
	return thr != 0 && draw(im) <= thr;
}

/*
 * corrupt -- flip every bit of one byte past the Ethernet header of the
 * first segment (a private header mbuf on transmit, never the send
 * queue's data), so that the IPv4 or TCP checksum catches it; forget a
 * checksum verdict of the port.
 */
static void
corrupt(struct dp_impair *im, struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_data_len(m);
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	uint64_t r = draw(im);

	if (len == 0)
		return;
	uint32_t off = len > 14 ? 14 + (uint32_t)(r % (len - 14)) :
		       (uint32_t)(r % len);
	p[off] ^= 0xff;
	m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK |
			 RTE_MBUF_F_RX_L4_CKSUM_MASK);
}

uint16_t
dp_impair_burst(struct dp_impair *im, struct rte_mbuf **in, uint16_t n,
		struct rte_mbuf **out, uint16_t out_max, uint64_t now_tsc)
{
	uint16_t k = 0;
	bool first = true;

	im->calls++;
	/* Delayed packets due now, leaving room for this burst. */
	while (im->q_count > 0 && im->q[im->q_head].due_tsc <= now_tsc &&
	       k + n + 1 < out_max) {
		out[k++] = im->q[im->q_head].m;
		im->q_head = (im->q_head + 1) % DP_IMPAIR_HOLD;
		im->q_count--;
	}
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = in[i];
		if (chance(im, im->thr_drop) || k >= out_max) {
			im->counters[DP_IMPAIR_dropped]++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (chance(im, im->thr_corrupt)) {
			corrupt(im, m);
			im->counters[DP_IMPAIR_corrupted]++;
		}
		struct rte_mbuf *dup = NULL;
		/* Room for the rest of the burst, the copy and the held. */
		if (chance(im, im->thr_dup) && k + (n - i) + 2u <= out_max) {
			dup = rte_pktmbuf_copy(m, im->pool, 0, UINT32_MAX);
			if (dup != NULL)
				im->counters[DP_IMPAIR_duplicated]++;
		}
		if (im->held == NULL && chance(im, im->thr_reorder)) {
			im->held = m;
			im->held_call = im->calls;
			im->counters[DP_IMPAIR_reordered]++;
			m = NULL;
		} else if (im->q_count < DP_IMPAIR_HOLD &&
			   chance(im, im->thr_delay)) {
			unsigned t = (im->q_head + im->q_count++) %
				     DP_IMPAIR_HOLD;
			im->q[t].m = m;
			im->q[t].due_tsc = now_tsc + im->delay_tsc;
			im->counters[DP_IMPAIR_delayed]++;
			m = NULL;
		}
		if (m != NULL) {
			out[k++] = m;
			if (first && im->held != NULL &&
			    im->held_call != im->calls && k < out_max) {
				/* The held packet goes after this one. */
				out[k++] = im->held;
				im->held = NULL;
			}
			first = false;
		}
		if (dup != NULL) {
			if (k < out_max)
				out[k++] = dup;
			else
				rte_pktmbuf_free(dup);
		}
	}
	if (im->held != NULL && im->held_call != im->calls && k < out_max) {
		/* Nothing came after it this time: release it anyway. */
		out[k++] = im->held;
		im->held = NULL;
	}
	return k;
}

const uint64_t *
dp_impair_counters(const struct dp_impair *im)
{
	return im != NULL ? im->counters : zero_counters;
}

unsigned
dp_impair_pending(const struct dp_impair *im)
{
	return im != NULL ? im->q_count + (im->held != NULL) : 0;
}
