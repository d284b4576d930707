/*
 * net.c -- Ethernet and IPv4 on a worker's queue: input demultiplexing,
 * header validation, output with ARP resolution, and the TX buffer.
 *
 * mbuf ownership: every function that takes an mbuf consumes it.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "impair.h"
#include "net.h"
#include "net_private.h"
#include "tcp.h"

static const char *const counter_names[] = {
#define DP_NET_NAME(n) #n,
	DP_NET_COUNTERS(DP_NET_NAME)
#undef DP_NET_NAME
};

const char *
dp_net_counter_name(enum dp_net_counter c)
{
	return c < DP_NET__MAX ? counter_names[c] : "?";
}

int
dp_net_init(struct dp_net *net, uint16_t port_id, uint16_t queue_id,
	    struct rte_mempool *pool, const struct rte_ether_addr *mac,
	    uint32_t ip, uint32_t netmask, uint32_t gateway, uint16_t mtu,
	    uint32_t offloads)
{
	memset(net, 0, sizeof(*net));
	net->port_id = port_id;
	net->queue_id = queue_id;
	net->pool = pool;
	net->mac = *mac;
	net->ip = ip;
	net->netmask = netmask;
	net->gateway = gateway;
	net->mtu = mtu;
	net->offloads = offloads;
	net->tsc_hz = rte_get_tsc_hz();
	net->now_tsc = rte_rdtsc();
	return 0;
}

void
dp_net_fini(struct dp_net *net)
{
	for (unsigned i = 0; i < DP_ARP_SLOTS; i++) {
		struct dp_arp_entry *e = &net->arp[i];
		for (unsigned k = 0; k < e->n_hold; k++)
			rte_pktmbuf_free(e->hold[k]);
		e->n_hold = 0;
	}
	for (unsigned i = 0; i < net->n_tx; i++)
		rte_pktmbuf_free(net->tx[i]);
	net->n_tx = 0;
	dp_impair_free(net->impair_rx);
	dp_impair_free(net->impair_tx);
	net->impair_rx = net->impair_tx = NULL;
}

void
dp_net_tx_burst(struct dp_net *net, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = 0;

	for (int tries = 0; sent < n && tries < 4; tries++) {
		if (net->tx_burst != NULL)
			sent += net->tx_burst(net->tx_ctx, pkts + sent,
					      n - sent);
		else
			sent += rte_eth_tx_burst(net->port_id, net->queue_id,
						 pkts + sent, n - sent);
	}
	/* After tx_burst the caller frees what was not accepted. */
	for (uint16_t i = sent; i < n; i++) {
		rte_pktmbuf_free(pkts[i]);
		DP_COUNT(net, tx_full);
	}
}

void
dp_net_tx_flush(struct dp_net *net)
{
	if (unlikely(net->impair_tx != NULL)) {
		struct rte_mbuf *out[2 * DP_TX_BUF + 2];
		uint16_t k = dp_impair_burst(net->impair_tx, net->tx,
					     net->n_tx, out, RTE_DIM(out),
					     net->now_tsc);
		net->n_tx = 0;
		dp_net_tx_burst(net, out, k);
		return;
	}
	dp_net_tx_burst(net, net->tx, net->n_tx);
	net->n_tx = 0;
}

void
dp_net_tx(struct dp_net *net, struct rte_mbuf *m)
{
	net->counters[DP_NET_tx_packets]++;
	net->counters[DP_NET_tx_bytes] += rte_pktmbuf_pkt_len(m);
	net->tx[net->n_tx++] = m;
	if (net->n_tx == DP_TX_BUF)
		dp_net_tx_flush(net);
}

/* ipv4_input -- validate an IPv4 packet (data at the IP header). */
static void
ipv4_input(struct dp_net *net, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip;
	uint32_t len = rte_pktmbuf_data_len(m);

	if (len < sizeof(*ip)) {
		DP_COUNT(net, drop_short);
		goto drop;
	}
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint32_t hlen = (uint32_t)(ip->version_ihl & 0x0f) * 4;
	uint32_t total = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || hlen < sizeof(*ip)) {
		DP_COUNT(net, drop_ip_version);
		goto drop;
	}
	if (hlen > len || total < hlen || total > len) {
		DP_COUNT(net, drop_ip_len);
		goto drop;
	}
	bool cksum_good = (net->offloads & DP_OFF_RX_IPV4_CKSUM) &&
		(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) ==
		RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	if (!cksum_good && rte_raw_cksum(ip, hlen) != 0xffff) {
		DP_COUNT(net, drop_ip_cksum);
		goto drop;
	}
	if (ip->dst_addr != net->ip) {
		DP_COUNT(net, drop_not_for_us);
		goto drop;
	}
	if (rte_be_to_cpu_16(ip->fragment_offset) &
	    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
		DP_COUNT(net, drop_ip_frag);
		goto drop;
	}
	/* Drop Ethernet padding beyond the IP packet. */
	if (len > total)
		rte_pktmbuf_trim(m, (uint16_t)(len - total));

	uint32_t src = ip->src_addr, dst = ip->dst_addr;
	uint8_t proto = ip->next_proto_id;
	bool l4_good = (net->offloads & DP_OFF_RX_L4_CKSUM) &&
		(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) ==
		RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	switch (proto) {
	case IPPROTO_ICMP:
		dp_icmp_input(net, m, hlen);
		return;
	case IPPROTO_TCP:
		rte_pktmbuf_adj(m, (uint16_t)hlen);
		tcp_input(net->tcp, m, src, dst, (uint16_t)(total - hlen),
			  l4_good);
		return;
	case IPPROTO_UDP:
		DP_COUNT(net, udp_rx);
		if (net->udp_input == NULL) {
			DP_COUNT(net, udp_no_port);
			goto drop;
		}
		net->udp_input(net->udp_ctx, m, hlen, l4_good);
		return;
	default:
		DP_COUNT(net, drop_ip_proto);
		goto drop;
	}
drop:
	rte_pktmbuf_free(m);
}

void
dp_net_input(struct dp_net *net, struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		net->counters[DP_NET_rx_packets]++;
		net->counters[DP_NET_rx_bytes] += rte_pktmbuf_pkt_len(m);
		if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) {
			DP_COUNT(net, drop_short);
			rte_pktmbuf_free(m);
			continue;
		}
		if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr)) {
			DP_COUNT(net, drop_short);
			rte_pktmbuf_free(m);
			continue;
		}
		struct rte_ether_hdr *eh =
			rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		if (!rte_is_same_ether_addr(&eh->dst_addr, &net->mac) &&
		    !rte_is_broadcast_ether_addr(&eh->dst_addr)) {
			DP_COUNT(net, drop_not_for_us);
			rte_pktmbuf_free(m);
			continue;
		}
		uint16_t type = rte_be_to_cpu_16(eh->ether_type);
		if (type == RTE_ETHER_TYPE_ARP) {
			dp_arp_input(net, m);
		} else if (type == RTE_ETHER_TYPE_IPV4) {
			rte_pktmbuf_adj(m, sizeof(*eh));
			ipv4_input(net, m);
		} else {
			DP_COUNT(net, drop_ethertype);
			rte_pktmbuf_free(m);
		}
	}
}

void
dp_ipv4_output(struct dp_net *net, struct rte_mbuf *m, uint32_t dst,
	       uint8_t proto)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)
		rte_pktmbuf_prepend(m, sizeof(*ip));

	if (ip == NULL) {
		DP_COUNT(net, drop_no_mbuf);
		rte_pktmbuf_free(m);
		return;
	}
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)rte_pktmbuf_pkt_len(m));
	ip->packet_id = rte_cpu_to_be_16(net->ip_id++);
	ip->fragment_offset = proto == IPPROTO_TCP ?
		rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = net->ip;
	ip->dst_addr = dst;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);

	uint32_t hop = dst;
	if ((dst & net->netmask) != (net->ip & net->netmask)) {
		if (net->gateway == 0) {
			DP_COUNT(net, drop_no_route);
			rte_pktmbuf_free(m);
			return;
		}
		hop = net->gateway;
	}
	dp_arp_output(net, m, hop);
}

void
dp_udp_cksum(struct dp_net *net, struct rte_mbuf *m, struct rte_udp_hdr *uh,
	     uint32_t dst)
{
	/* The pseudo-header's fields: dp_ipv4_output writes the real one. */
	struct rte_ipv4_hdr ph = {
		.version_ihl = RTE_IPV4_VHL_DEF,
		.total_length = rte_cpu_to_be_16((uint16_t)(sizeof(ph) +
							    m->pkt_len)),
		.next_proto_id = IPPROTO_UDP,
		.src_addr = net->ip,
		.dst_addr = dst,
	};

	uh->dgram_cksum = 0;
	if (net->offloads & DP_OFF_TX_UDP_CKSUM) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
		m->l2_len = RTE_ETHER_HDR_LEN;
		m->l3_len = sizeof(ph);
		uh->dgram_cksum = rte_ipv4_phdr_cksum(&ph, m->ol_flags);
	} else {
		uh->dgram_cksum = rte_ipv4_udptcp_cksum(&ph, uh);
	}
}

bool
dp_udp_cksum_ok(const struct rte_ipv4_hdr *ip, const struct rte_udp_hdr *uh,
		uint32_t len)
{
	uint32_t s = rte_raw_cksum(uh, len) + rte_ipv4_phdr_cksum(ip, 0);

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}
