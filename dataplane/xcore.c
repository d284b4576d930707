/*
 * xcore.c -- requests between workers over SPSC rings (see xcore.h),
 * and the transactions that make multi-key commands over several shards
 * atomic and isolated.
 *
 * A transaction (MSET, MSETNX, MGET with keys on several shards) takes
 * exclusive locks on its keys shard by shard in ascending shard order
 * (one shard at a time: two transactions can never wait for each other
 * in a cycle), reads under the locks (MGET; MSETNX checks that no key
 * exists), then applies its writes on every shard, each shard unlocking
 * its keys as it applies. A request that touches a locked key, and every
 * request that arrives behind one, waits in the shard's FIFO until the
 * locks go; a whole-keyspace request waits while any lock is held. So a
 * reader that sees one key of an MSET sees all of them, and the
 * per-shard order of requests is kept.
 *
 * A write over several shards is also all-or-nothing across a crash
 * (two-phase commit in the logs): the origin gives it a transaction id
 * (kv_tx_id) and its participants, each shard logs its part as one
 * tagged record (kv_tx_begin/kv_tx_end) and answers once it is durable,
 * keeping its keys locked; the origin unlocks everywhere when every
 * participant answered. A shard takes no snapshot cut while it holds a
 * part (kv_snapshot_hold). Recovery replays a part only if every
 * participant has its own (docs/architecture.md, "Crash atomicity").
 */
#include <ctype.h>
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

_Static_assert(DP_MAX_WORKERS <= KV_TX_MAX_SHARDS, "a transaction's mask");

#define XC_BURST     32
#define XC_MAX_KEYS  4096       /* keys per request a lock check reads */

enum xc_kind {
	XC_REQ = 0,       /* run a command, reply */
	XC_LOCK,          /* lock the command's keys (and run it if exec) */
	XC_APPLY,         /* run the command; the keys stay locked */
	XC_UNLOCK,        /* unlock the transaction's keys; no reply */
	XC_TXCMD,         /* run a command under the transaction's locks */
	XC_WATCH,         /* WATCH keys for a client of the origin */
};

/* One part of a request: sent by the origin, answered by the target. */
struct dp_xmsg {
	struct dp_xmsg *next;      /* backlog, FIFO and executed lists */
	struct xc_pend *pend;      /* the origin's request (opaque there) */
	uint16_t origin, target;
	uint8_t kind;              /* enum xc_kind */
	bool exec;                 /* XC_LOCK: run the command too */
	bool is_reply;
	bool oom;                  /* the reply could not be stored whole */
	unsigned db;
	uint32_t cflags;
	uint64_t cid;              /* the client's id (CLIENT KILL SKIPME) */
	struct kv_txtag tag;       /* a transaction's part (counter 0: none) */
	int argc;
	struct kv_arg *argv;       /* in the same allocation */
	char *reply;
	size_t reply_len, reply_cap;
	struct kv_wref **wrefs;    /* XC_WATCH: filled by the target */
};

/* The growing reply of a merge. */
struct out_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

/* Transaction phases. */
enum { TX_LOCKING = 0, TX_APPLYING, TX_FETCHING, TX_STORING };

/* A routed request of this worker, waiting for its parts. */
struct xc_pend {
	struct dp_xc_owner owner;
	enum kv_route_kind kind;
	enum kv_merge merge;
	unsigned n_parts, n_done;
	unsigned scan_shard;
	struct out_buf scan_keys;  /* SCAN: keys of the shards walked past */
	long long scan_n;
	uint16_t *key_part;        /* MGET: the part of each key, in order */
	unsigned n_keys;
	bool sync;                 /* still inside dp_xc_execute */
	bool sync_done;
	struct out_buf sync_reply;
	/* transactions */
	unsigned step;             /* the next part to lock */
	int phase;
	bool nx_failed;            /* MSETNX: a key existed */
	struct dp_xmsg **apply;    /* MSETNX: the writes, one per part */
	/* GATHER: the command, its keys, the messages of the moves */
	struct dp_xmsg *orig;
	struct kv_multi *multi;    /* EXEC: the client's transaction */
	struct kv_mkey *gk;        /* the keys and their databases */
	uint16_t *kshard;
	unsigned nk;
	struct dp_xmsg **moves;    /* 2 per remote key: DUMP, PEXPIRETIME;
				    * 1 per remote key: RESTORE or DEL */
	unsigned n_moves, n_waiting;
	bool readonly_cmd;
	bool barrier;              /* the client waits for its reply */
	struct dp_xmsg *parts[];   /* by ascending target */
};

/* A transaction whose part this shard applied, still locked. */
struct xc_held {
	const struct xc_pend *owner;
	uint16_t origin;
};

/* A key locked by a transaction. */
struct xc_lock {
	const struct xc_pend *owner;
	uint16_t origin;
	size_t len;
	char *key;
};

struct dp_xcore {
	unsigned self, n;
	struct rte_ring *in[DP_MAX_WORKERS];    /* from worker i */
	struct rte_ring *out[DP_MAX_WORKERS];   /* to worker j */
	struct dp_xmsg *backlog[DP_MAX_WORKERS], *backlog_tail[DP_MAX_WORKERS];
	struct dp_xmsg *executed, *executed_tail;
	struct dp_xmsg *fifo, *fifo_tail;       /* waiting for locks */
	struct xc_lock *locks;
	unsigned n_locks, cap_locks;
	struct xc_held *held;      /* parts applied here, not yet unlocked */
	unsigned n_held, cap_held;
	bool commit_due;           /* a part's reply waits for a commit */
	struct kv_client proxy;    /* runs other workers' requests */
	struct kv_shard *shards[DP_MAX_WORKERS];  /* every worker's */
	unsigned pending;
};

static void deliver(struct dp_worker *w, struct dp_xmsg *m);

/* list_add -- append m to a singly linked list with a tail. */
static void
list_add(struct dp_xmsg **head, struct dp_xmsg **tail, struct dp_xmsg *m)
{
	m->next = NULL;
	if (*tail != NULL)
		(*tail)->next = m;
	else
		*head = m;
	*tail = m;
}

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
 * (or argv[0..n-1] when idx is NULL); name replaces argv[0] and over
 * replaces argv[1] when not NULL.
 */
static struct dp_xmsg *
msg_new(struct dp_worker *w, unsigned db, uint32_t cflags, unsigned target,
	int n, const struct kv_arg *argv, const int *idx,
	const struct kv_arg *name, const struct kv_arg *over)
{
	size_t bytes = 0;

#define ARG(i) ((i) == 0 && name ? name : (i) == 1 && over ? over : \
		&argv[idx ? idx[i] : (i)])
	for (int i = 0; i < n; i++)
		bytes += ARG(i)->len;
	struct dp_xmsg *m = malloc(sizeof(*m) + (size_t)n * sizeof(*m->argv) +
				   bytes + 1);
	if (m == NULL)
		return NULL;
	memset(m, 0, sizeof(*m));
	m->origin = (uint16_t)w->index;
	m->target = (uint16_t)target;
	m->db = db;
	m->cflags = cflags;
	m->argc = n;
	m->argv = (struct kv_arg *)(m + 1);
	char *p = (char *)(m->argv + n);
	for (int i = 0; i < n; i++) {
		const struct kv_arg *a = ARG(i);
		memcpy(p, a->ptr, a->len);
		m->argv[i].ptr = p;
		m->argv[i].len = a->len;
		p += a->len;
	}
#undef ARG
	return m;
}

static void
msg_free(struct dp_xmsg *m)
{
	free(m->wrefs);
	free(m->reply);
	free(m);
}

/*
 * hold -- a part of a transaction is applied here: no snapshot cut until
 * the transaction unlocks (once per transaction and shard).
 */
static void
hold(struct dp_worker *w, const struct xc_pend *owner, uint16_t origin)
{
	struct dp_xcore *xc = w->xc;

	for (unsigned i = 0; i < xc->n_held; i++)
		if (xc->held[i].owner == owner && xc->held[i].origin == origin)
			return;
	if (xc->n_held == xc->cap_held) {
		unsigned cap = xc->cap_held ? xc->cap_held * 2 : 16;
		struct xc_held *h = realloc(xc->held, cap * sizeof(*h));
		if (h == NULL)
			return;    /* a cut may come: only a crash then harms */
		xc->held = h;
		xc->cap_held = cap;
	}
	xc->held[xc->n_held++] = (struct xc_held){ owner, origin };
	kv_snapshot_hold(w->shard, true);
}

/* run -- execute a message's command on this shard, as its client; a
 * transaction's part is logged as one tagged record. */
static void
run(struct dp_worker *w, struct dp_xmsg *m)
{
	struct kv_client *p = &w->xc->proxy;

	m->reply_len = 0;
	m->oom = false;
	p->db = m->db;
	p->flags = m->cflags;
	p->id = m->cid;
	p->sink = m;
	if (m->tag.counter == 0) {
		kv_execute(w->shard, p, m->argc, m->argv);
		return;
	}
	hold(w, m->pend, m->origin);
	kv_tx_begin(w->shard);
	kv_execute(w->shard, p, m->argc, m->argv);
	kv_tx_end(w->shard, &m->tag);
}

/* msg_cflags -- the client flags a message carries to its target. */
static inline uint32_t
msg_cflags(const struct kv_client *c)
{
	return c->flags & (KV_CLIENT_AUTHENTICATED | KV_CLIENT_ADMIN);
}

/* --- locks ------------------------------------------------------------ */

/* locked_by -- the lock on a key, or NULL. */
static const struct xc_lock *
locked_by(const struct dp_xcore *xc, const struct kv_arg *k)
{
	for (unsigned i = 0; i < xc->n_locks; i++)
		if (xc->locks[i].len == k->len &&
		    memcmp(xc->locks[i].key, k->ptr, k->len) == 0)
			return &xc->locks[i];
	return NULL;
}

/*
 * blocked -- whether m must wait for locks: a request on a locked key
 * (or on the whole keyspace while any lock is held), a lock on a key
 * another transaction holds.
 */
static bool
blocked(const struct dp_xcore *xc, const struct dp_xmsg *m)
{
	int pos[XC_MAX_KEYS];

	if (xc->n_locks == 0)
		return false;
	bool request = m->kind == XC_REQ || m->kind == XC_WATCH;
	int n = kv_request_keys(m->argc, m->argv, pos, XC_MAX_KEYS);
	if (n <= 0)
		return request;
	for (int i = 0; i < n; i++) {
		const struct xc_lock *l = locked_by(xc, &m->argv[pos[i]]);
		if (l != NULL && (request || l->owner != m->pend ||
				  l->origin != m->origin))
			return true;
	}
	return false;
}

/*
 * cut_waits -- a new transaction's lock waits while a snapshot's cut
 * waits for the parts held here: the cut comes when they are unlocked,
 * however busy the shard (their APPLY and UNLOCK never wait).
 */
static bool
cut_waits(const struct dp_worker *w, const struct dp_xmsg *m)
{
	return m->kind == XC_LOCK && kv_snapshot_cut_waiting(w->shard);
}

/* lock_keys -- lock every key of m for its transaction. */
static void
lock_keys(struct dp_xcore *xc, const struct dp_xmsg *m)
{
	int pos[XC_MAX_KEYS];
	int n = kv_request_keys(m->argc, m->argv, pos, XC_MAX_KEYS);

	for (int i = 0; i < n; i++) {
		const struct kv_arg *k = &m->argv[pos[i]];
		if (locked_by(xc, k) != NULL)
			continue;          /* twice in one request */
		if (xc->n_locks == xc->cap_locks) {
			unsigned cap = xc->cap_locks ? xc->cap_locks * 2 : 16;
			struct xc_lock *l = realloc(xc->locks,
						    cap * sizeof(*l));
			if (l == NULL)
				continue;  /* unlocked: only isolation suffers */
			xc->locks = l;
			xc->cap_locks = cap;
		}
		char *copy = malloc(k->len ? k->len : 1);
		if (copy == NULL)
			continue;
		memcpy(copy, k->ptr, k->len);
		xc->locks[xc->n_locks++] = (struct xc_lock){
			.owner = m->pend, .origin = m->origin,
			.len = k->len, .key = copy };
	}
}

/* unlock -- release every key a transaction holds here. */
static void
unlock(struct dp_worker *w, const struct dp_xmsg *m)
{
	struct dp_xcore *xc = w->xc;

	for (unsigned i = 0; i < xc->n_held; i++) {
		if (xc->held[i].owner == m->pend &&
		    xc->held[i].origin == m->origin) {
			xc->held[i] = xc->held[--xc->n_held];
			kv_snapshot_hold(w->shard, false);
			break;
		}
	}
	for (unsigned i = 0; i < xc->n_locks;) {
		if (xc->locks[i].owner == m->pend &&
		    xc->locks[i].origin == m->origin) {
			free(xc->locks[i].key);
			xc->locks[i] = xc->locks[--xc->n_locks];
		} else {
			i++;
		}
	}
}

/* --- delivery ----------------------------------------------------------- */

/* respond -- a request was handled here: its reply goes to its origin. */
static void
respond(struct dp_worker *w, struct dp_xmsg *m)
{
	m->is_reply = true;
	if (m->origin == w->index) {
		deliver(w, m);
		return;
	}
	if (m->tag.counter != 0)
		w->xc->commit_due = true;  /* durable before it answers */
	w->counters[DP_W_requests_served]++;
	/* Back once this iteration's writes are durable: dp_xc_flush. */
	list_add(&w->xc->executed, &w->xc->executed_tail, m);
}

/* process -- handle a request or lock that is free to go. */
static void
process(struct dp_worker *w, struct dp_xmsg *m)
{
	if (m->kind == XC_LOCK) {
		lock_keys(w->xc, m);
		if (m->exec)
			run(w, m);
	} else {
		run(w, m);
		if (m->kind == XC_WATCH)
			kv_watch_handoff(w->shard, &w->xc->proxy, m->wrefs,
					 (unsigned)m->argc - 1);
	}
	respond(w, m);
}

/* drain -- run what waited in the FIFO, in order, up to a blocked one. */
static void
drain(struct dp_worker *w)
{
	struct dp_xcore *xc = w->xc;

	while (xc->fifo != NULL && !blocked(xc, xc->fifo) &&
	       !cut_waits(w, xc->fifo)) {
		struct dp_xmsg *m = xc->fifo;
		xc->fifo = m->next;
		if (xc->fifo == NULL)
			xc->fifo_tail = NULL;
		process(w, m);
	}
}

static void handle_reply(struct dp_worker *w, struct dp_xmsg *m);

/* deliver -- a message arrives at its target (from a ring or here). */
static void
deliver(struct dp_worker *w, struct dp_xmsg *m)
{
	struct dp_xcore *xc = w->xc;

	if (m->is_reply) {
		handle_reply(w, m);
		return;
	}
	switch (m->kind) {
	case XC_UNLOCK:
		unlock(w, m);
		msg_free(m);       /* nobody waits for it */
		drain(w);
		return;
	case XC_TXCMD:
		/* Under the transaction's own locks: it never waits. A
		 * put-back keeps the encoding the copy had. */
		kv_set_restore_exact(w->shard, true);
		run(w, m);
		kv_set_restore_exact(w->shard, false);
		respond(w, m);
		return;
	case XC_APPLY:
		/* The transaction holds its keys: it never waits. They stay
		 * locked until the origin's XC_UNLOCK: every part durable. */
		run(w, m);
		respond(w, m);
		return;
	default:
		if (xc->fifo != NULL || blocked(xc, m) || cut_waits(w, m)) {
			list_add(&xc->fifo, &xc->fifo_tail, m);
			return;
		}
		process(w, m);
	}
}

/* xc_send -- a message to its target: here, or through the ring. */
static void
xc_send(struct dp_worker *w, struct dp_xmsg *m)
{
	m->is_reply = false;
	if (m->target == w->index) {
		w->counters[DP_W_requests_local]++;
		deliver(w, m);
		return;
	}
	w->counters[DP_W_requests_remote]++;
	list_add(&w->xc->backlog[m->target], &w->xc->backlog_tail[m->target],
		 m);
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

/* out_add -- append n bytes to a merged reply (nothing when n is 0). */
static void
out_add(struct out_buf *o, const void *p, size_t n)
{
	if (o->oom || n == 0)
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

/*
 * scan_parse -- a shard's SCAN reply "*2 $L <cursor> *K <keys>": its
 * local cursor, key count and keys' bytes. False for anything else (an
 * error: passed on as it is).
 */
static bool
scan_parse(const struct dp_xmsg *m, unsigned long long *cursor,
	   long long *n_keys, const char **keys, size_t *keys_len)
{
	const char *p = m->reply, *end = m->reply + m->reply_len;
	size_t len = m->reply_len;

	if (m->oom || len < 4 || p[0] != '*')
		return false;
	const char *bulk = memchr(p, '$', len);
	size_t cl = bulk ? elem_len(bulk, (size_t)(end - bulk)) : 0;
	if (cl == 0)
		return false;
	*cursor = strtoull(memchr(bulk, '\n', cl) + 1, NULL, 10);
	const char *arr = bulk + cl;
	const char *nl = arr < end ? memchr(arr, '\n', (size_t)(end - arr)) :
				     NULL;
	if (nl == NULL || arr[0] != '*')
		return false;
	*n_keys = atoll(arr + 1);
	*keys = nl + 1;
	*keys_len = (size_t)(end - *keys);
	return true;
}

/*
 * scan_next -- a shard's SCAN part is back. When that shard is done
 * (local cursor 0) and another one follows, its keys are kept and the
 * same SCAN goes on from cursor 0 on the next shard within this call,
 * as Redis answers a small keyspace in one call. True if it went on.
 */
static bool
scan_next(struct dp_worker *w, struct xc_pend *pd, struct dp_xmsg *m)
{
	static const struct kv_arg zero = { "0", 1 };
	unsigned long long cursor;
	long long k;
	const char *keys;
	size_t kl;

	if (pd->scan_shard + 1 >= w->xc->n ||
	    !scan_parse(m, &cursor, &k, &keys, &kl) || cursor != 0)
		return false;
	struct dp_xmsg *next = msg_new(w, m->db, m->cflags,
				       pd->scan_shard + 1, m->argc, m->argv,
				       NULL, NULL, &zero);
	if (next == NULL)
		return false;      /* stops here: the cursor says where */
	out_add(&pd->scan_keys, keys, kl);
	pd->scan_n += k;
	pd->scan_shard++;
	next->pend = pd;
	pd->parts[0] = next;
	msg_free(m);
	xc_send(w, next);
	return true;
}

/* merge_scan -- SCAN's reply with the shard's cursor made global and the
 * keys of the shards walked past first. */
static void
merge_scan(struct out_buf *o, const struct xc_pend *pd, unsigned n,
	   const struct dp_xmsg *m)
{
	unsigned long long local, global;
	long long k;
	const char *keys;
	size_t kl;

	if (!scan_parse(m, &local, &k, &keys, &kl)) {
		out_add(o, m->reply, m->reply_len);    /* an error: as it is */
		return;
	}
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
	out_fmt(o, "*%lld\r\n", k + pd->scan_n);
	if (pd->scan_keys.oom)
		o->oom = true;
	else
		out_add(o, pd->scan_keys.p, pd->scan_keys.len);
	out_add(o, keys, kl);
}

static bool bulk(const struct dp_xmsg *m, struct kv_arg *out);

/* merge -- the reply of a request whose parts are all back. */
static void
merge(struct xc_pend *pd, struct dp_worker *w, struct out_buf *o)
{
	unsigned n_workers = w->xc->n;

	if (pd->merge == KV_MERGE_KILL) {
		long long sum = 0;
		const struct dp_xmsg *err = NULL;
		bool ok = false;
		for (unsigned i = 0; i < pd->n_parts; i++) {
			const struct dp_xmsg *m = pd->parts[i];
			if (m->reply_len == 0)
				continue;
			if (m->reply[0] == ':')
				sum += atoll(m->reply + 1);
			else if (m->reply[0] == '+')
				ok = true;
			else if (err == NULL)
				err = m;
		}
		if (ok)
			out_add(o, "+OK\r\n", 5);
		else if (err != NULL)
			out_add(o, err->reply, err->reply_len);
		else
			out_fmt(o, ":%lld\r\n", sum);
		return;
	}
	if (pd->merge == KV_MERGE_GATHER) {
		if (pd->orig->oom || pd->orig->reply_len == 0)
			o->oom = true;
		else
			out_add(o, pd->orig->reply, pd->orig->reply_len);
		return;
	}
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
	case KV_MERGE_MIN: {
		long long min = LLONG_MAX;
		for (unsigned i = 0; i < pd->n_parts; i++)
			min = RTE_MIN(min, atoll(pd->parts[i]->reply + 1));
		out_fmt(o, ":%lld\r\n", min);
		return;
	}
	case KV_MERGE_SAVE: {
		char err[512];
		if (kv_save_export(w->shard, pd->n_parts, err,
				   sizeof(err)) != 0) {
			out_add(o, "-ERR ", 5);
			out_add(o, err, strlen(err));
			out_add(o, "\r\n", 2);
		} else
			out_add(o, "+OK\r\n", 5);
		return;
	}
	case KV_MERGE_INFO: {
		const char *texts[DP_MAX_WORKERS];
		size_t lens[DP_MAX_WORKERS];
		for (unsigned i = 0; i < pd->n_parts; i++) {
			/* "$len\r\n<text>\r\n" */
			const struct dp_xmsg *m = pd->parts[i];
			const char *nl = memchr(m->reply, '\n', m->reply_len);
			size_t skip = nl ? (size_t)(nl - m->reply) + 1 : 0;
			texts[i] = m->reply + skip;
			lens[i] = m->reply_len >= skip + 2 ?
				  m->reply_len - skip - 2 : 0;
		}
		char *text = NULL;
		size_t len = kv_info_merge(texts, lens, pd->n_parts, &text);
		if (text == NULL) {
			o->oom = true;
			return;
		}
		out_fmt(o, "$%lld\r\n", (long long)len);
		out_add(o, text, len);
		out_add(o, "\r\n", 2);
		free(text);
		return;
	}
	case KV_MERGE_NX:
		out_add(o, pd->nx_failed ? ":0\r\n" : ":1\r\n", 4);
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
	case KV_MERGE_LINES: {
		/*
		 * Every part's text, one after another. An admin-socket
		 * caller is listed first by every shard (as the proxy that
		 * ran it there): only this worker's line of it is kept.
		 */
		struct out_buf t = { 0 };
		for (unsigned i = 0; i < pd->n_parts; i++) {
			struct kv_arg b;
			if (!bulk(pd->parts[i], &b))
				continue;
			if ((pd->parts[i]->cflags & KV_CLIENT_ADMIN) &&
			    pd->parts[i]->target != w->index) {
				const char *nl = memchr(b.ptr, '\n', b.len);
				size_t skip = nl ? (size_t)(nl - b.ptr) + 1 :
					      b.len;
				b.ptr += skip;
				b.len -= skip;
			}
			out_add(&t, b.ptr, b.len);
		}
		out_fmt(o, "$%lld\r\n", (long long)t.len);
		out_add(o, t.p, t.len);
		out_add(o, "\r\n", 2);
		o->oom |= t.oom;
		free(t.p);
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

/* pend_free -- release a request and its messages. */
static void
pend_free(struct xc_pend *pd)
{
	for (unsigned i = 0; i < pd->n_parts; i++) {
		if (pd->parts[i] != NULL)
			msg_free(pd->parts[i]);
		if (pd->apply != NULL && pd->apply[i] != NULL)
			msg_free(pd->apply[i]);
	}
	free(pd->apply);
	for (unsigned i = 0; i < pd->n_moves; i++)
		if (pd->moves[i] != NULL)
			msg_free(pd->moves[i]);
	free(pd->moves);
	if (pd->orig != NULL)
		msg_free(pd->orig);
	free(pd->gk);
	free(pd->kshard);
	kv_multi_free(pd->multi);     /* NULL once it ran */
	free(pd->key_part);
	free(pd->sync_reply.p);
	free(pd->scan_keys.p);
	free(pd);
}

/* complete -- the request's reply is ready: to its owner. */
static void
complete(struct dp_worker *w, struct xc_pend *pd)
{
	struct out_buf o = { 0 };

	merge(pd, w, &o);
	if (pd->sync) {
		/* Still inside dp_xc_execute: it replies. */
		pd->sync_reply = o;
		pd->sync_done = true;
		return;
	}
	w->xc->pending--;
	if (o.oom)
		pd->owner.done(w, pd->owner.owner, "-ERR out of memory\r\n",
			       20);
	else
		pd->owner.done(w, pd->owner.owner, o.p, o.len);
	free(o.p);
	pend_free(pd);
}

/* unlock_all -- a transaction releases its locks on every shard. */
static void
unlock_all(struct dp_worker *w, struct xc_pend *pd)
{
	for (unsigned i = 0; i < pd->n_parts; i++) {
		const struct dp_xmsg *p = pd->parts[i];
		struct dp_xmsg *u = msg_new(w, p->db, p->cflags, p->target, 0,
					    NULL, NULL, NULL, NULL);
		if (u == NULL)
			continue;  /* cannot happen in practice: 1 byte */
		u->kind = XC_UNLOCK;
		u->pend = pd;
		xc_send(w, u);
	}
}

/* local_run -- run a command in database db of this shard for the
 * transaction's client and keep its message (reply) for the caller to
 * read and free. */
static struct dp_xmsg *
local_run(struct dp_worker *w, const struct xc_pend *pd, unsigned db,
	  int argc, const struct kv_arg *argv)
{
	struct dp_xmsg *m = msg_new(w, db, pd->orig->cflags,
				    w->index, argc, argv, NULL, NULL, NULL);
	if (m != NULL)
		run(w, m);
	return m;
}

/* bulk -- the bytes of a bulk reply, false for anything else. */
static bool
bulk(const struct dp_xmsg *m, struct kv_arg *out)
{
	if (m == NULL || m->oom || m->reply_len < 5 || m->reply[0] != '$' ||
	    m->reply[1] == '-')
		return false;
	const char *nl = memchr(m->reply, '\n', m->reply_len);
	out->ptr = nl + 1;
	out->len = (size_t)atoll(m->reply + 1);
	return (size_t)(out->ptr - m->reply) + out->len + 2 <= m->reply_len;
}

/*
 * move_msg -- the command that puts gathered key k's state, read with
 * DUMP and PEXPIRETIME replies d and t, on shard target (or here): RESTORE ...
 * REPLACE ABSTTL (an absolute time: a TTL does not drift by a
 * millisecond on the way), or DEL when the key does not exist. NULL
 * without memory.
 */
static struct dp_xmsg *
move_msg(struct dp_worker *w, const struct xc_pend *pd, unsigned target,
	 unsigned k, const struct dp_xmsg *d, const struct dp_xmsg *t)
{
	const struct kv_arg *key = &pd->gk[k].key;
	unsigned db = pd->gk[k].db;
	struct kv_arg payload, a[6];
	char ttl[24];
	long long pttl = t != NULL && t->reply_len > 1 ? atoll(t->reply + 1) :
			 -2;

	if (!bulk(d, &payload) || pttl == -2) {
		a[0] = (struct kv_arg){ "DEL", 3 };
		a[1] = *key;
		return msg_new(w, db, pd->orig->cflags, target, 2, a,
			       NULL, NULL, NULL);
	}
	int tl = snprintf(ttl, sizeof(ttl), "%lld", pttl > 0 ? pttl : 0);
	a[0] = (struct kv_arg){ "RESTORE", 7 };
	a[1] = *key;
	a[2] = (struct kv_arg){ ttl, (size_t)tl };
	a[3] = payload;
	a[4] = (struct kv_arg){ "REPLACE", 7 };
	a[5] = (struct kv_arg){ "ABSTTL", 6 };
	return msg_new(w, db, pd->orig->cflags, target, 6, a, NULL,
		       NULL, NULL);
}

/*
 * unique_keys -- drop the later repeats of a key from pos[0..n) (BITOP
 * num num a, ZUNIONSTORE k 2 k j): a gathered key is copied in and put
 * back once, else its second put-back reads the dropped copy and
 * deletes the key. Returns the new count.
 */
static int
unique_keys(const struct kv_arg *argv, int *pos, int n)
{
	int u = 0;

	for (int i = 0; i < n; i++) {
		const struct kv_arg *k = &argv[pos[i]];
		bool seen = false;
		for (int j = 0; j < u && !seen; j++) {
			const struct kv_arg *o = &argv[pos[j]];
			seen = o->len == k->len &&
			       memcmp(o->ptr, k->ptr, k->len) == 0;
		}
		if (!seen)
			pos[u++] = pos[i];
	}
	return u;
}

/* gather_fetch -- read every remote key's value and TTL, locked. */
static void
gather_fetch(struct dp_worker *w, struct xc_pend *pd)
{
	pd->phase = TX_FETCHING;
	pd->n_waiting = 0;
	for (unsigned k = 0; k < pd->nk; k++) {
		if (pd->kshard[k] == w->index)
			continue;
		const struct kv_arg *key = &pd->gk[k].key;
		struct kv_arg dump[2] = { { "DUMP", 4 }, *key };
		struct kv_arg pttl[2] = { { "PEXPIRETIME", 11 }, *key };
		for (int j = 0; j < 2; j++) {
			struct dp_xmsg *m = msg_new(w, pd->gk[k].db,
						    pd->orig->cflags,
						    pd->kshard[k], 2,
						    j ? pttl : dump, NULL,
						    NULL, NULL);
			pd->moves[pd->n_moves++] = m;
			if (m == NULL)
				continue;
			m->kind = XC_TXCMD;
			m->pend = pd;
			pd->n_waiting++;
			xc_send(w, m);
		}
	}
}

/*
 * same_reply -- whether two replies are the same bytes (and both there).
 */
static bool
same_reply(const struct dp_xmsg *a, const struct dp_xmsg *b)
{
	return a != NULL && b != NULL && !a->oom && !b->oom &&
	       a->reply_len == b->reply_len &&
	       memcmp(a->reply, b->reply, a->reply_len) == 0;
}

/*
 * unchanged -- whether a gathered key is as it was copied in: the same
 * DUMP of the copy (or both missing) and no TTL before or after. Such a key (a
 * source the command only read) is not written back: its owner keeps
 * it as it was, encoding included (a RESTORE may pick another one: a
 * small skiplist comes back a listpack, and a -0 score a 0).
 */
static bool
unchanged(const struct dp_xmsg *d0, const struct dp_xmsg *t0,
	  const struct dp_xmsg *d1, const struct dp_xmsg *t1)
{
	if (!same_reply(d0, d1) || !same_reply(t0, t1))
		return false;
	return t0->reply_len > 1 && (strncmp(t0->reply, ":-1\r\n", 5) == 0 ||
				     strncmp(t0->reply, ":-2\r\n", 5) == 0);
}

/*
 * gather_store -- the write-back: moves[first..n_moves) go to their
 * owners, tagged as one transaction with this shard's key states (their
 * record open when mine) if more than one shard writes.
 */
static void
gather_store(struct dp_worker *w, struct xc_pend *pd, bool mine,
	     unsigned first)
{
	struct kv_txtag tag = { .origin = (uint16_t)w->index };
	unsigned writers = 0;

	if (mine) {
		kv_txtag_add(&tag, w->index);
		writers++;
	}
	for (unsigned i = first; i < pd->n_moves; i++) {
		writers += !kv_txtag_has(&tag, pd->moves[i]->target);
		kv_txtag_add(&tag, pd->moves[i]->target);
	}
	if (writers > 1)
		tag.counter = kv_tx_id(w->shard);
	if (mine) {
		tag.nrec = 1;
		kv_tx_end(w->shard, tag.counter != 0 ? &tag : NULL);
	}
	for (unsigned i = first; i < pd->n_moves; i++) {
		struct dp_xmsg *out = pd->moves[i];
		if (tag.counter != 0) {
			/* Keys of one owner: one record each, all needed. */
			out->tag = tag;
			out->tag.nrec = 0;
			for (unsigned j = first; j < pd->n_moves; j++)
				out->tag.nrec += pd->moves[j]->target ==
						 out->target;
		}
		pd->n_waiting++;
		xc_send(w, out);
	}
}

/*
 * gather_run -- every remote key is here (read): copy them into this
 * shard without logging, run the command, put the results back where
 * they belong (logged there), log this shard's keys' final states,
 * drop the copies.
 */
static void
gather_run(struct dp_worker *w, struct xc_pend *pd)
{
	unsigned mi = 0, mj = 0;

	kv_set_logging(w->shard, false);
	for (unsigned k = 0; k < pd->nk; k++) {
		if (pd->kshard[k] == w->index)
			continue;
		const struct kv_arg *key = &pd->gk[k].key;
		unsigned db = pd->gk[k].db;
		struct dp_xmsg *in = move_msg(w, pd, w->index, k,
					      pd->moves[mi], pd->moves[mi + 1]);
		if (in != NULL) {
			kv_set_restore_exact(w->shard, true);
			run(w, in);
			kv_set_restore_exact(w->shard, false);
			msg_free(in);
		}
		/* The copy as restored (its encoding may differ from the
		 * owner's): what "unchanged" compares with afterwards. */
		struct kv_arg dump[2] = { { "DUMP", 4 }, *key };
		struct dp_xmsg *d = local_run(w, pd, db, 2, dump);
		if (pd->moves[mi] != NULL)
			msg_free(pd->moves[mi]);
		pd->moves[mi] = d;
		mi += 2;
	}
	if (pd->multi != NULL) {
		/* EXEC of a transaction taken out of its client. */
		struct kv_client *p = &w->xc->proxy;
		p->db = pd->orig->db;
		p->flags = pd->orig->cflags;
		p->id = pd->orig->cid;
		p->sink = pd->orig;
		pd->orig->reply_len = 0;
		kv_multi_exec_detached(w->shard, p, pd->multi);
		pd->multi = NULL;
	} else {
		run(w, pd->orig);
	}
	kv_set_logging(w->shard, true);
	pd->phase = TX_STORING;
	pd->n_waiting = 0;
	/* This shard's keys: their final states, one record (tagged by
	 * gather_store if other shards write too). */
	bool mine = false;
	for (unsigned k = 0; k < pd->nk && !pd->readonly_cmd; k++)
		mine |= pd->kshard[k] == w->index;
	if (mine) {
		hold(w, pd, (uint16_t)w->index);
		kv_tx_begin(w->shard);
		for (unsigned k = 0; k < pd->nk; k++)
			if (pd->kshard[k] == w->index)
				kv_key_log_state(w->shard, pd->gk[k].db,
						 pd->gk[k].key.ptr,
						 pd->gk[k].key.len);
	}
	unsigned first_out = pd->n_moves;
	for (unsigned k = 0; k < pd->nk; k++) {
		const struct kv_arg *key = &pd->gk[k].key;
		unsigned db = pd->gk[k].db;
		if (pd->kshard[k] == w->index)
			continue;
		struct dp_xmsg *out = NULL;
		const struct dp_xmsg *d0 = pd->moves[mj];
		const struct dp_xmsg *t0 = pd->moves[mj + 1];
		mj += 2;
		if (!pd->readonly_cmd) {
			struct kv_arg dump[2] = { { "DUMP", 4 }, *key };
			struct kv_arg pttl[2] = { { "PEXPIRETIME", 11 }, *key };
			struct dp_xmsg *d = local_run(w, pd, db, 2, dump);
			struct dp_xmsg *t = local_run(w, pd, db, 2, pttl);
			if (!unchanged(d0, t0, d, t))
				out = move_msg(w, pd, pd->kshard[k], k, d, t);
			if (d != NULL)
				msg_free(d);
			if (t != NULL)
				msg_free(t);
		}
		/* The copy goes, unlogged: this shard does not own it. */
		struct kv_arg del[2] = { { "DEL", 3 }, *key };
		kv_set_logging(w->shard, false);
		struct dp_xmsg *x = local_run(w, pd, db, 2, del);
		kv_set_logging(w->shard, true);
		if (x != NULL)
			msg_free(x);
		if (out == NULL)
			continue;
		out->kind = XC_TXCMD;
		out->pend = pd;
		pd->moves[pd->n_moves++] = out;
	}
	gather_store(w, pd, mine, first_out);
	if (pd->n_waiting == 0) {
		unlock_all(w, pd);
		complete(w, pd);
	}
}

/* tx_next -- the next step of a transaction after a reply. */
static void
tx_next(struct dp_worker *w, struct xc_pend *pd)
{
	if (pd->phase == TX_LOCKING && pd->step < pd->n_parts) {
		/* Lock the next shard, in ascending order. */
		xc_send(w, pd->parts[pd->step]);
		return;
	}
	if (pd->phase == TX_LOCKING && pd->merge == KV_MERGE_GATHER) {
		gather_fetch(w, pd);
		if (pd->n_waiting == 0)
			gather_run(w, pd);
		return;
	}
	if (pd->phase == TX_FETCHING) {
		if (pd->n_waiting == 0)
			gather_run(w, pd);
		return;
	}
	if (pd->phase == TX_STORING) {
		if (pd->n_waiting == 0) {
			kv_commit(w->shard);
			unlock_all(w, pd);
			complete(w, pd);
		}
		return;
	}
	if (pd->phase == TX_LOCKING) {
		/* Every key is locked (and MGET/MSETNX read under them). */
		if (pd->merge == KV_MERGE_NX) {
			for (unsigned i = 0; i < pd->n_parts; i++)
				if (pd->parts[i]->reply_len > 1 &&
				    pd->parts[i]->reply[0] == ':' &&
				    atoll(pd->parts[i]->reply + 1) > 0)
					pd->nx_failed = true;
		}
		if (pd->merge == KV_MERGE_ORDERED || pd->nx_failed) {
			unlock_all(w, pd);
			complete(w, pd);
			return;
		}
		pd->phase = TX_APPLYING;
		pd->n_done = 0;
		/* One transaction id for all the parts, sent together: on
		 * every ring they follow each other in counter order. */
		struct kv_txtag tag = { .origin = (uint16_t)w->index,
					.nrec = 1 };
		for (unsigned i = 0; i < pd->n_parts; i++)
			kv_txtag_add(&tag, pd->parts[i]->target);
		if (pd->n_parts > 1)
			tag.counter = kv_tx_id(w->shard);
		for (unsigned i = 0; i < pd->n_parts; i++) {
			struct dp_xmsg *m = pd->apply != NULL ? pd->apply[i] :
					    pd->parts[i];
			m->kind = XC_APPLY;
			m->tag = tag;
			xc_send(w, m);
		}
		return;
	}
	if (pd->n_done == pd->n_parts) {
		/* Applied everywhere: an error of one shard is the reply. */
		if (pd->apply != NULL)
			for (unsigned i = 0; i < pd->n_parts; i++) {
				struct dp_xmsg *t = pd->parts[i];
				pd->parts[i] = pd->apply[i];
				pd->apply[i] = t;
			}
		/* Durable everywhere (here too): only now the keys go. */
		kv_commit(w->shard);
		unlock_all(w, pd);
		complete(w, pd);
	}
}

/* handle_reply -- a part of a request of this worker is back. */
static void
handle_reply(struct dp_worker *w, struct dp_xmsg *m)
{
	struct xc_pend *pd = m->pend;

	if (pd->kind == KV_ROUTE_TX) {
		if (pd->phase == TX_LOCKING)
			pd->step++;
		else if (pd->phase == TX_FETCHING || pd->phase == TX_STORING)
			pd->n_waiting--;
		else
			pd->n_done++;
		tx_next(w, pd);
		return;
	}
	if (pd->kind == KV_ROUTE_SCAN && scan_next(w, pd, m))
		return;
	if (++pd->n_done == pd->n_parts)
		complete(w, pd);
}

/* reply_raw -- write an error or a reply straight to a client. */
static void
reply_raw(struct kv_client *c, const char *s)
{
	c->write(c->sink, s, strlen(s));
}

/*
 * split -- one message per shard with argv[0] and that shard's keys
 * (with the value after each key when pairs), in ascending shard order;
 * records the part of each key for MGET's merge. name replaces the
 * command name. Returns false without memory.
 */
static bool
split(struct dp_worker *w, struct xc_pend *pd, struct dp_xmsg **into,
      const struct kv_client *c, int argc, const struct kv_arg *argv,
      bool pairs, const struct kv_arg *name)
{
	unsigned n = w->xc->n, step = pairs ? 2 : 1;
	int part_of[DP_MAX_WORKERS];
	int *idx = malloc((size_t)argc * sizeof(*idx));
	uint16_t *shard_of = malloc((size_t)argc * sizeof(*shard_of));
	bool ok = idx != NULL && shard_of != NULL;

	for (unsigned t = 0; t < n; t++)
		part_of[t] = -1;
	for (int i = 1; ok && i < argc; i += (int)step)
		shard_of[i] = (uint16_t)kv_key_shard(argv[i].ptr, argv[i].len,
						     n);
	unsigned parts = 0;
	for (unsigned t = 0; ok && t < n; t++) {
		int k = 0;
		idx[k++] = 0;
		for (int i = 1; i < argc; i += (int)step) {
			if (shard_of[i] != t)
				continue;
			idx[k++] = i;
			if (pairs && i + 1 < argc)
				idx[k++] = i + 1;
		}
		if (k == 1)
			continue;
		part_of[t] = (int)parts;
		into[parts] = msg_new(w, c->db, msg_cflags(c), t, k, argv,
				      idx, name, NULL);
		if (into[parts] == NULL)
			ok = false;
		else
			into[parts]->pend = pd;
		parts++;
	}
	if (ok && pd->key_part != NULL)
		for (int i = 1; i < argc; i++)
			pd->key_part[i - 1] = (uint16_t)part_of[shard_of[i]];
	pd->n_parts = parts;
	free(idx);
	free(shard_of);
	return ok;
}

/*
 * start -- send a routed request's parts (a transaction: lock its first
 * shard). Returns dp_xc_execute's answer: true when it all ran here and
 * c has its reply; false when o->done will get it. A transaction sets
 * o->barrier: the client's later requests must wait for its reply (its
 * locks are taken one shard after another, and a later request sent
 * meanwhile could pass it on a shard it has not locked yet).
 */
static bool
start(struct dp_worker *w, struct kv_client *c, struct xc_pend *pd,
      struct dp_xc_owner *o)
{
	for (unsigned i = 0; i < pd->n_parts; i++) {
		pd->parts[i]->pend = pd;
		pd->parts[i]->cid = c->id;
	}
	if (pd->orig != NULL)
		pd->orig->cid = c->id;
	pd->sync = true;
	if (pd->kind == KV_ROUTE_TX) {
		for (unsigned i = 0; i < pd->n_parts; i++) {
			pd->parts[i]->kind = XC_LOCK;
			pd->parts[i]->exec = pd->merge == KV_MERGE_ORDERED ||
					     pd->merge == KV_MERGE_NX;
		}
		tx_next(w, pd);    /* locks the first shard */
	} else {
		for (unsigned i = 0; i < pd->n_parts; i++)
			xc_send(w, pd->parts[i]);
	}
	pd->sync = false;
	if (pd->sync_done) {
		/* Everything ran here (SCAN of this shard, or a request
		 * that did not have to wait): reply now. */
		if (pd->sync_reply.oom)
			reply_raw(c, "-ERR out of memory\r\n");
		else
			c->write(c->sink, pd->sync_reply.p, pd->sync_reply.len);
		pend_free(pd);
		return true;
	}
	w->xc->pending++;
	o->barrier = pd->kind == KV_ROUTE_TX || pd->barrier;
	return false;
}

/*
 * gather_parts -- for a gathered request whose keys pd->gk[0..nk) are
 * set: the shard of each key, room for the moves, and the lock messages
 * (EXISTS of each shard's keys, one per shard). False without memory.
 */
static bool
gather_parts(struct dp_worker *w, struct xc_pend *pd,
	     const struct kv_client *c)
{
	unsigned n = w->xc->n;
	struct kv_arg *keys = malloc(((size_t)pd->nk + 1) * sizeof(*keys));

	pd->kshard = malloc((size_t)pd->nk * sizeof(*pd->kshard));
	pd->moves = calloc(3 * (size_t)pd->nk, sizeof(*pd->moves));
	bool ok = keys != NULL && pd->kshard != NULL && pd->moves != NULL;
	if (ok) {
		pd->orig->pend = pd;
		keys[0] = (struct kv_arg){ "EXISTS", 6 };
		for (unsigned k = 0; k < pd->nk; k++) {
			keys[k + 1] = pd->gk[k].key;
			pd->kshard[k] = (uint16_t)kv_key_shard(
				pd->gk[k].key.ptr, pd->gk[k].key.len, n);
		}
		ok = split(w, pd, pd->parts, c, (int)pd->nk + 1, keys, false,
			   NULL);
	}
	free(keys);
	return ok;
}

/*
 * exec_gathered -- EXEC with several workers. A transaction whose keys
 * are all this shard's runs here at once when no cross-shard lock is
 * held here. Any other (keys of other shards, or locks held: its keys
 * may be some transaction's) leaves its client (which leaves MULTI),
 * its keys (queued commands' and WATCHed) are locked shard by shard and
 * gathered here as for any gathered command, EXEC runs on them, the
 * results go back to their owners. A transaction with a command that
 * cannot run on gathered keys (whole-keyspace, SWAPDB, MOVE, COPY ...
 * DB) is refused, wherever its keys are, as no shard alone can run it.
 */
static bool
exec_gathered(struct dp_worker *w, struct kv_client *c,
	      const struct kv_arg *argv, struct dp_xc_owner *o)
{
	unsigned n = w->xc->n;
	uint32_t cflags = msg_cflags(c);
	struct kv_mkey *gk = NULL;
	unsigned db_after;
	bool readonly;
	const char *why;
	char err[256], name[64];

	bool local = w->xc->n_locks == 0 && w->xc->fifo == NULL &&
		     kv_multi_local(c, w->index, n);
	int nk = kv_multi_keys(w->shard, c, n, local ? NULL : &gk, &db_after,
			       &readonly, &why);
	if (local && nk >= 0) {
		w->counters[DP_W_requests_local]++;
		kv_execute(w->shard, c, 1, argv);
		return true;
	}
	if (nk < 0) {
		kv_multi_free(kv_multi_detach(c));
		if (nk == -1) {
			reply_raw(c, "-ERR out of memory\r\n");
			return true;
		}
		size_t i;
		for (i = 0; why[i] != '\0' && i + 1 < sizeof(name); i++)
			name[i] = (char)toupper((unsigned char)why[i]);
		name[i] = '\0';
		snprintf(err, sizeof(err), "-EXECABORT Transaction discarded: "
			 "%s cannot run in a transaction whose keys are on "
			 "several workers' shards (use one {hashtag})\r\n",
			 name);
		reply_raw(c, err);
		return true;
	}
	struct xc_pend *pd = calloc(1, sizeof(*pd) + n * sizeof(pd->parts[0]));
	bool ok = pd != NULL;
	if (ok) {
		pd->owner = *o;
		pd->kind = KV_ROUTE_TX;
		pd->merge = KV_MERGE_GATHER;
		pd->gk = gk;
		gk = NULL;
		pd->nk = (unsigned)nk;
		pd->readonly_cmd = readonly;
		pd->orig = msg_new(w, c->db, cflags, w->index, 1, argv, NULL,
				   NULL, NULL);
		ok = pd->orig != NULL && gather_parts(w, pd, c);
	}
	free(gk);
	if (!ok) {
		if (pd != NULL)
			pend_free(pd);
		reply_raw(c, "-ERR out of memory\r\n");
		return true;
	}
	pd->multi = kv_multi_detach(c);
	c->db = db_after;          /* the SELECTs it queued */
	return start(w, c, pd, o);
}

/*
 * watch_routed -- WATCH with keys of other shards: this shard's keys are
 * watched here at once; each other shard runs WATCH of its keys for a
 * proxy and hands the references over to the client's watched keys
 * (kv_watch_remote, kv_watch_handoff). +OK when all are back.
 */
static bool
watch_routed(struct dp_worker *w, struct kv_client *c, int argc,
	     const struct kv_arg *argv, struct dp_xc_owner *o)
{
	struct dp_xcore *xc = w->xc;
	unsigned n = xc->n;
	uint32_t cflags = msg_cflags(c);
	struct kv_arg *a = malloc((size_t)argc * sizeof(*a));
	struct kv_wref **refs = malloc((size_t)argc * sizeof(*refs));
	struct xc_pend *pd = calloc(1, sizeof(*pd) + n * sizeof(pd->parts[0]));
	int k = 0;

	if (a == NULL || refs == NULL || pd == NULL)
		goto oom;
	a[k++] = argv[0];
	for (int i = 1; i < argc; i++)
		if (kv_key_shard(argv[i].ptr, argv[i].len, n) == w->index)
			a[k++] = argv[i];
	if (k == argc) {
		/* Every key is here. */
		free(a);
		free(refs);
		free(pd);
		w->counters[DP_W_requests_local]++;
		kv_execute(w->shard, c, argc, argv);
		return true;
	}
	if (k > 1) {
		struct dp_xmsg *r = msg_new(w, c->db, cflags, w->index, 0, NULL,
					    NULL, NULL, NULL);
		if (r == NULL)
			goto oom;
		kv_write_fn wr = c->write;
		void *sink = c->sink;
		c->write = xc_write;
		c->sink = r;
		kv_execute(w->shard, c, k, a);
		c->write = wr;
		c->sink = sink;
		bool watched = r->reply_len == 5 && !r->oom &&
			       memcmp(r->reply, "+OK\r\n", 5) == 0;
		if (!watched)
			c->write(c->sink, r->oom ? "-ERR out of memory\r\n" :
				 r->reply, r->oom ? 20 : r->reply_len);
		msg_free(r);
		if (!watched) {
			free(a);
			free(refs);
			free(pd);
			return true;
		}
	}
	pd->owner = *o;
	pd->kind = KV_ROUTE_ALL;
	pd->merge = KV_MERGE_ALL_OK;
	pd->barrier = true;
	for (unsigned t = 0; t < n; t++) {
		if (t == w->index)
			continue;
		k = 0;
		a[k++] = argv[0];
		for (int i = 1; i < argc; i++) {
			if (kv_key_shard(argv[i].ptr, argv[i].len, n) != t)
				continue;
			if (kv_watch_remote(c, xc->shards[t], c->db, &argv[i],
					    &refs[k]) != 0)
				break;     /* out of memory: what is watched
					    * so far still goes */
			if (refs[k] != NULL)
				a[k++] = argv[i];
		}
		if (k == 1)
			continue;
		struct dp_xmsg *m = msg_new(w, c->db, cflags, t, k, a, NULL,
					    NULL, NULL);
		struct kv_wref **mine = malloc((size_t)k * sizeof(*mine));
		if (m == NULL || mine == NULL) {
			/* Never filled: EXEC will see them as modified. */
			free(m);
			free(mine);
			continue;
		}
		memcpy(mine, refs + 1, (size_t)(k - 1) * sizeof(*mine));
		m->kind = XC_WATCH;
		m->wrefs = mine;
		pd->parts[pd->n_parts++] = m;
	}
	free(a);
	free(refs);
	if (pd->n_parts == 0) {
		/* Every key of other shards was watched already. */
		free(pd);
		reply_raw(c, "+OK\r\n");
		return true;
	}
	return start(w, c, pd, o);

oom:
	free(a);
	free(refs);
	free(pd);
	reply_raw(c, "-ERR out of memory\r\n");
	return true;
}

bool
dp_xc_execute(struct dp_worker *w, struct kv_client *c, int argc,
	      const struct kv_arg *argv, struct dp_xc_owner *o)
{
	struct dp_xcore *xc = w->xc;
	struct kv_route_plan plan;
	unsigned n = xc != NULL ? xc->n : 1;
	uint32_t cflags = msg_cflags(c);
	struct kv_arg over = { 0 };
	char curbuf[32];

	kv_route_plan(argc, argv, n, &plan);
	o->barrier = false;
	if (n > 1 && (c->flags & KV_CLIENT_MULTI) && argc >= 1) {
		/*
		 * Commands are queued on the client's own shard; EXEC runs
		 * there when every key of the transaction is there, else
		 * gathered (exec_gathered).
		 */
		if (argc == 1 && kv_arg_is(&argv[0], "exec") &&
		    !(c->flags & KV_CLIENT_DIRTY_EXEC))
			return exec_gathered(w, c, argv, o);
		plan.kind = KV_ROUTE_HOME;
	} else if (n > 1 && argc >= 2 && kv_arg_is(&argv[0], "watch")) {
		return watch_routed(w, c, argc, argv, o);
	}
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
	bool here = plan.kind == KV_ROUTE_HOME ||
		    (plan.kind == KV_ROUTE_SHARD && plan.shard == w->index);
	if (here && (xc == NULL || plan.kind == KV_ROUTE_HOME ||
		     (xc->n_locks == 0 && xc->fifo == NULL))) {
		w->counters[DP_W_requests_local]++;
		kv_execute(w->shard, c, argc, argv);
		return true;
	}

	if (plan.kind == KV_ROUTE_CROSS) {
		reply_raw(c, plan.error != NULL ? plan.error :
			  "-CROSSSLOT Keys in request don't hash to the "
			  "same slot\r\n");
		return true;
	}
	bool ok = true;
	unsigned max_parts = plan.kind == KV_ROUTE_SHARD ||
			     plan.kind == KV_ROUTE_SCAN ? 1 : n;
	struct xc_pend *pd = calloc(1, sizeof(*pd) +
				    max_parts * sizeof(pd->parts[0]));
	if (pd == NULL)
		goto oom;
	pd->owner = *o;
	pd->kind = plan.kind;
	pd->merge = plan.merge;
	pd->scan_shard = plan.shard;
	pd->sync = true;

	if (plan.kind == KV_ROUTE_SHARD || plan.kind == KV_ROUTE_SCAN) {
		pd->n_parts = 1;
		pd->parts[0] = msg_new(w, c->db, cflags, plan.shard, argc, argv,
				       NULL, NULL, over.ptr ? &over : NULL);
		ok = pd->parts[0] != NULL;
	} else if (plan.kind == KV_ROUTE_ALL) {
		pd->n_parts = n;
		for (unsigned t = 0; t < n && ok; t++)
			ok = (pd->parts[t] = msg_new(w, c->db, cflags, t, argc,
						     argv, NULL, NULL,
						     NULL)) != NULL;
	} else if (plan.merge == KV_MERGE_GATHER) {
		/* Lock every key; the command itself runs here later. */
		int *pos = malloc((size_t)argc * sizeof(*pos));
		pd->gk = malloc((size_t)argc * sizeof(*pd->gk));
		pd->orig = msg_new(w, c->db, cflags, w->index, argc, argv, NULL,
				   NULL, NULL);
		pd->readonly_cmd = plan.readonly;
		ok = pos != NULL && pd->gk != NULL && pd->orig != NULL;
		int nk = ok ? kv_request_keys(argc, argv, pos, argc) : 0;
		ok = ok && nk > 0;
		if (ok) {
			nk = unique_keys(argv, pos, nk);
			for (int k = 0; k < nk; k++)
				pd->gk[k] = (struct kv_mkey){
					c->db, pd->orig->argv[pos[k]] };
			pd->nk = (unsigned)nk;
			ok = gather_parts(w, pd, c);
		}
		free(pos);
	} else if (plan.merge == KV_MERGE_NX) {
		/* MSETNX: EXISTS under the locks, then MSET. */
		static const struct kv_arg exists = { "EXISTS", 6 };
		static const struct kv_arg mset = { "MSET", 4 };
		int *pos = malloc((size_t)argc * sizeof(*pos));
		struct kv_arg *keys = malloc((size_t)argc * sizeof(*keys));
		pd->apply = calloc(n, sizeof(*pd->apply));
		ok = pos != NULL && keys != NULL && pd->apply != NULL;
		if (ok) {
			/* EXISTS k1 k2 ...: the keys without their values. */
			int k = 0;
			keys[k++] = exists;
			for (int i = 1; i < argc; i += 2)
				keys[k++] = argv[i];
			ok = split(w, pd, pd->parts, c, k, keys, false, NULL);
			unsigned parts = pd->n_parts;
			ok = ok && split(w, pd, pd->apply, c, argc, argv, true,
					 &mset);
			ok = ok && pd->n_parts == parts;
		}
		free(pos);
		free(keys);
	} else {
		bool pairs = plan.merge == KV_MERGE_ALL_OK;   /* MSET */
		if (plan.merge == KV_MERGE_ORDERED) {
			pd->key_part = malloc((size_t)argc *
					      sizeof(*pd->key_part));
			pd->n_keys = (unsigned)argc - 1;
			ok = pd->key_part != NULL;
		}
		ok = ok && split(w, pd, pd->parts, c, argc, argv, pairs, NULL);
	}
	if (!ok)
		goto oom_pd;
	return start(w, c, pd, o);

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
		for (unsigned j = 0; j < k; j++)
			deliver(w, msgs[j]);
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
	/* A transaction's part answers only once durable, whatever the
	 * persistence mode (the origin then unlocks it everywhere). */
	if (xc->commit_due) {
		kv_commit(w->shard);
		xc->commit_due = false;
	}
	/* Executed requests go back once their effects are durable. */
	while (xc->executed != NULL) {
		struct dp_xmsg *m = xc->executed;
		xc->executed = m->next;
		list_add(&xc->backlog[m->origin], &xc->backlog_tail[m->origin],
			 m);
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
dp_xc_depth(const struct dp_worker *w)
{
	const struct dp_xcore *xc = w->xc;
	unsigned n = 0;

	if (xc == NULL)
		return 0;
	for (unsigned i = 0; i < xc->n; i++)
		if (i != xc->self)
			n += rte_ring_count(xc->in[i]);
	for (const struct dp_xmsg *m = xc->fifo; m != NULL; m = m->next)
		n++;
	return n;
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
		for (unsigned j = 0; j < n; j++) {
			workers[i]->xc->shards[j] = workers[j]->shard;
			if (i != j)
				workers[i]->xc->out[j] = workers[j]->xc->in[i];
		}
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
	for (unsigned i = 0; i < xc->n_locks; i++)
		free(xc->locks[i].key);
	free(xc->locks);
	free(xc->held);
	kv_client_fini(&xc->proxy);
	rte_free(xc);
	w->xc = NULL;
}
