/*
 * cfg.c -- the directive table and its parsers.
 *
 * Every directive is one row of cfg_table: name, kind, where it lives in
 * struct rp_config, its bounds or words, whether CONFIG SET may change it,
 * and its default. File parsing, command-line overrides, CONFIG GET/SET
 * and the defaults all read this one table.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"

#define CFG_MAX_INCLUDE 8
#define CFG_MAX_ARGS    16

enum cfg_kind {
	K_UINT,     /* unsigned integer in [min, max] */
	K_MEM,      /* memory size with units, uint64 */
	K_BOOL,     /* yes/no */
	K_ENUM,     /* one of words[] */
	K_STR,      /* string up to the field size */
	K_IPV4NET,  /* a.b.c.d[/len] -> ip + prefix_len */
	K_IPV4,     /* a.b.c.d or "none" -> uint32, 0 = none */
	K_OCTAL,    /* permission bits */
};

struct cfg_directive {
	const char *name;
	enum cfg_kind kind;
	size_t off;            /* offset of the field in rp_config */
	size_t size;           /* size of the field */
	uint64_t min, max;
	const char *const *words;
	bool mutable;
	const char *def;       /* default, as text */
};

static const char *const persist_words[] = { "sync", "async", "off", NULL };
static const char *const evict_words[] = {
	"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
	"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
	NULL };
static const char *const loglevel_words[] = {
	"debug", "verbose", "notice", "warning", NULL };

#define F(field) offsetof(struct rp_config, field), \
	sizeof(((struct rp_config *)0)->field)

static const struct cfg_directive cfg_table[] = {
	{ "bind-ip", K_IPV4NET, F(ip), 0, 0, NULL, false, "198.18.0.1/24" },
	{ "gateway", K_IPV4, F(gateway), 0, 0, NULL, false, "none" },
	{ "port", K_UINT, F(port), 1, 65535, NULL, false, "6379" },
	{ "mtu", K_UINT, F(mtu), 576, 9000, NULL, false, "1500" },
	{ "tcp-backlog", K_UINT, F(tcp_backlog), 1, 65535, NULL, false, "511" },
	{ "tcp-keepalive", K_UINT, F(tcp_keepalive), 0, 86400, NULL, true,
	  "300" },
	{ "timeout", K_UINT, F(timeout), 0, 31536000, NULL, true, "0" },
	{ "maxclients", K_UINT, F(maxclients), 1, 1000000, NULL, true,
	  "10000" },
	{ "rx-descriptors", K_UINT, F(rx_desc), 64, 16384, NULL, false,
	  "1024" },
	{ "tx-descriptors", K_UINT, F(tx_desc), 64, 16384, NULL, false,
	  "1024" },
	{ "mbufs", K_UINT, F(mbufs), 1023, 16777215, NULL, false, "65535" },
	{ "workers", K_UINT, F(workers), 0, 128, NULL, false, "1" },
	{ "worker-idle-sleep-us", K_UINT, F(idle_sleep_us), 0, 1000000, NULL,
	  true, "100" },
	{ "worker-idle-polls", K_UINT, F(idle_polls), 1, 100000000, NULL,
	  true, "10000" },
	{ "hz", K_UINT, F(hz), 1, 500, NULL, true, "10" },
	{ "databases", K_UINT, F(databases), 1, CFG_MAX_DATABASES, NULL,
	  false, "16" },
	{ "maxmemory", K_MEM, F(maxmemory), 0, UINT64_MAX, NULL, true, "0" },
	{ "maxmemory-policy", K_ENUM, F(maxmemory_policy), 0, 0, evict_words,
	  true, "noeviction" },
	{ "active-expire-effort", K_UINT, F(active_expire_effort), 1, 10,
	  NULL, true, "1" },
	{ "requirepass", K_STR, F(requirepass), 0, 0, NULL, true, "" },
	{ "pmem-path", K_STR, F(pmem_path), 0, 0, NULL, false,
	  "/dev/shm/redpoll" },
	{ "pmem-size", K_MEM, F(pmem_size), 1 << 20, UINT64_MAX, NULL, false,
	  "1gb" },
	{ "persistence", K_ENUM, F(persistence), 0, 0, persist_words, true,
	  "sync" },
	{ "persistence-async-us", K_UINT, F(persist_async_us), 1, 10000000,
	  NULL, true, "1000" },
	{ "pmem-repair", K_BOOL, F(pmem_repair), 0, 0, NULL, false, "no" },
	{ "admin-socket", K_STR, F(admin_socket), 0, 0, NULL, false,
	  "/run/redpoll.sock" },
	{ "admin-socket-perm", K_OCTAL, F(admin_socket_perm), 0, 0777, NULL,
	  false, "0600" },
	{ "daemonize", K_BOOL, F(daemonize), 0, 0, NULL, false, "no" },
	{ "pidfile", K_STR, F(pidfile), 0, 0, NULL, false, "" },
	{ "logfile", K_STR, F(logfile), 0, 0, NULL, false, "" },
	/* Reported to clients for compatibility (redis-benchmark reads
	 * them); redpoll's persistence is the pmem log, not RDB or AOF. */
	{ "save", K_STR, F(save), 0, 0, NULL, false, "" },
	{ "appendonly", K_BOOL, F(appendonly), 0, 0, NULL, false, "no" },
	{ "loglevel", K_ENUM, F(loglevel), 0, 0, loglevel_words, true,
	  "notice" },
};
#undef F

#define CFG_N (sizeof(cfg_table) / sizeof(cfg_table[0]))

/* find -- the directive called name (case-insensitive), or NULL. */
static const struct cfg_directive *
find(const char *name)
{
	for (size_t i = 0; i < CFG_N; i++)
		if (strcasecmp(cfg_table[i].name, name) == 0)
			return &cfg_table[i];
	return NULL;
}

/* store_uint -- write v into an unsigned field of its own width. */
static void
store_uint(void *field, size_t size, uint64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)field = (uint8_t)v; break;
	case 2: *(uint16_t *)field = (uint16_t)v; break;
	case 4: *(uint32_t *)field = (uint32_t)v; break;
	default: *(uint64_t *)field = v; break;
	}
}

/* load_uint -- read an unsigned field of its own width. */
static uint64_t
load_uint(const void *field, size_t size)
{
	switch (size) {
	case 1: return *(const uint8_t *)field;
	case 2: return *(const uint16_t *)field;
	case 4: return *(const uint32_t *)field;
	default: return *(const uint64_t *)field;
	}
}

/* parse_u64 -- a decimal integer without sign, the whole string. */
static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/*
 * parse_mem -- a size as Redis's memtoll reads it: a number with an
 * optional unit k/kb/m/mb/g/gb (k = 1000, kb = 1024), case-insensitive.
 */
static int
parse_mem(const char *s, uint64_t *out)
{
	char num[32];
	size_t n = 0;
	uint64_t mul = 1, v;

	while (isdigit((unsigned char)s[n]) && n < sizeof(num) - 1) {
		num[n] = s[n];
		n++;
	}
	num[n] = '\0';
	const char *u = s + n;
	if (*u == '\0')
		mul = 1;
	else if (!strcasecmp(u, "b"))
		mul = 1;
	else if (!strcasecmp(u, "k"))
		mul = 1000;
	else if (!strcasecmp(u, "kb"))
		mul = 1024;
	else if (!strcasecmp(u, "m"))
		mul = 1000 * 1000;
	else if (!strcasecmp(u, "mb"))
		mul = 1024 * 1024;
	else if (!strcasecmp(u, "g"))
		mul = 1000ULL * 1000 * 1000;
	else if (!strcasecmp(u, "gb"))
		mul = 1024ULL * 1024 * 1024;
	else
		return -1;
	if (parse_u64(num, &v) != 0 || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

/* parse_ipv4 -- dotted quad to host order. */
static int
parse_ipv4(const char *s, uint32_t *out)
{
	unsigned a, b, c, d;
	char tail;

	if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 ||
	    a > 255 || b > 255 || c > 255 || d > 255)
		return -1;
	*out = a << 24 | b << 16 | c << 8 | d;
	return 0;
}

/* reason -- format a reason into err. Returns -EINVAL. */
static int
reason(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * apply -- set directive d from its textual value. On failure writes the
 * reason, worded as Redis's CONFIG SET words it, into err.
 */
static int
apply(struct rp_config *c, const struct cfg_directive *d, const char *v,
      char *err, size_t errlen)
{
	void *field = (char *)c + d->off;
	uint64_t u;

	switch (d->kind) {
	case K_UINT:
		if (parse_u64(v, &u) != 0)
			return reason(err, errlen, "argument couldn't be "
				      "parsed into an integer");
		if (u < d->min || u > d->max)
			return reason(err, errlen, "argument must be between "
				      "%llu and %llu inclusive",
				      (unsigned long long)d->min,
				      (unsigned long long)d->max);
		store_uint(field, d->size, u);
		return 0;
	case K_MEM:
		if (parse_mem(v, &u) != 0)
			return reason(err, errlen,
				      "argument must be a memory value");
		if (u < d->min)
			return reason(err, errlen, "argument must be at least "
				      "%llu bytes", (unsigned long long)d->min);
		store_uint(field, d->size, u);
		return 0;
	case K_BOOL:
		if (!strcasecmp(v, "yes"))
			*(bool *)field = true;
		else if (!strcasecmp(v, "no"))
			*(bool *)field = false;
		else
			return reason(err, errlen,
				      "argument must be 'yes' or 'no'");
		return 0;
	case K_ENUM:
		for (unsigned i = 0; d->words[i] != NULL; i++) {
			if (strcasecmp(v, d->words[i]) != 0)
				continue;
			if (d->words == evict_words && i != 0)
				return reason(err, errlen, "maxmemory-policy "
					      "'%s' is not supported yet (only "
					      "noeviction)", d->words[i]);
			*(int *)field = (int)i;
			return 0;
		}
		{
			size_t n = (size_t)snprintf(err, errlen, "argument(s) "
				"must be one of the following: ");
			for (unsigned i = 0; d->words[i] != NULL && n < errlen;
			     i++)
				n += (size_t)snprintf(err + n, errlen - n,
						      "%s%s", i ? ", " : "",
						      d->words[i]);
		}
		return -EINVAL;
	case K_STR:
		if (strlen(v) >= d->size)
			return reason(err, errlen, "argument is longer than "
				      "%zu bytes", d->size - 1);
		memcpy(field, v, strlen(v) + 1);
		return 0;
	case K_IPV4NET: {
		char ip[32];
		const char *slash = strchr(v, '/');
		size_t n = slash ? (size_t)(slash - v) : strlen(v);
		uint32_t addr;
		uint64_t len = 24;
		if (n >= sizeof(ip))
			return reason(err, errlen, "argument must be an IPv4 "
				      "address a.b.c.d[/prefix]");
		memcpy(ip, v, n);
		ip[n] = '\0';
		if (parse_ipv4(ip, &addr) != 0 ||
		    (slash && (parse_u64(slash + 1, &len) != 0 || len < 1 ||
			       len > 32)))
			return reason(err, errlen, "argument must be an IPv4 "
				      "address a.b.c.d[/prefix]");
		c->ip = addr;
		c->prefix_len = (uint8_t)len;
		return 0;
	}
	case K_IPV4: {
		uint32_t addr = 0;
		if (strcasecmp(v, "none") != 0 && parse_ipv4(v, &addr) != 0)
			return reason(err, errlen, "argument must be an IPv4 "
				      "address a.b.c.d or 'none'");
		*(uint32_t *)field = addr;
		return 0;
	}
	case K_OCTAL: {
		char *end;
		unsigned long m = strtoul(v, &end, 8);
		if (*v == '\0' || *end != '\0' || m > d->max)
			return reason(err, errlen, "argument must be octal "
				      "permission bits (e.g. 0600)");
		*(unsigned *)field = (unsigned)m;
		return 0;
	}
	}
	return -EINVAL;
}

void
cfg_init(struct rp_config *c)
{
	char err[CFG_ERR_LEN];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < CFG_N; i++)
		apply(c, &cfg_table[i], cfg_table[i].def, err, sizeof(err));
}

/* hexval -- value of a hex digit. */
static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	return tolower(ch) - 'a' + 10;
}

/*
 * split_args -- split a line into arguments in place, as Redis's
 * sdssplitargs does: double quotes with escapes, single quotes with \'
 * only, a closing quote must be followed by a space or the end.
 * Returns the argument count, or -1 for unbalanced quotes.
 */
static int
split_args(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;

	for (;;) {
		while (*p != '\0' && isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			return argc;
		if (argc == max)
			return -2;
		char *out = p, *start = p;
		bool inq = false, insq = false, done = false;
		while (!done) {
			if (inq) {
				if (*p == '\0')
					return -1;
				if (p[0] == '\\' && p[1] == 'x' &&
				    isxdigit((unsigned char)p[2]) &&
				    isxdigit((unsigned char)p[3])) {
					*out++ = (char)(hexval(p[2]) * 16 +
							hexval(p[3]));
					p += 3;
				} else if (p[0] == '\\' && p[1] != '\0') {
					char e;
					p++;
					switch (*p) {
					case 'n': e = '\n'; break;
					case 'r': e = '\r'; break;
					case 't': e = '\t'; break;
					case 'b': e = '\b'; break;
					case 'a': e = '\a'; break;
					default: e = *p; break;
					}
					*out++ = e;
				} else if (*p == '"') {
					if (p[1] != '\0' &&
					    !isspace((unsigned char)p[1]))
						return -1;
					done = true;
				} else {
					*out++ = *p;
				}
			} else if (insq) {
				if (*p == '\0')
					return -1;
				if (p[0] == '\\' && p[1] == '\'') {
					p++;
					*out++ = '\'';
				} else if (*p == '\'') {
					if (p[1] != '\0' &&
					    !isspace((unsigned char)p[1]))
						return -1;
					done = true;
				} else {
					*out++ = *p;
				}
			} else {
				switch (*p) {
				case ' ': case '\n': case '\r': case '\t':
				case '\0':
					done = true;
					break;
				case '"':
					inq = true;
					break;
				case '\'':
					insq = true;
					break;
				default:
					*out++ = *p;
					break;
				}
			}
			if (*p != '\0')
				p++;
		}
		*out = '\0';
		argv[argc++] = start;
		if (out >= p) /* the terminator overwrote the next byte */
			return argc;
	}
}

/* load -- parse one file, following includes. */
static int
load(struct rp_config *c, const char *path, int depth, char *err,
     size_t errlen)
{
	char line[4096], reasonbuf[CFG_ERR_LEN];
	char *argv[CFG_MAX_ARGS];
	int rc = 0, lineno = 0;

	if (depth > CFG_MAX_INCLUDE) {
		snprintf(err, errlen, "%s: include nesting deeper than %d",
			 path, CFG_MAX_INCLUDE);
		return -ELOOP;
	}
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(errno));
		return rc;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '#' || *s == '\0')
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		char copy[sizeof(line)];
		snprintf(copy, sizeof(copy), "%s", s);
		int argc = split_args(s, argv, CFG_MAX_ARGS);
		if (argc < 0) {
			snprintf(err, errlen, "%s:%d: '%.200s': unbalanced "
				 "quotes in configuration line", path, lineno,
				 copy);
			rc = -EINVAL;
			break;
		}
		if (argc == 0)
			continue;
		if (strcasecmp(argv[0], "include") == 0) {
			char inc[PATH_MAX];
			if (argc != 2) {
				snprintf(err, errlen, "%s:%d: wrong number of "
					 "arguments for 'include'", path,
					 lineno);
				rc = -EINVAL;
				break;
			}
			const char *slash = strrchr(path, '/');
			if (argv[1][0] == '/' || slash == NULL)
				snprintf(inc, sizeof(inc), "%s", argv[1]);
			else
				snprintf(inc, sizeof(inc), "%.*s/%s",
					 (int)(slash - path), path, argv[1]);
			rc = load(c, inc, depth + 1, err, errlen);
			if (rc != 0)
				break;
			continue;
		}
		const struct cfg_directive *d = find(argv[0]);
		if (d == NULL) {
			snprintf(err, errlen, "%s:%d: unknown directive '%.100s'",
				 path, lineno, argv[0]);
			rc = -EINVAL;
			break;
		}
		if (argc != 2) {
			snprintf(err, errlen, "%s:%d: wrong number of arguments "
				 "for '%s'", path, lineno, d->name);
			rc = -EINVAL;
			break;
		}
		if (apply(c, d, argv[1], reasonbuf, sizeof(reasonbuf)) != 0) {
			snprintf(err, errlen, "%s:%d: '%.200s': %s", path,
				 lineno, copy, reasonbuf);
			rc = -EINVAL;
			break;
		}
	}
	fclose(f);
	return rc;
}

int
cfg_load_file(struct rp_config *c, const char *path, char *err,
	      size_t errlen)
{
	return load(c, path, 0, err, errlen);
}

int
cfg_parse_args(struct rp_config *c, int argc, char **argv, char *err,
	       size_t errlen)
{
	char reasonbuf[CFG_ERR_LEN];
	int rc;

	/* The file first, wherever it appears: the rest overrides it. */
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--config") != 0)
			continue;
		if (i + 1 >= argc)
			return reason(err, errlen, "command line: --config "
				      "needs a file name");
		rc = cfg_load_file(c, argv[i + 1], err, errlen);
		if (rc != 0)
			return rc;
	}
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0')
			return reason(err, errlen, "command line: unexpected "
				      "argument '%s' (directives are given as "
				      "--<directive> <value>)", argv[i]);
		const struct cfg_directive *d = find(argv[i] + 2);
		if (d == NULL)
			return reason(err, errlen, "command line: unknown "
				      "directive '%s'", argv[i] + 2);
		if (i + 1 >= argc)
			return reason(err, errlen, "command line: --%s needs a "
				      "value", d->name);
		if (apply(c, d, argv[i + 1], reasonbuf, sizeof(reasonbuf)))
			return reason(err, errlen, "command line: '--%s %s': "
				      "%s", d->name, argv[i + 1], reasonbuf);
		i++;
	}
	return 0;
}

int
cfg_set(struct rp_config *c, const char *name, const char *value, char *err,
	size_t errlen)
{
	const struct cfg_directive *d = find(name);

	if (d == NULL)
		return -ENOENT;
	if (!d->mutable) {
		snprintf(err, errlen, "can't set immutable config");
		return -EPERM;
	}
	return apply(c, d, value, err, errlen);
}

int
cfg_get(const struct rp_config *c, const char *name, char *buf,
	size_t buflen)
{
	const struct cfg_directive *d = find(name);
	const void *field;

	if (d == NULL)
		return -ENOENT;
	field = (const char *)c + d->off;
	switch (d->kind) {
	case K_UINT:
	case K_MEM:
		return snprintf(buf, buflen, "%llu", (unsigned long long)
				load_uint(field, d->size));
	case K_BOOL:
		return snprintf(buf, buflen, "%s",
				*(const bool *)field ? "yes" : "no");
	case K_ENUM:
		return snprintf(buf, buflen, "%s",
				d->words[*(const int *)field]);
	case K_STR:
		return snprintf(buf, buflen, "%s", (const char *)field);
	case K_IPV4NET:
		return snprintf(buf, buflen, "%u.%u.%u.%u/%u", c->ip >> 24,
				(c->ip >> 16) & 0xff, (c->ip >> 8) & 0xff,
				c->ip & 0xff, c->prefix_len);
	case K_IPV4: {
		uint32_t a = *(const uint32_t *)field;
		if (a == 0)
			return snprintf(buf, buflen, "none");
		return snprintf(buf, buflen, "%u.%u.%u.%u", a >> 24,
				(a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
	}
	case K_OCTAL:
		return snprintf(buf, buflen, "%04o", *(const unsigned *)field);
	}
	return -ENOENT;
}

void
cfg_foreach(void (*fn)(const char *name, void *ctx), void *ctx)
{
	for (size_t i = 0; i < CFG_N; i++)
		fn(cfg_table[i].name, ctx);
}

bool
cfg_is_mutable(const char *name)
{
	const struct cfg_directive *d = find(name);

	return d != NULL && d->mutable;
}
