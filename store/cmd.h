/*
 * cmd.h -- the command table (private to store/).
 *
 * Commands are data, as in Redis: name, arity, flags, key positions and a
 * handler. Routing, COMMAND INFO/COUNT/DOCS, persistence and (later) ACLs
 * and cluster checks all read this one table. Arity, flags and key
 * positions match Redis 7.0's command specifications.
 *
 * Flags (KV_CMD_*): every flag of Redis 7.0's specifications, so that
 * gen_cmd_table.py can carry each one over (it refuses a flag missing
 * here). redpoll acts on WRITE, DENYOOM, NO_AUTH; the rest are facts
 * kept for COMMAND and later features.
 *   WRITE      may modify the keyspace: its effect goes to the pmem log
 *   READONLY   reads keys, never modifies them
 *   DENYOOM    refused when maxmemory is reached
 *   ADMIN      administrative (CONFIG, ...)
 *   PUBSUB     publish/subscribe
 *   NOSCRIPT   not allowed from scripts
 *   BLOCKING   may block the client
 *   LOADING    allowed while loading
 *   STALE      allowed on a stale replica
 *   SKIP_MONITOR, SKIP_SLOWLOG  not shown in MONITOR / SLOWLOG
 *   ASKING     accepted on an importing cluster slot
 *   FAST       O(1) or O(log n)
 *   NO_AUTH    allowed before AUTH
 *   MAY_REPLICATE  may produce replication traffic
 *   SENTINEL, ONLY_SENTINEL  also / only in sentinel mode
 *   NO_MANDATORY_KEYS  may be called with no key
 *   PROTECTED  refused unless enabled in the configuration
 *   NO_ASYNC_LOADING  refused during an asynchronous load
 *   NO_MULTI   not allowed inside MULTI
 *   MOVABLE_KEYS  keys not described by first/last/step (derived)
 *   ALLOW_BUSY allowed while a script is busy
 *   TOUCHES_ARBITRARY_KEYS  may touch keys not named in its arguments
 * The names are Redis's, lowercase; COMMAND INFO itself is precomputed.
 */
#ifndef RP_CMD_H
#define RP_CMD_H

#include <stdint.h>

#include "kv.h"

#define KV_CMD_FLAGS(X)                                                 \
	X(WRITE, "write") X(READONLY, "readonly") X(DENYOOM, "denyoom")  \
	X(ADMIN, "admin") X(PUBSUB, "pubsub") X(NOSCRIPT, "noscript")    \
	X(BLOCKING, "blocking") X(LOADING, "loading") X(STALE, "stale")  \
	X(SKIP_MONITOR, "skip_monitor") X(SKIP_SLOWLOG, "skip_slowlog")  \
	X(ASKING, "asking") X(FAST, "fast") X(NO_AUTH, "no_auth")        \
	X(MAY_REPLICATE, "may_replicate") X(SENTINEL, "sentinel")        \
	X(ONLY_SENTINEL, "only_sentinel")                                \
	X(NO_MANDATORY_KEYS, "no_mandatory_keys")                        \
	X(PROTECTED, "protected") X(NO_ASYNC_LOADING, "no_async_loading") \
	X(NO_MULTI, "no_multi") X(MOVABLE_KEYS, "movablekeys")           \
	X(ALLOW_BUSY, "allow_busy")                                      \
	X(TOUCHES_ARBITRARY_KEYS, "touches_arbitrary_keys")

enum {
#define KV_CMD_BIT(f, s) KV_CMD_BIT_##f,
	KV_CMD_FLAGS(KV_CMD_BIT)
#undef KV_CMD_BIT
	KV_CMD_BIT__MAX
};
#define KV_CMD_FLAG(f) (1u << KV_CMD_BIT_##f)
#define KV_CMD_WRITE     KV_CMD_FLAG(WRITE)
#define KV_CMD_READONLY  KV_CMD_FLAG(READONLY)
#define KV_CMD_DENYOOM   KV_CMD_FLAG(DENYOOM)
#define KV_CMD_ADMIN     KV_CMD_FLAG(ADMIN)
#define KV_CMD_FAST      KV_CMD_FLAG(FAST)
#define KV_CMD_NO_AUTH   KV_CMD_FLAG(NO_AUTH)
#define KV_CMD_LOADING   KV_CMD_FLAG(LOADING)
#define KV_CMD_STALE     KV_CMD_FLAG(STALE)
#define KV_CMD_NO_MULTI  KV_CMD_FLAG(NO_MULTI)

extern const char *const kv_cmd_flag_names[KV_CMD_BIT__MAX];

/* What a handler gets: the shard, the client and the request. */
struct kv_req {
	struct kv_shard *s;
	struct kv_client *c;
	int argc;
	const struct kv_arg *argv;
};

typedef void (*kv_cmd_fn)(struct kv_req *r);

struct kv_cmd {
	const char *name;       /* lowercase */
	unsigned id;            /* 0..KV_CMD_COUNT-1: index of its statistics */
	kv_cmd_fn fn;
	int arity;              /* argc including the name; -N = at least N */
	uint32_t flags;         /* KV_CMD_* */
	int first_key;          /* 0 = no keys */
	int last_key;           /* -1 = last argument */
	int key_step;
	const char *group;      /* "string", "generic", "server", ... */
	const char *summary;    /* one line, for COMMAND DOCS */
	const char *since;      /* Redis version that introduced it */
	const char *complexity; /* for COMMAND DOCS */
	const char *acl_categories; /* "@write @string @slow", for INFO */
	/*
	 * Subcommands ("config|get" in config's table), or NULL. A container
	 * has no handler of its own: kv_execute dispatches on argv[1].
	 */
	const struct kv_cmd *subcmds;
	unsigned n_subcmds;
	/* This command's COMMAND INFO and COMMAND DOCS entries, RESP2. */
	const char *info_resp;
	unsigned info_len;
	const char *docs_resp;
	unsigned docs_len;
};

/*
 * kv_cmd_lookup -- find a command by name, case-insensitively.
 * Returns NULL if unknown.
 */
const struct kv_cmd *kv_cmd_lookup(const char *name, size_t len);

/*
 * The table itself is generated (store/gen_cmd_table.py) from Redis 7.0's
 * command specifications for the commands listed in store/commands.txt,
 * so that arity, flags, key positions and documentation match Redis's
 * facts. The handler of command "get" is cmd_get, of "client|id"
 * cmd_client_id; their prototypes are in the generated cmd_table.h.
 */
extern const struct kv_cmd kv_cmd_table[];
extern const unsigned kv_cmd_table_len;

#endif /* RP_CMD_H */
