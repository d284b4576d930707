/*
 * t_string.c -- string commands, with Redis 7.0's semantics, replies,
 * error texts and propagated effects.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "kv_private.h"

#define KV_MAX_STRING (512LL * 1024 * 1024)   /* proto-max-bulk-len */

/* SET option flags, as Redis's OBJ_* flags. */
#define SET_NX      (1 << 0)
#define SET_XX      (1 << 1)
#define SET_EX      (1 << 2)
#define SET_PX      (1 << 3)
#define SET_KEEPTTL (1 << 4)
#define SET_GET     (1 << 5)
#define SET_EXAT    (1 << 6)
#define SET_PXAT    (1 << 7)
#define SET_PERSIST (1 << 8)
#define SET_EXPIRE  (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

/* arg_ll_or_reply -- an integer argument, or Redis's error. */
static bool
arg_ll_or_reply(struct kv_req *r, const struct kv_arg *a, long long *v)
{
	if (kv_str2ll(a->ptr, a->len, v))
		return true;
	kv_reply_error(r->c, KV_ERR_NOT_INT);
	return false;
}

/* reply_expire_error -- "invalid expire time in 'set' command". */
static void
reply_expire_error(struct kv_req *r, const char *cmd)
{
	kv_reply_error(r->c, "ERR invalid expire time in '%s' command", cmd);
}

/*
 * expire_ms_or_reply -- the absolute expire time of an EX/PX/EXAT/PXAT
 * argument, checked as Redis's getExpireMillisecondsOrReply.
 */
static bool
expire_ms_or_reply(struct kv_req *r, const struct kv_arg *a, int flags,
		   const char *cmd, long long *ms)
{
	if (!arg_ll_or_reply(r, a, ms))
		return false;
	bool seconds = flags & (SET_EX | SET_EXAT);
	if (*ms <= 0 || (seconds && *ms > LLONG_MAX / 1000)) {
		reply_expire_error(r, cmd);
		return false;
	}
	if (seconds)
		*ms *= 1000;
	if ((flags & (SET_EX | SET_PX)) &&
	    __builtin_add_overflow(*ms, (long long)r->s->now_ms, ms)) {
		reply_expire_error(r, cmd);
		return false;
	}
	if (*ms <= 0) {
		reply_expire_error(r, cmd);
		return false;
	}
	return true;
}

/* expire_kind -- the SET_* flag of an EX/PX/EXAT/PXAT option, or 0. */
static int
expire_kind(const struct kv_arg *a)
{
	return kv_arg_is(a, "ex") ? SET_EX : kv_arg_is(a, "px") ? SET_PX :
	       kv_arg_is(a, "exat") ? SET_EXAT :
	       kv_arg_is(a, "pxat") ? SET_PXAT : 0;
}

/*
 * parse_set_options -- Redis's parseExtendedStringArgumentsOrReply for
 * SET (getex = false) and GETEX (getex = true), from argv[first].
 */
static bool
parse_set_options(struct kv_req *r, int first, bool getex, int *flags,
		  const struct kv_arg **expire)
{
	*flags = 0;
	*expire = NULL;
	for (int j = first; j < r->argc; j++) {
		const struct kv_arg *a = &r->argv[j];
		const struct kv_arg *next = j + 1 < r->argc ? &r->argv[j + 1] :
				       NULL;
		int f = *flags;
		if (!getex && kv_arg_is(a, "nx") && !(f & SET_XX)) {
			*flags |= SET_NX;
		} else if (!getex && kv_arg_is(a, "xx") && !(f & SET_NX)) {
			*flags |= SET_XX;
		} else if (!getex && kv_arg_is(a, "get")) {
			*flags |= SET_GET;
		} else if (!getex && kv_arg_is(a, "keepttl") &&
			   !(f & SET_PERSIST) && !(f & SET_EXPIRE)) {
			*flags |= SET_KEEPTTL;
		} else if (getex && kv_arg_is(a, "persist") &&
			   !(f & SET_EXPIRE) && !(f & SET_KEEPTTL)) {
			*flags |= SET_PERSIST;
		} else if (next != NULL && !(f & SET_KEEPTTL) &&
			   !(f & SET_PERSIST) && expire_kind(a) != 0 &&
			   !(f & (SET_EXPIRE & ~expire_kind(a)))) {
			/* The same kind again is allowed: the last wins. */
			*flags |= expire_kind(a);
			*expire = next;
			j++;
		} else {
			kv_reply_error(r->c, KV_ERR_SYNTAX);
			return false;
		}
	}
	return true;
}

/* lookup_string -- a live key; false after WRONGTYPE was replied. */
static bool
lookup_string(struct kv_req *r, const struct kv_arg *key,
	      struct kv_entry **e)
{
	*e = kv_lookup(r->s, r->c->db, key->ptr, key->len, true);
	return kv_check_type_or_reply(r, *e, KV_TYPE_STRING);
}

/* reply_value -- a string value as a bulk reply. */
static void
reply_value(struct kv_req *r, const struct kv_entry *e)
{
	char buf[32];
	size_t len;
	const char *p = kv_str_get(e, buf, &len);

	kv_reply_bulk(r->c, p, len);
}

/*
 * store_value -- set key to value (creating it), keeping or dropping the
 * TTL. Returns the entry or NULL (out of memory, replied).
 */
static struct kv_entry *
store_value(struct kv_req *r, const struct kv_arg *key,
	    const struct kv_arg *val, bool keepttl)
{
	struct kv_shard *s = r->s;
	unsigned db = r->c->db;
	struct kv_entry *e = kv_lookup(s, db, key->ptr, key->len, false);

	if (e == NULL) {
		e = kv_create(s, db, key->ptr, key->len);
	} else if (!keepttl) {
		kv_set_expire(s, db, e, 0);
	}
	if (e == NULL || kv_str_set(s, e, val->ptr, val->len) != 0) {
		kv_reply_error(r->c, "OOM out of memory");
		return NULL;
	}
	return e;
}

/* propagate_set_pxat -- log "SET key value PXAT ms" (or KEEPTTL/plain). */
static void
propagate_set(struct kv_req *r, const struct kv_arg *key,
	      const struct kv_arg *val, long long pxat, bool keepttl)
{
	char ms[32];
	struct kv_arg argv[5] = { { "SET", 3 }, *key, *val };
	int argc = 3;

	if (pxat != 0) {
		argv[3] = (struct kv_arg){ "PXAT", 4 };
		argv[4].ptr = ms;
		argv[4].len = (size_t)kv_ll2str(ms, sizeof(ms), pxat);
		argc = 5;
	} else if (keepttl) {
		argv[3] = (struct kv_arg){ "KEEPTTL", 7 };
		argc = 4;
	}
	kv_propagate(r->s, r->c->db, argc, argv);
}

/*
 * set_generic -- SET and its variants (SETNX, SETEX, PSETEX): Redis's
 * setGenericCommand. ok_reply NULL means reply :1/:0 (SETNX).
 */
static void
set_generic(struct kv_req *r, int flags, const struct kv_arg *key,
	    const struct kv_arg *val, const struct kv_arg *expire,
	    const char *cmd, bool int_reply)
{
	long long ms = 0;
	struct kv_entry *e;

	if (expire != NULL &&
	    !expire_ms_or_reply(r, expire, flags, cmd, &ms))
		return;
	if (flags & SET_GET) {
		if (!lookup_string(r, key, &e))
			return;
		if (e == NULL)
			kv_reply_null(r->c);
		else
			reply_value(r, e);
	} else {
		e = kv_lookup(r->s, r->c->db, key->ptr, key->len, false);
	}
	if (((flags & SET_NX) && e != NULL) || ((flags & SET_XX) && e == NULL)) {
		if (!(flags & SET_GET)) {
			if (int_reply)
				kv_reply_int(r->c, 0);
			else
				kv_reply_null(r->c);
		}
		return;
	}
	e = store_value(r, key, val, flags & SET_KEEPTTL);
	if (e == NULL)
		return;
	if (expire != NULL)
		kv_set_expire(r->s, r->c->db, e, (uint64_t)ms);
	if (!(flags & SET_GET)) {
		if (int_reply)
			kv_reply_int(r->c, 1);
		else
			kv_reply_ok(r->c);
	}
	propagate_set(r, key, val, expire != NULL ? ms : 0,
		      flags & SET_KEEPTTL);
}

void
cmd_set(struct kv_req *r)
{
	int flags;
	const struct kv_arg *expire;

	if (!parse_set_options(r, 3, false, &flags, &expire))
		return;
	set_generic(r, flags, &r->argv[1], &r->argv[2], expire, "set", false);
}

void
cmd_setnx(struct kv_req *r)
{
	set_generic(r, SET_NX, &r->argv[1], &r->argv[2], NULL, "setnx", true);
}

void
cmd_setex(struct kv_req *r)
{
	set_generic(r, SET_EX, &r->argv[1], &r->argv[3], &r->argv[2], "setex",
		    false);
}

void
cmd_psetex(struct kv_req *r)
{
	set_generic(r, SET_PX, &r->argv[1], &r->argv[3], &r->argv[2],
		    "psetex", false);
}

void
cmd_get(struct kv_req *r)
{
	struct kv_entry *e;

	if (!lookup_string(r, &r->argv[1], &e))
		return;
	if (e == NULL)
		kv_reply_null(r->c);
	else
		reply_value(r, e);
}

void
cmd_getset(struct kv_req *r)
{
	struct kv_entry *e;

	if (!lookup_string(r, &r->argv[1], &e))
		return;
	if (e == NULL)
		kv_reply_null(r->c);
	else
		reply_value(r, e);
	if (store_value(r, &r->argv[1], &r->argv[2], false) != NULL)
		propagate_set(r, &r->argv[1], &r->argv[2], 0, false);
}

void
cmd_getdel(struct kv_req *r)
{
	struct kv_entry *e;

	if (!lookup_string(r, &r->argv[1], &e))
		return;
	if (e == NULL) {
		kv_reply_null(r->c);
		return;
	}
	reply_value(r, e);
	kv_delete(r->s, r->c->db, e);
	struct kv_arg argv[2] = { { "DEL", 3 }, r->argv[1] };
	kv_propagate(r->s, r->c->db, 2, argv);
}

void
cmd_getex(struct kv_req *r)
{
	int flags;
	const struct kv_arg *expire;
	long long ms = 0;
	struct kv_entry *e;

	if (!parse_set_options(r, 2, true, &flags, &expire))
		return;
	if (expire != NULL &&
	    !expire_ms_or_reply(r, expire, flags, "getex", &ms))
		return;
	if (!lookup_string(r, &r->argv[1], &e))
		return;
	if (e == NULL) {
		kv_reply_null(r->c);
		return;
	}
	reply_value(r, e);
	if (expire != NULL && (flags & (SET_EXAT | SET_PXAT)) &&
	    (uint64_t)ms <= r->s->now_ms) {
		struct kv_arg argv[2] = { { "DEL", 3 }, r->argv[1] };
		kv_delete(r->s, r->c->db, e);
		kv_propagate(r->s, r->c->db, 2, argv);
	} else if (expire != NULL) {
		char buf[32];
		struct kv_arg argv[3] = { { "PEXPIREAT", 9 }, r->argv[1],
					  { buf, 0 } };
		argv[2].len = (size_t)kv_ll2str(buf, sizeof(buf), ms);
		kv_set_expire(r->s, r->c->db, e, (uint64_t)ms);
		kv_propagate(r->s, r->c->db, 3, argv);
	} else if ((flags & SET_PERSIST) && e->expire_ms != 0) {
		struct kv_arg argv[2] = { { "PERSIST", 7 }, r->argv[1] };
		kv_set_expire(r->s, r->c->db, e, 0);
		kv_propagate(r->s, r->c->db, 2, argv);
	}
}

void
cmd_mget(struct kv_req *r)
{
	kv_reply_array(r->c, r->argc - 1);
	for (int i = 1; i < r->argc; i++) {
		struct kv_entry *e = kv_lookup(r->s, r->c->db, r->argv[i].ptr,
					       r->argv[i].len, true);
		if (e == NULL || e->type != KV_TYPE_STRING)
			kv_reply_null(r->c);
		else
			reply_value(r, e);
	}
}

/* mset_generic -- MSET and MSETNX. */
static void
mset_generic(struct kv_req *r, bool nx)
{
	if (r->argc % 2 == 0) {
		kv_reply_error(r->c, "ERR wrong number of arguments for '%s' "
			       "command", nx ? "msetnx" : "mset");
		return;
	}
	if (nx) {
		for (int i = 1; i < r->argc; i += 2) {
			if (kv_lookup(r->s, r->c->db, r->argv[i].ptr,
				      r->argv[i].len, false) != NULL) {
				kv_reply_int(r->c, 0);
				return;
			}
		}
	}
	for (int i = 1; i < r->argc; i += 2)
		if (store_value(r, &r->argv[i], &r->argv[i + 1], false) == NULL)
			return;
	if (nx)
		kv_reply_int(r->c, 1);
	else
		kv_reply_ok(r->c);
	/* The effect: MSET of everything (MSETNX succeeded as a whole). */
	struct kv_arg first = { "MSET", 4 };
	const struct kv_arg *saved = r->argv;
	struct kv_arg argv_stack[64], *argv = argv_stack;
	if (r->argc > 64) {
		argv = malloc((size_t)r->argc * sizeof(*argv));
		if (argv == NULL)
			return;
	}
	argv[0] = first;
	memcpy(argv + 1, saved + 1, (size_t)(r->argc - 1) * sizeof(*argv));
	kv_propagate(r->s, r->c->db, r->argc, argv);
	if (argv != argv_stack)
		free(argv);
}

void
cmd_mset(struct kv_req *r)
{
	mset_generic(r, false);
}

void
cmd_msetnx(struct kv_req *r)
{
	mset_generic(r, true);
}

/* incr_generic -- INCR, DECR, INCRBY, DECRBY. */
static void
incr_generic(struct kv_req *r, long long by)
{
	struct kv_entry *e;
	long long v = 0;

	if (!lookup_string(r, &r->argv[1], &e))
		return;
	if (e != NULL) {
		if (e->encoding == KV_ENC_INT) {
			v = e->v.ival;
		} else if (!kv_str2ll(e->v.s.ptr, e->v.s.len, &v)) {
			kv_reply_error(r->c, KV_ERR_NOT_INT);
			return;
		}
	}
	if (__builtin_add_overflow(v, by, &v)) {
		kv_reply_error(r->c, KV_ERR_OVERFLOW);
		return;
	}
	if (e == NULL) {
		e = kv_create(r->s, r->c->db, r->argv[1].ptr, r->argv[1].len);
		if (e == NULL) {
			kv_reply_error(r->c, "OOM out of memory");
			return;
		}
	}
	kv_str_set_int(r->s, e, v);
	kv_reply_int(r->c, v);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
}

void
cmd_incr(struct kv_req *r)
{
	incr_generic(r, 1);
}

void
cmd_decr(struct kv_req *r)
{
	incr_generic(r, -1);
}

void
cmd_incrby(struct kv_req *r)
{
	long long by;

	if (arg_ll_or_reply(r, &r->argv[2], &by))
		incr_generic(r, by);
}

void
cmd_decrby(struct kv_req *r)
{
	long long by;

	if (!arg_ll_or_reply(r, &r->argv[2], &by))
		return;
	if (by == LLONG_MIN) {
		kv_reply_error(r->c, "ERR decrement would overflow");
		return;
	}
	incr_generic(r, -by);
}

void
cmd_incrbyfloat(struct kv_req *r)
{
	struct kv_entry *e;
	long double v = 0, by;
	char buf[5120];

	if (!lookup_string(r, &r->argv[1], &e))
		return;
	if (e != NULL) {
		size_t len;
		const char *p = kv_str_get(e, buf, &len);
		if (!kv_str2ld(p, len, &v)) {
			kv_reply_error(r->c, KV_ERR_NOT_FLOAT);
			return;
		}
	}
	if (!kv_str2ld(r->argv[2].ptr, r->argv[2].len, &by)) {
		kv_reply_error(r->c, KV_ERR_NOT_FLOAT);
		return;
	}
	v += by;
	if (isnan(v) || isinf(v)) {
		kv_reply_error(r->c, "ERR increment would produce NaN or "
			       "Infinity");
		return;
	}
	struct kv_arg val = { buf, (size_t)kv_ld2str(buf, sizeof(buf), v) };
	struct kv_entry *n = store_value(r, &r->argv[1], &val, true);
	if (n == NULL)
		return;
	/* Redis keeps the result as a string even when it is an integer. */
	if (n->encoding == KV_ENC_INT &&
	    kv_str_set_bytes(r->s, n, val.ptr, val.len) != 0) {
		kv_delete(r->s, r->c->db, n);
		kv_reply_error(r->c, "OOM out of memory");
		struct kv_arg del[2] = { { "DEL", 3 }, r->argv[1] };
		kv_propagate(r->s, r->c->db, 2, del);
		return;
	}
	kv_reply_bulk(r->c, val.ptr, val.len);
	propagate_set(r, &r->argv[1], &val, 0, true);
}

void
cmd_append(struct kv_req *r)
{
	struct kv_entry *e;

	if (!lookup_string(r, &r->argv[1], &e))
		return;
	if (e == NULL) {
		e = store_value(r, &r->argv[1], &r->argv[2], false);
		if (e == NULL)
			return;
		kv_reply_int(r->c, (long long)r->argv[2].len);
	} else {
		char buf[32];
		size_t len;
		kv_str_get(e, buf, &len);
		if ((long long)(len + r->argv[2].len) > KV_MAX_STRING) {
			kv_reply_error(r->c, "ERR string exceeds maximum "
				       "allowed size (proto-max-bulk-len)");
			return;
		}
		if (kv_str_reserve(r->s, e, len + r->argv[2].len) != 0) {
			kv_reply_error(r->c, "OOM out of memory");
			return;
		}
		memcpy(e->v.s.ptr + e->v.s.len, r->argv[2].ptr, r->argv[2].len);
		e->v.s.len += r->argv[2].len;
		kv_reply_int(r->c, (long long)e->v.s.len);
	}
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
}

void
cmd_strlen(struct kv_req *r)
{
	struct kv_entry *e;
	char buf[32];
	size_t len = 0;

	if (!lookup_string(r, &r->argv[1], &e))
		return;
	if (e != NULL)
		kv_str_get(e, buf, &len);
	kv_reply_int(r->c, (long long)len);
}

void
cmd_getrange(struct kv_req *r)
{
	long long start, end;
	struct kv_entry *e;
	char buf[32];
	size_t len = 0;
	const char *p = "";

	if (!arg_ll_or_reply(r, &r->argv[2], &start) ||
	    !arg_ll_or_reply(r, &r->argv[3], &end))
		return;
	if (!lookup_string(r, &r->argv[1], &e))
		return;
	if (e != NULL)
		p = kv_str_get(e, buf, &len);
	long long n = (long long)len;
	if (e == NULL || (start < 0 && end < 0 && start > end)) {
		kv_reply_bulk(r->c, "", 0);
		return;
	}
	if (start < 0)
		start = n + start;
	if (end < 0)
		end = n + end;
	if (start < 0)
		start = 0;
	if (end < 0)
		end = 0;
	if (end >= n)
		end = n - 1;
	if (start > end || n == 0)
		kv_reply_bulk(r->c, "", 0);
	else
		kv_reply_bulk(r->c, p + start, (size_t)(end - start + 1));
}

void
cmd_setrange(struct kv_req *r)
{
	long long off;
	struct kv_entry *e;
	const struct kv_arg *val = &r->argv[3];

	if (!arg_ll_or_reply(r, &r->argv[2], &off))
		return;
	if (off < 0) {
		kv_reply_error(r->c, "ERR offset is out of range");
		return;
	}
	if (!lookup_string(r, &r->argv[1], &e))
		return;
	char buf[32];
	size_t len = 0;
	if (e != NULL)
		kv_str_get(e, buf, &len);
	if (val->len == 0) {
		kv_reply_int(r->c, (long long)len);
		return;
	}
	if (off + (long long)val->len > KV_MAX_STRING) {
		kv_reply_error(r->c, "ERR string exceeds maximum allowed size "
			       "(proto-max-bulk-len)");
		return;
	}
	if (e == NULL) {
		e = kv_create(r->s, r->c->db, r->argv[1].ptr, r->argv[1].len);
		if (e == NULL) {
			kv_reply_error(r->c, "OOM out of memory");
			return;
		}
	}
	size_t need = (size_t)off + val->len;
	if (kv_str_reserve(r->s, e, need > len ? need : len) != 0) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	if ((size_t)off > e->v.s.len)
		memset(e->v.s.ptr + e->v.s.len, 0, (size_t)off - e->v.s.len);
	memcpy(e->v.s.ptr + off, val->ptr, val->len);
	if (need > e->v.s.len)
		e->v.s.len = need;
	kv_reply_int(r->c, (long long)e->v.s.len);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
}
