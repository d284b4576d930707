/*
 * bench_udp.c -- redpoll-bench's UDP transport: one request per
 * datagram behind the frame header of dataplane/udp_frame.h, replies
 * matched by request id.
 *
 * Client i sends from UDP port --src-port + i, so a server with several
 * workers spreads the clients over its queues. Received frames go
 * through dp_net_input (Ethernet, ARP, IPv4 checks), which hands UDP
 * datagrams to udp_datagram.
 *
 * mbuf ownership: udp_send builds and hands its mbuf to
 * dp_ipv4_output; udp_input consumes every mbuf of the burst.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "bench_reply.h"
#include "bench_run.h"
#include "udp_frame.h"

/* udp_send -- build one request datagram of client c and queue it. */
static int
udp_send(struct bench_run *r, struct bench_client *c,
	 const struct bench_slot *s, const struct bench_cmd *cmd,
	 const struct bench_req *req)
{
	struct dp_net *net = &r->net;
	struct rte_mbuf *m = rte_pktmbuf_alloc(net->pool);
	const size_t hdr = sizeof(struct rte_udp_hdr) + DP_UDP_FRAME_LEN;

	if (m == NULL)
		return -ENOBUFS;
	size_t room = (size_t)net->mtu - sizeof(struct rte_ipv4_hdr) - hdr;
	if (room > rte_pktmbuf_tailroom(m) - hdr)
		room = rte_pktmbuf_tailroom(m) - hdr;
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	int len = bench_cmd_encode(cmd, req, (char *)p + hdr, room);
	if (len < 0) {
		rte_pktmbuf_free(m);
		return len;
	}
	uint16_t dlen = (uint16_t)(hdr + (size_t)len);
	rte_pktmbuf_append(m, dlen);

	struct dp_udp_frame f = { .id = s->id, .seq = 0, .count = 1 };
	dp_udp_frame_encode(&f, p + sizeof(struct rte_udp_hdr));

	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)p;
	uh->src_port = rte_cpu_to_be_16(c->sport);
	uh->dst_port = rte_cpu_to_be_16(r->o->port);
	uh->dgram_len = rte_cpu_to_be_16(dlen);
	dp_udp_cksum(net, m, uh, r->o->host);
	dp_ipv4_output(net, m, r->o->host, IPPROTO_UDP);
	return 0;
}

/*
 * udp_reply -- a datagram to client port dport: match it and judge the
 * reply. Does not consume m.
 */
static void
udp_reply(struct bench_run *r, uint16_t dport, const uint8_t *p, size_t len)
{
	struct dp_udp_frame f;
	struct bench_reply_top top;
	size_t used = 0;

	if (!dp_udp_frame_decode(p, len, &f) || !(f.flags & DP_UDP_F_REPLY)) {
		bench_run_count(r, BENCH_C_rx_dropped);
		return;
	}
	struct bench_slot *s = bench_run_slot(r, f.id);
	if (s == NULL || r->clients[s->client].sport != dport) {
		bench_run_count(r, BENCH_C_unmatched);
		return;
	}
	if (f.flags & DP_UDP_F_TOOBIG) {
		bench_run_complete(r, s, BENCH_TOOBIG);
		return;
	}
	const char *body = (const char *)p + DP_UDP_FRAME_LEN;
	size_t blen = len - DP_UDP_FRAME_LEN;
	enum bench_reply_status st = bench_reply_check(body, blen, &used,
						       &top);
	bench_run_reply(r, s, st, used == blen, body, &top);
}

/*
 * udp_datagram -- net->udp_input: a datagram for our address that
 * dp_net validated up to IPv4 (data at the IPv4 header, hlen bytes,
 * trimmed to the IP packet). Replies to our client ports are matched;
 * anything else is counted by dp_net's counters. Consumes m.
 */
static void
udp_datagram(void *ctx, struct rte_mbuf *m, uint32_t hlen, bool l4_good)
{
	struct bench_run *r = ctx;
	struct dp_net *net = &r->net;
	const struct rte_ipv4_hdr *ip =
		rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t len = rte_pktmbuf_data_len(m) - hlen;
	const struct rte_udp_hdr *uh =
		(const struct rte_udp_hdr *)((const uint8_t *)ip + hlen);

	if (len < sizeof(*uh)) {
		DP_COUNT(net, drop_short);
		goto out;
	}
	uint16_t dport = rte_be_to_cpu_16(uh->dst_port);
	if (dport < r->o->src_port ||
	    (unsigned)(dport - r->o->src_port) >= r->o->clients) {
		DP_COUNT(net, udp_no_port);
		goto out;
	}
	if (rte_be_to_cpu_16(uh->dgram_len) != len) {
		DP_COUNT(net, udp_bad_frames);
		bench_run_count(r, BENCH_C_rx_dropped);
		goto out;
	}
	if (!l4_good && uh->dgram_cksum != 0 && !dp_udp_cksum_ok(ip, uh, len)) {
		DP_COUNT(net, udp_bad_cksum);
		bench_run_count(r, BENCH_C_rx_dropped);
		goto out;
	}
	udp_reply(r, dport, (const uint8_t *)(uh + 1), len - sizeof(*uh));
out:
	rte_pktmbuf_free(m);
}

/* udp_attach -- receive r->net's UDP datagrams. */
static int
udp_attach(struct bench_run *r)
{
	r->net.udp_input = udp_datagram;
	r->net.udp_ctx = r;
	return 0;
}

/* udp_input -- a received burst, through dp_net (ARP, IPv4) to us. */
static void
udp_input(struct bench_run *r, struct rte_mbuf **pkts, uint16_t n)
{
	dp_net_input(&r->net, pkts, n);
}

const struct bench_tp bench_udp_transport = {
	.name = "udp",
	.attach = udp_attach,
	.send = udp_send,
	.input = udp_input,
};
