/*
 * kv_private.h -- what the store's files share: entries, databases, the shard,
 * and the keyspace API that command handlers use. Not for other layers.
 */
#ifndef RP_KV_PRIVATE_H
#define RP_KV_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_branch_prediction.h>
#include <rte_log.h>

#include "cfg.h"
#include "cmd.h"
#include "kv.h"

/* The store's rte_log type, "redpoll.store" (registered in persist.c). */
extern int kv_logtype;

struct rte_hash;
struct pm_log;
struct kv_dict;
struct kv_intset;
struct zsl;

#define KV_DIGEST_LEN 16
#define KV_NO_VOLATILE UINT32_MAX

/* Value types, as TYPE names them. */
enum kv_type {
	KV_TYPE_STRING = 0,
	KV_TYPE_LIST,
	KV_TYPE_HASH,
	KV_TYPE_SET,
	KV_TYPE_ZSET,
};

/* One element of a list, as kv_list_set takes them. */
struct kv_lelem {
	char *ptr;
	size_t len;
};

/*
 * One node of a list (t_list.c): n entries packed back to back in buf,
 * each [header][bytes][back length]. The header holds a small integer
 * itself, or the kind and size of what follows (a string's bytes, an
 * integer of 2, 3, 4 or 8 bytes); the back length (the header's and
 * bytes' size, 7 bits a byte) lets a walk step backwards.
 */
struct kv_qlnode {
	struct kv_qlnode *prev, *next;
	uint32_t n;                /* entries */
	uint32_t len;              /* bytes of buf in use */
	uint32_t cap;              /* bytes of buf allocated */
	unsigned char buf[];
};

/* Encodings, as OBJECT ENCODING names them. */
enum kv_encoding {
	KV_ENC_RAW = 0,   /* bytes in a separate allocation */
	KV_ENC_INT,       /* a canonical integer in a long long */
	KV_ENC_QUICKLIST, /* a list as a chain of packed nodes */
	KV_ENC_LISTPACK,  /* a small hash or sorted set in one buffer */
	KV_ENC_HASHTABLE, /* a hash or a set as a kv_dict */
	KV_ENC_INTSET,    /* a set of integers as a sorted array */
	KV_ENC_SKIPLIST,  /* a sorted set as a zsl and a kv_dict */
};

/*
 * Entry flags. EMBSTR: a string set whole by the SET family, which Redis
 * keeps in one allocation with its header while it is 44 bytes or less
 * (OBJECT ENCODING "embstr"); any change in place clears it ("raw").
 */
#define KV_EFLAG_EMBSTR (1u << 0)
#define KV_EMBSTR_MAX   44

/*
 * One key. The rte_hash indexes a digest of the key; the entry keeps the
 * full key and chains the rare other keys with the same digest.
 */
struct kv_entry {
	struct kv_entry *next;     /* same digest */
	uint64_t expire_ms;        /* absolute unix ms, 0 = persistent */
	uint32_t vol_idx;          /* index in db->vol, KV_NO_VOLATILE */
	uint8_t type;              /* enum kv_type */
	uint8_t encoding;          /* enum kv_encoding */
	uint8_t eflags;            /* KV_EFLAG_* */
	uint8_t snap;              /* snapshot epoch it was written in */
	uint32_t klen;
	uint32_t atime;            /* last access, unix s (OBJECT IDLETIME) */
	union {
		long long ival;    /* KV_ENC_INT */
		struct {
			char *ptr;
			size_t len;
			size_t cap;
		} s;               /* KV_ENC_RAW */
		struct {
			struct kv_qlnode *head, *tail;
			uint32_t n, nodes;    /* elements, nodes */
		} q;               /* KV_TYPE_LIST */
		struct {
			char *buf;    /* [flen][field][vlen][value]... */
			uint32_t len, cap, n;   /* bytes, bytes, pairs */
		} lp;              /* KV_TYPE_HASH or ZSET, KV_ENC_LISTPACK */
		struct kv_dict *d; /* KV_TYPE_HASH or _SET, KV_ENC_HASHTABLE */
		struct kv_intset *is; /* KV_TYPE_SET, KV_ENC_INTSET */
		struct {
			struct kv_dict *d;   /* member -> score */
			struct zsl *zsl;     /* (score, member) order */
		} z;               /* KV_TYPE_ZSET, KV_ENC_SKIPLIST */
	} v;
	char key[];
};

struct kv_db {
	struct rte_hash *h;        /* digest -> first entry of the chain */
	uint32_t cap;              /* capacity of h */
	uint32_t gen;              /* bumped on every rehash (SCAN cursors) */
	uint64_t keys;
	struct kv_entry **vol;     /* keys with a TTL, for active expiry */
	uint32_t n_vol, cap_vol;
};

#define KV_OPS_SAMPLES 16

/*
 * INFO's instantaneous_ops_per_sec as Redis computes it: the mean of the
 * command rates measured over the last KV_OPS_SAMPLES periods of 100 ms.
 */
struct kv_ops_meter {
	uint64_t last_ms;
	uint64_t last_commands;
	uint64_t samples[KV_OPS_SAMPLES];
	unsigned idx;
};

/* Counters of INFO stats; CONFIG RESETSTAT zeroes them all. */
struct kv_stats {
	uint64_t commands;
	uint64_t keyspace_hits;
	uint64_t keyspace_misses;
	uint64_t expired_keys;
	uint64_t evicted_keys;
	uint64_t rejected_calls;
	uint64_t log_records;
	uint64_t log_full_errors;
	uint64_t rehashes;
	struct kv_ops_meter ops;
};

/* Statistics of what commands cost (latency.c, slowlog.c). */
#define KV_HIST_SUB_BITS 5                  /* 32 buckets per power of 2 */
#define KV_HIST_SUB      (1u << KV_HIST_SUB_BITS)
#define KV_HIST_MAX_BITS 40                 /* up to 2^40 ns */
#define KV_HIST_BUCKETS  ((KV_HIST_MAX_BITS - KV_HIST_SUB_BITS + 1) * \
			  KV_HIST_SUB)

/* A latency histogram in ns with 1/32 relative resolution. */
struct kv_hist {
	uint64_t total;
	uint64_t max;
	uint64_t counts[KV_HIST_BUCKETS];
};

/* INFO commandstats of one command (index: kv_cmd.id). */
struct kv_cmdstat {
	uint64_t calls, ns, rejected, failed;
	struct kv_hist *hist;      /* NULL until its first timed call */
};

#define KV_ERRSTATS_MAX 128        /* distinct error prefixes, as Redis */

struct kv_errstat {
	char name[32];             /* "ERR", "WRONGTYPE", ... */
	uint64_t count;
};

/* Latency monitor events (LATENCY LATEST names). */
enum { KV_LAT_COMMAND, KV_LAT_FAST_COMMAND, KV_LAT__MAX };
#define KV_LATENCY_SAMPLES 160

struct kv_latency_event {
	struct {
		uint32_t time;     /* unix seconds */
		uint64_t latency;  /* ms */
	} samples[KV_LATENCY_SAMPLES];
	unsigned idx, n;           /* next slot, samples held */
	uint64_t max;
};

struct kv_slowlog_arg {
	char *ptr;
	size_t len;
};

struct kv_slowlog_entry {
	uint64_t id;
	long long time;            /* unix seconds */
	long long duration_us;
	int argc;
	struct kv_slowlog_arg *argv;
	char client_addr[48];
	char *client_name;
};

#include "rdb.h"

/*
 * A point-in-time snapshot of the shard, written while it serves
 * (snapshot.c). An entry whose snap field differs from epoch belongs to
 * the snapshot and is not written yet; entries created after the cut get
 * the current epoch and are left out.
 */
struct kv_snap {
	bool running;
	bool start_pending;        /* BGSAVE inside EXEC: start at its end */
	uint8_t epoch;
	uint64_t seq;              /* cut: the last log record it covers */
	uint64_t target;           /* entries alive at the cut */
	uint64_t written;          /* of them, written (or left: expired) */
	uint64_t keys;             /* keys in the file */
	uint64_t pass_written;     /* written during the current pass */
	unsigned db;               /* the step's cursor: database, */
	uint32_t pos, gen;         /* rte_hash position and table gen */
	int sel_db;                /* database of the last SELECTDB */
	int err;                   /* first write error (aborts) */
	struct kv_rdb_writer w;
	char *map;                 /* the file being written, mapped */
	size_t map_len, off;
	bool is_pmem;
	uint64_t start_ms, start_ns;

	/* results, for INFO persistence and the schedule */
	uint64_t dirty;            /* effects since the last snapshot */
	uint64_t dirty_at_start;
	uint64_t last_try_ms;      /* start of the last attempt */
	bool last_ok;
	uint64_t last_ms;          /* duration of the last complete one */
	uint64_t last_bytes, last_keys;
	uint64_t n_ok, n_failed;
};

struct kv_shard {
	unsigned core;
	int socket_id;
	struct rp_config *cfg;
	struct pm_log *log;
	struct kv_hooks hooks;
	unsigned n_db;
	struct kv_db db[CFG_MAX_DATABASES];
	uint64_t now_ms;           /* cached clock, refreshed per command */
	uint64_t start_ms;         /* for uptime */
	uint64_t used_memory;      /* bytes of entries and values */
	uint64_t rng;              /* xorshift state */
	uint64_t hash_seq;         /* unique rte_hash names */
	unsigned expire_db;        /* active expiry cursor */
	bool replaying;            /* kv_recover: do not log effects */
	bool nolog;                /* kv_set_logging(false): effects not logged */
	bool restore_exact;        /* kv_set_restore_exact */
	struct kv_client **monitors;       /* MONITOR clients (server.c) */
	unsigned n_monitors, cap_monitors;
	unsigned n_shards;         /* shards of the keyspace (SAVE needs 1) */
	uint64_t lastsave;         /* LASTSAVE: unix s of the last snapshot */
	struct kv_snap snap;
	uint64_t drains_per_sec;   /* pmem log drains in the last second */
	uint64_t drains_last, drains_last_ms;

	/* WATCH (multi.c): per database, key -> struct kv_watched */
	struct kv_dict *watched[CFG_MAX_DATABASES];
	uint64_t n_watched;        /* keys in the watched dicts */
	uint32_t watch_garbage;    /* watched keys released (atomic) */
	/* effects of an EXEC, logged as one record at its end (persist.c) */
	unsigned txn_depth;
	unsigned txn_records;
	char *txn_buf;
	size_t txn_len, txn_cap;
	bool txn_oom;
	const struct kv_txtag *txn_tag;    /* kv_tx_begin: the record's tag */
	bool txn_tagged;
	/* cross-shard transactions (persist.c): the highest counter of a
	 * part applied here per origin, the last counter given as origin,
	 * parts applied and still locked, recovery's scan of the log */
	uint64_t tx_hwm[KV_TX_MAX_SHARDS];
	uint64_t tx_last;
	unsigned tx_held;
	struct kv_recovery *rec;
	struct kv_stats stats;

	/* what commands cost (latency.c, slowlog.c) */
	uint64_t tsc_hz;
	struct kv_cmdstat *cmdstats;       /* KV_CMD_COUNT entries */
	struct kv_errstat errstats[KV_ERRSTATS_MAX];
	unsigned n_errstats;
	uint64_t error_replies;            /* total_error_replies */
	struct kv_latency_event latency_events[KV_LAT__MAX];
	struct kv_slowlog_entry *slowlog;  /* ring, oldest at head - n */
	unsigned long slowlog_cap, slowlog_head, slowlog_n;
	uint64_t slowlog_next_id;
};

/* kv_now_refresh -- refresh the cached clock; returns unix ms. */
uint64_t kv_now_refresh(struct kv_shard *s);

/* kv_rand -- the shard's xorshift64. */
uint64_t kv_rand(struct kv_shard *s);

/*
 * kv_lookup -- find a live key in db; an expired key is deleted (and its
 * deletion logged) and not returned. Counts hits/misses if count_stats.
 */
struct kv_entry *kv_lookup(struct kv_shard *s, unsigned db, const char *key,
			   size_t klen, bool count_stats);

/*
 * kv_create -- add a new key (the caller made sure it does not exist) with
 * an empty raw string value. Returns NULL when out of memory.
 */
struct kv_entry *kv_create(struct kv_shard *s, unsigned db, const char *key,
			   size_t klen);

/*
 * kv_lookup_notouch -- kv_lookup without updating the key's access time
 * (OBJECT, WATCH), and without counting hits or misses.
 */
struct kv_entry *kv_lookup_notouch(struct kv_shard *s, unsigned db,
				   const char *key, size_t klen);

/*
 * kv_peek -- the entry of a key, expired or not, without deleting or
 * touching anything.
 */
struct kv_entry *kv_peek(struct kv_shard *s, unsigned db, const char *key,
			 size_t klen);

/*
 * Snapshots (snapshot.c). kv_snap_guard runs before anything changes or
 * removes an entry: while a snapshot runs, an entry it has not written
 * yet is written first (copy before write).
 */
void kv_snap_write(struct kv_shard *s, unsigned db, struct kv_entry *e);
static inline void
kv_snap_guard(struct kv_shard *s, unsigned db, struct kv_entry *e)
{
	if (unlikely(s->snap.running) && e->snap != s->snap.epoch)
		kv_snap_write(s, db, e);
}
/*
 * kv_snap_txn_end -- a transaction's record was appended: a snapshot
 * asked for inside it starts now, so that its cut follows the whole
 * transaction (never a part of one that the log holds whole).
 */
void kv_snap_txn_end(struct kv_shard *s);
/*
 * The AUX field of a snapshot holding the highest counter of a
 * transaction part from origin <N> applied before its cut.
 */
#define KV_RDB_AUX_XTX "redpoll-xtx-"
/* kv_snap_flush_db -- db is about to be emptied: write what is left of it. */
void kv_snap_flush_db(struct kv_shard *s, unsigned db);
/* kv_snap_created -- a new entry: not part of a running snapshot. */
static inline void
kv_snap_created(struct kv_shard *s, struct kv_entry *e)
{
	e->snap = s->snap.epoch;
}

/* kv_delete -- remove a key and free it. */
void kv_delete(struct kv_shard *s, unsigned db, struct kv_entry *e);

/* kv_set_expire -- set (0: remove) the absolute expire time of a key. */
void kv_set_expire(struct kv_shard *s, unsigned db, struct kv_entry *e,
		   uint64_t when_ms);

/* kv_flush_db -- delete every key of a database. */
void kv_flush_db(struct kv_shard *s, unsigned db);

/* kv_expires -- keys with a TTL in a database. */
uint64_t kv_expires(const struct kv_shard *s, unsigned db);

/*
 * kv_iterate -- visit keys of db starting at *pos (0 = start); fn returns
 * false to stop early. Returns false once the whole table was visited.
 * Used by KEYS, SCAN and RANDOMKEY.
 */
bool kv_iterate(struct kv_shard *s, unsigned db, uint32_t *pos,
		bool (*fn)(struct kv_entry *e, void *ctx), void *ctx,
		unsigned max_slots);

/* kv_random_entry -- a random live key of db, or NULL if empty. */
struct kv_entry *kv_random_entry(struct kv_shard *s, unsigned db);

/* Values (object.c). */
int kv_str_set(struct kv_shard *s, struct kv_entry *e, const char *p,
	       size_t len);
void kv_str_set_int(struct kv_shard *s, struct kv_entry *e, long long v);
/* kv_str_set_bytes -- kv_str_set without the integer encoding. */
int kv_str_set_bytes(struct kv_shard *s, struct kv_entry *e, const char *p,
		     size_t len);
int kv_str_reserve(struct kv_shard *s, struct kv_entry *e, size_t len);
void kv_value_free(struct kv_shard *s, struct kv_entry *e);
/* kv_str_get -- the bytes of a string value (buf for int encoding). */
const char *kv_str_get(const struct kv_entry *e, char *buf, size_t *len);
const char *kv_type_name(const struct kv_entry *e);
/*
 * kv_encoding_name -- OBJECT ENCODING of a value, as Redis 7.0 names the
 * encoding it would use for the same value.
 */
const char *kv_encoding_name(const struct kv_entry *e);
/*
 * kv_value_dup -- replace dst's value with a deep copy of src's (COPY);
 * one case per type. 0, or -1 when out of memory (dst left empty).
 */
int kv_value_dup(struct kv_shard *s, struct kv_entry *dst,
		 const struct kv_entry *src);
/*
 * kv_list_set -- make e a list of copies of the n (> 0) elements items
 * (t_list.c), packed into nodes; the caller keeps items. 0, or -1 when
 * out of memory (e unchanged).
 */
int kv_list_set(struct kv_shard *s, struct kv_entry *e, struct kv_lelem *items,
		uint32_t n);
/* kv_hash_free -- free the value of a hash (t_hash.c). */
void kv_hash_free(struct kv_shard *s, struct kv_entry *e);
/*
 * kv_hash_get -- the value of a field of a hash (t_hash.c): *val points
 * into the hash until it changes. 0, or -1 if the field is missing.
 */
int kv_hash_get(const struct kv_entry *e, const char *field, size_t flen,
		const char **val, size_t *vlen);
/* kv_set_free -- free the value of a set (t_set.c). */
void kv_set_free(struct kv_shard *s, struct kv_entry *e);
/* kv_zset_free -- free the value of a sorted set (t_zset.c). */
void kv_zset_free(struct kv_shard *s, struct kv_entry *e);
/*
 * kv_set_dup / kv_zset_dup -- make dst (an empty value) a copy of a set
 * or sorted set, in the same encoding. 0, or -1 when out of memory.
 */
int kv_set_dup(struct kv_shard *s, struct kv_entry *dst,
	       struct kv_entry *src);
int kv_zset_dup(struct kv_shard *s, struct kv_entry *dst,
		const struct kv_entry *src);
/*
 * kv_zset_to_skiplist -- convert a sorted set to its skiplist encoding
 * (Redis's SORT does, for good). 0, or -1 when out of memory.
 */
int kv_zset_to_skiplist(struct kv_shard *s, struct kv_entry *e);

/* kv_hash_to_dict, kv_set_to_dict -- a hash or set in its dict encoding
 * (from a listpack or an intset). 0, or -1 without memory. */
int kv_hash_to_dict(struct kv_shard *s, struct kv_entry *e);
int kv_set_to_dict(struct kv_shard *s, struct kv_entry *e);

/*
 * Building and reading values from outside their type's file (rdb.c).
 * The entry may be detached (in no database). kv_list_init and
 * kv_hash_init make e an empty list or hash; kv_list_append adds an
 * element at the tail (0 or -1 out of memory); kv_hash_set sets a field
 * (1 added, 0 updated, -1 out of memory) and converts the encoding as
 * HSET does; kv_hash_foreach visits the pairs (listpack: in order).
 */
void kv_list_init(struct kv_entry *e);
int kv_list_append(struct kv_shard *s, struct kv_entry *e, const char *p,
		   size_t len);
/*
 * Lists from outside t_list.c: kv_list_free frees the nodes;
 * kv_list_dup makes dst (an empty value) a copy of src, node for node
 * (0, or -1 out of memory: dst is then a valid partial list to free);
 * kv_list_len counts the elements; kv_list_foreach visits n elements
 * from index start (counted from the tail, walking towards the head,
 * if rev), each as bytes valid during the call.
 */
typedef void (*kv_list_elem_fn)(void *ctx, const char *p, size_t len);
void kv_list_free(struct kv_shard *s, struct kv_entry *e);
int kv_list_dup(struct kv_shard *s, struct kv_entry *dst,
		const struct kv_entry *src);
uint32_t kv_list_len(const struct kv_entry *e);
void kv_list_foreach(const struct kv_entry *e, uint32_t start, uint32_t n,
		     bool rev, kv_list_elem_fn fn, void *ctx);
/*
 * kv_list_verify -- for tests: 0 when the nodes are linked both ways,
 * none is empty, each one's entries decode to its exact length forwards
 * and backwards, and the counts add up; else -1.
 */
int kv_list_verify(const struct kv_entry *e);
void kv_hash_init(struct kv_entry *e);
int kv_hash_set(struct kv_shard *s, struct kv_entry *e, const char *f,
		size_t flen, const char *v, size_t vlen);
uint64_t kv_hash_len(const struct kv_entry *e);
typedef void (*kv_hash_pair_fn)(void *ctx, const char *f, size_t flen,
				const char *v, size_t vlen);
void kv_hash_foreach(const struct kv_entry *e, kv_hash_pair_fn fn,
		     void *ctx);
/*
 * Sets and sorted sets, likewise: kv_set_init makes e an empty intset
 * (0 or -1 out of memory); kv_set_add adds a member (1 added, 0 already
 * there, -1 out of memory), converting as SADD does; kv_set_foreach
 * visits the members (intset: ascending). kv_zset_init makes e an empty
 * sorted set; kv_zset_add adds an absent member (1 added, 0 already
 * there, -1 out of memory) with its score as given, as a load keeps a
 * listpack's "-0" text (a command's ZADD writes -0 there as 0);
 * kv_zset_lp_canon then turns the -0 scores of a set read from binary
 * scores (RDB ZSET_2) that ended a listpack into 0, as Redis's
 * conversion of the loaded skiplist writes them; kv_zset_foreach visits
 * (member, score) by ascending rank, or descending if rev;
 * kv_zset_fmt_lp_score writes a score as a listpack holds it (Redis's
 * d2string: integral values as integers, "-0" kept) into buf, returning
 * its length.
 */
int kv_set_init(struct kv_shard *s, struct kv_entry *e);
int kv_set_add(struct kv_shard *s, struct kv_entry *e, const char *p,
	       size_t len);
uint64_t kv_set_len(const struct kv_entry *e);
typedef void (*kv_member_fn)(void *ctx, const char *p, size_t len);
void kv_set_foreach(struct kv_entry *e, kv_member_fn fn, void *ctx);
void kv_zset_init(struct kv_entry *e);
int kv_zset_add(struct kv_shard *s, struct kv_entry *e, const char *m,
		size_t len, double score);
void kv_zset_lp_canon(struct kv_entry *e);
int kv_zset_fmt_lp_score(char *buf, size_t size, double d);
uint64_t kv_zset_len(const struct kv_entry *e);
typedef void (*kv_scored_fn)(void *ctx, const char *m, size_t len,
			     double score);
void kv_zset_foreach(const struct kv_entry *e, bool rev, kv_scored_fn fn,
		     void *ctx);
/*
 * For the Geo commands (geo.c), which keep points in sorted sets:
 * kv_zset_score gives a member's score (false if absent);
 * kv_zset_score_range visits, by ascending score, the members with
 * min <= score < max until fn returns false; kv_zset_new makes a
 * detached empty sorted set (filled with kv_zset_add) and kv_zset_store
 * puts it at argv[di] as ZRANGESTORE does (replies its length, deletes
 * the key if it is empty, logs the command; takes v).
 */
struct kv_req;
typedef bool (*kv_scored_stop_fn)(void *ctx, const char *m, size_t len,
				  double score);
bool kv_zset_score(const struct kv_entry *e, const char *m, size_t len,
		   double *score);
void kv_zset_score_range(const struct kv_entry *e, double min, double max,
			 kv_scored_stop_fn fn, void *ctx);
struct kv_entry *kv_zset_new(void);
void kv_zset_store(struct kv_req *r, int di, struct kv_entry *v);

/* Helpers (util.c). */
bool kv_stringmatch(const char *pat, size_t plen, const char *str,
		    size_t slen, bool nocase);
int kv_ll2str(char *buf, size_t len, long long v);
bool kv_str2ld(const char *s, size_t len, long double *out);
int kv_ld2str(char *buf, size_t len, long double v);

/* Transactions and WATCH (multi.c). */
/*
 * kv_touch_key -- a key of db was modified: EXEC of the clients that
 * WATCH it will fail (Redis's signalModifiedKey).
 */
void kv_touch_key(struct kv_shard *s, unsigned db, const char *key,
		  size_t klen);
/*
 * kv_touch_effect -- kv_touch_key for the keys an effect (as logged by
 * kv_propagate) modifies. Called by kv_propagate.
 */
void kv_touch_effect(struct kv_shard *s, unsigned db, int argc,
		     const struct kv_arg *argv);
/* kv_touch_db -- db is being emptied: touch its watched keys that exist. */
void kv_touch_db(struct kv_shard *s, unsigned db);
/* kv_watch_reap -- forget the watched keys nobody watches any more. */
void kv_watch_reap(struct kv_shard *s);
/* kv_watch_free -- free the watched-keys index (shard teardown). */
void kv_watch_free(struct kv_shard *s);
/*
 * kv_multi_queue -- inside MULTI: queue a copy of the request; false
 * when out of memory.
 */
bool kv_multi_queue(struct kv_client *c, const struct kv_cmd *cmd,
		    int argc, const struct kv_arg *argv);
/* kv_multi_flags -- the KV_CMD_* flags of the queued commands, or'ed. */
uint32_t kv_multi_flags(const struct kv_client *c);
/* kv_multi_bytes -- about the log bytes the queued writes need. */
size_t kv_multi_bytes(const struct kv_client *c);
/* kv_multi_discard -- end a transaction: free the queue, UNWATCH. */
void kv_multi_discard(struct kv_shard *s, struct kv_client *c);
/*
 * kv_multi_info -- for CLIENT LIST: the commands queued (-1 outside
 * MULTI) and whether a watched key was modified (flag 'd').
 */
void kv_multi_info(const struct kv_client *c, int *queued, bool *dirty_cas);
/* kv_multi_client_fini -- release a client's queue and watched keys. */
void kv_multi_client_fini(struct kv_client *c);
/*
 * kv_exec_queued -- run one queued command inside EXEC (cmd.c): the
 * handler, timed and counted, without the checks made when queueing.
 */
void kv_exec_queued(struct kv_shard *s, struct kv_client *c,
		    const struct kv_cmd *cmd, int argc,
		    const struct kv_arg *argv);

/*
 * kv_monitor_feed -- MONITOR: the line of a command that ran, to every
 * monitoring client of the shard (server.c).
 */
void kv_monitor_feed(struct kv_shard *s, const struct kv_client *c,
		     int argc, const struct kv_arg *argv);
/* kv_monitor_remove -- a monitoring client goes away. */
void kv_monitor_remove(struct kv_client *c);

/* SCAN-family arguments (util.c). */
/*
 * kv_scan_cursor_or_reply -- HSCAN/SSCAN/ZSCAN's cursor as Redis's
 * parseScanCursorOrReply reads it (strtoul over the whole argument, no
 * leading space; a minus sign wraps). False after "ERR invalid cursor".
 */
bool kv_scan_cursor_or_reply(struct kv_req *r, const struct kv_arg *a,
			     unsigned long long *cursor);
/*
 * kv_scan_options_or_reply -- the MATCH and COUNT options from argv[first]
 * on: *count (10 unless given, at least 1), *pat (NULL for none or "*").
 * False after Redis's error reply.
 */
bool kv_scan_options_or_reply(struct kv_req *r, int first, long long *count,
			      const struct kv_arg **pat);
/*
 * kv_rand_count_or_reply -- HRANDFIELD/ZRANDMEMBER's "count [WITH...]"
 * arguments (argv[2], argv[3] == with): Redis's errors, and counts below
 * -max_repeat refused (a reply of that many repeats is not built).
 * False after the error reply.
 */
bool kv_rand_count_or_reply(struct kv_req *r, const char *with,
			    long long max_repeat, long long *count,
			    bool *withvals);
/* kv_reply_scan_empty -- the reply of a SCAN-family call on no key. */
void kv_reply_scan_empty(struct kv_client *c);

/* Persistence of effects (persist.c). */
/*
 * kv_propagate_begin / kv_propagate_end -- the effects logged between
 * them (nested pairs count once) form one record, replayed all or
 * nothing: EXEC, and commands whose effect takes several records.
 */
void kv_propagate_begin(struct kv_shard *s);
void kv_propagate_end(struct kv_shard *s);
/* kv_propagate -- a write's effect (argv of the effect): WATCHed keys
 * touched, the change counted, the effect logged. */
void kv_propagate(struct kv_shard *s, unsigned db, int argc,
		  const struct kv_arg *argv);
/*
 * kv_log_effect -- only the logging of kv_propagate: no WATCH touched,
 * no change counted (kv_key_log_state: the change happened, unlogged).
 */
void kv_log_effect(struct kv_shard *s, unsigned db, int argc,
		   const struct kv_arg *argv);
/*
 * kv_replay_command -- run a logged effect (recovery): no reply, no auth
 * or memory checks, nothing logged again. Returns -1 for a record that is
 * not a write command redpoll knows.
 */
int kv_replay_command(struct kv_shard *s, unsigned db, int argc,
		      const struct kv_arg *argv);
/* kv_log_has_room -- whether a write of about bytes may be logged. */
bool kv_log_has_room(const struct kv_shard *s, size_t bytes);

/*
 * kv_reply_subcommand_syntax -- Redis's reply to a subcommand given the
 * wrong arguments: "unknown subcommand or wrong number of arguments for
 * 'get'. Try SLOWLOG HELP."
 */
void kv_reply_subcommand_syntax(struct kv_req *r);

/* What commands cost (latency.c, slowlog.c). */
/* kv_stats_init -- allocate the per-command statistics; 0 or -1. */
int kv_stats_init(struct kv_shard *s);
/* kv_stats_fini -- free them, the histograms and the slowlog. */
void kv_stats_fini(struct kv_shard *s);
/* kv_stats_reset -- CONFIG RESETSTAT: commandstats, errorstats. */
void kv_stats_reset(struct kv_shard *s);
/*
 * kv_stats_call -- account one executed call of cmd that took cycles TSC
 * cycles (failed: it replied with an error): commandstats, latency
 * histogram, slowlog, latency monitor.
 */
void kv_stats_call(struct kv_shard *s, const struct kv_cmd *cmd,
		   struct kv_client *c, int argc, const struct kv_arg *argv,
		   uint64_t cycles, bool failed);
/* kv_stats_rejected -- a call refused before it ran (cmd NULL: unknown). */
void kv_stats_rejected(struct kv_shard *s, const struct kv_cmd *cmd);
/*
 * kv_stats_errors -- count the error reply c gave since its error
 * counter was `before` (INFO errorstats, total_error_replies).
 */
void kv_stats_errors(struct kv_shard *s, struct kv_client *c,
		     uint64_t before);
/*
 * kv_stats_info -- INFO commandstats, latencystats or errorstats,
 * appended through add (printf-like into b).
 */
void kv_stats_info(struct kv_shard *s, const char *section,
		   void (*add)(void *b, const char *fmt, ...), void *b);
/* kv_hist_record / kv_hist_percentile -- a histogram in ns. */
void kv_hist_record(struct kv_hist *h, uint64_t ns);
uint64_t kv_hist_percentile(const struct kv_hist *h, double pct);
/* kv_slowlog_free -- forget every entry and free the ring. */
void kv_slowlog_free(struct kv_shard *s);
/* kv_slowlog_push -- log a call of us microseconds if slow enough. */
void kv_slowlog_push(struct kv_shard *s, const struct kv_client *c,
		     int argc, const struct kv_arg *argv, uint64_t us);

/* Server statistics (server.c). */
/* kv_ops_sample -- sample the command rate (from kv_cron, at most 10/s). */
void kv_ops_sample(struct kv_shard *s);
/* kv_ops_per_sec -- INFO's instantaneous_ops_per_sec. */
uint64_t kv_ops_per_sec(const struct kv_shard *s);

/* Replies shared by several handlers. */
static inline bool
kv_check_type_or_reply(struct kv_req *r, const struct kv_entry *e,
		       enum kv_type t);

#include "reply.h"

static inline bool
kv_check_type_or_reply(struct kv_req *r, const struct kv_entry *e,
		       enum kv_type t)
{
	if (e != NULL && e->type != t) {
		kv_reply_error(r->c, KV_ERR_WRONGTYPE);
		return false;
	}
	return true;
}

#endif /* RP_KV_PRIVATE_H */
