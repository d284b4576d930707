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
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <rte_common.h>

#include "cmd_table.h"
#include "kv_private.h"
#include "pm.h"

#define KV_REDIS_VERSION "7.0.15"
#define INFO_BUF (64 * 1024)

/* cmd_ping -- PING [message]: PONG or the message. */
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

/* cmd_echo -- ECHO message. */
void
cmd_echo(struct kv_req *r)
{
	kv_reply_bulk(r->c, r->argv[1].ptr, r->argv[1].len);
}

/* cmd_quit -- QUIT: +OK, then the connection closes. */
void
cmd_quit(struct kv_req *r)
{
	kv_reply_ok(r->c);
	r->c->flags |= KV_CLIENT_CLOSE_AFTER_REPLY;
}

/*
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. redpoll's data is durable
 * in the pmem log whatever the flags, so SAVE/NOSAVE change nothing; the
 * shutdown itself is the upper layer's (hooks.shutdown). As with Redis,
 * the client gets no reply: its connection closes.
 */
void
cmd_shutdown(struct kv_req *r)
{
	bool save = false, nosave = false, other = false, cancel = false;

	for (int i = 1; i < r->argc; i++) {
		if (kv_arg_is(&r->argv[i], "nosave")) {
			nosave = true;
		} else if (kv_arg_is(&r->argv[i], "save")) {
			save = true;
		} else if (kv_arg_is(&r->argv[i], "now") ||
			   kv_arg_is(&r->argv[i], "force")) {
			other = true;
		} else if (kv_arg_is(&r->argv[i], "abort")) {
			cancel = true;
		} else {
			kv_reply_error(r->c, "ERR syntax error");
			return;
		}
	}
	if ((cancel && (save || nosave || other)) || (save && nosave)) {
		kv_reply_error(r->c, "ERR syntax error");
		return;
	}
	if (cancel) {
		/* A shutdown is immediate here: none is ever pending. */
		kv_reply_error(r->c, "ERR No shutdown in progress.");
		return;
	}
	if (r->s->hooks.shutdown == NULL) {
		kv_reply_error(r->c, "ERR Errors trying to SHUTDOWN. Check logs.");
		return;
	}
	r->s->hooks.shutdown(r->s->hooks.ctx);
	r->c->flags |= KV_CLIENT_CLOSE_AFTER_REPLY;
}

/* cmd_select -- SELECT index: the client's database. */
void
cmd_select(struct kv_req *r)
{
	long long id;

	if (!kv_str2ll(r->argv[1].ptr, r->argv[1].len, &id)) {
		kv_reply_error(r->c, KV_ERR_NOT_INT);
		return;
	}
	if (id < INT32_MIN || id > INT32_MAX) {
		kv_reply_error(r->c, "ERR value is out of range, value must "
			       "between %d and %d", INT32_MIN, INT32_MAX);
		return;
	}
	if (id < 0 || id >= (long long)r->s->n_db) {
		kv_reply_error(r->c, KV_ERR_DB_INDEX);
		return;
	}
	r->c->db = (unsigned)id;
	kv_reply_ok(r->c);
}

/*
 * check_password -- AUTH's rule for the one user redpoll has, "default":
 * without requirepass it is Redis's "nopass" user (any password goes).
 */
static bool
check_password(struct kv_req *r, const struct kv_arg *user,
	       const struct kv_arg *pass)
{
	const char *want = r->s->cfg->requirepass;

	/* User names are case-sensitive. */
	if (user != NULL && (user->len != 7 ||
			     memcmp(user->ptr, "default", 7) != 0))
		return false;
	if (want[0] == '\0')
		return true;
	return pass->len == strlen(want) &&
	       memcmp(pass->ptr, want, pass->len) == 0;
}

/* cmd_auth -- AUTH [user] password. */
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

/* cmd_hello -- HELLO [protover [AUTH u p] [SETNAME name]], RESP2 only. */
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

/* cmd_client_id -- CLIENT ID. */
void
cmd_client_id(struct kv_req *r)
{
	kv_reply_int(r->c, (long long)r->c->id);
}

/* cmd_client_setname -- CLIENT SETNAME name. */
void
cmd_client_setname(struct kv_req *r)
{
	if (set_name(r, &r->argv[2]))
		kv_reply_ok(r->c);
}

/* cmd_client_getname -- CLIENT GETNAME. */
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
	char flags[8], *f = flags;
	int queued;
	bool dirty_cas;

	/* Redis's letters, in its order. */
	kv_multi_info(c, &queued, &dirty_cas);
	if (c->flags & KV_CLIENT_MULTI)
		*f++ = 'x';
	if (dirty_cas)
		*f++ = 'd';
	if (c->flags & KV_CLIENT_ADMIN)
		*f++ = 'U';
	if (f == flags)
		*f++ = 'N';
	*f = '\0';
	int n = snprintf(buf, len, "id=%llu addr=%s laddr=%s fd=-1 name=%s "
			 "age=%llu idle=%llu flags=%s db=%u sub=0 psub=0 "
			 "ssub=0 multi=%d qbuf=%llu qbuf-free=0 argv-mem=0 "
			 "multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=%llu "
			 "tot-mem=0 events=r cmd=%s user=default redir=-1 "
			 "resp=%d\n", (unsigned long long)c->id, c->addr,
			 c->laddr, c->name ? c->name : "",
			 (unsigned long long)(s->now_ms - c->ctime_ms) / 1000,
			 (unsigned long long)(s->now_ms - c->last_ms) / 1000,
			 flags, c->db, queued, (unsigned long long)c->qbuf,
			 (unsigned long long)c->omem,
			 c->last_cmd ? c->last_cmd : "NULL", c->resp);
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

/* cmd_client_info -- CLIENT INFO: this client, as a CLIENT LIST line. */
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

/* What CLIENT KILL looks for. */
struct kill_ctx {
	struct kv_req *r;
	const struct kv_arg *addr, *laddr;
	long long id;              /* 0: any */
	bool any_type;             /* TYPE normal, or none given */
	bool skipme;
	long long killed;
};

static bool
arg_eq(const struct kv_arg *a, const char *s)
{
	return a->len == strlen(s) && memcmp(a->ptr, s, a->len) == 0;
}

/* kill_one -- hooks.client_foreach callback of CLIENT KILL. */
static void
kill_one(struct kv_client *c, void *arg)
{
	struct kill_ctx *x = arg;

	if ((x->id != 0 && c->id != (uint64_t)x->id) || !x->any_type ||
	    (x->addr != NULL && !arg_eq(x->addr, c->addr)) ||
	    (x->laddr != NULL && !arg_eq(x->laddr, c->laddr)) ||
	    (x->skipme && c->id == x->r->c->id))
		return;
	x->killed++;
	if (c == x->r->c)
		c->flags |= KV_CLIENT_CLOSE_AFTER_REPLY;
	else if (x->r->s->hooks.client_kill != NULL)
		x->r->s->hooks.client_kill(x->r->s->hooks.ctx, c);
}

/* kill_all -- run kill_one over this worker's clients and the caller. */
static void
kill_all(struct kv_req *r, struct kill_ctx *x)
{
	if ((r->c->flags & KV_CLIENT_ADMIN) || r->s->hooks.client_foreach == NULL)
		kill_one(r->c, x);
	if (r->s->hooks.client_foreach != NULL)
		r->s->hooks.client_foreach(r->s->hooks.ctx, kill_one, x);
}

/*
 * cmd_client_kill -- CLIENT KILL ip:port (+OK or "No such client"), or
 * CLIENT KILL <filter> <value> ... with ID, TYPE, USER, ADDR, LADDR,
 * SKIPME: the number of clients closed.
 */
void
cmd_client_kill(struct kv_req *r)
{
	struct kill_ctx x = { .r = r, .any_type = true, .skipme = true };

	if (r->argc == 3) {
		x.addr = &r->argv[2];
		x.skipme = false;
		kill_all(r, &x);
		if (x.killed == 0)
			kv_reply_error(r->c, "ERR No such client");
		else
			kv_reply_ok(r->c);
		return;
	}
	if (r->argc % 2 != 0) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	for (int i = 2; i < r->argc; i += 2) {
		const struct kv_arg *v = &r->argv[i + 1];
		if (kv_arg_is(&r->argv[i], "id")) {
			if (!kv_str2ll(v->ptr, v->len, &x.id) || x.id <= 0) {
				kv_reply_error(r->c, "ERR client-id should be "
					       "greater than 0");
				return;
			}
		} else if (kv_arg_is(&r->argv[i], "type")) {
			if (kv_arg_is(v, "normal")) {
				x.any_type = true;
			} else if (kv_arg_is(v, "master") ||
				   kv_arg_is(v, "replica") ||
				   kv_arg_is(v, "slave") ||
				   kv_arg_is(v, "pubsub")) {
				x.any_type = false;   /* redpoll has none */
			} else {
				kv_reply_error(r->c, "ERR Unknown client type "
					       "'%.*s'", (int)RTE_MIN(v->len,
					       (size_t)128), v->ptr);
				return;
			}
		} else if (kv_arg_is(&r->argv[i], "user")) {
			if (!arg_eq(v, "default")) {
				kv_reply_error(r->c, "ERR No such user '%.*s'",
					       (int)RTE_MIN(v->len, (size_t)128),
					       v->ptr);
				return;
			}
		} else if (kv_arg_is(&r->argv[i], "addr")) {
			x.addr = v;
		} else if (kv_arg_is(&r->argv[i], "laddr")) {
			x.laddr = v;
		} else if (kv_arg_is(&r->argv[i], "skipme")) {
			if (kv_arg_is(v, "yes")) {
				x.skipme = true;
			} else if (kv_arg_is(v, "no")) {
				x.skipme = false;
			} else {
				kv_reply_error(r->c, KV_ERR_SYNTAX);
				return;
			}
		} else {
			kv_reply_error(r->c, KV_ERR_SYNTAX);
			return;
		}
	}
	kill_all(r, &x);
	kv_reply_int(r->c, x.killed);
}

/* cmd_client_list -- CLIENT LIST: every client of this worker. */
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
	/* Admin socket clients are the control plane's, not the worker's:
	 * the caller is listed itself. */
	if ((r->c->flags & KV_CLIENT_ADMIN) ||
	    r->s->hooks.client_foreach == NULL)
		list_one(r->c, &x);
	if (r->s->hooks.client_foreach != NULL)
		r->s->hooks.client_foreach(r->s->hooks.ctx, list_one, &x);
	kv_reply_bulk(r->c, x.buf, x.len);
	free(x.buf);
}

/* cmd_command -- COMMAND: the COMMAND INFO entry of every command. */
void
cmd_command(struct kv_req *r)
{
	kv_reply_array(r->c, kv_cmd_table_len);
	for (unsigned i = 0; i < kv_cmd_table_len; i++)
		kv_reply_raw(r->c, kv_cmd_table[i].info_resp,
			     kv_cmd_table[i].info_len);
}

/* cmd_command_count -- COMMAND COUNT. */
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

/* cmd_command_info -- COMMAND INFO [name ...]: nil for unknown names. */
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

/* cmd_command_docs -- COMMAND DOCS [name ...]: unknown names left out. */
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

enum list_filter { LIST_ALL, LIST_MODULE, LIST_ACLCAT, LIST_PATTERN };

/* has_category -- whether "@a @b" holds @cat (Redis: case-insensitive). */
static bool
has_category(const char *cats, const struct kv_arg *cat)
{
	for (const char *p = cats; *p != '\0'; ) {
		const char *w = p + 1;             /* past '@' */
		const char *e = strchr(w, ' ');
		size_t n = e != NULL ? (size_t)(e - w) : strlen(w);
		if (n == cat->len && strncasecmp(w, cat->ptr, n) == 0)
			return true;
		p = w + n + (e != NULL);
	}
	return false;
}

/* list_add -- COMMAND LIST: cmd and its subcommands that pass the filter. */
static unsigned
list_add(struct kv_req *r, const struct kv_cmd *cmd, enum list_filter f,
	 const struct kv_arg *arg, bool emit)
{
	unsigned n = 0;
	bool keep = f == LIST_ALL ||
		    (f == LIST_ACLCAT &&
		     has_category(cmd->acl_categories, arg)) ||
		    (f == LIST_PATTERN &&
		     kv_stringmatch(arg->ptr, arg->len, cmd->name,
				    strlen(cmd->name), true));

	if (keep) {
		n++;
		if (emit)
			kv_reply_bulk_cstr(r->c, cmd->name);
	}
	for (unsigned i = 0; i < cmd->n_subcmds; i++)
		n += list_add(r, &cmd->subcmds[i], f, arg, emit);
	return n;
}

/*
 * cmd_command_list -- COMMAND LIST [FILTERBY MODULE name | ACLCAT cat |
 * PATTERN pattern]: commands and subcommands by full name. redpoll has no
 * modules, so MODULE matches nothing.
 */
void
cmd_command_list(struct kv_req *r)
{
	enum list_filter f = LIST_ALL;
	const struct kv_arg *arg = NULL;
	unsigned n = 0;

	if (r->argc == 5 && kv_arg_is(&r->argv[2], "filterby")) {
		arg = &r->argv[4];
		if (kv_arg_is(&r->argv[3], "module"))
			f = LIST_MODULE;
		else if (kv_arg_is(&r->argv[3], "aclcat"))
			f = LIST_ACLCAT;
		else if (kv_arg_is(&r->argv[3], "pattern"))
			f = LIST_PATTERN;
	}
	if (r->argc != 2 && f == LIST_ALL) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	for (unsigned i = 0; i < kv_cmd_table_len; i++)
		n += list_add(r, &kv_cmd_table[i], f, arg, false);
	kv_reply_array(r->c, n);
	for (unsigned i = 0; i < kv_cmd_table_len; i++)
		list_add(r, &kv_cmd_table[i], f, arg, true);
}

#define CONFIG_MAX_NAMES 128
#define CONFIG_NAME_LEN 64

/* CONFIG GET's matches: the name to reply with and the directive's. */
struct config_get_ctx {
	const struct kv_arg *pat;
	unsigned n;
	struct {
		const char *reply;   /* as the client wrote it, or table's */
		size_t reply_len;
		char name[CONFIG_NAME_LEN];
	} m[CONFIG_MAX_NAMES];
};

/* config_add -- add a match unless the directive is already there. */
static void
config_add(struct config_get_ctx *x, const char *reply, size_t len,
	   const char *name)
{
	for (unsigned i = 0; i < x->n; i++)
		if (strcasecmp(x->m[i].name, name) == 0)
			return;
	if (x->n == CONFIG_MAX_NAMES)
		return;
	x->m[x->n].reply = reply;
	x->m[x->n].reply_len = len;
	snprintf(x->m[x->n].name, CONFIG_NAME_LEN, "%s", name);
	x->n++;
}

/* config_match -- cfg_foreach callback: names matching the pattern. */
static void
config_match(const char *name, void *arg)
{
	struct config_get_ctx *x = arg;

	if (kv_stringmatch(x->pat->ptr, x->pat->len, name, strlen(name), true))
		config_add(x, name, strlen(name), name);
}

/*
 * cmd_config_get -- as Redis 7.0: a name without glob characters is looked
 * up and answered under the spelling the client used; a pattern matches
 * the directive names. Each directive is answered once.
 */
void
cmd_config_get(struct kv_req *r)
{
	struct config_get_ctx x = { .n = 0 };
	char name[CONFIG_NAME_LEN], val[PATH_MAX + 64];

	for (int i = 2; i < r->argc; i++) {
		const struct kv_arg *a = &r->argv[i];
		x.pat = a;
		if (memchr(a->ptr, '*', a->len) == NULL &&
		    memchr(a->ptr, '?', a->len) == NULL &&
		    memchr(a->ptr, '[', a->len) == NULL) {
			if (a->len >= sizeof(name))
				continue;
			memcpy(name, a->ptr, a->len);
			name[a->len] = '\0';
			if (cfg_get(r->s->cfg, name, val, sizeof(val)) >= 0)
				config_add(&x, a->ptr, a->len, name);
		} else {
			cfg_foreach(config_match, &x);
		}
	}
	kv_reply_array(r->c, 2 * (long long)x.n);
	for (unsigned i = 0; i < x.n; i++) {
		int n = cfg_get(r->s->cfg, x.m[i].name, val, sizeof(val));
		kv_reply_bulk(r->c, x.m[i].reply, x.m[i].reply_len);
		kv_reply_bulk(r->c, val, n > 0 ? (size_t)n : 0);
	}
}

/*
 * config_set_notify -- tell the upper layers (kv_hooks.config_set) the
 * new values of the n directives CONFIG SET changed, as CONFIG GET
 * shows them.
 */
static void
config_set_notify(struct kv_req *r, int n,
		  char names[][CONFIG_NAME_LEN])
{
	const struct kv_hooks *h = &r->s->hooks;
	char val[PATH_MAX + 64];

	if (h->config_set == NULL)
		return;
	for (int i = 0; i < n; i++) {
		for (char *p = names[i]; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (cfg_get(r->s->cfg, names[i], val, sizeof(val)) >= 0)
			h->config_set(h->ctx, names[i], val);
	}
}

/*
 * cmd_config_set -- as Redis 7.0: first every name is checked (an unknown
 * one wins over any other error, then immutable and duplicate names),
 * then the values are applied to a copy of the configuration, which
 * replaces the live one only if all of them were valid.
 */
void
cmd_config_set(struct kv_req *r)
{
	struct rp_config next;
	char names[CONFIG_MAX_NAMES][CONFIG_NAME_LEN];
	char err[CFG_ERR_LEN], value[PATH_MAX], val[PATH_MAX + 64];
	int n = (r->argc - 2) / 2, bad = -1;
	const char *why = NULL;

	if (r->argc % 2 != 0 || n > CONFIG_MAX_NAMES) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	for (int i = 0; i < n; i++) {
		const struct kv_arg *a = &r->argv[2 + 2 * i];
		snprintf(names[i], CONFIG_NAME_LEN, "%.*s", (int)a->len,
			 a->ptr);
		if (a->len >= CONFIG_NAME_LEN ||
		    cfg_get(r->s->cfg, names[i], val, sizeof(val)) < 0) {
			kv_reply_error(r->c, "ERR Unknown option or number of "
				       "arguments for CONFIG SET - '%.*s'",
				       (int)a->len, a->ptr);
			return;
		}
		if (why != NULL)
			continue;
		if (!cfg_is_mutable(names[i]))
			why = "can't set immutable config";
		for (int j = 0; j < i && why == NULL; j++)
			if (strcasecmp(names[j], names[i]) == 0)
				why = "duplicate parameter";
		if (why != NULL)
			bad = i;
	}
	if (why != NULL) {
		kv_reply_error(r->c, "ERR CONFIG SET failed (possibly "
			       "related to argument '%s') - %s", names[bad],
			       why);
		return;
	}
	next = *r->s->cfg;
	for (int i = 0; i < n; i++) {
		const struct kv_arg *v = &r->argv[3 + 2 * i];
		int rc = -EINVAL;
		snprintf(err, sizeof(err), "argument too long");
		if (v->len < sizeof(value)) {
			memcpy(value, v->ptr, v->len);
			value[v->len] = '\0';
			rc = cfg_set(&next, names[i], value, err, sizeof(err));
		}
		/*
		 * sync and async switch at run time; a worker started with
		 * persistence off has no log to write, and one with a log
		 * must not silently stop writing it (a later restart would
		 * replay a log with holes): those need a restart.
		 */
		if (rc == 0 && strcasecmp(names[i], "persistence") == 0 &&
		    (next.persistence == CFG_PERSIST_OFF) !=
		    (r->s->log == NULL)) {
			snprintf(err, sizeof(err), "switching persistence "
				 "on or off needs a restart (sync and async "
				 "switch at run time)");
			rc = -EPERM;
		}
		if (rc != 0) {
			/* Redis names the directive itself here. */
			for (char *p = names[i]; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			kv_reply_error(r->c, "ERR CONFIG SET failed (possibly "
				       "related to argument '%s') - %s",
				       names[i], err);
			return;
		}
	}
	*r->s->cfg = next;
	config_set_notify(r, n, names);
	kv_reply_ok(r->c);
}

/*
 * cmd_config_rewrite -- CONFIG REWRITE: write the running configuration
 * back into the file redpoll was started with (cfg_rewrite keeps its
 * comments and order). Runs on the worker like every command; the file
 * is small and rewritten rarely.
 */
void
cmd_config_rewrite(struct kv_req *r)
{
	char err[CFG_ERR_LEN];
	const char *path = r->s->cfg->config_file;
	int rc;

	if (path[0] == '\0') {
		kv_reply_error(r->c, "ERR The server is running without a "
			       "config file");
		return;
	}
	rc = cfg_rewrite(r->s->cfg, path, err, sizeof(err));
	if (rc != 0) {
		rte_log(RTE_LOG_WARNING, kv_logtype, "CONFIG REWRITE failed: "
			"%s\n", err);
		kv_reply_error(r->c, "ERR Rewriting config file: %s",
			       strerror(-rc));
		return;
	}
	rte_log(RTE_LOG_NOTICE, kv_logtype, "CONFIG REWRITE: %s rewritten\n",
		path);
	kv_reply_ok(r->c);
}

/* cmd_config_resetstat -- CONFIG RESETSTAT: zero the INFO stats. */
void
cmd_config_resetstat(struct kv_req *r)
{
	memset(&r->s->stats, 0, sizeof(r->s->stats));
	kv_stats_reset(r->s);
	kv_reply_ok(r->c);
}

/* cmd_dbsize -- DBSIZE: keys of the client's database. */
void
cmd_dbsize(struct kv_req *r)
{
	kv_reply_int(r->c, (long long)kv_dbsize(r->s, r->c->db));
}

/* cmd_time -- TIME: unix seconds and microseconds. */
void
cmd_time(struct kv_req *r)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	kv_reply_array(r->c, 2);
	kv_reply_bulk_ll(r->c, (long long)tv.tv_sec);
	kv_reply_bulk_ll(r->c, (long long)tv.tv_usec);
}

#define KV_OPS_PERIOD_MS 100

/* kv_ops_sample -- sample the command rate every KV_OPS_PERIOD_MS. */
void
kv_ops_sample(struct kv_shard *s)
{
	struct kv_ops_meter *m = &s->stats.ops;
	uint64_t dt = s->now_ms - m->last_ms;

	if (dt < KV_OPS_PERIOD_MS)
		return;
	if (m->last_ms != 0) {
		m->samples[m->idx] = (s->stats.commands - m->last_commands) *
				     1000 / dt;
		m->idx = (m->idx + 1) % KV_OPS_SAMPLES;
	}
	m->last_ms = s->now_ms;
	m->last_commands = s->stats.commands;
}

/* kv_ops_per_sec -- the mean of the last KV_OPS_SAMPLES rates. */
uint64_t
kv_ops_per_sec(const struct kv_shard *s)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < KV_OPS_SAMPLES; i++)
		sum += s->stats.ops.samples[i];
	return sum / KV_OPS_SAMPLES;
}

/* A text buffer for INFO. */
struct info_buf {
	char *p;
	size_t len, cap;
};

/* info_vadd -- append formatted text; silently truncates when full. */
static void
info_vadd(struct info_buf *b, const char *fmt, va_list ap)
{
	if (b->len >= b->cap)
		return;
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	if (n > 0)
		b->len = b->len + (size_t)n < b->cap ? b->len + (size_t)n :
			 b->cap - 1;
}

static void __attribute__((format(printf, 2, 3)))
info_add(struct info_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	info_vadd(b, fmt, ap);
	va_end(ap);
}

/* info_add_cb -- info_add for kv_stats_info (an untyped buffer). */
static void
info_add_cb(void *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	info_vadd(b, fmt, ap);
	va_end(ap);
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

/* info_server -- INFO server: what a Redis client looks for, and ours. */
static void
info_server(struct kv_shard *s, struct info_buf *b)
{
	const struct rp_config *cfg = s->cfg;
	uint64_t up = (s->now_ms - s->start_ms) / 1000;
	char exe[PATH_MAX];
	struct utsname u;
	struct timeval tv;

	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	gettimeofday(&tv, NULL);
	info_add(b, "# Server\r\nredis_version:%s\r\nredpoll_version:%s\r\n"
		 "redis_git_sha1:00000000\r\nredis_git_dirty:0\r\n"
		 "redis_mode:standalone\r\nos:%s %s %s\r\narch_bits:%zu\r\n"
		 "multiplexing_api:dpdk\r\ngcc_version:%d.%d.%d\r\n"
		 "process_id:%d\r\nprocess_supervised:no\r\n"
		 "tcp_port:%u\r\nserver_time_usec:%llu\r\n"
		 "uptime_in_seconds:%llu\r\nuptime_in_days:%llu\r\n"
		 "hz:%u\r\nconfigured_hz:%u\r\nexecutable:%s\r\n"
		 "config_file:%s\r\n",
		 KV_REDIS_VERSION, RP_VERSION, u.sysname, u.release,
		 u.machine, sizeof(void *) * 8, __GNUC__, __GNUC_MINOR__,
		 __GNUC_PATCHLEVEL__, (int)getpid(), cfg->port,
		 (unsigned long long)tv.tv_sec * 1000000 +
		 (unsigned long long)tv.tv_usec, (unsigned long long)up,
		 (unsigned long long)up / 86400, cfg->hz, cfg->hz, exe,
		 cfg->config_file);
}

/* info_memory -- INFO memory: the shard's accounting and the limit. */
static void
info_memory(struct kv_shard *s, struct info_buf *b)
{
	const struct rp_config *cfg = s->cfg;
	char h1[32], h2[32];

	human_bytes(h1, sizeof(h1), s->used_memory);
	human_bytes(h2, sizeof(h2), cfg->maxmemory);
	info_add(b, "# Memory\r\nused_memory:%llu\r\n"
		 "used_memory_human:%s\r\nmaxmemory:%llu\r\n"
		 "maxmemory_human:%s\r\nmaxmemory_policy:%s\r\n",
		 (unsigned long long)s->used_memory, h1,
		 (unsigned long long)cfg->maxmemory, h2,
		 policy_names[cfg->maxmemory_policy]);
}

/*
 * info_persistence -- INFO persistence: Redis's RDB fields for redpoll's
 * snapshots, then the pmem log's.
 */
static void
info_persistence(struct kv_shard *s, struct info_buf *b)
{
	const struct kv_snap *sn = &s->snap;
	long long cur = sn->running ?
		(long long)((s->now_ms - sn->start_ms) / 1000) : -1;
	long long last = sn->n_ok != 0 ? (long long)sn->last_ms / 1000 : -1;

	info_add(b, "# Persistence\r\nloading:0\r\nasync_loading:0\r\n"
		 "rdb_changes_since_last_save:%llu\r\n"
		 "rdb_bgsave_in_progress:%d\r\nrdb_last_save_time:%llu\r\n"
		 "rdb_last_bgsave_status:%s\r\n"
		 "rdb_last_bgsave_time_sec:%lld\r\n"
		 "rdb_current_bgsave_time_sec:%lld\r\n"
		 "rdb_saves:%llu\r\naof_enabled:0\r\n"
		 "redpoll_persistence:%s\r\n"
		 "redpoll_snapshots_ok:%llu\r\nredpoll_snapshots_failed:%llu\r\n"
		 "redpoll_snapshot_keys_done:%llu\r\n"
		 "redpoll_snapshot_keys_total:%llu\r\n"
		 "redpoll_last_snapshot_ms:%llu\r\n"
		 "redpoll_last_snapshot_bytes:%llu\r\n"
		 "redpoll_last_snapshot_keys:%llu\r\n",
		 (unsigned long long)sn->dirty, sn->running,
		 (unsigned long long)s->lastsave,
		 sn->n_failed != 0 && !sn->last_ok ? "err" : "ok", last, cur,
		 (unsigned long long)sn->n_ok,
		 s->log == NULL ? "off" :
		 s->cfg->persistence == CFG_PERSIST_SYNC ? "sync" : "async",
		 (unsigned long long)sn->n_ok, (unsigned long long)sn->n_failed,
		 (unsigned long long)(sn->running ? sn->written : 0),
		 (unsigned long long)(sn->running ? sn->target : 0),
		 (unsigned long long)sn->last_ms,
		 (unsigned long long)sn->last_bytes,
		 (unsigned long long)sn->last_keys);
	if (s->log != NULL)
		info_add(b, "pmem_is_pmem:%d\r\npmem_log_bytes:%llu\r\n"
			 "pmem_log_free_bytes:%llu\r\n"
			 "pmem_log_records:%llu\r\n"
			 "pmem_log_drains:%llu\r\n"
			 "pmem_log_drains_per_sec:%llu\r\n",
			 pm_log_is_pmem(s->log),
			 (unsigned long long)pm_log_used_bytes(s->log),
			 (unsigned long long)pm_log_free_bytes(s->log),
			 (unsigned long long)pm_log_records(s->log),
			 (unsigned long long)pm_log_drains(s->log),
			 (unsigned long long)s->drains_per_sec);
}

/* info_stats -- INFO stats: the shard's counters. */
static void
info_stats(struct kv_shard *s, struct info_buf *b)
{
	const struct kv_stats *st = &s->stats;

	info_add(b, "# Stats\r\ntotal_commands_processed:%llu\r\n"
		 "instantaneous_ops_per_sec:%llu\r\n"
		 "expired_keys:%llu\r\nevicted_keys:%llu\r\n"
		 "keyspace_hits:%llu\r\nkeyspace_misses:%llu\r\n"
		 "rejected_calls:%llu\r\nkeyspace_rehashes:%llu\r\n"
		 "total_error_replies:%llu\r\n"
		 "pmem_log_full_errors:%llu\r\n",
		 (unsigned long long)st->commands,
		 (unsigned long long)kv_ops_per_sec(s),
		 (unsigned long long)st->expired_keys,
		 (unsigned long long)st->evicted_keys,
		 (unsigned long long)st->keyspace_hits,
		 (unsigned long long)st->keyspace_misses,
		 (unsigned long long)st->rejected_calls,
		 (unsigned long long)st->rehashes,
		 (unsigned long long)s->error_replies,
		 (unsigned long long)st->log_full_errors);
	/* The connection layer's counters (output and query limits). */
	if (s->hooks.info != NULL && b->len < b->cap)
		b->len += s->hooks.info(s->hooks.ctx, "stats", b->p + b->len,
					b->cap - b->len);
}

/* info_commandstats -- INFO commandstats (and the two below). */
static void
info_commandstats(struct kv_shard *s, struct info_buf *b)
{
	kv_stats_info(s, "commandstats", info_add_cb, b);
}

static void
info_errorstats(struct kv_shard *s, struct info_buf *b)
{
	kv_stats_info(s, "errorstats", info_add_cb, b);
}

static void
info_latencystats(struct kv_shard *s, struct info_buf *b)
{
	kv_stats_info(s, "latencystats", info_add_cb, b);
}

/* info_replication -- INFO replication: a master without replicas. */
static void
info_replication(struct kv_shard *s, struct info_buf *b)
{
	(void)s;
	info_add(b, "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"
		 "master_repl_offset:0\r\n");
}

/* info_cpu -- INFO cpu: the process's CPU time. */
static void
info_cpu(struct kv_shard *s, struct info_buf *b)
{
	struct rusage self, children;

	(void)s;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	info_add(b, "# CPU\r\nused_cpu_sys:%ld.%06ld\r\n"
		 "used_cpu_user:%ld.%06ld\r\nused_cpu_sys_children:%ld.%06ld"
		 "\r\nused_cpu_user_children:%ld.%06ld\r\n",
		 (long)self.ru_stime.tv_sec, (long)self.ru_stime.tv_usec,
		 (long)self.ru_utime.tv_sec, (long)self.ru_utime.tv_usec,
		 (long)children.ru_stime.tv_sec,
		 (long)children.ru_stime.tv_usec,
		 (long)children.ru_utime.tv_sec,
		 (long)children.ru_utime.tv_usec);
}

/* info_keyspace -- INFO keyspace: one line per non-empty database. */
static void
info_keyspace(struct kv_shard *s, struct info_buf *b)
{
	info_add(b, "# Keyspace\r\n");
	for (unsigned db = 0; db < s->n_db; db++)
		if (s->db[db].keys > 0)
			info_add(b, "db%u:keys=%llu,expires=%llu,avg_ttl=0\r\n",
				 db, (unsigned long long)s->db[db].keys,
				 (unsigned long long)kv_expires(s, db));
}

/*
 * INFO's sections in the order Redis prints them whatever the order asked
 * (redpoll's own last); fn NULL: the section belongs to the dataplane
 * (hooks.info). dflt: part of INFO without arguments and "default".
 */
static const struct {
	const char *name;
	bool dflt;
	void (*fn)(struct kv_shard *s, struct info_buf *b);
} info_sections[] = {
	{ "server", true, info_server },
	{ "clients", true, NULL },
	{ "memory", true, info_memory },
	{ "persistence", true, info_persistence },
	{ "stats", true, info_stats },
	{ "replication", true, info_replication },
	{ "cpu", true, info_cpu },
	{ "commandstats", false, info_commandstats },
	{ "errorstats", true, info_errorstats },
	{ "latencystats", false, info_latencystats },
	{ "keyspace", true, info_keyspace },
	{ "network", false, NULL },
	{ "workers", false, NULL },
	{ "dataplane", false, NULL },
};
#define N_INFO_SECTIONS RTE_DIM(info_sections)

/*
 * cmd_info -- INFO [section ...]: the sections asked for ("default",
 * "all" and "everything" included), separated by an empty line.
 */
void
cmd_info(struct kv_req *r)
{
	struct kv_shard *s = r->s;
	struct info_buf b = { .cap = INFO_BUF };
	bool want[N_INFO_SECTIONS] = { false };

	for (unsigned k = 0; k < N_INFO_SECTIONS; k++)
		want[k] = r->argc == 1 && info_sections[k].dflt;
	for (int i = 1; i < r->argc; i++) {
		bool all = kv_arg_is(&r->argv[i], "all") ||
			   kv_arg_is(&r->argv[i], "everything");
		bool dflt = kv_arg_is(&r->argv[i], "default");
		for (unsigned k = 0; k < N_INFO_SECTIONS; k++)
			if (all || (dflt && info_sections[k].dflt) ||
			    kv_arg_is(&r->argv[i], info_sections[k].name))
				want[k] = true;
	}
	b.p = malloc(b.cap);
	if (b.p == NULL) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	for (unsigned k = 0; k < N_INFO_SECTIONS; k++) {
		size_t before = b.len;
		if (!want[k])
			continue;
		if (b.len > 0)
			info_add(&b, "\r\n");
		if (info_sections[k].fn != NULL)
			info_sections[k].fn(s, &b);
		else if (s->hooks.info != NULL && b.len < b.cap)
			b.len += s->hooks.info(s->hooks.ctx,
					       info_sections[k].name,
					       b.p + b.len, b.cap - b.len);
		if (b.len == before + 2 * (before > 0))
			b.len = before;    /* nothing: drop the separator */
	}
	kv_reply_bulk(r->c, b.p, b.len);
	free(b.p);
}

/* --- INFO over several shards ------------------------------------------ */

/* Sections whose counters add up over shards; the others are shard 0's. */
static const char *const info_summed[] = {
	"Clients", "Memory", "Persistence", "Stats", "Commandstats",
	"Errorstats", "Keyspace", "Network", "Workers", "Dataplane",
};

/* Fields that describe the process, not a shard: never added up. */
static const char *const info_not_summed[] = {
	"maxclients", "maxmemory", "workers", "total_system_memory",
	"loading", "async_loading", "rdb_last_save_time", "rdb_last_bgsave_time_sec",
	"rdb_current_bgsave_time_sec", "redpoll_last_snapshot_ms",
	"aof_enabled", "aof_rewrite_in_progress",
};

struct info_field {
	char *key;                 /* "section\0key" */
	size_t klen;
	char *val;                 /* text of the first shard's value */
	long double sum[8];        /* summed components */
	unsigned n_comp;
	bool summed;
};

struct info_merge {
	struct info_field *f;
	unsigned n, cap;
};

static bool
in_list(const char *const *list, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
			return true;
	return false;
}

/*
 * comps -- the numbers of a value: "12" or "keys=3,expires=0"; false if
 * any part is not an integer (then the value is not added up).
 */
static bool
comps(const char *v, size_t len, long double *out, unsigned *n)
{
	*n = 0;
	for (size_t i = 0; i < len && *n < 8;) {
		const char *eq = memchr(v + i, '=', len - i);
		const char *comma = memchr(v + i, ',', len - i);
		size_t start = i;
		if (eq != NULL && (comma == NULL || eq < comma))
			start = (size_t)(eq - v) + 1;
		size_t end = comma != NULL ? (size_t)(comma - v) : len;
		long long x;
		/* usec_per_call is recomputed from the sums (write_value). */
		if (start - i == 14 && memcmp(v + i, "usec_per_call=", 14) == 0)
			x = 0;
		else if (!kv_str2ll(v + start, end - start, &x))
			return false;
		out[(*n)++] = (long double)x;
		i = end + 1;
	}
	return *n > 0;
}

/* merge_line -- fold one "key:value" line of a section into m. */
static void
merge_line(struct info_merge *m, const char *sec, size_t slen,
	   const char *line, size_t len, bool sum)
{
	const char *colon = memchr(line, ':', len);
	if (colon == NULL)
		return;
	size_t kl = (size_t)(colon - line), vl = len - kl - 1;
	const char *v = colon + 1;
	char key[256];
	if (slen + 1 + kl >= sizeof(key))
		return;
	memcpy(key, sec, slen);
	key[slen] = '\0';
	memcpy(key + slen + 1, line, kl);
	size_t klen = slen + 1 + kl;

	for (unsigned i = 0; i < m->n; i++) {
		struct info_field *f = &m->f[i];
		if (f->klen != klen || memcmp(f->key, key, klen) != 0)
			continue;
		long double c[8];
		unsigned nc;
		if (f->summed && comps(v, vl, c, &nc) && nc == f->n_comp)
			for (unsigned k = 0; k < nc; k++)
				f->sum[k] += c[k];
		return;
	}
	if (m->n == m->cap) {
		unsigned cap = m->cap ? m->cap * 2 : 64;
		struct info_field *nf = realloc(m->f, cap * sizeof(*nf));
		if (nf == NULL)
			return;
		m->f = nf;
		m->cap = cap;
	}
	struct info_field *f = &m->f[m->n];
	f->key = malloc(klen);
	f->val = malloc(vl + 1);
	if (f->key == NULL || f->val == NULL) {
		free(f->key);
		free(f->val);
		return;
	}
	memcpy(f->key, key, klen);
	f->klen = klen;
	memcpy(f->val, v, vl);
	f->val[vl] = '\0';
	/* The port is one for all workers: its lines are not added up. */
	f->summed = sum && !in_list(info_not_summed, RTE_DIM(info_not_summed),
				    line, kl) &&
		    !(kl > 5 && memcmp(line, "port_", 5) == 0) &&
		    comps(v, vl, f->sum, &f->n_comp);
	m->n++;
}

/* write_value -- a summed value in the first shard's shape. */
static void
write_value(struct info_buf *b, const struct info_field *f)
{
	if (!f->summed) {
		info_add(b, "%s", f->val);
		return;
	}
	const char *v = f->val;
	for (unsigned k = 0; k < f->n_comp; k++) {
		const char *eq = strchr(v, '=');
		const char *comma = strchr(v, ',');
		if (eq != NULL && (comma == NULL || eq < comma))
			info_add(b, "%.*s", (int)(eq - v + 1), v);
		if (eq != NULL && strncmp(v, "usec_per_call=", 14) == 0)
			/* cmdstat: calls=,usec=,usec_per_call= */
			info_add(b, "%.2Lf", f->sum[0] > 0 ?
				 f->sum[1] / f->sum[0] : 0.0L);
		else
			info_add(b, "%.0Lf", f->sum[k]);
		if (comma == NULL)
			break;
		info_add(b, ",");
		v = comma + 1;
	}
}

/* field_cmp -- qsort: info fields by name (Redis lists errors so). */
static int
field_cmp(const void *a, const void *b)
{
	const struct info_field *x = *(const struct info_field *const *)a;
	const struct info_field *y = *(const struct info_field *const *)b;
	size_t l = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, l);

	return c != 0 ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

size_t
kv_info_merge(const char *const *texts, const size_t *lens, unsigned n,
	      char **out)
{
	struct info_merge m = { 0 };
	struct info_buf b = { .cap = INFO_BUF };
	char secs[32][32];
	unsigned n_secs = 0;

	b.p = malloc(b.cap);
	if (b.p == NULL)
		return 0;
	for (unsigned s = 0; s < n; s++) {
		const char *p = texts[s], *end = texts[s] + lens[s];
		const char *sec = "";
		size_t slen = 0;
		bool sum = false, keep = true;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *le = nl != NULL ? nl : end;
			size_t len = (size_t)(le - p);
			if (len > 0 && p[len - 1] == '\r')
				len--;
			if (len > 2 && p[0] == '#' && p[1] == ' ') {
				sec = p + 2;
				slen = len - 2;
				sum = in_list(info_summed, RTE_DIM(info_summed),
					      sec, slen);
				/* Shard 0 sets the sections and their order. */
				keep = s == 0 || sum;
				if (s == 0 && n_secs < 32 && slen < 32) {
					memcpy(secs[n_secs], sec, slen);
					secs[n_secs++][slen] = '\0';
				}
			} else if (len > 0 && keep) {
				merge_line(&m, sec, slen, p, len, sum);
			}
			p = nl != NULL ? nl + 1 : end;
		}
	}
	/* A section's fields in the order the shards gave them; the
	 * errors by name, as Redis's radix tree lists them. */
	const struct info_field **sec_f = malloc((m.n + 1) * sizeof(*sec_f));
	for (unsigned i = 0; i < n_secs && sec_f != NULL; i++) {
		size_t sl = strlen(secs[i]);
		unsigned nf = 0;
		info_add(&b, "%s# %s\r\n", i ? "\r\n" : "", secs[i]);
		for (unsigned k = 0; k < m.n; k++) {
			const struct info_field *f = &m.f[k];
			if (f->klen > sl && memcmp(f->key, secs[i], sl) == 0 &&
			    f->key[sl] == '\0')
				sec_f[nf++] = f;
		}
		if (strcmp(secs[i], "Errorstats") == 0)
			qsort(sec_f, nf, sizeof(*sec_f), field_cmp);
		for (unsigned k = 0; k < nf; k++) {
			const struct info_field *f = sec_f[k];
			info_add(&b, "%.*s:", (int)(f->klen - sl - 1),
				 f->key + sl + 1);
			write_value(&b, f);
			info_add(&b, "\r\n");
		}
	}
	bool oom = sec_f == NULL;
	free(sec_f);
	for (unsigned k = 0; k < m.n; k++) {
		free(m.f[k].key);
		free(m.f[k].val);
	}
	free(m.f);
	if (oom) {
		free(b.p);
		return 0;
	}
	*out = b.p;
	return b.len;
}

/* --- MONITOR -------------------------------------------------------------- */

/*
 * MONITOR: the client gets +OK, then one line per command any client of
 * this shard runs: "+<unix s>.<us> [<db> <addr>] "arg" ...", arguments
 * quoted as Redis's sdscatrepr does. Admin-socket clients cannot
 * monitor (their replies only travel with a request of theirs).
 */
void
cmd_monitor(struct kv_req *r)
{
	struct kv_shard *s = r->s;

	if (r->c->flags & KV_CLIENT_ADMIN) {
		kv_reply_error(r->c, "ERR MONITOR is not available on the admin "
			       "socket; use the data port");
		return;
	}
	if (r->c->flags & KV_CLIENT_MONITOR)
		return;                 /* already, as Redis: no reply */
	if (s->n_monitors == s->cap_monitors) {
		unsigned cap = s->cap_monitors ? s->cap_monitors * 2 : 4;
		struct kv_client **m = realloc(s->monitors, cap * sizeof(*m));
		if (m == NULL) {
			kv_reply_error(r->c, "OOM out of memory");
			return;
		}
		s->monitors = m;
		s->cap_monitors = cap;
	}
	s->monitors[s->n_monitors++] = r->c;
	r->c->flags |= KV_CLIENT_MONITOR;
	r->c->monitor = s;
	kv_reply_ok(r->c);
}

void
kv_monitor_remove(struct kv_client *c)
{
	struct kv_shard *s = c->monitor;

	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->n_monitors; i++) {
		if (s->monitors[i] == c) {
			s->monitors[i] = s->monitors[--s->n_monitors];
			break;
		}
	}
	c->monitor = NULL;
	c->flags &= ~KV_CLIENT_MONITOR;
}

/* repr -- an argument as sdscatrepr writes it, into b. */
static void
repr(struct info_buf *b, const char *p, size_t len)
{
	info_add(b, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];
		switch (ch) {
		case '\\': info_add(b, "\\\\"); break;
		case '"': info_add(b, "\\\""); break;
		case '\n': info_add(b, "\\n"); break;
		case '\r': info_add(b, "\\r"); break;
		case '\t': info_add(b, "\\t"); break;
		case '\a': info_add(b, "\\a"); break;
		case '\b': info_add(b, "\\b"); break;
		default:
			if (isprint(ch))
				info_add(b, "%c", ch);
			else
				info_add(b, "\\x%02x", ch);
		}
	}
	info_add(b, "\"");
}

void
kv_monitor_feed(struct kv_shard *s, const struct kv_client *c, int argc,
		const struct kv_arg *argv)
{
	struct info_buf b = { .cap = 256 };
	struct timespec ts;

	for (int i = 0; i < argc; i++)
		b.cap += argv[i].len * 4 + 3;
	b.p = malloc(b.cap);
	if (b.p == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	bool unix_client = (c->flags & KV_CLIENT_ADMIN) != 0;
	info_add(&b, "+%lld.%06ld [%u %s%s]", (long long)ts.tv_sec,
		 ts.tv_nsec / 1000, c->db, unix_client ? "unix:" : "",
		 c->addr);
	for (int i = 0; i < argc; i++) {
		info_add(&b, " ");
		repr(&b, argv[i].ptr, argv[i].len);
	}
	info_add(&b, "\r\n");
	for (unsigned i = 0; i < s->n_monitors; i++)
		if (s->monitors[i] != c)
			kv_reply_raw(s->monitors[i], b.p, b.len);
	free(b.p);
}
