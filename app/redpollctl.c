/*
 * redpollctl.c -- the operator's CLI: talks RESP to redpoll's admin
 * socket and prints human tables, or JSON with --json.
 *
 *   redpollctl [-s PATH] [--json] <command> [args]     (see usage())
 *
 * Exit codes a script can rely on:
 *   0  done
 *   1  redpoll answered with an error
 *   2  bad usage
 *   3  the admin socket cannot be reached (redpoll not running?)
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define EX_OK      0
#define EX_REPLY   1
#define EX_USAGE   2
#define EX_CONNECT 3

#define DEFAULT_SOCKET "/run/redpoll.sock"
#define MAX_REPLY (256u * 1024 * 1024)
#define MAX_DEPTH 8

/* A reply, parsed. */
enum rtype { R_STATUS, R_ERROR, R_INT, R_BULK, R_NIL, R_ARRAY };

struct reply {
	enum rtype type;
	long long integer;
	char *str;                   /* STATUS, ERROR, BULK (NUL-ended) */
	size_t len;
	struct reply *elem;          /* ARRAY */
	size_t n;
};

struct ctl {
	const char *path;
	bool json;
	int fd;
	char *buf;                   /* received, not yet parsed */
	size_t len, cap, off;
};

static void
die_connect(const struct ctl *c, const char *what)
{
	fprintf(stderr, "redpollctl: %s %s: %s (is redpoll running? its "
		"admin-socket directive names the path; -s PATH)\n", what,
		c->path, strerror(errno));
	exit(EX_CONNECT);
}

/* ctl_connect -- open the admin socket. */
static void
ctl_connect(struct ctl *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		die_connect(c, "cannot connect to");
	}
	memcpy(sa.sun_path, c->path, strlen(c->path));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa,
				 sizeof(sa)) != 0)
		die_connect(c, "cannot connect to");
}

/* ctl_send -- send one request as a RESP multibulk. */
static void
ctl_send(struct ctl *c, int argc, const char *const *argv)
{
	size_t cap = 64, len = 0;
	for (int i = 0; i < argc; i++)
		cap += strlen(argv[i]) + 32;
	char *out = malloc(cap);
	if (out == NULL) {
		fprintf(stderr, "redpollctl: out of memory\n");
		exit(EX_REPLY);
	}
	len += (size_t)snprintf(out, cap, "*%d\r\n", argc);
	for (int i = 0; i < argc; i++)
		len += (size_t)snprintf(out + len, cap - len, "$%zu\r\n%s\r\n",
					strlen(argv[i]), argv[i]);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(c->fd, out + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die_connect(c, "lost the connection to");
		off += (size_t)n;
	}
	free(out);
}

/* fill -- read more bytes; false at EOF. */
static bool
fill(struct ctl *c)
{
	if (c->off > 0 && c->off == c->len)
		c->off = c->len = 0;
	if (c->cap - c->len < 65536) {
		size_t cap = c->cap ? c->cap * 2 : 131072;
		char *b = realloc(c->buf, cap);
		if (b == NULL)
			return false;
		c->buf = b;
		c->cap = cap;
	}
	ssize_t n;
	do {
		n = read(c->fd, c->buf + c->len, c->cap - c->len);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	c->len += (size_t)n;
	return true;
}

/* line -- the next CRLF-ended line (NUL-ended in place), or NULL. */
static char *
line(struct ctl *c)
{
	for (;;) {
		char *p = c->off < c->len ?
			  memchr(c->buf + c->off, '\n', c->len - c->off) : NULL;
		if (p != NULL && p > c->buf + c->off && p[-1] == '\r') {
			char *l = c->buf + c->off;
			p[-1] = '\0';
			c->off = (size_t)(p - c->buf) + 1;
			return l;
		}
		if (c->len - c->off > 65536 || !fill(c))
			return NULL;
	}
}

/* parse_ll -- a whole decimal number; false if it is not one. */
static bool
parse_ll(const char *s, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return *s != '\0' && *end == '\0' && errno == 0;
}

/*
 * read_reply -- parse one reply; false on a malformed or truncated one.
 * Bounded: MAX_REPLY bytes per bulk, MAX_DEPTH nesting.
 */
static bool
read_reply(struct ctl *c, struct reply *r, int depth)
{
	long long n;
	char *l = line(c);

	memset(r, 0, sizeof(*r));
	if (l == NULL || depth > MAX_DEPTH)
		return false;
	switch (l[0]) {
	case '+':
	case '-':
		r->type = l[0] == '+' ? R_STATUS : R_ERROR;
		r->str = strdup(l + 1);
		r->len = strlen(l + 1);
		return r->str != NULL;
	case ':':
		r->type = R_INT;
		return parse_ll(l + 1, &r->integer);
	case '$':
		if (!parse_ll(l + 1, &n) || n < -1 || n > (long long)MAX_REPLY)
			return false;
		if (n == -1) {
			r->type = R_NIL;
			return true;
		}
		r->type = R_BULK;
		while (c->len - c->off < (size_t)n + 2)
			if (!fill(c))
				return false;
		r->str = malloc((size_t)n + 1);
		if (r->str == NULL)
			return false;
		memcpy(r->str, c->buf + c->off, (size_t)n);
		r->str[n] = '\0';
		r->len = (size_t)n;
		c->off += (size_t)n + 2;
		return true;
	case '*':
		if (!parse_ll(l + 1, &n) || n < -1 || n > 1000000)
			return false;
		if (n == -1) {
			r->type = R_NIL;
			return true;
		}
		r->type = R_ARRAY;
		r->elem = calloc((size_t)n + 1, sizeof(*r->elem));
		if (r->elem == NULL)
			return false;
		for (r->n = 0; r->n < (size_t)n; r->n++)
			if (!read_reply(c, &r->elem[r->n], depth + 1))
				return false;
		return true;
	default:
		return false;
	}
}

static void
reply_free(struct reply *r)
{
	for (size_t i = 0; i < r->n; i++)
		reply_free(&r->elem[i]);
	free(r->elem);
	free(r->str);
}

/* call -- send a request and parse its reply (exits on I/O failure). */
static void
call(struct ctl *c, struct reply *r, int argc, const char *const *argv)
{
	ctl_send(c, argc, argv);
	if (!read_reply(c, r, 0)) {
		fprintf(stderr, "redpollctl: no valid reply from %s\n",
			c->path);
		exit(EX_CONNECT);
	}
}

/* call_text -- a request whose reply must be a bulk string; exits on an
 * error reply. The caller frees the returned string. */
static char *
call_text(struct ctl *c, int argc, const char *const *argv)
{
	struct reply r;

	call(c, &r, argc, argv);
	if (r.type == R_ERROR) {
		fprintf(stderr, "redpollctl: %s\n", r.str);
		exit(EX_REPLY);
	}
	if (r.type != R_BULK) {
		fprintf(stderr, "redpollctl: unexpected reply to %s\n",
			argv[0]);
		exit(EX_REPLY);
	}
	return r.str;
}

/*
 * info_get -- the value of field in INFO-style text, "" if absent. The
 * result lives in one of 8 static buffers used in turn, so a printf may
 * take several.
 */
static const char *
info_get(const char *text, const char *field)
{
	static char vals[8][256];
	static unsigned turn;
	char *val = vals[turn++ % 8];
	const size_t cap = sizeof(vals[0]);
	size_t fl = strlen(field);

	for (const char *p = text; p != NULL && *p != '\0';) {
		const char *e = strstr(p, "\r\n");
		size_t ll = e ? (size_t)(e - p) : strlen(p);
		if (ll > fl && strncmp(p, field, fl) == 0 && p[fl] == ':') {
			size_t vl = ll - fl - 1;
			if (vl >= cap)
				vl = cap - 1;
			memcpy(val, p + fl + 1, vl);
			val[vl] = '\0';
			return val;
		}
		p = e ? e + 2 : NULL;
	}
	return "";
}

/* json_str -- print s as a JSON string. */
static void
json_str(const char *s, size_t len)
{
	putchar('"');
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* json_value -- a number stays a number, anything else is a string. */
static void
json_value(const char *v)
{
	long long n;

	if (parse_ll(v, &n))
		printf("%lld", n);
	else
		json_str(v, strlen(v));
}

/* print_info -- INFO-style text: as it is, or as one JSON object. */
static void
print_info(const struct ctl *c, const char *text)
{
	if (!c->json) {
		for (const char *p = text; *p != '\0'; p++)
			if (*p != '\r')
				putchar(*p);
		return;
	}
	bool first = true;
	putchar('{');
	for (const char *p = text; p != NULL && *p != '\0';) {
		const char *e = strstr(p, "\r\n");
		size_t ll = e ? (size_t)(e - p) : strlen(p);
		const char *colon = memchr(p, ':', ll);
		if (ll > 0 && p[0] != '#' && colon != NULL) {
			char val[1024];
			size_t vl = ll - (size_t)(colon - p) - 1;
			if (vl >= sizeof(val))
				vl = sizeof(val) - 1;
			memcpy(val, colon + 1, vl);
			val[vl] = '\0';
			printf("%s", first ? "" : ",");
			json_str(p, (size_t)(colon - p));
			putchar(':');
			json_value(val);
			first = false;
		}
		p = e ? e + 2 : NULL;
	}
	printf("}\n");
}

/* cmd_status -- the appliance at a glance. */
static int
cmd_status(struct ctl *c)
{
	static const char *const info[] = { "INFO", "server", "clients",
		"memory", "persistence", "stats", "keyspace", "workers" };
	static const char *const ports[] = { "ADMIN", "PORTS" };
	static const char *const mode[] = { "CONFIG", "GET", "persistence" };
	char *text = call_text(c, 8, info);
	char *port = call_text(c, 2, ports);
	struct reply r;

	call(c, &r, 3, mode);
	const char *pmode = r.type == R_ARRAY && r.n == 2 ? r.elem[1].str :
			    "?";
	/* Keys: the sum over the dbN lines of INFO keyspace. */
	long long keys = 0;
	for (const char *p = strstr(text, "\ndb"); p != NULL;
	     p = strstr(p + 1, "\ndb")) {
		const char *k = strstr(p, ":keys=");
		if (k != NULL)
			keys += atoll(k + 6);
	}
	if (c->json) {
		printf("{\"version\":");
		json_str(info_get(text, "redis_version"),
			 strlen(info_get(text, "redis_version")));
		printf(",\"uptime_s\":%s", info_get(text, "uptime_in_seconds"));
		printf(",\"workers\":%s", info_get(text, "workers"));
		printf(",\"port\":");
		json_str(info_get(port, "name"), strlen(info_get(port, "name")));
		printf(",\"link\":");
		json_str(info_get(port, "link"), strlen(info_get(port, "link")));
		printf(",\"connected_clients\":%s",
		       info_get(text, "connected_clients"));
		printf(",\"used_memory\":%s", info_get(text, "used_memory"));
		printf(",\"keys\":%lld,\"persistence\":", keys);
		json_str(pmode, strlen(pmode));
		printf(",\"total_commands_processed\":%s}\n",
		       info_get(text, "total_commands_processed"));
	} else {
		printf("%-12s %s\n", "version", info_get(text, "redis_version"));
		printf("%-12s %s s\n", "uptime",
		       info_get(text, "uptime_in_seconds"));
		printf("%-12s %s\n", "workers", info_get(text, "workers"));
		printf("%-12s %s (%s, link %s)\n", "port", info_get(port, "name"),
		       info_get(port, "driver"), info_get(port, "link"));
		printf("%-12s %s\n", "clients",
		       info_get(text, "connected_clients"));
		printf("%-12s %s\n", "memory",
		       info_get(text, "used_memory_human"));
		printf("%-12s %lld\n", "keys", keys);
		printf("%-12s %s\n", "persistence", pmode);
		printf("%-12s %s\n", "commands",
		       info_get(text, "total_commands_processed"));
	}
	reply_free(&r);
	free(text);
	free(port);
	return EX_OK;
}

/* worker_num -- the value of INFO field "worker<w>_<name>" as a number. */
static double
worker_num(const char *text, unsigned w, const char *name)
{
	char f[96];

	snprintf(f, sizeof(f), "worker%u_%s", w, name);
	return atof(info_get(text, f));
}

/* cmd_cores -- per worker: commands, busy share, cycles per request,
 * connections; a total row (text) over every worker. */
static int
cmd_cores(struct ctl *c)
{
	static const char *const info[] = { "INFO", "workers", "clients" };
	char *text = call_text(c, 3, info);
	unsigned n = (unsigned)atoi(info_get(text, "workers"));
	double tot_cmds = 0, tot_busy = 0;

	if (c->json)
		printf("[");
	else
		printf("%-7s %12s %8s %9s %9s %6s %12s %8s %10s %12s %10s %10s "
		       "%6s\n", "worker", "commands", "busy%", "cyc/req",
		       "cyc/req1s", "cpu1s", "admin_reqs", "conns", "keys",
		       "memory", "local", "remote", "ring");
	for (unsigned w = 0; w < n; w++) {
#define W(name) worker_num(text, w, name)
		double cmds = W("commands"), busy = W("busy_cycles");
		double idle = W("idle_cycles");
		double cpr = W("cycles_per_request");
		double cpr1 = W("cycles_per_request_last_s");
		double cmds1 = W("commands_last_s");
		double share = W("cpu_share_last_s"), hz = W("tsc_hz");
		double adm = W("ctl_requests"), conns = W("connections");
		double keys = W("keys"), mem = W("used_memory");
		double local = W("requests_local");
		double remote = W("requests_remote"), ring = W("ring_depth");
		double st_in = W("steered_in"), st_out = W("steered_out");
		double st_tx = W("tx_handoff"), st_drops = W("steer_drops");
#undef W
		double pct = busy + idle > 0 ? 100.0 * busy / (busy + idle) : 0;
		tot_cmds += cmds;
		tot_busy += busy;
		if (c->json)
			printf("%s{\"worker\":%u,\"commands\":%.0f,"
			       "\"busy_pct\":%.2f,\"busy_cycles\":%.0f,"
			       "\"tsc_hz\":%.0f,\"cycles_per_request\":%.1f,"
			       "\"commands_last_s\":%.0f,"
			       "\"cycles_per_request_last_s\":%.1f,"
			       "\"cpu_share_last_s\":%.3f,"
			       "\"admin_requests\":%.0f,"
			       "\"connections\":%.0f,\"keys\":%.0f,"
			       "\"used_memory\":%.0f,\"requests_local\":%.0f,"
			       "\"requests_remote\":%.0f,\"ring_depth\":%.0f,"
			       "\"steered_in\":%.0f,\"steered_out\":%.0f,"
			       "\"tx_handoff\":%.0f,\"steer_drops\":%.0f}",
			       w ? "," : "", w, cmds, pct, busy, hz, cpr, cmds1,
			       cpr1, share, adm, conns, keys, mem, local,
			       remote, ring, st_in, st_out, st_tx, st_drops);
		else
			printf("%-7u %12.0f %8.2f %9.0f %9.0f %5.0f%% %12.0f "
			       "%8.0f %10.0f %12.0f %10.0f %10.0f %6.0f\n", w,
			       cmds, pct, cpr, cpr1, 100 * share, adm, conns,
			       keys, mem, local, remote, ring);
	}
	if (c->json)
		printf("]\n");
	else if (n > 1)
		printf("%-7s %12.0f %8s %9.0f\n", "total", tot_cmds, "",
		       tot_cmds > 0 ? tot_busy / tot_cmds : 0.0);
	free(text);
	return EX_OK;
}

/* cmd_conns -- CLIENT LIST as a table, lines containing filter only. */
static int
cmd_conns(struct ctl *c, const char *filter)
{
	static const char *const list[] = { "CLIENT", "LIST" };
	static const char *const cols[] = { "id", "addr", "age", "idle",
					    "db", "cmd", "name" };
	char *text = call_text(c, 2, list);
	bool first = true;

	if (c->json)
		printf("[");
	else
		printf("%-8s %-24s %8s %8s %4s %-16s %s\n", "id", "addr", "age",
		       "idle", "db", "cmd", "name");
	for (char *p = text, *e; p != NULL && *p != '\0'; p = e ? e + 1 : NULL) {
		e = strchr(p, '\n');
		if (e != NULL)
			*e = '\0';
		if (filter != NULL && strstr(p, filter) == NULL)
			continue;
		char vals[7][128];
		for (int i = 0; i < 7; i++) {
			char key[16];
			snprintf(key, sizeof(key), "%s=", cols[i]);
			const char *k = p;
			vals[i][0] = '\0';
			while ((k = strstr(k, key)) != NULL) {
				if (k == p || k[-1] == ' ')
					break;
				k++;
			}
			if (k == NULL)
				continue;
			k += strlen(key);
			size_t l = strcspn(k, " ");
			if (l >= sizeof(vals[i]))
				l = sizeof(vals[i]) - 1;
			memcpy(vals[i], k, l);
			vals[i][l] = '\0';
		}
		if (c->json) {
			printf("%s{", first ? "" : ",");
			for (int i = 0; i < 7; i++) {
				printf("%s\"%s\":", i ? "," : "", cols[i]);
				json_value(vals[i]);
			}
			printf("}");
		} else {
			printf("%-8s %-24s %8s %8s %4s %-16s %s\n", vals[0],
			       vals[1], vals[2], vals[3], vals[4], vals[5],
			       vals[6]);
		}
		first = false;
	}
	if (c->json)
		printf("]\n");
	free(text);
	return EX_OK;
}

/* cmd_config -- config get PATTERN | config set NAME VALUE. */
static int
cmd_config(struct ctl *c, int argc, char **argv)
{
	struct reply r;
	int rc = EX_OK;

	if (argc == 2 && strcmp(argv[0], "get") == 0) {
		const char *req[] = { "CONFIG", "GET", argv[1] };
		call(c, &r, 3, req);
	} else if (argc == 3 && strcmp(argv[0], "set") == 0) {
		const char *req[] = { "CONFIG", "SET", argv[1], argv[2] };
		call(c, &r, 4, req);
	} else if (argc == 1 && strcmp(argv[0], "rewrite") == 0) {
		static const char *const req[] = { "CONFIG", "REWRITE" };
		call(c, &r, 2, req);
	} else {
		fprintf(stderr, "usage: redpollctl config get PATTERN | "
			"config set NAME VALUE | config rewrite\n");
		return EX_USAGE;
	}
	if (r.type == R_ERROR) {
		fprintf(stderr, "redpollctl: %s\n", r.str);
		rc = EX_REPLY;
	} else if (r.type == R_ARRAY) {
		if (c->json)
			printf("{");
		for (size_t i = 0; i + 1 < r.n; i += 2) {
			if (c->json) {
				printf("%s", i ? "," : "");
				json_str(r.elem[i].str, r.elem[i].len);
				putchar(':');
				json_str(r.elem[i + 1].str, r.elem[i + 1].len);
			} else {
				printf("%-24s %s\n", r.elem[i].str,
				       r.elem[i + 1].str);
			}
		}
		if (c->json)
			printf("}\n");
	} else {
		printf(c->json ? "{\"result\":\"%s\"}\n" : "%s\n",
		       r.str ? r.str : "");
	}
	reply_free(&r);
	return rc;
}

/*
 * cmd_shutdown -- SHUTDOWN, then wait (up to wait_s) for redpoll to
 * close the socket and remove its file: it has then drained its clients
 * and made its log durable.
 */
static int
cmd_shutdown(struct ctl *c, int wait_s)
{
	static const char *const req[] = { "SHUTDOWN" };
	struct reply r;

	ctl_send(c, 1, req);
	if (read_reply(c, &r, 0)) {
		/* A reply means it refused. */
		fprintf(stderr, "redpollctl: %s\n", r.str ? r.str : "refused");
		reply_free(&r);
		return EX_REPLY;
	}
	for (int i = 0; i < wait_s * 10; i++) {
		if (access(c->path, F_OK) != 0) {
			if (!c->json)
				printf("redpoll stopped\n");
			else
				printf("{\"stopped\":true}\n");
			return EX_OK;
		}
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "redpollctl: redpoll did not stop within %d s\n",
		wait_s);
	return EX_REPLY;
}

/*
 * snapshot_state -- INFO persistence (added up over the workers): whether
 * a snapshot runs, its keys done and total, and the last one's outcome.
 * Prints one line (or JSON object); returns whether one runs.
 */
static bool
snapshot_state(struct ctl *c, bool *ok)
{
	static const char *const req[] = { "INFO", "persistence" };
	char *text = call_text(c, 2, req);
	bool running = atoll(info_get(text, "rdb_bgsave_in_progress")) > 0;
	long long done = atoll(info_get(text, "redpoll_snapshot_keys_done"));
	long long total = atoll(info_get(text, "redpoll_snapshot_keys_total"));
	long long saves = atoll(info_get(text, "rdb_saves"));
	const char *status = info_get(text, "rdb_last_bgsave_status");

	*ok = strcmp(status, "ok") == 0;
	if (c->json)
		printf("{\"running\":%s,\"keys_done\":%lld,\"keys_total\":%lld,"
		       "\"snapshots\":%lld,\"last_status\":\"%s\","
		       "\"last_ms\":%s,\"last_bytes\":%s,\"last_keys\":%s}\n",
		       running ? "true" : "false", done, total, saves, status,
		       info_get(text, "redpoll_last_snapshot_ms"),
		       info_get(text, "redpoll_last_snapshot_bytes"),
		       info_get(text, "redpoll_last_snapshot_keys"));
	else if (running)
		printf("snapshot running: %lld of %lld keys (%.0f%%)\n", done,
		       total, total ? 100.0 * (double)done / (double)total :
		       100.0);
	else
		printf("no snapshot running; last: %s, %s keys, %s bytes in "
		       "%s ms (%lld since start)\n", status,
		       info_get(text, "redpoll_last_snapshot_keys"),
		       info_get(text, "redpoll_last_snapshot_bytes"),
		       info_get(text, "redpoll_last_snapshot_ms"), saves);
	free(text);
	return running;
}

/*
 * cmd_snapshot -- start (BGSAVE: every worker snapshots its shard while
 * serving), progress, wait (start if none runs, report progress every
 * second until it ends) or export (SAVE: snapshot, then one RDB file at
 * dir/dbfilename, written before it returns).
 */
static int
cmd_snapshot(struct ctl *c, int argc, char **argv)
{
	const char *what = argc ? argv[0] : "start";
	struct reply r;
	bool ok = true;

	if (argc > 1 || (strcmp(what, "start") && strcmp(what, "progress") &&
			 strcmp(what, "wait") && strcmp(what, "export"))) {
		fprintf(stderr, "usage: redpollctl snapshot "
			"[start|progress|wait|export]\n");
		return EX_USAGE;
	}
	if (strcmp(what, "progress") == 0) {
		snapshot_state(c, &ok);
		return EX_OK;
	}
	if (strcmp(what, "export") == 0) {
		static const char *const save[] = { "SAVE" };
		static const char *const where[] = { "CONFIG", "GET", "d*" };
		struct reply w;
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		call(c, &r, 1, save);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (r.type == R_ERROR) {
			fprintf(stderr, "redpollctl: %s\n", r.str);
			reply_free(&r);
			return EX_REPLY;
		}
		reply_free(&r);
		call(c, &w, 3, where);
		const char *dir = "", *file = "";
		for (size_t i = 0; w.type == R_ARRAY && i + 1 < w.n; i += 2) {
			if (strcmp(w.elem[i].str, "dir") == 0)
				dir = w.elem[i + 1].str;
			else if (strcmp(w.elem[i].str, "dbfilename") == 0)
				file = w.elem[i + 1].str;
		}
		double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		printf(c->json ? "{\"path\":\"%s/%s\",\"ms\":%.1f}\n" :
		       "exported %s/%s in %.1f ms\n", dir, file, ms);
		reply_free(&w);
		return EX_OK;
	}
	static const char *const bgsave[] = { "BGSAVE" };
	call(c, &r, 1, bgsave);
	/* One already running is what wait waits for. */
	bool running = r.type == R_ERROR && strstr(r.str, "in progress");
	if (r.type == R_ERROR && !(running && strcmp(what, "wait") == 0)) {
		fprintf(stderr, "redpollctl: %s\n", r.str);
		reply_free(&r);
		return EX_REPLY;
	}
	if (strcmp(what, "start") == 0) {
		printf(c->json ? "{\"result\":\"%s\"}\n" : "%s\n", r.str);
		reply_free(&r);
		return EX_OK;
	}
	reply_free(&r);
	while (snapshot_state(c, &ok)) {
		struct timespec ts = { 1, 0 };
		nanosleep(&ts, NULL);
	}
	return ok ? EX_OK : EX_REPLY;
}

/* cmd_top -- cores and throughput, redrawn every second. */
static int
cmd_top(struct ctl *c, int count)
{
	static const char *const info[] = { "INFO", "stats" };
	long long last = -1;

	for (int i = 0; count == 0 || i < count; i++) {
		char *text = call_text(c, 2, info);
		long long total = atoll(info_get(text, "total_commands_processed"));
		if (!c->json)
			printf("\033[H\033[2J");
		printf(c->json ? "{\"ops_per_sec\":%lld,\"total_commands\":%lld}\n"
		       : "redpoll  ops/s %lld  commands %lld\n\n",
		       last < 0 ? 0 : total - last, total);
		last = total;
		free(text);
		if (!c->json)
			cmd_cores(c);
		fflush(stdout);
		if (count == 0 || i + 1 < count)
			sleep(1);
	}
	return EX_OK;
}

/* config_value -- CONFIG GET of one directive (malloc'd), exits on error. */
static char *
config_value(struct ctl *c, const char *name)
{
	const char *req[] = { "CONFIG", "GET", name };
	struct reply r;
	char *v;

	call(c, &r, 3, req);
	if (r.type != R_ARRAY || r.n != 2 || r.elem[1].type != R_BULK) {
		fprintf(stderr, "redpollctl: %s: %s\n", name,
			r.type == R_ERROR ? r.str :
			"unexpected reply to CONFIG GET");
		exit(EX_REPLY);
	}
	v = strdup(r.elem[1].str);
	reply_free(&r);
	if (v == NULL)
		exit(EX_REPLY);
	return v;
}

/*
 * cmd_cli_data -- redis-cli on the data port: the address and port come
 * from CONFIG GET bind-ip/port through the admin socket, the password
 * (if requirepass is set) through REDISCLI_AUTH rather than argv. The
 * arguments after --data go to redis-cli (a command, or none for its
 * interactive mode). Returns only on failure.
 */
static int
cmd_cli_data(struct ctl *c, int argc, char **argv)
{
	char *ip, *port, *pass, **av;
	int rc;

	ctl_connect(c);
	ip = config_value(c, "bind-ip");
	port = config_value(c, "port");
	pass = config_value(c, "requirepass");
	close(c->fd);
	c->fd = -1;
	ip[strcspn(ip, "/")] = '\0';        /* a.b.c.d/len -> a.b.c.d */
	if (pass[0] != '\0')
		setenv("REDISCLI_AUTH", pass, 1);
	free(pass);
	av = calloc((size_t)argc + 6, sizeof(*av));
	rc = av != NULL ? EX_CONNECT : EX_REPLY;
	if (av != NULL) {
		av[0] = "redis-cli";
		av[1] = "-h";
		av[2] = ip;
		av[3] = "-p";
		av[4] = port;
		memcpy(av + 5, argv, (size_t)argc * sizeof(*av));
		execvp("redis-cli", av);
		fprintf(stderr, "redpollctl: cannot run redis-cli: %s\n",
			strerror(errno));
	}
	free(av);
	free(port);
	free(ip);
	return rc;
}

/* reply_error -- print an error reply and return EX_REPLY, else EX_OK. */
static int
reply_error(const struct reply *r)
{
	if (r->type != R_ERROR)
		return EX_OK;
	fprintf(stderr, "redpollctl: %s\n", r->str);
	return EX_REPLY;
}

/* print_scalar -- a non-array reply as text (or JSON). */
static void
print_scalar(const struct ctl *c, const struct reply *r)
{
	if (r->type == R_INT)
		printf("%lld", r->integer);
	else if (r->type == R_NIL)
		printf(c->json ? "null" : "(nil)");
	else if (c->json)
		json_str(r->str, r->len);
	else
		printf("%s", r->str);
}

/* cmd_slowlog -- slowlog [get [N] | len | reset]. */
static int
cmd_slowlog(struct ctl *c, int argc, char **argv)
{
	const char *req[3] = { "SLOWLOG", "GET", NULL };
	struct reply r;
	int n = 2, rc;

	if (argc == 0 || (strcmp(argv[0], "get") == 0 && argc <= 2)) {
		if (argc == 2)
			req[n++] = argv[1];
	} else if (argc == 1 && (strcmp(argv[0], "len") == 0 ||
				 strcmp(argv[0], "reset") == 0)) {
		req[1] = strcmp(argv[0], "len") == 0 ? "LEN" : "RESET";
	} else {
		fprintf(stderr, "usage: redpollctl slowlog [get [N] | len | "
			"reset]\n");
		return EX_USAGE;
	}
	call(c, &r, n, req);
	if ((rc = reply_error(&r)) != EX_OK || r.type != R_ARRAY) {
		if (rc == EX_OK) {
			print_scalar(c, &r);
			putchar('\n');
		}
		reply_free(&r);
		return rc;
	}
	if (c->json)
		printf("[");
	else
		printf("%-6s %-19s %10s  %-22s %s\n", "id", "time",
		       "usec", "client", "command");
	for (size_t i = 0; i < r.n; i++) {
		const struct reply *e = &r.elem[i];
		if (e->type != R_ARRAY || e->n < 6 ||
		    e->elem[3].type != R_ARRAY)
			continue;
		char when[32];
		time_t t = (time_t)e->elem[1].integer;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
			 localtime(&t));
		if (c->json) {
			printf("%s{\"id\":%lld,\"time\":%lld,\"usec\":%lld,"
			       "\"args\":[", i ? "," : "", e->elem[0].integer,
			       e->elem[1].integer, e->elem[2].integer);
			for (size_t a = 0; a < e->elem[3].n; a++) {
				printf("%s", a ? "," : "");
				json_str(e->elem[3].elem[a].str,
					 e->elem[3].elem[a].len);
			}
			printf("],\"client\":");
			json_str(e->elem[4].str, e->elem[4].len);
			printf(",\"name\":");
			json_str(e->elem[5].str, e->elem[5].len);
			printf("}");
			continue;
		}
		printf("%-6lld %-19s %10lld  %-22s", e->elem[0].integer, when,
		       e->elem[2].integer, e->elem[4].str);
		for (size_t a = 0; a < e->elem[3].n; a++)
			printf(" %.*s", 40, e->elem[3].elem[a].str);
		putchar('\n');
	}
	if (c->json)
		printf("]\n");
	reply_free(&r);
	return EX_OK;
}

/* print_tree -- any reply, nested arrays indented (or as JSON). */
static void
print_tree(const struct ctl *c, const struct reply *r, int depth)
{
	if (r->type != R_ARRAY) {
		if (!c->json)
			printf("%*s", depth * 2, "");
		print_scalar(c, r);
		if (!c->json)
			putchar('\n');
		return;
	}
	if (c->json)
		putchar('[');
	for (size_t i = 0; i < r->n; i++) {
		if (c->json && i)
			putchar(',');
		print_tree(c, &r->elem[i], depth + (r->elem[i].type == R_ARRAY));
	}
	if (c->json)
		putchar(']');
	if (c->json && depth == 0)
		putchar('\n');
}

/* cmd_latency -- latency latest|history E|reset [E..]|doctor|histogram. */
static int
cmd_latency(struct ctl *c, int argc, char **argv)
{
	static const char *const subs[] = { "latest", "history", "reset",
					    "doctor", "histogram", NULL };
	const char **req;
	struct reply r;
	int rc;
	bool ok = false;

	for (int i = 0; argc > 0 && subs[i] != NULL; i++)
		ok |= strcmp(argv[0], subs[i]) == 0;
	if (argc == 0 || !ok ||
	    (strcmp(argv[0], "history") == 0 && argc != 2) ||
	    ((strcmp(argv[0], "latest") == 0 ||
	      strcmp(argv[0], "doctor") == 0) && argc != 1)) {
		fprintf(stderr, "usage: redpollctl latency latest | history "
			"EVENT | reset [EVENT...] | doctor | histogram "
			"[COMMAND...]\n");
		return EX_USAGE;
	}
	req = calloc((size_t)argc + 1, sizeof(*req));
	if (req == NULL)
		return EX_REPLY;
	req[0] = "LATENCY";
	for (int i = 0; i < argc; i++)
		req[i + 1] = argv[i];
	call(c, &r, argc + 1, req);
	free(req);
	if ((rc = reply_error(&r)) == EX_OK) {
		if (!c->json && strcmp(argv[0], "latest") == 0 &&
		    r.type == R_ARRAY) {
			printf("%-14s %-19s %8s %8s\n", "event", "time",
			       "last_ms", "max_ms");
			for (size_t i = 0; i < r.n; i++) {
				const struct reply *e = &r.elem[i];
				if (e->type != R_ARRAY || e->n < 4)
					continue;
				char when[32];
				time_t t = (time_t)e->elem[1].integer;
				strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
					 localtime(&t));
				printf("%-14s %-19s %8lld %8lld\n", e->elem[0].str,
				       when, e->elem[2].integer,
				       e->elem[3].integer);
			}
		} else {
			print_tree(c, &r, 0);
		}
	}
	reply_free(&r);
	return rc;
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: redpollctl [-s PATH] [--json] <command> [args]\n"
"\n"
"Operate a running redpoll through its admin socket (default\n"
DEFAULT_SOCKET ", or $REDPOLL_SOCKET).\n"
"\n"
"commands:\n"
"  status                  version, uptime, workers, port, memory, keys,\n"
"                          persistence\n"
"  cores                   per worker: commands, busy %%, busy cycles per\n"
"                          request (run, last second), admin requests,\n"
"                          connections, keys, memory, local and remote\n"
"                          requests, ring depth\n"
"  ports                   link and counters of the port (rte_eth_stats,\n"
"                          xstats)\n"
"  conns [FILTER]          connected clients (CLIENT LIST), only lines\n"
"                          containing FILTER\n"
"  config get PATTERN      configuration values\n"
"  config set NAME VALUE   change a value at run time\n"
"  config rewrite          write the running values into the --config\n"
"                          file (comments and order kept)\n"
"  info [SECTION...]       INFO as redpoll reports it\n"
"  slowlog [get [N]|len|reset]\n"
"                          the slow command log (newest first)\n"
"  latency latest|history EVENT|reset [EVENT...]|doctor|histogram [CMD...]\n"
"                          the latency monitor and per-command histograms\n"
"  top [--count N]         live view refreshed every second\n"
"  snapshot [start|progress|wait|export]\n"
"                          start: every worker snapshots its shard while\n"
"                          serving (BGSAVE); progress: keys done; wait:\n"
"                          start if needed, report until done; export:\n"
"                          SAVE, then one RDB file at dir/dbfilename\n"
"  shutdown [--wait S]     graceful stop: drain clients, make the log\n"
"                          durable, exit; waits up to S seconds (10)\n"
"  cli [ARGS...]           redis-cli on the admin socket\n"
"  cli --data [ARGS...]    redis-cli on the data port (bind-ip and port\n"
"                          read through the admin socket)\n"
"  help [COMMAND]          this text\n"
"\n"
"exit codes: 0 done, 1 redpoll answered with an error, 2 bad usage,\n"
"3 admin socket unreachable\n");
}

/* The connection, released at exit whatever the return path. */
static struct ctl conn = { .fd = -1 };

static void
conn_release(void)
{
	free(conn.buf);
	conn.buf = NULL;
	if (conn.fd >= 0)
		close(conn.fd);
}

int
main(int argc, char **argv)
{
	int i = 1;

	atexit(conn_release);
	conn.path = getenv("REDPOLL_SOCKET");

	if (conn.path == NULL || *conn.path == '\0')
		conn.path = DEFAULT_SOCKET;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if ((strcmp(argv[i], "-s") == 0 ||
		     strcmp(argv[i], "--socket") == 0) && i + 1 < argc) {
			conn.path = argv[++i];
		} else if (strcmp(argv[i], "--json") == 0) {
			conn.json = true;
		} else if (strcmp(argv[i], "-h") == 0 ||
			   strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return EX_OK;
		} else {
			fprintf(stderr, "redpollctl: unknown option %s\n",
				argv[i]);
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return EX_USAGE;
	}
	const char *cmd = argv[i++];
	int rest = argc - i;
	char **args = argv + i;
	for (int k = 0; k < rest; k++) {
		if (strcmp(args[k], "--help") == 0 || strcmp(args[k], "-h") == 0) {
			usage(stdout);
			return EX_OK;
		}
	}
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EX_OK;
	}
	if (strcmp(cmd, "cli") == 0 && rest >= 1 &&
	    strcmp(args[0], "--data") == 0)
		return cmd_cli_data(&conn, rest - 1, args + 1);
	if (strcmp(cmd, "cli") == 0) {
		char **av = calloc((size_t)rest + 4, sizeof(*av));
		if (av == NULL)
			return EX_REPLY;
		av[0] = "redis-cli";
		av[1] = "-s";
		av[2] = (char *)conn.path;
		memcpy(av + 3, args, (size_t)rest * sizeof(*av));
		execvp("redis-cli", av);
		fprintf(stderr, "redpollctl: cannot run redis-cli: %s\n",
			strerror(errno));
		return EX_CONNECT;
	}

	static const char *const known[] = { "status", "cores", "ports",
		"conns", "config", "info", "top", "shutdown", "slowlog",
		"latency", "snapshot", NULL };
	bool ok = false;
	for (int k = 0; known[k] != NULL; k++)
		ok |= strcmp(cmd, known[k]) == 0;
	if (!ok) {
		fprintf(stderr, "redpollctl: unknown command '%s'\n", cmd);
		usage(stderr);
		return EX_USAGE;
	}
	ctl_connect(&conn);

	if (strcmp(cmd, "status") == 0 && rest == 0)
		return cmd_status(&conn);
	if (strcmp(cmd, "cores") == 0 && rest == 0)
		return cmd_cores(&conn);
	if (strcmp(cmd, "ports") == 0 && rest == 0) {
		static const char *const req[] = { "ADMIN", "PORTS" };
		char *text = call_text(&conn, 2, req);
		print_info(&conn, text);
		free(text);
		return EX_OK;
	}
	if (strcmp(cmd, "conns") == 0 && rest <= 1)
		return cmd_conns(&conn, rest ? args[0] : NULL);
	if (strcmp(cmd, "config") == 0)
		return cmd_config(&conn, rest, args);
	if (strcmp(cmd, "slowlog") == 0)
		return cmd_slowlog(&conn, rest, args);
	if (strcmp(cmd, "snapshot") == 0)
		return cmd_snapshot(&conn, rest, args);
	if (strcmp(cmd, "latency") == 0)
		return cmd_latency(&conn, rest, args);
	if (strcmp(cmd, "info") == 0) {
		const char **req = calloc((size_t)rest + 1, sizeof(*req));
		if (req == NULL)
			return EX_REPLY;
		req[0] = "INFO";
		for (int k = 0; k < rest; k++)
			req[k + 1] = args[k];
		char *text = call_text(&conn, rest + 1, req);
		print_info(&conn, text);
		free(text);
		free(req);
		return EX_OK;
	}
	if (strcmp(cmd, "top") == 0) {
		long long n = 0;
		if (rest == 2 && strcmp(args[0], "--count") == 0 &&
		    parse_ll(args[1], &n) && n > 0)
			return cmd_top(&conn, (int)n);
		if (rest == 0)
			return cmd_top(&conn, 0);
	}
	if (strcmp(cmd, "shutdown") == 0) {
		long long s = 10;
		if (rest == 0 || (rest == 2 && strcmp(args[0], "--wait") == 0 &&
				  parse_ll(args[1], &s) && s >= 0 &&
				  s <= 86400))
			return cmd_shutdown(&conn, (int)s);
	}
	fprintf(stderr, "redpollctl: bad arguments for '%s'\n", cmd);
	usage(stderr);
	return EX_USAGE;
}
