/*
 * test_bench_reply.c -- app/bench_reply.c: every RESP2 reply type
 * complete, as an error, cut short at every length, nested, and one test
 * per malformation (bad type byte, lone CR or LF, bad numbers, bulk
 * without its CRLF, nesting too deep); the reply stream fed in pieces of
 * every size, its bound and its malformed input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * take_all -- feed in[0..len) to a stream in pieces of step bytes and
 * write the status and length of every reply taken, as "O5 E8 ...", to
 * out; BAD ends it ("B"). Returns the bytes left pending.
 */
static size_t
take_all(const char *in, size_t len, size_t step, char *out, size_t cap)
{
	struct bench_reply_stream s;
	struct bench_reply_top top;
	const char *reply;
	size_t rlen, n = 0, left;
	enum bench_reply_status st = BENCH_REPLY_PARTIAL;

	bench_reply_stream_init(&s, 1 << 20);
	out[0] = '\0';
	for (size_t off = 0; off < len && st != BENCH_REPLY_BAD; off += step) {
		size_t k = len - off < step ? len - off : step;
		assert_int_equal(bench_reply_stream_append(&s, in + off, k), 0);
		while ((st = bench_reply_stream_next(&s, &reply, &rlen,
						     &top)) != BENCH_REPLY_PARTIAL) {
			if (st == BENCH_REPLY_BAD) {
				n += (size_t)snprintf(out + n, cap - n, "B");
				break;
			}
			/* the reply is whole and judged as checked alone */
			size_t used;
			assert_int_equal(bench_reply_check(reply, rlen, &used,
							   NULL), st);
			assert_int_equal(used, rlen);
			assert_int_equal(top.type, reply[0]);
			n += (size_t)snprintf(out + n, cap - n, "%c%zu ",
					      st == BENCH_REPLY_OK ? 'O' : 'E',
					      rlen);
		}
	}
	left = bench_reply_stream_pending(&s);
	bench_reply_stream_fini(&s);
	return left;
}

static void
test_stream_pieces(void **state)
{
	static const char in[] =
		"+OK\r\n$5\r\nhello\r\n-ERR no\r\n*2\r\n:1\r\n$-1\r\n"
		":42\r\n$0\r\n\r\n*-1\r\n$3\r\nab";
	char whole[256], piece[256];

	(void)state;
	/* a partial bulk is left over, whatever the cuts */
	assert_int_equal(take_all(in, strlen(in), strlen(in), whole,
				  sizeof(whole)), 6);
	assert_string_equal(whole, "O5 O11 E9 O13 O5 O6 O5 ");
	for (size_t step = 1; step < strlen(in); step++) {
		assert_int_equal(take_all(in, strlen(in), step, piece,
					  sizeof(piece)), 6);
		assert_string_equal(piece, whole);
	}
}

static void
test_stream_bad(void **state)
{
	static const char in[] = "+OK\r\n:12\r\n?what\r\n+OK\r\n";
	char out[64];

	(void)state;
	for (size_t step = 1; step <= strlen(in); step++) {
		take_all(in, strlen(in), step, out, sizeof(out));
		assert_string_equal(out, "O5 O5 B");
	}
}

static void
test_stream_large(void **state)
{
	/* one bulk of 100000 bytes in 1448-byte segments, then a status */
	size_t n = 100000, len = 0;
	char *in = malloc(n + 64), out[64];

	(void)state;
	assert_non_null(in);
	len += (size_t)sprintf(in, "$%zu\r\n", n);
	memset(in + len, 'x', n);
	len += n;
	memcpy(in + len, "\r\n+OK\r\n", 7);
	len += 7;
	assert_int_equal(take_all(in, len, 1448, out, sizeof(out)), 0);
	assert_string_equal(out, "O100011 O5 ");
	free(in);
}

static void
test_stream_max(void **state)
{
	struct bench_reply_stream s;
	const char *reply;
	size_t rlen;

	(void)state;
	bench_reply_stream_init(&s, 16);
	assert_int_equal(bench_reply_stream_next(&s, &reply, &rlen, NULL),
			 BENCH_REPLY_PARTIAL);
	assert_int_equal(bench_reply_stream_append(&s, "$20\r\n0123456789",
						   15), 0);
	assert_int_equal(bench_reply_stream_next(&s, &reply, &rlen, NULL),
			 BENCH_REPLY_PARTIAL);
	/* 15 held: two more would pass the bound, one fits */
	assert_int_equal(bench_reply_stream_append(&s, "ab", 2), -ENOSPC);
	assert_int_equal(bench_reply_stream_append(&s, "a", 1), 0);
	assert_int_equal(bench_reply_stream_pending(&s), 16);
	bench_reply_stream_fini(&s);

	/* taken replies make room: 3 x 6 bytes through a 16-byte stream */
	bench_reply_stream_init(&s, 16);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(bench_reply_stream_append(&s, ":123\r\n", 6),
				 0);
		assert_int_equal(bench_reply_stream_next(&s, &reply, &rlen,
							 NULL), BENCH_REPLY_OK);
		assert_int_equal(rlen, 6);
		assert_memory_equal(reply, ":123\r\n", 6);
	}
	assert_int_equal(bench_reply_stream_pending(&s), 0);
	bench_reply_stream_fini(&s);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_stream_pieces),
	cmocka_unit_test(test_stream_bad),
	cmocka_unit_test(test_stream_large),
	cmocka_unit_test(test_stream_max),
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
