/*
 * conn.c -- client connections.
 *
 * A connection couples a TCP connection with a RESP parser and the store's
 * per-client state. Payload is parsed in place from the segment when whole
 * requests sit in it (zero-copy); only the unfinished tail of a segment is
 * copied into the query buffer, where a request that spans segments is
 * reassembled. Replies go straight into the TCP send queue's mbufs through
 * the client's write function; they leave the box only after the worker's
 * group commit (worker.c).
 *
 * Closing is deferred: upcalls run inside the TCP stack's input
 * processing, so a connection that must close (QUIT, protocol error,
 * output limit) is put on the worker's deferred list and closed by
 * dp_conn_service after the burst.
 *
 * Output is bounded in two places. The TCP send queue takes what
 * tcp_send_some accepts (send_queue_max per connection, and never the
 * last quarter of the worker's mbuf pool); the rest of a reply waits in
 * the connection's output buffer (heap memory) and moves to the send
 * queue as acknowledgements free it (dp_conn_service, connections on
 * w->out_conns). A connection whose pending output (send queue plus
 * output buffer) exceeds client-output-budget stops executing requests
 * (backpressure): what it pipelines waits in the query buffer, and the
 * TCP window it advertises shrinks by that much, until the output drains
 * below the budget. client-output-buffer-limit closes a client as Redis
 * does; client-query-buffer-limit bounds the query buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_log.h>

#include "cfg.h"
#include "conn.h"
#include "xcore.h"
#include "kv.h"
#include "resp.h"
#include "worker.h"

#define CONN_QBUF_MIN 4096
#define CONN_OBUF_KEEP (64 * 1024)  /* output buffer kept once empty */
/*
 * Redis replies first into a 16 KiB buffer of each client that its
 * output limits do not count; the limits here leave out as much.
 */
#define CONN_OBUF_UNCOUNTED (16 * 1024)

RTE_LOG_REGISTER(dp_conn_logtype, redpoll.conn, NOTICE);

enum conn_close {
	CONN_OPEN = 0,
	CONN_CLOSE,     /* send what is queued, then FIN */
	CONN_ABORT,     /* RST now */
};

struct dp_conn {
	struct kv_client client;        /* first: the store's view */
	struct tcp_conn *tc;            /* NULL once the stack closed it */
	struct dp_worker *w;
	struct resp_parser parser;
	char *qbuf;                     /* unfinished request bytes */
	size_t qlen, qcap;
	struct kv_arg *argv;            /* arguments of the current request */
	uint32_t argv_cap;
	enum conn_close close;          /* what dp_conn_service must do */
	enum conn_close done;           /* what it already did */
	uint64_t last_tsc;              /* last input, for "timeout" */
	bool waiting;                   /* too many routed, or a barrier:
					 * parsing paused */
	bool blocked;                   /* output over budget: paused */
	bool eof;                       /* peer's FIN came while paused */
	bool on_out;                    /* on w->out_conns */
	/* Output the send queue did not take yet: obuf[ooff, olen). */
	char *obuf;
	size_t olen, ooff, ocap;
	uint64_t soft_tsc;              /* over the soft limit since, 0: not */
	uint64_t last_pending;          /* pending output at the last check */
	struct dp_conn *next_out;       /* w->out_conns */
	/* Replies in request order while routed requests are out: */
	struct conn_slot *slots, *slots_tail;
	struct conn_slot *spare;        /* for the next request: a request
					 * that runs here needs none */
	unsigned routed;                /* slots still waiting */
	struct conn_slot *barrier;      /* parsing waits for this reply */
	struct dp_conn *prev, *next;    /* w->conns */
	struct dp_conn *next_deferred;  /* w->deferred */
	int deferred;
};

/* Routed requests a connection may have out before parsing pauses. */
#define CONN_MAX_ROUTED 256

/*
 * One reply in a connection's output order: either bytes already there
 * (ready) or the place of a request that runs on another worker. While
 * a connection has slots, every reply goes through them, so replies
 * leave in request order whatever finishes first.
 */
struct conn_slot {
	struct conn_slot *next;
	struct dp_conn *conn;           /* NULL: the connection went away */
	bool ready;
	char *buf;
	size_t len, cap;
};

/* conn_defer -- schedule a close or an abort after the current burst. */
static void
conn_defer(struct dp_conn *c, enum conn_close how)
{
	if (how > c->close)
		c->close = how;
	if (!c->deferred) {
		c->deferred = 1;
		c->next_deferred = c->w->deferred;
		c->w->deferred = c;
	}
}

/* conn_pending -- output not yet acknowledged: send queue + buffer. */
static uint64_t
conn_pending(const struct dp_conn *c)
{
	return (c->tc != NULL ? tcp_conn_unsent(c->tc) : 0) +
	       (c->olen - c->ooff);
}

/* conn_out_watch -- have dp_conn_service look at c (output waiting). */
static void
conn_out_watch(struct dp_conn *c)
{
	if (c->on_out)
		return;
	c->on_out = true;
	c->next_out = c->w->out_conns;
	c->w->out_conns = c;
}

/*
 * dp_conn_obuf_check -- client-output-buffer-limit for pending bytes of
 * a client of class lim, at now_tsc (since_tsc: when it reached the
 * soft limit, 0 if not; updated). As Redis: the hard limit reached
 * closes; the soft limit reached starts a clock, and a client still at
 * or over it more than soft_seconds later closes; below it, the clock
 * stops. Returns true when the client must be closed.
 */
bool
dp_conn_obuf_check(const struct cfg_obuf_limit *lim, uint64_t pending,
		   uint64_t now_tsc, uint64_t tsc_hz, uint64_t *since_tsc)
{
	if (lim->hard != 0 && pending >= lim->hard)
		return true;
	if (lim->soft == 0 || pending < lim->soft) {
		*since_tsc = 0;
		return false;
	}
	if (*since_tsc == 0) {
		*since_tsc = now_tsc;
		return false;
	}
	return (now_tsc - *since_tsc) / tsc_hz > lim->soft_seconds;
}

/* conn_counted -- the pending output the output limits count (omem). */
static uint64_t
conn_counted(const struct dp_conn *c)
{
	uint64_t pending = conn_pending(c);

	return pending > CONN_OBUF_UNCOUNTED ?
	       pending - CONN_OBUF_UNCOUNTED : 0;
}

/* conn_check_limits -- close c if it passed its output buffer limit. */
static void
conn_check_limits(struct dp_conn *c)
{
	struct dp_worker *w = c->w;
	uint64_t pending = conn_pending(c);

	if (pending > w->out_max)
		w->out_max = pending;
	if (c->close == CONN_ABORT)
		return;
	pending = conn_counted(c);
	if (!dp_conn_obuf_check(&w->cfg->obuf_limits[CFG_OBUF_NORMAL],
				pending, w->net.now_tsc, w->net.tsc_hz,
				&c->soft_tsc)) {
		if (c->soft_tsc != 0)
			conn_out_watch(c);      /* the soft limit's clock */
		return;
	}
	w->counters[DP_W_output_limit_closes]++;
	rte_log(RTE_LOG_WARNING, dp_conn_logtype, "Client addr=%s laddr=%s "
		"omem=%llu scheduled to be closed ASAP for overcoming of "
		"output buffer limits.\n", c->client.addr, c->client.laddr,
		(unsigned long long)pending);
	conn_defer(c, CONN_ABORT);
}

/* obuf_add -- keep len bytes of output in the output buffer. */
static int
obuf_add(struct dp_conn *c, const char *buf, size_t len)
{
	if (c->ooff > 0 && c->olen + len > c->ocap) {
		memmove(c->obuf, c->obuf + c->ooff, c->olen - c->ooff);
		c->olen -= c->ooff;
		c->ooff = 0;
	}
	if (c->olen + len > c->ocap) {
		size_t cap = c->ocap ? c->ocap : 4096;
		while (cap < c->olen + len)
			cap *= 2;
		char *p = realloc(c->obuf, cap);
		if (p == NULL)
			return -ENOMEM;
		c->obuf = p;
		c->ocap = cap;
	}
	memcpy(c->obuf + c->olen, buf, len);
	c->olen += len;
	return 0;
}

/* obuf_reset -- the output buffer is empty: give back a big one. */
static void
obuf_reset(struct dp_conn *c)
{
	c->olen = c->ooff = 0;
	if (c->ocap > CONN_OBUF_KEEP) {
		free(c->obuf);
		c->obuf = NULL;
		c->ocap = 0;
	}
}

/*
 * conn_send -- append reply bytes to the connection's output: into the
 * TCP send queue as far as it takes them, the rest into the output
 * buffer (behind what already waits there). Then the output limits.
 */
static void
conn_send(struct dp_conn *c, const void *buf, size_t len)
{
	size_t done = 0;

	if (c->tc == NULL || c->close == CONN_ABORT)
		return;
	if (c->olen == c->ooff) {
		long n = tcp_send_some(c->tc, buf, len);
		if (n < 0) {
			conn_defer(c, CONN_ABORT);      /* cannot send */
			return;
		}
		done = (size_t)n;
	}
	if (done < len) {
		if (obuf_add(c, (const char *)buf + done, len - done) != 0) {
			conn_defer(c, CONN_ABORT);
			return;
		}
		conn_out_watch(c);
	}
	conn_check_limits(c);
}

/*
 * conn_out_refill -- move output buffer bytes into the send queue, as
 * far as it takes them now.
 */
static void
conn_out_refill(struct dp_conn *c)
{
	while (c->ooff < c->olen && c->tc != NULL) {
		long n = tcp_send_some(c->tc, c->obuf + c->ooff,
				       c->olen - c->ooff);
		if (n <= 0) {
			if (n < 0)
				conn_defer(c, CONN_ABORT);
			return;
		}
		c->ooff += (size_t)n;
	}
	if (c->ooff == c->olen)
		obuf_reset(c);
}

/* slot_add -- append bytes to a slot; false when memory runs out. */
static bool
slot_add(struct conn_slot *sl, const void *buf, size_t len)
{
	if (sl->len + len > sl->cap) {
		size_t cap = sl->cap ? sl->cap : 256;
		while (cap < sl->len + len)
			cap *= 2;
		char *p = realloc(sl->buf, cap);
		if (p == NULL)
			return false;
		sl->buf = p;
		sl->cap = cap;
	}
	memcpy(sl->buf + sl->len, buf, len);
	sl->len += len;
	return true;
}

static void
slot_free(struct conn_slot *sl)
{
	free(sl->buf);
	free(sl);
}

/* slots_flush -- send the ready replies at the head of the order. */
static void
slots_flush(struct dp_conn *c)
{
	while (c->slots != NULL && c->slots->ready) {
		struct conn_slot *sl = c->slots;
		c->slots = sl->next;
		if (c->slots == NULL)
			c->slots_tail = NULL;
		conn_send(c, sl->buf, sl->len);
		slot_free(sl);
	}
}

/*
 * conn_write -- the client's write function: reply bytes go out now or,
 * behind a request routed to another worker, into its slot order.
 */
static void
conn_write(void *sink, const void *buf, size_t len)
{
	struct dp_conn *c = sink;

	if (c->slots == NULL) {
		conn_send(c, buf, len);
		return;
	}
	/* Behind a routed request: keep the order. */
	struct conn_slot *t = c->slots_tail;
	if (!t->ready) {
		t = calloc(1, sizeof(*t));
		if (t == NULL) {
			conn_defer(c, CONN_ABORT);
			return;
		}
		t->conn = c;
		t->ready = true;
		c->slots_tail->next = t;
		c->slots_tail = t;
	}
	if (!slot_add(t, buf, len))
		conn_defer(c, CONN_ABORT);
}

/* slots_release -- the connection goes: keep only the slots that a
 * routed reply will still land in (freed then). */
static void
slots_release(struct dp_conn *c)
{
	while (c->slots != NULL) {
		struct conn_slot *sl = c->slots;
		c->slots = sl->next;
		if (sl->ready)
			slot_free(sl);
		else
			sl->conn = NULL;
	}
	c->slots_tail = NULL;
	c->routed = 0;
	c->barrier = NULL;
}

/* conn_alloc -- a connection struct from the worker's free list. */
static struct dp_conn *
conn_alloc(struct dp_worker *w)
{
	struct dp_conn *c = w->free_conns;

	if (c != NULL) {
		w->free_conns = c->next;
		return c;
	}
	c = calloc(1, sizeof(*c));
	if (c != NULL)
		resp_parser_init(&c->parser);
	return c;
}

/* format_addr -- "a.b.c.d:port" from network-order values. */
static void
format_addr(char *buf, size_t len, uint32_t ip, uint16_t port)
{
	uint32_t h = rte_be_to_cpu_32(ip);

	snprintf(buf, len, "%u.%u.%u.%u:%u", h >> 24, (h >> 16) & 0xff,
		 (h >> 8) & 0xff, h & 0xff, rte_be_to_cpu_16(port));
}

/* conn_accept -- tcp_ops.accept: a new client. */
static void *
conn_accept(void *ctx, struct tcp_conn *tc)
{
	struct dp_worker *w = ctx;
	struct dp_conn *c = conn_alloc(w);
	uint32_t raddr, laddr;
	uint16_t rport, lport;

	if (c == NULL) {
		w->counters[DP_W_conns_rejected]++;
		return NULL;
	}
	c->tc = tc;
	c->w = w;
	c->waiting = false;
	c->barrier = NULL;
	c->blocked = false;
	c->eof = false;
	c->soft_tsc = 0;
	c->last_pending = 0;
	c->qlen = 0;
	c->close = CONN_OPEN;
	c->done = CONN_OPEN;
	c->deferred = 0;
	c->last_tsc = w->net.now_tsc;
	resp_parser_reset(&c->parser);
	kv_client_init(&c->client, conn_write, c);
	tcp_conn_addrs(tc, &raddr, &rport, &laddr, &lport);
	format_addr(c->client.addr, sizeof(c->client.addr), raddr, rport);
	format_addr(c->client.laddr, sizeof(c->client.laddr), laddr, lport);

	c->prev = NULL;
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	w->n_conns++;
	w->counters[DP_W_conns_accepted]++;

	if (w->n_conns > w->cfg->maxclients) {
		static const char msg[] = "-ERR max number of clients reached\r\n";
		w->counters[DP_W_conns_rejected]++;
		conn_write(c, msg, sizeof(msg) - 1);
		conn_defer(c, CONN_CLOSE);
	}
	return c;
}

/* conn_argv_reserve -- make room for n arguments. */
static int
conn_argv_reserve(struct dp_conn *c, uint32_t n)
{
	if (n <= c->argv_cap)
		return 0;
	uint32_t cap = c->argv_cap ? c->argv_cap : 16;
	while (cap < n)
		cap *= 2;
	struct kv_arg *a = realloc(c->argv, cap * sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	c->argv = a;
	c->argv_cap = cap;
	return 0;
}

/* conn_protocol_error -- reply with the parser's error and close. */
static void
conn_protocol_error(struct dp_conn *c, const char *text)
{
	char buf[160];
	int n = snprintf(buf, sizeof(buf), "-ERR %s\r\n", text);

	c->w->counters[DP_W_protocol_errors]++;
	conn_write(c, buf, (size_t)n);
	conn_defer(c, CONN_CLOSE);
}

static void conn_routed_done(struct dp_worker *w, void *owner,
			     const char *reply, size_t len);

/*
 * conn_process -- parse and execute every complete request of buf, up
 * to one that runs on another worker (the rest waits for its reply).
 * Returns the bytes consumed; the rest is the start of an unfinished
 * request (the parser's offsets are relative to buf + returned value).
 */
static size_t
conn_process(struct dp_conn *c, char *buf, size_t len)
{
	struct dp_worker *w = c->w;
	size_t off = 0;

	while (off < len && c->close == CONN_OPEN && !c->waiting &&
	       !c->blocked) {
		size_t used = 0;
		enum resp_status st = resp_parse(&c->parser, buf + off,
						 len - off, &used);
		if (st == RESP_NEED_MORE)
			break;
		if (st == RESP_ERROR) {
			conn_protocol_error(c, c->parser.err);
			return len;
		}
		if (st == RESP_DONE) {
			const struct resp_parser *p = &c->parser;
			if (conn_argv_reserve(c, p->argc) != 0) {
				conn_defer(c, CONN_ABORT);
				return len;
			}
			for (uint32_t i = 0; i < p->argc; i++) {
				c->argv[i].ptr = buf + off + p->argv[i].off;
				c->argv[i].len = p->argv[i].len;
			}
			/* The place of the reply if the request runs on
			 * another worker; kept for the next one if not, so
			 * local requests allocate nothing. */
			struct conn_slot *sl = c->spare;
			if (sl == NULL && (sl = calloc(1, sizeof(*sl))) == NULL) {
				conn_defer(c, CONN_ABORT);
				return len;
			}
			c->spare = NULL;
			sl->conn = c;
			struct dp_xc_owner o = { conn_routed_done, sl };
			w->counters[DP_W_commands]++;
			if (dp_xc_execute(w, &c->client, (int)p->argc, c->argv,
					  &o)) {
				c->spare = sl;   /* ran here, replied */
			} else {
				if (c->slots_tail != NULL)
					c->slots_tail->next = sl;
				else
					c->slots = sl;
				c->slots_tail = sl;
				if (++c->routed >= CONN_MAX_ROUTED)
					c->waiting = true;
				if (o.barrier) {
					c->barrier = sl;
					c->waiting = true;
				}
			}
			if (c->client.flags & KV_CLIENT_CLOSE_AFTER_REPLY)
				conn_defer(c, CONN_CLOSE);
			/* Backpressure: the next requests wait while the
			 * output is over the budget. */
			if (conn_pending(c) > w->cfg->client_output_budget) {
				c->blocked = true;
				w->counters[DP_W_output_blocked]++;
				conn_out_watch(c);
			}
		}
		resp_parser_reset(&c->parser);
		off += used;
	}
	return c->close == CONN_OPEN ? off : len;
}

/* conn_qbuf_reserve -- make the query buffer hold at least n bytes. */
static int
conn_qbuf_reserve(struct dp_conn *c, size_t n)
{
	if (n <= c->qcap)
		return 0;
	size_t cap = c->qcap ? c->qcap : CONN_QBUF_MIN;
	while (cap < n)
		cap *= 2;
	char *q = realloc(c->qbuf, cap);
	if (q == NULL)
		return -ENOMEM;
	c->qbuf = q;
	c->qcap = cap;
	return 0;
}

/* conn_drain_qbuf -- execute what waits in the query buffer. */
static void
conn_drain_qbuf(struct dp_conn *c)
{
	size_t done = conn_process(c, c->qbuf, c->qlen);

	if (done >= c->qlen) {
		c->qlen = 0;
	} else if (done > 0) {
		memmove(c->qbuf, c->qbuf + done, c->qlen - done);
		c->qlen -= done;
	}
}

/*
 * conn_hold -- tell the stack how many received bytes wait unexecuted
 * (the query buffer while execution is paused), so that the window it
 * advertises shrinks by as much.
 */
static void
conn_hold(struct dp_conn *c)
{
	if (c->tc == NULL)
		return;
	bool paused = c->waiting || c->blocked;
	size_t held = paused ? c->qlen : 0;
	tcp_conn_rcv_hold(c->tc, held > UINT32_MAX ? UINT32_MAX :
			  (uint32_t)held);
}

/*
 * conn_qbuf_over -- client-query-buffer-limit: a query buffer of n
 * bytes is too big; the client is closed (Redis closes it without a
 * reply). Returns true if so.
 */
static bool
conn_qbuf_over(struct dp_conn *c, size_t n)
{
	struct dp_worker *w = c->w;

	if (n <= w->cfg->client_query_buf_limit)
		return false;
	w->counters[DP_W_query_limit_closes]++;
	rte_log(RTE_LOG_WARNING, dp_conn_logtype, "Closing client that "
		"reached max query buffer length: addr=%s laddr=%s qbuf=%zu\n",
		c->client.addr, c->client.laddr, n);
	conn_defer(c, CONN_ABORT);
	return true;
}

/*
 * conn_recv -- tcp_ops.recv: in-order payload. data points into an mbuf
 * the stack frees after the call; inline requests are unquoted in place,
 * which only touches bytes of that request.
 */
static void
conn_recv(void *app, const uint8_t *data, uint32_t len)
{
	struct dp_conn *c = app;
	size_t done;

	if (c->close != CONN_OPEN)
		return;         /* input after QUIT or an error is ignored */
	c->last_tsc = c->w->net.now_tsc;

	if (c->qlen == 0 && !c->waiting && !c->blocked) {
		/* Zero-copy: parse straight from the segment. */
		char *buf = (char *)(uintptr_t)data;
		done = conn_process(c, buf, len);
		if (done < len) {
			if (conn_qbuf_over(c, len - done))
				return;
			if (conn_qbuf_reserve(c, len - done) != 0) {
				conn_defer(c, CONN_ABORT);
				return;
			}
			memcpy(c->qbuf, buf + done, len - done);
			c->qlen = len - done;
		}
		conn_hold(c);
		return;
	}

	/* A request spans segments, or execution is paused: keep the bytes
	 * in the query buffer. */
	if (conn_qbuf_over(c, c->qlen + len))
		return;
	if (conn_qbuf_reserve(c, c->qlen + len) != 0) {
		conn_defer(c, CONN_ABORT);
		return;
	}
	memcpy(c->qbuf + c->qlen, data, len);
	c->qlen += len;
	if (!c->waiting && !c->blocked)
		conn_drain_qbuf(c);
	if (c->qlen == 0 && c->qcap > 16 * CONN_QBUF_MIN) {
		/* Give back the memory of a big request. */
		free(c->qbuf);
		c->qbuf = NULL;
		c->qcap = 0;
	}
	conn_hold(c);
}

/*
 * conn_resume -- execution may go on (routed replies came back, or the
 * output drained below the budget): run what waits in the query buffer,
 * and close if the peer's FIN came meanwhile and nothing else waits.
 */
static void
conn_resume(struct dp_conn *c)
{
	if (c->waiting || c->blocked)
		return;
	if (c->qlen > 0 && c->close == CONN_OPEN)
		conn_drain_qbuf(c);
	if (c->eof && !c->waiting && !c->blocked)
		conn_defer(c, CONN_CLOSE);
	conn_hold(c);
}

/*
 * conn_routed_done -- the reply of a request that ran on other workers
 * lands in its slot; the replies ready at the head of the order leave.
 */
static void
conn_routed_done(struct dp_worker *w, void *owner, const char *reply,
		 size_t len)
{
	struct conn_slot *sl = owner;
	struct dp_conn *c = sl->conn;

	(void)w;
	if (c == NULL) {
		slot_free(sl);  /* the connection went away meanwhile */
		return;
	}
	if (!slot_add(sl, reply, len))
		conn_defer(c, CONN_ABORT);
	sl->ready = true;
	c->routed--;
	if (c->barrier == sl)
		c->barrier = NULL;
	slots_flush(c);
	if (c->slots == NULL && c->close == CONN_CLOSE)
		conn_defer(c, CONN_CLOSE);      /* the close waited for us */
	if (c->waiting && c->barrier == NULL &&
	    c->routed < CONN_MAX_ROUTED / 2) {
		c->waiting = false;
		conn_resume(c);
	}
}

/*
 * conn_peer_closed -- tcp_ops.peer_closed: the client sent FIN. Redis
 * frees a client on EOF; we close our side after the replies queued.
 */
static void
conn_peer_closed(void *app)
{
	struct dp_conn *c = app;

	/* Requests that wait behind a pause still run (conn_resume). */
	if (c->qlen > 0 && (c->waiting || c->blocked))
		c->eof = true;
	else
		conn_defer(c, CONN_CLOSE);
}

/* conn_release -- unlink a connection and recycle its struct. */
static void
conn_release(struct dp_conn *c)
{
	struct dp_worker *w = c->w;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	w->n_conns--;
	w->counters[DP_W_conns_closed]++;
	kv_client_fini(&c->client);
	slots_release(c);
	if (c->on_out) {
		struct dp_conn **pp = &w->out_conns;
		while (*pp != NULL && *pp != c)
			pp = &(*pp)->next_out;
		if (*pp != NULL)
			*pp = c->next_out;
		c->on_out = false;
	}
	obuf_reset(c);
	c->tc = NULL;
	c->qlen = 0;
	if (c->qcap > 16 * CONN_QBUF_MIN) {
		free(c->qbuf);
		c->qbuf = NULL;
		c->qcap = 0;
	}
	c->next = w->free_conns;
	w->free_conns = c;
}

/*
 * conn_closed -- tcp_ops.closed: the stack is done with the connection.
 * If a deferred close is still pending, dp_conn_service releases it.
 */
static void
conn_closed(void *app)
{
	struct dp_conn *c = app;

	c->tc = NULL;
	if (c->deferred)
		c->close = CONN_ABORT;  /* released by dp_conn_service */
	else
		conn_release(c);
}

const struct tcp_ops dp_conn_tcp_ops = {
	.accept = conn_accept,
	.recv = conn_recv,
	.peer_closed = conn_peer_closed,
	.closed = conn_closed,
};

/*
 * conn_check_timeouts -- close clients idle longer than "timeout". As
 * for Redis, output that moved counts as activity: a slow reader still
 * draining a big reply is not idle (seen once a second, from its
 * pending output changing).
 */
static void
conn_check_timeouts(struct dp_worker *w)
{
	uint64_t limit = (uint64_t)w->cfg->timeout * w->net.tsc_hz;

	if (limit == 0)
		return;
	for (struct dp_conn *c = w->conns; c != NULL; c = c->next) {
		uint64_t pending = conn_pending(c);
		if (pending != c->last_pending) {
			c->last_pending = pending;
			c->last_tsc = w->net.now_tsc;
		}
		if (c->close == CONN_OPEN &&
		    w->net.now_tsc - c->last_tsc > limit) {
			w->counters[DP_W_idle_timeouts]++;
			conn_defer(c, CONN_CLOSE);
		}
	}
}

/*
 * conn_out_service -- the connections with output waiting: move it into
 * the send queues as acknowledgements freed them, resume those whose
 * output fell below the budget, check the soft limit's clock.
 */
static void
conn_out_service(struct dp_worker *w)
{
	struct dp_conn *c = w->out_conns;

	w->out_conns = NULL;
	while (c != NULL) {
		struct dp_conn *next = c->next_out;
		c->on_out = false;
		if (c->tc != NULL && c->close != CONN_ABORT) {
			conn_out_refill(c);
			if (c->blocked && conn_pending(c) <=
			    w->cfg->client_output_budget) {
				c->blocked = false;
				conn_resume(c);
			}
			conn_check_limits(c);
			if (c->olen > c->ooff || c->blocked ||
			    (c->soft_tsc != 0 && conn_pending(c) > 0))
				conn_out_watch(c);
			else if (c->close == CONN_CLOSE && c->done == CONN_OPEN)
				conn_defer(c, CONN_CLOSE); /* it waited */
		}
		c = next;
	}
}

void
dp_conn_service(struct dp_worker *w)
{
	if (w->out_conns != NULL)
		conn_out_service(w);
	if (w->net.now_tsc >= w->next_timeout_tsc) {
		w->next_timeout_tsc = w->net.now_tsc + w->net.tsc_hz;
		conn_check_timeouts(w);
		/* client_recent_max_output_buffer: the last second's */
		w->out_recent_max = w->out_max;
		w->out_max = 0;
	}
	while (w->deferred != NULL) {
		struct dp_conn *c = w->deferred;
		w->deferred = c->next_deferred;
		c->deferred = 0;
		if (c->tc == NULL) {
			conn_release(c);   /* the stack already closed it */
			continue;
		}
		if (c->close <= c->done)
			continue;
		if (c->close == CONN_CLOSE && c->slots != NULL)
			continue;   /* routed replies first: see conn_routed_done */
		if (c->close == CONN_CLOSE && c->olen > c->ooff)
			continue;   /* output first: see conn_out_service */
		c->done = c->close;
		/* Either call may run the closed upcall, which releases c. */
		if (c->close == CONN_ABORT)
			tcp_abort(c->tc);
		else
			tcp_close(c->tc);
	}
}

void
dp_conn_kill(struct dp_worker *w, struct kv_client *c)
{
	/* The kv_client is the first member of its connection. */
	struct dp_conn *conn = (struct dp_conn *)c;

	(void)w;
	conn_defer(conn, CONN_CLOSE);
}

void
dp_conn_close_all(struct dp_worker *w)
{
	for (struct dp_conn *c = w->conns; c != NULL; c = c->next)
		conn_defer(c, CONN_CLOSE);
}

void
dp_conn_foreach(struct dp_worker *w,
		void (*fn)(struct kv_client *c, void *arg), void *arg)
{
	/* A connection on its way out (QUIT, CLIENT KILL, EOF) is gone for
	 * the store, as a freed client is for Redis. */
	for (struct dp_conn *c = w->conns; c != NULL; c = c->next) {
		if (c->close != CONN_OPEN)
			continue;
		c->client.qbuf = c->qlen;       /* CLIENT LIST's view */
		c->client.omem = conn_counted(c);
		fn(&c->client, arg);
	}
}

/* conn_free -- free a recycled connection struct. */
static void
conn_free(struct dp_conn *c)
{
	resp_parser_fini(&c->parser);
	free(c->qbuf);
	free(c->obuf);
	free(c->argv);
	free(c->spare);
	free(c);
}

uint64_t
dp_conn_output_bytes(const struct dp_worker *w)
{
	uint64_t n = 0;

	for (const struct dp_conn *c = w->conns; c != NULL; c = c->next)
		n += conn_pending(c);
	return n;
}

void
dp_conn_fini(struct dp_worker *w)
{
	while (w->conns != NULL) {
		struct dp_conn *c = w->conns;
		w->conns = c->next;
		kv_client_fini(&c->client);
		conn_free(c);
	}
	while (w->free_conns != NULL) {
		struct dp_conn *c = w->free_conns;
		w->free_conns = c->next;
		conn_free(c);
	}
	w->n_conns = 0;
	w->deferred = NULL;
	w->out_conns = NULL;
}
