/*
 * t_set.c -- sets, in Redis 7.0's two encodings.
 *
 * A set whose members are all canonical integers (as Redis's string2ll
 * reads them) is an intset (intset.c): a sorted array of 16, 32 or
 * 64-bit integers, so SMEMBERS and the set operations answer in ascending
 * order as Redis does. It becomes a kv_dict (dict.c, members without
 * values) for good when a member is not an integer or when it grows past
 * set-max-intset-entries members (capped at 2^30, as in Redis).
 *
 * Multi-key commands work on the keys of one shard. Writes are logged as
 * Redis propagates them: SPOP as SREM of the members it popped (DEL when
 * it took the whole set), SMOVE and the *STORE commands as themselves
 * (their result depends only on the data), SRANDMEMBER not at all.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "dict.h"
#include "intset.h"
#include "kv_private.h"

#define KV_SET_INTSET_CAP (1UL << 30)   /* intset entries, at most */
/*
 * SRANDMEMBER with a negative count replies that many members whatever
 * the set's size; as HRANDFIELD, redpoll refuses more than this many
 * (a reply over 1 GB) where Redis 7.0 would try.
 */
#define KV_SET_RAND_MAX_REPEAT (1LL << 27)
#define KV_SET_SREM_BATCH 1000           /* members per logged SREM */
#define KV_SET_INT_LEN 21                /* "-9223372036854775808" */

/* member_int -- whether bytes are a canonical integer (then in *v). */
static bool
member_int(const char *p, size_t len, long long *v)
{
	return len > 0 && len <= 20 && kv_str2ll(p, len, v);
}

/* max_intset -- set-max-intset-entries, capped as Redis caps it. */
static uint64_t
max_intset(const struct kv_shard *s)
{
	unsigned long m = s->cfg->set_max_intset_entries;

	return m > KV_SET_INTSET_CAP ? KV_SET_INTSET_CAP : m;
}

/*
 * set_init -- make e an empty set: an intset, or a dict if !intset.
 * Returns 0 or -1 (out of memory; e is then an empty raw string).
 */
static int
set_init(struct kv_shard *s, struct kv_entry *e, bool intset)
{
	e->type = KV_TYPE_SET;
	if (intset) {
		e->encoding = KV_ENC_INTSET;
		e->v.is = kv_intset_create(&s->used_memory);
		if (e->v.is != NULL)
			return 0;
	} else {
		e->encoding = KV_ENC_HASHTABLE;
		e->v.d = kv_dict_create(kv_rand(s), false, &s->used_memory);
		if (e->v.d != NULL)
			return 0;
	}
	e->type = KV_TYPE_STRING;
	e->encoding = KV_ENC_RAW;
	memset(&e->v, 0, sizeof(e->v));
	return -1;
}

void
kv_set_free(struct kv_shard *s, struct kv_entry *e)
{
	if (e->encoding == KV_ENC_INTSET)
		kv_intset_free(e->v.is, &s->used_memory);
	else if (e->encoding == KV_ENC_HASHTABLE)
		kv_dict_free(e->v.d);
	/* Any other encoding: the value was moved out (RENAME). */
}

/* set_len -- number of members. */
static uint64_t
set_len(const struct kv_entry *e)
{
	return e->encoding == KV_ENC_INTSET ? kv_intset_len(e->v.is)
					    : kv_dict_size(e->v.d);
}

/*
 * set_convert -- turn an intset into a dict. Returns 0 or -1 (out of
 * memory; the set is unchanged).
 */
static int
set_convert(struct kv_shard *s, struct kv_entry *e)
{
	struct kv_dict *d = kv_dict_create(kv_rand(s), false, &s->used_memory);
	char buf[KV_SET_INT_LEN];
	bool created;

	if (d == NULL)
		return -1;
	for (uint32_t i = 0; i < kv_intset_len(e->v.is); i++) {
		int n = kv_ll2str(buf, sizeof(buf), kv_intset_get(e->v.is, i));
		if (kv_dict_add(d, buf, (size_t)n, &created) == NULL) {
			kv_dict_free(d);
			return -1;
		}
	}
	kv_intset_free(e->v.is, &s->used_memory);
	e->encoding = KV_ENC_HASHTABLE;
	e->v.d = d;
	return 0;
}

/*
 * set_add -- add a member. Returns 1 if added, 0 if it was there, -1
 * when out of memory (the set is unchanged).
 */
static int
set_add(struct kv_shard *s, struct kv_entry *e, const char *p, size_t len)
{
	long long v;
	bool created;

	if (e->encoding == KV_ENC_INTSET) {
		if (member_int(p, len, &v)) {
			int rc = kv_intset_add(&e->v.is, v, &s->used_memory);
			if (rc < 0)
				return -1;
			/* Out of memory for the dict: it stays an intset
			 * a while longer, with the right members. */
			if (rc == 1 && kv_intset_len(e->v.is) > max_intset(s))
				(void)set_convert(s, e);
			return rc;
		}
		if (set_convert(s, e) != 0)
			return -1;
	}
	if (kv_dict_add(e->v.d, p, len, &created) == NULL)
		return -1;
	return created ? 1 : 0;
}

/* set_remove -- remove a member; false if it was not there. */
static bool
set_remove(struct kv_shard *s, struct kv_entry *e, const char *p, size_t len)
{
	long long v;

	if (e->encoding == KV_ENC_INTSET)
		return member_int(p, len, &v) &&
		       kv_intset_del(&e->v.is, v, &s->used_memory);
	return kv_dict_del(e->v.d, p, len) == 0;
}

/* set_has -- whether p is a member. */
static bool
set_has(struct kv_entry *e, const char *p, size_t len)
{
	long long v;

	if (e->encoding == KV_ENC_INTSET)
		return member_int(p, len, &v) && kv_intset_find(e->v.is, v);
	return kv_dict_lookup(e->v.d, p, len) != NULL;
}

typedef void (*set_visit_fn)(void *ctx, const char *p, size_t len);

struct visit_adapter {
	set_visit_fn fn;
	void *ctx;
};

/* dict_visit -- kv_dict_foreach callback: a dict entry as a member. */
static void
dict_visit(void *ctx, const struct kv_dict_entry *x)
{
	struct visit_adapter *a = ctx;

	a->fn(a->ctx, x->field, x->flen);
}

/*
 * set_foreach -- visit every member (intset: ascending). fn must not
 * modify the set; its bytes are valid during the call only.
 */
static void
set_foreach(struct kv_entry *e, set_visit_fn fn, void *ctx)
{
	if (e->encoding == KV_ENC_INTSET) {
		char buf[KV_SET_INT_LEN];
		for (uint32_t i = 0; i < kv_intset_len(e->v.is); i++) {
			int n = kv_ll2str(buf, sizeof(buf),
					  kv_intset_get(e->v.is, i));
			fn(ctx, buf, (size_t)n);
		}
		return;
	}
	struct visit_adapter a = { fn, ctx };
	kv_dict_foreach(e->v.d, dict_visit, &a);
}

/* rnd_shard -- kv_dict_random's generator: the shard's. */
static uint64_t
rnd_shard(void *ctx)
{
	return kv_rand(ctx);
}

/*
 * set_random -- a random member of a non-empty set: its bytes, formatted
 * into buf (KV_SET_INT_LEN bytes) for an intset. Sets *len.
 */
static const char *
set_random(struct kv_shard *s, struct kv_entry *e, char *buf, size_t *len)
{
	if (e->encoding == KV_ENC_INTSET) {
		uint32_t i = (uint32_t)(kv_rand(s) % kv_intset_len(e->v.is));
		*len = (size_t)kv_ll2str(buf, KV_SET_INT_LEN,
					 kv_intset_get(e->v.is, i));
		return buf;
	}
	struct kv_dict_entry *x = kv_dict_random(e->v.d, rnd_shard, s);
	*len = x->flen;
	return x->field;
}

/* lookup_set -- a live key; false after WRONGTYPE was replied. */
static bool
lookup_set(struct kv_req *r, const struct kv_arg *key, struct kv_entry **e,
	   bool write)
{
	*e = kv_lookup(r->s, r->c->db, key->ptr, key->len, !write);
	return kv_check_type_or_reply(r, *e, KV_TYPE_SET);
}

/*
 * set_create -- a new empty set at key, an intset if first (the first
 * member to be added) is an integer; NULL when out of memory.
 */
static struct kv_entry *
set_create(struct kv_req *r, const struct kv_arg *key,
	   const struct kv_arg *first)
{
	long long v;
	struct kv_entry *e = kv_create(r->s, r->c->db, key->ptr, key->len);

	if (e == NULL)
		return NULL;
	if (set_init(r->s, e, member_int(first->ptr, first->len, &v)) != 0) {
		kv_delete(r->s, r->c->db, e);
		return NULL;
	}
	return e;
}

/* drop_if_empty -- delete a set left without members. */
static void
drop_if_empty(struct kv_req *r, struct kv_entry *e)
{
	if (set_len(e) == 0)
		kv_delete(r->s, r->c->db, e);
}

/* reply_member -- set_foreach callback: reply a member. */
static void
reply_member(void *ctx, const char *p, size_t len)
{
	kv_reply_bulk(ctx, p, len);
}

/* reply_set -- an array of every member. */
static void
reply_set(struct kv_req *r, struct kv_entry *e)
{
	kv_reply_array(r->c, (long long)set_len(e));
	set_foreach(e, reply_member, r->c);
}

void
cmd_sadd(struct kv_req *r)
{
	struct kv_entry *e;
	long long added = 0;
	int i;

	if (!lookup_set(r, &r->argv[1], &e, true))
		return;
	if (e == NULL &&
	    (e = set_create(r, &r->argv[1], &r->argv[2])) == NULL) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	for (i = 2; i < r->argc; i++) {
		int rc = set_add(r->s, e, r->argv[i].ptr, r->argv[i].len);
		if (rc < 0)
			break;
		added += rc;
	}
	if (i < r->argc)
		kv_reply_error(r->c, "OOM out of memory");
	else
		kv_reply_int(r->c, added);
	if (added > 0)   /* what was done, even if cut short */
		kv_propagate(r->s, r->c->db, i, r->argv);
	drop_if_empty(r, e);
}

void
cmd_srem(struct kv_req *r)
{
	struct kv_entry *e;
	long long deleted = 0;

	if (!lookup_set(r, &r->argv[1], &e, true))
		return;
	if (e != NULL) {
		for (int i = 2; i < r->argc; i++) {
			if (set_remove(r->s, e, r->argv[i].ptr,
				       r->argv[i].len))
				deleted++;
			if (set_len(e) == 0)
				break;
		}
	}
	kv_reply_int(r->c, deleted);
	if (deleted > 0) {
		kv_propagate(r->s, r->c->db, r->argc, r->argv);
		drop_if_empty(r, e);
	}
}

void
cmd_scard(struct kv_req *r)
{
	struct kv_entry *e;

	if (lookup_set(r, &r->argv[1], &e, false))
		kv_reply_int(r->c, e != NULL ? (long long)set_len(e) : 0);
}

void
cmd_sismember(struct kv_req *r)
{
	struct kv_entry *e;

	if (lookup_set(r, &r->argv[1], &e, false))
		kv_reply_int(r->c, e != NULL && set_has(e, r->argv[2].ptr,
							r->argv[2].len));
}

void
cmd_smismember(struct kv_req *r)
{
	struct kv_entry *e;

	if (!lookup_set(r, &r->argv[1], &e, false))
		return;
	kv_reply_array(r->c, r->argc - 2);
	for (int i = 2; i < r->argc; i++)
		kv_reply_int(r->c, e != NULL && set_has(e, r->argv[i].ptr,
							r->argv[i].len));
}

void
cmd_smove(struct kv_req *r)
{
	struct kv_entry *src, *dst;
	const struct kv_arg *m = &r->argv[3];

	src = kv_lookup(r->s, r->c->db, r->argv[1].ptr, r->argv[1].len, false);
	dst = kv_lookup(r->s, r->c->db, r->argv[2].ptr, r->argv[2].len, false);
	if (src == NULL) {
		kv_reply_int(r->c, 0);
		return;
	}
	if (!kv_check_type_or_reply(r, src, KV_TYPE_SET) ||
	    !kv_check_type_or_reply(r, dst, KV_TYPE_SET))
		return;
	if (src == dst) {
		kv_reply_int(r->c, set_has(src, m->ptr, m->len));
		return;
	}
	/* Make room first: nothing changes if dst cannot be created. */
	if (dst == NULL && set_has(src, m->ptr, m->len) &&
	    (dst = set_create(r, &r->argv[2], m)) == NULL) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	if (!set_remove(r->s, src, m->ptr, m->len)) {
		kv_reply_int(r->c, 0);
		return;
	}
	if (set_add(r->s, dst, m->ptr, m->len) < 0) {
		/* Put it back (an intset member, or a dict of room). */
		(void)set_add(r->s, src, m->ptr, m->len);
		kv_reply_error(r->c, "OOM out of memory");
		drop_if_empty(r, dst);
		return;
	}
	drop_if_empty(r, src);
	kv_reply_int(r->c, 1);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
}

/* Arguments of a union or difference's passes. */
struct build_ctx {
	struct kv_shard *s;
	struct kv_entry **others;   /* DIFF: members of these are left out */
	int n_others;
	struct kv_entry *tmp;
	bool oom;
};

/* build_member -- set_foreach callback: add a member to the result. */
static void
build_member(void *ctx, const char *p, size_t len)
{
	struct build_ctx *x = ctx;

	if (x->oom)
		return;
	for (int i = 0; i < x->n_others; i++)
		if (x->others[i] != NULL && set_has(x->others[i], p, len))
			return;
	if (set_add(x->s, x->tmp, p, len) < 0)
		x->oom = true;
}

/*
 * Members popped by SPOP, kept (copied) until they are logged as SREM
 * in batches of KV_SET_SREM_BATCH.
 */
struct pop_log {
	struct kv_req *r;
	struct kv_arg argv[2 + KV_SET_SREM_BATCH];
	int argc;
	char *buf;            /* the members' bytes, one after the other */
	size_t len, cap;
	size_t offs[KV_SET_SREM_BATCH];
	bool oom;
};

/* pop_log_flush -- log the members gathered as one SREM. */
static void
pop_log_flush(struct pop_log *pl)
{
	if (pl->argc <= 2)
		return;
	for (int i = 2; i < pl->argc; i++)
		pl->argv[i].ptr = pl->buf + pl->offs[i - 2];
	kv_propagate(pl->r->s, pl->r->c->db, pl->argc, pl->argv);
	pl->argc = 2;
	pl->len = 0;
}

/*
 * pop_log_add -- keep a popped member for the log. Returns false when
 * out of memory (the member is then not removed).
 */
static bool
pop_log_add(struct pop_log *pl, const char *p, size_t len)
{
	if (pl->len + len > pl->cap) {
		size_t cap = pl->cap ? pl->cap : 4096;
		while (cap < pl->len + len)
			cap *= 2;
		char *b = realloc(pl->buf, cap);
		if (b == NULL)
			return false;
		pl->buf = b;
		pl->cap = cap;
	}
	memcpy(pl->buf + pl->len, p, len);
	pl->offs[pl->argc - 2] = pl->len;
	pl->argv[pl->argc].len = len;
	pl->argc++;
	pl->len += len;
	return true;
}

/*
 * spop_count -- SPOP with a count: the whole set (logged as DEL) when the
 * count reaches its size, else count random members (logged as SREM).
 */
static void
spop_count(struct kv_req *r)
{
	struct kv_entry *e;
	long long l;
	char buf[KV_SET_INT_LEN];
	size_t len;

	if (!kv_str2ll(r->argv[2].ptr, r->argv[2].len, &l) || l < 0) {
		kv_reply_error(r->c, "ERR value is out of range, must be "
			       "positive");
		return;
	}
	if (!lookup_set(r, &r->argv[1], &e, true))
		return;
	if (e == NULL || l == 0) {
		kv_reply_array(r->c, 0);
		return;
	}
	uint64_t count = (uint64_t)l;
	if (count >= set_len(e)) {
		/* As Redis: the reply is a copy built as SUNION builds it
		 * (an intset, so in order, while it can be one). */
		struct kv_entry tmp = { 0 };
		struct build_ctx x = { .s = r->s, .tmp = &tmp };
		if (set_init(r->s, &tmp, true) != 0) {
			kv_reply_error(r->c, "OOM out of memory");
			return;
		}
		set_foreach(e, build_member, &x);
		if (x.oom) {
			kv_set_free(r->s, &tmp);
			kv_reply_error(r->c, "OOM out of memory");
			return;
		}
		reply_set(r, &tmp);
		kv_set_free(r->s, &tmp);
		kv_delete(r->s, r->c->db, e);
		struct kv_arg del[2] = { { "DEL", 3 }, r->argv[1] };
		kv_propagate(r->s, r->c->db, 2, del);
		return;
	}
	struct pop_log *pl = calloc(1, sizeof(*pl));
	if (pl == NULL) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	pl->r = r;
	pl->argv[0] = (struct kv_arg){ "SREM", 4 };
	pl->argv[1] = r->argv[1];
	pl->argc = 2;
	kv_reply_array(r->c, (long long)count);
	while (count-- > 0) {
		const char *p = set_random(r->s, e, buf, &len);
		if (pl->argc == 2 + KV_SET_SREM_BATCH)
			pop_log_flush(pl);
		if (!pl->oom && !pop_log_add(pl, p, len))
			pl->oom = true;
		kv_reply_bulk(r->c, p, len);
		/*
		 * Without memory to log it, the member is replied but kept:
		 * the set must stay what the log says. (Only malloc of a few
		 * KB failing can lead here.)
		 */
		if (!pl->oom)
			set_remove(r->s, e, p, len);
	}
	pop_log_flush(pl);
	free(pl->buf);
	free(pl);
	drop_if_empty(r, e);
}

void
cmd_spop(struct kv_req *r)
{
	struct kv_entry *e;
	char buf[KV_SET_INT_LEN];
	size_t len;

	if (r->argc == 3) {
		spop_count(r);
		return;
	}
	if (r->argc > 3) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	if (!lookup_set(r, &r->argv[1], &e, true))
		return;
	if (e == NULL) {
		kv_reply_null(r->c);
		return;
	}
	const char *p = set_random(r->s, e, buf, &len);
	kv_reply_bulk(r->c, p, len);
	struct kv_arg srem[3] = { { "SREM", 4 }, r->argv[1], { p, len } };
	kv_propagate(r->s, r->c->db, 3, srem);
	set_remove(r->s, e, p, len);
	drop_if_empty(r, e);
}

/* Selection sampling of SRANDMEMBER. */
struct sample {
	struct kv_req *r;
	uint64_t need, left;   /* still to pick, still to see */
};

/*
 * sample_member -- set_foreach callback: Knuth's selection sampling;
 * each member is taken with probability need/left, so exactly need
 * distinct members come out, in the set's order.
 */
static void
sample_member(void *ctx, const char *p, size_t len)
{
	struct sample *x = ctx;

	if (x->need > 0 && kv_rand(x->r->s) % x->left < x->need) {
		kv_reply_bulk(x->r->c, p, len);
		x->need--;
	}
	x->left--;
}

/*
 * srandmember_count -- a negative count allows repeats; a positive one
 * gives distinct members, the whole set when it is not larger.
 */
static void
srandmember_count(struct kv_req *r)
{
	struct kv_entry *e;
	long long l;
	char buf[KV_SET_INT_LEN];
	size_t len;

	if (!kv_str2ll(r->argv[2].ptr, r->argv[2].len, &l)) {
		kv_reply_error(r->c, KV_ERR_NOT_INT);
		return;
	}
	if (l == LLONG_MIN) {
		kv_reply_error(r->c, "ERR value is out of range, value must "
			       "between %lld and %lld", -LLONG_MAX, LLONG_MAX);
		return;
	}
	if (l < -KV_SET_RAND_MAX_REPEAT) {
		kv_reply_error(r->c, "ERR value is out of range");
		return;
	}
	if (!lookup_set(r, &r->argv[1], &e, false))
		return;
	if (e == NULL || l == 0) {
		kv_reply_array(r->c, 0);
		return;
	}
	uint64_t size = set_len(e);
	uint64_t count = l < 0 ? (uint64_t)-l : (uint64_t)l;

	if (l < 0 || count == 1) {
		kv_reply_array(r->c, (long long)count);
		while (count-- > 0) {
			const char *p = set_random(r->s, e, buf, &len);
			kv_reply_bulk(r->c, p, len);
		}
		return;
	}
	if (count >= size) {
		reply_set(r, e);
		return;
	}
	kv_reply_array(r->c, (long long)count);
	if (e->encoding == KV_ENC_INTSET || count * 3 > size) {
		/* A pass over the set: O(size), at most 3 * count. */
		struct sample x = { r, count, size };
		set_foreach(e, sample_member, &x);
		return;
	}
	/* Few out of many: random picks, repeats rejected by a dict. */
	struct kv_dict *seen = kv_dict_create(kv_rand(r->s), false, NULL);
	bool created;
	uint64_t picked = 0;
	while (picked < count) {
		const char *p = set_random(r->s, e, buf, &len);
		if (seen != NULL) {
			if (kv_dict_add(seen, p, len, &created) == NULL)
				break;   /* out of memory: repeats from now */
			if (!created)
				continue;
		}
		kv_reply_bulk(r->c, p, len);
		picked++;
	}
	/* Only without memory for the dict: the rest may repeat. */
	for (; picked < count; picked++) {
		const char *p = set_random(r->s, e, buf, &len);
		kv_reply_bulk(r->c, p, len);
	}
	kv_dict_free(seen);
}

void
cmd_srandmember(struct kv_req *r)
{
	struct kv_entry *e;
	char buf[KV_SET_INT_LEN];
	size_t len;

	if (r->argc == 3) {
		srandmember_count(r);
		return;
	}
	if (r->argc > 3) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	if (!lookup_set(r, &r->argv[1], &e, false))
		return;
	if (e == NULL) {
		kv_reply_null(r->c);
		return;
	}
	const char *p = set_random(r->s, e, buf, &len);
	kv_reply_bulk(r->c, p, len);
}

/*
 * lookup_sets -- the sets named by keys[0..n) (NULL for a missing key)
 * into sets[]; false after WRONGTYPE was replied for any of them.
 */
static bool
lookup_sets(struct kv_req *r, const struct kv_arg *keys, int n,
	    struct kv_entry **sets)
{
	for (int i = 0; i < n; i++)
		if (!lookup_set(r, &keys[i], &sets[i], false))
			return false;
	return true;
}

/* sets_alloc_or_reply -- room for n entry pointers; NULL after OOM. */
static struct kv_entry **
sets_alloc_or_reply(struct kv_req *r, int n)
{
	struct kv_entry **sets = malloc((size_t)n * sizeof(*sets));

	if (sets == NULL)
		kv_reply_error(r->c, "OOM out of memory");
	return sets;
}

/*
 * store_result -- replace dst with the set built in tmp (whose value
 * moves into the key), or delete dst when tmp is empty or NULL, as
 * SINTERSTORE, SUNIONSTORE and SDIFFSTORE do; replies the size and logs
 * the command if the keyspace changed.
 */
static void
store_result(struct kv_req *r, const struct kv_arg *dst,
	     struct kv_entry *tmp)
{
	struct kv_entry *old = kv_lookup(r->s, r->c->db, dst->ptr, dst->len,
					 false);
	uint64_t n = tmp != NULL ? set_len(tmp) : 0;

	if (old != NULL)
		kv_delete(r->s, r->c->db, old);
	if (n > 0) {
		struct kv_entry *e = kv_create(r->s, r->c->db, dst->ptr,
					       dst->len);
		if (e == NULL) {
			kv_set_free(r->s, tmp);
			kv_reply_error(r->c, "OOM out of memory");
			if (old != NULL) {
				struct kv_arg del[2] = { { "DEL", 3 }, *dst };
				kv_propagate(r->s, r->c->db, 2, del);
			}
			return;
		}
		e->type = KV_TYPE_SET;
		e->encoding = tmp->encoding;
		e->v = tmp->v;
	} else if (tmp != NULL) {
		kv_set_free(r->s, tmp);
	}
	kv_reply_int(r->c, (long long)n);
	if (n > 0 || old != NULL)
		kv_propagate(r->s, r->c->db, r->argc, r->argv);
}

/* Arguments of the intersection's passes over the smallest set. */
struct inter_ctx {
	struct kv_req *r;
	struct kv_entry **sets;
	int n;
	struct kv_entry *tmp;   /* STORE: the result, else NULL */
	bool reply;             /* reply the members */
	uint64_t card, limit;   /* limit: 0 for none */
	bool oom;
};

/* inter_member -- set_foreach callback: a member of the smallest set. */
static void
inter_member(void *ctx, const char *p, size_t len)
{
	struct inter_ctx *x = ctx;

	if (x->oom || (x->limit != 0 && x->card >= x->limit))
		return;
	for (int i = 1; i < x->n; i++)
		if (x->sets[i] != x->sets[0] && !set_has(x->sets[i], p, len))
			return;
	x->card++;
	if (x->reply)
		kv_reply_bulk(x->r->c, p, len);
	if (x->tmp != NULL && set_add(x->r->s, x->tmp, p, len) < 0)
		x->oom = true;
}

/* by_size -- qsort comparison of sets by their number of members. */
static int
by_size(const void *a, const void *b)
{
	uint64_t x = set_len(*(struct kv_entry *const *)a);
	uint64_t y = set_len(*(struct kv_entry *const *)b);

	return x < y ? -1 : x > y;
}

/*
 * sinter_generic -- SINTER, SMEMBERS, SINTERSTORE (dst) and SINTERCARD
 * (card_only, with limit 0 for none): the members of the smallest set
 * that all the others hold, in the smallest set's order.
 */
static void
sinter_generic(struct kv_req *r, const struct kv_arg *keys, int n,
	       const struct kv_arg *dst, bool card_only, uint64_t limit)
{
	struct kv_entry **sets = sets_alloc_or_reply(r, n);
	struct kv_entry tmp = { 0 };
	bool empty = false;

	if (sets == NULL)
		return;
	if (!lookup_sets(r, keys, n, sets)) {
		free(sets);
		return;
	}
	for (int i = 0; i < n; i++)
		empty |= sets[i] == NULL;
	if (empty) {
		if (dst != NULL)
			store_result(r, dst, NULL);
		else if (card_only)
			kv_reply_int(r->c, 0);
		else
			kv_reply_array(r->c, 0);
		free(sets);
		return;
	}
	qsort(sets, (size_t)n, sizeof(*sets), by_size);
	struct inter_ctx x = { .r = r, .sets = sets, .n = n, .limit = limit };
	if (dst != NULL) {
		if (set_init(r->s, &tmp, true) != 0) {
			kv_reply_error(r->c, "OOM out of memory");
			free(sets);
			return;
		}
		x.tmp = &tmp;
	}
	set_foreach(sets[0], inter_member, &x);
	if (card_only) {
		kv_reply_int(r->c, (long long)x.card);
	} else if (dst != NULL) {
		if (x.oom) {
			kv_set_free(r->s, &tmp);
			kv_reply_error(r->c, "OOM out of memory");
		} else {
			store_result(r, dst, &tmp);
		}
	} else {
		/* A count pass, then the reply pass. */
		kv_reply_array(r->c, (long long)x.card);
		x.card = 0;
		x.reply = true;
		set_foreach(sets[0], inter_member, &x);
	}
	free(sets);
}

void
cmd_smembers(struct kv_req *r)
{
	sinter_generic(r, &r->argv[1], 1, NULL, false, 0);
}

void
cmd_sinter(struct kv_req *r)
{
	sinter_generic(r, &r->argv[1], r->argc - 1, NULL, false, 0);
}

void
cmd_sinterstore(struct kv_req *r)
{
	sinter_generic(r, &r->argv[2], r->argc - 2, &r->argv[1], false, 0);
}

void
cmd_sintercard(struct kv_req *r)
{
	long long numkeys, limit = 0;

	if (!kv_str2ll(r->argv[1].ptr, r->argv[1].len, &numkeys) ||
	    numkeys < 1) {
		kv_reply_error(r->c, "ERR numkeys should be greater than 0");
		return;
	}
	if (numkeys > r->argc - 2) {
		kv_reply_error(r->c, "ERR Number of keys can't be greater "
			       "than number of args");
		return;
	}
	for (int i = 2 + (int)numkeys; i < r->argc; i++) {
		if (kv_arg_is(&r->argv[i], "limit") && i + 1 < r->argc) {
			i++;
			if (!kv_str2ll(r->argv[i].ptr, r->argv[i].len,
				       &limit) || limit < 0) {
				kv_reply_error(r->c, "ERR LIMIT can't be "
					       "negative");
				return;
			}
		} else {
			kv_reply_error(r->c, KV_ERR_SYNTAX);
			return;
		}
	}
	sinter_generic(r, &r->argv[2], (int)numkeys, NULL, true,
		       (uint64_t)limit);
}

/* remove_member -- set_foreach callback: remove a member from the
 * result. */
static void
remove_member(void *ctx, const char *p, size_t len)
{
	struct build_ctx *x = ctx;

	set_remove(x->s, x->tmp, p, len);
}

/*
 * diff_by_removal -- whether SDIFF copies the first set and removes the
 * others' members from the copy (Redis's algorithm 2) rather than testing
 * each member of the first set against the others (algorithm 1): the
 * choice Redis 7.0 makes by estimated work, which decides the encoding
 * of the result. sets[0] is not NULL.
 */
static bool
diff_by_removal(struct kv_entry **sets, int n)
{
	uint64_t one = 0, two = 0;

	for (int i = 0; i < n; i++) {
		if (sets[i] == NULL)
			continue;
		if (i > 0 && sets[i] == sets[0])
			return false;   /* the result is empty either way */
		one += set_len(sets[0]);
		two += set_len(sets[i]);
	}
	return one / 2 > two;
}

/*
 * sunion_diff_generic -- SUNION, SDIFF and their STORE forms: the result
 * is built as a new set (an intset while it can be, as Redis's), then
 * replied or stored at dst.
 */
static void
sunion_diff_generic(struct kv_req *r, const struct kv_arg *keys, int n,
		    const struct kv_arg *dst, bool diff)
{
	struct kv_entry **sets = sets_alloc_or_reply(r, n);
	struct kv_entry tmp = { 0 };

	if (sets == NULL)
		return;
	if (!lookup_sets(r, keys, n, sets)) {
		free(sets);
		return;
	}
	if (set_init(r->s, &tmp, true) != 0) {
		kv_reply_error(r->c, "OOM out of memory");
		free(sets);
		return;
	}
	struct build_ctx x = { .s = r->s, .tmp = &tmp };
	if (diff && sets[0] != NULL && diff_by_removal(sets, n)) {
		/* Redis's second algorithm: all of the first set, then
		 * the others' members removed (so the result is a dict
		 * when the first set has a non-integer, as in Redis). */
		set_foreach(sets[0], build_member, &x);
		for (int i = 1; i < n && !x.oom && set_len(&tmp) > 0; i++)
			if (sets[i] != NULL)
				set_foreach(sets[i], remove_member, &x);
	} else if (diff) {
		x.others = sets + 1;
		x.n_others = n - 1;
		if (sets[0] != NULL)
			set_foreach(sets[0], build_member, &x);
	} else {
		for (int i = 0; i < n && !x.oom; i++)
			if (sets[i] != NULL)
				set_foreach(sets[i], build_member, &x);
	}
	free(sets);
	if (x.oom) {
		kv_set_free(r->s, &tmp);
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	if (dst != NULL) {
		store_result(r, dst, &tmp);
		return;
	}
	reply_set(r, &tmp);
	kv_set_free(r->s, &tmp);
}

void
cmd_sunion(struct kv_req *r)
{
	sunion_diff_generic(r, &r->argv[1], r->argc - 1, NULL, false);
}

void
cmd_sunionstore(struct kv_req *r)
{
	sunion_diff_generic(r, &r->argv[2], r->argc - 2, &r->argv[1], false);
}

void
cmd_sdiff(struct kv_req *r)
{
	sunion_diff_generic(r, &r->argv[1], r->argc - 1, NULL, true);
}

void
cmd_sdiffstore(struct kv_req *r)
{
	sunion_diff_generic(r, &r->argv[2], r->argc - 2, &r->argv[1], true);
}

/* Members gathered by SSCAN from a dict (pointers into it). */
struct scan_acc {
	struct kv_arg *v;
	size_t n, cap;
	bool oom;
};

/* scan_add -- kv_dict_scan callback: keep a member. */
static void
scan_add(void *ctx, const struct kv_dict_entry *x)
{
	struct scan_acc *a = ctx;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		struct kv_arg *v = realloc(a->v, cap * sizeof(*v));
		if (v == NULL) {
			a->oom = true;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n].ptr = x->field;
	a->v[a->n].len = x->flen;
	a->n++;
}

/* Members of an intset that SSCAN's pattern keeps. */
struct scan_match {
	struct kv_req *r;
	const struct kv_arg *pat;
	bool reply;
	long long n;
};

/* scan_match_member -- set_foreach callback: count or reply a match. */
static void
scan_match_member(void *ctx, const char *p, size_t len)
{
	struct scan_match *x = ctx;

	if (x->pat != NULL && !kv_stringmatch(x->pat->ptr, x->pat->len, p, len,
					      false))
		return;
	x->n++;
	if (x->reply)
		kv_reply_bulk(x->r->c, p, len);
}

void
cmd_sscan(struct kv_req *r)
{
	struct kv_entry *e;
	unsigned long long cursor;
	long long count;
	const struct kv_arg *pat;
	struct scan_acc acc = { 0 };
	char cbuf[32];

	if (!kv_scan_cursor_or_reply(r, &r->argv[2], &cursor))
		return;
	if (!lookup_set(r, &r->argv[1], &e, false))
		return;
	if (e == NULL) {
		kv_reply_scan_empty(r->c);
		return;
	}
	if (!kv_scan_options_or_reply(r, 3, &count, &pat))
		return;
	if (e->encoding == KV_ENC_INTSET) {
		/* The whole intset at once, cursor 0, as Redis. */
		struct scan_match x = { r, pat, false, 0 };
		set_foreach(e, scan_match_member, &x);
		kv_reply_array(r->c, 2);
		kv_reply_bulk(r->c, "0", 1);
		kv_reply_array(r->c, x.n);
		x.reply = true;
		set_foreach(e, scan_match_member, &x);
		return;
	}
	/* As Redis: up to count*10 buckets until count members. */
	long long maxiter = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
	do {
		cursor = kv_dict_scan(e->v.d, cursor, scan_add, &acc);
	} while (cursor != 0 && maxiter-- > 0 &&
		 acc.n < (unsigned long long)count);
	if (acc.oom) {
		free(acc.v);
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	size_t keep = 0;
	for (size_t i = 0; i < acc.n; i++)
		if (pat == NULL || kv_stringmatch(pat->ptr, pat->len,
						  acc.v[i].ptr, acc.v[i].len,
						  false))
			acc.v[keep++] = acc.v[i];
	kv_reply_array(r->c, 2);
	int n = snprintf(cbuf, sizeof(cbuf), "%llu", cursor);
	kv_reply_bulk(r->c, cbuf, (size_t)n);
	kv_reply_array(r->c, (long long)keep);
	for (size_t i = 0; i < keep; i++)
		kv_reply_bulk(r->c, acc.v[i].ptr, acc.v[i].len);
	free(acc.v);
}

int
kv_set_init(struct kv_shard *s, struct kv_entry *e)
{
	return set_init(s, e, true);
}

int
kv_set_add(struct kv_shard *s, struct kv_entry *e, const char *p,
	   size_t len)
{
	return set_add(s, e, p, len);
}

uint64_t
kv_set_len(const struct kv_entry *e)
{
	return set_len(e);
}

void
kv_set_foreach(struct kv_entry *e, kv_member_fn fn, void *ctx)
{
	set_foreach(e, fn, ctx);
}
/* What dup_member needs: the copy, and whether all went well. */
struct set_dup_ctx {
	struct kv_shard *s;
	struct kv_entry *dst;
	int rc;
};

/* dup_member -- set_foreach callback of kv_set_dup: add one member. */
static void
dup_member(void *ctx, const char *p, size_t len)
{
	struct set_dup_ctx *x = ctx;

	if (x->rc == 0 && set_add(x->s, x->dst, p, len) < 0)
		x->rc = -1;
}

int
kv_set_dup(struct kv_shard *s, struct kv_entry *dst, struct kv_entry *src)
{
	struct set_dup_ctx x = { s, dst, 0 };

	if (set_init(s, dst, src->encoding == KV_ENC_INTSET) != 0)
		return -1;
	set_foreach(src, dup_member, &x);
	return x.rc;
}

int
kv_set_to_dict(struct kv_shard *s, struct kv_entry *e)
{
	return e->encoding == KV_ENC_INTSET ? set_convert(s, e) : 0;
}
