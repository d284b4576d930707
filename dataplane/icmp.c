/*
 * icmp.c -- ICMP: echo requests answered in place (the request's mbuf
 * becomes the reply); other messages are counted and dropped.
 */
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "net.h"
#include "net_private.h"

void
dp_icmp_input(struct dp_net *net, struct rte_mbuf *m, uint32_t hlen)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint32_t len = rte_pktmbuf_data_len(m) - hlen;
	struct rte_icmp_hdr *ic;

	if (len < sizeof(*ic)) {
		DP_COUNT(net, drop_short);
		goto drop;
	}
	ic = (struct rte_icmp_hdr *)((char *)ip + hlen);
	if (rte_raw_cksum(ic, len) != 0xffff) {
		DP_COUNT(net, drop_l4_cksum);
		goto drop;
	}
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0) {
		DP_COUNT(net, drop_icmp);
		goto drop;
	}
	DP_COUNT(net, icmp_echo_rx);

	/* Turn the request into the reply: same id, sequence, payload. */
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, len);
	uint32_t peer = ip->src_addr;
	rte_pktmbuf_adj(m, (uint16_t)hlen);   /* data at the ICMP header */
	m->ol_flags = 0;
	DP_COUNT(net, icmp_echo_tx);
	dp_ipv4_output(net, m, peer, IPPROTO_ICMP);
	return;
drop:
	rte_pktmbuf_free(m);
}
