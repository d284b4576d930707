/*
 * test_arp.c -- dataplane/arp.c: answering, learning, holding packets
 * while resolving, retries, gratuitous ARP.
 */
#include "unit.h"

#include "frames.h"


static struct rte_arp_hdr *
cap_arp(unsigned i)
{
	return rte_pktmbuf_mtod_offset(captured[i], struct rte_arp_hdr *,
				       sizeof(struct rte_ether_hdr));
}

static void
test_answer_request(void **state)
{
	(void)state;
	struct rte_mbuf *m = arp_frame(RTE_ARP_OP_REQUEST, PEER_IP, US_IP);
	dp_net_input(net, &m, 1);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 1);
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(captured[0],
						    struct rte_ether_hdr *);
	assert_true(rte_is_same_ether_addr(&eh->dst_addr, &peer_mac));
	struct rte_arp_hdr *a = cap_arp(0);
	assert_int_equal(rte_be_to_cpu_16(a->arp_opcode), RTE_ARP_OP_REPLY);
	assert_true(rte_is_same_ether_addr(&a->arp_data.arp_sha, &us_mac));
	assert_int_equal(a->arp_data.arp_sip, rte_cpu_to_be_32(US_IP));
	assert_int_equal(a->arp_data.arp_tip, rte_cpu_to_be_32(PEER_IP));
	assert_int_equal(net->counters[DP_NET_arp_replies_tx], 1);
}

static void
test_ignore_other_target(void **state)
{
	(void)state;
	struct rte_mbuf *m = arp_frame(RTE_ARP_OP_REQUEST, PEER_IP,
				       TB_IPV4(198, 18, 0, 77));
	dp_net_input(net, &m, 1);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 0);
}

/* test_hold_and_release -- output to an unknown peer waits for ARP. */
static void
test_hold_and_release(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(tb_pool);
		memset(rte_pktmbuf_append(m, 8), i, 8);
		dp_ipv4_output(net, m, rte_cpu_to_be_32(PEER_IP), IPPROTO_UDP);
	}
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 1);    /* one ARP request */
	assert_int_equal(rte_be_to_cpu_16(cap_arp(0)->arp_opcode),
			 RTE_ARP_OP_REQUEST);
	clear_captured();
	struct rte_mbuf *m = arp_frame(RTE_ARP_OP_REPLY, PEER_IP, US_IP);
	dp_net_input(net, &m, 1);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 3);    /* the held packets, in order */
	for (unsigned i = 0; i < 3; i++) {
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(captured[i],
						struct rte_ether_hdr *);
		assert_true(rte_is_same_ether_addr(&eh->dst_addr, &peer_mac));
		assert_int_equal(*((uint8_t *)(cap_ip(i) + 1)), i);
	}
}

/* test_unresolved_gives_up -- retries, then held packets are dropped. */
static void
test_unresolved_gives_up(void **state)
{
	(void)state;
	struct rte_mbuf *m = rte_pktmbuf_alloc(tb_pool);
	rte_pktmbuf_append(m, 8);
	dp_ipv4_output(net, m, rte_cpu_to_be_32(PEER_IP), IPPROTO_UDP);
	for (int i = 0; i < 10; i++) {
		net->now_tsc += net->tsc_hz;
		dp_net_timer(net);
	}
	dp_net_tx_flush(net);
	assert_true(net->counters[DP_NET_arp_requests_tx] >= 4);
	assert_int_equal(net->counters[DP_NET_drop_arp_hold], 1);
}

static void
test_gratuitous(void **state)
{
	(void)state;
	dp_arp_announce(net);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 1);
	struct rte_arp_hdr *a = cap_arp(0);
	assert_int_equal(a->arp_data.arp_sip, a->arp_data.arp_tip);
	assert_int_equal(a->arp_data.arp_sip, rte_cpu_to_be_32(US_IP));
}


static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_answer_request, bench_setup, bench_teardown),
	cmocka_unit_test_setup_teardown(test_ignore_other_target, bench_setup, bench_teardown),
	cmocka_unit_test_setup_teardown(test_hold_and_release, bench_setup, bench_teardown),
	cmocka_unit_test_setup_teardown(test_unresolved_gives_up, bench_setup, bench_teardown),
	cmocka_unit_test_setup_teardown(test_gratuitous, bench_setup, bench_teardown),
};

RP_TEST_MAIN(tests, 1)
