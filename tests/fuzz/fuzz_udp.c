/*
 * fuzz_udp.c -- arbitrary datagrams into RESP over UDP (dataplane/udp.c):
 * the input's first byte chooses the wrapping, the rest is the UDP
 * payload (frame header and request), sent to the server's port from
 * the peer with a right checksum (or a spoiled one, or as a whole raw
 * Ethernet frame), through the frame decoder, the RESP parser and the
 * store's commands on a real shard that keeps its keys between inputs.
 * Nothing may crash or leak, and every frame sent must be a whole reply
 * datagram: right UDP checksum, within the MTU, reply flag set.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "cfg.h"
#include "kv.h"
#include "net.h"
#include "udp.h"
#include "udp_frame.h"
#include "worker.h"

#define US_IP   0xc6120001u   /* 198.18.0.1 */
#define PEER_IP 0xc6120002u   /* 198.18.0.2 */

static struct rp_config cfg;
static struct dp_worker *w;
static struct rte_mempool *pool;
static volatile bool quit;
static const struct rte_ether_addr us = { { 2, 0, 0, 0, 0, 1 } };
static const struct rte_ether_addr peer = { { 2, 0, 0, 0, 0, 2 } };

/* check_tx -- the "port": every frame is a whole reply datagram. */
static uint16_t
check_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	(void)ctx;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		assert(m->nb_segs == 1 && m->pkt_len >= 14);
		if (p[12] == 0x08 && p[13] == 0x00) {
			const struct rte_ipv4_hdr *ip =
				(const struct rte_ipv4_hdr *)(p + 14);
			assert(rte_be_to_cpu_16(ip->total_length) <= 1500);
			assert(ip->next_proto_id == IPPROTO_UDP);
			const struct rte_udp_hdr *uh =
				(const struct rte_udp_hdr *)(ip + 1);
			uint16_t ulen = rte_be_to_cpu_16(uh->dgram_len);
			assert(ulen >= 8 + DP_UDP_FRAME_LEN);
			uint32_t s = rte_raw_cksum(uh, ulen) +
				     rte_ipv4_phdr_cksum(ip, 0);
			s = (s & 0xffff) + (s >> 16);
			s = (s & 0xffff) + (s >> 16);
			assert(s == 0xffff);
			assert(((const uint8_t *)(uh + 1))[7] & DP_UDP_F_REPLY);
		}
		rte_pktmbuf_free(m);
	}
	return n;
}

/* teardown -- at exit: release everything, so leak checks stay exact. */
static void
teardown(void)
{
	dp_udp_free(w->udp);
	kv_shard_free(w->shard);
	dp_net_fini(&w->net);
	rte_free(w);
}

static void
setup(void)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=rpfu%d", (int)getpid());
	char *args[] = { "fuzz", "-l", "0", "--no-huge", "-m", "256",
			 "--no-pci", "--no-shconf", "--log-level=*:error",
			 prefix, NULL };
	assert(rte_eal_init(10, args) >= 0);
	cfg_init(&cfg);
	cfg.maxmemory = 64 << 20;
	pool = rte_pktmbuf_pool_create("fu", 8191, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	assert(pool != NULL);
	w = rte_zmalloc(NULL, sizeof(*w), RTE_CACHE_LINE_SIZE);
	assert(w != NULL);
	dp_net_init(&w->net, 0, 0, pool, &us, rte_cpu_to_be_32(US_IP),
		    rte_cpu_to_be_32(0xffffff00), 0, 1500, 0);
	w->net.tx_burst = check_tx;
	w->cfg = &cfg;
	w->quit = &quit;
	struct kv_shard_params sp = { .cfg = &cfg };
	w->shard = kv_shard_create(&sp);
	assert(w->shard != NULL);
	assert(dp_udp_create(w, 6379) != NULL);
	atexit(teardown);
}

/* datagram -- Ethernet/IPv4/UDP around len bytes of payload. */
static struct rte_mbuf *
datagram(const uint8_t *data, size_t len, bool spoil)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	assert(m != NULL);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(42 + len));
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);

	eh->dst_addr = us;
	eh->src_addr = peer;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(28 + len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(PEER_IP);
	ip->dst_addr = rte_cpu_to_be_32(US_IP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uh->src_port = rte_cpu_to_be_16(40000);
	uh->dst_port = rte_cpu_to_be_16(6379);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + len));
	uh->dgram_cksum = 0;
	memcpy(uh + 1, data, len);
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	if (spoil)
		uh->dgram_cksum ^= 0x0100;
	return m;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *m;

	if (w == NULL) {
		setup();
		/* The peer's MAC is known: replies are not held by ARP. */
		struct rte_arp_hdr a;
		memset(&a, 0, sizeof(a));
		a.arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
		a.arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		a.arp_hlen = 6;
		a.arp_plen = 4;
		a.arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
		a.arp_data.arp_sha = peer;
		a.arp_data.arp_sip = rte_cpu_to_be_32(PEER_IP);
		a.arp_data.arp_tha = us;
		a.arp_data.arp_tip = rte_cpu_to_be_32(US_IP);
		m = rte_pktmbuf_alloc(pool);
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, 14 + sizeof(a));
		struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
		eh->dst_addr = us;
		eh->src_addr = peer;
		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
		memcpy(eh + 1, &a, sizeof(a));
		dp_net_input(&w->net, &m, 1);
	}
	if (size == 0)
		return 0;
	uint8_t mode = data[0];
	data++;
	size--;
	if (size > 1900)
		size = 1900;
	if ((mode & 3) == 3) {
		/* A whole raw frame: the UDP checks meet anything. */
		m = rte_pktmbuf_alloc(pool);
		assert(m != NULL);
		char *d = rte_pktmbuf_append(m, (uint16_t)size);
		if (size > 0)
			memcpy(d, data, size);
	} else {
		m = datagram(data, size, mode & 2);
	}
	dp_net_input(&w->net, &m, 1);
	kv_commit(w->shard);
	dp_udp_flush(w->udp);
	dp_net_tx_flush(&w->net);
	return 0;
}
