/*
 * test_bench_wl.c -- app/bench_wl.c: option parsing (defaults, every
 * option, one test per error), template compilation and placeholders,
 * ratios by name and by position, the exact RESP encoding of requests,
 * the longest-request bound, the datagram size check, and the mix and
 * key distributions the generator draws.
 */
#include <arpa/inet.h>
#include <errno.h>

#include "unit.h"

#include "bench_wl.h"

static struct bench_opts o;
static char err[256];

/* parse -- bench_opts_parse of a NULL-terminated argument list. */
static int
parse_v(const char *first, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)"redpoll-bench";
	va_start(ap, first);
	for (const char *a = first; a != NULL; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	err[0] = '\0';
	return bench_opts_parse(&o, argc, argv, err, sizeof(err));
}

#define parse(...) parse_v(__VA_ARGS__, NULL)
#define BASE "--host", "198.18.5.1", "--src-ip", "198.18.5.2/24"

/* expect_error -- the parse fails and err contains what. */
#define expect_error(what, ...) do {                                    \
	assert_int_equal(parse(__VA_ARGS__), -EINVAL);                   \
	if (strstr(err, what) == NULL)                                   \
		fail_msg("error '%s' lacks '%s'", err, what);            \
} while (0)

static void
test_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE), 0);
	assert_int_equal(o.host, inet_addr("198.18.5.1"));
	assert_int_equal(o.src_ip, inet_addr("198.18.5.2"));
	assert_int_equal(o.src_mask, inet_addr("255.255.255.0"));
	assert_int_equal(o.port, 6379);
	assert_int_equal(o.n_cmds, 1);
	assert_string_equal(o.cmds[0].name, "get");
	assert_int_equal(o.key_space, 100000);
	assert_int_equal(o.dist, BENCH_DIST_UNIFORM);
	assert_int_equal(o.data_min, 32);
	assert_int_equal(o.data_max, 32);
	assert_int_equal(o.clients, 16);
	assert_int_equal(o.pipeline, 1);
	assert_int_equal(o.requests, 0);
	assert_true(o.duration == 5);
	assert_true(o.rate == 0);
	assert_int_equal(o.timeout_ms, 1000);
	assert_int_equal(o.transport, BENCH_TP_UDP);
	assert_null(o.json);
}

static void
test_all_options(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE, "--port", "7000", "--src-port", "20000",
			       "--mtu", "9000", "--udp", "-t", "set,get",
			       "--ratio", "set:get=1:10", "-r", "500",
			       "--zipf", "1.2", "-d", "16-64", "-c", "8",
			       "-P", "16", "-n", "1000", "--rate", "50000",
			       "--warmup", "0.5", "--timeout-ms", "50",
			       "--seed", "9", "--json", "a.json", "--csv",
			       "a.csv", "-q"), 0);
	assert_int_equal(o.port, 7000);
	assert_int_equal(o.src_port, 20000);
	assert_int_equal(o.mtu, 9000);
	assert_int_equal(o.n_cmds, 2);
	assert_string_equal(o.cmds[0].name, "set");
	assert_int_equal(o.cmds[0].weight, 1);
	assert_int_equal(o.cmds[1].weight, 10);
	assert_int_equal(o.key_space, 500);
	assert_int_equal(o.dist, BENCH_DIST_ZIPF);
	assert_true(o.zipf_s == 1.2);
	assert_int_equal(o.data_min, 16);
	assert_int_equal(o.data_max, 64);
	assert_int_equal(o.clients, 8);
	assert_int_equal(o.pipeline, 16);
	assert_int_equal(o.requests, 1000);
	assert_true(o.rate == 50000);
	assert_true(o.warmup == 0.5);
	assert_int_equal(o.timeout_ms, 50);
	assert_int_equal(o.seed, 9);
	assert_string_equal(o.json, "a.json");
	assert_string_equal(o.csv, "a.csv");
	assert_int_equal(o.quiet, 1);
	assert_int_equal(parse(BASE, "--distribution", "seq", "--duration",
			       "2.5"), 0);
	assert_int_equal(o.dist, BENCH_DIST_SEQ);
	assert_true(o.duration == 2.5);
}

static void
test_option_errors(void **state)
{
	(void)state;
	expect_error("--host is required", "--src-ip", "198.18.5.2/24");
	expect_error("--src-ip is required", "--host", "198.18.5.1");
	expect_error("--src-ip: bad", BASE, "--src-ip", "198.18.5.2");
	expect_error("--src-ip: bad", BASE, "--src-ip", "198.18.5.2/33");
	expect_error("--host: bad", "--host", "198.18.5", "--src-ip",
		     "198.18.5.2/24");
	expect_error("--port: missing", BASE, "--port");
	expect_error("--port: bad", BASE, "--port", "65536");
	expect_error("-c: bad", BASE, "-c", "0");
	expect_error("-P: bad", BASE, "-P", "x");
	expect_error("-d: bad", BASE, "-d", "64-16");
	expect_error("-d: bad", BASE, "-d", "-5");
	expect_error("--zipf: bad", BASE, "--zipf", "0");
	expect_error("--distribution: bad", BASE, "--distribution", "normal");
	expect_error("--rate: bad", BASE, "--rate", "0");
	expect_error("--duration: bad", BASE, "--duration", "nan");
	expect_error("unknown option '--bogus'", BASE, "--bogus");
	expect_error("-t: unknown command 'hget'", BASE, "-t", "get,hget");
	expect_error("command get given twice", BASE, "-t", "get,get");
	expect_error("not a command", BASE, "-t", "get", "--ratio",
		     "set:get=1:1");
	expect_error("more weights than commands", BASE, "-t", "get",
		     "--ratio", "1:1");
	expect_error("do not match", BASE, "-t", "get,set", "--ratio", "1");
	expect_error("more weights than names", BASE, "-t", "get,set",
		     "--ratio", "get=1:1");
	expect_error("bad weight", BASE, "-t", "get", "--ratio", "x");
	expect_error("all weights are 0", BASE, "-t", "get,set", "--ratio",
		     "0:0");
	expect_error("above 65536", BASE, "-c", "1000", "-P", "100");
	expect_error("passes 65535", BASE, "--src-port", "65530", "-c", "10");
	expect_error("does not fit a datagram", BASE, "-t", "set", "-d",
		     "1500");
	expect_error("unknown placeholder", BASE, "--command", "GET __keys__");
	expect_error("unknown placeholder", BASE, "--command",
		     "SET k __data1__");
	expect_error("unknown placeholder", BASE, "--command",
		     "GET __key10__");
	expect_error("is empty", BASE, "--command", "   ");
	assert_int_equal(parse(BASE, "-h"), 1);
}

/* encode -- the encoding of cmd with keys k0, k1 and a value of dlen. */
static const char *
encode(const struct bench_cmd *c, uint64_t k0, uint64_t k1, uint32_t dlen)
{
	static char buf[4096];
	struct bench_req req = { .data_len = dlen };
	req.keys[0] = k0;
	req.keys[1] = k1;
	int n = bench_cmd_encode(c, &req, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_true((size_t)n <= bench_cmd_max_len(c, 1000000, dlen));
	return buf;
}

static void
test_templates(void **state)
{
	struct bench_cmd c;
	(void)state;
	assert_int_equal(bench_cmd_compile(&c, "x", "SET key:__key__ __data__",
					   err, sizeof(err)), 0);
	assert_int_equal(c.argc, 3);
	assert_int_equal(c.n_keys, 1);
	assert_string_equal(encode(&c, 42, 0, 5),
			    "*3\r\n$3\r\nSET\r\n$6\r\nkey:42\r\n$5\r\nabcde\r\n");
	/* the same key everywhere; __key1__ another; pieces in one arg */
	assert_int_equal(bench_cmd_compile(&c, "x",
			 "  HSET h:__key__ f__key1__x __key__-__data__ ", err,
			 sizeof(err)), 0);
	assert_int_equal(c.argc, 4);
	assert_int_equal(c.n_keys, 2);
	assert_string_equal(encode(&c, 7, 123, 3),
			    "*4\r\n$4\r\nHSET\r\n$3\r\nh:7\r\n$5\r\nf123x\r\n"
			    "$5\r\n7-abc\r\n");
	/* an empty value; a value longer than the pattern */
	assert_int_equal(bench_cmd_compile(&c, "x", "SET k __data__", err,
					   sizeof(err)), 0);
	assert_string_equal(encode(&c, 0, 0, 0),
			    "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
	const char *s = encode(&c, 0, 0, 70);
	assert_non_null(strstr(s, "$70\r\nabcdefghijklmnopqrstuvwxyzABCDEFGH"
			       "IJKLMNOPQRSTUVWXYZ0123456789abcdefgh\r\n"));
	/* placeholder-like text that is not one stays literal */
	assert_int_equal(bench_cmd_compile(&c, "x", "ECHO __x__ _key_", err,
					   sizeof(err)), 0);
	assert_string_equal(encode(&c, 0, 0, 0),
			    "*3\r\n$4\r\nECHO\r\n$5\r\n__x__\r\n$5\r\n_key_\r\n");
	/* too small a buffer */
	char small[20];
	struct bench_req req = { .data_len = 100 };
	assert_int_equal(bench_cmd_compile(&c, "x", "SET k __data__", err,
					   sizeof(err)), 0);
	assert_int_equal(bench_cmd_encode(&c, &req, small, sizeof(small)),
			 -ENOSPC);
	char mid[60];
	assert_int_equal(bench_cmd_encode(&c, &req, mid, sizeof(mid)),
			 -ENOSPC);
}

/* The bound is reached by the largest key and value. */
static void
test_max_len(void **state)
{
	struct bench_cmd c;
	char buf[256];
	struct bench_req req = { .data_len = 100 };
	(void)state;
	req.keys[0] = 99999;
	assert_int_equal(bench_cmd_compile(&c, "x", "SET key:__key__ __data__",
					   err, sizeof(err)), 0);
	int n = bench_cmd_encode(&c, &req, buf, sizeof(buf));
	assert_int_equal((size_t)n, bench_cmd_max_len(&c, 100000, 100));
	/* MTU 1500: 1464 bytes of RESP; SET key:99999 with 1024 fits */
	assert_int_equal(parse(BASE, "-t", "set", "-d", "1024"), 0);
	assert_int_equal(parse(BASE, "-t", "set", "-d", "1400"), 0);
	expect_error("does not fit", BASE, "-t", "set", "-d", "1440");
	/* a command of weight 0 is never sent, so not checked */
	assert_int_equal(parse(BASE, "-t", "set,get", "-d", "1440",
			       "--ratio", "get=1"), 0);
	/* TCP has no datagram to fit: any size; the last of --udp/--tcp */
	assert_int_equal(parse(BASE, "--tcp", "-t", "set", "-d", "100000"),
			 0);
	assert_int_equal(o.transport, BENCH_TP_TCP);
	expect_error("does not fit", BASE, "--tcp", "--udp", "-t", "set",
		     "-d", "1440");
	assert_int_equal(parse(BASE, "--udp", "--tcp"), 0);
	assert_int_equal(o.transport, BENCH_TP_TCP);
}

static void
test_builtins_and_ratio(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE, "-t", "get,set,incr,mget,ping",
			       "--command", "LPUSH l __data__"), 0);
	assert_int_equal(o.n_cmds, 6);
	assert_string_equal(o.cmds[5].name, "cmd1");
	assert_int_equal(o.cmds[3].n_keys, 4);
	assert_string_equal(encode(&o.cmds[2], 5, 0, 0),
			    "*2\r\n$4\r\nINCR\r\n$9\r\ncounter:5\r\n");
	assert_string_equal(encode(&o.cmds[4], 0, 0, 0),
			    "*1\r\n$4\r\nPING\r\n");
	assert_int_equal(parse(BASE, "-t", "get,set", "--ratio", "3:1"), 0);
	assert_int_equal(o.cmds[0].weight, 3);
	assert_int_equal(o.cmds[1].weight, 1);
	assert_int_equal(parse(BASE, "-t", "get,set", "--command", "PING",
			       "--ratio", "cmd1:get=2:5"), 0);
	assert_int_equal(o.cmds[0].weight, 5);
	assert_int_equal(o.cmds[1].weight, 0);
	assert_int_equal(o.cmds[2].weight, 2);
}

/* The generator follows the ratio, keys stay in range, sizes in range. */
static void
test_generator(void **state)
{
	struct bench_wl w;
	struct bench_req req;
	unsigned per[2] = { 0, 0 }, low = 0;
	uint32_t dmin = 1000, dmax = 0;
	(void)state;
	assert_int_equal(parse(BASE, "-t", "set,get", "--ratio",
			       "set:get=1:9", "-r", "1000", "-d", "10-20"), 0);
	bench_wl_init(&w, &o, 3);
	for (int i = 0; i < 100000; i++) {
		bench_wl_next(&w, &req);
		per[req.cmd]++;
		assert_true(req.keys[0] < 1000);
		low += req.keys[0] < 100;
		if (req.data_len < dmin)
			dmin = req.data_len;
		if (req.data_len > dmax)
			dmax = req.data_len;
	}
	assert_true(abs((int)per[0] - 10000) < 600);
	assert_int_equal(dmin, 10);
	assert_int_equal(dmax, 20);
	assert_true(abs((int)low - 10000) < 600);   /* uniform: 10% */
	/* Zipf 0.99 over 1000 keys: keys 0..99 draw about 68% */
	assert_int_equal(parse(BASE, "-r", "1000", "--zipf", "0.99"), 0);
	bench_wl_init(&w, &o, 3);
	low = 0;
	for (int i = 0; i < 100000; i++) {
		bench_wl_next(&w, &req);
		low += req.keys[0] < 100;
	}
	assert_true(low > 64000 && low < 72000);
	/* sequential: 0, 1, 2, wrapping; MGET's keys consecutive */
	assert_int_equal(parse(BASE, "-r", "6", "--distribution", "seq",
			       "-t", "mget"), 0);
	bench_wl_init(&w, &o, 3);
	bench_wl_next(&w, &req);
	assert_int_equal(req.keys[0], 0);
	assert_int_equal(req.keys[3], 3);
	bench_wl_next(&w, &req);
	assert_int_equal(req.keys[0], 4);
	assert_int_equal(req.keys[1], 5);
	assert_int_equal(req.keys[2], 0);
}

/* --verify: a value of the pattern and of a length in -d. */
static void
test_data_check(void **state)
{
	char buf[200];
	(void)state;
	assert_int_equal(parse(BASE, "-d", "10-150", "--verify"), 0);
	assert_int_equal(o.verify, 1);
	bench_data_fill(buf, 150);
	assert_true(bench_data_check(&o, buf, 10));
	assert_true(bench_data_check(&o, buf, 63));
	assert_true(bench_data_check(&o, buf, 150));
	assert_false(bench_data_check(&o, buf, 9));      /* too short */
	bench_data_fill(buf, 151);
	assert_false(bench_data_check(&o, buf, 151));    /* too long */
	buf[100] = '!';
	assert_false(bench_data_check(&o, buf, 120));    /* other bytes */
	assert_true(bench_data_check(&o, buf, 100));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_data_check),
	cmocka_unit_test(test_defaults),
	cmocka_unit_test(test_all_options),
	cmocka_unit_test(test_option_errors),
	cmocka_unit_test(test_templates),
	cmocka_unit_test(test_max_len),
	cmocka_unit_test(test_builtins_and_ratio),
	cmocka_unit_test(test_generator),
};

RP_TEST_MAIN(tests, 0)
