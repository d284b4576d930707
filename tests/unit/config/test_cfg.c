/*
 * test_cfg.c -- config/cfg.c: defaults, the shipped redpoll.conf, every
 * error message, includes, quoting, units, command line, CONFIG GET/SET.
 */
#include <errno.h>
#include <sys/stat.h>

#include "unit.h"

#include "cfg.h"

static char dir[64];

/* write_file -- a file in the test's directory; returns its path. */
static const char *
write_file(const char *name, const char *text)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* load_text -- load text as a file; returns rc, err filled. */
static int
load_text(struct rp_config *c, const char *text, char *err)
{
	cfg_init(c);
	return cfg_load_file(c, write_file("t.conf", text), err, CFG_ERR_LEN);
}

static void
test_defaults(void **state)
{
	struct rp_config c;
	char buf[64];
	(void)state;

	cfg_init(&c);
	assert_int_equal(c.port, 6379);
	assert_int_equal(c.ip, 0xc6120001);
	assert_int_equal(c.prefix_len, 24);
	assert_int_equal(c.workers, 1);
	assert_int_equal(c.databases, 16);
	assert_int_equal(c.pmem_size, 1ULL << 30);
	assert_int_equal(c.persistence, CFG_PERSIST_SYNC);
	assert_int_equal(c.admin_socket_perm, 0600);
	assert_int_equal(cfg_get(&c, "bind-ip", buf, sizeof(buf)), 13);
	assert_string_equal(buf, "198.18.0.1/24");
	cfg_get(&c, "gateway", buf, sizeof(buf));
	assert_string_equal(buf, "none");
}

/* test_shipped_conf -- config/redpoll.conf gives exactly the defaults. */
static void
test_shipped_conf(void **state)
{
	struct rp_config a, b;
	char err[CFG_ERR_LEN];
	(void)state;

	cfg_init(&a);
	cfg_init(&b);
	assert_int_equal(cfg_load_file(&b, RP_SOURCE_ROOT "/config/redpoll.conf",
				       err, sizeof(err)), 0);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void
test_values_and_units(void **state)
{
	struct rp_config c;
	char err[CFG_ERR_LEN], buf[64];
	(void)state;

	assert_int_equal(load_text(&c, "# comment\n\n  port 7000\nmaxmemory 1kb\n"
				   "pmem-size 2MB\nDAEMONIZE yes\n"
				   "bind-ip 198.19.1.2/16\ngateway 198.19.0.1\n"
				   "persistence Async\nadmin-socket-perm 0640\n",
				   err), 0);
	assert_int_equal(c.port, 7000);
	assert_int_equal(c.maxmemory, 1024);
	assert_int_equal(c.pmem_size, 2 << 20);
	assert_true(c.daemonize);
	assert_int_equal(c.ip, 0xc6130102);
	assert_int_equal(c.prefix_len, 16);
	assert_int_equal(c.gateway, 0xc6130001);
	assert_int_equal(c.persistence, CFG_PERSIST_ASYNC);
	assert_int_equal(c.admin_socket_perm, 0640);
	cfg_get(&c, "maxmemory", buf, sizeof(buf));
	assert_string_equal(buf, "1024");
	cfg_get(&c, "daemonize", buf, sizeof(buf));
	assert_string_equal(buf, "yes");
	assert_int_equal(load_text(&c, "maxmemory 1k\n", err), 0);
	assert_int_equal(c.maxmemory, 1000);
	assert_int_equal(load_text(&c, "maxmemory 3g\n", err), 0);
	assert_int_equal(c.maxmemory, 3000000000ULL);
}

static void
test_quoting(void **state)
{
	struct rp_config c;
	char err[CFG_ERR_LEN];
	(void)state;

	assert_int_equal(load_text(&c, "requirepass \"a b\\x41\\n\"\n", err), 0);
	assert_string_equal(c.requirepass, "a bA\n");
	assert_int_equal(load_text(&c, "requirepass 'it\\'s'\n", err), 0);
	assert_string_equal(c.requirepass, "it's");
	assert_int_equal(load_text(&c, "requirepass \"x\n", err), -EINVAL);
	assert_non_null(strstr(err, "t.conf:1: '"));
	assert_non_null(strstr(err, "unbalanced quotes"));
	assert_int_equal(load_text(&c, "requirepass \"x\"y\n", err), -EINVAL);
	assert_non_null(strstr(err, "unbalanced quotes"));
}

/* expect_error -- loading text fails with exactly this message tail. */
static void
expect_error(const char *text, const char *msg)
{
	struct rp_config c;
	char err[CFG_ERR_LEN], want[CFG_ERR_LEN];

	assert_int_equal(load_text(&c, text, err), -EINVAL);
	snprintf(want, sizeof(want), "%s/t.conf:%s", dir, msg);
	assert_string_equal(err, want);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("port 6379\nprot 7000\n", "2: unknown directive 'prot'");
	expect_error("port\n", "1: wrong number of arguments for 'port'");
	expect_error("port 1 2\n", "1: wrong number of arguments for 'port'");
	expect_error("port 99999\n", "1: 'port 99999': argument must be "
		     "between 1 and 65535 inclusive");
	expect_error("port abc\n", "1: 'port abc': argument couldn't be "
		     "parsed into an integer");
	expect_error("daemonize maybe\n", "1: 'daemonize maybe': argument "
		     "must be 'yes' or 'no'");
	expect_error("maxmemory lots\n", "1: 'maxmemory lots': argument must "
		     "be a memory value");
	expect_error("persistence fast\n", "1: 'persistence fast': "
		     "argument(s) must be one of the following: sync, async, "
		     "off");
	expect_error("maxmemory-policy allkeys-lru\n", "1: 'maxmemory-policy "
		     "allkeys-lru': maxmemory-policy 'allkeys-lru' is not "
		     "supported yet (only noeviction)");
	expect_error("bind-ip 1.2.3\n", "1: 'bind-ip 1.2.3': argument must be "
		     "an IPv4 address a.b.c.d[/prefix]");
	expect_error("pmem-size 10\n", "1: 'pmem-size 10': argument must be "
		     "at least 1048576 bytes");
	expect_error("include\n", "1: wrong number of arguments for 'include'");
}

static void
test_include(void **state)
{
	struct rp_config c;
	char err[CFG_ERR_LEN];
	(void)state;

	write_file("inc.conf", "port 7001\n");
	assert_int_equal(load_text(&c, "port 7000\ninclude inc.conf\n", err), 0);
	assert_int_equal(c.port, 7001);
	/* A file that includes itself: nesting is bounded. */
	const char *self = write_file("self.conf", "include self.conf\n");
	cfg_init(&c);
	assert_int_equal(cfg_load_file(&c, self, err, sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, "include nesting deeper than 8"));
	cfg_init(&c);
	assert_int_equal(cfg_load_file(&c, "/nonexistent/x.conf", err,
				       sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/x.conf: cannot open: No such "
			    "file or directory");
}

static void
test_command_line(void **state)
{
	struct rp_config c;
	char err[CFG_ERR_LEN];
	const char *file = write_file("cl.conf", "port 7000\nworkers 1\n");
	char *args[] = { "--port", "7002", "--config", (char *)file,
			 "--persistence", "off" };
	(void)state;

	cfg_init(&c);
	assert_int_equal(cfg_parse_args(&c, 6, args, err, sizeof(err)), 0);
	assert_int_equal(c.port, 7002);   /* overrides the file */
	assert_int_equal(c.persistence, CFG_PERSIST_OFF);

	char *bad[] = { "--prot", "1" };
	assert_int_equal(cfg_parse_args(&c, 2, bad, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "command line: unknown directive 'prot'");
	char *badv[] = { "--port", "0" };
	assert_int_equal(cfg_parse_args(&c, 2, badv, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "command line: '--port 0': argument must be "
			    "between 1 and 65535 inclusive");
	char *missing[] = { "--port" };
	assert_int_equal(cfg_parse_args(&c, 1, missing, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "command line: --port needs a value");
	char *stray[] = { "port" };
	assert_int_equal(cfg_parse_args(&c, 1, stray, err, sizeof(err)),
			 -EINVAL);
}

static void
test_set_get(void **state)
{
	struct rp_config c;
	char err[CFG_ERR_LEN], buf[64];
	(void)state;

	cfg_init(&c);
	assert_int_equal(cfg_set(&c, "maxmemory", "100mb", err, sizeof(err)), 0);
	assert_int_equal(cfg_get(&c, "maxmemory", buf, sizeof(buf)), 9);
	assert_string_equal(buf, "104857600");
	assert_int_equal(cfg_set(&c, "port", "7000", err, sizeof(err)), -EPERM);
	assert_string_equal(err, "can't set immutable config");
	assert_int_equal(cfg_set(&c, "nosuch", "1", err, sizeof(err)), -ENOENT);
	assert_int_equal(cfg_set(&c, "timeout", "x", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "argument couldn't be parsed into an integer");
	assert_true(cfg_is_mutable("persistence"));
	assert_false(cfg_is_mutable("workers"));
	assert_int_equal(cfg_get(&c, "nosuch", buf, sizeof(buf)), -ENOENT);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rpcfg.%d", (int)getpid());
	mkdir(dir, 0700);
	return 0;
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_defaults),
	cmocka_unit_test(test_shipped_conf),
	cmocka_unit_test(test_values_and_units),
	cmocka_unit_test(test_quoting),
	cmocka_unit_test(test_errors),
	cmocka_unit_test(test_include),
	cmocka_unit_test(test_command_line),
	cmocka_unit_test(test_set_get),
};

int
main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	setup(NULL);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
