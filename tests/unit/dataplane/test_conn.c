/*
 * test_conn.c -- dataplane/conn.c between a real TCP stack (fed
 * synthetic segments) and a real store shard: requests parsed in place
 * or reassembled across segments, pipelines, QUIT, protocol errors,
 * maxclients, the client list.
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
};

RP_TEST_MAIN(tests, 1)
