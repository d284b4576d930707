/*
 * test_bench_reply.c -- app/bench_reply.c: every RESP2 reply type
 * complete, as an error, cut short at every length, nested, and one test
 * per malformation (bad type byte, lone CR or LF, bad numbers, bulk
 * without its CRLF, nesting too deep).
 */
#include "unit.h"

#include "bench_reply.h"

/* check -- the status of a C string, and the length used. */
static enum bench_reply_status
check(const char *s, size_t *used)
{
	*used = 12345;
	return bench_reply_check(s, strlen(s), used, NULL);
}

/* expect_whole -- s is one complete reply of status st; every proper
 * prefix is PARTIAL. */
static void
expect_whole(const char *s, enum bench_reply_status st)
{
	size_t used, len = strlen(s);
	assert_int_equal(check(s, &used), st);
	assert_int_equal(used, len);
	for (size_t k = 0; k < len; k++)
		assert_int_equal(bench_reply_check(s, k, &used, NULL),
				 BENCH_REPLY_PARTIAL);
}

static void
test_types(void **state)
{
	(void)state;
	expect_whole("+OK\r\n", BENCH_REPLY_OK);
	expect_whole("-ERR unknown command\r\n", BENCH_REPLY_ERROR);
	expect_whole(":42\r\n", BENCH_REPLY_OK);
	expect_whole(":-7\r\n", BENCH_REPLY_OK);
	expect_whole("$5\r\nhello\r\n", BENCH_REPLY_OK);
	expect_whole("$0\r\n\r\n", BENCH_REPLY_OK);
	expect_whole("$-1\r\n", BENCH_REPLY_OK);
	expect_whole("*-1\r\n", BENCH_REPLY_OK);
	expect_whole("*0\r\n", BENCH_REPLY_OK);
	expect_whole("*3\r\n$1\r\na\r\n$-1\r\n:1\r\n", BENCH_REPLY_OK);
	expect_whole("*2\r\n*1\r\n+x\r\n-ERR in array\r\n", BENCH_REPLY_OK);
	/* binary bulk with CR LF inside */
	const char bin[] = "$4\r\n\r\n\r\n\r\n";
	size_t used;
	assert_int_equal(bench_reply_check(bin, sizeof(bin) - 1, &used, NULL),
			 BENCH_REPLY_OK);
	assert_int_equal(used, sizeof(bin) - 1);
}

/* Bytes after the reply are left to the caller. */
static void
test_trailing(void **state)
{
	size_t used;
	(void)state;
	assert_int_equal(check("+OK\r\n+OK\r\n", &used), BENCH_REPLY_OK);
	assert_int_equal(used, 5);
}

static void
test_bad_type(void **state)
{
	size_t used;
	(void)state;
	assert_int_equal(check("?x\r\n", &used), BENCH_REPLY_BAD);
	assert_int_equal(check("OK\r\n", &used), BENCH_REPLY_BAD);
}

static void
test_lone_cr_lf(void **state)
{
	size_t used;
	(void)state;
	assert_int_equal(check("+O\nK\r\n", &used), BENCH_REPLY_BAD);
	assert_int_equal(check("+O\rK\r\n", &used), BENCH_REPLY_BAD);
}

static void
test_bad_numbers(void **state)
{
	size_t used;
	(void)state;
	assert_int_equal(check(":\r\n", &used), BENCH_REPLY_BAD);
	assert_int_equal(check(":12a\r\n", &used), BENCH_REPLY_BAD);
	assert_int_equal(check(":-\r\n", &used), BENCH_REPLY_BAD);
	assert_int_equal(check("$-2\r\n", &used), BENCH_REPLY_BAD);
	assert_int_equal(check("*-2\r\n", &used), BENCH_REPLY_BAD);
	assert_int_equal(check("$1234567890123456789\r\n", &used),
			 BENCH_REPLY_BAD);
	assert_int_equal(check("$+1\r\nx\r\n", &used), BENCH_REPLY_BAD);
}

static void
test_bulk_without_crlf(void **state)
{
	size_t used;
	(void)state;
	assert_int_equal(check("$2\r\nabc\r\n", &used), BENCH_REPLY_BAD);
	assert_int_equal(check("$2\r\nab\rx", &used), BENCH_REPLY_BAD);
}

/* Huge counts do not loop: they are PARTIAL from the length alone. */
static void
test_huge_counts(void **state)
{
	size_t used;
	(void)state;
	assert_int_equal(check("*999999999999999999\r\n", &used),
			 BENCH_REPLY_PARTIAL);
	assert_int_equal(check("$999999999999999999\r\n", &used),
			 BENCH_REPLY_PARTIAL);
}

static void
test_depth(void **state)
{
	char buf[64] = "";
	size_t used;
	(void)state;
	for (int i = 0; i < BENCH_REPLY_MAX_DEPTH - 1; i++)
		strcat(buf, "*1\r\n");
	strcat(buf, ":1\r\n");
	assert_int_equal(check(buf, &used), BENCH_REPLY_OK);
	char deeper[80] = "*1\r\n";
	strcat(deeper, buf);
	assert_int_equal(check(deeper, &used), BENCH_REPLY_BAD);
}

/* The outermost reply's type, nil flag and bulk bytes. */
static void
test_top(void **state)
{
	struct bench_reply_top top;
	size_t used;
	const char *s = "$5\r\nhello\r\n";
	(void)state;
	assert_int_equal(bench_reply_check(s, strlen(s), &used, &top),
			 BENCH_REPLY_OK);
	assert_int_equal(top.type, '$');
	assert_int_equal(top.nil, 0);
	assert_int_equal(top.off, 4);
	assert_int_equal(top.len, 5);
	s = "$-1\r\n";
	assert_int_equal(bench_reply_check(s, strlen(s), &used, &top),
			 BENCH_REPLY_OK);
	assert_int_equal(top.nil, 1);
	s = "*-1\r\n";
	assert_int_equal(bench_reply_check(s, strlen(s), &used, &top),
			 BENCH_REPLY_OK);
	assert_int_equal(top.type, '*');
	assert_int_equal(top.nil, 1);
	s = "-ERR x\r\n";
	assert_int_equal(bench_reply_check(s, strlen(s), &used, &top),
			 BENCH_REPLY_ERROR);
	assert_int_equal(top.type, '-');
	assert_int_equal(top.nil, 0);
	s = ":-1\r\n";
	assert_int_equal(bench_reply_check(s, strlen(s), &used, &top),
			 BENCH_REPLY_OK);
	assert_int_equal(top.nil, 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_top),
	cmocka_unit_test(test_types),
	cmocka_unit_test(test_trailing),
	cmocka_unit_test(test_bad_type),
	cmocka_unit_test(test_lone_cr_lf),
	cmocka_unit_test(test_bad_numbers),
	cmocka_unit_test(test_bulk_without_crlf),
	cmocka_unit_test(test_huge_counts),
	cmocka_unit_test(test_depth),
};

RP_TEST_MAIN(tests, 0)
