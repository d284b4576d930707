/*
 * cfg.h -- redpoll configuration: the one struct rp_config, parsed from
 * redpoll.conf (redis.conf syntax) and from command-line overrides.
 *
 * Every directive lives in one table (cfg.c) that drives file parsing,
 * command-line overrides, CONFIG GET/SET and the configuration reference.
 * Functions return 0 or a negative errno; on failure they write a message
 * naming the file, line and reason into the caller's error buffer.
 */
#ifndef RP_CFG_H
#define RP_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>

#define CFG_ERR_LEN 512
#define CFG_MAX_DATABASES 16

/* Persistence modes (directive "persistence"). */
enum cfg_persist {
	CFG_PERSIST_SYNC = 0,  /* reply after the record is durable */
	CFG_PERSIST_ASYNC,     /* durable within persistence-async-us */
	CFG_PERSIST_OFF,       /* pure cache */
};

/* maxmemory-policy values, as in Redis. */
enum cfg_evict {
	CFG_EVICT_NOEVICTION = 0,
	CFG_EVICT_ALLKEYS_LRU,
	CFG_EVICT_ALLKEYS_LFU,
	CFG_EVICT_ALLKEYS_RANDOM,
	CFG_EVICT_VOLATILE_LRU,
	CFG_EVICT_VOLATILE_LFU,
	CFG_EVICT_VOLATILE_RANDOM,
	CFG_EVICT_VOLATILE_TTL,
};

enum cfg_loglevel {
	CFG_LOG_DEBUG = 0,
	CFG_LOG_VERBOSE,
	CFG_LOG_NOTICE,
	CFG_LOG_WARNING,
};

/* Client classes of client-output-buffer-limit, as in Redis. */
enum cfg_obuf_class {
	CFG_OBUF_NORMAL = 0,
	CFG_OBUF_REPLICA,       /* "replica" or "slave" */
	CFG_OBUF_PUBSUB,
	CFG_OBUF__MAX,
};

/* One class's output buffer limits; 0 = no limit. */
struct cfg_obuf_limit {
	uint64_t hard;          /* bytes: reached -> closed at once */
	uint64_t soft;          /* bytes: reached for longer than ... */
	unsigned soft_seconds;  /* ... this many seconds -> closed */
};

struct rp_config {
	/* network (dataplane) */
	uint32_t ip;              /* "bind-ip": host byte order */
	uint8_t prefix_len;       /* from "bind-ip a.b.c.d/len" (default 24) */
	uint32_t gateway;         /* "gateway": 0 = none */
	uint16_t port;            /* "port": TCP port, default 6379 */
	long long udp_port;       /* "udp-port": RESP over UDP; 0 = port,
				   * -1 = off (cfg_udp_port) */
	uint16_t mtu;             /* "mtu", default 1500 */
	unsigned tcp_backlog;     /* "tcp-backlog" */
	unsigned tcp_keepalive;   /* "tcp-keepalive" seconds, 0 = off */
	bool tcp_tso;             /* "tcp-tso": let the port segment */
	unsigned timeout;         /* "timeout": idle client timeout, 0 = off */
	unsigned maxclients;      /* "maxclients" */
	/* "client-output-buffer-limit <class> <hard> <soft> <seconds>" */
	struct cfg_obuf_limit obuf_limits[CFG_OBUF__MAX];
	uint64_t client_query_buf_limit; /* "client-query-buffer-limit" */
	uint64_t client_output_budget;   /* "client-output-budget": output
					  * beyond which a client's next
					  * requests wait */
	unsigned rx_desc;         /* "rx-descriptors" */
	unsigned tx_desc;         /* "tx-descriptors" */
	unsigned port_queues;     /* "port-queues": 0 = one per worker */
	unsigned mbufs;           /* "mbufs": mbuf pool size per worker */
	char impair_rx[128];      /* "impair-rx": impairment spec, "" = off */
	char impair_tx[128];      /* "impair-tx": impairment spec, "" = off */
	uint64_t impair_seed;     /* "impair-seed": PRNG seed of impairment */

	/* cores */
	unsigned workers;         /* "workers": 0 = all lcores but main */
	unsigned idle_sleep_us;   /* "worker-idle-sleep-us": 0 = busy poll */
	unsigned idle_polls;      /* "worker-idle-polls" before sleeping */
	unsigned hz;              /* "hz": timer frequency as in Redis */

	/* store */
	unsigned databases;       /* "databases", 1..16 */
	uint64_t maxmemory;       /* "maxmemory" bytes, 0 = no limit */
	enum cfg_evict maxmemory_policy;
	unsigned active_expire_effort; /* "active-expire-effort" 1..10 */
	char requirepass[128];    /* "requirepass": empty = none */
	unsigned long set_max_intset_entries; /* "set-max-intset-entries" */
	unsigned long zset_lp_entries; /* "zset-max-listpack-entries" */
	unsigned long zset_lp_value;   /* "zset-max-listpack-value" bytes */
	unsigned long hash_lp_entries; /* "hash-max-listpack-entries" */
	unsigned long hash_lp_value;   /* "hash-max-listpack-value" bytes */
	int64_t list_lp_size;     /* "list-max-listpack-size": < 0 bytes, */
				  /* -1..-5 = 4..64 KB; >= 0 entries */
	unsigned long list_compress_depth; /* "list-compress-depth" */

	/* persistence */
	char pmem_path[PATH_MAX]; /* "pmem-path": directory or file prefix */
	uint64_t pmem_size;       /* "pmem-size": bytes per worker region */
	enum cfg_persist persistence;
	unsigned persist_async_us;/* "persistence-async-us" */
	bool pmem_repair;         /* "pmem-repair": truncate a corrupt log */
	unsigned snapshot_log_percent; /* "snapshot-log-percent" */

	/* control plane */
	char admin_socket[108];   /* "admin-socket": unix socket path */
	unsigned admin_socket_perm; /* "admin-socket-perm", octal */
	bool daemonize;           /* "daemonize" */
	char pidfile[PATH_MAX];   /* "pidfile" */
	char logfile[PATH_MAX];   /* "logfile": empty = stdout */
	enum cfg_loglevel loglevel;
	char save[64];            /* "save": snapshot schedule */
	char dir[PATH_MAX];       /* "dir": where SAVE writes */
	char dbfilename[256];     /* "dbfilename": SAVE's file in dir */
	char import_rdb[PATH_MAX];/* "import-rdb": RDB loaded at start */

	/* statistics */
	long long slowlog_slower_than; /* "slowlog-log-slower-than" us, <0 off */
	unsigned long slowlog_max_len; /* "slowlog-max-len" entries */
	unsigned long long latency_threshold_ms; /* "latency-monitor-threshold" */
	bool latency_tracking;    /* "latency-tracking": per-command histograms */
	bool appendonly;          /* "appendonly": AOF (reported only) */

	/* not a directive: the --config file (absolute), "" if none;
	 * CONFIG REWRITE writes it, INFO shows it */
	char config_file[PATH_MAX];
};

/*
 * Network impairment for tests (directives impair-rx and impair-tx): the
 * probability of each action per packet, and the delay. Parsed from
 * "drop=P dup=P reorder=P corrupt=P delay=P delay-us=N" (any subset, in
 * any order; delay-us without delay delays every packet).
 */
struct cfg_impair {
	double drop, dup, reorder, corrupt, delay;
	uint32_t delay_us;
};

/*
 * cfg_impair_parse -- parse an impairment spec into out; "" gives all
 * zeroes (off). Returns 0, or -EINVAL with a reason in err.
 */
int cfg_impair_parse(const char *spec, struct cfg_impair *out, char *err,
		     size_t errlen);

/* cfg_impair_on -- whether a parsed spec does anything. */
bool cfg_impair_on(const struct cfg_impair *im);

/* How a directive's value is shown and set: one entry of the table. */
struct cfg_directive;

/*
 * cfg_udp_port -- the UDP port of RESP over UDP: udp-port, or port when
 * udp-port is 0; 0 when UDP is off (udp-port -1).
 */
uint16_t cfg_udp_port(const struct rp_config *cfg);

/*
 * cfg_init -- fill a config with the built-in defaults (the same values
 * config/redpoll.conf documents).
 */
void cfg_init(struct rp_config *c);

/*
 * cfg_load_file -- apply every directive of a redis.conf-syntax file
 * (and of files it includes) on top of c.
 *   path: file to read.
 *   err:  receives "FILE:LINE: reason" on failure (errlen bytes).
 * Returns 0; the negative errno of opening a file that cannot be read
 * (-ENOENT, -EACCES, -EISDIR, ...; -EINVAL for an included file that is
 * not a regular file); -EINVAL on a bad line, directive or value; -ELOOP
 * on include nesting deeper than 8. On failure c is left unchanged.
 */
int cfg_load_file(struct rp_config *c, const char *path, char *err,
		  size_t errlen);

/*
 * cfg_eal_args_end -- index of the "--" that ends DPDK's EAL arguments
 * in argv (the program's own follow it), or argc if there is none.
 */
int cfg_eal_args_end(int argc, char **argv);

/*
 * cfg_parse_args -- apply the application arguments (those after the EAL's
 * "--"): "--config FILE" (loaded first, wherever it appears) and then each
 * "--<directive> <value>..." in order, as if appended to the file.
 * "--help" and "--version" are not handled here.
 * Returns 0, -EINVAL with "command line: reason" in err, or what
 * cfg_load_file returns for a --config file. On failure c is unchanged.
 */
int cfg_parse_args(struct rp_config *c, int argc, char **argv, char *err,
		   size_t errlen);

/*
 * cfg_set -- set one directive from its textual value (CONFIG SET path).
 * Returns 0, -ENOENT for an unknown directive, -EINVAL for a bad value,
 * -EPERM for a directive that cannot change at run time.
 * err receives a reason without file/line ("argument must be ...").
 */
int cfg_set(struct rp_config *c, const char *name, const char *value,
	    char *err, size_t errlen);

/*
 * cfg_get -- format the current value of a directive into buf, as CONFIG
 * GET shows it (sizes in bytes, booleans as yes/no, enums as words).
 * Returns the length written, or -ENOENT.
 */
int cfg_get(const struct rp_config *c, const char *name, char *buf,
	    size_t buflen);

/*
 * cfg_rewrite -- rewrite the configuration file at path (CONFIG
 * REWRITE) so that it sets the values of c: comments, blank lines,
 * include lines and the order of the lines are kept; the first line of
 * each directive gets its current value in place, later lines for the
 * same directive are removed; directives the file does not name are
 * appended after a "# Generated by CONFIG REWRITE" line when their
 * value differs from the default. A missing file is created. The new
 * file replaces the old one atomically (temporary file, fsync, rename)
 * and keeps its permission bits.
 * Returns 0 or a negative errno with "path: reason" in err.
 */
int cfg_rewrite(const struct rp_config *c, const char *path, char *err,
		size_t errlen);

/*
 * cfg_foreach -- call fn(name, ctx) for every directive name in table
 * order (CONFIG GET with a glob pattern, the configuration reference).
 */
void cfg_foreach(void (*fn)(const char *name, void *ctx), void *ctx);

/*
 * cfg_is_mutable -- whether CONFIG SET may change a directive at run time.
 */
bool cfg_is_mutable(const char *name);

/*
 * cfg_doc -- one-line summary of a directive (for help output and the
 * configuration reference), or NULL for an unknown name.
 */
const char *cfg_doc(const char *name);

#endif /* RP_CFG_H */
