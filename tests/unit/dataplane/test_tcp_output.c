/*
 * test_tcp_output.c -- segments out with TSO (dataplane/tcp_output.c):
 * large segments handed to the port with the offload flags, header
 * lengths, piece size and pseudo-header checksum it needs; plain
 * segments up to a data mbuf's end first; the piece size of a port that
 * counts the Ethernet header in the MTU (net_tap); nothing of it when
 * TSO is off. And tcp_send_some's bounds: send_queue_max and the
 * quarter of the mbuf pool it leaves to everything else.
 */
#include "unit.h"

#include "frames.h"

#define MAX_SENT 64

/* What the port was given, before the capture flattens it. */
struct sent {
	uint64_t ol_flags;
	uint16_t tso_segsz, l2_len, l3_len, l4_len;
	uint32_t seq, payload;
	uint16_t cksum;                 /* the TCP header's field */
	bool cksum_ok;                  /* full checksum right */
	uint8_t data[65536];            /* payload */
};

static struct tcp_stack *ts;
static struct tcp_conn *conn;
static uint8_t pattern[40000];  /* the bytes sent */
static struct sent sent[MAX_SENT];
static unsigned n_sent;

static void *
t_accept(void *ctx, struct tcp_conn *tc)
{
	(void)ctx;
	conn = tc;
	return tc;
}

static void
t_recv(void *app, const uint8_t *data, uint32_t len)
{
	(void)app;
	(void)data;
	(void)len;
}

static void
t_none(void *app)
{
	(void)app;
}

static const struct tcp_ops ops = {
	.accept = t_accept,
	.recv = t_recv,
	.peer_closed = t_none,
	.closed = t_none,
};

/* record_tx -- the bench port: note each frame's offload fields and
 * payload (read through the chain), then drop it. */
static uint16_t
record_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	static uint8_t flat[70000];

	(void)ctx;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *p = rte_pktmbuf_read(m, 0, m->pkt_len, flat);
		const struct rte_ipv4_hdr *ip = (const void *)(p + 14);
		const struct rte_tcp_hdr *th = (const void *)(ip + 1);
		unsigned hl = (th->data_off >> 4) * 4;
		assert_true(n_sent < MAX_SENT);
		struct sent *s = &sent[n_sent++];
		s->ol_flags = m->ol_flags;
		s->tso_segsz = m->tso_segsz;
		s->l2_len = m->l2_len;
		s->l3_len = m->l3_len;
		s->l4_len = m->l4_len;
		s->seq = rte_be_to_cpu_32(th->sent_seq);
		s->payload = m->pkt_len - 14 - 20 - hl;
		s->cksum = th->cksum;
		memcpy(s->data, (const uint8_t *)th + hl, s->payload);
		uint16_t l4 = (uint16_t)(m->pkt_len - 14 - 20);
		uint32_t sum = rte_raw_cksum(th, l4) +
			       rte_ipv4_phdr_cksum(ip, 0);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		s->cksum_ok = sum == 0xffff;
		rte_pktmbuf_free(m);
	}
	return n;
}

/* bench_sq -- a stack on a port with these offloads; TSO used or not;
 * sq_max bytes of send queue per connection. */
static void
bench_sq(uint32_t offloads, bool tso, uint32_t sq_max)
{
	struct tcp_params p = { .mss = 1460, .rcv_wnd = 65535,
				.max_conns = 4, .backlog = 4,
				.send_queue_max = sq_max, .tso = tso };

	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + i / 251);
	net = bench_net(offloads);
	net->tx_burst = record_tx;
	ts = net->tcp = tcp_stack_create(net, &p, &ops, NULL);
	assert_non_null(ts);
	tcp_listen(ts, 6379);
	learn_peer();
	n_sent = 0;
}

/* bench -- bench_sq with a 1 MiB send queue. */
static void
bench(uint32_t offloads, bool tso)
{
	bench_sq(offloads, tso, 1 << 20);
}

static void
bench_free(void)
{
	tcp_stack_free(ts);
	dp_net_fini(net);
	rte_free(net);
	conn = NULL;
}

/* run -- deliver a frame, then what a poll iteration sends. */
static void
run(struct rte_mbuf *m)
{
	if (m != NULL)
		dp_net_input(net, &m, 1);
	tcp_flush(ts);
	dp_net_tx_flush(net);
}

/* open_conn -- handshake (MSS 1460, no other option); our ISS + 1. */
static uint32_t
open_conn(void)
{
	static const uint8_t mss[] = { 2, 4, 0x05, 0xb4 };

	run(tcp_frame(40000, 0x02, 1000, 0, 65535, mss, sizeof(mss), NULL,
		      0));
	assert_int_equal(n_sent, 1);
	uint32_t iss = sent[0].seq;
	run(tcp_frame(40000, 0x10, 1001, iss + 1, 65535, NULL, 0, NULL, 0));
	assert_non_null(conn);
	n_sent = 0;
	return iss + 1;
}

/* check_tso -- sent[i] is a TSO segment of len bytes at seq. */
static void
check_tso(unsigned i, uint32_t seq, uint32_t off, uint32_t len,
	  uint16_t segsz)
{
	const struct sent *s = &sent[i];
	uint32_t src = rte_cpu_to_be_32(US_IP), dst = rte_cpu_to_be_32(PEER_IP);
	uint32_t sum = (src & 0xffff) + (src >> 16) + (dst & 0xffff) +
		       (dst >> 16) + rte_cpu_to_be_16(IPPROTO_TCP);

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	assert_true(s->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_true(s->ol_flags & RTE_MBUF_F_TX_IPV4);
	assert_true(s->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
	assert_true(s->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
	assert_int_equal(s->l2_len, 14);
	assert_int_equal(s->l3_len, 20);
	assert_int_equal(s->l4_len, 20);
	assert_int_equal(s->tso_segsz, segsz);
	assert_int_equal(s->seq, seq);
	assert_int_equal(s->payload, len);
	assert_int_equal(s->cksum, (uint16_t)sum);   /* pseudo, no length */
	assert_memory_equal(s->data, pattern + off, len);
}

/* check_plain -- sent[i] is an ordinary segment, checksum complete. */
static void
check_plain(unsigned i, uint32_t seq, uint32_t off, uint32_t len)
{
	const struct sent *s = &sent[i];

	assert_false(s->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_true(s->cksum_ok);
	assert_int_equal(s->seq, seq);
	assert_int_equal(s->payload, len);
	assert_memory_equal(s->data, pattern + off, len);
}

#define TSO_PORT (DP_OFF_TX_MULTI_SEGS | DP_OFF_TX_TCP_TSO | \
		  DP_OFF_TX_IPV4_CKSUM | DP_OFF_TX_TCP_CKSUM)

/* test_tso_one_segment -- the initial window (10 segments) leaves as
 * one TSO segment cut at the MSS. */
static void
test_tso_one_segment(void **state)
{
	(void)state;
	bench(TSO_PORT, true);
	uint32_t seq = open_conn();
	assert_int_equal(tcp_send(conn, pattern, 20000), 0);
	run(NULL);
	assert_int_equal(n_sent, 1);
	check_tso(0, seq, 0, 14600, 1460);
	assert_int_equal(tcp_counters(ts)[TCP_tso_segs_tx], 1);
	/* the ACK opens the window: the rest, 5400 bytes, as TSO too */
	run(tcp_frame(40000, 0x10, 1001, seq + 14600, 65535, NULL, 0, NULL,
		      0));
	assert_int_equal(n_sent, 2);
	check_tso(1, seq + 14600, 14600, 5400, 1460);
	bench_free();
}

/* test_tso_aligned_start -- with the send cursor inside a data mbuf, a
 * plain segment up to its end first, then TSO from the next mbuf. */
static void
test_tso_aligned_start(void **state)
{
	(void)state;
	bench(TSO_PORT, true);
	uint32_t seq = open_conn();
	assert_int_equal(tcp_send(conn, pattern, 5), 0);
	run(NULL);
	assert_int_equal(n_sent, 1);
	check_plain(0, seq, 0, 5);
	assert_int_equal(tcp_send(conn, pattern + 5, 20000), 0);
	run(NULL);
	assert_int_equal(n_sent, 3);
	check_plain(1, seq + 5, 5, 1455);
	check_tso(2, seq + 1460, 1460, 13140, 1460);
	bench_free();
}

/* test_tso_l2_quirk -- a port counting the Ethernet header in the MTU
 * gets pieces 14 bytes short, segments in whole pieces. */
static void
test_tso_l2_quirk(void **state)
{
	(void)state;
	bench(TSO_PORT | DP_OFF_TX_TSO_L2_MTU, true);
	uint32_t seq = open_conn();
	assert_int_equal(tcp_send(conn, pattern, 20000), 0);
	run(NULL);
	assert_int_equal(n_sent, 2);
	check_tso(0, seq, 0, 14460, 1446);
	check_plain(1, seq + 14460, 14460, 140);
	bench_free();
}

/* test_tso_off -- TSO not wanted: MSS-sized plain segments only. */
static void
test_tso_off(void **state)
{
	(void)state;
	bench(TSO_PORT, false);
	uint32_t seq = open_conn();
	assert_int_equal(tcp_send(conn, pattern, 20000), 0);
	run(NULL);
	assert_int_equal(n_sent, 10);
	for (unsigned i = 0; i < 10; i++)
		check_plain(i, seq + 1460 * i, 1460 * i, 1460);
	assert_int_equal(tcp_counters(ts)[TCP_tso_segs_tx], 0);
	bench_free();
}

/*
 * test_send_some_bounds -- tcp_send_some takes up to send_queue_max,
 * then nothing until ACKs free the queue; with a queue bigger than the
 * pool, it stops while a quarter of the pool is still free.
 */
static void
test_send_some_bounds(void **state)
{
	size_t big = 30u << 20;
	uint8_t *buf = calloc(1, big);
	(void)state;

	assert_non_null(buf);
	bench_sq(TSO_PORT, false, 100000);
	uint32_t seq = open_conn();
	assert_int_equal(tcp_send_some(conn, buf, 150000), 100000);
	assert_int_equal(tcp_send_some(conn, buf, 10), 0);
	assert_int_equal(tcp_conn_unsent(conn), 100000);
	run(NULL);                       /* 10 segments out */
	run(tcp_frame(40000, 0x10, 1001, seq + 14600, 65535, NULL, 0, NULL,
		      0));
	assert_int_equal(tcp_send_some(conn, buf, 150000), 14600);
	bench_free();

	bench_sq(TSO_PORT, false, 1u << 30);
	open_conn();
	struct rte_mempool *pool = net->pool;
	long n = tcp_send_some(conn, buf, big);
	assert_true(n > 0 && (size_t)n < big);
	unsigned reserve = pool->size / 4;
	unsigned avail = rte_mempool_avail_count(pool);
	assert_true(avail >= reserve - 1 && avail <= reserve + 1);
	assert_int_equal(tcp_counters(ts)[TCP_send_queue_full], 1);
	/* small appends skip the check: one mbuf more is still taken */
	assert_int_equal(tcp_send_some(conn, buf, 100), 100);
	bench_free();
	free(buf);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_tso_one_segment),
	cmocka_unit_test(test_tso_aligned_start),
	cmocka_unit_test(test_tso_l2_quirk),
	cmocka_unit_test(test_tso_off),
	cmocka_unit_test(test_send_some_bounds),
};

RP_TEST_MAIN(tests, 1)
