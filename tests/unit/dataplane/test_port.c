/*
 * test_port.c -- dataplane/port.c on a ring-backed virtual port (net_ring):
 * queues, pools and offloads set up, frames sent through the port come
 * back on its RX side, fewer queue pairs than workers, hardware RSS asked
 * for with a symmetric key, errors named.
 */
#include <errno.h>

#include "unit.h"

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_thash.h>

#include "net.h"
#include "port.h"

/* test_setup_and_loop -- a net_ring port echoes what is sent on it. */
static void
test_setup_and_loop(void **state)
{
	struct dp_port p;
	char err[256];
	int sockets[1] = { 0 };
	(void)state;

	assert_int_equal(rte_eth_dev_count_avail(), 1);
	int rc = dp_port_setup(&p, 0, 1, 0, sockets, 256, 256, 1023, 1500, err,
			       sizeof(err));
	assert_int_equal(rc, 0);
	assert_non_null(p.pools[0]);
	assert_string_equal(p.driver, "net_ring");
	assert_int_equal(dp_port_wait_link(&p, 100), 1);

	/* net_ring's TX ring is its RX ring: a frame sent comes back. */
	struct rte_mbuf *m = rte_pktmbuf_alloc(p.pools[0]);
	assert_non_null(m);
	char *d = rte_pktmbuf_append(m, 60);
	memset(d, 0xab, 60);
	assert_int_equal(rte_eth_tx_burst(0, 0, &m, 1), 1);
	struct rte_mbuf *in[4];
	uint16_t n = rte_eth_rx_burst(0, 0, in, 4);
	assert_int_equal(n, 1);
	assert_int_equal(rte_pktmbuf_pkt_len(in[0]), 60);
	assert_int_equal(*rte_pktmbuf_mtod(in[0], uint8_t *), 0xab);
	rte_pktmbuf_free(in[0]);

	/* One queue and no RSS: tcp_connect may take any port. */
	uint8_t key[64];
	uint16_t reta[512];
	unsigned key_len = sizeof(key), reta_size = RTE_DIM(reta);
	assert_int_equal(dp_port_rss(&p, key, &key_len, reta, &reta_size),
			 -ENOTSUP);
	dp_port_close(&p);
}

/* test_bad_port -- a port that does not exist is named in the error. */
/* rss_of -- the Toeplitz hash of an IPv4 TCP/UDP 4-tuple under key. */
static uint32_t
rss_of(const uint8_t *key, uint32_t sa, uint32_t da, uint16_t sp,
       uint16_t dp)
{
	uint32_t t[RTE_THASH_V4_L4_LEN] = { sa, da, (uint32_t)sp << 16 | dp };

	return rte_softrss(t, RTE_THASH_V4_L4_LEN, key);
}

/*
 * test_rss_conf -- hardware RSS is asked for when the device offers it
 * and there are several queues, with a key that sends a flow and its
 * reverse to one queue and still spreads flows; not otherwise.
 */
static void
test_rss_conf(void **state)
{
	struct rte_eth_dev_info info = { .hash_key_size = 40,
		.flow_type_rss_offloads = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP |
					  RTE_ETH_RSS_SCTP };
	struct rte_eth_conf conf = { 0 };
	uint8_t key[64];
	(void)state;

	uint64_t hf = dp_port_rss_conf(&info, 4, &conf, key, sizeof(key));
	assert_int_equal(hf, RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP);
	assert_int_equal(conf.rxmode.mq_mode, RTE_ETH_MQ_RX_RSS);
	assert_int_equal(conf.rx_adv_conf.rss_conf.rss_key_len, 40);
	assert_ptr_equal(conf.rx_adv_conf.rss_conf.rss_key, key);
	unsigned seen[4] = { 0 };
	for (uint32_t i = 0; i < 4000; i++) {
		uint32_t a = 0xc6120002u + i % 97, b = 0xc6120001u;
		uint16_t pa = (uint16_t)(1024 + i * 7), pb = 6379;
		uint32_t h = rss_of(key, a, b, pa, pb);
		assert_int_equal(h, rss_of(key, b, a, pb, pa));
		seen[h % 4]++;
	}
	for (int q = 0; q < 4; q++)
		assert_true(seen[q] > 500);
	/* One queue, no RSS offered, or a key too long: none. */
	struct rte_eth_conf none = { 0 };
	assert_int_equal(dp_port_rss_conf(&info, 1, &none, key, sizeof(key)),
			 0);
	assert_int_equal(dp_port_rss_conf(&info, 4, &none, key, 16), 0);
	info.flow_type_rss_offloads = RTE_ETH_RSS_SCTP;
	assert_int_equal(dp_port_rss_conf(&info, 4, &none, key, sizeof(key)),
			 0);
	assert_int_equal(none.rxmode.mq_mode, RTE_ETH_MQ_RX_NONE);
}

static void
test_bad_port(void **state)
{
	struct dp_port p;
	char err[256];
	int sockets[1] = { 0 };
	(void)state;

	assert_int_equal(dp_port_setup(&p, 7, 1, 0, sockets, 256, 256, 1023,
				       1500, err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "port 7: no such ethdev port"));
}

/*
 * test_fewer_queues -- queue pairs: one per worker as far as the device
 * offers them, at most port-queues when that is given (software
 * steering shares them); a pool for every worker in any case.
 */
static void
test_fewer_queues(void **state)
{
	struct rte_eth_dev_info info;
	struct dp_port p;
	char err[256];
	int sockets[DP_MAX_WORKERS] = { 0 };
	(void)state;

	assert_int_equal(rte_eth_dev_info_get(0, &info), 0);
	unsigned offered = RTE_MIN(info.max_rx_queues, info.max_tx_queues);
	const uint16_t cases[][3] = {   /* workers, port-queues, expected */
		{ 3, 0, RTE_MIN(3u, offered) },
		{ 3, 1, 1 },
		{ 2, 5, RTE_MIN(2u, offered) },
		{ (uint16_t)(offered + 1), 0, (uint16_t)offered },
	};
	for (unsigned c = 0; c < RTE_DIM(cases); c++) {
		assert_int_equal(dp_port_setup(&p, 0, cases[c][0], cases[c][1],
					       sockets, 256, 256, 1023, 1500,
					       err, sizeof(err)), 0);
		assert_int_equal(p.n_queues, cases[c][2]);
		assert_int_equal(p.n_workers, cases[c][0]);
		for (unsigned w = 0; w < cases[c][0]; w++)
			assert_non_null(p.pools[w]);
		/* Stopped, not closed: the next tests set it up again. */
		assert_int_equal(rte_eth_dev_stop(0), 0);
		for (unsigned w = 0; w < cases[c][0]; w++)
			rte_mempool_free(p.pools[w]);
	}
	assert_int_equal(dp_port_setup(&p, 0, 0, 0, sockets, 256, 256, 1023,
				       1500, err, sizeof(err)), -EINVAL);
	assert_int_equal(dp_port_setup(&p, 0, DP_MAX_WORKERS + 1, 0, sockets,
				       256, 256, 1023, 1500, err,
				       sizeof(err)), -EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_bad_port),
	cmocka_unit_test(test_rss_conf),
	cmocka_unit_test(test_fewer_queues),
	cmocka_unit_test(test_setup_and_loop),
};

int
main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	rp_test_eal_init_vdev(argv[0], "--vdev=net_ring0");
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
