/*
 * server.c -- server and connection commands: PING ECHO QUIT SELECT
 * HELLO AUTH CLIENT COMMAND CONFIG INFO DBSIZE TIME.
 *
 * redpoll reports itself to clients as a Redis 7.0.15 server (HELLO's
 * "version", INFO's redis_version), because clients choose features by
 * that number; INFO adds redpoll_version for what it really is.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cmd_table.h"
#include "kv_private.h"
#include "pm.h"

#define KV_REDIS_VERSION "7.0.15"
#define INFO_BUF (64 * 1024)

void
cmd_ping(struct kv_req *r)
{
	if (r->argc > 2) {
		kv_reply_error(r->c, "ERR wrong number of arguments for 'ping' "
			       "command");
		return;
	}
	if (r->argc == 2)
		kv_reply_bulk(r->c, r->argv[1].ptr, r->argv[1].len);
	else
		kv_reply_simple(r->c, "PONG");
}

void
cmd_echo(struct kv_req *r)
{
	kv_reply_bulk(r->c, r->argv[1].ptr, r->argv[1].len);
}

void
cmd_quit(struct kv_req *r)
{
	kv_reply_ok(r->c);
	r->c->flags |= KV_CLIENT_CLOSE_AFTER_REPLY;
}

void
cmd_select(struct kv_req *r)
{
	long long id;

	if (!kv_str2ll(r->argv[1].ptr, r->argv[1].len, &id) ||
	    id < INT32_MIN || id > INT32_MAX) {
		kv_reply_error(r->c, KV_ERR_NOT_INT);
		return;
	}
	if (id < 0 || id >= (long long)r->s->n_db) {
		kv_reply_error(r->c, KV_ERR_DB_INDEX);
		return;
	}
	r->c->db = (unsigned)id;
	kv_reply_ok(r->c);
}

/* check_password -- AUTH's rule: the default user and requirepass. */
static bool
check_password(struct kv_req *r, const struct kv_arg *user,
	       const struct kv_arg *pass)
{
	const char *want = r->s->cfg->requirepass;

	if (user != NULL && !kv_arg_is(user, "default"))
		return false;
	return pass->len == strlen(want) &&
	       memcmp(pass->ptr, want, pass->len) == 0;
}

void
cmd_auth(struct kv_req *r)
{
	if (r->argc > 3) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	if (r->argc == 2 && r->s->cfg->requirepass[0] == '\0') {
		kv_reply_error(r->c, "ERR AUTH <password> called without any "
			       "password configured for the default user. Are "
			       "you sure your configuration is correct?");
		return;
	}
	const struct kv_arg *user = r->argc == 3 ? &r->argv[1] : NULL;
	const struct kv_arg *pass = &r->argv[r->argc - 1];
	if (!check_password(r, user, pass)) {
		kv_reply_error(r->c, "WRONGPASS invalid username-password pair "
			       "or user is disabled.");
		return;
	}
	r->c->flags |= KV_CLIENT_AUTHENTICATED;
	kv_reply_ok(r->c);
}

/* valid_client_name -- Redis's rule: printable, no spaces. */
static bool
valid_client_name(const struct kv_arg *a)
{
	for (size_t i = 0; i < a->len; i++)
		if (a->ptr[i] < '!' || a->ptr[i] > '~')
			return false;
	return true;
}

/* set_name -- CLIENT SETNAME's effect; empty clears. */
static bool
set_name(struct kv_req *r, const struct kv_arg *a)
{
	if (!valid_client_name(a)) {
		kv_reply_error(r->c, "ERR Client names cannot contain spaces, "
			       "newlines or special characters.");
		return false;
	}
	free(r->c->name);
	r->c->name = NULL;
	if (a->len > 0) {
		r->c->name = strndup(a->ptr, a->len);
		if (r->c->name == NULL) {
			kv_reply_error(r->c, "OOM out of memory");
			return false;
		}
	}
	return true;
}

void
cmd_hello(struct kv_req *r)
{
	long long ver = 2;
	int j = 2;

	if (r->argc >= 2) {
		if (!kv_str2ll(r->argv[1].ptr, r->argv[1].len, &ver)) {
			kv_reply_error(r->c, "ERR Protocol version is not an "
				       "integer or out of range");
			return;
		}
		if (ver < 2 || ver > 3) {
			kv_reply_error(r->c, "NOPROTO unsupported protocol "
				       "version");
			return;
		}
	}
	const struct kv_arg *user = NULL, *pass = NULL, *name = NULL;
	for (; j < r->argc; j++) {
		int more = r->argc - j - 1;
		if (kv_arg_is(&r->argv[j], "auth") && more >= 2) {
			user = &r->argv[j + 1];
			pass = &r->argv[j + 2];
			j += 2;
		} else if (kv_arg_is(&r->argv[j], "setname") && more >= 1) {
			name = &r->argv[++j];
		} else {
			kv_reply_error(r->c, "ERR Syntax error in HELLO option "
				       "'%.*s'", (int)r->argv[j].len,
				       r->argv[j].ptr);
			return;
		}
	}
	if (pass != NULL) {
		if (!check_password(r, user, pass)) {
			kv_reply_error(r->c, "WRONGPASS invalid username-"
				       "password pair or user is disabled.");
			return;
		}
		r->c->flags |= KV_CLIENT_AUTHENTICATED;
	}
	if (r->s->cfg->requirepass[0] != '\0' &&
	    !(r->c->flags & KV_CLIENT_AUTHENTICATED)) {
		kv_reply_error(r->c, "NOAUTH HELLO must be called with the "
			       "client already authenticated, otherwise the "
			       "HELLO <proto> AUTH <user> <pass> option can be "
			       "used to authenticate the client and select "
			       "the RESP protocol version at the same time");
		return;
	}
	if (ver == 3) {
		/* RESP3 is not spoken yet: say so as Redis does for an
		 * unknown version, so that clients fall back to RESP2. */
		kv_reply_error(r->c, "NOPROTO unsupported protocol version");
		return;
	}
	if (name != NULL && !set_name(r, name))
		return;
	kv_reply_array(r->c, 14);
	kv_reply_bulk_cstr(r->c, "server");
	kv_reply_bulk_cstr(r->c, "redis");
	kv_reply_bulk_cstr(r->c, "version");
	kv_reply_bulk_cstr(r->c, KV_REDIS_VERSION);
	kv_reply_bulk_cstr(r->c, "proto");
	kv_reply_int(r->c, 2);
	kv_reply_bulk_cstr(r->c, "id");
	kv_reply_int(r->c, (long long)r->c->id);
	kv_reply_bulk_cstr(r->c, "mode");
	kv_reply_bulk_cstr(r->c, "standalone");
	kv_reply_bulk_cstr(r->c, "role");
	kv_reply_bulk_cstr(r->c, "master");
	kv_reply_bulk_cstr(r->c, "modules");
	kv_reply_array(r->c, 0);
}

void
cmd_client_id(struct kv_req *r)
{
	kv_reply_int(r->c, (long long)r->c->id);
}

void
cmd_client_setname(struct kv_req *r)
{
	if (set_name(r, &r->argv[2]))
		kv_reply_ok(r->c);
}

void
cmd_client_getname(struct kv_req *r)
{
	kv_reply_bulk_cstr(r->c, r->c->name);
}

/* format_client -- one CLIENT LIST/INFO line, Redis's fields. */
static size_t
format_client(const struct kv_shard *s, const struct kv_client *c,
	      char *buf, size_t len)
{
	int n = snprintf(buf, len, "id=%llu addr=%s laddr=%s fd=-1 name=%s "
			 "age=%llu idle=%llu flags=N db=%u sub=0 psub=0 "
			 "ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 "
			 "multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 "
			 "tot-mem=0 events=r cmd=%s user=default redir=-1 "
			 "resp=%d\n", (unsigned long long)c->id, c->addr,
			 c->laddr, c->name ? c->name : "",
			 (unsigned long long)(s->now_ms - c->ctime_ms) / 1000,
			 (unsigned long long)(s->now_ms - c->last_ms) / 1000,
			 c->db, c->last_cmd ? c->last_cmd : "NULL", c->resp);
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

void
cmd_client_info(struct kv_req *r)
{
	char buf[1024];
	size_t n = format_client(r->s, r->c, buf, sizeof(buf));

	kv_reply_bulk(r->c, buf, n);
}

struct list_ctx {
	const struct kv_shard *s;
	char *buf;
	size_t len, cap;
};

/* list_one -- hooks.client_foreach callback for CLIENT LIST. */
static void
list_one(struct kv_client *c, void *arg)
{
	struct list_ctx *x = arg;

	if (x->cap - x->len < 1024) {
		size_t cap = x->cap * 2;
		char *b = realloc(x->buf, cap);
		if (b == NULL)
			return;
		x->buf = b;
		x->cap = cap;
	}
	x->len += format_client(x->s, c, x->buf + x->len, x->cap - x->len);
}

void
cmd_client_list(struct kv_req *r)
{
	struct list_ctx x = { .s = r->s, .cap = 4096 };

	if (r->argc > 2) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	x.buf = malloc(x.cap);
	if (x.buf == NULL) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	if (r->s->hooks.client_foreach != NULL)
		r->s->hooks.client_foreach(r->s->hooks.ctx, list_one, &x);
	else
		list_one(r->c, &x);
	kv_reply_bulk(r->c, x.buf, x.len);
	free(x.buf);
}

void
cmd_command(struct kv_req *r)
{
	kv_reply_array(r->c, kv_cmd_table_len);
	for (unsigned i = 0; i < kv_cmd_table_len; i++)
		kv_reply_raw(r->c, kv_cmd_table[i].info_resp,
			     kv_cmd_table[i].info_len);
}

void
cmd_command_count(struct kv_req *r)
{
	kv_reply_int(r->c, kv_cmd_table_len);
}

/* lookup_full -- a command or "container|sub" by its full name. */
static const struct kv_cmd *
lookup_full(const struct kv_arg *a)
{
	const char *bar = memchr(a->ptr, '|', a->len);
	const struct kv_cmd *cmd;

	if (bar == NULL)
		return kv_cmd_lookup(a->ptr, a->len);
	cmd = kv_cmd_lookup(a->ptr, (size_t)(bar - a->ptr));
	if (cmd == NULL)
		return NULL;
	for (unsigned i = 0; i < cmd->n_subcmds; i++) {
		const struct kv_cmd *sub = &cmd->subcmds[i];
		if (strlen(sub->name) == a->len &&
		    strncasecmp(sub->name, a->ptr, a->len) == 0)
			return sub;
	}
	return NULL;
}

void
cmd_command_info(struct kv_req *r)
{
	if (r->argc == 2) {
		cmd_command(r);
		return;
	}
	kv_reply_array(r->c, r->argc - 2);
	for (int i = 2; i < r->argc; i++) {
		const struct kv_cmd *cmd = lookup_full(&r->argv[i]);
		if (cmd == NULL)
			kv_reply_null(r->c);
		else
			kv_reply_raw(r->c, cmd->info_resp, cmd->info_len);
	}
}

void
cmd_command_docs(struct kv_req *r)
{
	const struct kv_cmd *found[256];
	unsigned n = 0;

	if (r->argc == 2) {
		kv_reply_array(r->c, 2 * (long long)kv_cmd_table_len);
		for (unsigned i = 0; i < kv_cmd_table_len; i++) {
			kv_reply_bulk_cstr(r->c, kv_cmd_table[i].name);
			kv_reply_raw(r->c, kv_cmd_table[i].docs_resp,
				     kv_cmd_table[i].docs_len);
		}
		return;
	}
	for (int i = 2; i < r->argc && n < 256; i++) {
		const struct kv_cmd *cmd = lookup_full(&r->argv[i]);
		if (cmd != NULL)
			found[n++] = cmd;
	}
	kv_reply_array(r->c, 2 * (long long)n);
	for (unsigned i = 0; i < n; i++) {
		kv_reply_bulk_cstr(r->c, found[i]->name);
		kv_reply_raw(r->c, found[i]->docs_resp, found[i]->docs_len);
	}
}

void
cmd_command_list(struct kv_req *r)
{
	if (r->argc > 2) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	kv_reply_array(r->c, kv_cmd_table_len);
	for (unsigned i = 0; i < kv_cmd_table_len; i++)
		kv_reply_bulk_cstr(r->c, kv_cmd_table[i].name);
}

struct config_get_ctx {
	const struct kv_req *r;
	const char *names[128];
	unsigned n;
};

/* config_match -- cfg_foreach callback: names matching any pattern. */
static void
config_match(const char *name, void *arg)
{
	struct config_get_ctx *x = arg;

	for (int i = 2; i < x->r->argc; i++) {
		const struct kv_arg *p = &x->r->argv[i];
		if (kv_stringmatch(p->ptr, p->len, name, strlen(name), true)) {
			if (x->n < 128)
				x->names[x->n++] = name;
			return;
		}
	}
}

void
cmd_config_get(struct kv_req *r)
{
	struct config_get_ctx x = { .r = r };
	char val[PATH_MAX + 64];

	cfg_foreach(config_match, &x);
	kv_reply_array(r->c, 2 * (long long)x.n);
	for (unsigned i = 0; i < x.n; i++) {
		int n = cfg_get(r->s->cfg, x.names[i], val, sizeof(val));
		kv_reply_bulk_cstr(r->c, x.names[i]);
		kv_reply_bulk(r->c, val, n > 0 ? (size_t)n : 0);
	}
}

void
cmd_config_set(struct kv_req *r)
{
	struct rp_config next = *r->s->cfg;
	char err[CFG_ERR_LEN], name[128];

	if (r->argc % 2 != 0) {
		kv_reply_error(r->c, "ERR wrong number of arguments for "
			       "'config|set' command");
		return;
	}
	/* Apply to a copy: all or nothing. */
	for (int i = 2; i < r->argc; i += 2) {
		char value[PATH_MAX];
		snprintf(name, sizeof(name), "%.*s", (int)r->argv[i].len,
			 r->argv[i].ptr);
		snprintf(value, sizeof(value), "%.*s",
			 (int)r->argv[i + 1].len, r->argv[i + 1].ptr);
		int rc = cfg_set(&next, name, value, err, sizeof(err));
		/*
		 * sync and async switch at run time; a worker started with
		 * persistence off has no log to write, and one with a log
		 * must not silently stop writing it (a later restart would
		 * replay a log with holes): those need a restart.
		 */
		if (rc == 0 && strcasecmp(name, "persistence") == 0 &&
		    (next.persistence == CFG_PERSIST_OFF) != (r->s->log == NULL)) {
			snprintf(err, sizeof(err), "switching persistence on "
				 "or off needs a restart (sync and async switch "
				 "at run time)");
			rc = -EPERM;
		}
		if (rc == -ENOENT) {
			kv_reply_error(r->c, "ERR Unknown option or number of "
				       "arguments for CONFIG SET - '%s'", name);
			return;
		}
		if (rc != 0) {
			kv_reply_error(r->c, "ERR CONFIG SET failed (possibly "
				       "related to argument '%s') - %s", name,
				       err);
			return;
		}
	}
	*r->s->cfg = next;
	kv_reply_ok(r->c);
}

void
cmd_config_resetstat(struct kv_req *r)
{
	memset(&r->s->stats, 0, sizeof(r->s->stats));
	kv_reply_ok(r->c);
}

void
cmd_dbsize(struct kv_req *r)
{
	kv_reply_int(r->c, (long long)kv_dbsize(r->s, r->c->db));
}

void
cmd_time(struct kv_req *r)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	kv_reply_array(r->c, 2);
	kv_reply_bulk_ll(r->c, (long long)tv.tv_sec);
	kv_reply_bulk_ll(r->c, (long long)tv.tv_usec);
}

/* A text buffer for INFO. */
struct info_buf {
	char *p;
	size_t len, cap;
};

static void info_add(struct info_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* info_add -- append formatted text; silently truncates when full. */
static void
info_add(struct info_buf *b, const char *fmt, ...)
{
	va_list ap;

	if (b->len >= b->cap)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len = b->len + (size_t)n < b->cap ? b->len + (size_t)n :
			 b->cap - 1;
}

/* human_bytes -- Redis's bytesToHuman. */
static void
human_bytes(char *buf, size_t len, uint64_t n)
{
	if (n < 1024)
		snprintf(buf, len, "%lluB", (unsigned long long)n);
	else if (n < 1024ULL * 1024)
		snprintf(buf, len, "%.2fK", (double)n / 1024);
	else if (n < 1024ULL * 1024 * 1024)
		snprintf(buf, len, "%.2fM", (double)n / (1024 * 1024));
	else
		snprintf(buf, len, "%.2fG", (double)n / (1024 * 1024 * 1024));
}

static const char *const policy_names[] = {
	"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
	"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
};

/* info_section -- append one section if wanted. */
static void
info_section(struct kv_req *r, struct info_buf *b, const char *name)
{
	struct kv_shard *s = r->s;
	const struct rp_config *cfg = s->cfg;
	uint64_t up = (s->now_ms - s->start_ms) / 1000;
	char h1[32], h2[32];

	if (b->len > 0)
		info_add(b, "\r\n");
	if (!strcmp(name, "server")) {
		struct utsname u;
		uname(&u);
		info_add(b, "# Server\r\nredis_version:%s\r\n"
			 "redpoll_version:%s\r\nredis_mode:standalone\r\n"
			 "os:%s %s %s\r\narch_bits:%zu\r\n"
			 "multiplexing_api:dpdk\r\nprocess_id:%d\r\n"
			 "tcp_port:%u\r\nuptime_in_seconds:%llu\r\n"
			 "uptime_in_days:%llu\r\nhz:%u\r\n"
			 "executable:redpoll\r\nconfig_file:\r\n",
			 KV_REDIS_VERSION, RP_VERSION, u.sysname, u.release,
			 u.machine, sizeof(void *) * 8, (int)getpid(),
			 cfg->port, (unsigned long long)up,
			 (unsigned long long)up / 86400, cfg->hz);
	} else if (!strcmp(name, "memory")) {
		human_bytes(h1, sizeof(h1), s->used_memory);
		human_bytes(h2, sizeof(h2), cfg->maxmemory);
		info_add(b, "# Memory\r\nused_memory:%llu\r\n"
			 "used_memory_human:%s\r\nmaxmemory:%llu\r\n"
			 "maxmemory_human:%s\r\nmaxmemory_policy:%s\r\n",
			 (unsigned long long)s->used_memory, h1,
			 (unsigned long long)cfg->maxmemory, h2,
			 policy_names[cfg->maxmemory_policy]);
	} else if (!strcmp(name, "persistence")) {
		info_add(b, "# Persistence\r\nloading:0\r\n"
			 "aof_enabled:0\r\nrdb_bgsave_in_progress:0\r\n"
			 "redpoll_persistence:%s\r\n",
			 s->log == NULL ? "off" :
			 cfg->persistence == CFG_PERSIST_SYNC ? "sync" :
			 "async");
		if (s->log != NULL)
			info_add(b, "pmem_is_pmem:%d\r\npmem_log_bytes:%llu\r\n"
				 "pmem_log_free_bytes:%llu\r\n"
				 "pmem_log_records:%llu\r\n",
				 pm_log_is_pmem(s->log),
				 (unsigned long long)pm_log_used_bytes(s->log),
				 (unsigned long long)pm_log_free_bytes(s->log),
				 (unsigned long long)pm_log_records(s->log));
	} else if (!strcmp(name, "stats")) {
		info_add(b, "# Stats\r\ntotal_commands_processed:%llu\r\n"
			 "rejected_calls:%llu\r\nexpired_keys:%llu\r\n"
			 "evicted_keys:%llu\r\nkeyspace_hits:%llu\r\n"
			 "keyspace_misses:%llu\r\nkeyspace_rehashes:%llu\r\n"
			 "pmem_log_full_errors:%llu\r\n",
			 (unsigned long long)s->stats.commands,
			 (unsigned long long)s->stats.rejected_calls,
			 (unsigned long long)s->stats.expired_keys,
			 (unsigned long long)s->stats.evicted_keys,
			 (unsigned long long)s->stats.keyspace_hits,
			 (unsigned long long)s->stats.keyspace_misses,
			 (unsigned long long)s->stats.rehashes,
			 (unsigned long long)s->stats.log_full_errors);
	} else if (!strcmp(name, "keyspace")) {
		info_add(b, "# Keyspace\r\n");
		for (unsigned db = 0; db < s->n_db; db++)
			if (s->db[db].keys > 0)
				info_add(b, "db%u:keys=%llu,expires=%llu,"
					 "avg_ttl=0\r\n", db,
					 (unsigned long long)s->db[db].keys,
					 (unsigned long long)kv_expires(s, db));
	} else if (s->hooks.info != NULL) {
		size_t n = s->hooks.info(s->hooks.ctx, name, b->p + b->len,
					 b->cap - b->len);
		if (n == 0 && b->len >= 2)
			b->len -= 2;    /* nothing: drop the separator */
		else
			b->len += n;
	} else if (b->len >= 2) {
		b->len -= 2;
	}
}

void
cmd_info(struct kv_req *r)
{
	static const char *const defaults[] = {
		"server", "clients", "memory", "persistence", "stats",
		"keyspace", NULL };
	static const char *const all[] = {
		"server", "clients", "memory", "persistence", "stats",
		"keyspace", "network", "workers", NULL };
	struct info_buf b = { .cap = INFO_BUF };
	char name[32];

	b.p = malloc(b.cap);
	if (b.p == NULL) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	b.p[0] = '\0';
	if (r->argc == 1) {
		for (int i = 0; defaults[i] != NULL; i++)
			info_section(r, &b, defaults[i]);
	}
	for (int i = 1; i < r->argc; i++) {
		snprintf(name, sizeof(name), "%.*s", (int)r->argv[i].len,
			 r->argv[i].ptr);
		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (!strcmp(name, "default")) {
			for (int k = 0; defaults[k] != NULL; k++)
				info_section(r, &b, defaults[k]);
		} else if (!strcmp(name, "all") ||
			   !strcmp(name, "everything")) {
			for (int k = 0; all[k] != NULL; k++)
				info_section(r, &b, all[k]);
		} else {
			info_section(r, &b, name);
		}
	}
	if (b.len > 0)
		info_add(&b, "\r\n");
	kv_reply_bulk(r->c, b.p, b.len);
	free(b.p);
}
