/*
 * frames.h -- a test bench for the network stack: a dp_net on an mbuf
 * pool whose transmitted frames are captured instead of sent, and
 * builders for the Ethernet/ARP/IPv4/ICMP/TCP/UDP frames a peer would
 * send.
 */
#ifndef RP_TEST_FRAMES_H
#define RP_TEST_FRAMES_H

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "net.h"
#include "tcp.h"

/* DPDK's RTE_IPV4 shifts a signed int: UBSan objects. */
#define TB_IPV4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | \
			     (uint32_t)(c) << 8 | (uint32_t)(d))
#define US_IP   TB_IPV4(198, 18, 0, 1)
#define PEER_IP TB_IPV4(198, 18, 0, 2)
#define MAX_CAPTURE 512

static __rte_unused const struct rte_ether_addr us_mac = { { 2, 0, 0, 0, 0, 1 } };
static __rte_unused const struct rte_ether_addr peer_mac = { { 2, 0, 0, 0, 0, 2 } };

static __rte_unused struct rte_mempool *tb_pool;
static __rte_unused struct dp_net *net;     /* the bench's instance */
static __rte_unused struct rte_mbuf *captured[MAX_CAPTURE];
static __rte_unused unsigned n_captured;

/* capture_tx -- the port of the bench: keep what would be sent. */
static inline uint16_t
capture_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	(void)ctx;
	for (uint16_t i = 0; i < n; i++) {
		if (n_captured < MAX_CAPTURE) {
			/* Flatten, so tests can read any frame linearly. */
			struct rte_mbuf *m = pkts[i];
			struct rte_mbuf *c = rte_pktmbuf_alloc(tb_pool);
			char *d = rte_pktmbuf_append(c, (uint16_t)m->pkt_len);
			const void *p = rte_pktmbuf_read(m, 0, m->pkt_len, d);
			assert_non_null(p);
			if (p != d)
				memcpy(d, p, m->pkt_len);
			captured[n_captured++] = c;
		}
		rte_pktmbuf_free(pkts[i]);
	}
	return n;
}

static inline void
clear_captured(void)
{
	for (unsigned i = 0; i < n_captured; i++)
		rte_pktmbuf_free(captured[i]);
	n_captured = 0;
}

/* bench_net_init -- a dp_net on the capture port (no TCP stack). */
static inline void
bench_net_init(struct dp_net *n, uint32_t offloads)
{
	if (tb_pool == NULL)
		tb_pool = rte_pktmbuf_pool_create("tb", 16383, 0, 0,
						  RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	assert_non_null(tb_pool);
	dp_net_init(n, 0, 0, tb_pool, &us_mac, rte_cpu_to_be_32(US_IP),
		    rte_cpu_to_be_32(0xffffff00), 0, 1500, offloads);
	n->tx_burst = capture_tx;
}

/* bench_net -- bench_net_init on a new allocation. */
static inline struct dp_net *
bench_net(uint32_t offloads)
{
	struct dp_net *n = rte_zmalloc(NULL, sizeof(*n), 64);
	assert_non_null(n);
	bench_net_init(n, offloads);
	return n;
}

/* frame -- an Ethernet frame in an mbuf. */
static inline struct rte_mbuf *
frame(const struct rte_ether_addr *dst, uint16_t type, const void *payload,
      size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(tb_pool);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)
		rte_pktmbuf_append(m, (uint16_t)(sizeof(*eh) + len));
	eh->dst_addr = *dst;
	eh->src_addr = peer_mac;
	eh->ether_type = rte_cpu_to_be_16(type);
	memcpy(eh + 1, payload, len);
	return m;
}

/* ipv4 -- an IPv4 packet from the peer to us around payload. */
static inline size_t
ipv4(uint8_t *out, uint8_t proto, const void *payload, size_t len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)out;
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + len));
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(PEER_IP);
	ip->dst_addr = rte_cpu_to_be_32(US_IP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	memcpy(ip + 1, payload, len);
	return sizeof(*ip) + len;
}

/* tcp_frame_to -- a TCP segment from the peer's port pport to our lport. */
static inline struct rte_mbuf *
tcp_frame_to(uint16_t pport, uint16_t lport, uint8_t flags, uint32_t seq,
	     uint32_t ack, uint16_t win, const uint8_t *opts, size_t olen,
	     const void *data, size_t len)
{
	uint8_t seg[2048], pkt[2100];
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)seg;
	memset(th, 0, sizeof(*th));
	th->src_port = rte_cpu_to_be_16(pport);
	th->dst_port = rte_cpu_to_be_16(lport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(((20 + olen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(win);
	if (olen > 0)
		memcpy(seg + 20, opts, olen);
	if (len > 0)
		memcpy(seg + 20 + olen, data, len);
	size_t n = ipv4(pkt, IPPROTO_TCP, seg, 20 + olen + len);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)pkt;
	struct rte_tcp_hdr *t2 = (struct rte_tcp_hdr *)(ip + 1);
	t2->cksum = rte_ipv4_udptcp_cksum(ip, t2);
	return frame(&us_mac, RTE_ETHER_TYPE_IPV4, pkt, n);
}

/* tcp_frame -- a TCP segment from the peer's port pport to port 6379. */
static inline struct rte_mbuf *
tcp_frame(uint16_t pport, uint8_t flags, uint32_t seq, uint32_t ack,
	  uint16_t win, const uint8_t *opts, size_t olen, const void *data,
	  size_t len)
{
	return tcp_frame_to(pport, 6379, flags, seq, ack, win, opts, olen,
			    data, len);
}

/*
 * udp_frame -- a UDP datagram from the peer's port pport to dport with
 * len bytes of payload and a correct checksum.
 */
static inline struct rte_mbuf *
udp_frame(uint16_t pport, uint16_t dport, const void *data, size_t len)
{
	uint8_t dg[2048], pkt[2100];
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)dg;

	uh->src_port = rte_cpu_to_be_16(pport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + len));
	uh->dgram_cksum = 0;
	memcpy(dg + 8, data, len);
	size_t n = ipv4(pkt, IPPROTO_UDP, dg, 8 + len);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)pkt;
	struct rte_udp_hdr *u2 = (struct rte_udp_hdr *)(ip + 1);
	u2->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u2);
	return frame(&us_mac, RTE_ETHER_TYPE_IPV4, pkt, n);
}

/* arp_frame -- an ARP request (broadcast) or reply from the peer. */
static inline struct rte_mbuf *
arp_frame(uint16_t op, uint32_t sip, uint32_t tip)
{
	static const struct rte_ether_addr bcast = {
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct rte_arp_hdr a;

	memset(&a, 0, sizeof(a));
	a.arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a.arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a.arp_hlen = 6;
	a.arp_plen = 4;
	a.arp_opcode = rte_cpu_to_be_16(op);
	a.arp_data.arp_sha = peer_mac;
	a.arp_data.arp_sip = rte_cpu_to_be_32(sip);
	a.arp_data.arp_tip = rte_cpu_to_be_32(tip);
	return frame(op == RTE_ARP_OP_REQUEST ? &bcast : &us_mac,
		     RTE_ETHER_TYPE_ARP, &a, sizeof(a));
}

/* learn_peer -- the peer's MAC becomes known: no ARP in the way. */
static inline void
learn_peer(void)
{
	struct rte_mbuf *m = arp_frame(RTE_ARP_OP_REPLY, PEER_IP, US_IP);
	dp_net_input(net, &m, 1);
}

/* bench_setup/bench_teardown -- cmocka fixtures around `net`. */
static inline int
bench_setup(void **state)
{
	(void)state;
	net = bench_net(0);
	return 0;
}

static inline int
bench_teardown(void **state)
{
	(void)state;
	clear_captured();
	dp_net_fini(net);
	rte_free(net);
	return 0;
}

/* cap_ip / cap_tcp -- headers of a captured frame. */
static inline struct rte_ipv4_hdr *
cap_ip(unsigned i)
{
	return rte_pktmbuf_mtod_offset(captured[i], struct rte_ipv4_hdr *,
				       sizeof(struct rte_ether_hdr));
}

static inline struct rte_tcp_hdr *
cap_tcp(unsigned i)
{
	return (struct rte_tcp_hdr *)(cap_ip(i) + 1);
}

/* cap_payload_len -- TCP payload bytes of a captured frame. */
static inline unsigned
cap_payload_len(unsigned i)
{
	struct rte_ipv4_hdr *ip = cap_ip(i);
	return rte_be_to_cpu_16(ip->total_length) - 20 -
	       (cap_tcp(i)->data_off >> 4) * 4;
}

/* cap_valid -- IPv4 and TCP checksums of a captured frame are right. */
static inline void
assert_tcp_cksums(unsigned i)
{
	struct rte_ipv4_hdr *ip = cap_ip(i);
	assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	uint16_t len = (uint16_t)(rte_be_to_cpu_16(ip->total_length) - 20);
	uint32_t sum = rte_raw_cksum(ip + 1, len) +
		       rte_ipv4_phdr_cksum(ip, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
}

#endif /* RP_TEST_FRAMES_H */
