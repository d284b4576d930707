/*
 * keyspace.c -- commands about keys whatever their type: OBJECT, COPY,
 * MOVE, EXPIRETIME and PEXPIRETIME.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "kv_private.h"

/* Values below this are shared integer objects in Redis (refcount). */
#define OBJ_SHARED_INTEGERS 10000
#define OBJ_SHARED_REFCOUNT INT_MAX

/* policy_lfu -- whether maxmemory-policy is one of the LFU ones. */
static bool
policy_lfu(const struct kv_shard *s)
{
	return s->cfg->maxmemory_policy == CFG_EVICT_ALLKEYS_LFU ||
	       s->cfg->maxmemory_policy == CFG_EVICT_VOLATILE_LFU;
}

/* policy_lru -- whether maxmemory-policy is one of the LRU ones. */
static bool
policy_lru(const struct kv_shard *s)
{
	return s->cfg->maxmemory_policy == CFG_EVICT_ALLKEYS_LRU ||
	       s->cfg->maxmemory_policy == CFG_EVICT_VOLATILE_LRU;
}

/*
 * lookup_read_notouch -- a read that leaves the access time alone but
 * counts a keyspace hit or miss (Redis's LOOKUP_NOTOUCH).
 */
static struct kv_entry *
lookup_read_notouch(struct kv_req *r, const struct kv_arg *key)
{
	struct kv_entry *e = kv_lookup_notouch(r->s, r->c->db, key->ptr,
					       key->len);

	if (e != NULL)
		r->s->stats.keyspace_hits++;
	else
		r->s->stats.keyspace_misses++;
	return e;
}

/*
 * object_lookup_or_reply -- the key OBJECT asks about, without touching
 * its access time; a missing key replies a null bulk.
 */
static struct kv_entry *
object_lookup_or_reply(struct kv_req *r)
{
	struct kv_entry *e = lookup_read_notouch(r, &r->argv[2]);

	if (e == NULL)
		kv_reply_null(r->c);
	return e;
}

void
cmd_object_encoding(struct kv_req *r)
{
	struct kv_entry *e = object_lookup_or_reply(r);

	if (e != NULL)
		kv_reply_bulk_cstr(r->c, kv_encoding_name(e));
}

/*
 * cmd_object_freq -- redpoll counts no access frequency: Redis's answer
 * when no LFU policy is selected.
 */
void
cmd_object_freq(struct kv_req *r)
{
	if (object_lookup_or_reply(r) == NULL)
		return;
	kv_reply_error(r->c, "ERR An LFU maxmemory policy is not selected, "
		       "access frequency not tracked. Please note that when "
		       "switching between policies at runtime LRU and LFU "
		       "data will take some time to adjust.");
}

void
cmd_object_idletime(struct kv_req *r)
{
	struct kv_entry *e = object_lookup_or_reply(r);

	if (e == NULL)
		return;
	if (policy_lfu(r->s)) {
		kv_reply_error(r->c, "ERR An LFU maxmemory policy is "
			       "selected, idle time not tracked. Please note "
			       "that when switching between policies at "
			       "runtime LRU and LFU data will take some time "
			       "to adjust.");
		return;
	}
	uint32_t now = (uint32_t)(r->s->now_ms / 1000);
	kv_reply_int(r->c, now >= e->atime ? (long long)(now - e->atime) : 0);
}

/*
 * cmd_object_refcount -- 1, except for the small integers Redis shares
 * between keys (unless an LRU or LFU policy forbids sharing them).
 */
void
cmd_object_refcount(struct kv_req *r)
{
	struct kv_entry *e = object_lookup_or_reply(r);

	if (e == NULL)
		return;
	bool shared = e->type == KV_TYPE_STRING &&
		      e->encoding == KV_ENC_INT && e->v.ival >= 0 &&
		      e->v.ival < OBJ_SHARED_INTEGERS &&
		      (r->s->cfg->maxmemory == 0 ||
		       !(policy_lru(r->s) || policy_lfu(r->s)));
	kv_reply_int(r->c, shared ? OBJ_SHARED_REFCOUNT : 1);
}

void
cmd_object_help(struct kv_req *r)
{
	static const char *const lines[] = {
		"OBJECT <subcommand> [<arg> [value] [opt] ...]."
		" Subcommands are:",
		"ENCODING <key>",
		"    Return the kind of internal representation"
		" used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the"
		" <key>. The returned integer is",
		"    proportional to the logarithm of the recent"
		" access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is"
		" the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value"
		" associated with the specified",
		"    <key>.",
		"HELP",
		"    Prints this help.",
	};
	kv_reply_array(r->c, RTE_DIM(lines));
	for (unsigned i = 0; i < RTE_DIM(lines); i++)
		kv_reply_simple(r->c, lines[i]);
}

/*
 * db_arg_or_reply -- a database number argument, with Redis's errors
 * (getIntFromObjectOrReply, then selectDb). Returns false if replied.
 */
static bool
db_arg_or_reply(struct kv_req *r, const struct kv_arg *a, unsigned *db)
{
	long long id;

	if (!kv_str2ll(a->ptr, a->len, &id)) {
		kv_reply_error(r->c, KV_ERR_NOT_INT);
		return false;
	}
	if (id < INT_MIN || id > INT_MAX) {
		kv_reply_error(r->c, "ERR value is out of range, value must "
			       "between %d and %d", INT_MIN, INT_MAX);
		return false;
	}
	if (id < 0 || id >= (long long)r->s->n_db) {
		kv_reply_error(r->c, KV_ERR_DB_INDEX);
		return false;
	}
	*db = (unsigned)id;
	return true;
}

void
cmd_copy(struct kv_req *r)
{
	struct kv_shard *s = r->s;
	unsigned src = r->c->db, dst = src;
	bool replace = false;

	for (int j = 3; j < r->argc; j++) {
		if (kv_arg_is(&r->argv[j], "replace")) {
			replace = true;
		} else if (kv_arg_is(&r->argv[j], "db") && j + 1 < r->argc) {
			if (!db_arg_or_reply(r, &r->argv[j + 1], &dst))
				return;
			j++;
		} else {
			kv_reply_error(r->c, KV_ERR_SYNTAX);
			return;
		}
	}
	const struct kv_arg *key = &r->argv[1], *newkey = &r->argv[2];
	if (src == dst && key->len == newkey->len &&
	    memcmp(key->ptr, newkey->ptr, key->len) == 0) {
		kv_reply_error(r->c, "ERR source and destination objects are "
			       "the same");
		return;
	}
	struct kv_entry *e = kv_lookup(s, src, key->ptr, key->len, true);
	if (e == NULL) {
		kv_reply_int(r->c, 0);
		return;
	}
	struct kv_entry *old = kv_lookup(s, dst, newkey->ptr, newkey->len,
					 false);
	if (old != NULL && !replace) {
		kv_reply_int(r->c, 0);
		return;
	}
	if (old != NULL)
		kv_delete(s, dst, old);
	struct kv_entry *n = kv_create(s, dst, newkey->ptr, newkey->len);
	if (n == NULL || kv_value_dup(s, n, e) != 0) {
		if (n != NULL)
			kv_delete(s, dst, n);
		kv_reply_error(r->c, "OOM out of memory");
		if (old != NULL) {
			/* The old value is gone: log its deletion. */
			struct kv_arg del[2] = { { "DEL", 3 }, *newkey };
			kv_propagate(s, dst, 2, del);
		}
		return;
	}
	if (e->expire_ms != 0)
		kv_set_expire(s, dst, n, e->expire_ms);
	kv_touch_key(s, dst, newkey->ptr, newkey->len);
	kv_reply_int(r->c, 1);
	kv_propagate(s, src, r->argc, r->argv);
}

void
cmd_move(struct kv_req *r)
{
	struct kv_shard *s = r->s;
	unsigned src = r->c->db, dst;
	const struct kv_arg *key = &r->argv[1];

	if (!db_arg_or_reply(r, &r->argv[2], &dst))
		return;
	if (src == dst) {
		kv_reply_error(r->c, "ERR source and destination objects are "
			       "the same");
		return;
	}
	struct kv_entry *e = kv_lookup(s, src, key->ptr, key->len, false);
	if (e == NULL ||
	    kv_lookup(s, dst, key->ptr, key->len, false) != NULL) {
		kv_reply_int(r->c, 0);
		return;
	}
	struct kv_entry *n = kv_create(s, dst, key->ptr, key->len);
	if (n == NULL) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	/* Move the value without copying it, as RENAME does. */
	n->type = e->type;
	n->encoding = e->encoding;
	n->eflags = e->eflags;
	n->atime = e->atime;
	n->v = e->v;
	e->type = KV_TYPE_STRING;
	e->encoding = KV_ENC_RAW;
	e->v.s.ptr = NULL;
	e->v.s.len = e->v.s.cap = 0;
	if (e->expire_ms != 0)
		kv_set_expire(s, dst, n, e->expire_ms);
	kv_delete(s, src, e);
	kv_touch_key(s, dst, key->ptr, key->len);
	kv_reply_int(r->c, 1);
	kv_propagate(s, src, r->argc, r->argv);
}

/* expiretime_generic -- EXPIRETIME and PEXPIRETIME. */
static void
expiretime_generic(struct kv_req *r, bool ms)
{
	struct kv_entry *e = lookup_read_notouch(r, &r->argv[1]);

	if (e == NULL)
		kv_reply_int(r->c, -2);
	else if (e->expire_ms == 0)
		kv_reply_int(r->c, -1);
	else
		kv_reply_int(r->c, ms ? (long long)e->expire_ms :
				(long long)((e->expire_ms + 500) / 1000));
}

void
cmd_expiretime(struct kv_req *r)
{
	expiretime_generic(r, false);
}

void
cmd_pexpiretime(struct kv_req *r)
{
	expiretime_generic(r, true);
}
