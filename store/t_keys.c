/*
 * t_keys.c -- commands on keys of any type (Redis's "generic" group).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "kv_private.h"

#define EXPIRE_NX (1 << 0)
#define EXPIRE_XX (1 << 1)
#define EXPIRE_GT (1 << 2)
#define EXPIRE_LT (1 << 3)

/* del_generic -- DEL and UNLINK: count the keys removed. */
static void
del_generic(struct kv_req *r)
{
	long long n = 0;

	for (int i = 1; i < r->argc; i++) {
		struct kv_entry *e = kv_lookup(r->s, r->c->db, r->argv[i].ptr,
					       r->argv[i].len, false);
		if (e == NULL)
			continue;
		kv_delete(r->s, r->c->db, e);
		struct kv_arg argv[2] = { r->argv[0], r->argv[i] };
		kv_propagate(r->s, r->c->db, 2, argv);
		n++;
	}
	kv_reply_int(r->c, n);
}

void
cmd_del(struct kv_req *r)
{
	del_generic(r);
}

void
cmd_unlink(struct kv_req *r)
{
	del_generic(r);
}

/* count_existing -- EXISTS and TOUCH. */
static void
count_existing(struct kv_req *r)
{
	long long n = 0;

	for (int i = 1; i < r->argc; i++)
		if (kv_lookup(r->s, r->c->db, r->argv[i].ptr, r->argv[i].len,
			      false) != NULL)
			n++;
	kv_reply_int(r->c, n);
}

void
cmd_exists(struct kv_req *r)
{
	count_existing(r);
}

void
cmd_touch(struct kv_req *r)
{
	count_existing(r);
}

void
cmd_type(struct kv_req *r)
{
	struct kv_entry *e = kv_lookup(r->s, r->c->db, r->argv[1].ptr,
				       r->argv[1].len, false);

	kv_reply_simple(r->c, e != NULL ? kv_type_name(e) : "none");
}

/*
 * expire_generic -- EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: Redis's
 * expireGenericCommand. basetime is now for the relative forms, 0 for
 * the absolute ones.
 */
static void
expire_generic(struct kv_req *r, long long basetime, bool seconds,
	       const char *cmd)
{
	int flags = 0;
	long long when;

	for (int j = 3; j < r->argc; j++) {
		const struct kv_arg *a = &r->argv[j];
		if (kv_arg_is(a, "nx"))
			flags |= EXPIRE_NX;
		else if (kv_arg_is(a, "xx"))
			flags |= EXPIRE_XX;
		else if (kv_arg_is(a, "gt"))
			flags |= EXPIRE_GT;
		else if (kv_arg_is(a, "lt"))
			flags |= EXPIRE_LT;
		else {
			kv_reply_error(r->c, "ERR Unsupported option %.*s",
				       (int)a->len, a->ptr);
			return;
		}
	}
	if ((flags & EXPIRE_NX) && (flags & (EXPIRE_XX | EXPIRE_GT |
					     EXPIRE_LT))) {
		kv_reply_error(r->c, "ERR NX and XX, GT or LT options at the "
			       "same time are not compatible");
		return;
	}
	if ((flags & EXPIRE_GT) && (flags & EXPIRE_LT)) {
		kv_reply_error(r->c, "ERR GT and LT options at the same time "
			       "are not compatible");
		return;
	}
	if (!kv_str2ll(r->argv[2].ptr, r->argv[2].len, &when)) {
		kv_reply_error(r->c, KV_ERR_NOT_INT);
		return;
	}
	if (seconds) {
		if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) {
			kv_reply_error(r->c, "ERR invalid expire time in '%s' "
				       "command", cmd);
			return;
		}
		when *= 1000;
	}
	if (when > LLONG_MAX - basetime) {
		kv_reply_error(r->c, "ERR invalid expire time in '%s' command",
			       cmd);
		return;
	}
	when += basetime;

	struct kv_entry *e = kv_lookup(r->s, r->c->db, r->argv[1].ptr,
				       r->argv[1].len, false);
	if (e == NULL) {
		kv_reply_int(r->c, 0);
		return;
	}
	long long cur = e->expire_ms != 0 ? (long long)e->expire_ms : -1;
	if (((flags & EXPIRE_NX) && cur != -1) ||
	    ((flags & EXPIRE_XX) && cur == -1) ||
	    ((flags & EXPIRE_GT) && (when <= cur || cur == -1)) ||
	    ((flags & EXPIRE_LT) && cur != -1 && when >= cur)) {
		kv_reply_int(r->c, 0);
		return;
	}
	if (when <= (long long)r->s->now_ms && !r->s->replaying) {
		struct kv_arg argv[2] = { { "DEL", 3 }, r->argv[1] };
		kv_delete(r->s, r->c->db, e);
		kv_propagate(r->s, r->c->db, 2, argv);
	} else {
		char buf[32];
		struct kv_arg argv[3] = { { "PEXPIREAT", 9 }, r->argv[1],
					  { buf, 0 } };
		argv[2].len = (size_t)kv_ll2str(buf, sizeof(buf), when);
		/* A past time while replaying: keep it, expire lazily. */
		kv_set_expire(r->s, r->c->db, e, when > 0 ? (uint64_t)when : 1);
		kv_propagate(r->s, r->c->db, 3, argv);
	}
	kv_reply_int(r->c, 1);
}

void
cmd_expire(struct kv_req *r)
{
	expire_generic(r, (long long)r->s->now_ms, true, "expire");
}

void
cmd_pexpire(struct kv_req *r)
{
	expire_generic(r, (long long)r->s->now_ms, false, "pexpire");
}

void
cmd_expireat(struct kv_req *r)
{
	expire_generic(r, 0, true, "expireat");
}

void
cmd_pexpireat(struct kv_req *r)
{
	expire_generic(r, 0, false, "pexpireat");
}

/* ttl_generic -- TTL and PTTL. */
static void
ttl_generic(struct kv_req *r, bool ms)
{
	struct kv_entry *e = kv_lookup(r->s, r->c->db, r->argv[1].ptr,
				       r->argv[1].len, false);

	if (e == NULL) {
		kv_reply_int(r->c, -2);
		return;
	}
	if (e->expire_ms == 0) {
		kv_reply_int(r->c, -1);
		return;
	}
	long long ttl = (long long)e->expire_ms - (long long)r->s->now_ms;
	if (ttl < 0)
		ttl = 0;
	kv_reply_int(r->c, ms ? ttl : (ttl + 500) / 1000);
}

void
cmd_ttl(struct kv_req *r)
{
	ttl_generic(r, false);
}

void
cmd_pttl(struct kv_req *r)
{
	ttl_generic(r, true);
}

void
cmd_persist(struct kv_req *r)
{
	struct kv_entry *e = kv_lookup(r->s, r->c->db, r->argv[1].ptr,
				       r->argv[1].len, false);

	if (e == NULL || e->expire_ms == 0) {
		kv_reply_int(r->c, 0);
		return;
	}
	kv_set_expire(r->s, r->c->db, e, 0);
	kv_reply_int(r->c, 1);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
}

/* A growable list of entries collected by KEYS and SCAN. */
struct collect {
	const struct kv_arg *pattern;   /* NULL: all */
	int type;                       /* -1: any */
	struct kv_entry **v;
	size_t n, cap;
	bool oom;
};

/* collect_one -- kv_iterate callback: keep matching keys. */
static bool
collect_one(struct kv_entry *e, void *arg)
{
	struct collect *x = arg;

	if (x->pattern != NULL &&
	    !(x->pattern->len == 1 && x->pattern->ptr[0] == '*') &&
	    !kv_stringmatch(x->pattern->ptr, x->pattern->len, e->key, e->klen,
			    false))
		return true;
	if (x->type >= 0 && e->type != x->type)
		return true;
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		struct kv_entry **v = realloc(x->v, cap * sizeof(*v));
		if (v == NULL) {
			x->oom = true;
			return false;
		}
		x->v = v;
		x->cap = cap;
	}
	x->v[x->n++] = e;
	return true;
}

/* reply_keys -- the collected keys as an array of bulks. */
static void
reply_keys(struct kv_req *r, struct collect *x)
{
	kv_reply_array(r->c, (long long)x->n);
	for (size_t i = 0; i < x->n; i++)
		kv_reply_bulk(r->c, x->v[i]->key, x->v[i]->klen);
	free(x->v);
}

void
cmd_keys(struct kv_req *r)
{
	struct collect x = { .pattern = &r->argv[1], .type = -1 };
	uint32_t pos = 0;

	kv_iterate(r->s, r->c->db, &pos, collect_one, &x, UINT32_MAX);
	if (x.oom) {
		free(x.v);
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	reply_keys(r, &x);
}

/*
 * SCAN cursors: the low 32 bits are the table position to resume from,
 * the next 16 bits the low bits of the table's generation plus one. A
 * cursor from before a table grew restarts the walk from position 0: the
 * same keys may come again (Redis allows duplicates) but none present for
 * the whole scan is missed.
 */
void
cmd_scan(struct kv_req *r)
{
	unsigned long long cursor;
	long long count = 10;
	struct collect x = { .pattern = NULL, .type = -1 };
	char *end;
	char buf[32];

	if (r->argv[1].len == 0 || r->argv[1].len >= sizeof(buf)) {
		kv_reply_error(r->c, "ERR invalid cursor");
		return;
	}
	memcpy(buf, r->argv[1].ptr, r->argv[1].len);
	buf[r->argv[1].len] = '\0';
	errno = 0;
	cursor = strtoull(buf, &end, 10);
	if (*end != '\0' || errno != 0 || buf[0] == '-') {
		kv_reply_error(r->c, "ERR invalid cursor");
		return;
	}
	for (int j = 2; j < r->argc; j++) {
		bool more = j + 1 < r->argc;
		if (kv_arg_is(&r->argv[j], "count") && more) {
			if (!kv_str2ll(r->argv[j + 1].ptr, r->argv[j + 1].len,
				       &count)) {
				kv_reply_error(r->c, KV_ERR_NOT_INT);
				return;
			}
			if (count < 1) {
				kv_reply_error(r->c, KV_ERR_SYNTAX);
				return;
			}
			j++;
		} else if (kv_arg_is(&r->argv[j], "match") && more) {
			x.pattern = &r->argv[++j];
		} else if (kv_arg_is(&r->argv[j], "type") && more) {
			/* A type redpoll does not have yet matches
			 * nothing, as an empty type does in Redis. */
			x.type = kv_arg_is(&r->argv[j + 1], "string") ?
				 KV_TYPE_STRING :
				 kv_arg_is(&r->argv[j + 1], "list") ?
				 KV_TYPE_LIST :
				 kv_arg_is(&r->argv[j + 1], "hash") ?
				 KV_TYPE_HASH :
				 kv_arg_is(&r->argv[j + 1], "set") ?
				 KV_TYPE_SET :
				 kv_arg_is(&r->argv[j + 1], "zset") ?
				 KV_TYPE_ZSET : 255;
			j++;
		} else {
			kv_reply_error(r->c, KV_ERR_SYNTAX);
			return;
		}
	}

	struct kv_db *d = &r->s->db[r->c->db];
	uint32_t gen = (d->gen & 0xffff) + 1;
	uint32_t pos = (uint32_t)cursor;
	if (cursor != 0 && (cursor >> 32) != gen)
		pos = 0;
	unsigned slots = count > 1000000 ? 1000000 : (unsigned)count;
	bool more = kv_iterate(r->s, r->c->db, &pos, collect_one, &x, slots);
	if (x.oom) {
		free(x.v);
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	unsigned long long next = more ? ((unsigned long long)gen << 32) | pos
				       : 0;
	kv_reply_array(r->c, 2);
	kv_reply_bulk_ll(r->c, (long long)next);
	reply_keys(r, &x);
}

void
cmd_randomkey(struct kv_req *r)
{
	struct kv_entry *e = kv_random_entry(r->s, r->c->db);

	if (e == NULL)
		kv_reply_null(r->c);
	else
		kv_reply_bulk(r->c, e->key, e->klen);
}

/* rename_generic -- RENAME and RENAMENX; the TTL moves with the value. */
static void
rename_generic(struct kv_req *r, bool nx)
{
	struct kv_shard *s = r->s;
	unsigned db = r->c->db;
	const struct kv_arg *src = &r->argv[1], *dst = &r->argv[2];
	struct kv_entry *e = kv_lookup(s, db, src->ptr, src->len, false);

	if (e == NULL) {
		kv_reply_error(r->c, KV_ERR_NO_KEY);
		return;
	}
	if (src->len == dst->len && memcmp(src->ptr, dst->ptr, src->len) == 0) {
		if (nx)
			kv_reply_int(r->c, 0);
		else
			kv_reply_ok(r->c);
		return;
	}
	struct kv_entry *old = kv_lookup(s, db, dst->ptr, dst->len, false);
	if (old != NULL) {
		if (nx) {
			kv_reply_int(r->c, 0);
			return;
		}
		kv_delete(s, db, old);
	}
	struct kv_entry *n = kv_create(s, db, dst->ptr, dst->len);
	if (n == NULL) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	/* Move the value without copying it. */
	n->type = e->type;
	n->encoding = e->encoding;
	n->v = e->v;
	e->encoding = KV_ENC_RAW;
	e->v.s.ptr = NULL;
	e->v.s.len = e->v.s.cap = 0;
	if (e->expire_ms != 0)
		kv_set_expire(s, db, n, e->expire_ms);
	kv_delete(s, db, e);
	if (nx)
		kv_reply_int(r->c, 1);
	else
		kv_reply_ok(r->c);
	kv_propagate(s, db, r->argc, r->argv);
}

void
cmd_rename(struct kv_req *r)
{
	rename_generic(r, false);
}

void
cmd_renamenx(struct kv_req *r)
{
	rename_generic(r, true);
}

/* flush_args_ok -- FLUSHDB/FLUSHALL take ASYNC or SYNC at most. */
static bool
flush_args_ok(struct kv_req *r)
{
	if (r->argc == 1 || (r->argc == 2 && (kv_arg_is(&r->argv[1], "async") ||
					      kv_arg_is(&r->argv[1], "sync"))))
		return true;
	kv_reply_error(r->c, KV_ERR_SYNTAX);
	return false;
}

void
cmd_flushdb(struct kv_req *r)
{
	if (!flush_args_ok(r))
		return;
	kv_flush_db(r->s, r->c->db);
	kv_reply_ok(r->c);
	kv_propagate(r->s, r->c->db, 1, r->argv);
}

void
cmd_flushall(struct kv_req *r)
{
	if (!flush_args_ok(r))
		return;
	for (unsigned db = 0; db < r->s->n_db; db++)
		kv_flush_db(r->s, db);
	kv_reply_ok(r->c);
	kv_propagate(r->s, r->c->db, 1, r->argv);
}
