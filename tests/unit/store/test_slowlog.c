/*
 * test_slowlog.c -- store/slowlog.c: the threshold (negative, zero,
 * positive), newest-first order and ids, the 32-argument and 128-byte
 * truncations as Redis writes them, slowlog-max-len (also when it
 * shrinks at run time), GET's count rules, LEN, RESET, client fields.
 */
#include "unit.h"

#include "store_test.h"

/* push -- log a call of us microseconds with the words of line. */
static void
push(const char *line, uint64_t us)
{
	char buf[512];
	struct kv_arg argv[64];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t != NULL; t = strtok(NULL, " ")) {
		argv[argc].ptr = t;
		argv[argc++].len = strlen(t);
	}
	kv_slowlog_push(st_shard, &st_client, argc, argv, us);
}

static void
test_threshold_and_order(void **state)
{
	char want[512];
	(void)state;

	rx("SLOWLOG LEN", ":0\r\n");
	push("GET fast", 9999);                 /* below 10000 us */
	rx("SLOWLOG LEN", ":0\r\n");
	push("GET slow", 10000);
	push("SET k v", 20000);
	rx("SLOWLOG LEN", ":2\r\n");
	snprintf(st_client.addr, sizeof(st_client.addr), "198.18.0.2:4000");
	st_client.name = strdup("app");
	push("DEL x", 30000);
	long long now = (long long)(st_shard->now_ms / 1000);
	snprintf(want, sizeof(want), "*2\r\n*6\r\n:2\r\n:%lld\r\n:30000\r\n"
		 "*2\r\n$3\r\nDEL\r\n$1\r\nx\r\n$15\r\n198.18.0.2:4000\r\n"
		 "$3\r\napp\r\n*6\r\n:1\r\n:%lld\r\n:20000\r\n*3\r\n$3\r\nSET"
		 "\r\n$1\r\nk\r\n$1\r\nv\r\n$0\r\n\r\n$0\r\n\r\n", now, now);
	rx("SLOWLOG GET 2", want);
	run("SLOWLOG GET");
	assert_true(strncmp(st_out, "*3\r\n", 4) == 0);
	run("SLOWLOG GET -1");
	assert_true(strncmp(st_out, "*3\r\n", 4) == 0);
	rx("SLOWLOG GET 0", "*0\r\n");
	rx("SLOWLOG GET -2", "-ERR count should be greater than or equal to "
	   "-1\r\n");
	rx("SLOWLOG GET x", "-ERR count should be greater than or equal to "
	   "-1\r\n");
	rx("slowlog get 1 2", "-ERR unknown subcommand or wrong number of "
	   "arguments for 'get'. Try SLOWLOG HELP.\r\n");
	rx("SLOWLOG RESET", "+OK\r\n");
	rx("SLOWLOG LEN", ":0\r\n");
	/* Ids keep growing across a reset. */
	push("GET again", 50000);
	run("SLOWLOG GET 1");
	assert_true(strncmp(st_out, "*1\r\n*6\r\n:3\r\n", 12) == 0);

	rx("CONFIG SET slowlog-log-slower-than -1", "+OK\r\n");
	push("GET never", 1000000);
	rx("SLOWLOG LEN", ":1\r\n");
	/* The threshold is read after the call, as in Redis: this CONFIG
	 * SET is the first command logged at 0. */
	rx("CONFIG SET slowlog-log-slower-than 0", "+OK\r\n");
	push("GET always", 0);
	rx("SLOWLOG LEN", ":3\r\n");
	/* Commands run through kv_execute are logged (LEN too). */
	rx("PING", "+PONG\r\n");
	rx("SLOWLOG LEN", ":5\r\n");
	run("SLOWLOG GET 2");
	st_out[st_len] = '\0';
	assert_non_null(strstr(st_out, "*2\r\n$7\r\nSLOWLOG\r\n$3\r\nLEN\r\n"));
	assert_non_null(strstr(st_out, "*1\r\n$4\r\nPING\r\n"));
}

static void
test_truncation(void **state)
{
	char line[512], want[256];
	(void)state;

	/* 40 arguments: 31 kept, the 32nd says how many more. */
	size_t n = (size_t)snprintf(line, sizeof(line), "MSET");
	for (int i = 1; i < 40; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " a%d", i);
	push(line, 20000);
	run("SLOWLOG GET 1");
	st_out[st_len] = '\0';
	assert_non_null(strstr(st_out, "*32\r\n$4\r\nMSET\r\n$2\r\na1\r\n"));
	assert_non_null(strstr(st_out, "$3\r\na30\r\n$22\r\n... (9 more "
			       "arguments)\r\n"));
	assert_null(strstr(st_out, "a31"));

	/* A 300-byte argument: 128 bytes kept and a note. */
	char big[301];
	memset(big, 'x', 300);
	big[300] = '\0';
	snprintf(line, sizeof(line), "SET k %s", big);
	push(line, 20000);
	run("SLOWLOG GET 1");
	st_out[st_len] = '\0';
	snprintf(want, sizeof(want), "$148\r\n%.128s... (172 more bytes)\r\n",
		 big);
	assert_non_null(strstr(st_out, want));
}

static void
test_max_len(void **state)
{
	(void)state;
	rx("CONFIG SET slowlog-max-len 3", "+OK\r\n");
	for (int i = 0; i < 10; i++)
		push("GET k", 20000);
	rx("SLOWLOG LEN", ":3\r\n");
	run("SLOWLOG GET 5");
	assert_true(strncmp(st_out, "*3\r\n*6\r\n:9\r\n", 12) == 0);
	/* Shrinking the limit drops the oldest at once. */
	rx("CONFIG SET slowlog-max-len 1", "+OK\r\n");
	rx("SLOWLOG LEN", ":1\r\n");
	push("GET k", 20000);
	run("SLOWLOG GET -1");
	assert_true(strncmp(st_out, "*1\r\n*6\r\n:10\r\n", 13) == 0);
	rx("CONFIG SET slowlog-max-len 0", "+OK\r\n");
	push("GET k", 20000);
	rx("SLOWLOG LEN", ":0\r\n");
	/* Growing again after the ring had shrunk. */
	rx("CONFIG SET slowlog-max-len 200", "+OK\r\n");
	for (int i = 0; i < 150; i++)
		push("GET k", 20000);
	rx("SLOWLOG LEN", ":150\r\n");
	run("SLOWLOG GET 1");
	assert_true(strncmp(st_out, "*1\r\n*6\r\n:160\r\n", 14) == 0);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_threshold_and_order),
	ST_TEST(test_truncation),
	ST_TEST(test_max_len),
};

RP_TEST_MAIN(tests, true)
