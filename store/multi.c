/*
 * multi.c -- transactions (MULTI, EXEC, DISCARD) and optimistic locking
 * (WATCH, UNWATCH), with Redis 7.0's semantics.
 *
 * A client's queue lives in its struct kv_multi (kv_client.multi): each
 * queued request is copied into one allocation. EXEC runs the queue with
 * the effects gathered into one log record (kv_propagate_begin/end), so
 * that recovery replays all of a transaction or none of it.
 *
 * WATCH: each database of a shard has a kv_dict from watched key to a
 * struct kv_watched: a version bumped whenever the key is modified
 * (kv_touch_key, reached from kv_propagate for every effect and from
 * kv_flush_db), and the number of clients watching it. A client keeps
 * the version it saw; EXEC fails if any differs, or if a watched key has
 * expired since. The shard never points at a client: kv_client_fini may
 * run on another thread (admin socket clients) and only drops its
 * references with an atomic decrement; the shard reclaims the keys
 * nobody watches in kv_cron. Keys released on the shard's own thread
 * are reclaimed at once.
 *
 * With several shards a client may WATCH another shard's key: its
 * struct kv_wkey then holds a struct kv_wref that the owner fills on its
 * own thread (kv_watch_remote, kv_watch_handoff). A transaction whose
 * keys are on several shards is taken out of its client
 * (kv_multi_detach) and run by the coordinating shard on a proxy client
 * once every key is gathered there (kv_multi_exec_detached; see
 * dataplane/xcore.c), its keys listed by kv_multi_keys.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "dict.h"
#include "kv_private.h"

/* One watched key in the shard's index. */
struct kv_watched {
	uint64_t version;          /* bumped on every modification */
	uint32_t refs;             /* clients watching it (atomic) */
};

/* One queued request: argv and the bytes of the arguments follow. */
struct kv_qcmd {
	const struct kv_cmd *cmd;
	int argc;
	struct kv_arg *argv;
};

/*
 * A WATCH of a key of another shard (another thread): the owner fills it
 * (kv_watch_handoff) with the key's struct kv_watched and its version,
 * or marks it failed; the client may drop it before that (cancelled),
 * and then the owner frees it. state moves once, by compare-and-swap.
 */
enum { WREF_PENDING = 0, WREF_FILLED, WREF_FAILED, WREF_CANCELLED };

struct kv_wref {
	struct kv_watched *w;
	uint64_t version;
	uint32_t state;
};

/* A key a client watches. */
struct kv_wkey {
	struct kv_shard *s;
	struct kv_watched *w;      /* NULL for a remote key: see ref */
	struct kv_wref *ref;       /* a key of another shard, or NULL */
	uint64_t version;          /* w->version when WATCH ran */
	unsigned db;
	size_t klen;
	char *key;
};

struct kv_multi {
	struct kv_qcmd *q;
	unsigned n, cap;
	uint32_t flags;            /* KV_CMD_* of the queued commands */
	size_t bytes;              /* log bytes their effects may take */
	struct kv_wkey *wk;
	unsigned nw, capw;
};

/* multi_get -- the client's transaction state, created on first use. */
static struct kv_multi *
multi_get(struct kv_client *c)
{
	if (c->multi == NULL)
		c->multi = calloc(1, sizeof(*c->multi));
	return c->multi;
}

/* watched_of -- the struct kv_watched of a dict entry. */
static struct kv_watched *
watched_of(const struct kv_dict_entry *de)
{
	return (struct kv_watched *)(void *)de->v.s.ptr;
}

void
kv_touch_key(struct kv_shard *s, unsigned db, const char *key, size_t klen)
{
	struct kv_dict *d = s->watched[db];

	if (d == NULL || kv_dict_size(d) == 0)
		return;
	struct kv_dict_entry *de = kv_dict_lookup(d, key, klen);
	if (de != NULL)
		__atomic_fetch_add(&watched_of(de)->version, 1,
				   __ATOMIC_RELAXED);
}

void
kv_touch_effect(struct kv_shard *s, unsigned db, int argc,
		const struct kv_arg *argv)
{
	if (s->n_watched == 0)
		return;
	const struct kv_cmd *cmd = kv_cmd_lookup(argv[0].ptr, argv[0].len);
	if (cmd == NULL || cmd->first_key == 0)
		return;
	/* Effects whose other keys are only read, or are in another db. */
	if (cmd->fn == cmd_bitop) {
		if (argc > 2)
			kv_touch_key(s, db, argv[2].ptr, argv[2].len);
		return;
	}
	if (cmd->fn == cmd_pfmerge) {
		kv_touch_key(s, db, argv[1].ptr, argv[1].len);
		return;
	}
	if (cmd->fn == cmd_copy)
		return;            /* its destination may be in another db */
	int last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
	int step = cmd->key_step > 0 ? cmd->key_step : 1;
	for (int i = cmd->first_key; i <= last && i < argc; i += step)
		kv_touch_key(s, db, argv[i].ptr, argv[i].len);
}

/* What kv_touch_db's callback needs. */
struct touch_db_ctx {
	struct kv_shard *s;
	unsigned db;
};

/* touch_existing -- kv_dict_foreach callback of kv_touch_db. */
static void
touch_existing(void *arg, const struct kv_dict_entry *de)
{
	struct touch_db_ctx *x = arg;

	/* Redis 7.0 touches only the watched keys the flush deletes. */
	if (kv_peek(x->s, x->db, de->field, de->flen) != NULL)
		__atomic_fetch_add(&watched_of(de)->version, 1,
				   __ATOMIC_RELAXED);
}

void
kv_touch_db(struct kv_shard *s, unsigned db)
{
	struct touch_db_ctx x = { s, db };

	if (s->watched[db] != NULL && kv_dict_size(s->watched[db]) > 0)
		kv_dict_foreach(s->watched[db], touch_existing, &x);
}

/* reap_ctx -- the unwatched keys of one dict, collected to delete. */
struct reap_ctx {
	const struct kv_dict_entry **dead;
	size_t n, cap;
};

/* collect_dead -- kv_dict_foreach callback: note the unwatched keys. */
static void
collect_dead(void *arg, const struct kv_dict_entry *de)
{
	struct reap_ctx *x = arg;

	if (__atomic_load_n(&watched_of(de)->refs, __ATOMIC_ACQUIRE) != 0)
		return;
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 16;
		const struct kv_dict_entry **p =
			realloc(x->dead, cap * sizeof(*p));
		if (p == NULL)
			return;    /* the next reap gets it */
		x->dead = p;
		x->cap = cap;
	}
	x->dead[x->n++] = de;
}

/* forget -- remove a key nobody watches from the index. */
static void
forget(struct kv_shard *s, unsigned db, const char *key, size_t klen)
{
	struct kv_dict_entry *de = kv_dict_lookup(s->watched[db], key, klen);

	if (de == NULL || watched_of(de)->refs != 0)
		return;
	free(watched_of(de));
	kv_dict_del(s->watched[db], key, klen);
	s->n_watched--;
}

void
kv_watch_reap(struct kv_shard *s)
{
	if (__atomic_load_n(&s->watch_garbage, __ATOMIC_ACQUIRE) == 0)
		return;
	__atomic_store_n(&s->watch_garbage, 0, __ATOMIC_RELAXED);
	for (unsigned db = 0; db < s->n_db; db++) {
		struct reap_ctx x = { 0 };
		if (s->watched[db] == NULL)
			continue;
		kv_dict_foreach(s->watched[db], collect_dead, &x);
		for (size_t i = 0; i < x.n; i++) {
			/* Copy the key: deleting frees the entry. */
			size_t klen = x.dead[i]->flen;
			char *key = malloc(klen ? klen : 1);
			if (key == NULL)
				break;
			memcpy(key, x.dead[i]->field, klen);
			forget(s, db, key, klen);
			free(key);
		}
		free(x.dead);
	}
}

/* free_watched -- kv_dict_foreach callback of kv_watch_free. */
static void
free_watched(void *arg, const struct kv_dict_entry *de)
{
	(void)arg;
	free(watched_of(de));
}

void
kv_watch_free(struct kv_shard *s)
{
	for (unsigned db = 0; db < CFG_MAX_DATABASES; db++) {
		if (s->watched[db] == NULL)
			continue;
		kv_dict_foreach(s->watched[db], free_watched, NULL);
		kv_dict_free(s->watched[db]);
		s->watched[db] = NULL;
	}
	s->n_watched = 0;
}

/*
 * release -- drop a client's reference to a watched key. On the key's
 * own shard (cur) the key is forgotten at once, elsewhere (cur NULL:
 * any thread) the shard is told to reap.
 */
static void
release(struct kv_shard *cur, struct kv_wkey *k)
{
	struct kv_watched *w = k->w;

	if (k->ref != NULL) {
		uint32_t st = WREF_PENDING;
		if (__atomic_compare_exchange_n(&k->ref->state, &st,
						WREF_CANCELLED, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			free(k->key);      /* the owner frees the ref */
			return;
		}
		w = st == WREF_FILLED ? k->ref->w : NULL;
		free(k->ref);
	}
	if (w != NULL &&
	    __atomic_sub_fetch(&w->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		if (cur == k->s)
			forget(cur, k->db, k->key, k->klen);
		else
			__atomic_fetch_add(&k->s->watch_garbage, 1,
					   __ATOMIC_RELEASE);
	}
	free(k->key);
}

/* unwatch_all -- forget every key c watches (Redis's unwatchAllKeys). */
static void
unwatch_all(struct kv_shard *cur, struct kv_client *c)
{
	struct kv_multi *m = c->multi;

	if (m == NULL)
		return;
	for (unsigned i = 0; i < m->nw; i++)
		release(cur, &m->wk[i]);
	m->nw = 0;
}

/* queue_free -- free the queued commands. */
static void
queue_free(struct kv_multi *m)
{
	for (unsigned i = 0; i < m->n; i++)
		free(m->q[i].argv);
	m->n = 0;
	m->flags = 0;
	m->bytes = 0;
}

void
kv_multi_discard(struct kv_shard *s, struct kv_client *c)
{
	if (c->multi != NULL)
		queue_free(c->multi);
	c->flags &= ~(KV_CLIENT_MULTI | KV_CLIENT_DIRTY_EXEC);
	unwatch_all(s, c);
}

void
kv_multi_free(struct kv_multi *m)
{
	if (m == NULL)
		return;
	for (unsigned i = 0; i < m->nw; i++)
		release(NULL, &m->wk[i]);
	queue_free(m);
	free(m->q);
	free(m->wk);
	free(m);
}

void
kv_multi_client_fini(struct kv_client *c)
{
	kv_multi_free(c->multi);
	c->multi = NULL;
}

bool
kv_multi_queue(struct kv_client *c, const struct kv_cmd *cmd, int argc,
	       const struct kv_arg *argv)
{
	struct kv_multi *m = multi_get(c);
	size_t bytes = 0;

	if (m == NULL)
		return false;
	if (m->n == m->cap) {
		unsigned cap = m->cap ? m->cap * 2 : 8;
		struct kv_qcmd *q = realloc(m->q, cap * sizeof(*q));
		if (q == NULL)
			return false;
		m->q = q;
		m->cap = cap;
	}
	for (int i = 0; i < argc; i++)
		bytes += argv[i].len;
	struct kv_arg *a = malloc((size_t)argc * sizeof(*a) + bytes + 1);
	if (a == NULL)
		return false;
	char *p = (char *)(a + argc);
	for (int i = 0; i < argc; i++) {
		memcpy(p, argv[i].ptr, argv[i].len);
		a[i].ptr = p;
		a[i].len = argv[i].len;
		p += argv[i].len;
	}
	m->q[m->n++] = (struct kv_qcmd){ cmd, argc, a };
	m->flags |= cmd->flags;
	if (cmd->flags & KV_CMD_WRITE)
		m->bytes += bytes + 24 * (size_t)argc + 16;
	return true;
}

uint32_t
kv_multi_flags(const struct kv_client *c)
{
	return c->multi != NULL ? c->multi->flags : 0;
}

size_t
kv_multi_bytes(const struct kv_client *c)
{
	return c->multi != NULL ? c->multi->bytes : 0;
}

/*
 * wkey_touched -- whether a watched key's version moved since WATCH; a
 * remote WATCH its owner could not register (or has not yet) counts as
 * touched: EXEC then fails rather than miss a write.
 */
static bool
wkey_touched(const struct kv_wkey *k)
{
	const struct kv_watched *w = k->w;
	uint64_t version = k->version;

	if (k->ref != NULL) {
		if (__atomic_load_n(&k->ref->state, __ATOMIC_ACQUIRE) !=
		    WREF_FILLED)
			return true;
		w = k->ref->w;
		version = k->ref->version;
	}
	return __atomic_load_n(&w->version, __ATOMIC_RELAXED) != version;
}

/*
 * watch_dirty -- whether a key c watches was modified, or has expired,
 * since WATCH (Redis's CLIENT_DIRTY_CAS and isWatchedKeyExpired).
 */
static bool
watch_dirty(struct kv_shard *s, struct kv_client *c)
{
	struct kv_multi *m = c->multi;

	for (unsigned i = 0; m != NULL && i < m->nw; i++) {
		struct kv_wkey *k = &m->wk[i];
		if (wkey_touched(k))
			return true;
		if (k->s != s)
			continue;
		struct kv_entry *e = kv_peek(s, k->db, k->key, k->klen);
		if (e != NULL && e->expire_ms != 0 &&
		    e->expire_ms <= s->now_ms)
			return true;
	}
	return false;
}

/* wk_find -- whether c already watches key of db on shard s. */
static bool
wk_find(const struct kv_multi *m, const struct kv_shard *s, unsigned db,
	const struct kv_arg *key)
{
	for (unsigned i = 0; i < m->nw; i++)
		if (m->wk[i].s == s && m->wk[i].db == db &&
		    m->wk[i].klen == key->len &&
		    memcmp(m->wk[i].key, key->ptr, key->len) == 0)
			return true;
	return false;
}

/*
 * wk_add -- room for one more watched key, and a copy of its name;
 * NULL without memory (then nothing changed).
 */
static struct kv_wkey *
wk_add(struct kv_multi *m, unsigned db, const struct kv_arg *key)
{
	if (m->nw == m->capw) {
		unsigned cap = m->capw ? m->capw * 2 : 4;
		struct kv_wkey *wk = realloc(m->wk, cap * sizeof(*wk));
		if (wk == NULL)
			return NULL;
		m->wk = wk;
		m->capw = cap;
	}
	char *copy = malloc(key->len ? key->len : 1);
	if (copy == NULL)
		return NULL;
	memcpy(copy, key->ptr, key->len);
	struct kv_wkey *k = &m->wk[m->nw];
	*k = (struct kv_wkey){ .db = db, .klen = key->len, .key = copy };
	return k;
}

/*
 * watched_ref -- the shard's struct kv_watched of a key, created if
 * needed, with one more reference; NULL without memory.
 */
static struct kv_watched *
watched_ref(struct kv_shard *s, unsigned db, const struct kv_arg *key)
{
	/*
	 * A key that has expired is deleted first: watching it is then
	 * watching a missing key, as Redis 7.0 treats it (deleting an
	 * already expired key is no change; writing it is).
	 */
	kv_lookup_notouch(s, db, key->ptr, key->len);
	if (s->watched[db] == NULL) {
		s->watched[db] = kv_dict_create(kv_rand(s), false, NULL);
		if (s->watched[db] == NULL)
			return NULL;
	}
	bool created;
	struct kv_dict_entry *de = kv_dict_add(s->watched[db], key->ptr,
					       key->len, &created);
	if (de == NULL)
		return NULL;
	if (created) {
		struct kv_watched *w = calloc(1, sizeof(*w));
		if (w == NULL) {
			kv_dict_del(s->watched[db], key->ptr, key->len);
			return NULL;
		}
		de->v.s.ptr = (char *)(void *)w;
		s->n_watched++;
	}
	struct kv_watched *w = watched_of(de);
	__atomic_fetch_add(&w->refs, 1, __ATOMIC_ACQ_REL);
	return w;
}

/* watch_key -- add one key to c's watched keys; false if out of memory. */
static bool
watch_key(struct kv_shard *s, struct kv_client *c, unsigned db,
	  const struct kv_arg *key)
{
	struct kv_multi *m = c->multi;

	if (wk_find(m, s, db, key))
		return true;
	struct kv_wkey *k = wk_add(m, db, key);
	if (k == NULL)
		return false;
	struct kv_watched *w = watched_ref(s, db, key);
	if (w == NULL) {
		free(k->key);
		return false;
	}
	k->s = s;
	k->w = w;
	k->version = __atomic_load_n(&w->version, __ATOMIC_RELAXED);
	m->nw++;
	return true;
}

int
kv_watch_remote(struct kv_client *c, struct kv_shard *owner, unsigned db,
		const struct kv_arg *key, struct kv_wref **ref)
{
	struct kv_multi *m = multi_get(c);

	*ref = NULL;
	if (m == NULL)
		return -1;
	if (wk_find(m, owner, db, key))
		return 0;
	struct kv_wkey *k = wk_add(m, db, key);
	struct kv_wref *r = calloc(1, sizeof(*r));
	if (k == NULL || r == NULL) {
		if (k != NULL)
			free(k->key);
		free(r);
		return -1;
	}
	k->s = owner;
	k->ref = r;
	m->nw++;
	*ref = r;
	return 0;
}

void
kv_watch_handoff(struct kv_shard *s, struct kv_client *proxy,
		 struct kv_wref *const *refs, unsigned n)
{
	struct kv_multi *m = proxy->multi;
	bool ok = m != NULL && m->nw == n;

	for (unsigned i = 0; i < n; i++) {
		struct kv_wref *r = refs[i];
		uint32_t st = WREF_PENDING;
		if (ok) {
			r->w = m->wk[i].w;
			r->version = m->wk[i].version;
		}
		if (__atomic_compare_exchange_n(&r->state, &st,
						ok ? WREF_FILLED : WREF_FAILED,
						false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			if (ok)
				free(m->wk[i].key);  /* the ref holds it */
			continue;
		}
		/* Cancelled: the client went away meanwhile. */
		if (ok)
			release(s, &m->wk[i]);
		free(r);
	}
	if (m == NULL)
		return;
	if (!ok)
		unwatch_all(s, proxy);
	m->nw = 0;
}

void
kv_multi_info(const struct kv_client *c, int *queued, bool *dirty_cas)
{
	const struct kv_multi *m = c->multi;

	*queued = (c->flags & KV_CLIENT_MULTI) && m != NULL ? (int)m->n : -1;
	*dirty_cas = false;
	for (unsigned i = 0; m != NULL && i < m->nw; i++)
		if (wkey_touched(&m->wk[i]))
			*dirty_cas = true;
}

void
cmd_multi(struct kv_req *r)
{
	if (r->c->flags & KV_CLIENT_MULTI) {
		kv_reply_error(r->c, "ERR MULTI calls can not be nested");
		return;
	}
	if (multi_get(r->c) == NULL) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	r->c->flags |= KV_CLIENT_MULTI;
	kv_reply_ok(r->c);
}

void
cmd_discard(struct kv_req *r)
{
	if (!(r->c->flags & KV_CLIENT_MULTI)) {
		kv_reply_error(r->c, "ERR DISCARD without MULTI");
		return;
	}
	kv_multi_discard(r->s, r->c);
	kv_reply_ok(r->c);
}

void
cmd_exec(struct kv_req *r)
{
	struct kv_shard *s = r->s;
	struct kv_client *c = r->c;
	struct kv_multi *m = c->multi;

	if (!(c->flags & KV_CLIENT_MULTI)) {
		kv_reply_error(c, "ERR EXEC without MULTI");
		return;
	}
	bool cas = watch_dirty(s, c);
	if (c->flags & KV_CLIENT_DIRTY_EXEC) {
		kv_reply_error(c, "EXECABORT Transaction discarded because of "
			       "previous errors.");
		kv_multi_discard(s, c);
		return;
	}
	if (cas) {
		kv_reply_null_array(c);
		kv_multi_discard(s, c);
		return;
	}
	unwatch_all(s, c);
	c->flags &= ~KV_CLIENT_MULTI;
	/* Take the queue: the commands run as if sent one by one. */
	struct kv_qcmd *q = m->q;
	unsigned n = m->n;
	m->q = NULL;
	m->n = m->cap = 0;
	m->flags = 0;
	m->bytes = 0;
	kv_reply_array(c, n);
	kv_propagate_begin(s);
	for (unsigned i = 0; i < n; i++)
		kv_exec_queued(s, c, q[i].cmd, q[i].argc, q[i].argv);
	kv_propagate_end(s);
	for (unsigned i = 0; i < n; i++)
		free(q[i].argv);
	free(q);
}

void
cmd_watch(struct kv_req *r)
{
	if (r->c->flags & KV_CLIENT_MULTI) {
		kv_reply_error(r->c, "ERR WATCH inside MULTI is not allowed");
		return;
	}
	if (multi_get(r->c) == NULL) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	kv_watch_reap(r->s);
	for (int i = 1; i < r->argc; i++) {
		if (!watch_key(r->s, r->c, r->c->db, &r->argv[i])) {
			kv_reply_error(r->c, "OOM out of memory");
			return;
		}
	}
	kv_reply_ok(r->c);
}

void
cmd_unwatch(struct kv_req *r)
{
	unwatch_all(r->s, r->c);
	kv_reply_ok(r->c);
}

bool
kv_multi_local(const struct kv_client *c, unsigned shard, unsigned n_shards)
{
	const struct kv_multi *m = c->multi;
	int pos[64];

	if (m == NULL || n_shards <= 1)
		return true;
	for (unsigned i = 0; i < m->nw; i++)
		if (kv_key_shard(m->wk[i].key, m->wk[i].klen, n_shards) != shard)
			return false;
	for (unsigned i = 0; i < m->n; i++) {
		const struct kv_qcmd *q = &m->q[i];
		int n = kv_request_keys(q->argc, q->argv, pos, 64);
		if (n < 0)
			return false;
		for (int k = 0; k < n; k++)
			if (kv_key_shard(q->argv[pos[k]].ptr,
					 q->argv[pos[k]].len, n_shards) != shard)
				return false;
	}
	return true;
}

/* mkeys -- the growing (db, key) list of kv_multi_keys. */
struct mkeys {
	struct kv_mkey *k;
	unsigned n, cap;
	size_t bytes;
};

/* mkeys_add -- add (db, key) unless there; false without memory. */
static bool
mkeys_add(struct mkeys *x, unsigned db, const char *key, size_t len)
{
	for (unsigned i = 0; i < x->n; i++)
		if (x->k[i].db == db && x->k[i].key.len == len &&
		    memcmp(x->k[i].key.ptr, key, len) == 0)
			return true;
	if (x->n == x->cap) {
		unsigned cap = x->cap ? x->cap * 2 : 16;
		struct kv_mkey *k = realloc(x->k, cap * sizeof(*k));
		if (k == NULL)
			return false;
		x->k = k;
		x->cap = cap;
	}
	x->k[x->n++] = (struct kv_mkey){ db, { key, len } };
	x->bytes += len;
	return true;
}

/*
 * gatherable -- whether a queued command can run on keys gathered into
 * one shard: not one that reads or writes the whole keyspace or moves
 * keys between databases, nor one whose keys cannot be told.
 */
static bool
gatherable(const struct kv_qcmd *q, unsigned n_shards, int nkeys)
{
	struct kv_route_plan plan;

	if (nkeys < 0 || kv_arg_is(&q->argv[0], "swapdb") ||
	    kv_arg_is(&q->argv[0], "move"))
		return false;
	if (kv_arg_is(&q->argv[0], "copy"))
		for (int i = 3; i < q->argc; i++)
			if (kv_arg_is(&q->argv[i], "db"))
				return false;
	kv_route_plan(q->argc, q->argv, n_shards, &plan);
	if (plan.kind == KV_ROUTE_ALL || plan.kind == KV_ROUTE_SCAN ||
	    plan.kind == KV_ROUTE_CROSS)
		return false;
	/* A container command (OBJECT ENCODING k) names a key that
	 * kv_request_keys does not list. */
	return !(nkeys == 0 && plan.kind == KV_ROUTE_SHARD);
}

int
kv_multi_keys(const struct kv_shard *s, const struct kv_client *c,
	      unsigned n_shards, struct kv_mkey **out, unsigned *db_after,
	      bool *readonly, const char **why)
{
	const struct kv_multi *m = c->multi;
	struct mkeys x = { 0 };
	unsigned db = c->db;
	bool ok = true;

	int stack[64];

	if (out != NULL)
		*out = NULL;
	*db_after = db;
	*readonly = true;
	*why = NULL;
	for (unsigned i = 0; ok && out != NULL && m != NULL && i < m->nw; i++)
		ok = mkeys_add(&x, m->wk[i].db, m->wk[i].key, m->wk[i].klen);
	for (unsigned i = 0; ok && m != NULL && i < m->n; i++) {
		const struct kv_qcmd *q = &m->q[i];
		int *pos = q->argc <= (int)(sizeof(stack) / sizeof(stack[0])) ?
			   stack : malloc((size_t)q->argc * sizeof(*pos));
		if (pos == NULL) {
			ok = false;
			break;
		}
		int n = kv_request_keys(q->argc, q->argv, pos, q->argc);
		if (!gatherable(q, n_shards, n)) {
			*why = q->cmd->name;
			if (pos != stack)
				free(pos);
			free(x.k);
			return -2;
		}
		if (q->cmd->flags & KV_CMD_WRITE)
			*readonly = false;
		long long v;
		if (q->cmd->fn == cmd_select && q->argc == 2 &&
		    kv_str2ll(q->argv[1].ptr, q->argv[1].len, &v) && v >= 0 &&
		    v < (long long)s->n_db)
			db = (unsigned)v;
		for (int k = 0; ok && out != NULL && k < n; k++)
			ok = mkeys_add(&x, db, q->argv[pos[k]].ptr,
				       q->argv[pos[k]].len);
		if (pos != stack)
			free(pos);
	}
	if (ok && out == NULL) {
		*db_after = db;
		return 0;
	}
	/* One allocation: the list, then the names it points to. */
	struct kv_mkey *r = ok ? malloc(x.n * sizeof(*r) + x.bytes + 1) : NULL;
	if (r == NULL) {
		free(x.k);
		return -1;
	}
	char *p = (char *)(r + x.n);
	for (unsigned i = 0; i < x.n; i++) {
		memcpy(p, x.k[i].key.ptr, x.k[i].key.len);
		r[i] = (struct kv_mkey){ x.k[i].db, { p, x.k[i].key.len } };
		p += x.k[i].key.len;
	}
	free(x.k);
	*out = r;
	*db_after = db;
	return (int)x.n;
}

struct kv_multi *
kv_multi_detach(struct kv_client *c)
{
	struct kv_multi *m = c->multi;

	c->multi = NULL;
	c->flags &= ~(KV_CLIENT_MULTI | KV_CLIENT_DIRTY_EXEC);
	return m;
}

void
kv_multi_exec_detached(struct kv_shard *s, struct kv_client *proxy,
		       struct kv_multi *m)
{
	static const struct kv_arg exec = { "EXEC", 4 };
	struct kv_multi *own = proxy->multi;
	uint32_t flags = proxy->flags;

	proxy->multi = m;
	proxy->flags |= KV_CLIENT_MULTI;
	kv_execute(s, proxy, 1, &exec);
	kv_multi_client_fini(proxy);   /* EXEC unwatched; frees m */
	proxy->multi = own;
	proxy->flags = flags;
}
