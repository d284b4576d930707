/*
 * test_util.c -- store/util.c: glob matching and number conversions
 * with Redis's rules.
 */
#include <limits.h>

#include "unit.h"

#include "store_test.h"

static bool
match(const char *p, const char *s)
{
	return kv_stringmatch(p, strlen(p), s, strlen(s), false);
}

static void
test_stringmatch(void **state)
{
	(void)state;
	assert_true(match("*", "anything"));
	assert_true(match("h?llo", "hello"));
	assert_false(match("h?llo", "hllo"));
	assert_true(match("h*llo", "heeeello"));
	assert_true(match("h[ae]llo", "hallo"));
	assert_false(match("h[ae]llo", "hillo"));
	assert_true(match("h[^e]llo", "hallo"));
	assert_false(match("h[^e]llo", "hello"));
	assert_true(match("h[a-b]llo", "hbllo"));
	assert_true(match("h[b-a]llo", "hallo"));
	assert_true(match("h\\*llo", "h*llo"));
	assert_false(match("h\\*llo", "hello"));
	assert_true(match("key:*:x", "key:12:x"));
	assert_false(match("abc", "abcd"));
	assert_true(kv_stringmatch("MAX*", 4, "maxmemory", 9, true));
}

static void
test_str2ll(void **state)
{
	long long v;
	(void)state;
	assert_true(kv_str2ll("0", 1, &v) && v == 0);
	assert_true(kv_str2ll("-12", 3, &v) && v == -12);
	assert_true(kv_str2ll("9223372036854775807", 19, &v) && v == LLONG_MAX);
	assert_true(kv_str2ll("-9223372036854775808", 20, &v) && v == LLONG_MIN);
	assert_false(kv_str2ll("9223372036854775808", 19, &v));
	assert_false(kv_str2ll("-0", 2, &v));
	assert_false(kv_str2ll("01", 2, &v));
	assert_false(kv_str2ll("+1", 2, &v));
	assert_false(kv_str2ll(" 1", 2, &v));
	assert_false(kv_str2ll("", 0, &v));
	assert_false(kv_str2ll("-", 1, &v));
}

static void
test_ld(void **state)
{
	long double v;
	char buf[64];
	(void)state;
	assert_true(kv_str2ld("10.5", 4, &v));
	assert_false(kv_str2ld(" 1", 2, &v));
	assert_false(kv_str2ld("abc", 3, &v));
	assert_false(kv_str2ld("nan", 3, &v));
	kv_ld2str(buf, sizeof(buf), 10.5L + 0.1L);
	assert_string_equal(buf, "10.6");
	kv_ld2str(buf, sizeof(buf), 3.0L);
	assert_string_equal(buf, "3");
	kv_ld2str(buf, sizeof(buf), 5e3L);
	assert_string_equal(buf, "5000");
	kv_ld2str(buf, sizeof(buf), -0.0L);
	assert_string_equal(buf, "0");
}

static void
test_arg_is(void **state)
{
	struct kv_arg a = { "NX", 2 };
	(void)state;
	assert_true(kv_arg_is(&a, "nx"));
	assert_false(kv_arg_is(&a, "nxx"));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_stringmatch),
	cmocka_unit_test(test_str2ll),
	cmocka_unit_test(test_ld),
	cmocka_unit_test(test_arg_is),
};

RP_TEST_MAIN(tests, 0)
