/*
 * test_tcp.c -- the TCP stack (dataplane/tcp*.c) fed synthetic segments:
 * handshake and options, data and ACKs, sending under the peer's window
 * and the congestion window, retransmission on timeout and on duplicate
 * ACKs, out-of-order segments, RST, both closes, RST for closed ports,
 * checksums, many connections; the out-of-order queue (gaps filled in
 * every order, overlaps, duplicates, sequence wrap-around, the memory
 * bounds, a FIN past a gap) and SACK (negotiation, block order, sizes);
 * the active open (tcp_connect: SYN options, SYN-ACK, bad ACKs and RSTs
 * in SYN-SENT, SYN retransmission and give-up, simultaneous open, both
 * closes, source ports under RSS); sender-side SACK (the scoreboard,
 * which holes are resent in recovery, new data, RTO).
 */
#include <errno.h>
#include <stdarg.h>

#include "unit.h"

#include <rte_thash.h>

#include "frames.h"
#include "steer.h"
#include "tcp_private.h"

static struct tcp_stack *ts;
static unsigned accepts, closes, peer_fins, connects;
static void *connected_app, *closed_app;
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
t_connected(void *app, struct tcp_conn *tc)
{
	connects++;
	connected_app = app;
	last_tc = tc;
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
	closed_app = app;
	closes++;
}

static const struct tcp_ops ops = {
	.accept = t_accept, .connected = t_connected, .recv = t_recv,
	.peer_closed = t_peer_closed, .closed = t_closed,
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

/* SYN options offering SACK as well (Linux's order). */
static const uint8_t syn_opts_sack[] = {
	2, 4, 0x05, 0xb4,
	4, 2, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0,  /* SACK-permitted, TS */
	1, 3, 3, 7,
};

/* ... and without timestamps. */
static const uint8_t syn_opts_sack_nots[] = {
	2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7,
};

/*
 * handshake_isn -- SYN (initial sequence irs, options opts), SYN-ACK,
 * ACK from port pport; returns our ISS+1.
 */
static uint32_t
handshake_isn(uint16_t pport, uint32_t irs, const uint8_t *opts,
	      size_t olen)
{
	clear_captured();
	input(tcp_frame(pport, 0x02, irs, 0, 65535, opts, olen, NULL, 0));
	assert_int_equal(n_captured, 1);
	struct rte_tcp_hdr *th = cap_tcp(0);
	assert_int_equal(th->tcp_flags, 0x12);
	assert_int_equal(rte_be_to_cpu_32(th->recv_ack), irs + 1);
	assert_tcp_cksums(0);
	uint32_t iss = rte_be_to_cpu_32(th->sent_seq);
	clear_captured();
	input(tcp_frame(pport, 0x10, irs + 1, iss + 1, 512, NULL, 0, NULL,
			0));
	return iss + 1;
}

/* handshake -- handshake_isn with ISN 1000 and syn_opts. */
static uint32_t
handshake(uint16_t pport)
{
	return handshake_isn(pport, 1000, syn_opts, sizeof(syn_opts));
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

/* Bytes of the peer's stream: the byte at sequence s. */
static uint8_t
stream_byte(uint32_t s)
{
	return (uint8_t)('a' + (s * 7u + (s >> 8)) % 26);
}

/*
 * seg -- a data segment of the peer's stream [from, to) on port pport
 * (ACK of snd); returns the ACK number of the one frame answering it.
 */
static uint32_t
seg(uint16_t pport, uint32_t snd, uint32_t from, uint32_t to)
{
	uint8_t d[1500];
	for (uint32_t s = from; s != to; s++)
		d[s - from] = stream_byte(s);
	clear_captured();
	input(tcp_frame(pport, 0x18, from, snd, 512, NULL, 0, d, to - from));
	assert_int_equal(n_captured, 1);   /* one ACK per arrival */
	assert_int_equal(cap_payload_len(0), 0);
	return rte_be_to_cpu_32(cap_tcp(0)->recv_ack);
}

/* assert_stream -- rx holds the peer's stream from first, len bytes. */
static void
assert_stream(uint32_t first, size_t len)
{
	assert_int_equal(rx_len, len);
	for (size_t i = 0; i < len; i++)
		assert_int_equal((uint8_t)rx[i], stream_byte(first + (uint32_t)i));
}

/* test_ooo_every_order -- three segments in each of the six orders. */
static void
test_ooo_every_order(void **state)
{
	static const int orders[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
		{ 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	(void)state;
	for (int o = 0; o < 6; o++) {
		uint16_t port = (uint16_t)(41000 + o);
		uint32_t snd = handshake(port);
		uint32_t nxt = 1001;
		bool have[3] = { false, false, false };
		rx_len = 0;
		for (int k = 0; k < 3; k++) {
			int i = orders[o][k];
			uint32_t ack = seg(port, snd, 1001 + 100 * i,
					   1001 + 100 * (i + 1));
			have[i] = true;
			while (nxt < 1301 && have[(nxt - 1001) / 100])
				nxt += 100;
			/* A duplicate ACK for a gap, the new edge once filled. */
			assert_int_equal(ack, nxt);
		}
		assert_stream(1001, 300);
	}
	assert_int_equal(tcp_counters(ts)[TCP_ooo_segments], 7);
}

/* test_ooo_overlaps -- overlapping and duplicate segments: exact bytes. */
static void
test_ooo_overlaps(void **state)
{
	(void)state;
	uint32_t snd = handshake(41010);
	assert_int_equal(seg(41010, snd, 1101, 1201), 1001);
	assert_int_equal(seg(41010, snd, 1301, 1401), 1001);
	/* Covers the gap between them and overlaps both. */
	assert_int_equal(seg(41010, snd, 1150, 1350), 1001);
	/* Wholly inside what is queued: a duplicate. */
	assert_int_equal(seg(41010, snd, 1120, 1390), 1001);
	assert_int_equal(tcp_counters(ts)[TCP_ooo_duplicates], 1);
	/* Covers every queued segment, and more. */
	assert_int_equal(seg(41010, snd, 1050, 1450), 1001);
	assert_int_equal(rx_len, 0);
	/* The gap fills with a segment overlapping the queue's start. */
	assert_int_equal(seg(41010, snd, 1001, 1060), 1450);
	assert_stream(1001, 449);
	assert_int_equal(tcp_counters(ts)[TCP_ooo_filled], 1);
	/* An old duplicate: re-ACKed, nothing delivered. */
	assert_int_equal(seg(41010, snd, 1101, 1201), 1450);
	assert_int_equal(rx_len, 449);
}

/* test_ooo_wrap -- the sequence space wraps inside the queue. */
static void
test_ooo_wrap(void **state)
{
	(void)state;
	uint32_t irs = 0xffffff00u;
	uint32_t snd = handshake_isn(41020, irs, syn_opts, sizeof(syn_opts));
	uint32_t a = irs + 1;              /* 0xffffff01 */
	assert_int_equal(seg(41020, snd, a + 300, a + 400), a);
	assert_int_equal(seg(41020, snd, a + 200, a + 300), a);   /* wraps */
	assert_int_equal(seg(41020, snd, a + 100, a + 250), a);
	assert_int_equal(seg(41020, snd, a, a + 100), a + 400);
	assert_stream(a, 400);
	assert_true(a + 400 < a);          /* it did wrap */
}

/* test_ooo_fin -- a FIN past a gap is taken when the gap fills. */
static void
test_ooo_fin(void **state)
{
	uint8_t d[100];
	(void)state;
	uint32_t snd = handshake(41030);
	for (int i = 0; i < 100; i++)
		d[i] = stream_byte((uint32_t)(1101 + i));
	clear_captured();
	input(tcp_frame(41030, 0x19, 1101, snd, 512, NULL, 0, d, 100));
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->recv_ack), 1001);
	assert_int_equal(peer_fins, 0);
	assert_int_equal(seg(41030, snd, 1001, 1101), 1202);   /* FIN counted */
	assert_int_equal(peer_fins, 1);
	assert_stream(1001, 200);
}

/* restack -- a new stack with out-of-order bounds (buffer bytes). */
static void
restack(uint32_t conn_max, uint32_t total_max)
{
	tcp_stack_free(ts);
	struct tcp_params p = { .mss = 1460, .rcv_wnd = 256 * 1024,
				.max_conns = 16, .backlog = 16,
				.send_queue_max = 1 << 24,
				.ooo_conn_max = conn_max,
				.ooo_max = total_max };
	ts = net->tcp = tcp_stack_create(net, &p, &ops, NULL);
	assert_non_null(ts);
	tcp_listen(ts, 6379);
}

/* test_ooo_bound -- beyond the bounds the newest segment is dropped. */
static void
test_ooo_bound(void **state)
{
	(void)state;
	unsigned avail = rte_mempool_avail_count(tb_pool);
	uint32_t b = RTE_MBUF_DEFAULT_BUF_SIZE;
	restack(3 * b, 3 * b);
	uint32_t snd = handshake(41040);
	/* Five separate segments: three fit in the connection's bound. */
	for (uint32_t i = 1; i <= 5; i++)
		assert_int_equal(seg(41040, snd, 1001 + 200 * i,
				     1101 + 200 * i), 1001);
	assert_int_equal(tcp_counters(ts)[TCP_ooo_dropped], 2);
	/* Filling the first gap delivers up to the next hole. */
	assert_int_equal(seg(41040, snd, 1001, 1201), 1301);
	assert_int_equal(seg(41040, snd, 1301, 1401), 1501);
	assert_stream(1001, 500);

	/* The stack's bound: one queued there, two more fit here. */
	uint32_t snd2 = handshake(41041);
	assert_int_equal(seg(41041, snd2, 1101, 1201), 1001);
	assert_int_equal(seg(41041, snd2, 1301, 1401), 1001);
	assert_int_equal(seg(41041, snd2, 1501, 1601), 1001);
	assert_int_equal(tcp_counters(ts)[TCP_ooo_dropped], 3);
	/* A connection reset returns its mbufs to the stack. */
	input(tcp_frame(41040, 0x14, 1501, snd, 0, NULL, 0, NULL, 0));
	assert_int_equal(tcp_conns(ts), 1);
	assert_int_equal(seg(41041, snd2, 1501, 1601), 1001);
	assert_int_equal(tcp_counters(ts)[TCP_ooo_dropped], 3);
	assert_int_equal(seg(41041, snd2, 1001, 1101), 1201);
	restack(0, 0);   /* frees what remains */
	clear_captured();
	assert_int_equal(rte_mempool_avail_count(tb_pool), avail);
}

/* sack_of -- the SACK blocks of captured frame i; returns their count. */
static unsigned
sack_of(unsigned i, uint32_t blk[][2])
{
	struct rte_tcp_hdr *th = cap_tcp(i);
	const uint8_t *o = (const uint8_t *)(th + 1);
	unsigned len = (th->data_off >> 4) * 4u - 20;
	for (unsigned k = 0; k < len;) {
		if (o[k] == 1) {
			k++;
			continue;
		}
		if (o[k] == 5) {
			unsigned n = (o[k + 1] - 2u) / 8;
			for (unsigned j = 0; j < n; j++) {
				blk[j][0] = (uint32_t)o[k + 2 + 8 * j] << 24 |
					    o[k + 3 + 8 * j] << 16 |
					    o[k + 4 + 8 * j] << 8 |
					    o[k + 5 + 8 * j];
				blk[j][1] = (uint32_t)o[k + 6 + 8 * j] << 24 |
					    o[k + 7 + 8 * j] << 16 |
					    o[k + 8 + 8 * j] << 8 |
					    o[k + 9 + 8 * j];
			}
			return n;
		}
		if (o[k] == 0)
			break;
		k += o[k + 1];
	}
	return 0;
}

/* test_sack_permitted -- offered in the SYN-ACK only if the peer did. */
static void
test_sack_permitted(void **state)
{
	(void)state;
	clear_captured();
	input(tcp_frame(41050, 0x02, 1000, 0, 65535, syn_opts_sack,
			sizeof(syn_opts_sack), NULL, 0));
	struct rte_tcp_hdr *th = cap_tcp(0);
	const uint8_t *o = (const uint8_t *)(th + 1);
	/* MSS, NOP WS, NOP NOP SACK-permitted, NOP NOP TS: 24 bytes. */
	assert_int_equal(th->data_off >> 4, (20 + 24) / 4);
	static const uint8_t want[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7,
					1, 1, 4, 2, 1, 1, 8, 10 };
	assert_memory_equal(o, want, sizeof(want));
	clear_captured();
	/* Without the offer: no SACK-permitted (20 bytes of options). */
	input(tcp_frame(41051, 0x02, 1000, 0, 65535, syn_opts,
			sizeof(syn_opts), NULL, 0));
	th = cap_tcp(0);
	assert_int_equal(th->data_off >> 4, (20 + 20) / 4);
	o = (const uint8_t *)(th + 1);
	for (unsigned k = 0; k + 1 < 20; k++)
		assert_false(o[k] == 4 && o[k + 1] == 2);
	/* Nor SACK blocks later. */
	uint32_t iss = rte_be_to_cpu_32(th->sent_seq);
	input(tcp_frame(41051, 0x10, 1001, iss + 1, 512, NULL, 0, NULL, 0));
	uint32_t blk[4][2];
	assert_int_equal(seg(41051, iss + 1, 1101, 1201), 1001);
	assert_int_equal(sack_of(0, blk), 0);
}

/* test_sack_blocks -- the latest block first; as many as fit. */
static void
test_sack_blocks(void **state)
{
	uint32_t blk[4][2];
	(void)state;
	uint32_t snd = handshake_isn(41060, 1000, syn_opts_sack,
				     sizeof(syn_opts_sack));
	assert_int_equal(seg(41060, snd, 1201, 1301), 1001);
	assert_int_equal(sack_of(0, blk), 1);
	assert_int_equal(blk[0][0], 1201);
	assert_int_equal(blk[0][1], 1301);
	/* Option bytes: NOP NOP TS, then NOP NOP SACK(10). */
	const uint8_t *o = (const uint8_t *)(cap_tcp(0) + 1);
	assert_int_equal(cap_tcp(0)->data_off >> 4, (20 + 12 + 12) / 4);
	static const uint8_t head[] = { 1, 1, 8, 10 };
	assert_memory_equal(o, head, 4);
	static const uint8_t sack[] = { 1, 1, 5, 10, 0, 0, 0x04, 0xb1,
					0, 0, 0x05, 0x15 };
	assert_memory_equal(o + 12, sack, sizeof(sack));

	assert_int_equal(seg(41060, snd, 1501, 1601), 1001);
	assert_int_equal(sack_of(0, blk), 2);
	assert_int_equal(blk[0][0], 1501);
	assert_int_equal(blk[1][0], 1201);
	assert_int_equal(seg(41060, snd, 1401, 1451), 1001);
	assert_int_equal(seg(41060, snd, 1701, 1801), 1001);
	/* Four blocks queued; with timestamps three fit, newest first. */
	assert_int_equal(sack_of(0, blk), 3);
	assert_int_equal(blk[0][0], 1701);
	assert_int_equal(blk[1][0], 1401);
	assert_int_equal(blk[2][0], 1501);
	/* A segment joining two blocks: one block, reported first. */
	assert_int_equal(seg(41060, snd, 1451, 1501), 1001);
	assert_int_equal(sack_of(0, blk), 3);
	assert_int_equal(blk[0][0], 1401);
	assert_int_equal(blk[0][1], 1601);
	assert_int_equal(blk[1][0], 1701);
	assert_int_equal(blk[2][0], 1201);
	/* The first gap fills: the blocks below RCV.NXT go. */
	assert_int_equal(seg(41060, snd, 1001, 1201), 1301);
	assert_int_equal(sack_of(0, blk), 2);
	assert_int_equal(blk[0][0], 1401);
	assert_int_equal(blk[1][0], 1701);
	/* The reply to a request carries SACK when there is room. */
	clear_captured();
	tcp_send(last_tc, "+OK\r\n", 5);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 1);
	assert_int_equal(cap_payload_len(0), 5);
	assert_int_equal(sack_of(0, blk), 2);
	/* A full-sized segment leaves no room: no SACK in it. */
	static char big[1448];
	clear_captured();
	tcp_send(last_tc, big, sizeof(big));
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 1);
	assert_int_equal(cap_payload_len(0), 1448);
	assert_int_equal(sack_of(0, blk), 0);
	assert_int_equal(rte_be_to_cpu_16(cap_ip(0)->total_length), 1500);
}

/* test_sack_no_timestamps -- without timestamps four blocks fit. */
static void
test_sack_no_timestamps(void **state)
{
	uint32_t blk[4][2];
	(void)state;
	uint32_t snd = handshake_isn(41070, 1000, syn_opts_sack_nots,
				     sizeof(syn_opts_sack_nots));
	for (uint32_t i = 1; i <= 5; i++)
		assert_int_equal(seg(41070, snd, 1001 + 200 * i,
				     1101 + 200 * i), 1001);
	assert_int_equal(cap_tcp(0)->data_off >> 4, (20 + 4 + 32) / 4);
	assert_int_equal(sack_of(0, blk), 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(blk[i][0], 1001 + 200 * (5 - i));
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

	/* A SYN answered with a cookie, retransmitted once the backlog had
	 * room again (a half-open connection was reset): the retransmission
	 * got a connection of its own, but the peer completes the cookie
	 * handshake, which the connection adopts. */
	clear_captured();
	input(tcp_frame(31002, 0x02, 4000, 0, 65535, NULL, 0, NULL, 0));
	uint32_t cookie2 = rte_be_to_cpu_32(cap_tcp(0)->sent_seq);
	input(tcp_frame(30000, 0x04, 501, 0, 0, NULL, 0, NULL, 0));   /* RST */
	clear_captured();
	input(tcp_frame(31002, 0x02, 4000, 0, 65535, NULL, 0, NULL, 0));
	assert_int_equal(cap_tcp(0)->tcp_flags, 0x12);
	assert_true(rte_be_to_cpu_32(cap_tcp(0)->sent_seq) != cookie2);
	clear_captured();
	input(tcp_frame(31002, 0x18, 4001, cookie2 + 1, 512, NULL, 0,
			"GET a\r\n", 7));
	assert_int_equal(accepts, 2);
	assert_int_equal(tcp_counters(ts)[TCP_syncookies_ok], 2);
	assert_int_equal(rx_len, 6 + 7);
	assert_memory_equal(rx + 6, "GET a\r\n", 7);

	/* A cookie from two clocks ago (130 s later) is stale. */
	input(tcp_frame(30500, 0x02, 500, 0, 512, NULL, 0, NULL, 0));
	clear_captured();
	input(tcp_frame(31001, 0x02, 9000, 0, 65535, NULL, 0, NULL, 0));
	assert_int_equal(tcp_counters(ts)[TCP_syncookies_sent], 3);
	uint32_t cookie3 = rte_be_to_cpu_32(cap_tcp(0)->sent_seq);
	net->now_tsc += 130 * net->tsc_hz;
	clear_captured();
	input(tcp_frame(31001, 0x10, 9001, cookie3 + 1, 512, NULL, 0, NULL,
			0));
	assert_int_equal(tcp_counters(ts)[TCP_syncookies_failed], 2);
	assert_int_equal(cap_tcp(0)->tcp_flags, 0x04);
	assert_int_equal(accepts, 2);
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

/*
 * Active open (tcp_connect). The peer is PEER_IP:7000; the test's SYNs
 * and SYN-ACKs come from there to the port the stack chose.
 */
#define SRV_PORT 7000
static int active_app;          /* the handle given to tcp_connect */

/* opt_find -- the option of kind k in captured segment i, or NULL. */
static const uint8_t *
opt_find(unsigned i, uint8_t k)
{
	const struct rte_tcp_hdr *th = cap_tcp(i);
	const uint8_t *o = (const uint8_t *)(th + 1);
	unsigned len = (th->data_off >> 4) * 4 - 20;

	for (unsigned j = 0; j < len;) {
		if (o[j] == 0)
			break;
		if (o[j] == 1) {
			j++;
			continue;
		}
		if (o[j] == k)
			return o + j;
		j += o[j + 1];
	}
	return NULL;
}

/*
 * connect_syn -- tcp_connect to the peer; the SYN is checked and its
 * ISS and source port returned.
 */
static struct tcp_conn *
connect_syn(uint32_t *iss, uint16_t *lport)
{
	struct tcp_conn *tc = NULL;

	clear_captured();
	assert_int_equal(tcp_connect(ts, rte_cpu_to_be_32(PEER_IP),
				     rte_cpu_to_be_16(SRV_PORT), &active_app,
				     &tc), 0);
	assert_non_null(tc);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 1);
	assert_int_equal(cap_tcp(0)->tcp_flags, 0x02);
	assert_int_equal(rte_be_to_cpu_16(cap_tcp(0)->dst_port), SRV_PORT);
	assert_int_equal(cap_ip(0)->dst_addr, rte_cpu_to_be_32(PEER_IP));
	assert_tcp_cksums(0);
	*iss = rte_be_to_cpu_32(cap_tcp(0)->sent_seq);
	*lport = rte_be_to_cpu_16(cap_tcp(0)->src_port);
	return tc;
}

/* open_active -- connect_syn, then the peer's SYN-ACK (opts). */
static struct tcp_conn *
open_active(uint32_t *snd, uint16_t *lport, const uint8_t *opts, size_t olen)
{
	uint32_t iss;
	struct tcp_conn *tc = connect_syn(&iss, lport);

	clear_captured();
	input(tcp_frame_to(SRV_PORT, *lport, 0x12, 5000, iss + 1, 65535,
			   opts, olen, NULL, 0));
	assert_int_equal(connects, 1);
	assert_ptr_equal(connected_app, &active_app);
	*snd = iss + 1;
	return tc;
}

/* test_connect_syn -- the SYN: ephemeral port, every option offered. */
static void
test_connect_syn(void **state)
{
	(void)state;
	uint32_t iss;
	uint16_t lport;
	connect_syn(&iss, &lport);
	assert_in_range(lport, TCP_EPHEMERAL_MIN, TCP_EPHEMERAL_MAX);
	const uint8_t *o = opt_find(0, 2);
	assert_non_null(o);
	assert_int_equal(o[2] << 8 | o[3], 1460);
	o = opt_find(0, 3);
	assert_non_null(o);
	assert_int_equal(o[2], 7);
	assert_non_null(opt_find(0, 4));   /* SACK-permitted */
	o = opt_find(0, 8);
	assert_non_null(o);
	assert_int_equal(o[6] | o[7] | o[8] | o[9], 0);   /* TSecr 0 */
	assert_int_equal(cap_tcp(0)->recv_ack, 0);
	assert_int_equal(rte_be_to_cpu_16(cap_tcp(0)->rx_win), 65535);
	assert_int_equal(tcp_conns(ts), 1);
	assert_int_equal(connects + accepts + closes, 0);
	assert_int_equal(tcp_counters(ts)[TCP_active_opens], 1);
	/* A second connection gets another port. */
	uint32_t iss2;
	uint16_t lport2;
	connect_syn(&iss2, &lport2);
	assert_int_not_equal(lport, lport2);
	assert_int_equal(tcp_conns(ts), 2);
	/* Sending before the handshake is refused. */
	struct tcp_conn *tc = NULL;
	assert_int_equal(tcp_connect(ts, rte_cpu_to_be_32(PEER_IP),
				     rte_cpu_to_be_16(SRV_PORT), &active_app,
				     &tc), 0);
	assert_int_equal(tcp_send(tc, "x", 1), -EPIPE);
}

/*
 * test_connect_synack -- the SYN-ACK: ESTABLISHED, the ACK, the
 * connected upcall; the peer's options decide MSS, scaling, timestamps;
 * then data both ways.
 */
static void
test_connect_synack(void **state)
{
	static const uint8_t synack_opts[] = {
		2, 4, 0x05, 0x78,             /* MSS 1400 */
		4, 2, 8, 10, 0, 0, 0, 77, 0, 0, 0, 1,  /* SACK-perm, TS */
		1, 3, 3, 2,                   /* window scale 2 */
	};
	static char big[3000];
	(void)state;
	uint32_t snd;
	uint16_t lport;
	struct tcp_conn *tc = open_active(&snd, &lport, synack_opts,
					  sizeof(synack_opts));
	assert_int_equal(n_captured, 1);   /* the ACK */
	assert_int_equal(cap_tcp(0)->tcp_flags, 0x10);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->sent_seq), snd);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->recv_ack), 5001);
	/* Our window is scaled by 7 from now on: 256 KiB >> 7. */
	assert_int_equal(rte_be_to_cpu_16(cap_tcp(0)->rx_win), 2048);
	const uint8_t *o = opt_find(0, 8);
	assert_non_null(o);
	assert_int_equal(o[9] | o[8] << 8, 77);   /* TSecr echoes 77 */
	assert_int_equal(tcp_counters(ts)[TCP_established], 1);
	/* Data from the peer. */
	clear_captured();
	input(tcp_frame_to(SRV_PORT, lport, 0x18, 5001, snd, 512, NULL, 0,
			   "hello", 5));
	assert_int_equal(rx_len, 5);
	assert_memory_equal(rx, "hello", 5);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->recv_ack), 5006);
	/* Our data: segments of 1400 - 12 bytes (timestamps on), in the
	 * peer's window, now 512 << 2. */
	clear_captured();
	memset(big, 'b', sizeof(big));
	assert_int_equal(tcp_send(tc, big, sizeof(big)), 0);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 2);
	assert_int_equal(cap_payload_len(0), 1388);
	assert_int_equal(cap_payload_len(1), 2048 - 1388);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->sent_seq), snd);
	assert_int_equal(rte_be_to_cpu_16(cap_tcp(0)->src_port), lport);
	assert_tcp_cksums(0);
	/* Acknowledged, with a window of 1 << 2 bytes. */
	clear_captured();
	input(tcp_frame_to(SRV_PORT, lport, 0x10, 5006, snd + 2048, 1, NULL,
			   0, NULL, 0));
	assert_int_equal(n_captured, 1);
	assert_int_equal(cap_payload_len(0), 4);
	assert_int_equal(tcp_conn_unsent(tc), 3000 - 2048);
}

/*
 * test_connect_synack_plain -- a SYN-ACK without options: no scaling,
 * no timestamps, MSS 536.
 */
static void
test_connect_synack_plain(void **state)
{
	static char big[1000];
	(void)state;
	uint32_t snd;
	uint16_t lport;
	struct tcp_conn *tc = open_active(&snd, &lport, NULL, 0);
	assert_int_equal(n_captured, 1);
	assert_int_equal(cap_tcp(0)->data_off >> 4, 5);   /* no options */
	assert_int_equal(rte_be_to_cpu_16(cap_tcp(0)->rx_win), 65535);
	clear_captured();
	assert_int_equal(tcp_send(tc, big, sizeof(big)), 0);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 2);
	assert_int_equal(cap_payload_len(0), 536);
	assert_int_equal(cap_payload_len(1), 1000 - 536);
	assert_int_equal(cap_tcp(0)->data_off >> 4, 5);
}

/*
 * test_connect_synack_data -- text and FIN in the SYN-ACK are taken
 * after the SYN's sequence number.
 */
static void
test_connect_synack_data(void **state)
{
	(void)state;
	uint32_t iss;
	uint16_t lport;
	connect_syn(&iss, &lport);
	clear_captured();
	input(tcp_frame_to(SRV_PORT, lport, 0x13, 5000, iss + 1, 512, NULL,
			   0, "hi", 2));
	assert_int_equal(connects, 1);
	assert_int_equal(rx_len, 2);
	assert_memory_equal(rx, "hi", 2);
	assert_int_equal(peer_fins, 1);
	assert_int_equal(n_captured, 1);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->recv_ack), 5004);
}

/*
 * test_connect_bad_ack_rst -- in SYN-SENT: an ACK of anything but our
 * SYN gets a RST <SEQ=SEG.ACK>; a RST counts only with an acceptable
 * ACK, and then fails the open (closed upcall, no connected).
 */
static void
test_connect_bad_ack_rst(void **state)
{
	(void)state;
	uint32_t iss;
	uint16_t lport;
	connect_syn(&iss, &lport);
	const uint32_t bad[] = { iss, iss + 2, iss - 100 };
	for (unsigned i = 0; i < RTE_DIM(bad); i++) {
		clear_captured();
		input(tcp_frame_to(SRV_PORT, lport, 0x12, 5000, bad[i], 512,
				   NULL, 0, NULL, 0));
		assert_int_equal(n_captured, 1);
		assert_int_equal(cap_tcp(0)->tcp_flags, 0x04);
		assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->sent_seq),
				 bad[i]);
	}
	/* A RST with an unacceptable ACK, or none: ignored. */
	clear_captured();
	input(tcp_frame_to(SRV_PORT, lport, 0x14, 0, iss + 7, 0, NULL, 0,
			   NULL, 0));
	input(tcp_frame_to(SRV_PORT, lport, 0x04, 0, 0, 0, NULL, 0, NULL, 0));
	/* Neither SYN nor RST: dropped. */
	input(tcp_frame_to(SRV_PORT, lport, 0x18, 5001, iss + 1, 512, NULL,
			   0, "x", 1));
	assert_int_equal(n_captured, 0);
	assert_int_equal(tcp_conns(ts), 1);
	assert_int_equal(closes + connects + rx_len, 0);
	/* The refusal: RST+ACK of our SYN. */
	input(tcp_frame_to(SRV_PORT, lport, 0x14, 0, iss + 1, 0, NULL, 0,
			   NULL, 0));
	assert_int_equal(n_captured, 0);
	assert_int_equal(tcp_conns(ts), 0);
	assert_int_equal(closes, 1);
	assert_ptr_equal(closed_app, &active_app);
	assert_int_equal(connects, 0);
	assert_int_equal(tcp_counters(ts)[TCP_connect_refused], 1);
}

/*
 * test_connect_syn_retries -- the SYN is resent after 1, 2, 4, ... s
 * (same ISS, same options); after syn_retries (6) and one more RTO
 * (capped at 60 s) the open fails: 123 s in all.
 */
static void
test_connect_syn_retries(void **state)
{
	(void)state;
	uint32_t iss;
	uint16_t lport;
	connect_syn(&iss, &lport);
	unsigned rto = 1000;
	for (unsigned i = 0; i < 6; i++) {
		clear_captured();
		tick(rto - 10);
		assert_int_equal(n_captured, 0);
		tick(20);
		assert_int_equal(n_captured, 1);
		assert_int_equal(cap_tcp(0)->tcp_flags, 0x02);
		assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->sent_seq), iss);
		assert_non_null(opt_find(0, 3));
		/* from the retransmission on; at most 60 s */
		rto = rto * 2 > 60000 ? 60000 : rto * 2;
	}
	assert_int_equal(tcp_counters(ts)[TCP_retransmits], 6);
	assert_int_equal(closes, 0);
	clear_captured();
	tick(rto - 10);
	assert_int_equal(closes, 0);
	tick(20);
	assert_int_equal(n_captured, 0);   /* no RST for a SYN never answered */
	assert_int_equal(closes, 1);
	assert_int_equal(connects, 0);
	assert_int_equal(tcp_conns(ts), 0);
	assert_int_equal(tcp_counters(ts)[TCP_connect_timeouts], 1);
}

/*
 * test_connect_rtt -- a SYN-ACK after a retransmitted SYN: RTO 3 s
 * (RFC 6298 5.7) and no RTT sample (Karn).
 */
static void
test_connect_rtt(void **state)
{
	(void)state;
	uint32_t iss;
	uint16_t lport;
	struct tcp_conn *tc = connect_syn(&iss, &lport);
	tick(1010);   /* one retransmission */
	clear_captured();
	input(tcp_frame_to(SRV_PORT, lport, 0x12, 5000, iss + 1, 512, NULL,
			   0, NULL, 0));
	assert_int_equal(connects, 1);
	clear_captured();
	tcp_send(tc, "x", 1);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 1);
	clear_captured();
	tick(2900);
	assert_int_equal(n_captured, 0);
	tick(200);
	assert_int_equal(n_captured, 1);   /* resent after 3 s */
}

/*
 * test_simultaneous_open -- the peer's SYN crosses ours: SYN-RECEIVED
 * and our SYN-ACK; the peer's SYN-ACK then completes the open (an ACK
 * from us), as would its plain ACK.
 */
static void
test_simultaneous_open(void **state)
{
	(void)state;
	for (int plain = 0; plain <= 1; plain++) {
		uint32_t iss;
		uint16_t lport;
		connects = 0;
		connect_syn(&iss, &lport);
		clear_captured();
		input(tcp_frame_to(SRV_PORT, lport, 0x02, 9000, 0, 512,
				   syn_opts, sizeof(syn_opts), NULL, 0));
		assert_int_equal(n_captured, 1);
		assert_int_equal(cap_tcp(0)->tcp_flags, 0x12);
		assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->sent_seq), iss);
		assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->recv_ack), 9001);
		assert_non_null(opt_find(0, 3));
		assert_int_equal(connects, 0);
		/* Lost: resent by the timer. */
		clear_captured();
		tick(1010);
		assert_int_equal(n_captured, 1);
		assert_int_equal(cap_tcp(0)->tcp_flags, 0x12);
		clear_captured();
		if (plain)
			input(tcp_frame_to(SRV_PORT, lport, 0x10, 9001,
					   iss + 1, 512, NULL, 0, NULL, 0));
		else
			input(tcp_frame_to(SRV_PORT, lport, 0x12, 9000,
					   iss + 1, 512, NULL, 0, NULL, 0));
		assert_int_equal(connects, 1);
		assert_int_equal(n_captured, plain ? 0 : 1);
		if (!plain) {
			assert_int_equal(cap_tcp(0)->tcp_flags, 0x10);
			assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->recv_ack),
					 9001);
			assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->sent_seq),
					 iss + 1);
		}
		/* Data flows. */
		clear_captured();
		input(tcp_frame_to(SRV_PORT, lport, 0x18, 9001, iss + 1, 512,
				   NULL, 0, "ab", 2));
		assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->recv_ack), 9003);
		rx_len = 0;
	}
	assert_int_equal(closes, 0);
}

/*
 * test_connect_active_close -- an actively opened connection closed by
 * us: FIN-WAIT-1, -2, TIME-WAIT, then gone; and one closed by the peer:
 * CLOSE-WAIT, LAST-ACK.
 */
static void
test_connect_active_close(void **state)
{
	(void)state;
	uint32_t snd;
	uint16_t lport;
	struct tcp_conn *tc = open_active(&snd, &lport, syn_opts,
					  sizeof(syn_opts));
	clear_captured();
	tcp_close(tc);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 1);
	assert_int_equal(cap_tcp(0)->tcp_flags, 0x11);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->sent_seq), snd);
	input(tcp_frame_to(SRV_PORT, lport, 0x10, 5001, snd + 1, 512, NULL,
			   0, NULL, 0));
	clear_captured();
	input(tcp_frame_to(SRV_PORT, lport, 0x11, 5001, snd + 1, 512, NULL,
			   0, NULL, 0));
	assert_int_equal(n_captured, 1);
	assert_int_equal(rte_be_to_cpu_32(cap_tcp(0)->recv_ack), 5002);
	assert_int_equal(tcp_conns(ts), 1);   /* TIME-WAIT */
	assert_int_equal(closes, 0);
	/* A new connection to the same peer avoids the TIME-WAIT tuple. */
	ts->next_port = lport;
	uint32_t iss2;
	uint16_t lport2;
	struct tcp_conn *tc2 = connect_syn(&iss2, &lport2);
	assert_int_not_equal(lport2, lport);
	tick(2100);
	assert_int_equal(closes, 1);   /* TIME-WAIT over */
	tcp_close(tc2);
	assert_int_equal(closes, 2);
	/* Passive close of an actively opened connection. */
	connects = closes = 0;
	tc = open_active(&snd, &lport, NULL, 0);
	clear_captured();
	input(tcp_frame_to(SRV_PORT, lport, 0x11, 5001, snd, 512, NULL, 0,
			   NULL, 0));
	assert_int_equal(peer_fins, 1);
	tcp_close(tc);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(cap_tcp(n_captured - 1)->tcp_flags & 0x01, 0x01);
	input(tcp_frame_to(SRV_PORT, lport, 0x10, 5002, snd + 1, 512, NULL,
			   0, NULL, 0));
	assert_int_equal(closes, 1);
	assert_int_equal(tcp_conns(ts), 0);
}

/*
 * test_connect_close_syn_sent -- tcp_close before the SYN-ACK drops the
 * connection at once, without a segment; a late SYN-ACK gets a RST.
 */
static void
test_connect_close_syn_sent(void **state)
{
	(void)state;
	uint32_t iss;
	uint16_t lport;
	struct tcp_conn *tc = connect_syn(&iss, &lport);
	clear_captured();
	tcp_close(tc);
	assert_int_equal(closes, 1);
	assert_int_equal(tcp_conns(ts), 0);
	input(tcp_frame_to(SRV_PORT, lport, 0x12, 5000, iss + 1, 512, NULL,
			   0, NULL, 0));
	assert_int_equal(n_captured, 1);
	assert_int_equal(cap_tcp(0)->tcp_flags, 0x04);
	assert_int_equal(connects, 0);
}

/*
 * test_connect_rss_port -- with the port's RSS described (a fake key
 * and a 128-entry table over 4 queues), every chosen port hashes the
 * peer's return traffic to this stack's queue (3), and ports differ.
 */
static void
test_connect_rss_port(void **state)
{
	uint8_t key[40];
	uint16_t reta[128];
	uint16_t seen[64];
	(void)state;
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x6d + 37 * i);
	for (unsigned i = 0; i < RTE_DIM(reta); i++)
		reta[i] = (uint16_t)(i % 4);
	assert_int_equal(tcp_set_rss(ts, key, 8, reta, 128, 3), -EINVAL);
	assert_int_equal(tcp_set_rss(ts, key, sizeof(key), reta, 128, 3), 0);
	for (unsigned n = 0; n < RTE_DIM(seen); n++) {
		uint32_t iss;
		uint16_t lport;
		connect_syn(&iss, &lport);
		uint32_t tuple[3] = { PEER_IP, US_IP,
				      (uint32_t)SRV_PORT << 16 | lport };
		uint32_t h = rte_softrss(tuple, 3, key);
		assert_int_equal(reta[h % 128], 3);
		for (unsigned k = 0; k < n; k++)
			assert_int_not_equal(seen[k], lport);
		seen[n] = lport;
	}
	/* No RSS again: any port, so some land on other queues. */
	assert_int_equal(tcp_set_rss(ts, NULL, 0, NULL, 0, 0), 0);
	unsigned other = 0;
	for (unsigned n = 0; n < 32; n++) {
		uint32_t iss;
		uint16_t lport;
		connect_syn(&iss, &lport);
		uint32_t tuple[3] = { PEER_IP, US_IP,
				      (uint32_t)SRV_PORT << 16 | lport };
		other += reta[rte_softrss(tuple, 3, key) % 128] != 3;
	}
	assert_true(other > 0);
}

/*
 * test_connect_steer_port -- with software steering over 3 workers, this
 * stack being worker 2's, every chosen port makes the peer's return
 * traffic hash (dp_steer_hash) to worker 2; without steering some land
 * on other workers.
 */
/* connect_owner -- open a connection; the worker (of 3) its return
 * traffic hashes to. */
static unsigned
connect_owner(void)
{
	uint32_t iss;
	uint16_t lport;

	connect_syn(&iss, &lport);
	uint32_t h = dp_steer_hash(rte_cpu_to_be_32(PEER_IP),
				   rte_cpu_to_be_32(US_IP),
				   rte_cpu_to_be_16(SRV_PORT),
				   rte_cpu_to_be_16(lport));
	return dp_steer_owner(h, 3);
}

static void
test_connect_steer_port(void **state)
{
	(void)state;
	tcp_set_steer(ts, 3, 2);
	for (unsigned n = 0; n < 64; n++)
		assert_int_equal(connect_owner(), 2);
	tcp_set_steer(ts, 0, 0);
	unsigned other = 0;
	for (unsigned n = 0; n < 32; n++)
		other += connect_owner() != 2;
	assert_true(other > 0);
}

/*
 * Sender-side SACK. The peer offered SACK and timestamps (1448-byte
 * segments); 10 segments are sent, S(i) is the start of segment i.
 */
#define SEG 1448u
#define S(i) (snd + (uint32_t)(i) * SEG)

/* sack_setup -- a connection with 10 segments in flight; returns SND.UNA. */
static uint32_t
sack_setup(uint16_t pport)
{
	static char buf[10 * SEG];
	uint32_t snd = handshake_isn(pport, 1000, syn_opts_sack,
				     sizeof(syn_opts_sack));
	clear_captured();
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i / SEG);
	assert_int_equal(tcp_send(last_tc, buf, sizeof(buf)), 0);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 10);
	clear_captured();
	return snd;
}

/*
 * sack_ack -- an ACK of ack from the peer (window 512 << 7, unchanged)
 * with n SACK blocks given as edges l0, r0, l1, r1, ...
 */
static void
sack_ack(uint16_t pport, uint32_t ack, unsigned n, ...)
{
	uint8_t o[4 + 32] = { 1, 1, 5, (uint8_t)(2 + 8 * n) };
	va_list ap;

	va_start(ap, n);
	for (unsigned i = 0; i < 2 * n; i++) {
		uint32_t v = rte_cpu_to_be_32(va_arg(ap, uint32_t));
		memcpy(o + 4 + 4 * i, &v, 4);
	}
	va_end(ap);
	input(tcp_frame(pport, 0x10, 1001, ack, 512, o, n ? 4 + 8 * n : 0,
			NULL, 0));
}

/* sent_seq -- sequence number of captured segment i. */
static uint32_t
sent_seq(unsigned i)
{
	return rte_be_to_cpu_32(cap_tcp(i)->sent_seq);
}

/*
 * test_sack_scoreboard -- blocks merge when they overlap or touch, are
 * clipped to the data, and bogus ones (beyond SND.MAX, below SND.UNA,
 * empty) are ignored; a cumulative ACK trims the scoreboard.
 */
static void
test_sack_scoreboard(void **state)
{
	(void)state;
	uint32_t snd = sack_setup(41000);
	struct tcp_conn *tc = last_tc;
	sack_ack(41000, snd, 3, S(1), S(2), S(2), S(3), S(5), S(7));
	sack_ack(41000, snd, 4, S(6), S(8), S(0) - 10, S(0),
		 S(10), S(10) + 100, S(9), S(9));
	assert_int_equal(tc->n_score, 2);
	assert_int_equal(tc->score[0][0], S(1));
	assert_int_equal(tc->score[0][1], S(3));
	assert_int_equal(tc->score[1][0], S(5));
	assert_int_equal(tc->score[1][1], S(8));
	/* Five segments SACKed above SND.UNA: recovery (RFC 6675 IsLost)
	 * on the second duplicate; pipe 2 above S(8): the holes 0, 3, 4
	 * are resent, SACKed segments are not. */
	assert_int_equal(n_captured, 3);
	assert_int_equal(sent_seq(0), S(0));
	assert_int_equal(sent_seq(1), S(3));
	assert_int_equal(sent_seq(2), S(4));
	/* The ACK reaches into the second range. */
	sack_ack(41000, S(6), 1, S(6), S(8));
	assert_int_equal(tc->n_score, 1);
	assert_int_equal(tc->score[0][0], S(6));
	assert_int_equal(tc->score[0][1], S(8));
	sack_ack(41000, S(10), 0);
	assert_int_equal(tc->n_score, 0);
	assert_int_equal(tcp_conn_unsent(tc), 0);
}

/*
 * test_sack_rexmit_holes -- segments 0, 2 and 4 are lost: the third
 * duplicate ACK resends segment 0, and the following ones, as the SACKed
 * data leaves the pipe, resend 2 then 4: never a SACKed segment, each
 * hole once (NewReno would resend only 0 before a partial ACK).
 */
static void
test_sack_rexmit_holes(void **state)
{
	(void)state;
	uint32_t snd = sack_setup(41001);
	sack_ack(41001, snd, 1, S(1), S(2));
	sack_ack(41001, snd, 2, S(3), S(4), S(1), S(2));
	assert_int_equal(n_captured, 0);
	sack_ack(41001, snd, 3, S(5), S(6), S(3), S(4), S(1), S(2));
	/* Recovery: cwnd = ssthresh = 5 segments; pipe 4 above the
	 * highest SACKed byte, so only the first hole goes. */
	assert_int_equal(n_captured, 1);
	assert_int_equal(sent_seq(0), S(0));
	assert_int_equal(cap_payload_len(0), SEG);
	assert_int_equal(*((uint8_t *)cap_tcp(0) + (cap_tcp(0)->data_off >> 4) * 4),
			 0);
	clear_captured();
	sack_ack(41001, snd, 3, S(5), S(7), S(3), S(4), S(1), S(2));
	assert_int_equal(n_captured, 1);
	assert_int_equal(sent_seq(0), S(2));
	assert_int_equal(*((uint8_t *)cap_tcp(0) + (cap_tcp(0)->data_off >> 4) * 4),
			 2);
	clear_captured();
	sack_ack(41001, snd, 3, S(5), S(8), S(3), S(4), S(1), S(2));
	assert_int_equal(n_captured, 1);
	assert_int_equal(sent_seq(0), S(4));
	clear_captured();
	/* No hole left below the highest SACKed byte: nothing. */
	sack_ack(41001, snd, 3, S(5), S(9), S(3), S(4), S(1), S(2));
	assert_int_equal(n_captured, 0);
	assert_int_equal(tcp_counters(ts)[TCP_sack_rexmits], 3);
	assert_int_equal(tcp_counters(ts)[TCP_retransmits], 3);
	/* Partial ACK (0 arrived): 2 and 4 are already on their way. */
	sack_ack(41001, S(2), 2, S(5), S(9), S(3), S(4));
	assert_int_equal(n_captured, 0);
	/* Segment 9 is lost too: the partial ACK up to it resends it. */
	sack_ack(41001, S(9), 0);
	assert_int_equal(n_captured, 1);
	assert_int_equal(sent_seq(0), S(9));
	assert_true(last_tc->sack_recovery);
	/* The full ACK ends recovery. */
	sack_ack(41001, S(10), 0);
	assert_false(last_tc->sack_recovery);
	assert_int_equal(last_tc->cwnd, last_tc->ssthresh);
	assert_int_equal(tcp_conn_unsent(last_tc), 0);
}

/*
 * test_sack_new_data -- in recovery, new data goes when the pipe leaves
 * room after the holes are resent.
 */
static void
test_sack_new_data(void **state)
{
	static char more[4 * SEG];
	(void)state;
	uint32_t snd = sack_setup(41002);
	sack_ack(41002, snd, 1, S(1), S(2));
	sack_ack(41002, snd, 1, S(1), S(3));
	sack_ack(41002, snd, 1, S(1), S(4));
	assert_int_equal(n_captured, 1);   /* segment 0 */
	clear_captured();
	assert_int_equal(tcp_send(last_tc, more, sizeof(more)), 0);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 0);   /* pipe 6 + 1 > cwnd 5 */
	sack_ack(41002, snd, 1, S(1), S(8));
	/* pipe: 2 above S(8) + 1 resent = 3: two new segments. */
	assert_int_equal(n_captured, 2);
	assert_int_equal(sent_seq(0), S(10));
	assert_int_equal(sent_seq(1), S(11));
	assert_int_equal(tcp_counters(ts)[TCP_sack_rexmits], 1);
}

/*
 * test_sack_without_blocks -- duplicate ACKs whose blocks are all
 * bogus leave the scoreboard empty: NewReno recovery (the first
 * segment, then window inflation), no SACK retransmission.
 */
static void
test_sack_without_blocks(void **state)
{
	(void)state;
	uint32_t snd = sack_setup(41003);
	for (int i = 0; i < 5; i++)
		sack_ack(41003, snd, 2, S(10), S(11), S(0) - 100, S(0));
	assert_int_equal(last_tc->n_score, 0);
	assert_false(last_tc->sack_recovery);
	assert_int_equal(n_captured, 1);
	assert_int_equal(sent_seq(0), S(0));
	assert_int_equal(tcp_counters(ts)[TCP_sack_rexmits], 0);
}

/*
 * test_sack_dupack_rules -- RFC 6675: an ACK that SACKs new data is a
 * duplicate even if the window changed, and three segments SACKed above
 * SND.UNA start recovery without a third duplicate.
 */
static void
test_sack_dupack_rules(void **state)
{
	uint8_t o[4 + 8] = { 1, 1, 5, 10 };
	(void)state;
	uint32_t snd = sack_setup(41005);
	sack_ack(41005, snd, 1, S(1), S(2));
	assert_int_equal(last_tc->dupacks, 1);
	/* Window 600 << 7 now, and S(2)..S(4) SACKed. */
	uint32_t l = rte_cpu_to_be_32(S(1)), r = rte_cpu_to_be_32(S(4));
	memcpy(o + 4, &l, 4);
	memcpy(o + 8, &r, 4);
	input(tcp_frame(41005, 0x10, 1001, snd, 600, o, sizeof(o), NULL, 0));
	assert_int_equal(tcp_counters(ts)[TCP_dup_acks], 2);
	assert_true(last_tc->sack_recovery);
	assert_int_equal(n_captured, 1);
	assert_int_equal(sent_seq(0), S(0));
	/* The same blocks and window again: a duplicate (same window). */
	clear_captured();
	input(tcp_frame(41005, 0x10, 1001, snd, 600, o, sizeof(o), NULL, 0));
	assert_int_equal(tcp_counters(ts)[TCP_dup_acks], 3);
	/* Nothing new SACKed and another window: not a duplicate. */
	input(tcp_frame(41005, 0x10, 1001, snd, 700, o, sizeof(o), NULL, 0));
	assert_int_equal(tcp_counters(ts)[TCP_dup_acks], 3);
}

/*
 * test_limited_transmit -- RFC 3042: each of the first two duplicate
 * ACKs lets one new segment go beyond the congestion window.
 */
static void
test_limited_transmit(void **state)
{
	static char more[2 * SEG];
	(void)state;
	uint32_t snd = sack_setup(41006);
	assert_int_equal(tcp_send(last_tc, more, sizeof(more)), 0);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	assert_int_equal(n_captured, 0);   /* cwnd: 10 segments out */
	sack_ack(41006, snd, 1, S(1), S(2));
	assert_int_equal(n_captured, 1);
	assert_int_equal(sent_seq(0), S(10));
	clear_captured();
	sack_ack(41006, snd, 1, S(1), S(3));
	assert_int_equal(n_captured, 1);
	assert_int_equal(sent_seq(0), S(11));
	assert_false(last_tc->sack_recovery);
	assert_int_equal(tcp_counters(ts)[TCP_retransmits], 0);
}

/*
 * test_early_retransmit -- RFC 5827: with two segments outstanding and
 * nothing more to send, one duplicate ACK resends the first (with
 * SACK); with three and no SACK, two duplicates do.
 */
static void
test_early_retransmit(void **state)
{
	static char buf[3 * SEG];
	(void)state;
	uint32_t snd = handshake_isn(41007, 1000, syn_opts_sack,
				     sizeof(syn_opts_sack));
	assert_int_equal(tcp_send(last_tc, buf, 2 * SEG), 0);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	clear_captured();
	sack_ack(41007, snd, 1, S(1), S(2));
	assert_int_equal(n_captured, 1);
	assert_int_equal(sent_seq(0), S(0));
	/* No SACK (timestamps on: 1448-byte segments too). */
	snd = handshake(41008);
	assert_int_equal(tcp_send(last_tc, buf, 3 * SEG), 0);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	clear_captured();
	input(tcp_frame(41008, 0x10, 1001, snd, 512, NULL, 0, NULL, 0));
	assert_int_equal(n_captured, 0);
	input(tcp_frame(41008, 0x10, 1001, snd, 512, NULL, 0, NULL, 0));
	assert_int_equal(n_captured, 1);
	assert_int_equal(sent_seq(0), snd);
}

/*
 * test_sack_lost_rexmit -- segment 0 is lost twice: once data sent
 * after its first resend is SACKed, it is resent again (without
 * waiting for the RTO).
 */
static void
test_sack_lost_rexmit(void **state)
{
	static char more[10 * SEG];
	(void)state;
	uint32_t snd = sack_setup(41009);
	assert_int_equal(tcp_send(last_tc, more, sizeof(more)), 0);
	tcp_flush(ts);
	dp_net_tx_flush(net);
	sack_ack(41009, snd, 1, S(1), S(2));    /* limited transmit: S(10) */
	sack_ack(41009, snd, 1, S(1), S(3));    /* S(11) */
	clear_captured();
	sack_ack(41009, snd, 1, S(1), S(4));    /* recovery, cwnd 6 */
	assert_int_equal(n_captured, 1);
	assert_int_equal(sent_seq(0), S(0));
	clear_captured();
	sack_ack(41009, snd, 1, S(1), S(7));
	assert_int_equal(n_captured, 0);        /* pipe 5 + 1 */
	sack_ack(41009, snd, 1, S(1), S(9));    /* pipe 3 + 1: new data */
	assert_int_equal(n_captured, 2);
	assert_int_equal(sent_seq(0), S(12));
	assert_int_equal(sent_seq(1), S(13));
	clear_captured();
	/* S(12), sent after the resend of S(0), arrived before it. */
	sack_ack(41009, snd, 1, S(1), S(13));
	assert_true(n_captured >= 1);
	assert_int_equal(sent_seq(0), S(0));
	assert_int_equal(tcp_counters(ts)[TCP_sack_rexmits], 2);
}

/*
 * test_sack_rto -- a retransmission timeout forgets the scoreboard
 * (SACK is advisory) and resends from SND.UNA.
 */
static void
test_sack_rto(void **state)
{
	(void)state;
	uint32_t snd = sack_setup(41004);
	sack_ack(41004, snd, 1, S(1), S(2));
	sack_ack(41004, snd, 1, S(1), S(3));
	sack_ack(41004, snd, 1, S(1), S(4));
	assert_true(last_tc->sack_recovery);
	clear_captured();
	tick(1100);
	assert_false(last_tc->sack_recovery);
	assert_int_equal(last_tc->n_score, 0);
	assert_int_equal(n_captured, 1);   /* cwnd: one segment */
	assert_int_equal(sent_seq(0), S(0));
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
	accepts = closes = peer_fins = connects = 0;
	connected_app = closed_app = NULL;
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
	T(test_ooo_every_order),
	T(test_ooo_overlaps),
	T(test_ooo_wrap),
	T(test_ooo_fin),
	T(test_ooo_bound),
	T(test_sack_permitted),
	T(test_sack_blocks),
	T(test_sack_no_timestamps),
	T(test_rst_closes),
	T(test_passive_close),
	T(test_active_close_time_wait),
	T(test_closed_port_rst),
	T(test_bad_checksum),
	T(test_many_connections),
	T(test_syn_cookies),
	T(test_rfc5961_ack),
	T(test_connect_syn),
	T(test_connect_synack),
	T(test_connect_synack_plain),
	T(test_connect_synack_data),
	T(test_connect_bad_ack_rst),
	T(test_connect_syn_retries),
	T(test_connect_rtt),
	T(test_simultaneous_open),
	T(test_connect_active_close),
	T(test_connect_close_syn_sent),
	T(test_connect_rss_port),
	T(test_connect_steer_port),
	T(test_sack_scoreboard),
	T(test_sack_rexmit_holes),
	T(test_sack_new_data),
	T(test_sack_without_blocks),
	T(test_sack_dupack_rules),
	T(test_sack_lost_rexmit),
	T(test_sack_rto),
	T(test_limited_transmit),
	T(test_early_retransmit),
};

RP_TEST_MAIN(tests, 1)
