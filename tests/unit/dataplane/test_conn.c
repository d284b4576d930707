/*
 * test_conn.c -- dataplane/conn.c between a real TCP stack (fed
 * synthetic segments) and a real store shard: requests parsed in place
 * or reassembled across segments, pipelines, QUIT, protocol errors,
 * maxclients, the client list; output beyond the send queue, the
 * output budget (backpressure and the receive window), output and query
 * buffer limits.
 */
#include "unit.h"

#include "cfg.h"
#include "conn.h"
#include "frames.h"
#include "kv.h"
#include "worker.h"

static struct rp_config cfg;
static struct dp_worker *w;
static volatile bool quit;

/* reply_of -- the TCP payload captured so far, concatenated. */
static size_t
reply_of(char *out, size_t cap, uint8_t *flags)
{
	size_t n = 0;
	*flags = 0;
	for (unsigned i = 0; i < n_captured; i++) {
		struct rte_tcp_hdr *th = cap_tcp(i);
		unsigned len = cap_payload_len(i);
		assert_true(n + len <= cap);
		memcpy(out + n, (char *)th + (th->data_off >> 4) * 4, len);
		n += len;
		*flags |= th->tcp_flags;
	}
	return n;
}

/* end_of_iteration -- what the worker does after its RX burst. */
static void
end_of_iteration(void)
{
	dp_conn_service(w);
	kv_commit(w->shard);
	tcp_flush(w->net.tcp);
	dp_net_tx_flush(&w->net);
}

/* connect_peer -- handshake from pport; returns our next sequence. */
static uint32_t
connect_peer(uint16_t pport)
{
	clear_captured();
	struct rte_mbuf *m = tcp_frame(pport, 0x02, 1000, 0, 65535, NULL, 0,
				       NULL, 0);
	dp_net_input(&w->net, &m, 1);
	end_of_iteration();
	assert_int_equal(n_captured, 1);
	uint32_t iss = rte_be_to_cpu_32(cap_tcp(0)->sent_seq);
	clear_captured();
	m = tcp_frame(pport, 0x10, 1001, iss + 1, 65535, NULL, 0, NULL, 0);
	dp_net_input(&w->net, &m, 1);
	end_of_iteration();
	return iss + 1;
}

/* send_data -- a data segment at peer sequence seq; run an iteration. */
static void
send_data(uint16_t pport, uint32_t seq, uint32_t ack, const char *data)
{
	struct rte_mbuf *m = tcp_frame(pport, 0x18, seq, ack, 65535, NULL, 0,
				       data, strlen(data));
	dp_net_input(&w->net, &m, 1);
	end_of_iteration();
}

#define EXPECT_REPLY(want)                                              \
	do {                                                             \
		char got_[4096];                                         \
		uint8_t fl_;                                             \
		size_t n_ = reply_of(got_, sizeof(got_), &fl_);          \
		assert_int_equal(n_, strlen(want));                      \
		assert_memory_equal(got_, want, n_);                     \
	} while (0)

static void
test_pipeline_one_segment(void **state)
{
	(void)state;
	uint32_t ack = connect_peer(41000);
	clear_captured();
	send_data(41000, 1001, ack, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
		  "GET k\r\nPING\r\n");
	EXPECT_REPLY("+OK\r\n$1\r\nv\r\n+PONG\r\n");
	assert_int_equal(n_captured, 1);    /* one segment, ACK included */
}

static void
test_request_across_segments(void **state)
{
	(void)state;
	uint32_t ack = connect_peer(41001);
	clear_captured();
	send_data(41001, 1001, ack, "*2\r\n$4\r\nECHO\r\n$10\r\nhel");
	uint8_t fl;
	char buf[64];
	assert_int_equal(reply_of(buf, sizeof(buf), &fl), 0);   /* ACK only */
	clear_captured();
	send_data(41001, 1001 + 22, ack, "lo worl");
	clear_captured();
	send_data(41001, 1001 + 29, ack, "\r\n*1\r\n$4\r\nPING\r\n");
	EXPECT_REPLY("$10\r\nhello worl\r\n+PONG\r\n");
}

static void
test_quit_closes(void **state)
{
	(void)state;
	uint32_t ack = connect_peer(41002);
	clear_captured();
	send_data(41002, 1001, ack, "QUIT\r\nPING\r\n");
	EXPECT_REPLY("+OK\r\n");
	uint8_t fl;
	char buf[64];
	reply_of(buf, sizeof(buf), &fl);
	assert_true(fl & 0x01);             /* FIN after the reply */
}

static void
test_protocol_error_closes(void **state)
{
	(void)state;
	uint32_t ack = connect_peer(41003);
	clear_captured();
	send_data(41003, 1001, ack, "PING\r\n*1\r\nxx\r\nPING\r\n");
	EXPECT_REPLY("+PONG\r\n-ERR Protocol error: expected '$', got 'x'\r\n");
	assert_int_equal(w->counters[DP_W_protocol_errors], 1);
}

static void
test_maxclients(void **state)
{
	(void)state;
	cfg.maxclients = 1;
	connect_peer(41004);
	connect_peer(41005);
	/* The second client got the error and a FIN in the same iteration
	 * as the handshake's end; its output went out then. */
	assert_int_equal(w->counters[DP_W_conns_rejected], 1);
}

static void
count_client(struct kv_client *c, void *arg)
{
	(void)c;
	(*(unsigned *)arg)++;
}

static void
test_client_list(void **state)
{
	unsigned n = 0;
	(void)state;
	connect_peer(41006);
	connect_peer(41007);
	dp_conn_foreach(w, count_client, &n);
	assert_int_equal(n, 2);
	assert_int_equal(w->n_conns, 2);
}

/*
 * A peer that reads: collects our payload in order, acknowledges all of
 * it with the window it has (the data it sent so far is rcv_seq).
 */
struct reader {
	uint16_t pport;
	uint32_t snd_nxt;       /* next byte of ours the peer expects */
	uint32_t seq;           /* the peer's next sequence */
	char *buf;
	size_t len, cap;
	uint8_t flags;          /* flags seen on our segments */
	uint16_t last_win;      /* window of our last segment */
};

/* reader_take -- move the captured payload into r->buf (in order). */
static void
reader_take(struct reader *r)
{
	for (unsigned i = 0; i < n_captured; i++) {
		struct rte_tcp_hdr *th = cap_tcp(i);
		unsigned len = cap_payload_len(i);
		uint32_t seq = rte_be_to_cpu_32(th->sent_seq);
		r->flags |= th->tcp_flags;
		r->last_win = rte_be_to_cpu_16(th->rx_win);
		if (len == 0 || seq != r->snd_nxt)
			continue;   /* pure ACKs; nothing is lost here */
		assert_true(r->len + len <= r->cap);
		memcpy(r->buf + r->len, (char *)th + (th->data_off >> 4) * 4,
		       len);
		r->len += len;
		r->snd_nxt += len;
	}
	clear_captured();
}

/* reader_ack -- acknowledge what was taken; run an iteration. */
static void
reader_ack(struct reader *r)
{
	struct rte_mbuf *m = tcp_frame(r->pport, 0x10, r->seq, r->snd_nxt,
				       65535, NULL, 0, NULL, 0);
	dp_net_input(&w->net, &m, 1);
	end_of_iteration();
}

/* reader_drain -- read and acknowledge until nothing more comes. */
static void
reader_drain(struct reader *r)
{
	for (int i = 0; i < 100000; i++) {
		size_t before = r->len;
		reader_take(r);
		if (r->len == before && i > 0)
			return;
		reader_ack(r);
	}
	fail_msg("output never stopped");
}

/* reader_send -- the peer sends text (one segment); run an iteration. */
static void
reader_send(struct reader *r, const char *text, uint8_t flags)
{
	size_t len = strlen(text);
	struct rte_mbuf *m = tcp_frame(r->pport, flags, r->seq, r->snd_nxt,
				       65535, NULL, 0, text, len);
	dp_net_input(&w->net, &m, 1);
	r->seq += (uint32_t)len + ((flags & 0x01) ? 1 : 0);
	end_of_iteration();
}

/* reader_open -- connect and make key k a value of size bytes. */
static void
reader_open(struct reader *r, uint16_t pport, size_t size, size_t cap)
{
	char cmd[64];

	memset(r, 0, sizeof(*r));
	r->pport = pport;
	r->snd_nxt = connect_peer(pport);
	r->seq = 1001;
	r->cap = cap;
	r->buf = malloc(cap);
	assert_non_null(r->buf);
	snprintf(cmd, sizeof(cmd), "SETRANGE k %zu x\r\n", size - 1);
	reader_send(r, cmd, 0x18);
	reader_drain(r);
	snprintf(cmd, sizeof(cmd), ":%zu\r\n", size);
	assert_int_equal(r->len, strlen(cmd));
	assert_memory_equal(r->buf, cmd, r->len);
	r->len = 0;
}

/* expect_bulk -- r->buf at off holds GET k's reply for size bytes. */
static size_t
expect_bulk(const struct reader *r, size_t off, size_t size)
{
	char hdr[32];
	int n = snprintf(hdr, sizeof(hdr), "$%zu\r\n", size);

	assert_true(off + (size_t)n + size + 2 <= r->len);
	assert_memory_equal(r->buf + off, hdr, (size_t)n);
	for (size_t i = 0; i < size - 1; i++)
		if (r->buf[off + (size_t)n + i] != '\0')
			fail_msg("byte %zu of the value is %d", i,
				 r->buf[off + (size_t)n + i]);
	assert_int_equal(r->buf[off + (size_t)n + size - 1], 'x');
	assert_memory_equal(r->buf + off + (size_t)n + size, "\r\n", 2);
	return off + (size_t)n + size + 2;
}

/*
 * test_obuf_check -- the limit rule itself: hard reached closes, soft
 * reached starts a clock that closes only past soft_seconds, dropping
 * below soft stops it, 0 means no limit.
 */
static void
test_obuf_check(void **state)
{
	struct cfg_obuf_limit none = { 0, 0, 0 };
	struct cfg_obuf_limit hard = { 1000, 0, 0 };
	struct cfg_obuf_limit soft = { 0, 100, 2 };
	uint64_t since = 0, hz = 1000;
	(void)state;

	assert_false(dp_conn_obuf_check(&none, 1ull << 40, 5, hz, &since));
	assert_false(dp_conn_obuf_check(&hard, 999, 5, hz, &since));
	assert_true(dp_conn_obuf_check(&hard, 1000, 5, hz, &since));
	assert_false(dp_conn_obuf_check(&soft, 99, 5000, hz, &since));
	assert_int_equal(since, 0);
	assert_false(dp_conn_obuf_check(&soft, 100, 5000, hz, &since));
	assert_int_equal(since, 5000);
	/* 2 s later is not more than 2 s */
	assert_false(dp_conn_obuf_check(&soft, 500, 7999, hz, &since));
	assert_false(dp_conn_obuf_check(&soft, 500, 7000, hz, &since));
	assert_true(dp_conn_obuf_check(&soft, 500, 8000, hz, &since));
	/* below the soft limit: the clock starts again */
	assert_false(dp_conn_obuf_check(&soft, 10, 9000, hz, &since));
	assert_int_equal(since, 0);
	assert_false(dp_conn_obuf_check(&soft, 100, 9500, hz, &since));
	assert_false(dp_conn_obuf_check(&soft, 100, 11000, hz, &since));
	assert_true(dp_conn_obuf_check(&soft, 100, 12600, hz, &since));
}

/*
 * test_backpressure -- a pipeline of big GETs: past the budget the
 * next requests wait (the window shrinks by what waits), and run as
 * the reader acknowledges; every reply arrives whole and in order.
 */
static void
test_backpressure(void **state)
{
	struct reader r;
	(void)state;

	cfg.client_output_budget = 16 * 1024;
	reader_open(&r, 41010, 30000, 1 << 20);
	reader_send(&r, "GET k\r\nGET k\r\nGET k\r\nPING\r\n", 0x18);
	assert_int_equal(w->counters[DP_W_output_blocked], 1);
	/* 20 bytes wait unexecuted: the window (no scaling) shows it */
	reader_take(&r);
	assert_int_equal(r.last_win, 65535 - 20);
	assert_true(r.len < 30000);      /* the initial window only */
	reader_drain(&r);
	size_t off = expect_bulk(&r, 0, 30000);
	off = expect_bulk(&r, off, 30000);
	off = expect_bulk(&r, off, 30000);
	assert_int_equal(r.len, off + 7);
	assert_memory_equal(r.buf + off, "+PONG\r\n", 7);
	assert_int_equal(w->counters[DP_W_output_blocked], 3);
	assert_int_equal(r.last_win, 65535);   /* the window reopened */
	assert_int_equal(dp_conn_output_bytes(w), 0);
	free(r.buf);
}

/*
 * test_output_buffer -- a reply larger than the send queue (1 MiB here)
 * waits in the output buffer and goes out whole as the queue drains;
 * QUIT after it closes only once it is all out.
 */
static void
test_output_buffer(void **state)
{
	struct reader r;
	size_t size = 1500 * 1000;
	(void)state;

	reader_open(&r, 41011, size, 2 << 20);
	reader_send(&r, "GET k\r\nQUIT\r\n", 0x18);
	assert_true(dp_conn_output_bytes(w) > (1u << 20));
	reader_drain(&r);
	size_t off = expect_bulk(&r, 0, size);
	assert_int_equal(r.len, off + 5);
	assert_memory_equal(r.buf + off, "+OK\r\n", 5);
	assert_true(r.flags & 0x01);             /* FIN after it */
	assert_int_equal(dp_conn_output_bytes(w), 0);
	free(r.buf);
}

/*
 * test_eof_while_blocked -- requests pipelined before the peer's FIN
 * still run once the output drains; then the connection closes.
 */
static void
test_eof_while_blocked(void **state)
{
	struct reader r;
	(void)state;

	cfg.client_output_budget = 16 * 1024;
	reader_open(&r, 41012, 30000, 1 << 20);
	reader_send(&r, "GET k\r\nPING\r\n", 0x19);
	reader_drain(&r);
	size_t off = expect_bulk(&r, 0, 30000);
	assert_int_equal(r.len, off + 7);
	assert_memory_equal(r.buf + off, "+PONG\r\n", 7);
	assert_true(r.flags & 0x01);
	free(r.buf);
}

/*
 * test_output_hard_limit -- client-output-buffer-limit normal 8kb: a
 * 30000-byte reply (13.6 KB beyond the 16 KiB Redis does not count)
 * closes the client (RST) and counts; a small one does not.
 */
static void
test_output_hard_limit(void **state)
{
	struct reader r;
	(void)state;

	cfg.obuf_limits[CFG_OBUF_NORMAL].hard = 8 * 1024;
	reader_open(&r, 41013, 30000, 1 << 20);
	reader_send(&r, "GETRANGE k 0 9\r\n", 0x18);
	reader_drain(&r);
	assert_int_equal(w->counters[DP_W_output_limit_closes], 0);
	reader_send(&r, "GET k\r\nPING\r\n", 0x18);
	reader_take(&r);
	assert_true(r.flags & 0x04);             /* RST */
	assert_int_equal(w->counters[DP_W_output_limit_closes], 1);
	assert_int_equal(w->n_conns, 0);
	free(r.buf);
}

/*
 * test_output_soft_limit -- soft 8kb for 1 s: a reader that leaves a
 * 30000-byte reply unacknowledged is closed once more than a second has
 * passed (clock checked by dp_conn_service), not before.
 */
static void
test_output_soft_limit(void **state)
{
	struct reader r;
	(void)state;

	cfg.obuf_limits[CFG_OBUF_NORMAL].soft = 8 * 1024;
	cfg.obuf_limits[CFG_OBUF_NORMAL].soft_seconds = 1;
	reader_open(&r, 41014, 30000, 1 << 20);
	reader_send(&r, "GET k\r\n", 0x18);
	reader_take(&r);
	w->net.now_tsc += w->net.tsc_hz;         /* 1 s: not more than 1 */
	end_of_iteration();
	assert_int_equal(w->counters[DP_W_output_limit_closes], 0);
	w->net.now_tsc += w->net.tsc_hz;
	end_of_iteration();
	assert_int_equal(w->counters[DP_W_output_limit_closes], 1);
	reader_take(&r);
	assert_true(r.flags & 0x04);
	free(r.buf);
}

/*
 * test_query_limit -- client-query-buffer-limit: a request whose
 * unprocessed bytes exceed it closes the client without a reply.
 */
static void
test_query_limit(void **state)
{
	struct reader r;
	(void)state;

	cfg.client_query_buf_limit = 1000;
	reader_open(&r, 41015, 10, 1 << 16);
	reader_send(&r, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000\r\n", 0x18);
	char part[1001];
	memset(part, 'a', 1000);
	part[1000] = '\0';
	reader_send(&r, part, 0x18);
	reader_take(&r);
	assert_int_equal(r.len, 0);
	assert_true(r.flags & 0x04);
	assert_int_equal(w->counters[DP_W_query_limit_closes], 1);
	free(r.buf);
}

/*
 * test_timeout_slow_reader -- "timeout" spares a client whose output
 * keeps draining (as Redis counts writes as interaction), and closes it
 * once nothing moves.
 */
static void
test_timeout_slow_reader(void **state)
{
	struct reader r;
	(void)state;

	cfg.timeout = 1;
	reader_open(&r, 41016, 30000, 1 << 20);
	uint32_t base = r.snd_nxt;
	reader_send(&r, "GET k\r\n", 0x18);
	reader_take(&r);
	for (uint32_t i = 1; i <= 6; i++) {
		w->net.now_tsc += w->net.tsc_hz / 2;
		struct rte_mbuf *m = tcp_frame(r.pport, 0x10, r.seq,
					       base + 1000 * i, 65535, NULL,
					       0, NULL, 0);
		dp_net_input(&w->net, &m, 1);
		end_of_iteration();
		clear_captured();
	}
	assert_int_equal(w->counters[DP_W_idle_timeouts], 0);
	assert_int_equal(w->n_conns, 1);
	for (int i = 0; i < 3; i++) {
		w->net.now_tsc += w->net.tsc_hz;
		end_of_iteration();
	}
	assert_int_equal(w->counters[DP_W_idle_timeouts], 1);
	free(r.buf);
}

static int
setup(void **state)
{
	(void)state;
	cfg_init(&cfg);
	w = rte_zmalloc(NULL, sizeof(*w), 64);
	bench_net_init(&w->net, DP_OFF_TX_MULTI_SEGS);
	net = &w->net;
	w->cfg = &cfg;
	w->quit = &quit;
	struct kv_shard_params sp = { .cfg = &cfg };
	w->shard = kv_shard_create(&sp);
	assert_non_null(w->shard);
	struct tcp_params tp = { .mss = 1460, .rcv_wnd = 65535,
				 .max_conns = 64, .backlog = 16,
				 .send_queue_max = 1 << 20 };
	w->net.tcp = tcp_stack_create(&w->net, &tp, &dp_conn_tcp_ops, w);
	tcp_listen(w->net.tcp, 6379);
	learn_peer();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	dp_conn_fini(w);
	tcp_stack_free(w->net.tcp);
	kv_shard_free(w->shard);
	clear_captured();
	dp_net_fini(&w->net);
	rte_free(w);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
static const struct CMUnitTest tests[] = {
	T(test_pipeline_one_segment),
	T(test_request_across_segments),
	T(test_quit_closes),
	T(test_protocol_error_closes),
	T(test_maxclients),
	T(test_client_list),
	T(test_obuf_check),
	T(test_backpressure),
	T(test_output_buffer),
	T(test_eof_while_blocked),
	T(test_output_hard_limit),
	T(test_output_soft_limit),
	T(test_query_limit),
	T(test_timeout_slow_reader),
};

RP_TEST_MAIN(tests, 1)
