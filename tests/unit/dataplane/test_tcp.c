/*
 * test_tcp.c -- the TCP stack (dataplane/tcp*.c) fed synthetic segments:
 * handshake and options, data and ACKs, sending under the peer's window
 * and the congestion window, retransmission on timeout and on duplicate
 * ACKs, out-of-order segments, RST, both closes, RST for closed ports,
 * checksums, many connections.
 */
#include "unit.h"

#include "frames.h"

static struct tcp_stack *ts;
static unsigned accepts, closes, peer_fins;
static char rx[1 << 16];
static size_t rx_len;
static struct tcp_conn *last_tc;

static void *
t_accept(void *ctx, struct tcp_conn *tc)
{
	(void)ctx;
	accepts++;
	last_tc = tc;
	return tc;
}

static void
t_recv(void *app, const uint8_t *data, uint32_t len)
{
	(void)app;
	memcpy(rx + rx_len, data, len);
	rx_len += len;
}

static void
t_peer_closed(void *app)
{
	(void)app;
	peer_fins++;
}

static void
t_closed(void *app)
{
	(void)app;
	closes++;
}

static const struct tcp_ops ops = {
	.accept = t_accept, .recv = t_recv, .peer_closed = t_peer_closed,
	.closed = t_closed,
};

/* input -- deliver a frame, then run the end of a poll iteration. */
static void
input(struct rte_mbuf *m)
{
	dp_net_input(net, &m, 1);
	tcp_flush(ts);
	dp_net_tx_flush(net);
}

/* tick -- advance time by ms and run the timers. */
static void
tick(unsigned ms)
{
	net->now_tsc += (uint64_t)ms * net->tsc_hz / 1000;
	tcp_timer(ts);
	tcp_flush(ts);
	dp_net_tx_flush(net);
}

static const uint8_t syn_opts[] = {
	2, 4, 0x05, 0xb4,             /* MSS 1460 */
	1, 3, 3, 7,                   /* window scale 7 */
	1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0,  /* timestamps */
};

/* handshake -- SYN, SYN-ACK, ACK from port pport; returns our ISS+1. */
static uint32_t
handshake(uint16_t pport)
{
	clear_captured();
	input(tcp_frame(pport, 0x02, 1000, 0, 65535, syn_opts,
			sizeof(syn_opts), NULL, 0));
	assert_int_equal(n_captured, 1);
	struct rte_tcp_hdr *th = cap_tcp(0);
	assert_int_equal(th->tcp_flags, 0x12);
	assert_int_equal(rte_be_to_cpu_32(th->recv_ack), 1001);
	assert_tcp_cksums(0);
	uint32_t iss = rte_be_to_cpu_32(th->sent_seq);
	clear_captured();
	input(tcp_frame(pport, 0x10, 1001, iss + 1, 512, NULL, 0, NULL, 0));
	return iss + 1;
}

static void
test_handshake_options(void **state)
{
	(void)state;
	clear_captured();
	input(tcp_frame(40000, 0x02, 1000, 0, 65535, syn_opts,
			sizeof(syn_opts), NULL, 0));
	struct rte_tcp_hdr *th = cap_tcp(0);
	const uint8_t *o = (const uint8_t *)(th + 1);
	/* MSS first, then window scale, then timestamps echoing 9. */
	assert_int_equal(o[0], 2);
	assert_int_equal(o[2] << 8 | o[3], 1460);
	assert_int_equal(o[5], 3);
	assert_int_equal(o[7], 7);
	assert_int_equal(o[10], 8);
	assert_int_equal(o[19] | o[18] << 8, 9);   /* TSecr */
	assert_int_equal(accepts, 0);
	uint32_t iss = rte_be_to_cpu_32(th->sent_seq);
	input(tcp_frame(40000, 0x10, 1001, iss + 1, 512, NULL, 0, NULL, 0));
	assert_int_equal(accepts, 1);
	assert_int_equal(tcp_conns(ts), 1);
}

static void
test_data_and_ack(void **state)
{
	(void)state;
	uint32_t snd = handshake(40001);
	clear_captured();
	input(tcp_frame(40001, 0x18, 1001, snd, 512, NULL, 0, "hello", 5));
	assert_int_equal(rx_len, 5);
	assert_memory_equal(rx, "hello", 5);
	assert_int_equal(n_captured, 1);    /* the ACK, at the flush */
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->recv_ack), 1006);
	/* A duplicate of the same data is re-ACKed, not delivered. */
	clear_captured();
	input(tcp_frame(40001, 0x18, 1001, snd, 512, NULL, 0, "hello", 5));
	assert_int_equal(rx_len, 5);
	assert_int_equal(n_captured, 1);
}

/* test_reply_piggybacks -- the reply carries the ACK: one segment. */
static void
test_reply_piggybacks(void **state)
{
	(void)state;
	uint32_t snd = handshake(40002);
	clear_captured();
	struct rte_mbuf *m = tcp_frame(40002, 0x18, 1001, snd, 512, NULL, 0,
				       "PING\r\n", 6);
	dp_net_input(net, &m, 1);
	assert_int_equal(tcp_send(last_tc, "+PONG\r\n", 7), 0);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 1);
	assert_int_equal(cap_payload_len(0), 7);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->recv_ack), 1007);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->sent_seq), snd);
	assert_tcp_cksums(0);
	assert_memory_equal((char *)cap_tcp(0) + (cap_tcp(0)->data_off >> 4) * 4,
			    "+PONG\r\n", 7);
}

/*
 * test_checksum_odd_chain -- a segment whose payload continues in the
 * next send-queue mbuf at an odd offset (after a 5-byte reply) carries a
 * correct checksum even when that part's sum overflows 16 bits (0xff
 * bytes): DPDK 22.11's rte_raw_cksum_mbuf got this wrong.
 */
static void
test_checksum_odd_chain(void **state)
{
	static char ff[3000];
	(void)state;
	uint32_t snd = handshake(40010);
	clear_captured();
	assert_int_equal(tcp_send(last_tc, "+OK\r\n", 5), 0);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 1);
	assert_tcp_cksums(0);
	/* Not acknowledged yet: the 0xff bytes go into the same queue mbuf
	 * after the 5 bytes already sent. */
	clear_captured();
	memset(ff, 0xff, sizeof(ff));
	assert_int_equal(tcp_send(last_tc, ff, sizeof(ff)), 0);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_true(n_captured >= 2);
	for (unsigned i = 0; i < n_captured; i++)
		assert_tcp_cksums(i);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->sent_seq), snd + 5);
}

/* test_window_and_cwnd -- 100 KiB goes out in MSS segments within the
 * congestion window, and the rest as ACKs arrive. */
static void
test_window_and_cwnd(void **state)
{
	static char big[100 * 1024];
	(void)state;
	uint32_t snd = handshake(40003);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 251);
	clear_captured();
	assert_int_equal(tcp_send(last_tc, big, sizeof(big)), 0);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	unsigned first = n_captured;
	assert_true(first >= 2 && first <= 10);    /* cwnd: 10 segments */
	uint32_t mss = cap_payload_len(0);
	assert_int_equal(mss, 1460 - 12);          /* MSS minus timestamps */
	uint32_t total = 0, expect = snd;
	unsigned rounds = 0;
	while (total < sizeof(big) && rounds++ < 100) {
		for (unsigned i = 0; i < n_captured; i++) {
			assert_int_equal(rte_be_to_cpu_32(cap_tcp(i)->sent_seq),
					 expect);
			unsigned n = cap_payload_len(i);
			assert_memory_equal((char *)cap_tcp(i) +
					    (cap_tcp(i)->data_off >> 4) * 4,
					    big + total, n);
			assert_tcp_cksums(i);
			expect += n;
			total += n;
		}
		clear_captured();
		input(tcp_frame(40003, 0x10, 1001, expect, 65535, NULL, 0,
				NULL, 0));
	}
	assert_int_equal(total, sizeof(big));
	assert_int_equal(tcp_conn_unsent(last_tc), 0);
}

static void
test_peer_window_respected(void **state)
{
	static char buf[8000];
	(void)state;
	uint32_t snd = handshake(40004);
	/* The peer's window: 2 (scaled by 7) = 256 bytes. */
	input(tcp_frame(40004, 0x10, 1001, snd, 2, NULL, 0, NULL, 0));
	clear_captured();
	assert_int_equal(tcp_send(last_tc, buf, sizeof(buf)), 0);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 1);
	assert_int_equal(cap_payload_len(0), 256);
}

static void
test_retransmit_on_timeout(void **state)
{
	(void)state;
	uint32_t snd = handshake(40005);
	clear_captured();
	tcp_send(last_tc, "abc", 3);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 1);
	clear_captured();
	tick(100);
	assert_int_equal(n_captured, 0);   /* not yet: RTO is 1 s */
	tick(1000);
	assert_int_equal(n_captured, 1);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->sent_seq), snd);
	assert_int_equal(cap_payload_len(0), 3);
	assert_int_equal(tcp_counters(ts)[TCP_retransmits], 1);
	/* Backoff: the next one only after twice as long. */
	clear_captured();
	tick(1500);
	assert_int_equal(n_captured, 0);
	tick(600);
	assert_int_equal(n_captured, 1);
}

/*
 * test_ack_after_rewind -- a retransmission timeout rewinds to SND.UNA;
 * the ACK for the original segments then arrives (they were only
 * late): the next data must go out at the right sequence number with
 * the right bytes.
 */
static void
test_ack_after_rewind(void **state)
{
	static char buf[3 * 1448];
	(void)state;
	uint32_t snd = handshake(40013);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)('a' + i % 26);
	clear_captured();
	tcp_send(last_tc, buf, sizeof(buf));
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 3);
	clear_captured();
	tick(1100);                      /* RTO: first segment again */
	assert_int_equal(n_captured, 1);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->sent_seq), snd);
	clear_captured();
	/* The late ACK covers all three segments. */
	input(tcp_frame(40013, 0x10, 1001, snd + 3 * 1448, 65535, NULL, 0,
			NULL, 0));
	for (unsigned i = 0; i < n_captured; i++) {
		uint32_t seq = rte_be_to_cpu_32(cap_tcp(i)->sent_seq);
		unsigned n = cap_payload_len(i);
		assert_true(seq >= snd + 3 * 1448);
		assert_memory_equal((char *)cap_tcp(i) +
				    (cap_tcp(i)->data_off >> 4) * 4,
				    buf + (seq - snd), n);
	}
	clear_captured();
	tcp_send(last_tc, "NEW", 3);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	/* Whatever is sent now carries the bytes of its sequence number. */
	for (unsigned i = 0; i < n_captured; i++) {
		uint32_t seq = rte_be_to_cpu_32(cap_tcp(i)->sent_seq);
		unsigned n = cap_payload_len(i);
		const char *p = (char *)cap_tcp(i) +
				(cap_tcp(i)->data_off >> 4) * 4;
		for (unsigned k = 0; k < n; k++) {
			uint32_t off = seq - snd + k;
			char want = off < sizeof(buf) ? buf[off] :
				    "NEW"[off - sizeof(buf)];
			assert_int_equal(p[k], want);
		}
	}
}

static void
test_fast_retransmit(void **state)
{
	static char buf[4 * 1448];
	(void)state;
	uint32_t snd = handshake(40006);
	clear_captured();
	tcp_send(last_tc, buf, sizeof(buf));
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 4);
	clear_captured();
	/* The first segment was lost: three duplicate ACKs. */
	for (int i = 0; i < 3; i++)
		input(tcp_frame(40006, 0x10, 1001, snd, 65535, NULL, 0, NULL, 0));
	/* One window update and two duplicates: fast retransmit on the
	 * third duplicate of an unchanged window. */
	input(tcp_frame(40006, 0x10, 1001, snd, 65535, NULL, 0, NULL, 0));
	assert_true(n_captured >= 1);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->sent_seq), snd);
	assert_true(tcp_counters(ts)[TCP_dup_acks] >= 3);
}

static void
test_out_of_order_dup_ack(void **state)
{
	(void)state;
	uint32_t snd = handshake(40007);
	clear_captured();
	input(tcp_frame(40007, 0x18, 1011, snd, 512, NULL, 0, "later", 5));
	assert_int_equal(rx_len, 0);
	assert_int_equal(n_captured, 1);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->recv_ack), 1001);
	assert_int_equal(tcp_counters(ts)[TCP_ooo_segments], 1);
}

static void
test_rst_closes(void **state)
{
	(void)state;
	uint32_t snd = handshake(40008);
	/* Out of window: a challenge ACK, nothing closes. */
	input(tcp_frame(40008, 0x04, 1500, snd, 0, NULL, 0, NULL, 0));
	assert_int_equal(closes, 0);
	input(tcp_frame(40008, 0x04, 1001, snd, 0, NULL, 0, NULL, 0));
	assert_int_equal(closes, 1);
	assert_int_equal(tcp_conns(ts), 0);
}

static void
test_passive_close(void **state)
{
	(void)state;
	uint32_t snd = handshake(40009);
	clear_captured();
	input(tcp_frame(40009, 0x11, 1001, snd, 512, NULL, 0, NULL, 0));
	assert_int_equal(peer_fins, 1);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->recv_ack), 1002);
	clear_captured();
	tcp_close(last_tc);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 1);
	assert_true(cap_tcp(0)->tcp_flags & 0x01);   /* our FIN */
	input(tcp_frame(40009, 0x10, 1002, snd + 1, 512, NULL, 0, NULL, 0));
	assert_int_equal(closes, 1);
	assert_int_equal(tcp_conns(ts), 0);
}

static void
test_active_close_time_wait(void **state)
{
	(void)state;
	uint32_t snd = handshake(40010);
	clear_captured();
	tcp_send(last_tc, "bye", 3);
	tcp_close(last_tc);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	/* Data and FIN in one segment. */
	assert_int_equal(n_captured, 1);
	assert_int_equal(cap_tcp(0)->tcp_flags & 0x01, 0x01);
	input(tcp_frame(40010, 0x10, 1001, snd + 4, 512, NULL, 0, NULL, 0));
	clear_captured();
	input(tcp_frame(40010, 0x11, 1001, snd + 4, 512, NULL, 0, NULL, 0));
	assert_int_equal(n_captured, 1);   /* ACK of the peer's FIN */
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->recv_ack), 1002);
	assert_int_equal(tcp_conns(ts), 1);   /* TIME_WAIT */
	tick(2100);
	assert_int_equal(tcp_conns(ts), 0);
	assert_int_equal(closes, 1);
}

static void
test_closed_port_rst(void **state)
{
	(void)state;
	clear_captured();
	struct rte_mbuf *m = tcp_frame(40011, 0x02, 5000, 0, 512, NULL, 0,
				       NULL, 0);
	/* Aim it at port 6380, nobody listens there. */
	struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m,
		struct rte_tcp_hdr *, 34);
	th->dst_port = rte_cpu_to_be_16(6380);
	th->cksum = 0;
	th->cksum = rte_ipv4_udptcp_cksum(
		rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14), th);
	input(m);
	assert_int_equal(n_captured, 1);
	assert_int_equal(cap_tcp(0)->tcp_flags, 0x14);   /* RST+ACK */
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->recv_ack), 5001);
	assert_tcp_cksums(0);
}

static void
test_unlisten(void **state)
{
	(void)state;
	assert_int_equal(tcp_unlisten(ts, 6380), -ENOENT);
	assert_int_equal(tcp_listen(ts, 6380), 0);
	clear_captured();
	input(tcp_frame(40012, 0x02, 9000, 0, 512, NULL, 0, NULL, 0));
	assert_int_equal(n_captured, 1);
	assert_int_equal(cap_tcp(0)->tcp_flags, 0x12);   /* SYN+ACK on 6379 */

	/* A server that stops listening answers new SYNs with RST; the
	 * connection already open keeps working. */
	assert_int_equal(tcp_unlisten(ts, 6379), 0);
	assert_int_equal(tcp_unlisten(ts, 6379), -ENOENT);
	clear_captured();
	input(tcp_frame(40013, 0x02, 7000, 0, 512, NULL, 0, NULL, 0));
	assert_int_equal(n_captured, 1);
	assert_int_equal(cap_tcp(0)->tcp_flags, 0x14);   /* RST+ACK */
	assert_int_equal(tcp_conns(ts), 1);
	assert_int_equal(tcp_unlisten(ts, 6380), 0);
}

static void
test_bad_checksum(void **state)
{
	(void)state;
	struct rte_mbuf *m = tcp_frame(40012, 0x02, 1, 0, 512, NULL, 0, NULL, 0);
	struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m,
		struct rte_tcp_hdr *, 34);
	th->cksum ^= 0x0101;
	clear_captured();
	input(m);
	assert_int_equal(n_captured, 0);
	assert_int_equal(tcp_counters(ts)[TCP_bad_checksums], 1);
}

static void
test_many_connections(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 1000; i++)
		handshake((uint16_t)(20000 + i));
	assert_int_equal(accepts, 1000);
	assert_int_equal(tcp_conns(ts), 1000);
}

/*
 * test_syn_cookies -- with the SYN backlog full, a SYN gets a SYN-ACK
 * with only the MSS option and no state is kept; the ACK that completes
 * it creates the connection, its data reaches the application; a forged
 * or stale ACK does not.
 */
static void
test_syn_cookies(void **state)
{
	(void)state;
	/* 128 half-open connections fill the backlog. */
	for (unsigned i = 0; i < 128; i++)
		input(tcp_frame((uint16_t)(30000 + i), 0x02, 500, 0, 512, NULL,
				0, NULL, 0));
	assert_int_equal(tcp_conns(ts), 128);
	clear_captured();
	input(tcp_frame(31000, 0x02, 7000, 0, 65535, syn_opts,
			sizeof(syn_opts), NULL, 0));
	assert_int_equal(n_captured, 1);
	struct rte_tcp_hdr *th = cap_tcp(0);
	assert_int_equal(th->tcp_flags, 0x12);
	assert_int_equal(rte_be_to_cpu_32(th->recv_ack), 7001);
	assert_int_equal(th->data_off >> 4, 6);     /* MSS option only */
	const uint8_t *opt = (const uint8_t *)(th + 1);
	assert_int_equal(opt[0], 2);
	assert_int_equal(opt[2] << 8 | opt[3], 1460);
	assert_tcp_cksums(0);
	assert_int_equal(tcp_conns(ts), 128);       /* nothing kept */
	assert_int_equal(tcp_counters(ts)[TCP_syncookies_sent], 1);
	uint32_t cookie = rte_be_to_cpu_32(th->sent_seq);

	/* A forged ACK (wrong cookie) is refused with a RST. */
	clear_captured();
	input(tcp_frame(31000, 0x10, 7001, cookie + 2, 512, NULL, 0, NULL, 0));
	assert_int_equal(tcp_counters(ts)[TCP_syncookies_failed], 1);
	assert_int_equal(cap_tcp(0)->tcp_flags, 0x04);
	assert_int_equal(accepts, 0);
	/* The right one establishes the connection, with its data. */
	clear_captured();
	input(tcp_frame(31000, 0x18, 7001, cookie + 1, 512, NULL, 0,
			"PING\r\n", 6));
	assert_int_equal(tcp_counters(ts)[TCP_syncookies_ok], 1);
	assert_int_equal(accepts, 1);
	assert_int_equal(rx_len, 6);
	assert_memory_equal(rx, "PING\r\n", 6);
	assert_int_equal(tcp_conns(ts), 129);
	/* It sends and is acknowledged like any other. */
	clear_captured();
	assert_int_equal(tcp_send(last_tc, "+PONG\r\n", 7), 0);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 1);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->sent_seq), cookie + 1);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->recv_ack), 7007);
	assert_int_equal(cap_tcp(0)->data_off >> 4, 5);  /* no timestamps */
	assert_tcp_cksums(0);

	/* A cookie from two clocks ago (128 s later) is stale. */
	input(tcp_frame(31001, 0x02, 9000, 0, 65535, NULL, 0, NULL, 0));
	net->now_tsc += 130 * net->tsc_hz;
	clear_captured();
	input(tcp_frame(31001, 0x10, 9001, 12345, 512, NULL, 0, NULL, 0));
	assert_int_equal(tcp_counters(ts)[TCP_syncookies_failed], 2);
	assert_int_equal(accepts, 1);
}

/* test_rfc5961_ack -- an ACK for data never sent is answered with a
 * challenge ACK and changes nothing. */
static void
test_rfc5961_ack(void **state)
{
	(void)state;
	uint32_t snd = handshake(40020);
	assert_int_equal(tcp_send(last_tc, "hello", 5), 0);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	clear_captured();
	input(tcp_frame(40020, 0x10, 1001, snd + 100000, 512, NULL, 0, NULL,
			0));
	assert_int_equal(tcp_counters(ts)[TCP_challenge_acks], 1);
	assert_int_equal(n_captured, 1);
	assert_int_equal(cap_tcp(0)->tcp_flags, 0x10);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->sent_seq), snd + 5);
	/* The data is still unacknowledged: the real ACK clears it. */
	assert_int_equal(tcp_conn_unsent(last_tc), 5);
	input(tcp_frame(40020, 0x10, 1001, snd + 5, 512, NULL, 0, NULL, 0));
	assert_int_equal(tcp_conn_unsent(last_tc), 0);
	assert_int_equal(tcp_counters(ts)[TCP_challenge_acks], 1);
	/* An SYN in ESTABLISHED: challenge ACK too. */
	clear_captured();
	input(tcp_frame(40020, 0x02, 5000, 0, 512, NULL, 0, NULL, 0));
	assert_int_equal(tcp_counters(ts)[TCP_challenge_acks], 2);
	assert_int_equal(cap_tcp(0)->tcp_flags, 0x10);
}

static int
setup(void **state)
{
	(void)state;
	net = bench_net(DP_OFF_TX_MULTI_SEGS);
	struct tcp_params p = { .mss = 1460, .rcv_wnd = 256 * 1024,
				.max_conns = 2000, .backlog = 128,
				.keepalive_s = 0, .send_queue_max = 1 << 24 };
	ts = net->tcp = tcp_stack_create(net, &p, &ops, NULL);
	assert_non_null(ts);
	tcp_listen(ts, 6379);
	accepts = closes = peer_fins = 0;
	rx_len = 0;
	learn_peer();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tcp_stack_free(ts);
	dp_net_tx_flush(net);
	return bench_teardown(state);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
static const struct CMUnitTest tests[] = {
	T(test_handshake_options),
	T(test_unlisten),
	T(test_checksum_odd_chain),
	T(test_data_and_ack),
	T(test_reply_piggybacks),
	T(test_window_and_cwnd),
	T(test_peer_window_respected),
	T(test_retransmit_on_timeout),
	T(test_ack_after_rewind),
	T(test_fast_retransmit),
	T(test_out_of_order_dup_ack),
	T(test_rst_closes),
	T(test_passive_close),
	T(test_active_close_time_wait),
	T(test_closed_port_rst),
	T(test_bad_checksum),
	T(test_many_connections),
	T(test_syn_cookies),
	T(test_rfc5961_ack),
};

RP_TEST_MAIN(tests, 1)
