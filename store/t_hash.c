/*
 * t_hash.c -- hashes, in Redis's two encodings.
 *
 * A small hash (at most hash-max-listpack-entries fields, every field and
 * value at most hash-max-listpack-value bytes, both 128 and 64 by
 * default and mutable) is a "listpack": its pairs one after the other in
 * one buffer, each string behind a one-byte length, in insertion order
 * (so HGETALL answers in Redis's order). Lookups scan the buffer, which
 * for 128 short pairs is a few cache lines. A hash that outgrows either
 * limit becomes a kv_dict (dict.c) for good; lowering a limit converts
 * no hash until its next write, as in Redis.
 *
 * Writes are logged as Redis propagates them; HINCRBYFLOAT as an HSET of
 * the resulting value, so that replay does not redo float arithmetic.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "dict.h"
#include "kv_private.h"

#define HASH_LP_MAX_VALUE 255    /* what one length byte holds */
/* pairs of the longest strings whose buffer stays below 2^31 bytes */
#define HASH_LP_MAX_ENTRIES ((1UL << 31) / (2 * (1 + HASH_LP_MAX_VALUE)))
/*
 * HRANDFIELD with a negative count replies that many fields whatever the
 * hash's size; Redis 7.0 tries any count (and dies of it near LONG_MAX).
 * redpoll refuses a reply of more than this many fields, over 1 GB.
 */
#define KV_HASH_RAND_MAX_REPEAT (1LL << 27)

/* A field and its value, pointing into the hash. */
struct hpair {
	const char *f;
	size_t flen;
	const char *v;
	size_t vlen;
};

/* lp_read -- the pair at offset off of a listpack; returns the next. */
static uint32_t
lp_read(const char *buf, uint32_t off, struct hpair *p)
{
	p->flen = (unsigned char)buf[off];
	p->f = buf + off + 1;
	off += 1 + (uint32_t)p->flen;
	p->vlen = (unsigned char)buf[off];
	p->v = buf + off + 1;
	return off + 1 + (uint32_t)p->vlen;
}

/* lp_find -- the offset of a field's pair, or -1. */
static int64_t
lp_find(const struct kv_entry *e, const char *f, size_t flen)
{
	struct hpair p;

	for (uint32_t off = 0, next; off < e->v.lp.len; off = next) {
		next = lp_read(e->v.lp.buf, off, &p);
		if (p.flen == flen && memcmp(p.f, f, flen) == 0)
			return off;
	}
	return -1;
}

/* hash_lp_entries -- the most fields a listpack takes. */
static unsigned long
hash_lp_entries(const struct kv_shard *s)
{
	return s->cfg->hash_lp_entries < HASH_LP_MAX_ENTRIES ?
	       s->cfg->hash_lp_entries : HASH_LP_MAX_ENTRIES;
}

/* hash_lp_value -- the longest field or value a listpack takes. */
static size_t
hash_lp_value(const struct kv_shard *s)
{
	return s->cfg->hash_lp_value < HASH_LP_MAX_VALUE ?
	       s->cfg->hash_lp_value : HASH_LP_MAX_VALUE;
}

/* lp_reserve -- room for len bytes in the buffer. */
static int
lp_reserve(struct kv_shard *s, struct kv_entry *e, uint32_t len)
{
	if (len <= e->v.lp.cap)
		return 0;
	uint32_t cap = e->v.lp.cap ? e->v.lp.cap : 64;
	while (cap < len)
		cap *= 2;
	char *b = realloc(e->v.lp.buf, cap);
	if (b == NULL)
		return -1;
	s->used_memory += cap - e->v.lp.cap;
	e->v.lp.buf = b;
	e->v.lp.cap = cap;
	return 0;
}

/* lp_put_string -- write a length byte and the bytes; returns the end. */
static uint32_t
lp_put_string(char *buf, uint32_t off, const char *p, size_t len)
{
	buf[off] = (char)len;
	memcpy(buf + off + 1, p, len);
	return off + 1 + (uint32_t)len;
}

/*
 * hash_convert -- turn a listpack hash into a dict; the pairs keep their
 * values. Returns 0 or -1 (out of memory; the hash is unchanged).
 */
static int
hash_convert(struct kv_shard *s, struct kv_entry *e)
{
	struct kv_dict *d = kv_dict_create(kv_rand(s), true, &s->used_memory);
	struct hpair p;
	bool created;

	if (d == NULL)
		return -1;
	for (uint32_t off = 0; off < e->v.lp.len;) {
		off = lp_read(e->v.lp.buf, off, &p);
		struct kv_dict_entry *x = kv_dict_add(d, p.f, p.flen, &created);
		if (x == NULL || kv_dict_set_value(d, x, p.v, p.vlen) != 0) {
			kv_dict_free(d);
			return -1;
		}
	}
	s->used_memory -= e->v.lp.cap;
	free(e->v.lp.buf);
	e->encoding = KV_ENC_HASHTABLE;
	e->v.d = d;
	return 0;
}

void
kv_hash_free(struct kv_shard *s, struct kv_entry *e)
{
	if (e->encoding == KV_ENC_LISTPACK) {
		s->used_memory -= e->v.lp.cap;
		free(e->v.lp.buf);
	} else if (e->encoding == KV_ENC_HASHTABLE) {
		kv_dict_free(e->v.d);
	}
	/* Any other encoding: the value was moved out (RENAME). */
}

/* hash_len -- number of fields. */
static uint64_t
hash_len(const struct kv_entry *e)
{
	return e->encoding == KV_ENC_LISTPACK ? e->v.lp.n
					       : kv_dict_size(e->v.d);
}

/* hash_get -- the value of a field; false if the field is absent. */
static bool
hash_get(const struct kv_entry *e, const struct kv_arg *f, struct hpair *p)
{
	if (e->encoding == KV_ENC_LISTPACK) {
		int64_t off = lp_find(e, f->ptr, f->len);
		if (off < 0)
			return false;
		lp_read(e->v.lp.buf, (uint32_t)off, p);
		return true;
	}
	struct kv_dict_entry *x = kv_dict_lookup(e->v.d, f->ptr, f->len);
	if (x == NULL)
		return false;
	p->f = x->field;
	p->flen = x->flen;
	p->v = x->v.s.ptr != NULL ? x->v.s.ptr : "";
	p->vlen = x->v.s.len;
	return true;
}

/*
 * hash_set -- set a field's value (a copy). Converts the hash to a dict
 * when it outgrows the listpack limits. Returns 1 if the field was added,
 * 0 if it was updated, -1 when out of memory.
 */
static int
hash_set(struct kv_shard *s, struct kv_entry *e, const char *f, size_t flen,
	 const char *v, size_t vlen)
{
	if (e->encoding == KV_ENC_LISTPACK &&
	    (flen > hash_lp_value(s) || vlen > hash_lp_value(s)) &&
	    hash_convert(s, e) != 0)
		return -1;
	if (e->encoding == KV_ENC_LISTPACK) {
		int64_t off = lp_find(e, f, flen);
		if (off >= 0) {
			/* Replace the value in place: move the tail. */
			uint32_t voff = (uint32_t)off + 1 + (uint32_t)flen;
			uint32_t old = (unsigned char)e->v.lp.buf[voff];
			uint32_t tail = voff + 1 + old;
			uint32_t len = e->v.lp.len - old + (uint32_t)vlen;
			if (lp_reserve(s, e, len) != 0)
				return -1;
			memmove(e->v.lp.buf + voff + 1 + vlen,
				e->v.lp.buf + tail, e->v.lp.len - tail);
			lp_put_string(e->v.lp.buf, voff, v, vlen);
			e->v.lp.len = len;
			return 0;
		}
		if (e->v.lp.n < hash_lp_entries(s)) {
			uint32_t len = e->v.lp.len + 2 + (uint32_t)(flen + vlen);
			if (lp_reserve(s, e, len) != 0)
				return -1;
			uint32_t o = lp_put_string(e->v.lp.buf, e->v.lp.len, f,
						   flen);
			lp_put_string(e->v.lp.buf, o, v, vlen);
			e->v.lp.len = len;
			e->v.lp.n++;
			return 1;
		}
		if (hash_convert(s, e) != 0)
			return -1;
	}
	bool created;
	struct kv_dict_entry *x = kv_dict_add(e->v.d, f, flen, &created);
	if (x == NULL)
		return -1;
	if (kv_dict_set_value(e->v.d, x, v, vlen) != 0) {
		if (created)
			kv_dict_del(e->v.d, f, flen);
		return -1;
	}
	return created ? 1 : 0;
}

/* hash_del -- remove a field; false if it was absent. */
static bool
hash_del(struct kv_shard *s, struct kv_entry *e, const struct kv_arg *f)
{
	(void)s;
	if (e->encoding == KV_ENC_LISTPACK) {
		int64_t off = lp_find(e, f->ptr, f->len);
		struct hpair p;
		if (off < 0)
			return false;
		uint32_t next = lp_read(e->v.lp.buf, (uint32_t)off, &p);
		memmove(e->v.lp.buf + off, e->v.lp.buf + next,
			e->v.lp.len - next);
		e->v.lp.len -= next - (uint32_t)off;
		e->v.lp.n--;
		return true;
	}
	return kv_dict_del(e->v.d, f->ptr, f->len) == 0;
}

typedef void (*hash_visit_fn)(void *ctx, const struct hpair *p);

struct visit_adapter {
	hash_visit_fn fn;
	void *ctx;
};

/* dict_visit -- kv_dict_foreach callback: a dict entry as a pair. */
static void
dict_visit(void *ctx, const struct kv_dict_entry *x)
{
	struct visit_adapter *a = ctx;
	struct hpair p = { x->field, x->flen,
			   x->v.s.ptr != NULL ? x->v.s.ptr : "", x->v.s.len };
	a->fn(a->ctx, &p);
}

/* hash_foreach -- visit every pair (listpack: in insertion order). */
static void
hash_foreach(const struct kv_entry *e, hash_visit_fn fn, void *ctx)
{
	if (e->encoding == KV_ENC_LISTPACK) {
		struct hpair p;
		for (uint32_t off = 0; off < e->v.lp.len;) {
			off = lp_read(e->v.lp.buf, off, &p);
			fn(ctx, &p);
		}
		return;
	}
	struct visit_adapter a = { fn, ctx };
	kv_dict_foreach(e->v.d, dict_visit, &a);
}

/* lookup_hash -- a live key; false after WRONGTYPE was replied. */
static bool
lookup_hash(struct kv_req *r, struct kv_entry **e, bool write)
{
	*e = kv_lookup(r->s, r->c->db, r->argv[1].ptr, r->argv[1].len, !write);
	return kv_check_type_or_reply(r, *e, KV_TYPE_HASH);
}

/* hash_create -- a new empty hash at argv[1]; NULL when out of memory. */
static struct kv_entry *
hash_create(struct kv_req *r)
{
	struct kv_entry *e = kv_create(r->s, r->c->db, r->argv[1].ptr,
				       r->argv[1].len);

	if (e == NULL)
		return NULL;
	e->type = KV_TYPE_HASH;
	e->encoding = KV_ENC_LISTPACK;
	memset(&e->v.lp, 0, sizeof(e->v.lp));
	return e;
}

/*
 * lookup_or_create_or_reply -- the hash at argv[1], created empty if
 * absent; NULL after an error reply (wrong type, out of memory).
 */
static struct kv_entry *
lookup_or_create_or_reply(struct kv_req *r)
{
	struct kv_entry *e;

	if (!lookup_hash(r, &e, true))
		return NULL;
	if (e == NULL && (e = hash_create(r)) == NULL)
		kv_reply_error(r->c, "OOM out of memory");
	return e;
}

/* drop_if_empty -- delete a hash left without fields. */
static void
drop_if_empty(struct kv_req *r, struct kv_entry *e)
{
	if (hash_len(e) == 0)
		kv_delete(r->s, r->c->db, e);
}

/* hset_generic -- HSET and HMSET: pairs set in order. */
static void
hset_generic(struct kv_req *r, bool hmset)
{
	struct kv_entry *e;
	long long created = 0;
	int i;

	if (r->argc % 2 == 1) {
		kv_reply_error(r->c, "ERR wrong number of arguments for '%s' "
			       "command", hmset ? "hmset" : "hset");
		return;
	}
	if ((e = lookup_or_create_or_reply(r)) == NULL)
		return;
	for (i = 2; i < r->argc; i += 2) {
		int rc = hash_set(r->s, e, r->argv[i].ptr, r->argv[i].len,
				  r->argv[i + 1].ptr, r->argv[i + 1].len);
		if (rc < 0)
			break;
		created += rc;
	}
	if (i < r->argc)
		kv_reply_error(r->c, "OOM out of memory");
	else if (hmset)
		kv_reply_ok(r->c);
	else
		kv_reply_int(r->c, created);
	if (i > 2)   /* what was done, even if cut short */
		kv_propagate(r->s, r->c->db, i, r->argv);
	drop_if_empty(r, e);
}

void
cmd_hset(struct kv_req *r)
{
	hset_generic(r, false);
}

void
cmd_hmset(struct kv_req *r)
{
	hset_generic(r, true);
}

void
cmd_hsetnx(struct kv_req *r)
{
	struct kv_entry *e;
	struct hpair p;

	if ((e = lookup_or_create_or_reply(r)) == NULL)
		return;
	if (hash_get(e, &r->argv[2], &p)) {
		kv_reply_int(r->c, 0);
		return;
	}
	if (hash_set(r->s, e, r->argv[2].ptr, r->argv[2].len, r->argv[3].ptr,
		     r->argv[3].len) < 0) {
		kv_reply_error(r->c, "OOM out of memory");
		drop_if_empty(r, e);
		return;
	}
	kv_reply_int(r->c, 1);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
}

void
cmd_hget(struct kv_req *r)
{
	struct kv_entry *e;
	struct hpair p;

	if (!lookup_hash(r, &e, false))
		return;
	if (e == NULL || !hash_get(e, &r->argv[2], &p))
		kv_reply_null(r->c);
	else
		kv_reply_bulk(r->c, p.v, p.vlen);
}

void
cmd_hmget(struct kv_req *r)
{
	struct kv_entry *e;
	struct hpair p;

	if (!lookup_hash(r, &e, false))
		return;
	kv_reply_array(r->c, r->argc - 2);
	for (int i = 2; i < r->argc; i++) {
		if (e == NULL || !hash_get(e, &r->argv[i], &p))
			kv_reply_null(r->c);
		else
			kv_reply_bulk(r->c, p.v, p.vlen);
	}
}

void
cmd_hdel(struct kv_req *r)
{
	struct kv_entry *e;
	long long deleted = 0;

	if (!lookup_hash(r, &e, true))
		return;
	if (e != NULL) {
		for (int i = 2; i < r->argc; i++) {
			if (hash_del(r->s, e, &r->argv[i]))
				deleted++;
			if (hash_len(e) == 0)
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
cmd_hlen(struct kv_req *r)
{
	struct kv_entry *e;

	if (lookup_hash(r, &e, false))
		kv_reply_int(r->c, e != NULL ? (long long)hash_len(e) : 0);
}

void
cmd_hstrlen(struct kv_req *r)
{
	struct kv_entry *e;
	struct hpair p;

	if (!lookup_hash(r, &e, false))
		return;
	if (e == NULL || !hash_get(e, &r->argv[2], &p))
		kv_reply_int(r->c, 0);
	else
		kv_reply_int(r->c, (long long)p.vlen);
}

void
cmd_hexists(struct kv_req *r)
{
	struct kv_entry *e;
	struct hpair p;

	if (lookup_hash(r, &e, false))
		kv_reply_int(r->c, e != NULL && hash_get(e, &r->argv[2], &p));
}

/* What HKEYS, HVALS and HGETALL reply per pair. */
#define HASH_KEYS 1
#define HASH_VALS 2

struct reply_ctx {
	struct kv_req *r;
	int what;   /* HASH_KEYS and/or HASH_VALS */
};

/* reply_pair -- hash_foreach callback: reply a field and/or value. */
static void
reply_pair(void *ctx, const struct hpair *p)
{
	struct reply_ctx *x = ctx;

	if (x->what & HASH_KEYS)
		kv_reply_bulk(x->r->c, p->f, p->flen);
	if (x->what & HASH_VALS)
		kv_reply_bulk(x->r->c, p->v, p->vlen);
}

/* getall_generic -- HKEYS, HVALS, HGETALL. */
static void
getall_generic(struct kv_req *r, int what)
{
	struct kv_entry *e;
	struct reply_ctx x = { r, what };

	if (!lookup_hash(r, &e, false))
		return;
	if (e == NULL) {
		kv_reply_array(r->c, 0);
		return;
	}
	long long per = what == (HASH_KEYS | HASH_VALS) ? 2 : 1;
	kv_reply_array(r->c, (long long)hash_len(e) * per);
	hash_foreach(e, reply_pair, &x);
}

void
cmd_hkeys(struct kv_req *r)
{
	getall_generic(r, HASH_KEYS);
}

void
cmd_hvals(struct kv_req *r)
{
	getall_generic(r, HASH_VALS);
}

void
cmd_hgetall(struct kv_req *r)
{
	getall_generic(r, HASH_KEYS | HASH_VALS);
}

void
cmd_hincrby(struct kv_req *r)
{
	struct kv_entry *e;
	struct hpair p;
	long long incr, v = 0;
	char buf[32];

	if (!kv_str2ll(r->argv[3].ptr, r->argv[3].len, &incr)) {
		kv_reply_error(r->c, KV_ERR_NOT_INT);
		return;
	}
	if ((e = lookup_or_create_or_reply(r)) == NULL)
		return;
	if (hash_get(e, &r->argv[2], &p) && !kv_str2ll(p.v, p.vlen, &v)) {
		kv_reply_error(r->c, "ERR hash value is not an integer");
		return;
	}
	if ((incr < 0 && v < 0 && incr < LLONG_MIN - v) ||
	    (incr > 0 && v > 0 && incr > LLONG_MAX - v)) {
		kv_reply_error(r->c, KV_ERR_OVERFLOW);
		return;
	}
	v += incr;
	int n = kv_ll2str(buf, sizeof(buf), v);
	if (hash_set(r->s, e, r->argv[2].ptr, r->argv[2].len, buf,
		     (size_t)n) < 0) {
		kv_reply_error(r->c, "OOM out of memory");
		drop_if_empty(r, e);
		return;
	}
	kv_reply_int(r->c, v);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
}

void
cmd_hincrbyfloat(struct kv_req *r)
{
	struct kv_entry *e;
	struct hpair p;
	long double incr, v = 0;
	char buf[5120];

	if (!kv_str2ld(r->argv[3].ptr, r->argv[3].len, &incr)) {
		kv_reply_error(r->c, KV_ERR_NOT_FLOAT);
		return;
	}
	if (isnan(incr) || isinf(incr)) {
		kv_reply_error(r->c, "ERR value is NaN or Infinity");
		return;
	}
	if ((e = lookup_or_create_or_reply(r)) == NULL)
		return;
	if (hash_get(e, &r->argv[2], &p) && !kv_str2ld(p.v, p.vlen, &v)) {
		kv_reply_error(r->c, "ERR hash value is not a float");
		return;
	}
	v += incr;
	if (isnan(v) || isinf(v)) {
		kv_reply_error(r->c, "ERR increment would produce NaN or "
			       "Infinity");
		return;
	}
	int n = kv_ld2str(buf, sizeof(buf), v);
	if (hash_set(r->s, e, r->argv[2].ptr, r->argv[2].len, buf,
		     (size_t)n) < 0) {
		kv_reply_error(r->c, "OOM out of memory");
		drop_if_empty(r, e);
		return;
	}
	kv_reply_bulk(r->c, buf, (size_t)n);
	/* Logged as HSET of the result: no float arithmetic at replay. */
	struct kv_arg eff[4] = { { "HSET", 4 }, r->argv[1], r->argv[2],
				 { buf, (size_t)n } };
	kv_propagate(r->s, r->c->db, 4, eff);
}

/* rnd_shard -- kv_dict_random's generator: the shard's. */
static uint64_t
rnd_shard(void *ctx)
{
	return kv_rand(ctx);
}

/* lp_pair_at -- the i-th pair of a listpack (a walk from the start). */
static void
lp_pair_at(const struct kv_entry *e, uint32_t i, struct hpair *p)
{
	uint32_t off = 0;

	for (;;) {
		off = lp_read(e->v.lp.buf, off, p);
		if (i-- == 0)
			return;
	}
}

/* random_pair -- a random pair of a non-empty hash. */
static void
random_pair(struct kv_shard *s, struct kv_entry *e, struct hpair *p)
{
	if (e->encoding == KV_ENC_LISTPACK) {
		lp_pair_at(e, (uint32_t)(kv_rand(s) % e->v.lp.n), p);
		return;
	}
	struct kv_dict_entry *x = kv_dict_random(e->v.d, rnd_shard, s);
	p->f = x->field;
	p->flen = x->flen;
	p->v = x->v.s.ptr != NULL ? x->v.s.ptr : "";
	p->vlen = x->v.s.len;
}

struct sample {
	struct kv_req *r;
	bool withvalues;
	uint64_t need, left;   /* still to pick, still to see */
};

/*
 * sample_pair -- hash_foreach callback: Knuth's selection sampling; each
 * pair is taken with probability need/left, so exactly need distinct
 * pairs come out, in the hash's order.
 */
static void
sample_pair(void *ctx, const struct hpair *p)
{
	struct sample *x = ctx;

	if (x->need > 0 && kv_rand(x->r->s) % x->left < x->need) {
		kv_reply_bulk(x->r->c, p->f, p->flen);
		if (x->withvalues)
			kv_reply_bulk(x->r->c, p->v, p->vlen);
		x->need--;
	}
	x->left--;
}

/*
 * hrandfield_count -- HRANDFIELD with a count: a negative count allows
 * repeats; a positive one gives distinct fields, the whole hash when it
 * is not larger than count.
 */
static void
hrandfield_count(struct kv_req *r, long long l, bool withvalues)
{
	struct kv_entry *e;
	struct hpair p;

	if (!lookup_hash(r, &e, false))
		return;
	if (e == NULL || l == 0) {
		kv_reply_array(r->c, 0);
		return;
	}
	uint64_t size = hash_len(e);
	uint64_t count = l < 0 ? (uint64_t)-l : (uint64_t)l;
	long long per = withvalues ? 2 : 1;

	if (l < 0 || count == 1) {
		kv_reply_array(r->c, (long long)count * per);
		for (uint64_t i = 0; i < count; i++) {
			random_pair(r->s, e, &p);
			kv_reply_bulk(r->c, p.f, p.flen);
			if (withvalues)
				kv_reply_bulk(r->c, p.v, p.vlen);
		}
		return;
	}
	if (count >= size) {
		struct reply_ctx x = { r, HASH_KEYS |
				       (withvalues ? HASH_VALS : 0) };
		kv_reply_array(r->c, (long long)size * per);
		hash_foreach(e, reply_pair, &x);
		return;
	}
	kv_reply_array(r->c, (long long)count * per);
	if (e->encoding == KV_ENC_LISTPACK || count * 3 > size) {
		/* A pass over the hash: O(size), at most 3 * count. */
		struct sample x = { r, withvalues, count, size };
		hash_foreach(e, sample_pair, &x);
		return;
	}
	/* Few out of many: random picks, repeats rejected by a set. */
	uint64_t picked = 0;
	struct kv_dict *seen = kv_dict_create(kv_rand(r->s), false, NULL);
	bool created;
	while (picked < count) {
		random_pair(r->s, e, &p);
		if (seen != NULL) {
			if (kv_dict_add(seen, p.f, p.flen, &created) == NULL)
				break;   /* out of memory: stop repeats later */
			if (!created)
				continue;
		}
		kv_reply_bulk(r->c, p.f, p.flen);
		if (withvalues)
			kv_reply_bulk(r->c, p.v, p.vlen);
		picked++;
	}
	/* Only without memory for the set: the rest may repeat. */
	for (; picked < count; picked++) {
		random_pair(r->s, e, &p);
		kv_reply_bulk(r->c, p.f, p.flen);
		if (withvalues)
			kv_reply_bulk(r->c, p.v, p.vlen);
	}
	kv_dict_free(seen);
}

void
cmd_hrandfield(struct kv_req *r)
{
	struct kv_entry *e;
	struct hpair p;
	long long l;

	if (r->argc >= 3) {
		bool with;
		if (kv_rand_count_or_reply(r, "withvalues",
					   KV_HASH_RAND_MAX_REPEAT, &l, &with))
			hrandfield_count(r, l, with);
		return;
	}
	if (!lookup_hash(r, &e, false))
		return;
	if (e == NULL) {
		kv_reply_null(r->c);
		return;
	}
	random_pair(r->s, e, &p);
	kv_reply_bulk(r->c, p.f, p.flen);
}

/* Pairs gathered by HSCAN. */
struct scan_acc {
	struct hpair *v;
	size_t n, cap;
	bool oom;
};

/* scan_add -- hash_foreach callback: keep a pair. */
static void
scan_add(void *ctx, const struct hpair *p)
{
	struct scan_acc *a = ctx;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		struct hpair *v = realloc(a->v, cap * sizeof(*v));
		if (v == NULL) {
			a->oom = true;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = *p;
}

/* scan_add_entry -- kv_dict_scan callback: keep a dict entry's pair. */
static void
scan_add_entry(void *ctx, const struct kv_dict_entry *x)
{
	struct hpair p = { x->field, x->flen,
			   x->v.s.ptr != NULL ? x->v.s.ptr : "", x->v.s.len };
	scan_add(ctx, &p);
}

void
cmd_hscan(struct kv_req *r)
{
	struct kv_entry *e;
	unsigned long long cursor;
	long long count;
	const struct kv_arg *pat;
	struct scan_acc acc = { 0 };
	char cbuf[32];

	if (!kv_scan_cursor_or_reply(r, &r->argv[2], &cursor))
		return;
	if (!lookup_hash(r, &e, false))
		return;
	if (e == NULL) {
		kv_reply_scan_empty(r->c);
		return;
	}
	if (!kv_scan_options_or_reply(r, 3, &count, &pat))
		return;
	if (e->encoding == KV_ENC_LISTPACK) {
		hash_foreach(e, scan_add, &acc);
		cursor = 0;
	} else {
		/* As Redis: up to count*10 buckets until count items (a
		 * field and its value are two). */
		long long maxiter = count > LLONG_MAX / 10 ? LLONG_MAX
							   : count * 10;
		do {
			cursor = kv_dict_scan(e->v.d, cursor, scan_add_entry,
					      &acc);
		} while (cursor != 0 && maxiter-- > 0 &&
			 acc.n * 2 < (unsigned long long)count);
	}
	if (acc.oom) {
		free(acc.v);
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	size_t keep = 0;
	for (size_t i = 0; i < acc.n; i++)
		if (pat == NULL || kv_stringmatch(pat->ptr, pat->len,
						  acc.v[i].f, acc.v[i].flen,
						  false))
			acc.v[keep++] = acc.v[i];
	kv_reply_array(r->c, 2);
	int n = snprintf(cbuf, sizeof(cbuf), "%llu", cursor);
	kv_reply_bulk(r->c, cbuf, (size_t)n);
	kv_reply_array(r->c, (long long)keep * 2);
	for (size_t i = 0; i < keep; i++) {
		kv_reply_bulk(r->c, acc.v[i].f, acc.v[i].flen);
		kv_reply_bulk(r->c, acc.v[i].v, acc.v[i].vlen);
	}
	free(acc.v);
}

void
kv_hash_init(struct kv_entry *e)
{
	e->type = KV_TYPE_HASH;
	e->encoding = KV_ENC_LISTPACK;
	memset(&e->v.lp, 0, sizeof(e->v.lp));
}

int
kv_hash_set(struct kv_shard *s, struct kv_entry *e, const char *f,
	    size_t flen, const char *v, size_t vlen)
{
	return hash_set(s, e, f, flen, v, vlen);
}

uint64_t
kv_hash_len(const struct kv_entry *e)
{
	return hash_len(e);
}

struct pair_adapter {
	kv_hash_pair_fn fn;
	void *ctx;
};

/* pair_visit -- hash_foreach callback: a pair as separate arguments. */
static void
pair_visit(void *ctx, const struct hpair *p)
{
	struct pair_adapter *a = ctx;

	a->fn(a->ctx, p->f, p->flen, p->v, p->vlen);
}

void
kv_hash_foreach(const struct kv_entry *e, kv_hash_pair_fn fn, void *ctx)
{
	struct pair_adapter a = { fn, ctx };

	hash_foreach(e, pair_visit, &a);
}

int
kv_hash_get(const struct kv_entry *e, const char *field, size_t flen,
	    const char **val, size_t *vlen)
{
	struct kv_arg f = { field, flen };
	struct hpair p;

	if (!hash_get(e, &f, &p))
		return -1;
	*val = p.v;
	*vlen = p.vlen;
	return 0;
}

int
kv_hash_to_dict(struct kv_shard *s, struct kv_entry *e)
{
	return e->encoding == KV_ENC_LISTPACK ? hash_convert(s, e) : 0;
}
