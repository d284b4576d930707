/*
 * impair.h -- network impairment for tests: drop, duplicate, reorder,
 * delay and corrupt packets of a burst, each with its probability, from a
 * seeded xorshift generator so that a run is reproducible.
 *
 * One struct dp_impair per worker and direction (configuration
 * directives impair-rx and impair-tx): the worker applies the receive
 * one to every burst before dp_net_input, dp_net_tx_flush applies the
 * transmit one before tx_burst. A NULL impairment is off and costs one
 * predictable branch per burst.
 *
 * mbuf ownership: dp_impair_burst consumes the mbufs it is given; those
 * it returns belong to the caller; the others it freed (dropped) or holds
 * (reordered, delayed) until a later call returns them, or
 * dp_impair_free frees them.
 */
#ifndef RP_IMPAIR_H
#define RP_IMPAIR_H

#include <stdint.h>

#include <rte_mbuf.h>

struct cfg_impair;

/* Packets held for delay at a time (beyond: not delayed). */
#define DP_IMPAIR_HOLD 1024

/* Counters of the actions taken; X-macro for names. */
#define DP_IMPAIR_COUNTERS(X)                                           \
	X(dropped) X(duplicated) X(reordered) X(delayed) X(corrupted)

enum dp_impair_counter {
#define DP_IMPAIR_ENUM(n) DP_IMPAIR_##n,
	DP_IMPAIR_COUNTERS(DP_IMPAIR_ENUM)
#undef DP_IMPAIR_ENUM
	DP_IMPAIR__MAX
};

struct dp_impair;

/* dp_impair_counter_name -- name of a counter ("dropped", ...). */
const char *dp_impair_counter_name(enum dp_impair_counter c);

/*
 * dp_impair_create -- an impairment from a parsed spec.
 *   pool: where duplicates are copied to.  seed: of the generator (0 is
 *   replaced by a fixed non-zero value).  tsc_hz: for delay-us.
 * Returns NULL when the spec does nothing or memory is short.
 */
struct dp_impair *dp_impair_create(const struct cfg_impair *spec,
				   uint64_t seed, struct rte_mempool *pool,
				   uint64_t tsc_hz);

/* dp_impair_free -- free the impairment and the packets it holds. */
void dp_impair_free(struct dp_impair *im);

/*
 * dp_impair_burst -- impair n packets of in[] and write what goes on,
 * at most out_max, to out[]: first the delayed packets whose deadline
 * (now_tsc) has passed, then each packet of in[] that is neither dropped
 * nor held (a duplicate follows its original), the packet held back for
 * reordering after the first packet of a later call (or at the end of
 * the next call when none comes). Duplicates that do not fit are not
 * made; a packet of in[] that does not fit is dropped (counted).
 * Returns the count written to out.
 */
uint16_t dp_impair_burst(struct dp_impair *im, struct rte_mbuf **in,
			 uint16_t n, struct rte_mbuf **out, uint16_t out_max,
			 uint64_t now_tsc);

/* dp_impair_counters -- DP_IMPAIR__MAX counters (zeroes for NULL). */
const uint64_t *dp_impair_counters(const struct dp_impair *im);

/* dp_impair_pending -- packets held (reordered or delayed). */
unsigned dp_impair_pending(const struct dp_impair *im);

#endif /* RP_IMPAIR_H */
