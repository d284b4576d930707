/*
 * test_icmp.c -- dataplane/icmp.c: echo request to reply with the same
 * identifier, sequence and payload; bad checksums and other types.
 */
#include "unit.h"

#include "frames.h"


static struct rte_mbuf *
echo(uint8_t type, bool good_cksum)
{
	uint8_t msg[8 + 32], pkt[128];
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)msg;
	memset(msg, 0, sizeof(msg));
	ic->icmp_type = type;
	ic->icmp_ident = rte_cpu_to_be_16(0x1234);
	ic->icmp_seq_nb = rte_cpu_to_be_16(7);
	for (int i = 8; i < 40; i++)
		msg[i] = (uint8_t)i;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(msg, sizeof(msg));
	if (!good_cksum)
		ic->icmp_cksum ^= 1;
	size_t n = ipv4(pkt, IPPROTO_ICMP, msg, sizeof(msg));
	return frame(&us_mac, RTE_ETHER_TYPE_IPV4, pkt, n);
}

static void
test_echo_reply(void **state)
{
	(void)state;
	learn_peer();
	struct rte_mbuf *m = echo(RTE_IP_ICMP_ECHO_REQUEST, true);
	dp_net_input(net, &m, 1);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 1);
	struct rte_ipv4_hdr *ip = cap_ip(0);
	assert_int_equal(ip->dst_addr, rte_cpu_to_be_32(PEER_IP));
	assert_int_equal(ip->src_addr, rte_cpu_to_be_32(US_IP));
	assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);
	assert_int_equal(ic->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(ic->icmp_ident, rte_cpu_to_be_16(0x1234));
	assert_int_equal(ic->icmp_seq_nb, rte_cpu_to_be_16(7));
	assert_int_equal(rte_raw_cksum(ic, 40), 0xffff);
	for (int i = 8; i < 40; i++)
		assert_int_equal(((uint8_t *)ic)[i], i);
	assert_int_equal(net->counters[DP_NET_icmp_echo_tx], 1);
}

static void
test_bad_cksum_and_type(void **state)
{
	(void)state;
	learn_peer();
	struct rte_mbuf *m = echo(RTE_IP_ICMP_ECHO_REQUEST, false);
	dp_net_input(net, &m, 1);
	m = echo(13, true);   /* timestamp request: not answered */
	dp_net_input(net, &m, 1);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 0);
	assert_int_equal(net->counters[DP_NET_drop_l4_cksum], 1);
	assert_int_equal(net->counters[DP_NET_drop_icmp], 1);
}


static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_echo_reply, bench_setup, bench_teardown),
	cmocka_unit_test_setup_teardown(test_bad_cksum_and_type, bench_setup, bench_teardown),
};

RP_TEST_MAIN(tests, 1)
