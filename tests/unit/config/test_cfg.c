/*
 * test_cfg.c -- config/cfg.c: defaults, every directive through the file,
 * the command line and CONFIG SET/GET, units, quoting, includes, every
 * error message, and the shipped redpoll.conf and configuration reference.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>

#include "unit.h"

#include "cfg.h"

/* The test's own directory, made fresh for each test. */
static char dir[64];

/* rm_entry -- nftw callback removing one entry. */
static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rpcfg.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* path_of -- the path of name in the test's directory. */
static const char *
path_of(const char *name)
{
	static char path[4][256];
	static unsigned k;
	char *p = path[k++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	return p;
}

/* write_file -- write text (len bytes) to name; returns its path. */
static const char *
write_bytes(const char *name, const char *text, size_t len)
{
	const char *path = path_of(name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

static const char *
write_file(const char *name, const char *text)
{
	return write_bytes(name, text, strlen(text));
}

/* load_text -- defaults, then text loaded as t.conf; returns the rc. */
static int
load_text(struct rp_config *c, const char *text, char *err)
{
	cfg_init(c);
	return cfg_load_file(c, write_file("t.conf", text), err, CFG_ERR_LEN);
}

/* get -- cfg_get into a static buffer, checking the returned length. */
static const char *
get(const struct rp_config *c, const char *name)
{
	static char buf[4200];
	int n = cfg_get(c, name, buf, sizeof(buf));

	assert_true(n >= 0);
	assert_int_equal((size_t)n, strlen(buf));
	return buf;
}

/* Every directive with its default as CONFIG GET shows it. */
static const struct { const char *name, *value; } defaults[] = {
	{ "bind-ip", "198.18.0.1/24" },
	{ "gateway", "none" },
	{ "port", "6379" },
	{ "udp-port", "0" },
	{ "mtu", "1500" },
	{ "tcp-backlog", "511" },
	{ "tcp-keepalive", "300" },
	{ "tcp-tso", "no" },
	{ "timeout", "0" },
	{ "maxclients", "10000" },
	{ "client-output-buffer-limit", "normal 0 0 0 slave 268435456 "
	  "67108864 60 pubsub 33554432 8388608 60" },
	{ "client-query-buffer-limit", "1073741824" },
	{ "client-output-budget", "4194304" },
	{ "rx-descriptors", "1024" },
	{ "tx-descriptors", "1024" },
	{ "port-queues", "0" },
	{ "mbufs", "65535" },
	{ "impair-rx", "" },
	{ "impair-tx", "" },
	{ "impair-seed", "1" },
	{ "workers", "1" },
	{ "worker-idle-sleep-us", "100" },
	{ "worker-idle-polls", "10000" },
	{ "hz", "10" },
	{ "databases", "16" },
	{ "maxmemory", "0" },
	{ "maxmemory-policy", "noeviction" },
	{ "active-expire-effort", "1" },
	{ "requirepass", "" },
	{ "set-max-intset-entries", "512" },
	{ "zset-max-listpack-entries", "128" },
	{ "zset-max-listpack-value", "64" },
	{ "hash-max-listpack-entries", "128" },
	{ "hash-max-listpack-value", "64" },
	{ "list-max-listpack-size", "-2" },
	{ "list-compress-depth", "0" },
	{ "pmem-path", "/dev/shm/redpoll" },
	{ "pmem-size", "1073741824" },
	{ "persistence", "sync" },
	{ "persistence-async-us", "1000" },
	{ "pmem-repair", "no" },
	{ "snapshot-log-percent", "50" },
	{ "dir", "/var/lib/redpoll" },
	{ "dbfilename", "dump.rdb" },
	{ "import-rdb", "" },
	{ "save", "" },
	{ "appendonly", "no" },
	{ "admin-socket", "/run/redpoll.sock" },
	{ "admin-socket-perm", "600" },
	{ "daemonize", "no" },
	{ "pidfile", "" },
	{ "logfile", "" },
	{ "loglevel", "notice" },
	{ "slowlog-log-slower-than", "10000" },
	{ "slowlog-max-len", "128" },
	{ "latency-monitor-threshold", "0" },
	{ "latency-tracking", "yes" },
};
#define N_DEFAULTS (sizeof(defaults) / sizeof(defaults[0]))

/* Every directive set to a value other than its default: the text given
 * (words separated by spaces) and what CONFIG GET then shows. */
static const struct { const char *name, *in, *out; } values[] = {
	{ "bind-ip", "198.19.2.3/15", "198.19.2.3/15" },
	{ "gateway", "198.18.0.254", "198.18.0.254" },
	{ "port", "7000", "7000" },
	{ "udp-port", "-1", "-1" },
	{ "mtu", "9000", "9000" },
	{ "tcp-backlog", "128", "128" },
	{ "tcp-keepalive", "0", "0" },
	{ "tcp-tso", "yes", "yes" },
	{ "timeout", "2147483647", "2147483647" },
	{ "maxclients", "1", "1" },
	{ "client-output-buffer-limit", "normal 1mb 512kb 10",
	  "normal 1048576 524288 10 slave 268435456 67108864 60 "
	  "pubsub 33554432 8388608 60" },
	{ "client-query-buffer-limit", "1mb", "1048576" },
	{ "client-output-budget", "64kb", "65536" },
	{ "rx-descriptors", "64", "64" },
	{ "tx-descriptors", "16384", "16384" },
	{ "port-queues", "1", "1" },
	{ "mbufs", "1023", "1023" },
	{ "impair-rx", "drop=0.05 reorder=0.05", "drop=0.05 reorder=0.05" },
	{ "impair-tx", "delay-us=200", "delay-us=200" },
	{ "impair-seed", "42", "42" },
	{ "workers", "0", "0" },
	{ "worker-idle-sleep-us", "0", "0" },
	{ "worker-idle-polls", "1", "1" },
	{ "hz", "500", "500" },
	{ "databases", "1", "1" },
	{ "maxmemory", "4gb", "4294967296" },
	{ "maxmemory-policy", "NoEviction", "noeviction" },
	{ "active-expire-effort", "10", "10" },
	{ "requirepass", "s3cret", "s3cret" },
	{ "set-max-intset-entries", "0", "0" },
	{ "zset-max-listpack-entries", "0", "0" },
	{ "zset-max-listpack-value", "1000", "1000" },
	{ "hash-max-listpack-entries", "0", "0" },
	{ "hash-max-listpack-value", "1000", "1000" },
	{ "list-max-listpack-size", "-2147483648", "-2147483648" },
	{ "list-compress-depth", "2147483647", "2147483647" },
	{ "pmem-path", "/mnt/pmem0", "/mnt/pmem0" },
	{ "pmem-size", "1mb", "1048576" },
	{ "persistence", "OFF", "off" },
	{ "persistence-async-us", "5", "5" },
	{ "pmem-repair", "yes", "yes" },
	{ "snapshot-log-percent", "75", "75" },
	{ "dir", "/srv/redpoll", "/srv/redpoll" },
	{ "dbfilename", "snap.rdb", "snap.rdb" },
	{ "import-rdb", "/tmp/in.rdb", "/tmp/in.rdb" },
	{ "save", "3600 1 300 100", "3600 1 300 100" },
	{ "appendonly", "YES", "yes" },
	{ "admin-socket", "/tmp/x.sock", "/tmp/x.sock" },
	{ "admin-socket-perm", "0660", "660" },
	{ "daemonize", "yes", "yes" },
	{ "pidfile", "/run/redpoll.pid", "/run/redpoll.pid" },
	{ "logfile", "/var/log/redpoll.log", "/var/log/redpoll.log" },
	{ "loglevel", "WARNING", "warning" },
	{ "slowlog-log-slower-than", "-1", "-1" },
	{ "slowlog-max-len", "0", "0" },
	{ "latency-monitor-threshold", "100", "100" },
	{ "latency-tracking", "no", "no" },
};
#define N_VALUES (sizeof(values) / sizeof(values[0]))

/* collect -- cfg_foreach callback: count names and check each is known
 * to both tables above. */
static void
collect(const char *name, void *ctx)
{
	unsigned *n = ctx, found = 0;

	for (unsigned i = 0; i < N_DEFAULTS; i++)
		found += strcmp(defaults[i].name, name) == 0;
	for (unsigned i = 0; i < N_VALUES; i++)
		found += strcmp(values[i].name, name) == 0;
	if (found != 2)
		fail_msg("directive %s missing from the test tables", name);
	(*n)++;
}

static void
test_defaults(void **state)
{
	struct rp_config c;
	unsigned n = 0;
	(void)state;

	cfg_foreach(collect, &n);
	assert_int_equal(n, N_DEFAULTS);
	assert_int_equal(n, N_VALUES);
	cfg_init(&c);
	for (unsigned i = 0; i < N_DEFAULTS; i++)
		assert_string_equal(get(&c, defaults[i].name),
				    defaults[i].value);
	assert_int_equal(c.ip, 0xc6120001);
	assert_int_equal(c.prefix_len, 24);
	assert_int_equal(c.gateway, 0);
	assert_int_equal(c.port, 6379);
	assert_int_equal(c.rx_desc, 1024);
	assert_int_equal(c.workers, 1);
	assert_int_equal(c.idle_sleep_us, 100);
	assert_int_equal(c.databases, 16);
	assert_int_equal(c.maxmemory_policy, CFG_EVICT_NOEVICTION);
	assert_int_equal(c.pmem_size, 1ULL << 30);
	assert_int_equal(c.persistence, CFG_PERSIST_SYNC);
	assert_int_equal(c.admin_socket_perm, 0600);
	assert_int_equal(c.loglevel, CFG_LOG_NOTICE);
	assert_false(c.daemonize);
	assert_string_equal(c.requirepass, "");
}

/* split_words -- text split on spaces into argv (in buf). */
static int
split_words(const char *text, char *buf, size_t len, char **argv)
{
	int n = 0;

	snprintf(buf, len, "%s", text);
	for (char *s = strtok(buf, " "); s != NULL; s = strtok(NULL, " "))
		argv[n++] = s;
	return n;
}

/* test_round_trip -- each directive through the file, the command line
 * and (where mutable) CONFIG SET; CONFIG GET's text loads back the same. */
static void
test_round_trip(void **state)
{
	struct rp_config a, b;
	char err[CFG_ERR_LEN], line[256], words[256], *argv[16];
	(void)state;

	for (unsigned i = 0; i < N_VALUES; i++) {
		const char *name = values[i].name;
		snprintf(line, sizeof(line), "%s %s\n", name, values[i].in);
		assert_int_equal(load_text(&a, line, err), 0);
		assert_string_equal(get(&a, name), values[i].out);

		/* the command line: --name word... */
		char opt[64];
		snprintf(opt, sizeof(opt), "--%s", name);
		argv[0] = opt;
		int argc = 1 + split_words(values[i].in, words, sizeof(words),
					   argv + 1);
		cfg_init(&b);
		assert_int_equal(cfg_parse_args(&b, argc, argv, err,
						sizeof(err)), 0);
		assert_memory_equal(&a, &b, sizeof(a));

		/* CONFIG SET, or its refusal */
		cfg_init(&b);
		int rc = cfg_set(&b, name, values[i].in, err, sizeof(err));
		if (cfg_is_mutable(name)) {
			assert_int_equal(rc, 0);
			assert_memory_equal(&a, &b, sizeof(a));
		} else {
			assert_int_equal(rc, -EPERM);
			assert_string_equal(err, "can't set immutable config");
		}

		/* what CONFIG GET shows, quoted, loads back the same */
		snprintf(line, sizeof(line), "%s \"%s\"\n", name,
			 values[i].out);
		assert_int_equal(load_text(&b, line, err), 0);
		assert_memory_equal(&a, &b, sizeof(a));
		assert_non_null(cfg_doc(name));
	}
	assert_null(cfg_doc("nosuch"));
}

/* test_fields -- the values land in the struct's fields. */
static void
test_fields(void **state)
{
	struct rp_config c;
	char err[CFG_ERR_LEN];
	(void)state;

	assert_int_equal(load_text(&c, "bind-ip 198.19.1.2\n"
				   "gateway 198.19.0.1\nport 7000\n"
				   "maxmemory-policy noeviction\n"
				   "persistence async\nloglevel debug\n"
				   "admin-socket-perm 0640\ndaemonize yes\n"
				   "pmem-size 2MB\n", err), 0);
	assert_int_equal(c.ip, 0xc6130102);
	assert_int_equal(c.prefix_len, 24);  /* no /len: 24 */
	assert_int_equal(c.gateway, 0xc6130001);
	assert_int_equal(c.port, 7000);
	assert_int_equal(c.persistence, CFG_PERSIST_ASYNC);
	assert_int_equal(c.loglevel, CFG_LOG_DEBUG);
	assert_int_equal(c.admin_socket_perm, 0640);
	assert_true(c.daemonize);
	assert_int_equal(c.pmem_size, 2 << 20);
	assert_int_equal(load_text(&c, "gateway 198.19.0.1\ngateway none\n",
				   err), 0);
	assert_int_equal(c.gateway, 0);
	assert_int_equal(load_text(&c, "bind-ip 198.19.1.2/32\n", err), 0);
	assert_int_equal(c.prefix_len, 32);

	/* a shorter string leaves no trace of a longer one: configurations
	 * compare bytewise */
	struct rp_config d;
	assert_int_equal(load_text(&c, "requirepass longer-one\n"
				   "requirepass short\n", err), 0);
	assert_int_equal(load_text(&d, "requirepass short\n", err), 0);
	assert_memory_equal(&c, &d, sizeof(c));
}

static void
test_units(void **state)
{
	static const struct { const char *in; uint64_t bytes; } sizes[] = {
		{ "0", 0 }, { "123", 123 }, { "5b", 5 }, { "5B", 5 },
		{ "1k", 1000 }, { "1K", 1000 }, { "1kb", 1024 },
		{ "1KB", 1024 }, { "1kB", 1024 }, { "3m", 3000000 },
		{ "3mb", 3 << 20 }, { "3Mb", 3 << 20 }, { "3g", 3000000000ULL },
		{ "3gb", 3ULL << 30 }, { "3GB", 3ULL << 30 },
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183gb", 17179869183ULL << 30 },
	};
	struct rp_config c;
	char err[CFG_ERR_LEN], line[64];
	(void)state;

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(line, sizeof(line), "maxmemory %s\n", sizes[i].in);
		assert_int_equal(load_text(&c, line, err), 0);
		assert_true(c.maxmemory == sizes[i].bytes);
	}
}

/* expect_pass -- requirepass given as text loads as want. */
static void
expect_pass(const char *text, const char *want)
{
	struct rp_config c;
	char err[CFG_ERR_LEN], line[256];

	snprintf(line, sizeof(line), "requirepass %s\n", text);
	assert_int_equal(load_text(&c, line, err), 0);
	assert_string_equal(c.requirepass, want);
}

static void
test_quoting(void **state)
{
	(void)state;
	expect_pass("plain", "plain");
	expect_pass("\"a b\"", "a b");
	expect_pass("\"\\n\\r\\t\\b\\a\\\\\\\"\"", "\n\r\t\b\a\\\"");
	expect_pass("\"\\x41\\x7a\\xfF\"", "Az\xff");
	expect_pass("\"\\x4\"", "x4");       /* not a full \xHH */
	expect_pass("\"\\q\"", "q");         /* any other escape: itself */
	expect_pass("'it\\'s'", "it's");
	expect_pass("'a\\nb \"c\"'", "a\\nb \"c\"");
	expect_pass("a\"b c\"", "ab c");     /* a quote may open mid-word */
	expect_pass("\"\"", "");
	expect_pass("''", "");
	expect_pass("x\t", "x");
	expect_pass("\"x\"\t", "x");
	expect_pass("a#b", "a#b");
}

/* expect_error -- loading text fails with rc and exactly this message
 * after the file's path. */
static void
expect_error_rc(const char *text, int rc, const char *msg)
{
	struct rp_config c, before;
	char err[CFG_ERR_LEN], want[2 * CFG_ERR_LEN];

	assert_int_equal(load_text(&c, text, err), rc);
	snprintf(want, sizeof(want), "%s:%s", path_of("t.conf"), msg);
	assert_string_equal(err, want);
	cfg_init(&before);
	assert_memory_equal(&c, &before, sizeof(c));  /* left unchanged */
}

static void
expect_error(const char *text, const char *msg)
{
	expect_error_rc(text, -EINVAL, msg);
}

#define RANGE(lo, hi) "argument must be between " lo " and " hi " inclusive"
#define NOT_INT "argument couldn't be parsed into an integer"
#define NOT_MEM "argument must be a memory value"
#define POLICIES "volatile-lru, volatile-lfu, volatile-random, " \
	"volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"

static void
test_errors(void **state)
{
	(void)state;
	expect_error("port 6379\nprot 7000\n", "2: unknown directive 'prot'");
	expect_error("\"\"\n", "1: unknown directive ''");
	expect_error("port\n", "1: wrong number of arguments for 'port'");
	expect_error("PORT 1 2\n", "1: wrong number of arguments for 'port'");
	expect_error("port 6379 # six\n",
		     "1: wrong number of arguments for 'port'");
	expect_error("port 99999\n", "1: 'port 99999': " RANGE("1", "65535"));
	expect_error("port 0\n", "1: 'port 0': " RANGE("1", "65535"));
	expect_error("port -1\n", "1: 'port -1': " RANGE("1", "65535"));
	expect_error("  port   abc  \n", "1: 'port   abc': " NOT_INT);
	expect_error("port 007\n", "1: 'port 007': " NOT_INT);
	expect_error("port +5\n", "1: 'port +5': " NOT_INT);
	expect_error("port 1e3\n", "1: 'port 1e3': " NOT_INT);
	expect_error("port \"\"\n", "1: 'port \"\"': " NOT_INT);
	expect_error("port 99999999999999999999\n",
		     "1: 'port 99999999999999999999': " NOT_INT);
	expect_error("timeout 2147483648\n", "1: 'timeout 2147483648': "
		     RANGE("0", "2147483647"));
	expect_error("hz 501\n", "1: 'hz 501': " RANGE("1", "500"));
	expect_error("databases 17\n", "1: 'databases 17': " RANGE("1", "16"));
	expect_error("workers 129\n", "1: 'workers 129': " RANGE("0", "128"));
	expect_error("mtu 575\n", "1: 'mtu 575': " RANGE("576", "9000"));
	expect_error("rx-descriptors 1000\n", "1: 'rx-descriptors 1000': "
		     "argument must be a power of two between 64 and 16384");
	expect_error("port-queues 129\n", "1: 'port-queues 129': "
		     RANGE("0", "128"));
	expect_error("tx-descriptors 32768\n", "1: 'tx-descriptors 32768': "
		     RANGE("64", "16384"));
	expect_error("daemonize maybe\n", "1: 'daemonize maybe': argument "
		     "must be 'yes' or 'no'");
	expect_error("appendonly 1\n", "1: 'appendonly 1': argument "
		     "must be 'yes' or 'no'");
	expect_error("maxmemory lots\n", "1: 'maxmemory lots': " NOT_MEM);
	expect_error("maxmemory 1.5gb\n", "1: 'maxmemory 1.5gb': " NOT_MEM);
	expect_error("maxmemory -1\n", "1: 'maxmemory -1': " NOT_MEM);
	expect_error("maxmemory kb\n", "1: 'maxmemory kb': " NOT_MEM);
	expect_error("maxmemory 1tb\n", "1: 'maxmemory 1tb': " NOT_MEM);
	expect_error("maxmemory 18446744073709551616\n",
		     "1: 'maxmemory 18446744073709551616': " NOT_MEM);
	expect_error("maxmemory 17179869184gb\n",
		     "1: 'maxmemory 17179869184gb': " NOT_MEM);
	expect_error("pmem-size 1048575\n", "1: 'pmem-size 1048575': "
		     RANGE("1048576", "18446744073709551615"));
	expect_error("persistence fast\n", "1: 'persistence fast': "
		     "argument(s) must be one of the following: sync, async, "
		     "off");
	expect_error("loglevel loud\n", "1: 'loglevel loud': argument(s) "
		     "must be one of the following: debug, verbose, notice, "
		     "warning");
	expect_error("maxmemory-policy lru\n", "1: 'maxmemory-policy lru': "
		     "argument(s) must be one of the following: " POLICIES);
	expect_error("maxmemory-policy allkeys-lru\n", "1: 'maxmemory-policy "
		     "allkeys-lru': maxmemory-policy 'allkeys-lru' is not "
		     "supported yet (only noeviction)");
	expect_error("maxmemory-policy VOLATILE-TTL\n", "1: 'maxmemory-policy "
		     "VOLATILE-TTL': maxmemory-policy 'volatile-ttl' is not "
		     "supported yet (only noeviction)");
	expect_error("admin-socket-perm 0800\n", "1: 'admin-socket-perm 0800': "
		     "argument couldn't be parsed as an octal number");
	expect_error("admin-socket-perm 1000\n", "1: 'admin-socket-perm 1000': "
		     RANGE("0", "777"));
	expect_error("bind-ip 1.2.3\n", "1: 'bind-ip 1.2.3': argument must "
		     "be an IPv4 address a.b.c.d[/1..32]");
	expect_error("bind-ip 198.18.9.4/33\n", "1: 'bind-ip 198.18.9.4/33': "
		     "argument must be an IPv4 address a.b.c.d[/1..32]");
	expect_error("bind-ip 198.18.9.4/\n", "1: 'bind-ip 198.18.9.4/': "
		     "argument must be an IPv4 address a.b.c.d[/1..32]");
	expect_error("bind-ip 198.18.9.4/0\n", "1: 'bind-ip 198.18.9.4/0': "
		     "argument must be an IPv4 address a.b.c.d[/1..32]");
	expect_error("bind-ip 0.0.0.0\n", "1: 'bind-ip 0.0.0.0': "
		     "argument must be an IPv4 address a.b.c.d[/1..32]");
	expect_error("bind-ip 198.18.9.256\n", "1: 'bind-ip 198.18.9.256': "
		     "argument must be an IPv4 address a.b.c.d[/1..32]");
	expect_error("gateway 198.18.9.4.5\n", "1: 'gateway 198.18.9.4.5': "
		     "argument must be an IPv4 address a.b.c.d or 'none'");
	expect_error("pmem-path ''\n", "1: 'pmem-path ''': argument must not "
		     "be empty");
	expect_error("requirepass "
		     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		     "xxxxxxxxxxxx\n", "1: 'requirepass "
		     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		     "xxxxxxxxxxxx': argument is longer than 127 bytes");
	expect_error("save 1\n", "1: 'save 1': Invalid save parameters");
	expect_error("save 0 1\n", "1: 'save 0 1': Invalid save parameters");
	expect_error("save 60 -1\n", "1: 'save 60 -1': Invalid save "
		     "parameters");
	expect_error("save \"60  1\"\n", "1: 'save \"60  1\"': Invalid save "
		     "parameters");
	expect_error("requirepass \"x\n",
		     "1: unbalanced quotes in configuration line");
	expect_error("requirepass \"x\"y\n",
		     "1: unbalanced quotes in configuration line");
	expect_error("requirepass 'x\n",
		     "1: unbalanced quotes in configuration line");
	expect_error("requirepass 'x'y\n",
		     "1: unbalanced quotes in configuration line");
	expect_error("requirepass \"a\\x00b\"\n", "1: 'requirepass "
		     "\"a\\x00b\"': NUL byte in an argument");
	expect_error("include\n", "1: wrong number of arguments for 'include'");
	expect_error("include a b\n",
		     "1: wrong number of arguments for 'include'");
}

/* test_lines -- comments, blank lines, line ends, long and binary lines. */
static void
test_lines(void **state)
{
	struct rp_config c;
	char err[CFG_ERR_LEN], want[CFG_ERR_LEN];
	(void)state;

	assert_int_equal(load_text(&c, "# comment\n\n   \n\t# indented\r\n"
				   "port 7000\r\nPort 7001\nhz 20", err), 0);
	assert_int_equal(c.port, 7001);    /* a later line wins */
	assert_int_equal(c.hz, 20);        /* no final newline */
	assert_int_equal(load_text(&c, "", err), 0);

	static char big[20000];
	memset(big, 'x', sizeof(big) - 2);
	memcpy(big, "port 1\n", 7);
	big[sizeof(big) - 2] = '\n';
	cfg_init(&c);
	assert_int_equal(cfg_load_file(&c, write_bytes("t.conf", big,
				       sizeof(big) - 1), err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want), "%s:2: line longer than 16384 bytes",
		 path_of("t.conf"));
	assert_string_equal(err, want);

	assert_int_equal(cfg_load_file(&c, write_bytes("t.conf", "port 1\0\n",
						       8), err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want), "%s:1: NUL byte in configuration line",
		 path_of("t.conf"));
	assert_string_equal(err, want);
}

static void
test_include(void **state)
{
	struct rp_config c;
	char err[CFG_ERR_LEN], want[CFG_ERR_LEN], text[256];
	(void)state;

	/* relative to the including file, nested, and absolute */
	assert_int_equal(mkdir(path_of("sub"), 0700), 0);
	write_file("sub/a.conf", "port 7001\ninclude b.conf\nhz 30\n");
	write_file("sub/b.conf", "hz 20\ndatabases 4\n");
	assert_int_equal(load_text(&c, "port 7000\nINCLUDE sub/a.conf\n"
				   "databases 8\n", err), 0);
	assert_int_equal(c.port, 7001);
	assert_int_equal(c.hz, 30);
	assert_int_equal(c.databases, 8);
	snprintf(text, sizeof(text), "include %s\n", path_of("sub/b.conf"));
	assert_int_equal(load_text(&c, text, err), 0);
	assert_int_equal(c.databases, 4);

	/* an error in an included file names that file */
	write_file("bad.conf", "\n\nport x\n");
	assert_int_equal(load_text(&c, "include bad.conf\n", err), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: 'port x': " NOT_INT,
		 path_of("bad.conf"));
	assert_string_equal(err, want);
}

/* test_include_errors -- loops, depth, missing and special files. */
static void
test_include_errors(void **state)
{
	struct rp_config c;
	char err[CFG_ERR_LEN], want[CFG_ERR_LEN], name[32], text[64];
	(void)state;

	/* eight levels of nesting are allowed, nine are not */
	for (int i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "n%d.conf", i);
		snprintf(text, sizeof(text), "include n%d.conf\n", i + 1);
		write_file(name, text);
	}
	write_file("n8.conf", "port 7008\n");
	cfg_init(&c);
	assert_int_equal(cfg_load_file(&c, path_of("n0.conf"), err,
				       sizeof(err)), 0);
	assert_int_equal(c.port, 7008);
	write_file("n8.conf", "include n9.conf\n");
	write_file("n9.conf", "port 7009\n");
	cfg_init(&c);
	assert_int_equal(cfg_load_file(&c, path_of("n0.conf"), err,
				       sizeof(err)), -ELOOP);
	snprintf(want, sizeof(want), "%s:1: include 'n9.conf': nesting "
		 "deeper than 8 levels", path_of("n8.conf"));
	assert_string_equal(err, want);

	/* a file including itself */
	write_file("self.conf", "port 7000\ninclude self.conf\n");
	cfg_init(&c);
	assert_int_equal(cfg_load_file(&c, path_of("self.conf"), err,
				       sizeof(err)), -ELOOP);
	snprintf(want, sizeof(want), "%s:2: include 'self.conf': nesting "
		 "deeper than 8 levels", path_of("self.conf"));
	assert_string_equal(err, want);
	assert_int_equal(c.port, 6379);

	/* missing files, top level and included */
	cfg_init(&c);
	assert_int_equal(cfg_load_file(&c, path_of("nope.conf"), err,
				       sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory",
		 path_of("nope.conf"));
	assert_string_equal(err, want);
	snprintf(want, sizeof(want), "1: include '%s': No such file or "
		 "directory", path_of("nope.conf"));
	expect_error_rc("include nope.conf\n", -ENOENT, want);

	/* a directory, a device */
	snprintf(want, sizeof(want), "1: include '%s': Is a directory",
		 path_of("."));
	expect_error_rc("include .\n", -EISDIR, want);
	expect_error_rc("include /dev/null\n", -EINVAL,
			"1: include '/dev/null': not a regular file");
	cfg_init(&c);
	assert_int_equal(cfg_load_file(&c, "/dev/null", err, sizeof(err)), 0);
}

/* test_command_line -- order, --config anywhere, multi-word values. */
static void
test_command_line(void **state)
{
	struct rp_config c;
	char err[CFG_ERR_LEN];
	const char *f1 = write_file("a.conf", "port 7000\nhz 20\ntimeout 5\n");
	const char *f2 = write_file("b.conf", "hz 30\n");
	char *args[] = { "--port", "7002", "--timeout", "6", "--config",
			 (char *)f1, "--save", "60", "1", "--config",
			 (char *)f2, "--timeout", "7", "--requirepass",
			 "--config" };
	(void)state;

	cfg_init(&c);
	assert_int_equal(cfg_parse_args(&c, 15, args, err, sizeof(err)), 0);
	assert_int_equal(c.port, 7002);   /* overrides the file */
	assert_int_equal(c.hz, 30);       /* files in order */
	assert_int_equal(c.timeout, 7);   /* directives in order */
	assert_string_equal(c.save, "60 1");
	assert_string_equal(c.requirepass, "--config"); /* a value */
	cfg_init(&c);
	assert_int_equal(cfg_parse_args(&c, 0, NULL, err, sizeof(err)), 0);
	char *quoted[] = { "--save", "60 1 30 2" };
	assert_int_equal(cfg_parse_args(&c, 2, quoted, err, sizeof(err)), 0);
	assert_string_equal(c.save, "60 1 30 2");
}

/* expect_cli_error -- cfg_parse_args fails with rc and message; the
 * config is left unchanged. */
static void
expect_cli_error(int argc, char **argv, int rc, const char *msg)
{
	struct rp_config c, before;
	char err[CFG_ERR_LEN];

	cfg_init(&c);
	before = c;
	assert_int_equal(cfg_parse_args(&c, argc, argv, err, sizeof(err)), rc);
	assert_string_equal(err, msg);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void
test_command_line_errors(void **state)
{
	char missing_file[300], msg[400];
	(void)state;

	char *unknown[] = { "--port", "7000", "--prot", "1" };
	expect_cli_error(4, unknown, -EINVAL,
			 "command line: unknown directive '--prot'");
	char *badv[] = { "--port", "7000", "--hz", "0" };
	expect_cli_error(4, badv, -EINVAL, "command line: '--hz 0': "
			 RANGE("1", "500"));
	char *nov[] = { "--port" };
	expect_cli_error(1, nov, -EINVAL, "command line: wrong number of "
			 "arguments for '--port'");
	char *noconf[] = { "--port", "1", "--config" };
	expect_cli_error(3, noconf, -EINVAL, "command line: wrong number of "
			 "arguments for '--config'");
	char *nosave[] = { "--save", "--port", "1" };
	expect_cli_error(3, nosave, -EINVAL, "command line: wrong number of "
			 "arguments for '--save'");
	char *badsave[] = { "--save", "60", "--port", "1" };
	expect_cli_error(4, badsave, -EINVAL, "command line: '--save 60': "
			 "Invalid save parameters");
	char *stray[] = { "--port", "1", "2" };
	expect_cli_error(3, stray, -EINVAL, "command line: unexpected argument "
			 "'2' (expected --<directive> <value>)");
	char *dash[] = { "--" };
	expect_cli_error(1, dash, -EINVAL, "command line: unexpected argument "
			 "'--' (expected --<directive> <value>)");
	char *policy[] = { "--maxmemory-policy", "allkeys-lfu" };
	expect_cli_error(2, policy, -EINVAL, "command line: '--maxmemory-policy "
			 "allkeys-lfu': maxmemory-policy 'allkeys-lfu' is not "
			 "supported yet (only noeviction)");
	snprintf(missing_file, sizeof(missing_file), "%s", path_of("no.conf"));
	char *nofile[] = { "--port", "1", "--config", missing_file };
	snprintf(msg, sizeof(msg), "%s: No such file or directory",
		 missing_file);
	expect_cli_error(4, nofile, -ENOENT, msg);
	const char *bad = write_file("bad.conf", "port 1\nhz x\n");
	char *badfile[] = { "--config", (char *)bad };
	snprintf(msg, sizeof(msg), "%s:2: 'hz x': " NOT_INT, bad);
	expect_cli_error(2, badfile, -EINVAL, msg);
}

/* expect_set -- cfg_set(name, value) fails with rc and message. */
static void
expect_set(const char *name, const char *value, int rc, const char *msg)
{
	struct rp_config c, before;
	char err[CFG_ERR_LEN] = "";

	cfg_init(&c);
	before = c;
	assert_int_equal(cfg_set(&c, name, value, err, sizeof(err)), rc);
	assert_string_equal(err, msg);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void
test_set(void **state)
{
	struct rp_config c;
	char err[CFG_ERR_LEN], buf[8];
	(void)state;

	cfg_init(&c);
	assert_int_equal(cfg_set(&c, "MaxMemory", "100mb", err, sizeof(err)),
			 0);
	assert_string_equal(get(&c, "maxmemory"), "104857600");
	assert_int_equal(cfg_set(&c, "maxmemory", "0", err, sizeof(err)), 0);
	assert_string_equal(get(&c, "MAXMEMORY"), "0");

	/* Redis 7.0's texts, checked against redis-server 7.0.15 */
	expect_set("maxmemory", "abc", -EINVAL, NOT_MEM);
	expect_set("maxmemory", "-1", -EINVAL, NOT_MEM);
	expect_set("timeout", "x", -EINVAL, NOT_INT);
	expect_set("timeout", "007", -EINVAL, NOT_INT);
	expect_set("timeout", " 5", -EINVAL, NOT_INT);
	expect_set("timeout", "", -EINVAL, NOT_INT);
	expect_set("timeout", "-1", -EINVAL, RANGE("0", "2147483647"));
	expect_set("tcp-keepalive", "-1", -EINVAL, RANGE("0", "2147483647"));
	expect_set("active-expire-effort", "11", -EINVAL, RANGE("1", "10"));
	expect_set("maxmemory-policy", "foo", -EINVAL, "argument(s) must be "
		   "one of the following: " POLICIES);
	expect_set("slowlog-log-slower-than", "-9223372036854775809", -EINVAL,
		   "argument couldn't be parsed into an integer");
	expect_set("slowlog-max-len", "-1", -EINVAL, "argument must be "
		   "between 0 and 9223372036854775807 inclusive");
	expect_set("loglevel", "foo", -EINVAL, "argument(s) must be one of "
		   "the following: debug, verbose, notice, warning");
	expect_set("maxmemory-policy", "allkeys-lru", -EINVAL,
		   "maxmemory-policy 'allkeys-lru' is not supported yet (only "
		   "noeviction)");
	/* immutable and unknown */
	expect_set("port", "7000", -EPERM, "can't set immutable config");
	expect_set("save", "60 1", -EPERM, "can't set immutable config");
	expect_set("nosuch", "1", -ENOENT, "");
	expect_set("include", "x", -ENOENT, "");
	assert_true(cfg_is_mutable("persistence"));
	assert_true(cfg_is_mutable("MAXMEMORY"));
	assert_false(cfg_is_mutable("workers"));
	assert_false(cfg_is_mutable("nosuch"));
	assert_int_equal(cfg_get(&c, "nosuch", buf, sizeof(buf)), -ENOENT);

	/* a short buffer: the length of what it holds */
	assert_int_equal(cfg_get(&c, "pmem-path", buf, sizeof(buf)), 7);
	assert_string_equal(buf, "/dev/sh");
	assert_int_equal(cfg_get(&c, "pmem-path", buf, 0), 0);
}

/* obuf_set -- CONFIG SET client-output-buffer-limit; the reason or "". */
static const char *
obuf_set(struct rp_config *c, const char *value)
{
	static char err[CFG_ERR_LEN];

	err[0] = '\0';
	if (cfg_set(c, "client-output-buffer-limit", value, err,
		    sizeof(err)) == 0)
		return "";
	return err;
}

/*
 * test_obuf_limits -- client-output-buffer-limit as Redis 7.0 reads it
 * (texts and results checked against redis-server 7.0.15): groups of
 * four, every group checked before any is applied, classes not named
 * unchanged, replica shown as slave, sizes with units, soft-seconds
 * kept in an int.
 */
static void
test_obuf_limits(void **state)
{
	static const char wrong_n[] = "Wrong number of arguments in buffer "
				      "limit configuration.";
	static const char bad_class[] = "Invalid client class specified in "
					"buffer limit configuration.";
	static const char bad_num[] = "Error in hard, soft or soft_seconds "
				      "setting in buffer limit configuration.";
	static const char def[] = "normal 0 0 0 slave 268435456 67108864 60 "
				  "pubsub 33554432 8388608 60";
	struct rp_config c;
	char err[CFG_ERR_LEN];
	(void)state;

	cfg_init(&c);
	assert_int_equal(c.obuf_limits[CFG_OBUF_REPLICA].hard, 256 << 20);
	assert_int_equal(c.obuf_limits[CFG_OBUF_PUBSUB].soft_seconds, 60);
	assert_string_equal(obuf_set(&c, "normal 1mb 0"), wrong_n);
	assert_string_equal(obuf_set(&c, "normal 1 1 1 "), wrong_n);
	assert_string_equal(obuf_set(&c, "normal  1 1 1"), wrong_n);
	assert_string_equal(obuf_set(&c, "foo 1mb 0 0"), bad_class);
	assert_string_equal(obuf_set(&c, "master 1 1 1"), bad_class);
	assert_string_equal(obuf_set(&c, "normal x 0 0"), bad_num);
	assert_string_equal(obuf_set(&c, "normal -1 0 0"), bad_num);
	assert_string_equal(obuf_set(&c, "normal 1.5mb 0 0"), bad_num);
	assert_string_equal(obuf_set(&c, "normal +5 0 0"), bad_num);
	assert_string_equal(obuf_set(&c, "normal 1mb 0 1s"), bad_num);
	assert_string_equal(obuf_set(&c, "normal 1 1 -1"), bad_num);
	assert_string_equal(obuf_set(&c, "normal 1 1 0x10"), bad_num);
	/* 3e9 is negative as an int; LLONG_MAX (overflow) is -1 */
	assert_string_equal(obuf_set(&c, "normal 1 1 3000000000"), bad_num);
	assert_string_equal(obuf_set(&c, "normal 1 1 9223372036854775808"),
			    bad_num);
	/* the first bad word decides; nothing was applied */
	assert_string_equal(obuf_set(&c, "normal 5 5 5 foo x 0 0"),
			    bad_class);
	assert_string_equal(get(&c, "client-output-buffer-limit"), def);

	assert_string_equal(obuf_set(&c, "normal 1mb 0 0"), "");
	assert_int_equal(c.obuf_limits[CFG_OBUF_NORMAL].hard, 1 << 20);
	assert_string_equal(get(&c, "client-output-buffer-limit"),
			    "normal 1048576 0 0 slave 268435456 67108864 60 "
			    "pubsub 33554432 8388608 60");
	assert_string_equal(obuf_set(&c, "Replica 1k 2KB 3 PUBSUB 1 2 +4"), "");
	assert_string_equal(get(&c, "client-output-buffer-limit"),
			    "normal 1048576 0 0 slave 1000 2048 3 "
			    "pubsub 1 2 4");
	assert_string_equal(obuf_set(&c, "slave 5 5 5 normal 1 1 1 "
				     "normal 2 2 -0"), "");
	assert_string_equal(get(&c, "client-output-buffer-limit"),
			    "normal 2 2 0 slave 5 5 5 pubsub 1 2 4");
	/* split on every space: empty words read as 0 */
	assert_string_equal(obuf_set(&c, "normal 1 1 "), "");
	assert_string_equal(get(&c, "client-output-buffer-limit"),
			    "normal 1 1 0 slave 5 5 5 pubsub 1 2 4");
	assert_string_equal(obuf_set(&c, "normal  1 1"), "");
	assert_string_equal(get(&c, "client-output-buffer-limit"),
			    "normal 0 1 1 slave 5 5 5 pubsub 1 2 4");
	assert_string_equal(obuf_set(&c, " normal 1 1"), bad_class);
	/* sizes saturate, then the unit wraps, as in Redis */
	assert_string_equal(obuf_set(&c, "normal 99999999999999999999999 "
				     "18446744073709551615kb 7"), "");
	assert_string_equal(get(&c, "client-output-buffer-limit"),
			    "normal 18446744073709551615 18446744073709550592 "
			    "7 slave 5 5 5 pubsub 1 2 4");
	/* an int keeps the low 32 bits of 10^13 */
	assert_string_equal(obuf_set(&c, "normal 1gb 1 10000000000000"), "");
	assert_int_equal(c.obuf_limits[CFG_OBUF_NORMAL].soft_seconds,
			 1316134912);
	assert_string_equal(obuf_set(&c, ""), "");
	assert_int_equal(c.obuf_limits[CFG_OBUF_NORMAL].hard, 1 << 30);

	/* configuration file: one class per line, each applied in turn */
	cfg_init(&c);
	assert_int_equal(load_text(&c, "client-output-buffer-limit normal 4mb "
				   "2mb 10\nclient-output-buffer-limit "
				   "pubsub 0 0 0\n", err), 0);
	assert_string_equal(get(&c, "client-output-buffer-limit"),
			    "normal 4194304 2097152 10 slave 268435456 "
			    "67108864 60 pubsub 0 0 0");
	assert_int_equal(load_text(&c, "client-output-buffer-limit normal 1 "
				   "1\n", err), -EINVAL);
	assert_non_null(strstr(err, wrong_n));
	char *argv[] = { "--client-output-buffer-limit", "normal", "3mb",
			 "1mb", "5" };
	cfg_init(&c);
	assert_int_equal(cfg_parse_args(&c, 5, argv, err, sizeof(err)), 0);
	assert_int_equal(c.obuf_limits[CFG_OBUF_NORMAL].soft, 1 << 20);
	assert_int_equal(c.obuf_limits[CFG_OBUF_NORMAL].soft_seconds, 5);

	/* client-query-buffer-limit: Redis's range */
	assert_int_equal(cfg_set(&c, "client-query-buffer-limit", "100", err,
				 sizeof(err)), -EINVAL);
	assert_string_equal(err, "argument must be between 1048576 and "
			    "9223372036854775807 inclusive");
}

/* test_shipped_conf -- config/redpoll.conf gives exactly the defaults
 * and shows every directive. */
static void
test_shipped_conf(void **state)
{
	struct rp_config a, b;
	char err[CFG_ERR_LEN], line[512];
	unsigned seen[N_DEFAULTS] = { 0 };
	FILE *f;
	(void)state;

	cfg_init(&a);
	memset(&b, 0x5a, sizeof(b));
	cfg_init(&b);
	cfg_set(&b, "hz", "99", err, sizeof(err));
	assert_int_equal(cfg_load_file(&b, RP_SOURCE_ROOT
				       "/config/redpoll.conf", err,
				       sizeof(err)), 0);
	assert_memory_equal(&a, &b, sizeof(a));

	f = fopen(RP_SOURCE_ROOT "/config/redpoll.conf", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		for (unsigned i = 0; i < N_DEFAULTS; i++) {
			size_t n = strlen(defaults[i].name);
			seen[i] += strncmp(line, defaults[i].name, n) == 0 &&
				   line[n] == ' ';
		}
	fclose(f);
	for (unsigned i = 0; i < N_DEFAULTS; i++)
		if (seen[i] != 1)
			fail_msg("redpoll.conf sets %s %u times",
				 defaults[i].name, seen[i]);
}

/* test_reference -- docs/configuration.md has a row for every directive. */
static void
test_reference(void **state)
{
	char line[1024], want[80];
	unsigned seen[N_DEFAULTS] = { 0 };
	FILE *f = fopen(RP_SOURCE_ROOT "/docs/configuration.md", "r");
	(void)state;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		for (unsigned i = 0; i < N_DEFAULTS; i++) {
			snprintf(want, sizeof(want), "| `%s` |",
				 defaults[i].name);
			seen[i] += strncmp(line, want, strlen(want)) == 0;
		}
	fclose(f);
	for (unsigned i = 0; i < N_DEFAULTS; i++)
		if (seen[i] != 1)
			fail_msg("configuration.md has %u rows for %s",
				 seen[i], defaults[i].name);
}

/* read_text -- the content of path (static buffer). */
static const char *
read_text(const char *path)
{
	static char text[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

/* test_rewrite_in_place -- comments, blank lines, include lines and
 * order stay; changed directives are replaced where they are, repeated
 * ones removed, new non-default ones appended after the signature. */
static void
test_rewrite_in_place(void **state)
{
	struct rp_config c, back;
	char err[CFG_ERR_LEN];
	const char *path;
	struct stat st;
	(void)state;

	write_file("inc.conf", "hz 20\n");
	path = write_file("r.conf",
			  "# redpoll test\n"
			  "\n"
			  "   # indented comment\n"
			  "PORT 7000\n"
			  "include inc.conf\n"
			  "maxmemory 1mb   \n"
			  "\n"
			  "timeout 5\n"
			  "timeout 6\n"
			  "# end\n");
	chmod(path, 0640);
	cfg_init(&c);
	assert_int_equal(cfg_load_file(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.timeout, 6);
	assert_int_equal(cfg_set(&c, "maxmemory", "100mb", err, sizeof(err)),
			 0);
	assert_int_equal(cfg_set(&c, "requirepass", "p w\"d\\", err,
				 sizeof(err)), 0);
	assert_int_equal(cfg_parse_args(&c, 5, (char *[]){ "--save", "3600",
		"1", "300", "100" }, err, sizeof(err)), 0);
	assert_int_equal(cfg_set(&c, "loglevel", "warning", err,
				 sizeof(err)), 0);
	assert_int_equal(cfg_rewrite(&c, path, err, sizeof(err)), 0);
	assert_string_equal(read_text(path),
			    "# redpoll test\n"
			    "\n"
			    "   # indented comment\n"
			    "port 7000\n"
			    "include inc.conf\n"
			    "maxmemory 100mb\n"
			    "\n"
			    "timeout 6\n"
			    "# end\n"
			    "# Generated by CONFIG REWRITE\n"
			    "hz 20\n"
			    "requirepass \"p w\\\"d\\\\\"\n"
			    "save 3600 1 300 100\n"
			    "loglevel warning\n");
	/* Atomic replacement keeps the permissions; no temporary left. */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
	assert_int_equal(access(tmp, F_OK), -1);
	/* It reads back to the same configuration. */
	cfg_init(&back);
	assert_int_equal(cfg_load_file(&back, path, err, sizeof(err)), 0);
	assert_memory_equal(&back, &c, sizeof(c));

	/* A second rewrite changes nothing and adds no second signature;
	 * a value back at its default stays on its line. */
	static char first[65536];
	memcpy(first, read_text(path), sizeof(first));
	assert_int_equal(cfg_rewrite(&c, path, err, sizeof(err)), 0);
	assert_string_equal(read_text(path), first);
	assert_int_equal(cfg_set(&c, "loglevel", "notice", err, sizeof(err)),
			 0);
	assert_int_equal(cfg_set(&c, "timeout", "0", err, sizeof(err)), 0);
	assert_int_equal(cfg_set(&c, "tcp-keepalive", "60", err,
				 sizeof(err)), 0);
	assert_int_equal(cfg_rewrite(&c, path, err, sizeof(err)), 0);
	assert_non_null(strstr(read_text(path),
			       "\ntimeout 0\n# end\n"
			       "# Generated by CONFIG REWRITE\n"));
	assert_non_null(strstr(read_text(path), "\nloglevel notice\n"
			       "tcp-keepalive 60\n"));
	assert_null(strstr(strstr(read_text(path), "REWRITE"),
			   "# Generated"));
}

/* test_rewrite_values -- how each kind of value is written back. */
static void
test_rewrite_values(void **state)
{
	struct rp_config c, back;
	char err[CFG_ERR_LEN];
	const char *path = path_of("new.conf");
	(void)state;

	cfg_init(&c);
	/* Defaults only: a missing file is created, empty. */
	assert_int_equal(cfg_rewrite(&c, path, err, sizeof(err)), 0);
	assert_string_equal(read_text(path), "");
	assert_int_equal(cfg_parse_args(&c, 12, (char *[]){
		"--pmem-size", "1536mb", "--maxmemory", "1000",
		"--admin-socket", "/tmp/a b.sock", "--admin-socket-perm", "0660",
		"--bind-ip", "198.18.0.1/16", "--requirepass", "\x01\n",
	}, err, sizeof(err)), 0);
	assert_int_equal(cfg_set(&c, "maxmemory", "3kb", err, sizeof(err)),
			 0);
	assert_int_equal(cfg_rewrite(&c, path, err, sizeof(err)), 0);
	assert_string_equal(read_text(path),
			    "# Generated by CONFIG REWRITE\n"
			    "bind-ip 198.18.0.1/16\n"
			    "maxmemory 3kb\n"
			    "requirepass \"\\x01\\n\"\n"
			    "pmem-size 1536mb\n"
			    "admin-socket \"/tmp/a b.sock\"\n"
			    "admin-socket-perm 0660\n");
	cfg_init(&back);
	assert_int_equal(cfg_load_file(&back, path, err, sizeof(err)), 0);
	assert_memory_equal(&back, &c, sizeof(c));
	/* A signed value (slowlog-log-slower-than -1: log nothing). */
	assert_int_equal(cfg_set(&c, "slowlog-log-slower-than", "-1", err,
				 sizeof(err)), 0);
	assert_int_equal(cfg_rewrite(&c, path, err, sizeof(err)), 0);
	assert_non_null(strstr(read_text(path),
			       "\nslowlog-log-slower-than -1\n"));
	cfg_init(&back);
	assert_int_equal(cfg_load_file(&back, path, err, sizeof(err)), 0);
	assert_memory_equal(&back, &c, sizeof(c));
	/* Back to an empty string: written as "" where it stands. */
	assert_int_equal(cfg_set(&c, "requirepass", "", err, sizeof(err)), 0);
	assert_int_equal(cfg_rewrite(&c, path, err, sizeof(err)), 0);
	assert_non_null(strstr(read_text(path), "\nrequirepass \"\"\n"));
}

/* test_rewrite_errors -- a folder that does not exist, a file that
 * cannot be read back; the old file is left as it was. */
static void
test_rewrite_errors(void **state)
{
	struct rp_config c;
	char err[CFG_ERR_LEN];
	(void)state;

	cfg_init(&c);
	assert_int_equal(cfg_rewrite(&c, path_of("none/x.conf"), err,
				     sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file or directory"));
	assert_int_equal(cfg_rewrite(&c, dir, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, dir));
	const char *path = write_bytes("nul.conf", "port 1\n\0x\n", 10);
	assert_int_equal(cfg_rewrite(&c, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2: NUL byte"));
	assert_memory_equal(read_text(path), "port 1\n", 8);
}

/* test_config_file -- the first --config file is remembered, absolute. */
static void
test_config_file(void **state)
{
	struct rp_config c;
	char err[CFG_ERR_LEN], cwd[PATH_MAX], want[PATH_MAX + 16];
	(void)state;

	cfg_init(&c);
	assert_string_equal(c.config_file, "");
	write_file("a.conf", "port 1\n");
	write_file("b.conf", "port 2\n");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(cfg_parse_args(&c, 4, (char *[]){ "--config",
		"a.conf", "--config", "b.conf" }, err, sizeof(err)), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(c.port, 2);
	assert_non_null(realpath(path_of("a.conf"), want));
	assert_string_equal(c.config_file, want);
	cfg_init(&c);
	assert_int_equal(cfg_parse_args(&c, 2, (char *[]){ "--port", "3" },
					 err, sizeof(err)), 0);
	assert_string_equal(c.config_file, "");
}

/* test_impair -- impairment specs: parsed values, words, errors. */
static void
test_impair(void **state)
{
	struct cfg_impair im;
	struct rp_config c;
	char err[CFG_ERR_LEN];
	(void)state;

	assert_int_equal(cfg_impair_parse("", &im, err, sizeof(err)), 0);
	assert_false(cfg_impair_on(&im));
	assert_int_equal(cfg_impair_parse("drop=0.05 dup=0.01 reorder=0.05 "
					  "delay-us=200 corrupt=0.001", &im,
					  err, sizeof(err)), 0);
	assert_true(im.drop == 0.05 && im.dup == 0.01 && im.reorder == 0.05 &&
		    im.corrupt == 0.001);
	assert_int_equal(im.delay_us, 200);
	assert_true(im.delay == 1.0);       /* delay-us alone: every packet */
	assert_true(cfg_impair_on(&im));
	assert_int_equal(cfg_impair_parse("delay=0.5  delay-us=10", &im, err,
					  sizeof(err)), 0);
	assert_true(im.delay == 0.5);
	assert_int_equal(cfg_impair_parse("drop=2", &im, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "drop must be a probability 0..1");
	assert_int_equal(cfg_impair_parse("lose=0.1", &im, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "unknown impairment 'lose'");
	assert_int_equal(cfg_impair_parse("drop", &im, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(cfg_impair_parse("drop=x", &im, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(cfg_impair_parse("delay-us=-1", &im, err,
					  sizeof(err)), -EINVAL);

	/* Words on a configuration line are joined; a bad one is refused. */
	cfg_init(&c);
	assert_int_equal(cfg_parse_args(&c, 3, (char *[]){ "--impair-rx",
					 "drop=0.1", "dup=0.2" }, err,
					 sizeof(err)), 0);
	assert_string_equal(c.impair_rx, "drop=0.1 dup=0.2");
	assert_int_equal(cfg_parse_args(&c, 2, (char *[]){ "--impair-tx",
					 "drop=0.1 bad=1" }, err,
					 sizeof(err)), -EINVAL);
	assert_string_equal(c.impair_tx, "");
}

/* test_udp_port -- udp-port: 0 follows port, -1 turns UDP off. */
static void
test_udp_port(void **state)
{
	struct rp_config c;
	char err[CFG_ERR_LEN];
	(void)state;

	cfg_init(&c);
	assert_int_equal(cfg_udp_port(&c), 6379);
	assert_int_equal(load_text(&c, "port 7000\n", err), 0);
	assert_int_equal(cfg_udp_port(&c), 7000);
	assert_int_equal(load_text(&c, "port 7000\nudp-port 7001\n", err), 0);
	assert_int_equal(cfg_udp_port(&c), 7001);
	assert_int_equal(load_text(&c, "udp-port -1\n", err), 0);
	assert_int_equal(cfg_udp_port(&c), 0);
	assert_string_equal(get(&c, "udp-port"), "-1");
	expect_error("udp-port -2\n", "1: 'udp-port -2': "
		     RANGE("-1", "65535"));
	expect_error("udp-port 65536\n", "1: 'udp-port 65536': "
		     RANGE("-1", "65535"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
static const struct CMUnitTest tests[] = {
	T(test_udp_port),
	T(test_impair),
	T(test_defaults),
	T(test_round_trip),
	T(test_fields),
	T(test_units),
	T(test_quoting),
	T(test_errors),
	T(test_lines),
	T(test_include),
	T(test_include_errors),
	T(test_command_line),
	T(test_command_line_errors),
	T(test_set),
	T(test_shipped_conf),
	T(test_reference),
	T(test_obuf_limits),
	T(test_rewrite_in_place),
	T(test_rewrite_values),
	T(test_rewrite_errors),
	T(test_config_file),
};

RP_TEST_MAIN(tests, 0)
