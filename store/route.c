/*
 * route.c -- which shard owns a key, and where a request has to run.
 *
 * Keys map to Redis Cluster's 16384 hash slots (CRC16-XMODEM of the key,
 * or of its {hashtag}), slots to shards in contiguous ranges. A request
 * runs on the shard that owns all its keys; the few commands Redis
 * defines key by key (MGET, EXISTS, DEL, UNLINK, TOUCH) are split when
 * their keys are spread, and whole-keyspace commands run on every shard;
 * the dataplane does the messaging and merges the replies as the plan
 * says. Commands are data here too: the key positions come from the
 * command table.
 */
#include <string.h>

#include "cmd_table.h"
#include "kv_private.h"

/* crc16 -- CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0. */
static uint16_t
crc16(const char *buf, size_t len)
{
	uint16_t crc = 0;

	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)((uint8_t)buf[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) :
					       (uint16_t)(crc << 1);
	}
	return crc;
}

unsigned
kv_key_slot(const char *key, size_t len)
{
	size_t s, e;

	/* Only the part between the first '{' and the next '}' counts, if
	 * it is not empty: {user1}.a and {user1}.b share a slot. */
	for (s = 0; s < len && key[s] != '{'; s++)
		;
	if (s < len) {
		for (e = s + 1; e < len && key[e] != '}'; e++)
			;
		if (e < len && e != s + 1)
			return crc16(key + s + 1, e - s - 1) & (KV_SLOTS - 1);
	}
	return crc16(key, len) & (KV_SLOTS - 1);
}

unsigned
kv_key_shard(const char *key, size_t len, unsigned n_shards)
{
	return kv_key_slot(key, len) * n_shards / KV_SLOTS;
}

/* Commands whose keys follow a numkeys argument (MOVABLE_KEYS). */
static const struct {
	const char *name;
	int numkeys_at;         /* argv index of numkeys */
	int dest_at;            /* argv index of a destination key, or 0 */
} numkeys_cmds[] = {
	{ "lmpop", 1, 0 },
	{ "zmpop", 1, 0 },
	{ "sintercard", 1, 0 },
	{ "zintercard", 1, 0 },
	{ "zunion", 1, 0 },
	{ "zinter", 1, 0 },
	{ "zdiff", 1, 0 },
	{ "zunionstore", 2, 1 },
	{ "zinterstore", 2, 1 },
	{ "zdiffstore", 2, 1 },
};

/*
 * key_range -- where the keys of a request for cmd are: argv[first..last]
 * every step, plus argv[dest] if dest > 0. Returns false when they
 * cannot be told (movable keys this table does not describe, or a bad
 * numkeys: the command then runs where the client is, and answers the
 * error itself).
 */
static bool
key_range(const struct kv_cmd *cmd, int argc, const struct kv_arg *argv,
	  int *first, int *last, int *step, int *dest)
{
	*dest = 0;
	*step = 1;
	if (cmd->flags & KV_CMD_FLAG(MOVABLE_KEYS)) {
		for (size_t i = 0; i < RTE_DIM(numkeys_cmds); i++) {
			if (strcmp(cmd->name, numkeys_cmds[i].name) != 0)
				continue;
			int at = numkeys_cmds[i].numkeys_at;
			long long nk;
			if (at >= argc || !kv_str2ll(argv[at].ptr, argv[at].len,
						     &nk) ||
			    nk < 1 || nk > argc - at - 1)
				return false;
			*dest = numkeys_cmds[i].dest_at;
			*first = at + 1;
			*last = at + (int)nk;
			return true;
		}
		return false;
	}
	*first = cmd->first_key;
	*last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
	if (*last >= argc)
		*last = argc - 1;
	*step = cmd->key_step > 0 ? cmd->key_step : 1;
	return true;
}

int
kv_request_keys(int argc, const struct kv_arg *argv, int *pos, int max)
{
	int first, last, step, dest, n = 0;

	if (argc < 1)
		return 0;
	const struct kv_cmd *cmd = kv_cmd_lookup(argv[0].ptr, argv[0].len);
	if (cmd == NULL || cmd->subcmds != NULL)
		return 0;
	if (cmd->first_key == 0 && !(cmd->flags & KV_CMD_FLAG(MOVABLE_KEYS)))
		return 0;
	if (!key_range(cmd, argc, argv, &first, &last, &step, &dest) ||
	    first < 1)
		return -1;
	if (dest > 0 && n < max)
		pos[n++] = dest;
	for (int i = first; i <= last; i += step) {
		if (n == max)
			return -1;
		pos[n++] = i;
	}
	return n;
}

/*
 * pattern_shard -- the shard every key a SORT BY/GET pattern can name is
 * on, as Redis Cluster's patternHashSlot tells it: the pattern's
 * {hashtag} when it comes before any wildcard, else -1 (any shard).
 */
static int
pattern_shard(const struct kv_arg *pat, unsigned n_shards)
{
	const char *p = pat->ptr;
	int open = -1;

	for (int i = 0; i < (int)pat->len; i++) {
		if (p[i] == '*' || p[i] == '?' || p[i] == '[')
			return -1;
		if (p[i] == '\\')
			i++;
		else if (open < 0 && p[i] == '{')
			open = i;
		else if (open >= 0 && p[i] == '}')
			return i == open + 1 ? -1 :
			       (int)kv_key_shard(p + open + 1,
						 (size_t)(i - open - 1),
						 n_shards);
	}
	return -1;
}

/*
 * sort_plan -- SORT and SORT_RO run on the shard of the sorted key; a
 * STORE destination elsewhere cannot be written there (CROSSSLOT). A BY
 * pattern (with a '*': one without does not sort) or a GET pattern
 * (other than '#') whose keys can be on another shard is refused as
 * Redis Cluster refuses it, never answered from this shard's keys only.
 */
static void
sort_plan(int argc, const struct kv_arg *argv, unsigned n_shards,
	  struct kv_route_plan *p)
{
	if (argc < 2)
		return;
	unsigned owner = kv_key_shard(argv[1].ptr, argv[1].len, n_shards);
	bool store_ok = kv_arg_is(&argv[0], "sort");
	for (int j = 2; j < argc; j++) {
		const struct kv_arg *v = j + 1 < argc ? &argv[j + 1] : NULL;
		if (kv_arg_is(&argv[j], "limit")) {
			j += 2;
		} else if (kv_arg_is(&argv[j], "by") && v != NULL) {
			j++;
			if (memchr(v->ptr, '*', v->len) != NULL &&
			    pattern_shard(v, n_shards) != (int)owner) {
				p->kind = KV_ROUTE_CROSS;
				p->error = "-ERR BY option of SORT denied in "
					   "Cluster mode when keys formed by "
					   "the pattern may be in different "
					   "slots.\r\n";
				return;
			}
		} else if (kv_arg_is(&argv[j], "get") && v != NULL) {
			j++;
			if (!(v->len == 1 && v->ptr[0] == '#') &&
			    pattern_shard(v, n_shards) != (int)owner) {
				p->kind = KV_ROUTE_CROSS;
				p->error = "-ERR GET option of SORT denied in "
					   "Cluster mode when keys formed by "
					   "the pattern may be in different "
					   "slots.\r\n";
				return;
			}
		} else if (store_ok && kv_arg_is(&argv[j], "store") &&
			   v != NULL &&
			   kv_key_shard(v->ptr, v->len, n_shards) != owner) {
			p->kind = KV_ROUTE_CROSS;
			return;
		}
	}
	p->kind = KV_ROUTE_SHARD;
	p->shard = owner;
}

/*
 * georadius_plan -- GEORADIUS[BYMEMBER] (movable keys: a STORE or
 * STOREDIST destination among the options): the source key's shard, or
 * CROSSSLOT when the destination is on another one.
 */
static void
georadius_plan(int argc, const struct kv_arg *argv, unsigned n_shards,
	       int first_opt, struct kv_route_plan *p)
{
	if (argc < 2)
		return;
	unsigned owner = kv_key_shard(argv[1].ptr, argv[1].len, n_shards);
	for (int j = first_opt; j + 1 < argc; j++) {
		if ((kv_arg_is(&argv[j], "store") ||
		     kv_arg_is(&argv[j], "storedist")) &&
		    kv_key_shard(argv[j + 1].ptr, argv[j + 1].len,
				 n_shards) != owner) {
			p->kind = KV_ROUTE_CROSS;
			return;
		}
	}
	p->kind = KV_ROUTE_SHARD;
	p->shard = owner;
}

void
kv_route_plan(int argc, const struct kv_arg *argv, unsigned n_shards,
	      struct kv_route_plan *p)
{
	int first, last, step, dest;

	memset(p, 0, sizeof(*p));
	p->kind = KV_ROUTE_HOME;
	if (n_shards <= 1 || argc < 1)
		return;

	/* The whole keyspace. */
	if (kv_arg_is(&argv[0], "dbsize") || kv_arg_is(&argv[0], "keys")) {
		p->kind = KV_ROUTE_ALL;
		p->merge = kv_arg_is(&argv[0], "dbsize") ? KV_MERGE_SUM :
						    KV_MERGE_CONCAT;
		return;
	}
	if (kv_arg_is(&argv[0], "flushall") || kv_arg_is(&argv[0], "flushdb")) {
		p->kind = KV_ROUTE_ALL;
		p->merge = KV_MERGE_ALL_OK;
		return;
	}
	if (kv_arg_is(&argv[0], "info")) {
		p->kind = KV_ROUTE_ALL;
		p->merge = KV_MERGE_INFO;
		return;
	}
	if (kv_arg_is(&argv[0], "config") && argc == 2 &&
	    kv_arg_is(&argv[1], "resetstat")) {
		/* Every shard's counters (INFO adds them up). */
		p->kind = KV_ROUTE_ALL;
		p->merge = KV_MERGE_ALL_OK;
		return;
	}
	if (kv_arg_is(&argv[0], "client") && argc > 1 &&
	    kv_arg_is(&argv[1], "kill")) {
		/* Every worker's clients. */
		p->kind = KV_ROUTE_ALL;
		p->merge = KV_MERGE_KILL;
		return;
	}
	if (kv_arg_is(&argv[0], "client") && argc == 2 &&
	    kv_arg_is(&argv[1], "list")) {
		p->kind = KV_ROUTE_ALL;
		p->merge = KV_MERGE_LINES;
		return;
	}
	/* Snapshots: every shard writes its own (the first error wins). */
	if (kv_arg_is(&argv[0], "bgsave") || kv_arg_is(&argv[0], "save") ||
	    kv_arg_is(&argv[0], "lastsave")) {
		p->kind = KV_ROUTE_ALL;
		p->merge = kv_arg_is(&argv[0], "save") ? KV_MERGE_SAVE :
			   kv_arg_is(&argv[0], "lastsave") ? KV_MERGE_MIN :
						      KV_MERGE_NONE;
		return;
	}
	if (kv_arg_is(&argv[0], "randomkey")) {
		p->kind = KV_ROUTE_ALL;
		p->merge = KV_MERGE_ANY;
		return;
	}
	if (kv_arg_is(&argv[0], "scan")) {
		p->kind = KV_ROUTE_SCAN;
		return;
	}

	/*
	 * WATCH belongs to the client: it plans HOME, and dp_xc_execute
	 * registers the keys of other shards on their owners for the
	 * client (kv_watch_remote), never for a proxy client.
	 */
	if (kv_arg_is(&argv[0], "watch"))
		return;
	if (kv_arg_is(&argv[0], "sort") || kv_arg_is(&argv[0], "sort_ro")) {
		sort_plan(argc, argv, n_shards, p);
		return;
	}
	if (kv_arg_is(&argv[0], "georadius") ||
	    kv_arg_is(&argv[0], "georadius_ro")) {
		georadius_plan(argc, argv, n_shards, 6, p);
		return;
	}
	if (kv_arg_is(&argv[0], "georadiusbymember") ||
	    kv_arg_is(&argv[0], "georadiusbymember_ro")) {
		georadius_plan(argc, argv, n_shards, 5, p);
		return;
	}

	const struct kv_cmd *cmd = kv_cmd_lookup(argv[0].ptr, argv[0].len);
	if (cmd == NULL)
		return;
	if (cmd->subcmds != NULL) {
		/* Container subcommands with keys (OBJECT ENCODING k, ...):
		 * the subcommand's own key positions. */
		const struct kv_cmd *sub = NULL;
		for (unsigned i = 0; argc > 1 && i < cmd->n_subcmds; i++) {
			const char *bar = strchr(cmd->subcmds[i].name, '|');
			if (bar != NULL && kv_arg_is(&argv[1], bar + 1))
				sub = &cmd->subcmds[i];
		}
		if (sub == NULL)
			return;
		cmd = sub;
	}
	if (cmd->arity > 0 ? argc != cmd->arity : argc < -cmd->arity)
		return;         /* the arity error comes from home */
	if (cmd->first_key == 0 && !(cmd->flags & KV_CMD_FLAG(MOVABLE_KEYS)))
		return;         /* no keys: anywhere will do */
	if (!key_range(cmd, argc, argv, &first, &last, &step, &dest) ||
	    first < 1 || first > last)
		return;
	unsigned owner = kv_key_shard(argv[first].ptr, argv[first].len,
				      n_shards);
	bool spread = dest > 0 && kv_key_shard(argv[dest].ptr, argv[dest].len,
					       n_shards) != owner;
	for (int i = first + step; i <= last && !spread; i += step)
		spread = kv_key_shard(argv[i].ptr, argv[i].len,
				      n_shards) != owner;
	if (!spread) {
		p->kind = KV_ROUTE_SHARD;
		p->shard = owner;
		return;
	}
	if (kv_arg_is(&argv[0], "mget")) {
		/* Read under locks: never half of a concurrent MSET. */
		p->kind = KV_ROUTE_TX;
		p->merge = KV_MERGE_ORDERED;
	} else if (kv_arg_is(&argv[0], "mset")) {
		p->kind = KV_ROUTE_TX;
		p->merge = KV_MERGE_ALL_OK;
	} else if (kv_arg_is(&argv[0], "msetnx")) {
		p->kind = KV_ROUTE_TX;
		p->merge = KV_MERGE_NX;
	} else if (kv_arg_is(&argv[0], "exists") ||
		   kv_arg_is(&argv[0], "del") ||
		   kv_arg_is(&argv[0], "unlink") ||
		   kv_arg_is(&argv[0], "touch")) {
		p->kind = KV_ROUTE_SPLIT;
		p->merge = KV_MERGE_SUM;
	} else {
		/* RENAME, LMOVE, SMOVE, SINTERSTORE, BITOP, PFMERGE, LMPOP,
		 * ...: gathered, run on one shard, written back. */
		p->kind = KV_ROUTE_TX;
		p->merge = KV_MERGE_GATHER;
		p->readonly = (cmd->flags & KV_CMD_FLAG(READONLY)) != 0;
	}
}
