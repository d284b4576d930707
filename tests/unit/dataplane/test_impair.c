/*
 * test_impair.c -- dataplane/impair.c: each action alone (probability 1),
 * the order of reordered and delayed packets, corruption of one byte past
 * the Ethernet header, a seeded mixed run whose actions are exact and
 * reproducible, no mbuf leaked, and the transmit hook of dp_net_tx_flush.
 */
#include "unit.h"

#include "cfg.h"
#include "frames.h"
#include "impair.h"

#define HZ 1000000u

/* What seed 42 does in test_seeded_run (recorded from a run). */
#define SEED42_DROPPED 72
#define SEED42_DUPLICATED 24
#define SEED42_REORDERED 19
#define SEED42_DELAYED 57
#define SEED42_CORRUPTED 5
#define SEED42_HEAD 0, 1, 3, 4, 6, 7, 8, 9, 10, 12, 14, 15, 18, 19, 20, 21, \
		    23, 24, 25, 26, 27, 28, 29, 30     /* one TSC tick per microsecond */

static struct rte_mempool *pool;

/* pkt -- a 64-byte frame whose bytes 20..21 carry its id. */
static struct rte_mbuf *
pkt(unsigned id)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, 64);
	for (unsigned i = 0; i < 64; i++)
		p[i] = (uint8_t)(i * 7);
	p[20] = (uint8_t)(id >> 8);
	p[21] = (uint8_t)id;
	return m;
}

static unsigned
id_of(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	return (unsigned)p[20] << 8 | p[21];
}

/* make -- an impairment from a spec text. */
static struct dp_impair *
make(const char *spec, uint64_t seed)
{
	struct cfg_impair c;
	char err[CFG_ERR_LEN];

	assert_int_equal(cfg_impair_parse(spec, &c, err, sizeof(err)), 0);
	return dp_impair_create(&c, seed, pool, HZ);
}

/*
 * run -- pass ids first..first+n-1 through im at time now; the ids that
 * come out go to ids[] (returned count), and the mbufs are freed.
 */
static unsigned
run(struct dp_impair *im, unsigned first, unsigned n, uint64_t now,
    unsigned *ids)
{
	struct rte_mbuf *in[64], *out[2 * 64 + 2];
	assert_true(n <= 64);
	for (unsigned i = 0; i < n; i++)
		in[i] = pkt(first + i);
	uint16_t k = dp_impair_burst(im, in, (uint16_t)n, out, RTE_DIM(out),
				     now);
	for (unsigned i = 0; i < k; i++) {
		ids[i] = id_of(out[i]);
		rte_pktmbuf_free(out[i]);
	}
	return k;
}

static void
test_off(void **state)
{
	(void)state;
	assert_null(make("", 1));
	assert_null(make("drop=0 delay=1", 1));   /* delay without delay-us */
	assert_int_equal(dp_impair_counters(NULL)[DP_IMPAIR_dropped], 0);
	assert_int_equal(dp_impair_pending(NULL), 0);
	assert_string_equal(dp_impair_counter_name(DP_IMPAIR_corrupted),
			    "corrupted");
	assert_string_equal(dp_impair_counter_name(DP_IMPAIR__MAX), "?");
}

static void
test_drop_all(void **state)
{
	unsigned ids[130], before = rte_mempool_avail_count(pool);
	(void)state;
	struct dp_impair *im = make("drop=1", 1);
	assert_int_equal(run(im, 0, 10, 0, ids), 0);
	assert_int_equal(dp_impair_counters(im)[DP_IMPAIR_dropped], 10);
	dp_impair_free(im);
	assert_int_equal(rte_mempool_avail_count(pool), before);
}

static void
test_dup_all(void **state)
{
	struct rte_mbuf *in[3], *out[8];
	(void)state;
	struct dp_impair *im = make("dup=1", 1);
	for (unsigned i = 0; i < 3; i++)
		in[i] = pkt(i);
	uint16_t k = dp_impair_burst(im, in, 3, out, 8, 0);
	assert_int_equal(k, 6);
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(id_of(out[i]), i / 2);
		if (i % 2 == 1) {
			/* A copy: another mbuf, the same bytes. */
			assert_ptr_not_equal(out[i], out[i - 1]);
			assert_memory_equal(rte_pktmbuf_mtod(out[i], void *),
					    rte_pktmbuf_mtod(out[i - 1], void *),
					    64);
		}
	}
	for (unsigned i = 0; i < k; i++)
		rte_pktmbuf_free(out[i]);
	/* No room for copies: none is made, nothing is lost. */
	for (unsigned i = 0; i < 3; i++)
		in[i] = pkt(i);
	k = dp_impair_burst(im, in, 3, out, 3, 0);
	assert_int_equal(k, 3);
	for (unsigned i = 0; i < k; i++)
		rte_pktmbuf_free(out[i]);
	assert_int_equal(dp_impair_counters(im)[DP_IMPAIR_duplicated], 3);
	dp_impair_free(im);
}

static void
test_reorder(void **state)
{
	unsigned ids[130];
	(void)state;
	struct dp_impair *im = make("reorder=1", 1);
	/* 1 is held; 2 and 3 pass (one packet is held at a time). */
	assert_int_equal(run(im, 1, 3, 0, ids), 2);
	assert_int_equal(ids[0], 2);
	assert_int_equal(ids[1], 3);
	assert_int_equal(dp_impair_pending(im), 1);
	/* Next call: 1 goes after 4, and 5 is held in its turn. */
	assert_int_equal(run(im, 4, 2, 0, ids), 2);
	assert_int_equal(ids[0], 4);
	assert_int_equal(ids[1], 1);
	/* A call without packets releases the held one at its end. */
	assert_int_equal(run(im, 0, 0, 0, ids), 1);
	assert_int_equal(ids[0], 5);
	assert_int_equal(dp_impair_pending(im), 0);
	assert_int_equal(dp_impair_counters(im)[DP_IMPAIR_reordered], 2);
	/* Free with a held packet: no leak (checked by the pool count). */
	unsigned before = rte_mempool_avail_count(pool);
	assert_int_equal(run(im, 9, 1, 0, ids), 0);
	dp_impair_free(im);
	assert_int_equal(rte_mempool_avail_count(pool), before);
}

static void
test_delay(void **state)
{
	unsigned ids[130];
	(void)state;
	struct dp_impair *im = make("delay-us=100", 1);
	assert_int_equal(run(im, 1, 2, 1000, ids), 0);
	assert_int_equal(run(im, 3, 1, 1050, ids), 0);
	assert_int_equal(dp_impair_pending(im), 3);
	assert_int_equal(run(im, 0, 0, 1099, ids), 0);
	assert_int_equal(run(im, 0, 0, 1100, ids), 2);   /* due at 1100 */
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 2);
	assert_int_equal(run(im, 4, 1, 1200, ids), 1);   /* 3; 4 waits */
	assert_int_equal(ids[0], 3);
	assert_int_equal(dp_impair_counters(im)[DP_IMPAIR_delayed], 4);
	unsigned before = rte_mempool_avail_count(pool);
	dp_impair_free(im);
	assert_int_equal(rte_mempool_avail_count(pool), before + 1);
}

static void
test_corrupt(void **state)
{
	struct rte_mbuf *in[1], *out[4];
	(void)state;
	struct dp_impair *im = make("corrupt=1", 7);
	for (unsigned r = 0; r < 50; r++) {
		in[0] = pkt(r);
		in[0]->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD |
				  RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		struct rte_mbuf *ref = pkt(r);
		assert_int_equal(dp_impair_burst(im, in, 1, out, 4, 0), 1);
		const uint8_t *a = rte_pktmbuf_mtod(out[0], const uint8_t *);
		const uint8_t *b = rte_pktmbuf_mtod(ref, const uint8_t *);
		unsigned diff = 0;
		for (unsigned i = 0; i < 64; i++) {
			if (a[i] != b[i]) {
				diff++;
				assert_true(i >= 14);
				assert_int_equal(a[i], b[i] ^ 0xff);
			}
		}
		assert_int_equal(diff, 1);
		/* The port's checksum verdict no longer holds. */
		assert_int_equal(out[0]->ol_flags, 0);
		rte_pktmbuf_free(out[0]);
		rte_pktmbuf_free(ref);
	}
	assert_int_equal(dp_impair_counters(im)[DP_IMPAIR_corrupted], 50);
	dp_impair_free(im);
}

/* mixed -- 640 packets in bursts of 32; the ids out and the counters. */
static unsigned
mixed(uint64_t seed, unsigned *ids, uint64_t *counters)
{
	struct dp_impair *im = make("drop=0.1 dup=0.05 reorder=0.1 "
				    "corrupt=0.02 delay=0.1 delay-us=50",
				    seed);
	unsigned n = 0;
	for (unsigned b = 0; b < 20; b++)
		n += run(im, b * 32, 32, b * 20, ids + n);
	for (unsigned t = 0; t < 5; t++)
		n += run(im, 0, 0, 1000 + t, ids + n);
	memcpy(counters, dp_impair_counters(im),
	       DP_IMPAIR__MAX * sizeof(*counters));
	assert_int_equal(dp_impair_pending(im), 0);
	dp_impair_free(im);
	return n;
}

static void
test_seeded_run(void **state)
{
	static unsigned a[2048], b[2048];
	uint64_t ca[DP_IMPAIR__MAX], cb[DP_IMPAIR__MAX];
	unsigned before = rte_mempool_avail_count(pool);
	(void)state;

	unsigned na = mixed(42, a, ca);
	/* The exact actions of seed 42 (a change of the draws shows). */
	assert_int_equal(ca[DP_IMPAIR_dropped], SEED42_DROPPED);
	assert_int_equal(ca[DP_IMPAIR_duplicated], SEED42_DUPLICATED);
	assert_int_equal(ca[DP_IMPAIR_reordered], SEED42_REORDERED);
	assert_int_equal(ca[DP_IMPAIR_delayed], SEED42_DELAYED);
	assert_int_equal(ca[DP_IMPAIR_corrupted], SEED42_CORRUPTED);
	static const unsigned head[] = { SEED42_HEAD };
	for (unsigned i = 0; i < RTE_DIM(head); i++)
		assert_int_equal(a[i], head[i]);
	/* Every packet out once, or twice if duplicated; none if dropped. */
	assert_int_equal(na, 640 - ca[DP_IMPAIR_dropped] +
			 ca[DP_IMPAIR_duplicated]);
	static unsigned seen[640];
	memset(seen, 0, sizeof(seen));
	for (unsigned i = 0; i < na; i++)
		seen[a[i]]++;
	unsigned zero = 0, two = 0;
	for (unsigned i = 0; i < 640; i++) {
		assert_true(seen[i] <= 2);
		zero += seen[i] == 0;
		two += seen[i] == 2;
	}
	assert_int_equal(zero, ca[DP_IMPAIR_dropped]);
	assert_int_equal(two, ca[DP_IMPAIR_duplicated]);
	/* The same seed, the same run; another seed, another run. */
	unsigned nb = mixed(42, b, cb);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na * sizeof(*a));
	assert_memory_equal(ca, cb, sizeof(ca));
	nb = mixed(43, b, cb);
	assert_true(nb != na || memcmp(a, b, na * sizeof(*a)) != 0);
	assert_int_equal(rte_mempool_avail_count(pool), before);
}

/* test_tx_flush -- dp_net_tx_flush passes frames through impair_tx. */
static void
test_tx_flush(void **state)
{
	(void)state;
	struct dp_net *n = bench_net(0);
	clear_captured();
	n->impair_tx = make("delay-us=10", 3);
	dp_net_tx(n, pkt(5));
	dp_net_tx(n, pkt(6));
	n->now_tsc = 0;
	dp_net_tx_flush(n);
	assert_int_equal(n_captured, 0);
	n->now_tsc = 9;                         /* due at 10 (HZ ticks) */
	dp_net_tx_flush(n);
	assert_int_equal(n_captured, 0);
	n->now_tsc = 10;
	dp_net_tx_flush(n);
	assert_int_equal(n_captured, 2);
	assert_int_equal(id_of(captured[0]), 5);
	assert_int_equal(id_of(captured[1]), 6);
	clear_captured();
	dp_net_tx(n, pkt(7));
	dp_net_fini(n);                         /* frees the impairment */
	assert_null(n->impair_tx);
	rte_free(n);
}

static int
setup(void **state)
{
	(void)state;
	if (pool == NULL)
		pool = rte_pktmbuf_pool_create("imp", 8191, 0, 0,
					       RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	assert_non_null(pool);
	return 0;
}

#define T(f) cmocka_unit_test_setup(f, setup)
static const struct CMUnitTest tests[] = {
	T(test_off),
	T(test_drop_all),
	T(test_dup_all),
	T(test_reorder),
	T(test_delay),
	T(test_corrupt),
	T(test_seeded_run),
	T(test_tx_flush),
};

RP_TEST_MAIN(tests, 1)
