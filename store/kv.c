/*
 * kv.c -- the keyspace of a shard: databases on rte_hash, expiry.
 *
 * rte_hash keys are fixed-size while Redis keys are binary strings of any
 * length: each database's table is keyed by a 16-byte digest of the key
 * and maps it to an entry that holds the full key, compared on every
 * lookup; the rare keys that share a digest are chained from that entry.
 * A table that fills up is replaced by one twice its size (all entries
 * moved at once; the digest is kept, so no key is hashed again).
 *
 * Only the owner lcore touches a shard, so the tables are created without
 * any multi-writer or concurrency flag.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>

#include "kv_private.h"
#include "pm.h"

#define KV_INITIAL_CAP 4096
#define KV_ACTIVE_SAMPLE 20

/* digest64 -- a 64-bit hash of bytes with a seed (mixing as murmur3). */
static uint64_t
digest64(const char *p, size_t len, uint64_t seed)
{
	const uint64_t m = 0xc6a4a7935bd1e995ULL;
	uint64_t h = seed ^ (len * m);

	while (len >= 8) {
		uint64_t k;
		memcpy(&k, p, 8);
		k *= m;
		k ^= k >> 47;
		k *= m;
		h ^= k;
		h *= m;
		p += 8;
		len -= 8;
	}
	if (len > 0) {
		uint64_t k = 0;
		memcpy(&k, p, len);
		h ^= k;
		h *= m;
	}
	h ^= h >> 47;
	h *= m;
	h ^= h >> 47;
	return h;
}

/*
 * kv_digest_fn -- the key digest; a pointer so that tests can force
 * collisions with a weak one.
 */
void (*kv_digest_fn)(const char *key, size_t len, uint8_t out[16]);

static void
kv_digest_default(const char *key, size_t len, uint8_t out[16])
{
	uint64_t a = digest64(key, len, 0x9e3779b97f4a7c15ULL);
	uint64_t b = digest64(key, len, 0x2545f4914f6cdd1dULL);
	memcpy(out, &a, 8);
	memcpy(out + 8, &b, 8);
}

/* digest_hash -- rte_hash's hash function: the digest is a hash. */
static uint32_t
digest_hash(const void *key, uint32_t len, uint32_t init)
{
	uint32_t h;
	(void)len;
	memcpy(&h, key, sizeof(h));
	return h ^ init;
}

uint64_t
kv_now_refresh(struct kv_shard *s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	s->now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	return s->now_ms;
}

uint64_t
kv_rand(struct kv_shard *s)
{
	uint64_t x = s->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return s->rng = x;
}

/* table_create -- an empty rte_hash for cap digests. */
static struct rte_hash *
table_create(struct kv_shard *s, uint32_t cap)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.name = name,
		.entries = cap,
		.key_len = KV_DIGEST_LEN,
		.hash_func = digest_hash,
		.hash_func_init_val = 0,
		.socket_id = s->socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	snprintf(name, sizeof(name), "kv%u_%lu", s->core,
		 (unsigned long)s->hash_seq++);
	return rte_hash_create(&p);
}

/* db_grow -- move every digest of db into a table twice as large. */
static int
db_grow(struct kv_shard *s, struct kv_db *d)
{
	uint32_t cap = d->cap * 2;
	struct rte_hash *h = table_create(s, cap);
	const void *key;
	void *data;
	uint32_t pos = 0;

	if (h == NULL)
		return -ENOMEM;
	while (rte_hash_iterate(d->h, &key, &data, &pos) >= 0) {
		if (rte_hash_add_key_data(h, key, data) != 0) {
			rte_hash_free(h);
			return -ENOSPC;
		}
	}
	rte_hash_free(d->h);
	d->h = h;
	d->cap = cap;
	d->gen++;
	s->stats.rehashes++;
	return 0;
}

struct kv_shard *
kv_shard_create(const struct kv_shard_params *p)
{
	struct kv_shard *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (kv_digest_fn == NULL)
		kv_digest_fn = kv_digest_default;
	s->core = p->core;
	s->socket_id = p->socket_id;
	s->cfg = p->cfg;
	s->log = p->log;
	s->hooks = p->hooks;
	s->n_db = p->cfg->databases;
	s->rng = 0x853c49e6748fea9bULL ^ ((uint64_t)p->core << 32) ^
		 (uint64_t)time(NULL);
	s->start_ms = kv_now_refresh(s);
	s->n_shards = p->n_shards != 0 ? p->n_shards : 1;
	s->lastsave = s->start_ms / 1000;   /* Redis: saved at start */
	s->snap.last_try_ms = s->start_ms;  /* the save schedule's origin */
	if (kv_stats_init(s) != 0) {
		errno = ENOMEM;
		kv_shard_free(s);
		return NULL;
	}
	for (unsigned i = 0; i < s->n_db; i++) {
		s->db[i].cap = KV_INITIAL_CAP;
		s->db[i].h = table_create(s, KV_INITIAL_CAP);
		if (s->db[i].h == NULL) {
			errno = rte_errno ? rte_errno : ENOMEM;
			kv_shard_free(s);
			return NULL;
		}
	}
	return s;
}

void
kv_shard_free(struct kv_shard *s)
{
	if (s == NULL)
		return;
	kv_snapshot_fini(s);
	for (unsigned i = 0; i < s->n_db; i++) {
		if (s->db[i].h == NULL)
			continue;
		kv_flush_db(s, i);
		rte_hash_free(s->db[i].h);
		free(s->db[i].vol);
	}
	kv_watch_free(s);
	free(s->txn_buf);
	kv_recover_free(s);
	kv_slowlog_free(s);
	kv_stats_fini(s);
	for (unsigned i = 0; i < s->n_monitors; i++)
		s->monitors[i]->monitor = NULL;
	free(s->monitors);
	free(s);
}

/* entry_size -- bytes accounted for an entry itself. */
static size_t
entry_size(size_t klen)
{
	return sizeof(struct kv_entry) + klen;
}

/* find -- the entry for key in db, expired or not; *head gets the chain. */
static struct kv_entry *
find(struct kv_db *d, const char *key, size_t klen,
     uint8_t digest[KV_DIGEST_LEN], struct kv_entry **head)
{
	void *data = NULL;

	kv_digest_fn(key, klen, digest);
	*head = NULL;
	if (rte_hash_lookup_data(d->h, digest, &data) < 0)
		return NULL;
	*head = data;
	for (struct kv_entry *e = data; e != NULL; e = e->next)
		if (e->klen == klen && memcmp(e->key, key, klen) == 0)
			return e;
	return NULL;
}

/* vol_add -- index a key that now has a TTL. */
static void
vol_add(struct kv_db *d, struct kv_entry *e)
{
	if (d->n_vol == d->cap_vol) {
		uint32_t cap = d->cap_vol ? d->cap_vol * 2 : 64;
		struct kv_entry **v = realloc(d->vol, cap * sizeof(*v));
		if (v == NULL)
			return;   /* found lazily instead of actively */
		d->vol = v;
		d->cap_vol = cap;
	}
	e->vol_idx = d->n_vol;
	d->vol[d->n_vol++] = e;
}

/* vol_del -- unindex a key: the last one takes its place. */
static void
vol_del(struct kv_db *d, struct kv_entry *e)
{
	if (e->vol_idx == KV_NO_VOLATILE)
		return;
	struct kv_entry *last = d->vol[--d->n_vol];
	d->vol[e->vol_idx] = last;
	last->vol_idx = e->vol_idx;
	e->vol_idx = KV_NO_VOLATILE;
}

void
kv_set_expire(struct kv_shard *s, unsigned db, struct kv_entry *e,
	      uint64_t when_ms)
{
	struct kv_db *d = &s->db[db];

	kv_snap_guard(s, db, e);
	if (when_ms == 0) {
		vol_del(d, e);
	} else if (e->vol_idx == KV_NO_VOLATILE) {
		vol_add(d, e);
	}
	e->expire_ms = when_ms;
}

/* unlink_entry -- take e out of its digest chain and the table. */
static void
unlink_entry(struct kv_shard *s, struct kv_db *d, struct kv_entry *e)
{
	uint8_t digest[KV_DIGEST_LEN];
	struct kv_entry *head;

	find(d, e->key, e->klen, digest, &head);
	if (head == e) {
		if (e->next != NULL)
			rte_hash_add_key_data(d->h, digest, e->next);
		else
			rte_hash_del_key(d->h, digest);
	} else {
		for (struct kv_entry *p = head; p != NULL; p = p->next) {
			if (p->next == e) {
				p->next = e->next;
				break;
			}
		}
	}
	vol_del(d, e);
	d->keys--;
	(void)s;
}

void
kv_delete(struct kv_shard *s, unsigned db, struct kv_entry *e)
{
	kv_snap_guard(s, db, e);
	unlink_entry(s, &s->db[db], e);
	kv_value_free(s, e);
	s->used_memory -= entry_size(e->klen);
	free(e);
}

/* expire_now -- delete an expired key and log the deletion (Redis DEL). */
static void
expire_now(struct kv_shard *s, unsigned db, struct kv_entry *e)
{
	struct kv_arg argv[2] = { { "DEL", 3 }, { e->key, e->klen } };

	kv_propagate(s, db, 2, argv);
	kv_delete(s, db, e);
	s->stats.expired_keys++;
}

struct kv_entry *
kv_peek(struct kv_shard *s, unsigned db, const char *key, size_t klen)
{
	uint8_t digest[KV_DIGEST_LEN];
	struct kv_entry *head;
	struct kv_entry *e = find(&s->db[db], key, klen, digest, &head);

	/* Whoever looks a key up may change it next. */
	if (e != NULL)
		kv_snap_guard(s, db, e);
	return e;
}

struct kv_entry *
kv_lookup_notouch(struct kv_shard *s, unsigned db, const char *key,
		  size_t klen)
{
	struct kv_entry *e = kv_peek(s, db, key, klen);

	if (e != NULL && e->expire_ms != 0 && e->expire_ms <= s->now_ms &&
	    !s->replaying) {
		expire_now(s, db, e);
		e = NULL;
	}
	return e;
}

struct kv_entry *
kv_lookup(struct kv_shard *s, unsigned db, const char *key, size_t klen,
	  bool count_stats)
{
	struct kv_entry *e = kv_lookup_notouch(s, db, key, klen);

	if (e != NULL)
		e->atime = (uint32_t)(s->now_ms / 1000);
	if (count_stats) {
		if (e != NULL)
			s->stats.keyspace_hits++;
		else
			s->stats.keyspace_misses++;
	}
	return e;
}

struct kv_entry *
kv_create(struct kv_shard *s, unsigned db, const char *key, size_t klen)
{
	struct kv_db *d = &s->db[db];
	uint8_t digest[KV_DIGEST_LEN];
	struct kv_entry *head;
	struct kv_entry *e = malloc(entry_size(klen));

	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->vol_idx = KV_NO_VOLATILE;
	e->type = KV_TYPE_STRING;
	e->encoding = KV_ENC_RAW;
	e->klen = (uint32_t)klen;
	e->atime = (uint32_t)(s->now_ms / 1000);
	kv_snap_created(s, e);
	memcpy(e->key, key, klen);

	find(d, key, klen, digest, &head);
	if (head != NULL) {
		/* Same digest, other key: chain behind the head. */
		e->next = head->next;
		head->next = e;
	} else {
		if (d->keys + 1 > (uint64_t)d->cap * 7 / 8 &&
		    db_grow(s, d) != 0) {
			free(e);
			return NULL;
		}
		int rc = rte_hash_add_key_data(d->h, digest, e);
		if (rc == -ENOSPC && db_grow(s, d) == 0)
			rc = rte_hash_add_key_data(d->h, digest, e);
		if (rc != 0) {
			free(e);
			return NULL;
		}
	}
	d->keys++;
	s->used_memory += entry_size(klen);
	return e;
}

void
kv_flush_db(struct kv_shard *s, unsigned db)
{
	struct kv_db *d = &s->db[db];
	const void *key;
	void *data;
	uint32_t pos = 0;

	kv_snap_flush_db(s, db);
	kv_touch_db(s, db);
	while (rte_hash_iterate(d->h, &key, &data, &pos) >= 0) {
		for (struct kv_entry *e = data, *n; e != NULL; e = n) {
			n = e->next;
			kv_value_free(s, e);
			s->used_memory -= entry_size(e->klen);
			free(e);
		}
	}
	rte_hash_reset(d->h);
	d->keys = 0;
	d->n_vol = 0;
}

uint64_t
kv_expires(const struct kv_shard *s, unsigned db)
{
	return s->db[db].n_vol;
}

bool
kv_iterate(struct kv_shard *s, unsigned db, uint32_t *pos,
	   bool (*fn)(struct kv_entry *e, void *ctx), void *ctx,
	   unsigned max_slots)
{
	struct kv_db *d = &s->db[db];
	const void *key;
	void *data;

	for (unsigned n = 0; n < max_slots; n++) {
		if (rte_hash_iterate(d->h, &key, &data, pos) < 0)
			return false;
		for (struct kv_entry *e = data, *next; e != NULL; e = next) {
			next = e->next;
			if (e->expire_ms != 0 && e->expire_ms <= s->now_ms)
				continue;
			if (!fn(e, ctx))
				return true;
		}
	}
	return true;
}

/* pick_first -- kv_iterate callback: remember the first live key. */
static bool
pick_first(struct kv_entry *e, void *ctx)
{
	*(struct kv_entry **)ctx = e;
	return false;
}

struct kv_entry *
kv_random_entry(struct kv_shard *s, unsigned db)
{
	struct kv_db *d = &s->db[db];
	struct kv_entry *found = NULL;

	if (d->keys == 0)
		return NULL;
	/* A random slot, then the next live key (wrapping once). */
	uint32_t pos = (uint32_t)(kv_rand(s) % rte_align32pow2(d->cap));
	if (!kv_iterate(s, db, &pos, pick_first, &found, UINT32_MAX) ||
	    found == NULL) {
		pos = 0;
		kv_iterate(s, db, &pos, pick_first, &found, UINT32_MAX);
	}
	return found;
}

unsigned
kv_cron(struct kv_shard *s)
{
	unsigned reclaimed = 0;
	unsigned effort = s->cfg->active_expire_effort;
	unsigned budget = KV_ACTIVE_SAMPLE * (1 + effort) * 4;

	kv_now_refresh(s);
	kv_ops_sample(s);
	kv_watch_reap(s);
	kv_snapshot_cron(s);
	if (s->log != NULL && s->now_ms - s->drains_last_ms >= 1000) {
		uint64_t d = pm_log_drains(s->log);
		s->drains_per_sec = (d - s->drains_last) * 1000 /
				    (s->now_ms - s->drains_last_ms);
		s->drains_last = d;
		s->drains_last_ms = s->now_ms;
	}
	/*
	 * Redis's active cycle, bounded: sample keys with a TTL in one
	 * database, delete the expired ones, go on while more than a quarter
	 * of a sample was expired and the budget lasts.
	 */
	for (unsigned tries = 0; tries < s->n_db && budget > 0; tries++) {
		unsigned db = s->expire_db;
		struct kv_db *d = &s->db[db];
		s->expire_db = (s->expire_db + 1) % s->n_db;
		if (d->n_vol == 0)
			continue;
		for (;;) {
			unsigned sample = RTE_MIN(d->n_vol,
						  (uint32_t)KV_ACTIVE_SAMPLE);
			unsigned expired = 0;
			for (unsigned i = 0; i < sample && d->n_vol > 0; i++) {
				struct kv_entry *e =
					d->vol[kv_rand(s) % d->n_vol];
				if (e->expire_ms <= s->now_ms) {
					expire_now(s, db, e);
					expired++;
				}
			}
			reclaimed += expired;
			budget = budget > sample ? budget - sample : 0;
			if (budget == 0 || d->n_vol == 0 ||
			    expired * 4 <= sample)
				break;
		}
		break;
	}
	return reclaimed;
}

uint64_t
kv_dbsize(const struct kv_shard *s, unsigned db)
{
	return db < s->n_db ? s->db[db].keys : 0;
}

uint64_t
kv_used_memory(const struct kv_shard *s)
{
	return s->used_memory;
}
