/*
 * tcp.c -- the TCP stack of a core: connection table and the API the
 * application uses (listen, connect, send, close, abort, flush).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_thash.h>

#include "steer.h"
#include "tcp_private.h"

static const char *const counter_names[] = {
#define TCP_NAME(n) #n,
	TCP_COUNTERS(TCP_NAME)
#undef TCP_NAME
};

const char *
tcp_counter_name(enum tcp_counter c)
{
	return c < TCP__MAX ? counter_names[c] : "?";
}

/* conn_hash -- bucket of a 4-tuple. */
static uint32_t
conn_hash(const struct tcp_stack *ts, uint32_t raddr, uint16_t rport,
	  uint16_t lport)
{
	uint64_t k = ((uint64_t)raddr << 32) ^ ((uint32_t)rport << 16) ^ lport;
	k ^= ts->secret;
	k *= 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(k >> 32) & ts->hash_mask;
}

struct tcp_stack *
tcp_stack_create(struct dp_net *net, const struct tcp_params *p,
		 const struct tcp_ops *ops, void *ctx)
{
	struct tcp_stack *ts = rte_zmalloc("tcp_stack", sizeof(*ts),
					   RTE_CACHE_LINE_SIZE);
	uint32_t buckets;

	if (ts == NULL)
		return NULL;
	ts->net = net;
	ts->p = *p;
	ts->ops = ops;
	ts->ctx = ctx;
	ts->secret = rte_rand();
	if (ts->p.ooo_conn_max == 0)
		ts->p.ooo_conn_max = 2 * p->rcv_wnd;
	if (ts->p.ooo_max == 0)
		ts->p.ooo_max = TCP_OOO_STACK_MAX;
	if (ts->p.syn_retries == 0)
		ts->p.syn_retries = TCP_SYN_RETRIES;
	buckets = rte_align32pow2(p->max_conns * 2);
	ts->hash_mask = buckets - 1;
	ts->hash = calloc(buckets, sizeof(*ts->hash));
	ts->pool = calloc(p->max_conns, sizeof(*ts->pool));
	if (ts->hash == NULL || ts->pool == NULL) {
		tcp_stack_free(ts);
		return NULL;
	}
	for (unsigned i = p->max_conns; i-- > 0;) {
		ts->pool[i].hnext = ts->free_list;
		ts->free_list = &ts->pool[i];
	}
	return ts;
}

/* sq_free -- drop a connection's send queue. */
static void
sq_free(struct tcp_conn *tc)
{
	struct rte_mbuf *m = tc->sq_head;

	while (m != NULL) {
		struct rte_mbuf *n = m->next;
		m->next = NULL;
		rte_pktmbuf_free(m);
		m = n;
	}
	tc->sq_head = tc->sq_tail = tc->sq_cur = NULL;
	tc->sq_bytes = 0;
}

void
tcp_stack_free(struct tcp_stack *ts)
{
	if (ts == NULL)
		return;
	for (struct tcp_conn *tc = ts->active; tc != NULL; tc = tc->next) {
		sq_free(tc);
		tcp_ooo_free(tc);
	}
	free(ts->hash);
	free(ts->pool);
	free(ts->reta);
	rte_free(ts);
}

int
tcp_listen(struct tcp_stack *ts, uint16_t port)
{
	if (ts->n_listen == TCP_LISTEN_MAX)
		return -ENOSPC;
	ts->listen[ts->n_listen++] = rte_cpu_to_be_16(port);
	return 0;
}

int
tcp_unlisten(struct tcp_stack *ts, uint16_t port)
{
	uint16_t be = rte_cpu_to_be_16(port);

	for (unsigned i = 0; i < ts->n_listen; i++) {
		if (ts->listen[i] == be) {
			ts->listen[i] = ts->listen[--ts->n_listen];
			return 0;
		}
	}
	return -ENOENT;
}

bool
tcp_is_listening(const struct tcp_stack *ts, uint16_t port)
{
	for (unsigned i = 0; i < ts->n_listen; i++)
		if (ts->listen[i] == port)
			return true;
	return false;
}

int
tcp_set_rss(struct tcp_stack *ts, const uint8_t *key, unsigned key_len,
	    const uint16_t *reta, unsigned reta_size, uint16_t queue)
{
	uint16_t *t = NULL;

	if (reta_size > 0) {
		if (key == NULL || key_len < 16 || reta == NULL)
			return -EINVAL;
		t = malloc(reta_size * sizeof(*t));
		if (t == NULL)
			return -ENOMEM;
		memcpy(t, reta, reta_size * sizeof(*t));
		memset(ts->rss_key, 0, sizeof(ts->rss_key));
		memcpy(ts->rss_key, key, RTE_MIN(key_len,
						 (unsigned)sizeof(ts->rss_key)));
	}
	free(ts->reta);
	ts->reta = t;
	ts->reta_size = reta_size;
	ts->queue = queue;
	return 0;
}

void
tcp_set_steer(struct tcp_stack *ts, unsigned n_workers, unsigned self)
{
	ts->steer_n = n_workers;
	ts->steer_self = self;
}

uint16_t
tcp_rss_queue(const struct tcp_stack *ts, uint32_t src, uint16_t sport,
	      uint32_t dst, uint16_t dport)
{
	/* The IPv4 4-tuple as rte_softrss takes it: host order. */
	uint32_t tuple[RTE_THASH_V4_L4_LEN] = {
		rte_be_to_cpu_32(src),
		rte_be_to_cpu_32(dst),
		(uint32_t)rte_be_to_cpu_16(sport) << 16 |
			rte_be_to_cpu_16(dport),
	};
	uint32_t h = rte_softrss(tuple, RTE_THASH_V4_L4_LEN, ts->rss_key);

	return ts->reta[h % ts->reta_size];
}

/*
 * pick_port -- a free ephemeral port (host order) for a connection to
 * raddr:rport: not listened on, whose return traffic RSS sends to this
 * stack's queue (or software steering to this stack's worker), and
 * whose 4-tuple is not in the table (which holds the TIME_WAIT
 * connections too). The search goes on from the last port chosen (a
 * random one at first). Returns the port or -EADDRNOTAVAIL.
 */
static int
pick_port(struct tcp_stack *ts, uint32_t raddr, uint16_t rport)
{
	const unsigned range = TCP_EPHEMERAL_MAX - TCP_EPHEMERAL_MIN + 1;
	uint32_t laddr = ts->net->ip;

	if (ts->next_port < TCP_EPHEMERAL_MIN)
		ts->next_port = (uint16_t)(TCP_EPHEMERAL_MIN +
					   rte_rand_max(range));
	for (unsigned i = 0; i < range; i++) {
		unsigned p = TCP_EPHEMERAL_MIN +
			     (ts->next_port - TCP_EPHEMERAL_MIN + i) % range;
		uint16_t be = rte_cpu_to_be_16((uint16_t)p);
		if (tcp_is_listening(ts, be))
			continue;
		if (ts->reta_size > 0 &&
		    tcp_rss_queue(ts, raddr, rport, laddr, be) != ts->queue)
			continue;
		if (ts->steer_n > 1 &&
		    dp_steer_owner(dp_steer_hash(raddr, laddr, rport, be),
				   ts->steer_n) != ts->steer_self)
			continue;
		if (tcp_conn_lookup(ts, raddr, rport, laddr, be) != NULL)
			continue;
		ts->next_port = (uint16_t)(TCP_EPHEMERAL_MIN +
					   (p - TCP_EPHEMERAL_MIN + 1) % range);
		return (int)p;
	}
	return -EADDRNOTAVAIL;
}

int
tcp_connect(struct tcp_stack *ts, uint32_t dst_ip, uint16_t dst_port,
	    void *app, struct tcp_conn **out)
{
	if (ts->ops->connected == NULL)
		return -ENOTSUP;
	if (ts->free_list == NULL)
		return -ENOMEM;
	int port = pick_port(ts, dst_ip, dst_port);
	if (port < 0)
		return port;
	struct tcp_conn *tc = tcp_conn_new(ts, dst_ip, dst_port, ts->net->ip,
					   rte_cpu_to_be_16((uint16_t)port));
	TCP_COUNT(ts, active_opens);
	tc->active = true;
	tc->accepted = true;    /* the app has it: closed reports failure */
	tc->app = app;
	tc->state = TCPS(SYN_SENT);
	tc->snd.iss = tcp_isn(ts, tc);
	tc->snd.una = tc->snd.iss;
	tc->snd.nxt = tc->snd.iss + 1;
	tc->snd.max = tc->snd.nxt;
	tc->snd.mss = ts->p.mss;
	/* Offer every option; the SYN-ACK says which are on. */
	tc->rcv.wscale = TCP_RCV_WSCALE;
	tc->sack_ok = true;
	tc->ts_ok = true;
	tc->rtt_tsc = ts->net->now_tsc;
	tc->rtt_seq = tc->snd.nxt;
	tcp_send_ctl(tc, TCP_FLAG_SYN, tc->snd.iss);
	tcp_arm_rto(tc);
	*out = tc;
	return 0;
}

uint64_t
tcp_us_to_tsc(const struct tcp_stack *ts, uint64_t us)
{
	return us * ts->net->tsc_hz / 1000000;
}

struct tcp_conn *
tcp_conn_lookup(struct tcp_stack *ts, uint32_t raddr, uint16_t rport,
		uint32_t laddr, uint16_t lport)
{
	struct tcp_conn *tc = ts->hash[conn_hash(ts, raddr, rport, lport)];

	for (; tc != NULL; tc = tc->hnext)
		if (tc->raddr == raddr && tc->rport == rport &&
		    tc->lport == lport && tc->laddr == laddr)
			return tc;
	return NULL;
}

struct tcp_conn *
tcp_conn_new(struct tcp_stack *ts, uint32_t raddr, uint16_t rport,
	     uint32_t laddr, uint16_t lport)
{
	struct tcp_conn *tc = ts->free_list;

	if (tc == NULL)
		return NULL;
	ts->free_list = tc->hnext;
	memset(tc, 0, sizeof(*tc));
	tc->ts = ts;
	tc->raddr = raddr;
	tc->rport = rport;
	tc->laddr = laddr;
	tc->lport = lport;
	tc->rto_us = TCP_RTO_INIT_US;
	tc->idle_tsc = ts->net->now_tsc;

	uint32_t b = conn_hash(ts, raddr, rport, lport);
	tc->hnext = ts->hash[b];
	ts->hash[b] = tc;
	tc->next = ts->active;
	if (ts->active != NULL)
		ts->active->prev = tc;
	ts->active = tc;
	ts->n_conns++;
	return tc;
}

void
tcp_conn_destroy(struct tcp_conn *tc)
{
	struct tcp_stack *ts = tc->ts;
	struct tcp_conn **pp = &ts->hash[conn_hash(ts, tc->raddr, tc->rport,
						   tc->lport)];

	while (*pp != tc)
		pp = &(*pp)->hnext;
	*pp = tc->hnext;
	if (tc->prev != NULL)
		tc->prev->next = tc->next;
	else
		ts->active = tc->next;
	if (tc->next != NULL)
		tc->next->prev = tc->prev;
	if (tc->in_flush) {
		struct tcp_conn **fp = &ts->flush;
		while (*fp != tc)
			fp = &(*fp)->flush_next;
		*fp = tc->flush_next;
	}
	if (tc->state == TCPS(SYN_RECEIVED))
		ts->n_syn--;
	sq_free(tc);
	tcp_ooo_free(tc);
	ts->n_conns--;
	TCP_COUNT(ts, closed);
	bool accepted = tc->accepted;
	void *app = tc->app;
	tc->state = TCPS(CLOSED);
	tc->hnext = ts->free_list;
	ts->free_list = tc;
	if (accepted)
		ts->ops->closed(app);
}

uint32_t
tcp_isn(struct tcp_stack *ts, const struct tcp_conn *tc)
{
	/* RFC 6528: a keyed hash of the 4-tuple plus a 4 us clock. */
	uint64_t k = ((uint64_t)tc->raddr << 32 | tc->laddr) ^ ts->secret;
	k ^= (uint64_t)tc->rport << 48 ^ (uint64_t)tc->lport << 32;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	uint64_t us = ts->net->now_tsc * 1000000 / ts->net->tsc_hz;
	return (uint32_t)(k + us / 4);
}

void
tcp_mark_flush(struct tcp_conn *tc)
{
	if (tc->in_flush)
		return;
	tc->in_flush = true;
	tc->flush_next = tc->ts->flush;
	tc->ts->flush = tc;
}

/*
 * sq_append -- copy up to len bytes to the tail of the send queue, in
 * data mbufs filled up to the MSS. Returns the bytes appended: fewer
 * than len when the pool ran out.
 */
static size_t
sq_append(struct tcp_conn *tc, const char *p, size_t len)
{
	struct tcp_stack *ts = tc->ts;
	size_t done = 0;

	while (done < len) {
		struct rte_mbuf *m = tc->sq_tail;
		uint32_t room = m != NULL ? tc->snd.mss - m->data_len : 0;
		if (room == 0) {
			m = rte_pktmbuf_alloc(ts->net->pool);
			if (m == NULL)
				break;
			if (tc->sq_tail != NULL)
				tc->sq_tail->next = m;
			else
				tc->sq_head = m;
			tc->sq_tail = m;
			if (tc->sq_cur == NULL) {
				tc->sq_cur = m;
				tc->sq_cur_off = 0;
			}
			room = tc->snd.mss;
		}
		uint32_t n = len - done < room ? (uint32_t)(len - done) : room;
		memcpy(rte_pktmbuf_mtod_offset(m, char *, m->data_len),
		       p + done, n);
		m->data_len += n;
		m->pkt_len += n;
		tc->sq_bytes += n;
		done += n;
	}
	if (done > 0)
		tcp_mark_flush(tc);
	return done;
}

int
tcp_send(struct tcp_conn *tc, const void *data, size_t len)
{
	struct tcp_stack *ts = tc->ts;

	if (!(tc->state & TCPS_SEND_DATA) || tc->fin_pending)
		return -EPIPE;
	if ((uint64_t)tc->sq_bytes + len > ts->p.send_queue_max ||
	    sq_append(tc, data, len) < len) {
		TCP_COUNT(ts, send_queue_full);
		return -ENOBUFS;
	}
	return 0;
}

long
tcp_send_some(struct tcp_conn *tc, const void *data, size_t len)
{
	struct tcp_stack *ts = tc->ts;
	struct rte_mempool *pool = ts->net->pool;
	size_t want = len;

	if (!(tc->state & TCPS_SEND_DATA) || tc->fin_pending)
		return -EPIPE;
	if (tc->sq_bytes >= ts->p.send_queue_max)
		return 0;
	if (len > ts->p.send_queue_max - tc->sq_bytes)
		len = ts->p.send_queue_max - tc->sq_bytes;
	/* Bytes that fit in the tail mbuf, then how many new mbufs. */
	uint32_t tail = tc->sq_tail != NULL ?
			tc->snd.mss - tc->sq_tail->data_len : 0;
	if (len > tail &&
	    (len - tail) / tc->snd.mss + 1 >= TCP_POOL_CHECK_MIN) {
		unsigned avail = rte_mempool_avail_count(pool);
		unsigned reserve = pool->size / TCP_POOL_RESERVE_DIV;
		size_t may = avail > reserve ? avail - reserve : 0;
		if (len > tail + may * tc->snd.mss)
			len = tail + may * tc->snd.mss;
	}
	size_t n = sq_append(tc, data, len);
	if (n > 0 && n < want)
		TCP_COUNT(ts, send_queue_full);   /* the rest waits */
	return (long)n;
}

void
tcp_conn_rcv_hold(struct tcp_conn *tc, uint32_t held)
{
	uint32_t wnd = tc->ts->p.rcv_wnd;
	uint32_t before = tc->rcv_held;

	tc->rcv_held = held;
	if (held >= before || !(tc->state & TCPS_RECV_DATA))
		return;
	/* Receiver-side silly window avoidance (RFC 9293, section
	 * 3.8.6): announce the window once it opens by enough. */
	uint32_t open = held < wnd ? wnd - held : 0;
	uint32_t shown = seq_gt(tc->rcv.adv, tc->rcv.nxt) ?
			 tc->rcv.adv - tc->rcv.nxt : 0;
	uint32_t step = RTE_MIN(wnd / 2, 2u * tc->snd.mss);
	if (open > shown && open - shown >= step) {
		tc->ack_now = true;
		tcp_mark_flush(tc);
	}
}

void
tcp_close(struct tcp_conn *tc)
{
	if (tc->state == TCPS(SYN_SENT)) {
		/* RFC 9293 3.10.4: nothing was synchronized; just drop. */
		tcp_conn_destroy(tc);
		return;
	}
	if (tc->fin_pending || !(tc->state & TCPS_SEND_DATA))
		return;
	tc->fin_pending = true;
	tcp_mark_flush(tc);
}

void
tcp_abort(struct tcp_conn *tc)
{
	if (tc->state & ~(TCPS(CLOSED) | TCPS(TIME_WAIT) | TCPS(SYN_SENT) |
			  TCPS(SYN_RECEIVED)))
		tcp_send_ctl(tc, TCP_FLAG_RST | TCP_FLAG_ACK, tc->snd.nxt);
	TCP_COUNT(tc->ts, resets_tx);
	tcp_conn_destroy(tc);
}

void
tcp_conn_set_app(struct tcp_conn *tc, void *app)
{
	tc->app = app;
}

void
tcp_conn_addrs(const struct tcp_conn *tc, uint32_t *raddr, uint16_t *rport,
	       uint32_t *laddr, uint16_t *lport)
{
	*raddr = tc->raddr;
	*rport = tc->rport;
	*laddr = tc->laddr;
	*lport = tc->lport;
}

uint32_t
tcp_conn_unsent(const struct tcp_conn *tc)
{
	return tc->sq_bytes;
}

void
tcp_flush(struct tcp_stack *ts)
{
	while (ts->flush != NULL) {
		struct tcp_conn *tc = ts->flush;
		ts->flush = tc->flush_next;
		tc->in_flush = false;
		tcp_output(tc);
	}
}

unsigned
tcp_conns(const struct tcp_stack *ts)
{
	return ts->n_conns;
}

const uint64_t *
tcp_counters(const struct tcp_stack *ts)
{
	return ts->counters;
}
