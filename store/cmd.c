/*
 * cmd.c -- command lookup and execution: the checks Redis's
 * processCommand makes, in its order, then the handler.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <ctype.h>

#include <rte_cycles.h>

#include "cmd_table.h"
#include "kv_private.h"
#include "pm.h"

const char *const kv_cmd_flag_names[KV_CMD_BIT__MAX] = {
#define KV_CMD_NAME(f, s) s,
	KV_CMD_FLAGS(KV_CMD_NAME)
#undef KV_CMD_NAME
};

static uint64_t next_client_id = 1;

/*
 * name_cmp -- order of a table name (lowercase, NUL-terminated) against
 * a request's bytes, compared case-insensitively with their length: the
 * bytes may hold anything, NUL included.
 */
static int
name_cmp(const char *m, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < len && m[i] != '\0'; i++) {
		int a = (unsigned char)m[i];
		int b = tolower((unsigned char)name[i]);
		if (a != b)
			return a - b;
	}
	if (i < len)
		return -1;              /* the table name is shorter */
	return m[i] != '\0';           /* longer, or equal */
}

/* find_in -- binary search of a sorted table, case-insensitive. */
static const struct kv_cmd *
find_in(const struct kv_cmd *t, unsigned n, const char *name, size_t len,
	size_t skip)
{
	unsigned lo = 0, hi = n;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		int c = name_cmp(t[mid].name + skip, name, len);
		if (c == 0)
			return &t[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct kv_cmd *
kv_cmd_lookup(const char *name, size_t len)
{
	return find_in(kv_cmd_table, kv_cmd_table_len, name, len, 0);
}

/* sub_lookup -- a subcommand of a container by its bare name. */
static const struct kv_cmd *
sub_lookup(const struct kv_cmd *cmd, const struct kv_arg *a)
{
	return find_in(cmd->subcmds, cmd->n_subcmds, a->ptr, a->len,
		       strlen(cmd->name) + 1);
}

void
kv_client_init(struct kv_client *c, kv_write_fn write, void *sink)
{
	memset(c, 0, sizeof(*c));
	c->id = __atomic_fetch_add(&next_client_id, 1, __ATOMIC_RELAXED);
	c->resp = 2;
	c->write = write;
	c->sink = sink;
	c->last_cmd = "NULL";
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->ctime_ms = c->last_ms = (uint64_t)ts.tv_sec * 1000 +
				   (uint64_t)ts.tv_nsec / 1000000;
}

void
kv_client_fini(struct kv_client *c)
{
	kv_multi_client_fini(c);
	free(c->name);
	c->name = NULL;
}

/* reply_unknown -- Redis's unknown command error with its arguments. */
static void
reply_unknown(struct kv_client *c, int argc, const struct kv_arg *argv)
{
	char args[512];
	size_t n = 0;

	args[0] = '\0';
	for (int i = 1; i < argc && n < 128; i++) {
		int room = 128 - (int)n;
		int len = (int)(argv[i].len < (size_t)room ? argv[i].len :
				(size_t)room);
		n += (size_t)snprintf(args + n, sizeof(args) - n, "'%.*s' ",
				      len, argv[i].ptr);
	}
	kv_reply_error(c, "ERR unknown command '%.*s', with args beginning "
		       "with: %s", (int)(argv[0].len < 128 ? argv[0].len : 128),
		       argv[0].ptr, args);
}

/*
 * resolve -- the command (or subcommand) argv names, or NULL after
 * replying with Redis's error.
 */
static const struct kv_cmd *
resolve(struct kv_client *c, int argc, const struct kv_arg *argv)
{
	const struct kv_cmd *cmd = kv_cmd_lookup(argv[0].ptr, argv[0].len);

	if (cmd == NULL) {
		reply_unknown(c, argc, argv);
		return NULL;
	}
	if (cmd->subcmds != NULL && argc >= 2) {
		const struct kv_cmd *sub = sub_lookup(cmd, &argv[1]);
		if (sub != NULL)
			return sub;
		if (cmd->fn == NULL || argc > 1) {
			char up[32];
			size_t i;
			for (i = 0; cmd->name[i] != '\0' && i < 31; i++)
				up[i] = (char)toupper((unsigned char)
						      cmd->name[i]);
			up[i] = '\0';
			kv_reply_error(c, "ERR unknown subcommand '%.*s'. Try "
				       "%s HELP.", (int)(argv[1].len < 128 ?
				       argv[1].len : 128), argv[1].ptr, up);
			return NULL;
		}
	}
	return cmd;
}

void
kv_reply_subcommand_syntax(struct kv_req *r)
{
	char up[32];
	size_t i;

	for (i = 0; i < r->argv[0].len && i < sizeof(up) - 1; i++)
		up[i] = (char)toupper((unsigned char)r->argv[0].ptr[i]);
	up[i] = '\0';
	kv_reply_error(r->c, "ERR unknown subcommand or wrong number of "
		       "arguments for '%.*s'. Try %s HELP.",
		       (int)(r->argv[1].len < 128 ? r->argv[1].len : 128),
		       r->argv[1].ptr, up);
}

/* arity_ok -- Redis's arity rule: N exactly, or -N at least N. */
static bool
arity_ok(const struct kv_cmd *cmd, int argc)
{
	return cmd->arity > 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

/* args_bytes -- size of a request, to reserve log room for it. */
static size_t
args_bytes(int argc, const struct kv_arg *argv)
{
	size_t n = 16;

	for (int i = 0; i < argc; i++)
		n += argv[i].len + 24;
	return n;
}

/* in_multi -- whether c is queueing a transaction. */
static bool
in_multi(const struct kv_client *c)
{
	return (c->flags & KV_CLIENT_MULTI) != 0;
}

/*
 * reject -- refuse a call before it runs (Redis's rejectCommand): inside
 * MULTI the transaction is flagged so that EXEC fails; EXEC itself (in
 * MULTI or not, as Redis) is refused as "EXECABORT Transaction discarded
 * because of: <error>" and its transaction discarded.
 */
static void __attribute__((format(printf, 4, 5)))
reject(struct kv_shard *s, struct kv_client *c, const struct kv_cmd *cmd,
       const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (in_multi(c))
		c->flags |= KV_CLIENT_DIRTY_EXEC;
	if (cmd != NULL && cmd->fn == cmd_exec) {
		/* Redis's reason without its implicit "ERR ". */
		const char *why = strncmp(msg, "ERR ", 4) == 0 ? msg + 4 : msg;
		kv_reply_error(c, "EXECABORT Transaction discarded because "
			       "of: %s", why);
		kv_multi_discard(s, c);
	} else {
		kv_reply_error(c, "%s", msg);
	}
	kv_stats_rejected(s, cmd);
}

/*
 * queued -- whether a command is queued inside MULTI: all but the ones
 * that drive the transaction itself (Redis's list).
 */
static bool
queued(const struct kv_cmd *cmd)
{
	return cmd->fn != cmd_exec && cmd->fn != cmd_discard &&
	       cmd->fn != cmd_multi && cmd->fn != cmd_watch &&
	       cmd->fn != cmd_quit;
}

/* call -- run the handler, timed and counted. */
static void
call(struct kv_shard *s, struct kv_client *c, const struct kv_cmd *cmd,
     int argc, const struct kv_arg *argv)
{
	struct kv_req r = { .s = s, .c = c, .argc = argc, .argv = argv };
	uint64_t errs = c->error_replies;
	c->last_cmd = cmd->name;
	uint64_t t0 = rte_rdtsc();
	cmd->fn(&r);
	kv_stats_call(s, cmd, c, argc, argv, rte_rdtsc() - t0,
		      c->error_replies != errs);
	/* After the call, as Redis: INFO does not count itself. */
	s->stats.commands++;
}

/* account_errors -- count in errorstats the error c replied last. */
static void
account_errors(struct kv_shard *s, struct kv_client *c)
{
	kv_stats_errors(s, c, c->errors_counted);
	c->errors_counted = c->error_replies;
}

/* execute -- checks in Redis's order, then the handler, timed. */
static void
execute(struct kv_shard *s, struct kv_client *c, int argc,
	const struct kv_arg *argv)
{
	const struct kv_cmd *cmd = resolve(c, argc, argv);

	kv_now_refresh(s);
	c->last_ms = s->now_ms;
	if (cmd == NULL) {
		if (in_multi(c))
			c->flags |= KV_CLIENT_DIRTY_EXEC;
		kv_stats_rejected(s, NULL);
		return;
	}
	if (!arity_ok(cmd, argc) || (cmd->fn == NULL && argc < 2)) {
		reject(s, c, cmd, "ERR wrong number of arguments for '%s' "
		       "command", cmd->name);
		return;
	}
	if (s->cfg->requirepass[0] != '\0' &&
	    !(c->flags & KV_CLIENT_AUTHENTICATED) &&
	    !(cmd->flags & KV_CMD_NO_AUTH)) {
		reject(s, c, cmd, "NOAUTH Authentication required.");
		return;
	}
	if (in_multi(c) && (cmd->flags & KV_CMD_NO_MULTI)) {
		reject(s, c, cmd, "ERR Command not allowed inside a "
		       "transaction");
		return;
	}
	/* EXEC stands for the commands it runs. */
	uint32_t flags = cmd->flags;
	size_t bytes = args_bytes(argc, argv);
	if (cmd->fn == cmd_exec && in_multi(c)) {
		flags |= kv_multi_flags(c) & (KV_CMD_WRITE | KV_CMD_DENYOOM);
		bytes = kv_multi_bytes(c);
	}
	if ((flags & KV_CMD_DENYOOM) && s->cfg->maxmemory != 0 &&
	    s->used_memory > s->cfg->maxmemory) {
		reject(s, c, cmd, "OOM command not allowed when used memory "
		       "> 'maxmemory'.");
		return;
	}
	if ((flags & KV_CMD_WRITE) && !kv_log_has_room(s, bytes)) {
		s->stats.log_full_errors++;
		reject(s, c, cmd, "MISCONF redpoll cannot persist writes: the "
		       "pmem log is full (pmem-size %llu bytes); writes are "
		       "refused until it has room",
		       (unsigned long long)s->cfg->pmem_size);
		return;
	}
	if (in_multi(c) && queued(cmd)) {
		if (kv_multi_queue(c, cmd, argc, argv))
			kv_reply_simple(c, "QUEUED");
		else
			reject(s, c, cmd, "OOM out of memory");
		return;
	}
	call(s, c, cmd, argc, argv);
}

void
kv_exec_queued(struct kv_shard *s, struct kv_client *c,
	       const struct kv_cmd *cmd, int argc, const struct kv_arg *argv)
{
	call(s, c, cmd, argc, argv);
	account_errors(s, c);
}

void
kv_execute(struct kv_shard *s, struct kv_client *c, int argc,
	   const struct kv_arg *argv)
{
	c->errors_counted = c->error_replies;
	execute(s, c, argc, argv);
	account_errors(s, c);
}

/* discard -- write function of the replay client. */
static void
discard(void *sink, const void *buf, size_t len)
{
	(void)sink;
	(void)buf;
	(void)len;
}

int
kv_replay_command(struct kv_shard *s, unsigned db, int argc,
		  const struct kv_arg *argv)
{
	struct kv_client c;
	const struct kv_cmd *cmd;

	kv_client_init(&c, discard, NULL);
	c.db = db;
	cmd = resolve(&c, argc, argv);
	if (cmd == NULL || cmd->fn == NULL || !arity_ok(cmd, argc) ||
	    !(cmd->flags & KV_CMD_WRITE))
		return -1;
	struct kv_req r = { .s = s, .c = &c, .argc = argc, .argv = argv };
	cmd->fn(&r);
	kv_client_fini(&c);
	return 0;
}
