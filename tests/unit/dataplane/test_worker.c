/*
 * test_worker.c -- dataplane/worker.c: the poll loop on a ring-backed
 * port (net_ring), run on a second lcore: frames waiting on the port are
 * received and answered, the gratuitous ARP goes out at start, the loop
 * counts its iterations and busy cycles and stops on the quit flag.
 */
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "unit.h"

#include "cfg.h"
#include "conn.h"
#include "frames.h"
#include "kv.h"
#include "port.h"
#include "worker.h"

static void
test_poll_loop(void **state)
{
	static volatile bool quit;
	struct rp_config cfg;
	struct dp_port port;
	char err[256];
	int sockets[1] = { 0 };
	(void)state;

	cfg_init(&cfg);
	cfg.idle_sleep_us = 50;      /* exercise the idle back-off too */
	cfg.idle_polls = 100;
	assert_int_equal(dp_port_setup(&port, 0, 1, 0, sockets, 256, 256, 2047,
				       1500, err, sizeof(err)), 0);
	tb_pool = port.pools[0];

	struct dp_worker *w = rte_zmalloc(NULL, sizeof(*w), 64);
	bench_net_init(&w->net, 0);
	w->net.port_id = 0;
	w->net.queue_id = 0;
	net = &w->net;
	w->cfg = &cfg;
	w->quit = &quit;
	struct kv_shard_params sp = { .cfg = &cfg };
	w->shard = kv_shard_create(&sp);
	struct tcp_params tp = { .mss = 1460, .rcv_wnd = 65535,
				 .max_conns = 16, .backlog = 16,
				 .send_queue_max = 1 << 20 };
	w->net.tcp = tcp_stack_create(&w->net, &tp, &dp_conn_tcp_ops, w);
	tcp_listen(w->net.tcp, 6379);

	/* Frames wait on the port (its TX ring is its RX ring). */
	struct rte_mbuf *in[2] = {
		arp_frame(RTE_ARP_OP_REQUEST, PEER_IP, US_IP),
		tcp_frame(42000, 0x02, 7, 0, 65535, NULL, 0, NULL, 0),
	};
	assert_int_equal(rte_eth_tx_burst(0, 0, in, 2), 2);

	unsigned lcore = rte_get_next_lcore(-1, 1, 0);
	assert_true(lcore < RTE_MAX_LCORE);
	quit = false;
	assert_int_equal(rte_eal_remote_launch(dp_worker_main, w, lcore), 0);
	rte_delay_ms(300);
	quit = true;
	assert_int_equal(rte_eal_wait_lcore(lcore), 0);

	/* Gratuitous ARP, the ARP reply and the SYN-ACK were sent. */
	assert_int_equal(w->net.counters[DP_NET_arp_requests_tx], 1);
	assert_int_equal(w->net.counters[DP_NET_arp_replies_tx], 1);
	assert_int_equal(w->net.counters[DP_NET_rx_packets], 2);
	assert_int_equal(tcp_counters(w->net.tcp)[TCP_passive_opens], 1);
	assert_true(n_captured >= 3);
	assert_true(w->counters[DP_W_iterations] > 0);
	assert_true(w->counters[DP_W_busy_cycles] > 0);
	assert_true(w->counters[DP_W_idle_cycles] > 0);
	assert_string_equal(dp_worker_counter_name(DP_W_commits), "commits");

	dp_conn_fini(w);
	tcp_stack_free(w->net.tcp);
	kv_shard_free(w->shard);
	clear_captured();
	dp_net_fini(&w->net);
	rte_free(w);
	dp_port_close(&port);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_poll_loop),
};

int
main(int argc, char **argv)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=rptw%d", (int)getpid());
	char *args[] = { argv[0], "-l", "0-1", "--no-huge", "-m", "512",
			 "--no-pci", "--no-shconf", "--log-level=lib.*:error",
			 "--vdev=net_ring0", prefix, NULL };
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	if (rte_eal_init(11, args) < 0)
		return 1;
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
