/*
 * test_net.c -- dataplane/net.c: Ethernet and IPv4 validation with a
 * counter for every drop reason, IPv4 output, and the UDP checksum
 * helpers.
 */
#include "unit.h"

#include <rte_udp.h>

#include "frames.h"


static uint64_t
count(enum dp_net_counter c)
{
	return net->counters[c];
}

/* send_ip -- an IPv4 frame with a hook to spoil its header. */
static void
send_ip(void (*spoil)(struct rte_ipv4_hdr *ip), size_t trim)
{
	uint8_t pkt[128], payload[8] = { 8, 0, 0xf7, 0xff, 0, 0, 0, 0 };
	size_t n = ipv4(pkt, IPPROTO_ICMP, payload, sizeof(payload));
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)pkt;

	if (spoil != NULL) {
		spoil(ip);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	struct rte_mbuf *m = frame(&us_mac, RTE_ETHER_TYPE_IPV4, pkt, n - trim);
	dp_net_input(net, &m, 1);
	dp_net_tx_flush(net);
}

static void spoil_version(struct rte_ipv4_hdr *ip) { ip->version_ihl = 0x65; }
static void spoil_frag(struct rte_ipv4_hdr *ip)
{ ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG); }
static void spoil_offset(struct rte_ipv4_hdr *ip)
{ ip->fragment_offset = rte_cpu_to_be_16(10); }
static void spoil_dst(struct rte_ipv4_hdr *ip)
{ ip->dst_addr = rte_cpu_to_be_32(TB_IPV4(198, 18, 0, 9)); }
static void spoil_len(struct rte_ipv4_hdr *ip)
{ ip->total_length = rte_cpu_to_be_16(200); }
static void spoil_proto(struct rte_ipv4_hdr *ip) { ip->next_proto_id = 47; }
static void spoil_udp(struct rte_ipv4_hdr *ip) { ip->next_proto_id = 17; }

static void
test_ip_drops(void **state)
{
	(void)state;
	send_ip(spoil_version, 0);
	assert_int_equal(count(DP_NET_drop_ip_version), 1);
	send_ip(spoil_frag, 0);
	send_ip(spoil_offset, 0);
	assert_int_equal(count(DP_NET_drop_ip_frag), 2);
	send_ip(spoil_dst, 0);
	assert_int_equal(count(DP_NET_drop_not_for_us), 1);
	send_ip(spoil_len, 0);
	assert_int_equal(count(DP_NET_drop_ip_len), 1);
	send_ip(spoil_proto, 0);
	assert_int_equal(count(DP_NET_drop_ip_proto), 1);
	send_ip(spoil_udp, 0);
	assert_int_equal(count(DP_NET_udp_rx), 1);
	assert_int_equal(n_captured, 0);
}

static void
test_ip_checksum(void **state)
{
	uint8_t pkt[64], payload[4] = { 0 };
	(void)state;
	size_t n = ipv4(pkt, IPPROTO_ICMP, payload, 4);
	pkt[10] ^= 0x55;
	struct rte_mbuf *m = frame(&us_mac, RTE_ETHER_TYPE_IPV4, pkt, n);
	dp_net_input(net, &m, 1);
	assert_int_equal(count(DP_NET_drop_ip_cksum), 1);
}

static void
test_ethernet_drops(void **state)
{
	static const struct rte_ether_addr other = { { 2, 9, 9, 9, 9, 9 } };
	uint8_t junk[46] = { 0 };
	(void)state;

	struct rte_mbuf *m = frame(&other, RTE_ETHER_TYPE_IPV4, junk, 46);
	dp_net_input(net, &m, 1);
	assert_int_equal(count(DP_NET_drop_not_for_us), 1);
	m = frame(&us_mac, RTE_ETHER_TYPE_IPV6, junk, 46);
	dp_net_input(net, &m, 1);
	assert_int_equal(count(DP_NET_drop_ethertype), 1);
	m = rte_pktmbuf_alloc(tb_pool);
	rte_pktmbuf_append(m, 10);
	dp_net_input(net, &m, 1);
	assert_int_equal(count(DP_NET_drop_short), 1);
	send_ip(NULL, 4);    /* IP packet longer than the frame */
	assert_int_equal(count(DP_NET_drop_ip_len), 1);
}

static void
test_output_no_route(void **state)
{
	(void)state;
	struct rte_mbuf *m = rte_pktmbuf_alloc(tb_pool);
	rte_pktmbuf_append(m, 8);
	dp_ipv4_output(net, m, rte_cpu_to_be_32(TB_IPV4(198, 19, 0, 1)),
		       IPPROTO_ICMP);
	assert_int_equal(count(DP_NET_drop_no_route), 1);
	assert_int_equal(n_captured, 0);
}

/* dp_udp_cksum in software, checked by dp_udp_cksum_ok and by DPDK. */
static void
test_udp_cksum(void **state)
{
	(void)state;
	struct rte_mbuf *m = rte_pktmbuf_alloc(tb_pool);
	const char text[] = "hello, odd-length";
	uint32_t len = (uint32_t)(sizeof(struct rte_udp_hdr) + sizeof(text));
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)
		rte_pktmbuf_append(m, (uint16_t)len);
	uint32_t dst = rte_cpu_to_be_32(TB_IPV4(198, 18, 0, 9));

	uh->src_port = rte_cpu_to_be_16(1234);
	uh->dst_port = rte_cpu_to_be_16(6379);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)len);
	memcpy(uh + 1, text, sizeof(text));
	net->offloads = 0;
	dp_udp_cksum(net, m, uh, dst);
	assert_int_not_equal(uh->dgram_cksum, 0);
	/* as the receiver sees it: the IPv4 header of the datagram */
	struct rte_ipv4_hdr ip = {
		.version_ihl = RTE_IPV4_VHL_DEF,
		.total_length = rte_cpu_to_be_16((uint16_t)(sizeof(ip) + len)),
		.next_proto_id = IPPROTO_UDP,
		.src_addr = net->ip,
		.dst_addr = dst,
	};
	assert_true(dp_udp_cksum_ok(&ip, uh, len));
	((char *)(uh + 1))[3] ^= 1;
	assert_false(dp_udp_cksum_ok(&ip, uh, len));
	((char *)(uh + 1))[3] ^= 1;
	ip.src_addr ^= 1;
	assert_false(dp_udp_cksum_ok(&ip, uh, len));
	/* offloaded: only the pseudo-header sum, and the request flags */
	net->offloads = DP_OFF_TX_UDP_CKSUM;
	dp_udp_cksum(net, m, uh, dst);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM);
	assert_int_equal(m->l3_len, sizeof(struct rte_ipv4_hdr));
	rte_pktmbuf_free(m);
}

static void
test_counter_names(void **state)
{
	(void)state;
	assert_string_equal(dp_net_counter_name(DP_NET_drop_ip_frag),
			    "drop_ip_frag");
	assert_string_equal(dp_net_counter_name(DP_NET__MAX), "?");
}


static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_ip_drops, bench_setup, bench_teardown),
	cmocka_unit_test_setup_teardown(test_ip_checksum, bench_setup, bench_teardown),
	cmocka_unit_test_setup_teardown(test_ethernet_drops, bench_setup, bench_teardown),
	cmocka_unit_test_setup_teardown(test_output_no_route, bench_setup, bench_teardown),
	cmocka_unit_test_setup_teardown(test_udp_cksum, bench_setup, bench_teardown),
	cmocka_unit_test(test_counter_names),
};

RP_TEST_MAIN(tests, 1)
