/*
 * bench_tcp.c -- redpoll-bench's TCP transport: one connection per
 * client over redpoll's own TCP stack (dataplane/tcp.h, active open),
 * requests appended to the connection's send queue, replies taken in
 * order from the byte stream (bench_reply_stream) and matched to the
 * client's FIFO of request ids.
 *
 * A connection that fails to open, is reset or closed by the server
 * counts as a connection error; its requests in flight end as aborted
 * and its client sends no more. A request that timed out stays in the
 * FIFO, so its late reply is recognised (unmatched) and the replies
 * after it still meet their own requests.
 *
 * At the end of the run (detach) the connections are reset, which frees
 * them on the server at once, and the stack is freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "bench_reply.h"
#include "bench_run.h"
#include "tcp.h"

#define TCP_RCV_WND     (256 * 1024)
#define TCP_SYN_RETRIES 2               /* an open fails after 7 s */
#define TCP_REPLY_MAX   (64 * 1024 * 1024)
#define TCP_ENCODE_SLACK 32             /* bench_cmd_encode's margin */

enum tcl_state { TCL_OPENING, TCL_UP, TCL_GONE };

/* One client's connection. */
struct tcp_client {
	struct bench_run *r;
	struct tcp_conn *tc;
	enum tcl_state state;
	uint32_t *fifo;                 /* ids of the requests sent */
	unsigned head, n, cap;
	struct bench_reply_stream rx;
};

/* The transport's state (r->tp_ctx). */
struct tcp_bench {
	struct tcp_stack *ts;
	struct tcp_client *cl;
	unsigned n_clients;
	unsigned opening;
	bool detaching;                 /* closing upcalls are not errors */
	size_t req_max;
	char *req;                      /* one request, encoded */
};

/* fifo_push -- remember request id of client tcl. Returns 0 or -ENOMEM. */
static int
fifo_push(struct tcp_client *tcl, uint32_t id)
{
	if (tcl->n == tcl->cap) {
		unsigned cap = tcl->cap * 2;
		uint32_t *f = malloc(cap * sizeof(*f));
		if (f == NULL)
			return -ENOMEM;
		for (unsigned i = 0; i < tcl->n; i++)
			f[i] = tcl->fifo[(tcl->head + i) % tcl->cap];
		free(tcl->fifo);
		tcl->fifo = f;
		tcl->head = 0;
		tcl->cap = cap;
	}
	tcl->fifo[(tcl->head + tcl->n) % tcl->cap] = id;
	tcl->n++;
	return 0;
}

/* fifo_pop -- the id of client tcl's oldest request without reply. */
static uint32_t
fifo_pop(struct tcp_client *tcl)
{
	uint32_t id = tcl->fifo[tcl->head];

	tcl->head = (tcl->head + 1) % tcl->cap;
	tcl->n--;
	return id;
}

/* tcl_connected -- tcp_ops.connected: the client may send. */
static void
tcl_connected(void *app, struct tcp_conn *tc)
{
	struct tcp_client *tcl = app;
	struct tcp_bench *tb = tcl->r->tp_ctx;

	(void)tc;
	tcl->state = TCL_UP;
	tb->opening--;
}

/*
 * tcl_recv -- tcp_ops.recv: bytes of the reply stream; every complete
 * reply ends the oldest request of the client. A stream that is not
 * RESP2 resets the connection.
 */
static void
tcl_recv(void *app, const uint8_t *data, uint32_t len)
{
	struct tcp_client *tcl = app;
	struct bench_run *r = tcl->r;
	struct bench_reply_top top;
	const char *reply;
	size_t rlen;
	enum bench_reply_status st;

	if (tcl->state != TCL_UP)
		return;
	if (bench_reply_stream_append(&tcl->rx, data, len) != 0) {
		/* a reply larger than we hold: judge the request, drop */
		st = BENCH_REPLY_BAD;
		goto bad;
	}
	for (;;) {
		st = bench_reply_stream_next(&tcl->rx, &reply, &rlen, &top);
		if (st == BENCH_REPLY_PARTIAL)
			return;
		if (st == BENCH_REPLY_BAD)
			goto bad;
		if (tcl->n == 0) {
			bench_run_count(r, BENCH_C_unmatched);
			continue;
		}
		struct bench_slot *s = bench_run_slot(r, fifo_pop(tcl));
		if (s == NULL) {
			/* the reply of a request that timed out */
			bench_run_count(r, BENCH_C_unmatched);
			continue;
		}
		bench_run_reply(r, s, st, true, reply, &top);
	}
bad:
	if (tcl->n > 0) {
		struct bench_slot *s = bench_run_slot(r, fifo_pop(tcl));
		if (s != NULL)
			bench_run_reply(r, s, st, true, NULL, NULL);
	}
	tcp_abort(tcl->tc);
}

/* tcl_peer_closed -- tcp_ops.peer_closed: the server is done; so are we. */
static void
tcl_peer_closed(void *app)
{
	struct tcp_client *tcl = app;

	if (tcl->tc != NULL)
		tcp_close(tcl->tc);
}

/*
 * tcl_closed -- tcp_ops.closed: the connection failed to open or is
 * gone; its requests in flight are aborted.
 */
static void
tcl_closed(void *app)
{
	struct tcp_client *tcl = app;
	struct bench_run *r = tcl->r;
	struct tcp_bench *tb = r->tp_ctx;

	if (tcl->state == TCL_OPENING)
		tb->opening--;
	tcl->state = TCL_GONE;
	tcl->tc = NULL;
	if (tb->detaching)
		return;
	bench_run_conn_error(r);
	while (tcl->n > 0) {
		struct bench_slot *s = bench_run_slot(r, fifo_pop(tcl));
		if (s != NULL)
			bench_run_complete(r, s, BENCH_ABORTED);
	}
}

/* tcl_accept -- tcp_ops.accept: the bench listens on no port. */
static void *
tcl_accept(void *ctx, struct tcp_conn *tc)
{
	(void)ctx;
	(void)tc;
	return NULL;
}

static const struct tcp_ops tcl_ops = {
	.accept = tcl_accept,
	.connected = tcl_connected,
	.recv = tcl_recv,
	.peer_closed = tcl_peer_closed,
	.closed = tcl_closed,
};

/* tcp_detach -- reset the connections left, free the stack and state. */
static void
tcp_detach(struct bench_run *r)
{
	struct tcp_bench *tb = r->tp_ctx;

	if (tb == NULL)
		return;
	tb->detaching = true;
	if (tb->ts != NULL) {
		for (unsigned i = 0; i < tb->n_clients; i++)
			if (tb->cl[i].tc != NULL)
				tcp_abort(tb->cl[i].tc);
		tcp_flush(tb->ts);
		if (r->net.n_tx > 0)
			dp_net_tx_flush(&r->net);
		tcp_stack_free(tb->ts);
		r->net.tcp = NULL;
	}
	for (unsigned i = 0; tb->cl != NULL && i < tb->n_clients; i++) {
		free(tb->cl[i].fifo);
		bench_reply_stream_fini(&tb->cl[i].rx);
	}
	free(tb->cl);
	free(tb->req);
	free(tb);
	r->tp_ctx = NULL;
}

/*
 * tcp_attach -- a TCP stack on r->net and one active open per client.
 * Returns 0 or -ENOMEM; a connection that cannot even start is a
 * connection error, not a failure of the run.
 */
static int
tcp_attach(struct bench_run *r)
{
	const struct bench_opts *o = r->o;
	struct tcp_bench *tb = calloc(1, sizeof(*tb));

	if (tb == NULL)
		return -ENOMEM;
	r->tp_ctx = tb;
	tb->n_clients = o->clients;
	tb->req_max = bench_cmd_max_len(&r->probe, 1, 0);
	for (unsigned i = 0; i < o->n_cmds; i++) {
		size_t n = bench_cmd_max_len(&o->cmds[i], o->key_space,
					     o->data_max);
		if (n > tb->req_max)
			tb->req_max = n;
	}
	tb->req_max += TCP_ENCODE_SLACK;
	tb->req = malloc(tb->req_max);
	tb->cl = calloc(o->clients, sizeof(*tb->cl));
	if (tb->req == NULL || tb->cl == NULL)
		goto nomem;
	for (unsigned i = 0; i < o->clients; i++) {
		struct tcp_client *tcl = &tb->cl[i];
		tcl->r = r;
		tcl->state = TCL_GONE;
		tcl->cap = o->pipeline + 1;
		tcl->fifo = malloc(tcl->cap * sizeof(*tcl->fifo));
		if (tcl->fifo == NULL)
			goto nomem;
		bench_reply_stream_init(&tcl->rx, TCP_REPLY_MAX);
		r->clients[i].tp = tcl;
	}
	size_t sq = (size_t)o->pipeline * tb->req_max + 64 * 1024;
	struct tcp_params p = {
		.mss = (uint16_t)(r->net.mtu - 40),
		.rcv_wnd = TCP_RCV_WND,
		.max_conns = o->clients + 16,
		.backlog = 1,
		.send_queue_max = sq > UINT32_MAX / 2 ? UINT32_MAX / 2 :
				  (uint32_t)sq,
		.tso = (r->net.offloads & DP_OFF_TX_TCP_TSO) != 0,
		.syn_retries = TCP_SYN_RETRIES,
	};
	tb->ts = tcp_stack_create(&r->net, &p, &tcl_ops, tb);
	if (tb->ts == NULL)
		goto nomem;
	r->net.tcp = tb->ts;
	for (unsigned i = 0; i < o->clients; i++) {
		struct tcp_client *tcl = &tb->cl[i];
		if (tcp_connect(tb->ts, o->host, rte_cpu_to_be_16(o->port),
				tcl, &tcl->tc) != 0) {
			tcl->tc = NULL;
			bench_run_conn_error(r);
			continue;
		}
		tcl->state = TCL_OPENING;
		tb->opening++;
	}
	return 0;
nomem:
	tcp_detach(r);
	return -ENOMEM;
}

/* tcp_send_req -- append one request of client c to its connection. */
static int
tcp_send_req(struct bench_run *r, struct bench_client *c,
	     const struct bench_slot *s, const struct bench_cmd *cmd,
	     const struct bench_req *req)
{
	struct tcp_bench *tb = r->tp_ctx;
	struct tcp_client *tcl = c->tp;

	if (tcl->state == TCL_GONE)
		return -ENOTCONN;
	if (tcl->state != TCL_UP)
		return -EAGAIN;
	int len = bench_cmd_encode(cmd, req, tb->req, tb->req_max);
	if (len < 0)
		return len;
	if (fifo_push(tcl, s->id) != 0)
		return -ENOMEM;
	int rc = tcp_send(tcl->tc, tb->req, (size_t)len);
	if (rc != 0) {
		/* not queued: forget it again (it was the newest) */
		tcl->n--;
		return rc == -EPIPE ? -ENOTCONN : rc;
	}
	return 0;
}

/* tcp_input_burst -- a received burst, through dp_net to the stack. */
static void
tcp_input_burst(struct bench_run *r, struct rte_mbuf **pkts, uint16_t n)
{
	dp_net_input(&r->net, pkts, n);
}

/* tcp_poll -- once per iteration: the stack's timers and output. */
static void
tcp_poll(struct bench_run *r)
{
	struct tcp_bench *tb = r->tp_ctx;

	tcp_timer(tb->ts);
	tcp_flush(tb->ts);
}

/* tcp_opening -- connections still in their three-way handshake. */
static unsigned
tcp_opening(const struct bench_run *r)
{
	const struct tcp_bench *tb = r->tp_ctx;

	return tb->opening;
}

const struct bench_tp bench_tcp_transport = {
	.name = "tcp",
	.attach = tcp_attach,
	.send = tcp_send_req,
	.input = tcp_input_burst,
	.flush = tcp_poll,
	.opening = tcp_opening,
	.detach = tcp_detach,
};
