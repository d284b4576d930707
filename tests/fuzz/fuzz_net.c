/*
 * fuzz_net.c -- arbitrary frames into a worker's network instance:
 * Ethernet, ARP, IPv4, ICMP and TCP (options, states) with a listening
 * server whose application echoes what it receives, and connections of
 * its own (tcp_connect to 198.18.0.2:7000 when bit 1 of an input's last
 * byte is set and none is open; bit 2 aborts it): a TCP segment to port
 * 1 is aimed at that connection (its port; its ISS + 1 added to the ACK
 * field), so that SYN-SENT and the active side are reached. State
 * carries over from one input to the next, and time advances, so
 * connections move through their states and timers fire. Nothing may
 * crash, leak mbufs or send a frame the stack did not build completely.
 * Each frame is first given its owner by software steering's header
 * reader (dp_steer_frame_owner), which must read within the frame and
 * name a worker, the receiver or every worker.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "net.h"
#include "steer.h"
#include "tcp.h"
#include "tcp_private.h"

static struct dp_net *net;
static struct rte_mempool *pool;
static int app_token;
static struct tcp_conn *active;         /* opened by tcp_connect */

static void *
fz_accept(void *ctx, struct tcp_conn *tc)
{
	(void)ctx;
	return tc;
}

static void
fz_recv(void *app, const uint8_t *data, uint32_t len)
{
	/* Echo, and close when asked: exercises output and close. */
	tcp_send(app, data, len);
	if (len > 0 && data[0] == 'Q')
		tcp_close(app);
}

static void
fz_peer_closed(void *app)
{
	tcp_close(app);
}

static void
fz_connected(void *app, struct tcp_conn *tc)
{
	(void)app;
	tcp_send(tc, "PING\r\n", 6);
}

static void
fz_closed(void *app)
{
	if (app == active)
		active = NULL;
	app_token++;
}

static const struct tcp_ops ops = {
	.accept = fz_accept, .connected = fz_connected, .recv = fz_recv,
	.peer_closed = fz_peer_closed, .closed = fz_closed,
};

/*
 * aim_at_active -- a TCP segment to port 1 goes to the active
 * connection instead, acknowledging its ISS + the ACK field.
 */
static void
aim_at_active(struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_data_len(m);
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

	if (active == NULL || len < 34 || p[12] != 0x08 || p[13] != 0x00 ||
	    p[23] != IPPROTO_TCP)
		return;
	uint32_t hlen = (uint32_t)(p[14] & 0x0f) * 4;
	if (hlen < 20 || 14 + hlen + 20 > len)
		return;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(p + 14 + hlen);
	if (th->dst_port != rte_cpu_to_be_16(1))
		return;
	th->dst_port = active->lport;
	th->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(th->recv_ack) +
					active->snd.iss + 1);
}

/* drop_tx -- the "port": check and free every frame. */
static uint16_t
drop_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	(void)ctx;
	for (uint16_t i = 0; i < n; i++) {
		assert(rte_pktmbuf_pkt_len(pkts[i]) >= 14);
		rte_pktmbuf_free(pkts[i]);
	}
	return n;
}

/* teardown -- at exit: release the stack, so leak checks stay exact. */
static void
teardown(void)
{
	tcp_stack_free(net->tcp);
	dp_net_fini(net);
	rte_free(net);
}

static void
setup(void)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=rpfz%d", (int)getpid());
	char *args[] = { "fuzz", "-l", "0", "--no-huge", "-m", "256",
			 "--no-pci", "--no-shconf", "--log-level=*:error",
			 prefix, NULL };
	assert(rte_eal_init(10, args) >= 0);
	pool = rte_pktmbuf_pool_create("fz", 8191, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	assert(pool != NULL);
	net = rte_zmalloc(NULL, sizeof(*net), RTE_CACHE_LINE_SIZE);
	struct rte_ether_addr mac = { { 0x02, 0, 0, 0, 0, 1 } };
	dp_net_init(net, 0, 0, pool, &mac, rte_cpu_to_be_32(0xc6120001),
		    rte_cpu_to_be_32(0xffffff00), 0, 1500,
		    DP_OFF_TX_MULTI_SEGS);
	net->tx_burst = drop_tx;
	struct tcp_params p = { .mss = 1460, .rcv_wnd = 65535,
				.max_conns = 64, .backlog = 16,
				.keepalive_s = 1, .send_queue_max = 1 << 20 };
	net->tcp = tcp_stack_create(net, &p, &ops, NULL);
	assert(net->tcp != NULL);
	tcp_listen(net->tcp, 6379);
	atexit(teardown);
}

/*
 * fix_checksums -- make the IPv4 and TCP/ICMP checksums of a mutated
 * frame right again (for half the inputs), so that mutations of headers,
 * options and payload reach the TCP state machine instead of stopping at
 * a checksum.
 */
static void
fix_checksums(struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_data_len(m);
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

	if (len < 34 || p[12] != 0x08 || p[13] != 0x00)
		return;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + 14);
	uint32_t hlen = (uint32_t)(ip->version_ihl & 0x0f) * 4;
	uint32_t total = rte_be_to_cpu_16(ip->total_length);
	if (hlen < 20 || 14 + hlen > len)
		return;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = (uint16_t)~rte_raw_cksum(ip, hlen);
	if (total < hlen || 14 + total > len)
		return;
	if (ip->next_proto_id == IPPROTO_TCP && total - hlen >= 20) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)((uint8_t *)ip +
								 hlen);
		th->cksum = 0;
		uint32_t sum = rte_raw_cksum(th, total - hlen) +
			       rte_ipv4_phdr_cksum(ip, 0);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		th->cksum = (uint16_t)~sum;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (net == NULL)
		setup();
	if (size > 2000)
		size = 2000;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	assert(m != NULL);
	char *d = rte_pktmbuf_append(m, (uint16_t)size);
	if (size > 0)
		memcpy(d, data, size);
	if (size > 0 && (data[size - 1] & 4) && active != NULL)
		tcp_abort(active);      /* the closed upcall clears it */
	if (size > 0 && (data[size - 1] & 2) && active == NULL) {
		struct tcp_conn *tc;
		if (tcp_connect(net->tcp, rte_cpu_to_be_32(0xc6120002),
				rte_cpu_to_be_16(7000), NULL, &tc) == 0) {
			tcp_conn_set_app(tc, tc);
			active = tc;
		}
	}
	aim_at_active(m);
	if (size > 0 && (data[size - 1] & 1))
		fix_checksums(m);
	/* Time moves 50 ms per input: retransmissions, TIME_WAIT and
	 * keepalive expire within a run. */
	net->now_tsc += net->tsc_hz / 20;
	uint32_t owner = dp_steer_frame_owner(m, 7, 3);
	assert(owner < 3 || owner == 7 || owner == DP_STEER_ALL);
	dp_net_input(net, &m, 1);
	tcp_flush(net->tcp);
	tcp_timer(net->tcp);
	dp_net_timer(net);
	dp_net_tx_flush(net);
	return 0;
}
