/*
 * test_reply.c -- store/reply.c: every RESP2 encoder.
 */
#include <limits.h>

#include "unit.h"

#include "store_test.h"

#define ENC(call, want)                                                 \
	do {                                                             \
		st_len = 0;                                              \
		call;                                                    \
		expect(want);                                            \
	} while (0)

static void
test_encoders(void **state)
{
	struct kv_client *c = &st_client;
	(void)state;
	ENC(kv_reply_ok(c), "+OK\r\n");
	ENC(kv_reply_simple(c, "PONG"), "+PONG\r\n");
	ENC(kv_reply_error(c, "ERR x %d", 5), "-ERR x 5\r\n");
	ENC(kv_reply_error(c, "ERR a\r\nb"), "-ERR a  b\r\n");
	ENC(kv_reply_int(c, -42), ":-42\r\n");
	ENC(kv_reply_int(c, 0), ":0\r\n");
	ENC(kv_reply_int(c, LLONG_MIN), ":-9223372036854775808\r\n");
	ENC(kv_reply_int(c, LLONG_MAX), ":9223372036854775807\r\n");
	ENC(kv_reply_bulk(c, "ab", 2), "$2\r\nab\r\n");
	ENC(kv_reply_bulk(c, "", 0), "$0\r\n\r\n");
	/* Past the one-write size: header, payload and CRLF separately. */
	static char big[2000];
	memset(big, 'b', sizeof(big));
	st_len = 0;
	kv_reply_bulk(c, big, sizeof(big));
	assert_int_equal(st_len, 7 + 2000 + 2);
	assert_memory_equal(st_out, "$2000\r\n", 7);
	assert_memory_equal(st_out + 7 + 2000, "\r\n", 2);
	ENC(kv_reply_bulk_cstr(c, NULL), "$-1\r\n");
	ENC(kv_reply_bulk_ll(c, 123), "$3\r\n123\r\n");
	ENC(kv_reply_bulk_double(c, 3.5L), "$3\r\n3.5\r\n");
	ENC(kv_reply_null(c), "$-1\r\n");
	ENC(kv_reply_null_array(c), "*-1\r\n");
	ENC(kv_reply_array(c, 3), "*3\r\n");
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_encoders),
};

RP_TEST_MAIN(tests, 1)
