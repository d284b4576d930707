/*
 * cfg.c -- the directive table and the parsers it drives.
 *
 * Every directive is one row of cfg_table: name, kind, where it lives in
 * struct rp_config, its bounds or words, how many arguments it takes,
 * whether CONFIG SET may change it, its default and a one-line summary.
 * Defaults, file parsing, command-line overrides and CONFIG GET/SET all
 * read this one table; the error texts are Redis 7.0's where Redis has
 * one for the same mistake.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"

#define CFG_MAX_INCLUDE 8       /* include nesting allowed */
#define CFG_MAX_ARGS    32      /* words kept per line */
#define CFG_MAX_LINE    16384   /* bytes per configuration line */
#define CFG_LINE_SHOWN  200     /* bytes of a bad line quoted in errors */

enum cfg_kind {
	K_INT,      /* decimal integer in [min, max] (Redis's string2ll) */
	K_POW2,     /* K_INT that must also be a power of two */
	K_SINT,     /* signed decimal integer in [(int64_t)min, max], int64 */
	K_MEM,      /* size with units (Redis's memtoull) in [min, max] */
	K_OCTAL,    /* octal integer in [min, max] (permission bits) */
	K_BOOL,     /* yes/no */
	K_ENUM,     /* one of words[] */
	K_STR,      /* string of at least min bytes that fits the field */
	K_IPNET,    /* a.b.c.d[/len] -> ip + prefix_len */
	K_IP,       /* a.b.c.d or "none" -> uint32_t, 0 = none */
	K_SAVE,     /* Redis's "save": pairs <seconds> <changes>, or "" */
	K_IMPAIR,   /* K_STR holding a valid cfg_impair_parse spec */
	K_OBUF,     /* Redis's client-output-buffer-limit: groups of
		     * <class> <hard> <soft> <soft-seconds> */
};

struct cfg_word {
	const char *name;
	int value;
	bool supported;         /* false: known to Redis, refused here */
};

struct cfg_directive {
	const char *name;
	enum cfg_kind kind;
	size_t off;             /* offset of the field in rp_config */
	size_t size;            /* size of the field */
	uint64_t min, max;
	const struct cfg_word *words; /* K_ENUM, NULL-terminated */
	unsigned max_args;      /* arguments accepted (0 means 1) */
	bool mutable;           /* CONFIG SET may change it */
	const char *def;        /* default, as configuration text */
	const char *doc;        /* one-line summary */
};

/* Words in Redis's order: its error message lists them that way. */
static const struct cfg_word evict_words[] = {
	{ "volatile-lru", CFG_EVICT_VOLATILE_LRU, false },
	{ "volatile-lfu", CFG_EVICT_VOLATILE_LFU, false },
	{ "volatile-random", CFG_EVICT_VOLATILE_RANDOM, false },
	{ "volatile-ttl", CFG_EVICT_VOLATILE_TTL, false },
	{ "allkeys-lru", CFG_EVICT_ALLKEYS_LRU, false },
	{ "allkeys-lfu", CFG_EVICT_ALLKEYS_LFU, false },
	{ "allkeys-random", CFG_EVICT_ALLKEYS_RANDOM, false },
	{ "noeviction", CFG_EVICT_NOEVICTION, true },
	{ NULL, 0, false },
};
static const struct cfg_word persist_words[] = {
	{ "sync", CFG_PERSIST_SYNC, true },
	{ "async", CFG_PERSIST_ASYNC, true },
	{ "off", CFG_PERSIST_OFF, true },
	{ NULL, 0, false },
};
static const struct cfg_word loglevel_words[] = {
	{ "debug", CFG_LOG_DEBUG, true },
	{ "verbose", CFG_LOG_VERBOSE, true },
	{ "notice", CFG_LOG_NOTICE, true },
	{ "warning", CFG_LOG_WARNING, true },
	{ NULL, 0, false },
};

#define F(field) .off = offsetof(struct rp_config, field), \
	.size = sizeof(((struct rp_config *)0)->field)
#define INT_MAX_U ((uint64_t)INT_MAX)

static const struct cfg_directive cfg_table[] = {
	/* network */
	{ "bind-ip", K_IPNET, F(ip), .def = "198.18.0.1/24",
	  .doc = "IPv4 address and prefix of redpoll's own TCP/IP stack" },
	{ "gateway", K_IP, F(gateway), .def = "none",
	  .doc = "next hop for destinations outside the bind-ip subnet" },
	{ "port", K_INT, F(port), .min = 1, .max = 65535, .def = "6379",
	  .doc = "TCP port of the Redis protocol" },
	{ "udp-port", K_SINT, F(udp_port), .min = (uint64_t)-1LL,
	  .max = 65535, .def = "0",
	  .doc = "UDP port of RESP over UDP, one request per datagram "
	  "(0: the same as port, -1: off)" },
	{ "mtu", K_INT, F(mtu), .min = 576, .max = 9000, .def = "1500",
	  .doc = "MTU of the port; the TCP MSS is mtu - 40" },
	{ "tcp-backlog", K_INT, F(tcp_backlog), .min = 1, .max = 65535,
	  .def = "511", .doc = "half-open connections allowed (SYN backlog)" },
	{ "tcp-keepalive", K_INT, F(tcp_keepalive), .max = INT_MAX_U,
	  .mutable = true, .def = "300",
	  .doc = "idle seconds before keepalive probes (0: off)" },
	{ "tcp-tso", K_BOOL, F(tcp_tso), .def = "no",
	  .doc = "send large TCP segments for the port to cut (TSO) when "
	  "it offers that" },
	{ "timeout", K_INT, F(timeout), .max = INT_MAX_U, .mutable = true,
	  .def = "0", .doc = "close clients idle this many seconds (0: never)" },
	{ "maxclients", K_INT, F(maxclients), .min = 1, .max = 1000000,
	  .mutable = true, .def = "10000",
	  .doc = "connected clients allowed per worker" },
	{ "client-output-buffer-limit", K_OBUF, F(obuf_limits),
	  .max_args = 28, .mutable = true,
	  .def = "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60",
	  .doc = "per client class: close a client whose pending output "
	  "reaches <hard> bytes, or stays over <soft> for <seconds>" },
	{ "client-query-buffer-limit", K_MEM, F(client_query_buf_limit),
	  .min = 1024 * 1024, .max = LLONG_MAX, .mutable = true,
	  .def = "1gb", .doc = "close a client whose unprocessed input "
	  "exceeds this" },
	{ "client-output-budget", K_MEM, F(client_output_budget),
	  .min = 16 * 1024, .max = 1ULL << 30, .mutable = true,
	  .def = "4mb", .doc = "pending output beyond which a client's "
	  "pipelined requests wait until it drains (backpressure)" },
	{ "rx-descriptors", K_POW2, F(rx_desc), .min = 64, .max = 16384,
	  .def = "1024", .doc = "descriptors per RX queue" },
	{ "tx-descriptors", K_POW2, F(tx_desc), .min = 64, .max = 16384,
	  .def = "1024", .doc = "descriptors per TX queue" },
	{ "port-queues", K_INT, F(port_queues), .max = 128, .def = "0",
	  .doc = "queue pairs of the port (0: one per worker); fewer than "
	  "workers steers flows between workers in software" },
	{ "mbufs", K_INT, F(mbufs), .min = 1023, .max = 16777215,
	  .def = "65535", .doc = "mbufs in each worker's pool" },
	{ "impair-rx", K_IMPAIR, F(impair_rx), .max_args = 6, .def = "",
	  .doc = "testing: impair received packets, e.g. \"drop=0.05 "
	  "dup=0.01 reorder=0.05 delay-us=200 corrupt=0.001\" (empty: off)" },
	{ "impair-tx", K_IMPAIR, F(impair_tx), .max_args = 6, .def = "",
	  .doc = "testing: impair transmitted packets, as impair-rx" },
	{ "impair-seed", K_INT, F(impair_seed), .max = UINT64_MAX,
	  .def = "1", .doc = "seed of the impairment's pseudo-random draws" },
	/* cores */
	{ "workers", K_INT, F(workers), .max = 128, .def = "1",
	  .doc = "worker lcores, one shard each (0: all lcores but main)" },
	{ "worker-idle-sleep-us", K_INT, F(idle_sleep_us), .max = 1000000,
	  .mutable = true, .def = "100",
	  .doc = "sleep per empty poll once idle (0: busy poll)" },
	{ "worker-idle-polls", K_INT, F(idle_polls), .min = 1,
	  .max = 100000000, .mutable = true, .def = "10000",
	  .doc = "empty polls in a row before a worker counts as idle" },
	{ "hz", K_INT, F(hz), .min = 1, .max = 500, .mutable = true,
	  .def = "10", .doc = "frequency of background tasks per second" },
	/* store */
	{ "databases", K_INT, F(databases), .min = 1, .max = CFG_MAX_DATABASES,
	  .def = "16", .doc = "number of databases (SELECT 0..databases-1)" },
	{ "maxmemory", K_MEM, F(maxmemory), .max = UINT64_MAX,
	  .mutable = true, .def = "0",
	  .doc = "memory limit for keys and values (0: none)" },
	{ "maxmemory-policy", K_ENUM, F(maxmemory_policy),
	  .words = evict_words, .mutable = true, .def = "noeviction",
	  .doc = "what happens at maxmemory (only noeviction so far)" },
	{ "active-expire-effort", K_INT, F(active_expire_effort), .min = 1,
	  .max = 10, .mutable = true, .def = "1",
	  .doc = "work of the active expiry cycle" },
	{ "requirepass", K_STR, F(requirepass), .mutable = true, .def = "",
	  .doc = "password clients give with AUTH (empty: none)" },
	{ "set-max-intset-entries", K_INT, F(set_max_intset_entries),
	  .max = LONG_MAX, .mutable = true, .def = "512",
	  .doc = "members a set of integers keeps in a sorted array" },
	{ "zset-max-listpack-entries", K_INT, F(zset_lp_entries),
	  .max = LONG_MAX, .mutable = true, .def = "128",
	  .doc = "largest sorted set kept in the compact encoding" },
	{ "zset-max-listpack-value", K_INT, F(zset_lp_value),
	  .max = LONG_MAX, .mutable = true, .def = "64",
	  .doc = "longest member (bytes) of a compact sorted set" },
	{ "hash-max-listpack-entries", K_INT, F(hash_lp_entries),
	  .max = LONG_MAX, .mutable = true, .def = "128",
	  .doc = "largest hash kept in the compact encoding" },
	{ "hash-max-listpack-value", K_INT, F(hash_lp_value),
	  .max = LONG_MAX, .mutable = true, .def = "64",
	  .doc = "longest field or value (bytes) of a compact hash" },
	{ "list-max-listpack-size", K_SINT, F(list_lp_size),
	  .min = (uint64_t)(int64_t)INT_MIN, .max = INT_MAX, .mutable = true,
	  .def = "-2", .doc = "bound of a list node: -1..-5 = 4, 8, 16, 32, "
	  "64 KB, or a positive count of entries" },
	{ "list-compress-depth", K_INT, F(list_compress_depth),
	  .max = INT_MAX, .mutable = true, .def = "0",
	  .doc = "accepted as in Redis; list nodes are not compressed" },
	/* persistence */
	{ "pmem-path", K_STR, F(pmem_path), .min = 1,
	  .def = "/dev/shm/redpoll",
	  .doc = "directory of the regions: <dir>/redpoll-<N>.pmem" },
	{ "pmem-size", K_MEM, F(pmem_size), .min = 1 << 20, .max = UINT64_MAX,
	  .def = "1gb", .doc = "size of each worker's new region" },
	{ "persistence", K_ENUM, F(persistence), .words = persist_words,
	  .mutable = true, .def = "sync",
	  .doc = "sync, async or off: when a write is durable" },
	{ "persistence-async-us", K_INT, F(persist_async_us), .min = 1,
	  .max = 10000000, .mutable = true, .def = "1000",
	  .doc = "bound of the durability delay in async mode" },
	{ "snapshot-log-percent", K_INT, F(snapshot_log_percent), .max = 100,
	  .mutable = true, .def = "50",
	  .doc = "start a snapshot when the current log is this full (0: "
	  "never)" },
	{ "pmem-repair", K_BOOL, F(pmem_repair), .def = "no",
	  .doc = "truncate a log corrupt in the middle instead of failing" },
	/* RDB files: SAVE's output, a dump.rdb imported at start. */
	{ "dir", K_STR, F(dir), .min = 1, .def = "/var/lib/redpoll",
	  .doc = "folder SAVE writes <dir>/<dbfilename> to (created if "
	  "absent)" },
	{ "dbfilename", K_STR, F(dbfilename), .min = 1, .def = "dump.rdb",
	  .doc = "name of the RDB file SAVE writes in dir" },
	{ "import-rdb", K_STR, F(import_rdb), .def = "",
	  .doc = "RDB file loaded into an empty keyspace at start (empty: "
	  "none)" },
	/* Redis's schedule: snapshots after <seconds> with <changes>. */
	{ "save", K_SAVE, F(save), .max_args = CFG_MAX_ARGS - 1, .def = "",
	  .doc = "snapshot after <seconds> if <changes> writes, pairs" },
	{ "appendonly", K_BOOL, F(appendonly), .def = "no",
	  .doc = "Redis's AOF switch, reported only" },
	/* statistics */
	{ "slowlog-log-slower-than", K_SINT, F(slowlog_slower_than),
	  .min = (uint64_t)LLONG_MIN, .max = LLONG_MAX, .mutable = true,
	  .def = "10000", .doc = "log commands slower than this many "
	  "microseconds in SLOWLOG (negative: never, 0: all)" },
	{ "slowlog-max-len", K_INT, F(slowlog_max_len), .max = LONG_MAX,
	  .mutable = true, .def = "128",
	  .doc = "entries SLOWLOG keeps" },
	{ "latency-monitor-threshold", K_INT, F(latency_threshold_ms),
	  .max = LLONG_MAX, .mutable = true, .def = "0",
	  .doc = "record LATENCY events of at least this many ms (0: off)" },
	{ "latency-tracking", K_BOOL, F(latency_tracking), .mutable = true,
	  .def = "yes",
	  .doc = "per-command latency histograms (INFO latencystats, "
	  "LATENCY HISTOGRAM)" },
	/* control plane */
	{ "admin-socket", K_STR, F(admin_socket), .min = 1,
	  .def = "/run/redpoll.sock", .doc = "Unix socket of the admin interface" },
	{ "admin-socket-perm", K_OCTAL, F(admin_socket_perm), .max = 0777,
	  .def = "0600", .doc = "permission bits of the admin socket" },
	{ "daemonize", K_BOOL, F(daemonize), .def = "no",
	  .doc = "run in the background" },
	{ "pidfile", K_STR, F(pidfile), .def = "",
	  .doc = "file to write the process id to (empty: none)" },
	{ "logfile", K_STR, F(logfile), .def = "",
	  .doc = "file to log to (empty: standard output)" },
	{ "loglevel", K_ENUM, F(loglevel), .words = loglevel_words,
	  .mutable = true, .def = "notice",
	  .doc = "log verbosity: debug, verbose, notice or warning" },
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

/* nargs_max -- how many arguments directive d accepts at most. */
static unsigned
nargs_max(const struct cfg_directive *d)
{
	return d->max_args ? d->max_args : 1;
}

/*
 * store_str -- write a string of len bytes into a field of size bytes,
 * zeroing the rest so that equal configurations compare equal bytewise.
 */
static void
store_str(void *field, size_t size, const char *s, size_t len)
{
	memset(field, 0, size);
	memcpy(field, s, len);
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

/*
 * parse_digits -- the whole of s as an unsigned number in base 8 or 10:
 * digits only, at least one. Returns 0, or -1 (bad text or overflow).
 */
static int
parse_digits(const char *s, unsigned base, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned dig = (unsigned)(*s - '0');
		if (*s < '0' || dig >= base || v > (UINT64_MAX - dig) / base)
			return -1;
		v = v * base + dig;
	}
	*out = v;
	return 0;
}

/*
 * parse_ll -- a decimal integer as Redis's string2ll reads it: an
 * optional '-', then "0" or a digit 1-9 and more digits; no spaces, no
 * '+', no leading zeros, within long long. Returns 0 or -1.
 */
static int
parse_ll(const char *s, long long *out)
{
	bool neg = *s == '-';
	uint64_t u;

	if (neg)
		s++;
	if ((s[0] == '0' && s[1] != '\0') || parse_digits(s, 10, &u) != 0)
		return -1;
	if (u > (uint64_t)LLONG_MAX + neg)
		return -1;
	*out = neg ? (long long)(0 - u) : (long long)u;
	return 0;
}

/* mem_unit -- the multiplier of a size unit ("" and b: 1), or -1. */
static int
mem_unit(const char *u, uint64_t *mul)
{
	static const struct { const char *unit; uint64_t mul; } units[] = {
		{ "", 1 }, { "b", 1 },
		{ "k", 1000 }, { "kb", 1024 },
		{ "m", 1000 * 1000 }, { "mb", 1024 * 1024 },
		{ "g", 1000ULL * 1000 * 1000 }, { "gb", 1024ULL * 1024 * 1024 },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(u, units[i].unit) == 0) {
			*mul = units[i].mul;
			return 0;
		}
	}
	return -1;
}

/*
 * parse_mem -- a size as Redis's memtoull reads it: digits and an
 * optional unit b, k, kb, m, mb, g, gb (k = 1000, kb = 1024), any case.
 * Unlike Redis, a size without digits and one that overflows 64 bits
 * are refused rather than read as 0 or wrapped.
 */
static int
parse_mem(const char *s, uint64_t *out)
{
	char num[24];
	size_t n = strspn(s, "0123456789");
	uint64_t v, mul;

	if (n == 0 || n >= sizeof(num) || mem_unit(s + n, &mul) != 0)
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	if (parse_digits(num, 10, &v) != 0 || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

/* parse_ipv4 -- a strict dotted quad to host byte order. */
static int
parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

/* reason -- format a reason into err. Returns -EINVAL. */
static int __attribute__((format(printf, 3, 4)))
reason(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* range_reason -- Redis's message for a number out of bounds. */
static int
range_reason(const struct cfg_directive *d, char *err, size_t errlen)
{
	if (d->kind == K_SINT)
		return reason(err, errlen, "argument must be between %lld and "
			      "%lld inclusive", (long long)d->min,
			      (long long)d->max);
	return reason(err, errlen, d->kind == K_OCTAL ?
		      "argument must be between %llo and %llo inclusive" :
		      "argument must be between %llu and %llu inclusive",
		      (unsigned long long)d->min, (unsigned long long)d->max);
}

/* apply_enum -- set an enum directive from one of its words. */
static int
apply_enum(void *field, const struct cfg_directive *d, const char *v,
	   char *err, size_t errlen)
{
	const struct cfg_word *w;
	size_t n;

	for (w = d->words; w->name != NULL; w++) {
		if (strcasecmp(v, w->name) != 0)
			continue;
		if (!w->supported)
			return reason(err, errlen, "%s '%s' is not supported "
				      "yet (only noeviction)", d->name,
				      w->name);
		store_uint(field, d->size, (uint64_t)w->value);
		return 0;
	}
	n = (size_t)snprintf(err, errlen,
			     "argument(s) must be one of the following: ");
	for (w = d->words; w->name != NULL && n < errlen; w++)
		n += (size_t)snprintf(err + n, errlen - n, "%s%s",
				      w == d->words ? "" : ", ", w->name);
	return -EINVAL;
}

/* apply_ipnet -- set ip and prefix_len from "a.b.c.d[/len]". */
static int
apply_ipnet(struct rp_config *c, const char *v, char *err, size_t errlen)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash = strchr(v, '/');
	size_t n = slash ? (size_t)(slash - v) : strlen(v);
	uint32_t addr;
	uint64_t len = 24;

	if (n >= sizeof(ip))
		goto bad;
	memcpy(ip, v, n);
	ip[n] = '\0';
	if (parse_ipv4(ip, &addr) != 0 || addr == 0)
		goto bad;
	if (slash != NULL && (slash[1] == '0' ||
			      parse_digits(slash + 1, 10, &len) != 0 ||
			      len < 1 || len > 32))
		goto bad;
	c->ip = addr;
	c->prefix_len = (uint8_t)len;
	return 0;
bad:
	return reason(err, errlen,
		      "argument must be an IPv4 address a.b.c.d[/1..32]");
}

/*
 * apply_save -- Redis's "save": <seconds> <changes> pairs (seconds >= 1),
 * or a single "" for none; kept as the normalised text CONFIG GET shows.
 */
static int
apply_save(void *field, size_t size, int argc, char **argv, char *err,
	   size_t errlen)
{
	char text[256];
	size_t n = 0;
	uint64_t v;

	if (argc == 1 && argv[0][0] == '\0')
		argc = 0;
	if (argc % 2 != 0)
		return reason(err, errlen, "Invalid save parameters");
	text[0] = '\0';
	for (int i = 0; i < argc; i++) {
		if (parse_digits(argv[i], 10, &v) != 0 || v > INT_MAX ||
		    (i % 2 == 0 && v < 1))
			return reason(err, errlen, "Invalid save parameters");
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%llu",
				      i ? " " : "", (unsigned long long)v);
		if (n >= size)
			return reason(err, errlen, "argument is longer than "
				      "%zu bytes", size - 1);
	}
	store_str(field, size, text, n);
	return 0;
}

int
cfg_impair_parse(const char *spec, struct cfg_impair *out, char *err,
		 size_t errlen)
{
	static const char *const names[] = {
		"drop", "dup", "reorder", "corrupt", "delay",
	};
	struct cfg_impair im = { 0 };
	double *probs[] = { &im.drop, &im.dup, &im.reorder, &im.corrupt,
			    &im.delay };
	bool delay_given = false;
	const char *p = spec;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		const char *eq = strchr(p, '=');
		const char *end = strchr(p, ' ');
		if (end == NULL)
			end = p + strlen(p);
		if (eq == NULL || eq > end)
			return reason(err, errlen, "impairment '%.*s' is not "
				      "name=value", (int)(end - p), p);
		size_t nl = (size_t)(eq - p);
		char val[32];
		size_t vl = (size_t)(end - eq - 1);
		if (vl == 0 || vl >= sizeof(val))
			return reason(err, errlen, "impairment '%.*s' has a "
				      "bad value", (int)(end - p), p);
		memcpy(val, eq + 1, vl);
		val[vl] = '\0';
		if (nl == 8 && strncmp(p, "delay-us", 8) == 0) {
			uint64_t u;
			if (parse_digits(val, 10, &u) != 0 || u > 10000000)
				return reason(err, errlen, "delay-us must be "
					      "0..10000000");
			im.delay_us = (uint32_t)u;
		} else {
			size_t k;
			for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
				if (strlen(names[k]) == nl &&
				    strncmp(p, names[k], nl) == 0)
					break;
			if (k == sizeof(names) / sizeof(names[0]))
				return reason(err, errlen, "unknown impairment "
					      "'%.*s'", (int)nl, p);
			char *e;
			errno = 0;
			double d = strtod(val, &e);
			if (*e != '\0' || errno != 0 || !(d >= 0 && d <= 1))
				return reason(err, errlen, "%s must be a "
					      "probability 0..1", names[k]);
			*probs[k] = d;
			if (k == 4)
				delay_given = true;
		}
		p = end;
	}
	if (im.delay_us > 0 && !delay_given)
		im.delay = 1.0;
	*out = im;
	return 0;
}

bool
cfg_impair_on(const struct cfg_impair *im)
{
	return im->drop > 0 || im->dup > 0 || im->reorder > 0 ||
	       im->corrupt > 0 || (im->delay > 0 && im->delay_us > 0);
}

/*
 * apply_impair -- an impairment spec, given as one argument or as words;
 * kept as the words joined by single spaces.
 */
static int
apply_impair(void *field, size_t size, int argc, char **argv, char *err,
	     size_t errlen)
{
	char text[256];
	size_t n = 0;
	struct cfg_impair im;

	text[0] = '\0';
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '\0')
			continue;
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s",
				      n ? " " : "", argv[i]);
		if (n >= size)
			return reason(err, errlen, "argument is longer than "
				      "%zu bytes", size - 1);
	}
	if (cfg_impair_parse(text, &im, err, errlen) != 0)
		return -EINVAL;
	store_str(field, size, text, n);
	return 0;
}

/* obuf_class -- the class a client-output-buffer-limit name stands for
 * (case-insensitive), or -1 (also for "master", as Redis refuses it). */
static int
obuf_class(const char *name)
{
	static const struct { const char *name; int class; } names[] = {
		{ "normal", CFG_OBUF_NORMAL }, { "replica", CFG_OBUF_REPLICA },
		{ "slave", CFG_OBUF_REPLICA }, { "pubsub", CFG_OBUF_PUBSUB },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i].name) == 0)
			return names[i].class;
	return -1;
}

/*
 * obuf_size -- a hard or soft limit exactly as Redis 7.0's memtoull
 * reads it there: digits (none reads as 0; too many saturate at 2^64-1)
 * and an optional unit, the product wrapping modulo 2^64. Returns 0 or
 * -1 (a sign, a dot, an unknown unit).
 */
static int
obuf_size(const char *s, uint64_t *out)
{
	size_t n = strspn(s, "0123456789");
	uint64_t v = 0, mul;

	if (n >= 128 || mem_unit(s + n, &mul) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	*out = v * mul;
	return 0;
}

/*
 * obuf_seconds -- soft-seconds as Redis reads them: a base-10 integer
 * (sign and leading blanks allowed, as strtoll takes them) kept in an
 * int, refused when that int is negative. Returns 0 or -1.
 */
static int
obuf_seconds(const char *s, unsigned *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	int secs = (int)(uint32_t)(uint64_t)v;

	if (*end != '\0' || secs < 0)
		return -1;
	*out = (unsigned)secs;
	return 0;
}

/*
 * apply_obuf -- client-output-buffer-limit: groups of four words, all
 * checked before any class changes (Redis's order of checks and its
 * error texts); classes not named keep their limits; an empty value
 * changes nothing. A CONFIG SET value is split on every single space
 * (apply_words), as Redis splits it: "normal 1 1 " has four words.
 */
static int
apply_obuf(struct cfg_obuf_limit *lim, int argc, char **argv, char *err,
	   size_t errlen)
{
	struct cfg_obuf_limit next[CFG_OBUF__MAX];
	uint64_t v;
	unsigned secs;

	if (argc == 1 && argv[0][0] == '\0')
		return 0;
	if (argc % 4 != 0)
		return reason(err, errlen, "Wrong number of arguments in "
			      "buffer limit configuration.");
	for (int i = 0; i < argc; i++) {
		bool ok;
		if (i % 4 == 0)
			ok = obuf_class(argv[i]) >= 0;
		else if (i % 4 == 3)
			ok = obuf_seconds(argv[i], &secs) == 0;
		else
			ok = obuf_size(argv[i], &v) == 0;
		if (!ok)
			return reason(err, errlen, i % 4 == 0 ?
				      "Invalid client class specified in "
				      "buffer limit configuration." :
				      "Error in hard, soft or soft_seconds "
				      "setting in buffer limit configuration.");
	}
	memcpy(next, lim, sizeof(next));
	for (int i = 0; i < argc; i += 4) {
		struct cfg_obuf_limit *l = &next[obuf_class(argv[i])];
		obuf_size(argv[i + 1], &l->hard);
		obuf_size(argv[i + 2], &l->soft);
		obuf_seconds(argv[i + 3], &l->soft_seconds);
	}
	memcpy(lim, next, sizeof(next));
	return 0;
}

/*
 * apply -- set directive d from its arguments (argc of them, as many as
 * it accepts). On failure writes the reason, worded as Redis's CONFIG SET
 * words it, into err and returns -EINVAL; c is then unchanged.
 */
static int
apply(struct rp_config *c, const struct cfg_directive *d, int argc,
      char **argv, char *err, size_t errlen)
{
	void *field = (char *)c + d->off;
	const char *v = argv[0];
	long long ll;
	uint64_t u;

	switch (d->kind) {
	case K_INT:
	case K_POW2:
		if (parse_ll(v, &ll) != 0)
			return reason(err, errlen, "argument couldn't be "
				      "parsed into an integer");
		if (ll < 0 || (uint64_t)ll < d->min || (uint64_t)ll > d->max)
			return range_reason(d, err, errlen);
		if (d->kind == K_POW2 && (ll & (ll - 1)) != 0)
			return reason(err, errlen, "argument must be a power "
				      "of two between %llu and %llu",
				      (unsigned long long)d->min,
				      (unsigned long long)d->max);
		store_uint(field, d->size, (uint64_t)ll);
		return 0;
	case K_SINT:
		if (parse_ll(v, &ll) != 0)
			return reason(err, errlen, "argument couldn't be "
				      "parsed into an integer");
		if (ll < (long long)d->min || ll > (long long)d->max)
			return range_reason(d, err, errlen);
		store_uint(field, d->size, (uint64_t)ll);
		return 0;
	case K_MEM:
		if (parse_mem(v, &u) != 0)
			return reason(err, errlen,
				      "argument must be a memory value");
		if (u < d->min || u > d->max)
			return range_reason(d, err, errlen);
		store_uint(field, d->size, u);
		return 0;
	case K_OCTAL:
		if (parse_digits(v, 8, &u) != 0)
			return reason(err, errlen, "argument couldn't be "
				      "parsed as an octal number");
		if (u < d->min || u > d->max)
			return range_reason(d, err, errlen);
		store_uint(field, d->size, u);
		return 0;
	case K_BOOL:
		if (strcasecmp(v, "yes") != 0 && strcasecmp(v, "no") != 0)
			return reason(err, errlen,
				      "argument must be 'yes' or 'no'");
		*(bool *)field = strcasecmp(v, "yes") == 0;
		return 0;
	case K_ENUM:
		return apply_enum(field, d, v, err, errlen);
	case K_STR:
		if (strlen(v) < d->min)
			return reason(err, errlen, "argument must not be empty");
		if (strlen(v) >= d->size)
			return reason(err, errlen, "argument is longer than "
				      "%zu bytes", d->size - 1);
		store_str(field, d->size, v, strlen(v));
		return 0;
	case K_IPNET:
		return apply_ipnet(c, v, err, errlen);
	case K_IP: {
		uint32_t a = 0;
		if (strcasecmp(v, "none") != 0 && parse_ipv4(v, &a) != 0)
			return reason(err, errlen, "argument must be an IPv4 "
				      "address a.b.c.d or 'none'");
		store_uint(field, d->size, a);
		return 0;
	}
	case K_SAVE:
		return apply_save(field, d->size, argc, argv, err, errlen);
	case K_IMPAIR:
		return apply_impair(field, d->size, argc, argv, err, errlen);
	case K_OBUF:
		return apply_obuf(field, argc, argv, err, errlen);
	}
	return -EINVAL;
}

/*
 * apply_words -- apply, except that a single non-empty value given to a
 * directive that takes several is first split on every space, as Redis
 * reads "save" from CONFIG SET or from one quoted argument.
 */
static int
apply_words(struct rp_config *c, const struct cfg_directive *d, int argc,
	    char **argv, char *err, size_t errlen)
{
	char words[1024], *wv[CFG_MAX_ARGS], *w;
	int n = 0;

	if (nargs_max(d) == 1 || argc != 1 || argv[0][0] == '\0')
		return apply(c, d, argc, argv, err, errlen);
	if (strlen(argv[0]) >= sizeof(words))
		return reason(err, errlen, "argument is too long");
	strcpy(words, argv[0]);
	for (w = words; w != NULL; n++) {
		if ((unsigned)n == nargs_max(d))
			return reason(err, errlen, "too many arguments");
		wv[n] = w;
		w = strchr(w, ' ');
		if (w != NULL)
			*w++ = '\0';
	}
	return apply(c, d, n, wv, err, errlen);
}

uint16_t
cfg_udp_port(const struct rp_config *cfg)
{
	if (cfg->udp_port < 0)
		return 0;
	return cfg->udp_port == 0 ? cfg->port : (uint16_t)cfg->udp_port;
}

void
cfg_init(struct rp_config *c)
{
	char err[CFG_ERR_LEN];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < CFG_N; i++) {
		char *argv[1] = { (char *)cfg_table[i].def };
		apply_words(c, &cfg_table[i], 1, argv, err, sizeof(err));
	}
}

/* hexval -- value of a hex digit. */
static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	return tolower(ch) - 'a' + 10;
}

/* unescape -- the character a backslash escape in double quotes means. */
static char
unescape(char ch)
{
	switch (ch) {
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'b': return '\b';
	case 'a': return '\a';
	default: return ch;
	}
}

/*
 * split_args -- split line into words in place, as Redis's sdssplitargs
 * does: "..." with \n \r \t \b \a \xHH and \<any>, '...' with \' only; a
 * closing quote must be followed by a space or the end; quotes may start
 * in the middle of a word. The first max words are stored in argv; a word
 * holding a NUL byte (\x00) sets *nul. Returns the number of words, or -1
 * for unbalanced quotes.
 */
static int
split_args(char *line, char **argv, int max, bool *nul)
{
	char *p = line;
	int argc = 0;

	*nul = false;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			return argc;
		char *start = p, *out = p;
		bool inq = false, insq = false, done = false;
		while (!done) {
			if (inq) {
				if (p[0] == '\\' && p[1] == 'x' &&
				    isxdigit((unsigned char)p[2]) &&
				    isxdigit((unsigned char)p[3])) {
					*out = (char)(hexval(p[2]) * 16 +
						      hexval(p[3]));
					*nul |= *out++ == '\0';
					p += 3;
				} else if (p[0] == '\\' && p[1] != '\0') {
					*out++ = unescape(*++p);
				} else if (*p == '"') {
					if (p[1] != '\0' &&
					    !isspace((unsigned char)p[1]))
						return -1;
					done = true;
				} else if (*p == '\0') {
					return -1;
				} else {
					*out++ = *p;
				}
			} else if (insq) {
				if (p[0] == '\\' && p[1] == '\'') {
					*out++ = *++p;
				} else if (*p == '\'') {
					if (p[1] != '\0' &&
					    !isspace((unsigned char)p[1]))
						return -1;
					done = true;
				} else if (*p == '\0') {
					return -1;
				} else {
					*out++ = *p;
				}
			} else if (*p == '\0' || isspace((unsigned char)*p)) {
				done = true;
			} else if (*p == '"') {
				inq = true;
			} else if (*p == '\'') {
				insq = true;
			} else {
				*out++ = *p;
			}
			if (*p != '\0')
				p++;
		}
		/* out never passes p, so this ends the word in place. */
		*out = '\0';
		if (argc < max)
			argv[argc] = start;
		argc++;
	}
}

/* A file being read: its name and the line being parsed. */
struct cfg_src {
	const char *path;
	int line;
};

/* read_line -- the next line of f into buf (at most CFG_MAX_LINE bytes,
 * without its newline). Returns its length, -1 at the end, -2 if too
 * long, -3 if it holds a NUL byte. */
static long
read_line(FILE *f, char *buf)
{
	long n = 0;
	bool nul = false;
	int ch;

	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (n == CFG_MAX_LINE)
			return -2;
		nul |= ch == '\0';
		buf[n++] = (char)ch;
	}
	if (ch == EOF && n == 0)
		return -1;
	buf[n] = '\0';
	return nul ? -3 : n;
}

/* trim -- strip Redis's " \t\r\n" from both ends of s, in place. */
static char *
trim(char *s)
{
	size_t n;

	s += strspn(s, " \t\r\n");
	n = strlen(s);
	while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
		s[--n] = '\0';
	return s;
}

static int load(struct rp_config *c, const char *path,
		const struct cfg_src *from, int depth, char *err,
		size_t errlen);

/* include -- the "include PATH" line of src: PATH relative to src's
 * directory unless absolute. */
static int
include(struct rp_config *c, const struct cfg_src *src, const char *arg,
	int depth, char *err, size_t errlen)
{
	char path[PATH_MAX];
	const char *slash = strrchr(src->path, '/');
	int n;

	if (depth >= CFG_MAX_INCLUDE) {
		snprintf(err, errlen, "%s:%d: include '%s': nesting deeper "
			 "than %d levels", src->path, src->line, arg,
			 CFG_MAX_INCLUDE);
		return -ELOOP;
	}
	if (arg[0] == '/' || slash == NULL)
		n = snprintf(path, sizeof(path), "%s", arg);
	else
		n = snprintf(path, sizeof(path), "%.*s/%s",
			     (int)(slash - src->path), src->path, arg);
	if (n >= (int)sizeof(path)) {
		snprintf(err, errlen, "%s:%d: include '%.100s': path too "
			 "long", src->path, src->line, arg);
		return -ENAMETOOLONG;
	}
	return load(c, path, src, depth + 1, err, errlen);
}

/*
 * open_conf -- open path for reading. Non-blocking open and a regular
 * file check for included files, so that an include of a FIFO or a
 * device can neither block nor read forever.
 */
static FILE *
open_conf(const char *path, bool included, int *rc)
{
	struct stat st;
	FILE *f;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		*rc = -errno;
		return NULL;
	}
	if (fstat(fd, &st) != 0)
		*rc = -errno;
	else if (S_ISDIR(st.st_mode))
		*rc = -EISDIR;
	else if (included && !S_ISREG(st.st_mode))
		*rc = -EINVAL;
	else if (fcntl(fd, F_SETFL, 0) != 0)
		*rc = -errno;
	else if ((f = fdopen(fd, "r")) == NULL)
		*rc = -errno;
	else
		return f;
	close(fd);
	return NULL;
}

/* open_error -- the message for a file that cannot be opened. */
static void
open_error(const char *path, const struct cfg_src *from, int rc, char *err,
	   size_t errlen)
{
	const char *why = rc == -EINVAL ? "not a regular file" : strerror(-rc);

	if (from == NULL)
		snprintf(err, errlen, "%s: %s", path, why);
	else
		snprintf(err, errlen, "%s:%d: include '%s': %s", from->path,
			 from->line, path, why);
}

/* directive -- apply one split line of src. */
static int
directive(struct rp_config *c, struct cfg_src *src, const char *text,
	  int argc, char **argv, bool nul, int depth, char *err,
	  size_t errlen)
{
	char why[CFG_ERR_LEN];
	const struct cfg_directive *d;

	if (nul)
		return reason(err, errlen, "%s:%d: '%.*s': NUL byte in an "
			      "argument", src->path, src->line,
			      CFG_LINE_SHOWN, text);
	if (strcasecmp(argv[0], "include") == 0) {
		if (argc != 2) {
			snprintf(err, errlen, "%s:%d: wrong number of "
				 "arguments for 'include'", src->path,
				 src->line);
			return -EINVAL;
		}
		return include(c, src, argv[1], depth, err, errlen);
	}
	d = find(argv[0]);
	if (d == NULL) {
		snprintf(err, errlen, "%s:%d: unknown directive '%.100s'",
			 src->path, src->line, argv[0]);
		return -EINVAL;
	}
	if (argc < 2 || (unsigned)argc - 1 > nargs_max(d)) {
		snprintf(err, errlen, "%s:%d: wrong number of arguments for "
			 "'%s'", src->path, src->line, d->name);
		return -EINVAL;
	}
	if (apply_words(c, d, argc - 1, argv + 1, why, sizeof(why)) != 0)
		return reason(err, errlen, "%s:%d: '%.*s': %s", src->path,
			      src->line, CFG_LINE_SHOWN, text, why);
	return 0;
}

/*
 * load -- apply the file at path, following its includes. from is the
 * including file's position (NULL for the top file), depth its nesting.
 */
static int
load(struct rp_config *c, const char *path, const struct cfg_src *from,
     int depth, char *err, size_t errlen)
{
	struct cfg_src src = { .path = path, .line = 0 };
	char *argv[CFG_MAX_ARGS];
	char *buf = NULL, *text = NULL;
	long len;
	bool nul;
	int rc = 0;
	FILE *f = open_conf(path, from != NULL, &rc);

	if (f == NULL) {
		open_error(path, from, rc, err, errlen);
		return rc;
	}
	buf = malloc(CFG_MAX_LINE + 1);
	text = malloc(CFG_LINE_SHOWN + 1);
	if (buf == NULL || text == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		rc = -ENOMEM;
		goto out;
	}
	while ((len = read_line(f, buf)) != -1) {
		src.line++;
		if (len == -2 || len == -3) {
			rc = reason(err, errlen, "%s:%d: %s", path, src.line,
				    len == -2 ? "line longer than 16384 bytes"
				    : "NUL byte in configuration line");
			goto out;
		}
		char *s = trim(buf);
		if (s[0] == '#' || s[0] == '\0')
			continue;
		snprintf(text, CFG_LINE_SHOWN + 1, "%s", s);
		int argc = split_args(s, argv, CFG_MAX_ARGS, &nul);
		if (argc < 0) {
			rc = reason(err, errlen, "%s:%d: unbalanced quotes in "
				    "configuration line", path, src.line);
			goto out;
		}
		if (argc == 0) /* only spaces that trim() keeps (\v, \f) */
			continue;
		rc = directive(c, &src, text, argc, argv, nul, depth, err,
			       errlen);
		if (rc != 0)
			goto out;
	}
	if (ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	}
out:
	free(text);
	free(buf);
	fclose(f);
	return rc;
}

int
cfg_load_file(struct rp_config *c, const char *path, char *err,
	      size_t errlen)
{
	struct rp_config next = *c;
	int rc = load(&next, path, NULL, 0, err, errlen);

	if (rc == 0)
		*c = next;
	return rc;
}

/*
 * cli_option -- the option at argv[i]: sets *d (NULL for --config) and
 * *nvals, the values that follow it. Returns 0 or -EINVAL with err set.
 * A directive taking one value takes the next argument whatever it is;
 * one taking several takes those up to the next "--..." argument.
 */
static int
cli_option(int argc, char **argv, int i, const struct cfg_directive **d,
	   int *nvals, char *err, size_t errlen)
{
	const char *a = argv[i];
	unsigned max = 1;
	int n = 0;

	if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
		return reason(err, errlen, "command line: unexpected argument "
			      "'%s' (expected --<directive> <value>)", a);
	*d = NULL;
	if (strcmp(a, "--config") != 0) {
		*d = find(a + 2);
		if (*d == NULL)
			return reason(err, errlen, "command line: unknown "
				      "directive '%s'", a);
		max = nargs_max(*d);
	}
	if (max == 1)
		n = i + 1 < argc;
	else
		while (i + 1 + n < argc && (unsigned)n < max &&
		       strncmp(argv[i + 1 + n], "--", 2) != 0)
			n++;
	if (n == 0)
		return reason(err, errlen, "command line: wrong number of "
			      "arguments for '%s'", a);
	*nvals = n;
	return 0;
}

/* cli_value_error -- "command line: '--name v...': why" into err. */
static int
cli_value_error(const struct cfg_directive *d, int n, char **vals,
		const char *why, char *err, size_t errlen)
{
	size_t len = (size_t)snprintf(err, errlen, "command line: '--%s",
				      d->name);
	for (int k = 0; k < n && len < errlen; k++)
		len += (size_t)snprintf(err + len, errlen - len, " %s",
					vals[k]);
	if (len < errlen)
		snprintf(err + len, errlen - len, "': %s", why);
	return -EINVAL;
}

/*
 * remember_path -- keep the absolute path of the first --config file,
 * which CONFIG REWRITE writes back (the process may change directory).
 */
static void
remember_path(struct rp_config *c, const char *path)
{
	char *abs = realpath(path, NULL);

	snprintf(c->config_file, sizeof(c->config_file), "%s",
		 abs != NULL ? abs : path);
	free(abs);
}

int
cfg_parse_args(struct rp_config *c, int argc, char **argv, char *err,
	       size_t errlen)
{
	struct rp_config next = *c;
	const struct cfg_directive *d;
	char why[CFG_ERR_LEN];
	int i, n, rc;

	/* First the shape of the whole line, then every --config file,
	 * then the directives in order: they override the files. */
	for (i = 0; i < argc; i += 1 + n)
		if ((rc = cli_option(argc, argv, i, &d, &n, err, errlen)))
			return rc;
	for (i = 0; i < argc; i += 1 + n) {
		cli_option(argc, argv, i, &d, &n, err, errlen);
		if (d != NULL)
			continue;
		if ((rc = cfg_load_file(&next, argv[i + 1], err, errlen)))
			return rc;
		if (next.config_file[0] == '\0')
			remember_path(&next, argv[i + 1]);
	}
	for (i = 0; i < argc; i += 1 + n) {
		cli_option(argc, argv, i, &d, &n, err, errlen);
		if (d != NULL &&
		    apply_words(&next, d, n, argv + i + 1, why,
				sizeof(why)) != 0)
			return cli_value_error(d, n, argv + i + 1, why, err,
					       errlen);
	}
	*c = next;
	return 0;
}

int
cfg_set(struct rp_config *c, const char *name, const char *value, char *err,
	size_t errlen)
{
	const struct cfg_directive *d = find(name);
	char *argv[1] = { (char *)value };

	if (d == NULL)
		return -ENOENT;
	if (!d->mutable) {
		snprintf(err, errlen, "can't set immutable config");
		return -EPERM;
	}
	return apply_words(c, d, 1, argv, err, errlen);
}

int
cfg_get(const struct rp_config *c, const char *name, char *buf,
	size_t buflen)
{
	const struct cfg_directive *d = find(name);
	const void *field;
	const struct cfg_word *w;
	uint64_t v;
	int n = 0;

	if (d == NULL)
		return -ENOENT;
	field = (const char *)c + d->off;
	v = d->size <= sizeof(uint64_t) ? load_uint(field, d->size) : 0;
	switch (d->kind) {
	case K_INT:
	case K_POW2:
	case K_MEM:
		n = snprintf(buf, buflen, "%llu", (unsigned long long)v);
		break;
	case K_SINT:
		n = snprintf(buf, buflen, "%lld", (long long)v);
		break;
	case K_OCTAL:
		n = snprintf(buf, buflen, "%llo", (unsigned long long)v);
		break;
	case K_BOOL:
		n = snprintf(buf, buflen, "%s",
			     *(const bool *)field ? "yes" : "no");
		break;
	case K_ENUM:
		for (w = d->words; w->name != NULL; w++)
			if ((uint64_t)w->value == v)
				break;
		n = snprintf(buf, buflen, "%s", w->name ? w->name : "");
		break;
	case K_STR:
	case K_SAVE:
	case K_IMPAIR:
		n = snprintf(buf, buflen, "%s", (const char *)field);
		break;
	case K_OBUF: {
		/* Redis 7.0 shows the replica class as "slave". */
		static const char *const shown[CFG_OBUF__MAX] = {
			"normal", "slave", "pubsub",
		};
		const struct cfg_obuf_limit *l = field;
		size_t k = 0;
		for (int i = 0; i < CFG_OBUF__MAX; i++) {
			int r = snprintf(buf + k, k < buflen ? buflen - k : 0,
					 "%s%s %llu %llu %u", i ? " " : "",
					 shown[i],
					 (unsigned long long)l[i].hard,
					 (unsigned long long)l[i].soft,
					 l[i].soft_seconds);
			k += (size_t)r;
		}
		n = (int)k;
		break;
	}
	case K_IPNET:
		n = snprintf(buf, buflen, "%u.%u.%u.%u/%u", c->ip >> 24,
			     (c->ip >> 16) & 0xff, (c->ip >> 8) & 0xff,
			     c->ip & 0xff, c->prefix_len);
		break;
	case K_IP:
		if (v == 0)
			n = snprintf(buf, buflen, "none");
		else
			n = snprintf(buf, buflen, "%u.%u.%u.%u",
				     (unsigned)(v >> 24), (unsigned)(v >> 16)
				     & 0xff, (unsigned)(v >> 8) & 0xff,
				     (unsigned)v & 0xff);
		break;
	}
	/* A short buffer holds a truncated value: report what it holds. */
	if (buflen == 0)
		return 0;
	return n < (int)buflen ? n : (int)buflen - 1;
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

const char *
cfg_doc(const char *name)
{
	const struct cfg_directive *d = find(name);

	return d != NULL ? d->doc : NULL;
}

/* ---- CONFIG REWRITE ---------------------------------------------------- */

#define CFG_REWRITE_SIGNATURE "# Generated by CONFIG REWRITE"
#define CFG_VALUE_LEN (PATH_MAX * 4 + 64)

/* needs_quotes -- whether a value must be written in double quotes to
 * read back as one word with the same bytes. */
static bool
needs_quotes(const char *v)
{
	if (*v == '\0')
		return true;
	for (; *v; v++)
		if (!isgraph((unsigned char)*v) || strchr("\"'\\", *v))
			return true;
	return false;
}

/* quote -- v in double quotes with the escapes split_args reads. */
static void
quote(const char *v, char *buf, size_t len)
{
	size_t n = 0;

#define PUT(...) \
	n += (size_t)snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__)
	PUT("\"");
	for (; *v; v++) {
		unsigned char ch = (unsigned char)*v;
		switch (ch) {
		case '\\': PUT("\\\\"); break;
		case '"': PUT("\\\""); break;
		case '\n': PUT("\\n"); break;
		case '\r': PUT("\\r"); break;
		case '\t': PUT("\\t"); break;
		case '\a': PUT("\\a"); break;
		case '\b': PUT("\\b"); break;
		default:
			if (isprint(ch))
				PUT("%c", ch);
			else
				PUT("\\x%02x", ch);
		}
	}
	PUT("\"");
#undef PUT
}

/*
 * rewrite_value -- the value of d as a configuration line writes it:
 * sizes in the largest exact unit (Redis's habit: 100mb), permissions
 * in octal with a leading 0, strings quoted when they must be.
 */
static void
rewrite_value(const struct rp_config *c, const struct cfg_directive *d,
	      char *buf, size_t len)
{
	char raw[PATH_MAX + 64];
	uint64_t v = 0;

	cfg_get(c, d->name, raw, sizeof(raw));
	if (d->size <= sizeof(uint64_t))
		v = load_uint((const char *)c + d->off, d->size);
	switch (d->kind) {
	case K_MEM: {
		static const char *const units[] = { "gb", "mb", "kb" };
		unsigned shift = 30, u = 0;
		while (u < 3 && (v == 0 || v % (1ull << shift) != 0)) {
			u++;
			shift -= 10;
		}
		if (u < 3)
			snprintf(buf, len, "%llu%s",
				 (unsigned long long)(v >> shift), units[u]);
		else
			snprintf(buf, len, "%llu", (unsigned long long)v);
		break;
	}
	case K_OCTAL:
		snprintf(buf, len, "0%s", raw);
		break;
	case K_SAVE:
		/* Several words, or "" for none. */
		snprintf(buf, len, "%s", raw[0] ? raw : "\"\"");
		break;
	case K_STR:
	case K_IMPAIR:
		if (needs_quotes(raw))
			quote(raw, buf, len);
		else
			snprintf(buf, len, "%s", raw);
		break;
	default:
		snprintf(buf, len, "%s", raw);
		break;
	}
}

/* A configuration file as lines, while it is rewritten. */
struct cfg_lines {
	char **line;            /* as read, without the newline */
	int *dir;               /* directive index of a line, -1: none */
	int n, cap;
};

static void
lines_free(struct cfg_lines *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
	free(l->dir);
}

/* lines_add -- append a copy of s. Returns 0 or -ENOMEM. */
static int
lines_add(struct cfg_lines *l, const char *s, int dir)
{
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 64;
		char **nl = realloc(l->line, (size_t)cap * sizeof(*nl));
		if (nl == NULL)
			return -ENOMEM;
		l->line = nl;
		int *nd = realloc(l->dir, (size_t)cap * sizeof(*nd));
		if (nd == NULL)
			return -ENOMEM;
		l->dir = nd;
		l->cap = cap;
	}
	if ((l->line[l->n] = strdup(s)) == NULL)
		return -ENOMEM;
	l->dir[l->n++] = dir;
	return 0;
}

/*
 * read_old -- the lines of the file at path (none if it does not exist)
 * with, for each, the directive it sets (-1 for comments, blank lines,
 * include and lines that are not directives). *signed_ is set if the
 * file holds the CONFIG REWRITE signature line.
 */
static int
read_old(const char *path, struct cfg_lines *l, bool *signed_, char *err,
	 size_t errlen)
{
	char *argv[CFG_MAX_ARGS];
	char *buf, *copy = NULL;
	long len;
	bool nul;
	int rc = 0, lineno = 0;
	FILE *f = open_conf(path, false, &rc);

	*signed_ = false;
	if (f == NULL) {
		if (rc == -ENOENT)
			return 0;
		open_error(path, NULL, rc, err, errlen);
		return rc;
	}
	buf = malloc(CFG_MAX_LINE + 1);
	copy = malloc(CFG_MAX_LINE + 1);
	if (buf == NULL || copy == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while ((len = read_line(f, buf)) != -1) {
		int dir = -1;
		lineno++;
		if (len < 0) {
			rc = reason(err, errlen, "%s:%d: %s", path, lineno,
				    len == -2 ? "line longer than 16384 bytes"
				    : "NUL byte in configuration line");
			goto out;
		}
		strcpy(copy, buf);
		char *s = trim(copy);
		if (s[0] == '#') {
			*signed_ |= strcmp(s, CFG_REWRITE_SIGNATURE) == 0;
		} else if (s[0] != '\0' &&
			   split_args(s, argv, CFG_MAX_ARGS, &nul) > 0) {
			const struct cfg_directive *d = find(argv[0]);
			if (d != NULL)
				dir = (int)(d - cfg_table);
		}
		if ((rc = lines_add(l, buf, dir)) != 0) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
	}
	if (ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	}
out:
	free(copy);
	free(buf);
	fclose(f);
	return rc;
}

/*
 * write_atomic -- replace the file at path with text: a temporary file
 * in the same folder, with the old file's permission bits (0644 for a
 * new one), written and synced, renamed over path, the folder synced.
 */
static int
write_atomic(const char *path, const char *text, size_t len, char *err,
	     size_t errlen)
{
	char tmp[PATH_MAX + 32], dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;
	mode_t mode = 0644;
	int fd, rc = 0;

	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) >=
	    (int)sizeof(tmp)) {
		snprintf(err, errlen, "%.200s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return rc;
	}
	for (size_t off = 0; off < len && rc == 0;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			rc = -errno;
		else
			off += (size_t)w;
	}
	if (rc == 0 && fchmod(fd, mode) != 0)
		rc = -errno;
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		unlink(tmp);
		return rc;
	}
	/* The rename itself is durable once the folder is synced. */
	snprintf(dir, sizeof(dir), "%.*s", slash == NULL ? 1 :
		 slash == path ? 1 : (int)(slash - path),
		 slash == NULL ? "." : path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

/* text_add -- append a line (and its newline) to a growing buffer. */
static int
text_add(char **text, size_t *len, size_t *cap, const char *a,
	 const char *b)
{
	size_t need = strlen(a) + (b ? strlen(b) + 1 : 0) + 1;

	if (*len + need + 1 > *cap) {
		size_t ncap = (*cap + need) * 2;
		char *t = realloc(*text, ncap);
		if (t == NULL)
			return -ENOMEM;
		*text = t;
		*cap = ncap;
	}
	*len += (size_t)sprintf(*text + *len, "%s%s%s\n", a, b ? " " : "",
				b ? b : "");
	return 0;
}

int
cfg_rewrite(const struct rp_config *c, const char *path, char *err,
	    size_t errlen)
{
	struct cfg_lines l = { 0 };
	struct rp_config def;
	char val[CFG_VALUE_LEN], dval[CFG_VALUE_LEN];
	bool seen[CFG_N] = { false }, signed_;
	char *text = NULL;
	size_t len = 0, cap = 0;
	int rc;

	cfg_init(&def);
	if ((rc = read_old(path, &l, &signed_, err, errlen)) != 0)
		goto out;
	/* Each directive's first line takes its current value; later lines
	 * for the same directive go; everything else stays as it was. */
	for (int i = 0; i < l.n && rc == 0; i++) {
		int k = l.dir[i];
		if (k < 0) {
			rc = text_add(&text, &len, &cap, l.line[i], NULL);
		} else if (!seen[k]) {
			seen[k] = true;
			rewrite_value(c, &cfg_table[k], val, sizeof(val));
			rc = text_add(&text, &len, &cap, cfg_table[k].name,
				      val);
		}
	}
	/* Directives the file does not name are added when they differ
	 * from their default, after the signature line. */
	for (size_t k = 0; k < CFG_N && rc == 0; k++) {
		if (seen[k])
			continue;
		rewrite_value(c, &cfg_table[k], val, sizeof(val));
		rewrite_value(&def, &cfg_table[k], dval, sizeof(dval));
		if (strcmp(val, dval) == 0)
			continue;
		if (!signed_) {
			rc = text_add(&text, &len, &cap, CFG_REWRITE_SIGNATURE,
				      NULL);
			signed_ = true;
		}
		if (rc == 0)
			rc = text_add(&text, &len, &cap, cfg_table[k].name,
				      val);
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	rc = write_atomic(path, text ? text : "", len, err, errlen);
out:
	free(text);
	lines_free(&l);
	return rc;
}

int
cfg_eal_args_end(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return argc;
}
