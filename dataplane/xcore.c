/*
 * xcore.c -- requests between workers over SPSC rings (see xcore.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "port.h"
#include "worker.h"
#include "xcore.h"

#define XC_BURST 32

/* One part of a request: sent by the origin, answered by the target. */
struct dp_xmsg {
	struct dp_xmsg *next;      /* backlog and executed lists */
	struct xc_pend *pend;      /* the origin's request (opaque there) */
	uint16_t origin, target;
	bool is_reply;
	bool oom;                  /* the reply could not be stored whole */
	unsigned db;
	uint32_t cflags;
	int argc;
	struct kv_arg *argv;       /* in the same allocation */
	char *reply;
	size_t reply_len, reply_cap;
};

/* A routed request of this worker, waiting for its parts. */
struct xc_pend {
	struct dp_xc_owner owner;
	enum kv_route_kind kind;
	enum kv_merge merge;
	unsigned n_parts, n_done;
	unsigned scan_shard;
	uint16_t *key_part;        /* MGET: the part of each key, in order */
	unsigned n_keys;
	struct dp_xmsg *parts[];
};

struct dp_xcore {
	unsigned self, n;
	struct rte_ring *in[DP_MAX_WORKERS];    /* from worker i */
	struct rte_ring *out[DP_MAX_WORKERS];   /* to worker j */
	struct dp_xmsg *backlog[DP_MAX_WORKERS], *backlog_tail[DP_MAX_WORKERS];
	struct dp_xmsg *executed, *executed_tail;
	struct kv_client proxy;    /* runs other workers' requests */
	unsigned pending;
};

/* xc_write -- the proxy client's write function: into the message. */
static void
xc_write(void *sink, const void *buf, size_t len)
{
	struct dp_xmsg *m = sink;

	if (m->oom || len == 0)
		return;
	if (m->reply_len + len > m->reply_cap) {
		size_t cap = m->reply_cap ? m->reply_cap : 128;
		while (cap < m->reply_len + len)
			cap *= 2;
		char *p = realloc(m->reply, cap);
		if (p == NULL) {
			m->oom = true;
			return;
		}
		m->reply = p;
		m->reply_cap = cap;
	}
	memcpy(m->reply + m->reply_len, buf, len);
	m->reply_len += len;
}

/*
 * msg_new -- a message for target with the arguments argv[idx[0..n-1]]
 * (or argv[0..n-1] when idx is NULL); over is an argument that replaces
 * argv[1] (SCAN's cursor), or NULL.
 */
static struct dp_xmsg *
msg_new(struct dp_worker *w, const struct kv_client *c, unsigned target,
	int n, const struct kv_arg *argv, const int *idx,
	const struct kv_arg *over)
{
	size_t bytes = 0;

	for (int i = 0; i < n; i++) {
		const struct kv_arg *a = (i == 1 && over) ? over :
					 &argv[idx ? idx[i] : i];
		bytes += a->len;
	}
	struct dp_xmsg *m = malloc(sizeof(*m) + (size_t)n * sizeof(*m->argv) +
				   bytes + 1);
	if (m == NULL)
		return NULL;
	memset(m, 0, sizeof(*m));
	m->origin = (uint16_t)w->index;
	m->target = (uint16_t)target;
	m->db = c->db;
	m->cflags = c->flags & (KV_CLIENT_AUTHENTICATED | KV_CLIENT_ADMIN);
	m->argc = n;
	m->argv = (struct kv_arg *)(m + 1);
	char *p = (char *)(m->argv + n);
	for (int i = 0; i < n; i++) {
		const struct kv_arg *a = (i == 1 && over) ? over :
					 &argv[idx ? idx[i] : i];
		memcpy(p, a->ptr, a->len);
		m->argv[i].ptr = p;
		m->argv[i].len = a->len;
		p += a->len;
	}
	return m;
}

static void
msg_free(struct dp_xmsg *m)
{
	free(m->reply);
	free(m);
}

/* run -- execute a message on this worker's shard, as its client. */
static void
run(struct dp_worker *w, struct dp_xmsg *m)
{
	struct kv_client *p = &w->xc->proxy;

	p->db = m->db;
	p->flags = m->cflags;
	p->sink = m;
	kv_execute(w->shard, p, m->argc, m->argv);
	m->is_reply = true;
}

/* backlog_add -- queue a message for target; dp_xc_flush sends it. */
static void
backlog_add(struct dp_xcore *xc, unsigned target, struct dp_xmsg *m)
{
	m->next = NULL;
	if (xc->backlog_tail[target] != NULL)
		xc->backlog_tail[target]->next = m;
	else
		xc->backlog[target] = m;
	xc->backlog_tail[target] = m;
}

/* --- merging the parts' replies ------------------------------------- */

/*
 * elem_len -- bytes of the one RESP reply at p (our own encoding), or 0
 * if it is not whole within len.
 */
static size_t
elem_len(const char *p, size_t len)
{
	const char *nl = memchr(p, '\n', len);
	if (nl == NULL)
		return 0;
	size_t head = (size_t)(nl - p) + 1;
	long long n = atoll(p + 1);
	switch (p[0]) {
	case '$':
		if (n < 0)
			return head;
		return head + (size_t)n + 2 <= len ? head + (size_t)n + 2 : 0;
	case '*': {
		size_t off = head;
		for (long long i = 0; i < n; i++) {
			size_t e = elem_len(p + off, len - off);
			if (e == 0)
				return 0;
			off += e;
		}
		return off;
	}
	default:
		return head;
	}
}

/* out_buf -- a growing reply. */
struct out_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void
out_add(struct out_buf *o, const void *p, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		while (cap < o->len + n)
			cap *= 2;
		char *q = realloc(o->p, cap);
		if (q == NULL) {
			o->oom = true;
			return;
		}
		o->p = q;
		o->cap = cap;
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
}

static void
out_fmt(struct out_buf *o, const char *fmt, long long v)
{
	char b[32];
	int n = snprintf(b, sizeof(b), fmt, v);
	out_add(o, b, (size_t)n);
}

/* merge_scan -- SCAN's reply with the shard's cursor made global. */
static void
merge_scan(struct out_buf *o, const struct xc_pend *pd, unsigned n,
	   const struct dp_xmsg *m)
{
	const char *p = m->reply;
	size_t len = m->reply_len;
	/* "*2\r\n$L\r\n<cursor>\r\n<keys array>" */
	const char *bulk = len > 4 ? memchr(p, '$', len) : NULL;
	size_t cl = bulk ? elem_len(bulk, len - (size_t)(bulk - p)) : 0;
	if (p[0] != '*' || cl == 0) {
		out_add(o, p, len);     /* an error: as it is */
		return;
	}
	const char *digits = memchr(bulk, '\n', cl) + 1;
	unsigned long long local = strtoull(digits, NULL, 10), global;
	unsigned s = pd->scan_shard;
	if (local == 0)
		global = s + 1 < n ? s + 1 : 0;
	else
		global = local * n + s;
	char cur[32];
	int cn = snprintf(cur, sizeof(cur), "%llu", global);
	out_add(o, "*2\r\n", 4);
	out_fmt(o, "$%lld\r\n", cn);
	out_add(o, cur, (size_t)cn);
	out_add(o, "\r\n", 2);
	size_t rest = (size_t)(bulk - p) + cl;
	out_add(o, p + rest, len - rest);
}

/* merge -- the reply of a request whose parts are all back. */
static void
merge(struct xc_pend *pd, unsigned n_workers, struct out_buf *o)
{
	for (unsigned i = 0; i < pd->n_parts; i++) {
		const struct dp_xmsg *m = pd->parts[i];
		if (m->oom || m->reply_len == 0) {
			out_add(o, "-ERR out of memory\r\n", 20);
			return;
		}
		if (m->reply[0] == '-') {
			out_add(o, m->reply, m->reply_len);
			return;
		}
	}
	if (pd->kind == KV_ROUTE_SHARD) {
		out_add(o, pd->parts[0]->reply, pd->parts[0]->reply_len);
		return;
	}
	if (pd->kind == KV_ROUTE_SCAN) {
		merge_scan(o, pd, n_workers, pd->parts[0]);
		return;
	}
	switch (pd->merge) {
	case KV_MERGE_SUM: {
		long long sum = 0;
		for (unsigned i = 0; i < pd->n_parts; i++)
			sum += atoll(pd->parts[i]->reply + 1);
		out_fmt(o, ":%lld\r\n", sum);
		return;
	}
	case KV_MERGE_ALL_OK:
		out_add(o, "+OK\r\n", 5);
		return;
	case KV_MERGE_ANY: {
		unsigned found = 0, pick = 0;
		for (unsigned i = 0; i < pd->n_parts; i++) {
			if (pd->parts[i]->reply[0] == '$' &&
			    pd->parts[i]->reply[1] != '-' &&
			    rte_rand() % ++found == 0)
				pick = i;
		}
		if (found == 0)
			out_add(o, "$-1\r\n", 5);
		else
			out_add(o, pd->parts[pick]->reply,
				pd->parts[pick]->reply_len);
		return;
	}
	case KV_MERGE_CONCAT: {
		long long total = 0;
		for (unsigned i = 0; i < pd->n_parts; i++)
			total += atoll(pd->parts[i]->reply + 1);
		out_fmt(o, "*%lld\r\n", total);
		for (unsigned i = 0; i < pd->n_parts; i++) {
			const struct dp_xmsg *m = pd->parts[i];
			const char *body = memchr(m->reply, '\n', m->reply_len);
			size_t skip = body ? (size_t)(body - m->reply) + 1 : 0;
			out_add(o, m->reply + skip, m->reply_len - skip);
		}
		return;
	}
	case KV_MERGE_ORDERED: {
		size_t off[DP_MAX_WORKERS];
		for (unsigned i = 0; i < pd->n_parts; i++) {
			const char *nl = memchr(pd->parts[i]->reply, '\n',
						pd->parts[i]->reply_len);
			off[i] = nl ? (size_t)(nl - pd->parts[i]->reply) + 1 :
				 pd->parts[i]->reply_len;
		}
		out_fmt(o, "*%lld\r\n", pd->n_keys);
		for (unsigned k = 0; k < pd->n_keys; k++) {
			const struct dp_xmsg *m = pd->parts[pd->key_part[k]];
			size_t *at = &off[pd->key_part[k]];
			size_t e = *at < m->reply_len ?
				   elem_len(m->reply + *at, m->reply_len - *at) :
				   0;
			if (e == 0) {
				out_add(o, "$-1\r\n", 5);
				continue;
			}
			out_add(o, m->reply + *at, e);
			*at += e;
		}
		return;
	}
	default:
		out_add(o, pd->parts[0]->reply, pd->parts[0]->reply_len);
	}
}

/* pend_free -- release a request and its parts. */
static void
pend_free(struct xc_pend *pd)
{
	for (unsigned i = 0; i < pd->n_parts; i++)
		if (pd->parts[i] != NULL)
			msg_free(pd->parts[i]);
	free(pd->key_part);
	free(pd);
}

/* part_done -- one part is back; the last one completes the request. */
static void
part_done(struct dp_worker *w, struct xc_pend *pd)
{
	if (++pd->n_done < pd->n_parts)
		return;
	struct out_buf o = { 0 };
	merge(pd, w->xc->n, &o);
	w->xc->pending--;
	if (o.oom)
		pd->owner.done(w, pd->owner.owner, "-ERR out of memory\r\n",
			       20);
	else
		pd->owner.done(w, pd->owner.owner, o.p, o.len);
	free(o.p);
	pend_free(pd);
}

/* send_part -- run a part here, or queue it for its target. */
static void
send_part(struct dp_worker *w, struct xc_pend *pd, struct dp_xmsg *m)
{
	m->pend = pd;
	if (m->target == w->index) {
		run(w, m);
		w->counters[DP_W_requests_local]++;
		return;
	}
	w->counters[DP_W_requests_remote]++;
	backlog_add(w->xc, m->target, m);
}

/* reply_raw -- write an error or a reply straight to a client. */
static void
reply_raw(struct kv_client *c, const char *s)
{
	c->write(c->sink, s, strlen(s));
}

bool
dp_xc_execute(struct dp_worker *w, struct kv_client *c, int argc,
	      const struct kv_arg *argv, const struct dp_xc_owner *o)
{
	struct dp_xcore *xc = w->xc;
	struct kv_route_plan plan;
	unsigned n = xc != NULL ? xc->n : 1;
	struct kv_arg over = { 0 };
	char curbuf[32];

	kv_route_plan(argc, argv, n, &plan);
	if (plan.kind == KV_ROUTE_SCAN) {
		/* The cursor names the shard: global = local * n + shard. */
		unsigned long long cur;
		char *end;
		if (argc < 2 || argv[1].len == 0 ||
		    argv[1].len >= sizeof(curbuf) || argv[1].ptr[0] == '-')
			plan.kind = KV_ROUTE_HOME;
		else {
			memcpy(curbuf, argv[1].ptr, argv[1].len);
			curbuf[argv[1].len] = '\0';
			errno = 0;
			cur = strtoull(curbuf, &end, 10);
			if (*end != '\0' || errno != 0) {
				plan.kind = KV_ROUTE_HOME;
			} else {
				plan.shard = (unsigned)(cur % n);
				int l = snprintf(curbuf, sizeof(curbuf), "%llu",
						 cur / n);
				over.ptr = curbuf;
				over.len = (size_t)l;
			}
		}
	}
	if (plan.kind == KV_ROUTE_HOME ||
	    (plan.kind == KV_ROUTE_SHARD && plan.shard == w->index)) {
		w->counters[DP_W_requests_local]++;
		kv_execute(w->shard, c, argc, argv);
		return true;
	}
	if (plan.kind == KV_ROUTE_CROSS) {
		reply_raw(c, "-CROSSSLOT Keys in request don't hash to the "
			  "same slot\r\n");
		return true;
	}

	unsigned parts = plan.kind == KV_ROUTE_SHARD ||
			 plan.kind == KV_ROUTE_SCAN ? 1 : n;
	struct xc_pend *pd = calloc(1, sizeof(*pd) +
				    parts * sizeof(pd->parts[0]));
	if (pd == NULL)
		goto oom;
	pd->owner = *o;
	pd->kind = plan.kind;
	pd->merge = plan.merge;
	pd->scan_shard = plan.shard;

	if (plan.kind == KV_ROUTE_SHARD || plan.kind == KV_ROUTE_SCAN) {
		pd->n_parts = 1;
		pd->parts[0] = msg_new(w, c, plan.shard, argc, argv, NULL,
				       over.ptr ? &over : NULL);
		if (pd->parts[0] == NULL)
			goto oom_pd;
	} else if (plan.kind == KV_ROUTE_ALL) {
		pd->n_parts = n;
		for (unsigned t = 0; t < n; t++) {
			pd->parts[t] = msg_new(w, c, t, argc, argv, NULL, NULL);
			if (pd->parts[t] == NULL)
				goto oom_pd;
		}
	} else {
		/* SPLIT: argv[0] plus each shard's keys, in their order. */
		int *idx = malloc((size_t)argc * sizeof(*idx));
		unsigned *shard_of = malloc((size_t)argc * sizeof(*shard_of));
		pd->key_part = malloc((size_t)argc * sizeof(*pd->key_part));
		if (idx == NULL || shard_of == NULL || pd->key_part == NULL) {
			free(idx);
			free(shard_of);
			goto oom_pd;
		}
		int part_of_shard[DP_MAX_WORKERS];
		for (unsigned t = 0; t < n; t++)
			part_of_shard[t] = -1;
		for (int i = 1; i < argc; i++) {
			shard_of[i] = kv_key_shard(argv[i].ptr, argv[i].len, n);
			if (part_of_shard[shard_of[i]] < 0)
				part_of_shard[shard_of[i]] = (int)pd->n_parts++;
			pd->key_part[i - 1] =
				(uint16_t)part_of_shard[shard_of[i]];
		}
		pd->n_keys = (unsigned)argc - 1;
		bool ok = true;
		for (unsigned t = 0; t < n && ok; t++) {
			if (part_of_shard[t] < 0)
				continue;
			int k = 0;
			idx[k++] = 0;
			for (int i = 1; i < argc; i++)
				if (shard_of[i] == t)
					idx[k++] = i;
			struct dp_xmsg *m = msg_new(w, c, t, k, argv, idx, NULL);
			pd->parts[part_of_shard[t]] = m;
			ok = m != NULL;
		}
		free(idx);
		free(shard_of);
		if (!ok)
			goto oom_pd;
	}
	/* Local parts run now; the request is pending on the others. */
	for (unsigned i = 0; i < pd->n_parts; i++) {
		if (pd->parts[i]->target == w->index) {
			send_part(w, pd, pd->parts[i]);
			pd->n_done++;
		}
	}
	if (pd->n_done == pd->n_parts) {
		/* All here (SCAN of this worker's shard): merged at once. */
		struct out_buf ob = { 0 };
		merge(pd, n, &ob);
		if (ob.oom)
			reply_raw(c, "-ERR out of memory\r\n");
		else
			c->write(c->sink, ob.p, ob.len);
		free(ob.p);
		pend_free(pd);
		return true;
	}
	xc->pending++;
	for (unsigned i = 0; i < pd->n_parts; i++)
		if (pd->parts[i]->target != w->index)
			send_part(w, pd, pd->parts[i]);
	return false;

oom_pd:
	pend_free(pd);
oom:
	reply_raw(c, "-ERR out of memory\r\n");
	return true;
}

unsigned
dp_xc_poll(struct dp_worker *w)
{
	struct dp_xcore *xc = w->xc;
	struct dp_xmsg *msgs[XC_BURST];
	unsigned total = 0;

	if (xc == NULL)
		return 0;
	for (unsigned i = 0; i < xc->n; i++) {
		if (i == xc->self)
			continue;
		unsigned k = rte_ring_sc_dequeue_burst(xc->in[i], (void **)msgs,
						       XC_BURST, NULL);
		for (unsigned j = 0; j < k; j++) {
			struct dp_xmsg *m = msgs[j];
			if (m->is_reply) {
				part_done(w, m->pend);
				continue;
			}
			run(w, m);
			w->counters[DP_W_requests_served]++;
			m->next = NULL;
			if (xc->executed_tail != NULL)
				xc->executed_tail->next = m;
			else
				xc->executed = m;
			xc->executed_tail = m;
		}
		total += k;
	}
	return total;
}

void
dp_xc_flush(struct dp_worker *w)
{
	struct dp_xcore *xc = w->xc;
	void *burst[XC_BURST];

	if (xc == NULL)
		return;
	/* Executed requests go back once their effects are durable. */
	while (xc->executed != NULL) {
		struct dp_xmsg *m = xc->executed;
		xc->executed = m->next;
		backlog_add(xc, m->origin, m);
	}
	xc->executed_tail = NULL;
	for (unsigned t = 0; t < xc->n; t++) {
		while (xc->backlog[t] != NULL) {
			unsigned k = 0;
			struct dp_xmsg *m = xc->backlog[t];
			for (; m != NULL && k < XC_BURST; m = m->next)
				burst[k++] = m;
			/* m: the first message not in this burst. Read every
			 * link before the enqueue: a message sent belongs to
			 * the other worker at once. */
			unsigned sent = rte_ring_sp_enqueue_burst(xc->out[t],
								 burst, k, NULL);
			xc->backlog[t] = sent == k ? m : burst[sent];
			if (xc->backlog[t] == NULL)
				xc->backlog_tail[t] = NULL;
			if (sent < k)
				break;      /* ring full: next iteration */
		}
	}
}

unsigned
dp_xc_pending(const struct dp_worker *w)
{
	return w->xc != NULL ? w->xc->pending : 0;
}

int
dp_xc_setup(struct dp_worker *const *workers, unsigned n)
{
	char name[RTE_RING_NAMESIZE];

	for (unsigned j = 0; j < n; j++) {
		struct dp_worker *w = workers[j];
		w->xc = rte_zmalloc_socket("dp_xcore", sizeof(*w->xc),
					   RTE_CACHE_LINE_SIZE,
					   (int)rte_lcore_to_socket_id(w->lcore));
		if (w->xc == NULL)
			return -ENOMEM;
		w->xc->self = j;
		w->xc->n = n;
		kv_client_init(&w->xc->proxy, xc_write, NULL);
		for (unsigned i = 0; i < n; i++) {
			if (i == j)
				continue;
			/* Ring i -> j lives on the receiver's socket. */
			snprintf(name, sizeof(name), "xc_%u_%u", i, j);
			w->xc->in[i] = rte_ring_create(name, DP_XC_RING_SIZE,
				(int)rte_lcore_to_socket_id(w->lcore),
				RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (w->xc->in[i] == NULL)
				return -rte_errno;
		}
	}
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++)
			if (i != j)
				workers[i]->xc->out[j] = workers[j]->xc->in[i];
	return 0;
}

void
dp_xc_free(struct dp_worker *w)
{
	struct dp_xcore *xc = w->xc;

	if (xc == NULL)
		return;
	for (unsigned i = 0; i < xc->n; i++)
		rte_ring_free(xc->in[i]);
	kv_client_fini(&xc->proxy);
	rte_free(xc);
	w->xc = NULL;
}
