/*
 * kv.h -- per-core keyspace shard and command execution.
 *
 * A shard is owned by exactly one worker lcore: every function here is
 * called from that lcore only, so nothing takes a lock. The dataplane
 * parses a request into arguments and calls kv_execute(); the handler
 * writes its RESP reply through the client's write function (reply.h).
 * Layers above reach into the store only through this header; the store
 * reaches up only through the hooks registered in kv_shard_params.
 */
#ifndef RP_KV_H
#define RP_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rp_config;
struct pm_log;
struct kv_shard;

/* One argument of a request: bytes owned by the caller for the call. */
struct kv_arg {
	const char *ptr;
	size_t len;
};

/* Client flags (kv_client.flags). */
#define KV_CLIENT_CLOSE_AFTER_REPLY (1u << 0) /* QUIT, protocol error */
#define KV_CLIENT_ADMIN             (1u << 1) /* admin socket client */
#define KV_CLIENT_AUTHENTICATED     (1u << 2) /* passed requirepass */
#define KV_CLIENT_MULTI             (1u << 3) /* between MULTI and EXEC */
#define KV_CLIENT_MONITOR           (1u << 5) /* MONITOR: fed every command */
#define KV_CLIENT_DIRTY_EXEC        (1u << 4) /* a command was refused
						 while queueing */

struct kv_multi;

/*
 * Write function of a client: append len bytes of encoded reply to the
 * client's output. The dataplane implements it (TCP send queue mbufs).
 */
typedef void (*kv_write_fn)(void *sink, const void *buf, size_t len);

/*
 * The per-connection state the store needs. The dataplane embeds one in
 * each connection, initialises it with kv_client_init and releases it
 * with kv_client_fini.
 */
struct kv_client {
	uint64_t id;           /* CLIENT ID: unique, increasing */
	unsigned db;           /* selected database */
	uint32_t flags;        /* KV_CLIENT_* */
	int resp;              /* protocol version (2) */
	char *name;            /* CLIENT SETNAME, NULL if none (malloc) */
	kv_write_fn write;     /* reply output */
	void *sink;            /* first argument of write */
	uint64_t ctime_ms;     /* creation time (unix ms) */
	uint64_t last_ms;      /* time of the last command (unix ms) */
	const char *last_cmd;  /* name of the last command, static string */
	char addr[48];         /* peer "ip:port" */
	char laddr[48];        /* local "ip:port" */
	uint64_t error_replies; /* error replies sent (kv_reply_error) */
	char err_prefix[32];   /* first word of the last one ("ERR") */
	uint64_t errors_counted; /* error_replies already in errorstats */
	/*
	 * MULTI's queue and the keys under WATCH (multi.c), NULL until the
	 * first MULTI or WATCH; freed by kv_client_fini, which may run on
	 * any thread (it only drops references the shard reclaims).
	 */
	struct kv_multi *multi;
	struct kv_shard *monitor;  /* MONITOR: the shard feeding it */
	/* Buffers, as CLIENT LIST shows them (qbuf, omem); kept by the
	 * layer that owns the connection, 0 if it does not. */
	uint64_t qbuf;         /* unprocessed input bytes */
	uint64_t omem;         /* output counted by the output limits */
};

/*
 * Hooks through which the store reaches the layers above it (INFO sections
 * it does not own, CLIENT LIST). Any of them may be NULL.
 */
struct kv_hooks {
	/*
	 * info -- append the "# Section\r\n" text of an INFO section owned by
	 * an upper layer ("server", "clients") to buf; returns the bytes
	 * written (at most len), 0 if the section is not theirs. Asked for
	 * "stats" too: lines (no header) appended to the store's own.
	 */
	size_t (*info)(void *ctx, const char *section, char *buf, size_t len);
	/*
	 * client_foreach -- call fn for every client connected to this
	 * shard's worker (CLIENT LIST formats each one like CLIENT INFO).
	 */
	void (*client_foreach)(void *ctx,
			       void (*fn)(struct kv_client *c, void *arg),
			       void *arg);
	/*
	 * client_kill -- close a client that client_foreach gave (CLIENT
	 * KILL): it stops reading and goes once its replies are out.
	 */
	void (*client_kill)(void *ctx, struct kv_client *c);
	/*
	 * shutdown -- SHUTDOWN was accepted: stop the server gracefully
	 * (stop accepting, drain, make the log durable, exit).
	 */
	void (*shutdown)(void *ctx);
	/*
	 * config_set -- CONFIG SET changed directive name to value (called
	 * once per name after the whole command was applied): log it, apply
	 * what the upper layers own (loglevel).
	 */
	void (*config_set)(void *ctx, const char *name, const char *value);
	void *ctx;
};

/* Parameters of kv_shard_create. */
struct kv_shard_params {
	unsigned core;                 /* worker index, 0-based */
	int socket_id;                 /* NUMA socket for allocations */
	struct rp_config *cfg;         /* shared, read on each use */
	struct pm_log *log;            /* NULL: persistence off */
	struct kv_hooks hooks;
	unsigned n_shards;             /* shards of the keyspace (0: 1) */
};

/*
 * kv_shard_create -- create an empty shard (all databases empty).
 * Returns the shard or NULL (errno set).
 */
struct kv_shard *kv_shard_create(const struct kv_shard_params *p);

/* kv_shard_free -- free a shard and every value in it. NULL is a no-op. */
void kv_shard_free(struct kv_shard *s);

/*
 * kv_recover -- load the shard's snapshot, then replay the records of its
 * pmem log after it (at start, before any client; workers recover in
 * parallel, each on its own lcore). repair: truncate at a corruption in
 * the middle of the log instead of refusing. When the log was cut by a
 * snapshot that did not complete, writes a new snapshot before returning.
 * Returns 0 or a negative errno with a reason in err.
 */
int kv_recover(struct kv_shard *s, bool repair, char *err, size_t errlen);

/*
 * Cross-shard transactions (two-phase commit in the logs). Every record a
 * shard writes for its part of a write over several shards carries a tag:
 * the transaction's id (origin worker, counter) and its participants. At
 * recovery a part is replayed only if every participant has its part.
 */
#define KV_TX_MAX_SHARDS 128
#define KV_TX_MASK_WORDS (KV_TX_MAX_SHARDS / 64)

struct kv_txtag {
	uint16_t origin;           /* the worker that coordinates it */
	uint16_t nrec;             /* tagged records this shard writes */
	uint64_t counter;          /* strictly increasing per origin */
	uint64_t mask[KV_TX_MASK_WORDS];   /* the participant shards */
};

/* kv_txtag_add -- make shard a participant of t. */
static inline void
kv_txtag_add(struct kv_txtag *t, unsigned shard)
{
	t->mask[shard / 64] |= 1ULL << (shard % 64);
}

/* kv_txtag_has -- whether shard is a participant of t. */
static inline bool
kv_txtag_has(const struct kv_txtag *t, unsigned shard)
{
	return (t->mask[shard / 64] >> (shard % 64)) & 1;
}

/*
 * kv_tx_id -- the next transaction counter of this shard's worker as an
 * origin: max(last + 1, CLOCK_REALTIME in ns), and above every counter
 * of this origin that recovery found on any shard.
 */
uint64_t kv_tx_id(struct kv_shard *s);

/*
 * kv_tx_begin / kv_tx_end -- the effects of the writes between them go
 * to the log as ONE record tagged with t (written even when there is no
 * effect: the record says that this shard has its part). t NULL: no
 * tag after all, the effects are logged as kv_propagate_end logs them.
 */
void kv_tx_begin(struct kv_shard *s);
void kv_tx_end(struct kv_shard *s, const struct kv_txtag *t);

/*
 * kv_snapshot_hold -- a part of a transaction applied here is still
 * locked (on: one more; off: one less). While any is held, a snapshot's
 * cut waits; it is taken when the last one goes.
 */
void kv_snapshot_hold(struct kv_shard *s, bool on);

/* kv_snapshot_cut_waiting -- a snapshot's cut waits for held parts (new
 * transactions should wait for it, or a busy shard might never cut). */
bool kv_snapshot_cut_waiting(const struct kv_shard *s);

/*
 * Recovery of several shards, each on its own lcore: kv_recover_scan
 * (load the snapshot, find the tagged parts in the log), then once every
 * shard has scanned, kv_recover_replay with all the shards (peers[i] is
 * shard i; each only read), then kv_recover_free for each shard once
 * every replay has returned. kv_recover does the three for one shard.
 * kv_recover_replay returns the parts it skipped in *skipped.
 */
int kv_recover_scan(struct kv_shard *s, bool repair, char *err,
		    size_t errlen);
int kv_recover_replay(struct kv_shard *s, struct kv_shard *const *peers,
		      unsigned n, uint64_t *skipped, char *err,
		      size_t errlen);
void kv_recover_free(struct kv_shard *s);

/* kv_client_init -- initialise a client: id, db 0, write function. */
void kv_client_init(struct kv_client *c, kv_write_fn write, void *sink);

/* kv_client_fini -- release what a client holds (name, transaction). */
void kv_client_fini(struct kv_client *c);

/*
 * kv_execute -- execute one request (argv[0] is the command name) on the
 * shard and write its reply to the client. argc >= 1. The arguments are
 * only read during the call. Sets KV_CLIENT_CLOSE_AFTER_REPLY on QUIT.
 * Write commands append their effect to the shard's pmem log; the caller
 * must pm_log_commit before releasing replies in sync mode (kv_commit).
 */
void kv_execute(struct kv_shard *s, struct kv_client *c, int argc,
		const struct kv_arg *argv);

/*
 * kv_commit -- group commit: make the effects of every write executed
 * since the last call durable (one drain). Call once per poll iteration,
 * before the replies of that iteration are sent.
 */
void kv_commit(struct kv_shard *s);

/*
 * kv_cron -- periodic work with bounded cost: active expiry of at most a
 * few keys per call (Redis's active expire cycle), statistics.
 * Returns the number of keys reclaimed.
 */
unsigned kv_cron(struct kv_shard *s);

/*
 * Snapshots (snapshot.c): a point-in-time RDB file of the shard at
 * <pmem-path>/redpoll-<N>.rdb, written while it serves.
 * kv_snapshot_start cuts the shard and begins; kv_snapshot_step writes a
 * bounded part (call once per poll iteration while kv_snapshot_running)
 * and returns whether it still runs; kv_snapshot_run does it all at once
 * (SAVE, recovery); kv_snapshot_cron starts one when the current log is
 * snapshot-log-percent full or the save schedule says so (from kv_cron).
 * kv_snapshot_load loads the snapshot into an empty shard (recovery) and
 * gives the log position it covers (0: none). kv_snapshot_fini drops a
 * running snapshot (shard teardown). Functions return 0 or a negative
 * errno with a reason in err.
 */
int kv_snapshot_start(struct kv_shard *s, char *err, size_t errlen);
bool kv_snapshot_step(struct kv_shard *s);
int kv_snapshot_run(struct kv_shard *s, char *err, size_t errlen);
bool kv_snapshot_running(const struct kv_shard *s);
void kv_snapshot_cron(struct kv_shard *s);
int kv_snapshot_load(struct kv_shard *s, uint64_t *seq, char *err,
		     size_t errlen);
void kv_snapshot_fini(struct kv_shard *s);

/*
 * kv_save_export -- merge the snapshot files of n_shards shards into
 * <dir>/<dbfilename> (SAVE's output, a file redis-server loads).
 */
int kv_save_export(const struct kv_shard *s, unsigned n_shards, char *err,
		   size_t errlen);

/*
 * kv_str2ll -- parse a whole string as a long long with Redis's
 * string2ll rules (no sign '+', no leading zeros or spaces, no
 * overflow); shared with the RESP parser's count lines. Returns true on
 * success.
 */
bool kv_str2ll(const char *s, size_t len, long long *out);

/* kv_mkdir_p -- create a folder and its parents with mode (0 or -errno). */
int kv_mkdir_p(const char *path, unsigned mode);

/* kv_dbsize -- keys in database db (expired keys not yet reclaimed too). */
uint64_t kv_dbsize(const struct kv_shard *s, unsigned db);

/* kv_used_memory -- bytes the shard accounts for (keys and values). */
uint64_t kv_used_memory(const struct kv_shard *s);

/*
 * Routing (route.c). Keys belong to Redis Cluster's hash slots, slots to
 * shards in contiguous ranges: shard = slot * n_shards / KV_SLOTS.
 */
#define KV_SLOTS 16384

/* kv_arg_is -- whether an argument is word, ignoring case. */
bool kv_arg_is(const struct kv_arg *a, const char *word);

/* kv_key_slot -- the hash slot of a key (CRC16 of it or its {hashtag}). */
unsigned kv_key_slot(const char *key, size_t len);

/* kv_key_shard -- the shard that owns a key among n_shards. */
unsigned kv_key_shard(const char *key, size_t len, unsigned n_shards);

enum kv_route_kind {
	KV_ROUTE_HOME = 0, /* no keys (or no telling): run where the client is */
	KV_ROUTE_SHARD,    /* every key on plan.shard: run it there */
	KV_ROUTE_SPLIT,    /* a per-key command (MGET, DEL, EXISTS, UNLINK,
			    * TOUCH) with keys on several shards: one request
			    * per shard with its keys, replies merged */
	KV_ROUTE_ALL,      /* a whole-keyspace command: every shard runs it */
	KV_ROUTE_SCAN,     /* SCAN: the shard the cursor names, cursor mapped */
	KV_ROUTE_TX,       /* any other multi-key command with keys on several
			    * shards: a transaction under key locks (atomic,
			    * isolated), see merge */
	KV_ROUTE_CROSS,    /* refused with CROSSSLOT: SORT or GEORADIUS[BYMEMBER]
			    * ... STORE into another shard; or with the
			    * plan's error (SORT BY/GET patterns that can
			    * name another shard's keys) */
};

enum kv_merge {
	KV_MERGE_NONE = 0,
	KV_MERGE_ORDERED,  /* arrays, elements back in the keys' order (MGET) */
	KV_MERGE_SUM,      /* integers added (DEL, EXISTS, DBSIZE, ...) */
	KV_MERGE_CONCAT,   /* arrays joined (KEYS) */
	KV_MERGE_ALL_OK,   /* +OK when every shard said +OK (FLUSHALL) */
	KV_MERGE_ANY,      /* any non-null bulk, else null (RANDOMKEY) */
	KV_MERGE_NX,       /* MSETNX: :1 when no key existed anywhere */
	KV_MERGE_INFO,     /* INFO texts merged (kv_info_merge) */
	KV_MERGE_KILL,     /* CLIENT KILL: counts added up; the old form
			    * +OK if any shard had the client */
	KV_MERGE_MIN,      /* the smallest integer (LASTSAVE) */
	KV_MERGE_SAVE,     /* SAVE: every shard saved; export them as one */
	KV_MERGE_LINES,    /* bulk texts joined (CLIENT LIST) */
	KV_MERGE_GATHER,   /* any other multi-key command: keys gathered on
			    * the coordinating shard under locks, run there,
			    * results written back to their shards */
};

struct kv_route_plan {
	enum kv_route_kind kind;
	enum kv_merge merge;
	unsigned shard;    /* KV_ROUTE_SHARD */
	bool readonly;     /* GATHER: the command writes nothing */
	const char *error; /* KV_ROUTE_CROSS: the reply, if not CROSSSLOT */
};

/*
 * kv_route_plan -- where a request (argv[0] the command) must run when
 * the keyspace is split over n_shards. Any error (unknown command,
 * arity) is left to the shard that runs it: such requests plan HOME.
 */
void kv_route_plan(int argc, const struct kv_arg *argv, unsigned n_shards,
		   struct kv_route_plan *p);

/*
 * kv_info_merge -- INFO over n shards: the texts (without RESP framing)
 * each shard gave, merged: counters of the Clients, Memory, Persistence,
 * Stats, Commandstats, Errorstats, Keyspace, Network and Workers
 * sections added up (each worker's own lines kept), the rest as shard 0
 * reported it. Returns the length of *out (malloc; the caller frees),
 * 0 without memory.
 */
size_t kv_info_merge(const char *const *texts, const size_t *lens,
		     unsigned n, char **out);

/*
 * kv_set_logging -- whether the effects of the writes that follow go to
 * the pmem log (on by default). A cross-shard command runs with logging
 * off on the coordinating shard, then logs each key's final state with
 * kv_key_log_state.
 */
void kv_set_logging(struct kv_shard *s, bool on);

/*
 * kv_set_restore_exact -- whether RESTORE keeps the encoding its payload
 * names: a ZSET_2, HASH or SET stays a skiplist or hashtable however
 * small (off by default, as Redis converts small ones). The copies and
 * put-backs of a gathered command use it, so that a value keeps its
 * owner's encoding on the way (a skiplist keeps a score -0).
 */
void kv_set_restore_exact(struct kv_shard *s, bool on);

/*
 * kv_key_log_state -- log a key's current state as one effect: RESTORE
 * ... REPLACE ABSTTL of its value, or DEL when it does not exist. It
 * touches no WATCH (the writes that made the state did, unlogged).
 * Returns 0 or -1 without memory.
 */
int kv_key_log_state(struct kv_shard *s, unsigned db, const char *key,
		     size_t len);

/*
 * kv_multi_local -- whether every key a client's transaction touches
 * (queued commands and WATCHed keys) belongs to shard among n_shards:
 * then it runs there as it is; otherwise its keys are gathered
 * (kv_multi_keys, dataplane/xcore.c).
 */
bool kv_multi_local(const struct kv_client *c, unsigned shard,
		    unsigned n_shards);

/* One key of a transaction: its database and name. */
struct kv_mkey {
	unsigned db;
	struct kv_arg key;
};

/*
 * kv_multi_keys -- the keys a client's transaction touches: the keys it
 * WATCHes and its queued commands' keys in the database each runs in
 * (following the SELECTs queued before it), each (db, key) once, in *out
 * (one allocation holding the names too; the caller frees it). With out
 * NULL only the checks below run (no list; 0 when they pass).
 * *db_after is the client's database after EXEC, *readonly whether no
 * queued command writes. Returns the count, -1 without memory, -2 when a
 * queued command cannot run on keys gathered into one shard (a
 * whole-keyspace command, SWAPDB, MOVE, COPY ... DB, or keys that cannot
 * be told): *why is its name.
 */
int kv_multi_keys(const struct kv_shard *s, const struct kv_client *c,
		  unsigned n_shards, struct kv_mkey **out, unsigned *db_after,
		  bool *readonly, const char **why);

/*
 * kv_multi_detach -- take a client's transaction (queue and watched
 * keys) out of it: the client leaves MULTI and watches nothing. The
 * transaction runs later with kv_multi_exec_detached.
 */
struct kv_multi *kv_multi_detach(struct kv_client *c);

/*
 * kv_multi_exec_detached -- run a detached transaction as EXEC would for
 * its client, on shard s as client proxy (its reply through proxy's
 * write function), and free it.
 */
void kv_multi_exec_detached(struct kv_shard *s, struct kv_client *proxy,
			    struct kv_multi *m);

/* kv_multi_free -- free a detached transaction that will not run. */
void kv_multi_free(struct kv_multi *m);

struct kv_wref;

/*
 * kv_watch_remote -- c WATCHes key of db, owned by shard owner (another
 * thread): the key joins c's watched keys and *ref is what the owner
 * fills with kv_watch_handoff (NULL when c already watches it). Until
 * filled, the key counts as modified. Returns 0, -1 without memory.
 */
int kv_watch_remote(struct kv_client *c, struct kv_shard *owner,
		    unsigned db, const struct kv_arg *key,
		    struct kv_wref **ref);

/*
 * kv_watch_handoff -- on the owner's thread, right after proxy ran
 * WATCH of the n keys of refs[0..n): hand proxy's watched keys to the
 * references, in order (failed if the WATCH did not watch them all).
 */
void kv_watch_handoff(struct kv_shard *s, struct kv_client *proxy,
		      struct kv_wref *const *refs, unsigned n);

/*
 * kv_request_keys -- the argv positions of a request's keys, up to max
 * in pos. Returns how many (0: no keys, or a container command), or -1
 * when they cannot be told or do not fit.
 */
int kv_request_keys(int argc, const struct kv_arg *argv, int *pos, int max);

#endif /* RP_KV_H */
