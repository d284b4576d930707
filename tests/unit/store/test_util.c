/*
 * test_util.c -- store/util.c: glob matching and number conversions
 * with Redis's rules. The glob table was checked against Redis 7.0.15
 * (SET the string, KEYS the pattern).
 */
#include <limits.h>
#include <math.h>

#include "unit.h"

#include "store_test.h"

static bool
match(const char *p, const char *s)
{
	return kv_stringmatch(p, strlen(p), s, strlen(s), false);
}

struct glob_case {
	const char *pat, *str;
	bool match;
};

/* Each line: pattern, string, whether Redis's KEYS matches it. */
static const struct glob_case glob_cases[] = {
	{ "*", "anything", true },
	/* Redis's stringmatchlen never matches an empty string with a
	 * star (KEYS * and SCAN MATCH * skip matching altogether). */
	{ "*", "", false },
	{ "**", "", false },
	{ "", "", true },
	{ "", "a", false },
	{ "a*", "a", true },
	{ "*a", "ba", true },
	{ "*a", "ab", false },
	{ "**x", "abx", true },
	{ "a*b*c", "axxbyyc", true },
	{ "a*b*c", "axxbyy", false },
	{ "h?llo", "hello", true },
	{ "h?llo", "hllo", false },
	{ "?", "", false },
	{ "??", "a", false },
	{ "h[ae]llo", "hallo", true },
	{ "h[ae]llo", "hillo", false },
	{ "h[^e]llo", "hallo", true },
	{ "h[^e]llo", "hello", false },
	{ "[a-z]", "m", true },
	{ "[a-z]", "M", false },
	{ "[a-z]", "-", false },
	{ "[z-a]", "m", true },
	{ "[^a-z]", "m", false },
	{ "[^a-z]", "5", true },
	{ "[a-]", "-", false },
	{ "[a-]", "a", true },
	{ "[-a]", "-", true },
	{ "[]", "a", false },
	{ "[]a]", "a", false },
	{ "[]a]", "]", false },
	{ "[\\]]", "]", true },
	{ "[\\-]", "-", true },
	{ "[\\a]", "a", true },
	{ "[abc", "a", true },
	{ "[abc", "b", true },
	{ "a[", "a", false },
	{ "a[b", "ab", true },
	{ "h\\*llo", "h*llo", true },
	{ "h\\*llo", "hello", false },
	{ "\\?", "?", true },
	{ "\\?", "a", false },
	{ "a\\", "a\\", true },
	{ "a\\", "a", false },
	{ "\\\\", "\\", true },
	{ "\\[a]", "[a]", true },
	{ "\\[a]", "a", false },
	{ "[*]", "*", true },
	{ "[*]", "a", false },
	{ "[?]", "a", false },
	{ "abc", "abcd", false },
	{ "abc", "ab", false },
	{ "ABC", "abc", false },
	{ "*[0-9]", "key9", true },
	{ "k*[0-9]x", "k123x", true },
	{ "[^]", "a", true },
	{ "[^", "a", true },
	{ "a*", "", false },
};

static void
test_stringmatch_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(glob_cases) / sizeof(glob_cases[0]);
	     i++) {
		const struct glob_case *g = &glob_cases[i];
		if (match(g->pat, g->str) != g->match)
			fail_msg("pattern '%s' string '%s': want %s", g->pat,
				 g->str, g->match ? "match" : "no match");
	}
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
test_stringmatch_nocase_binary(void **state)
{
	(void)state;
	assert_true(kv_stringmatch("[A-Z]", 5, "m", 1, true));
	assert_false(kv_stringmatch("[A-Z]", 5, "m", 1, false));
	assert_true(kv_stringmatch("h[^E]llo", 8, "hallo", 5, true));
	assert_false(kv_stringmatch("h[^E]llo", 8, "hello", 5, true));
	assert_true(kv_stringmatch("HeLLo", 5, "hello", 5, true));
	/* Lengths, not NULs, end the strings. */
	assert_true(kv_stringmatch("a?c", 3, "a\0c", 3, false));
	assert_true(kv_stringmatch("a\0*", 3, "a\0xyz", 5, false));
	assert_false(kv_stringmatch("a\0*", 3, "a1xyz", 5, false));
	assert_true(kv_stringmatch("abc", 2, "abX", 2, false));
	/* A long pattern of stars does not blow up. */
	char pat[201], str[201];
	memset(pat, '*', 200);
	pat[199] = 'b';
	pat[200] = '\0';
	memset(str, 'a', 200);
	str[200] = '\0';
	assert_false(match(pat, str));
	str[199] = 'b';
	assert_true(match(pat, str));
}

static void
test_str2ll(void **state)
{
	long long v;
	(void)state;
	assert_true(kv_str2ll("0", 1, &v) && v == 0);
	assert_true(kv_str2ll("-12", 3, &v) && v == -12);
	assert_true(kv_str2ll("1", 1, &v) && v == 1);
	assert_true(kv_str2ll("9223372036854775807", 19, &v) && v == LLONG_MAX);
	assert_true(kv_str2ll("-9223372036854775808", 20, &v) && v == LLONG_MIN);
	assert_false(kv_str2ll("9223372036854775808", 19, &v));
	assert_false(kv_str2ll("-9223372036854775809", 20, &v));
	assert_false(kv_str2ll("18446744073709551615", 20, &v));
	assert_false(kv_str2ll("18446744073709551616", 20, &v));
	assert_false(kv_str2ll("99999999999999999999", 20, &v));
	assert_false(kv_str2ll("123456789012345678901", 21, &v));
	assert_false(kv_str2ll("-0", 2, &v));
	assert_false(kv_str2ll("00", 2, &v));
	assert_false(kv_str2ll("01", 2, &v));
	assert_false(kv_str2ll("-01", 3, &v));
	assert_false(kv_str2ll("+1", 2, &v));
	assert_false(kv_str2ll(" 1", 2, &v));
	assert_false(kv_str2ll("1 ", 2, &v));
	assert_false(kv_str2ll("1a", 2, &v));
	assert_false(kv_str2ll("1.0", 3, &v));
	assert_false(kv_str2ll("", 0, &v));
	assert_false(kv_str2ll("-", 1, &v));
	assert_false(kv_str2ll("--1", 3, &v));
	/* Only len bytes are read. */
	assert_true(kv_str2ll("12x", 2, &v) && v == 12);
	assert_true(kv_str2ll("1\0", 1, &v) && v == 1);
	assert_false(kv_str2ll("1\0", 2, &v));
}

static void
test_ll2str(void **state)
{
	char buf[32];
	(void)state;
	assert_int_equal(kv_ll2str(buf, sizeof(buf), 0), 1);
	assert_string_equal(buf, "0");
	assert_int_equal(kv_ll2str(buf, sizeof(buf), LLONG_MIN), 20);
	assert_string_equal(buf, "-9223372036854775808");
	assert_int_equal(kv_ll2str(buf, sizeof(buf), LLONG_MAX), 19);
	assert_string_equal(buf, "9223372036854775807");
}

static void
test_ld(void **state)
{
	long double v;
	char buf[64];
	(void)state;
	assert_true(kv_str2ld("10.5", 4, &v));
	assert_true(v == 10.5L);
	assert_true(kv_str2ld("-3e2", 4, &v) && v == -300.0L);
	assert_true(kv_str2ld(".5", 2, &v) && v == 0.5L);
	assert_true(kv_str2ld("inf", 3, &v) && isinf(v));
	assert_false(kv_str2ld(" 1", 2, &v));
	assert_false(kv_str2ld("1 ", 2, &v));
	assert_false(kv_str2ld("abc", 3, &v));
	assert_false(kv_str2ld("nan", 3, &v));
	assert_false(kv_str2ld("", 0, &v));
	assert_false(kv_str2ld("1e99999", 7, &v));   /* overflow */
	assert_false(kv_str2ld("1e-99999", 8, &v));  /* underflow */
	kv_ld2str(buf, sizeof(buf), 10.5L + 0.1L);
	assert_string_equal(buf, "10.6");
	kv_ld2str(buf, sizeof(buf), 3.0L);
	assert_string_equal(buf, "3");
	kv_ld2str(buf, sizeof(buf), 5e3L);
	assert_string_equal(buf, "5000");
	kv_ld2str(buf, sizeof(buf), -0.0L);
	assert_string_equal(buf, "0");
	kv_ld2str(buf, sizeof(buf), -2.5L);
	assert_string_equal(buf, "-2.5");
	kv_ld2str(buf, sizeof(buf), 1e20L);
	assert_string_equal(buf, "100000000000000000000");
	assert_int_equal(kv_ld2str(buf, sizeof(buf), 0.0L), 1);
	assert_string_equal(buf, "0");
	/* As Redis: 17 digits after the dot, then trimmed. */
	kv_ld2str(buf, sizeof(buf), 2.9L + 5000.0L);
	assert_string_equal(buf, "5002.89999999999999991");
	kv_ld2str(buf, sizeof(buf), 1e-18L);
	assert_string_equal(buf, "0");
	/* Too small a buffer: nothing. */
	assert_int_equal(kv_ld2str(buf, 4, 12345.5L), 0);
}

static void
test_arg_is(void **state)
{
	struct kv_arg a = { "NX", 2 };
	struct kv_arg b = { "nxx", 2 };   /* only "nx" by length */
	(void)state;
	assert_true(kv_arg_is(&a, "nx"));
	assert_true(kv_arg_is(&a, "NX"));
	assert_false(kv_arg_is(&a, "nxx"));
	assert_false(kv_arg_is(&a, "n"));
	assert_true(kv_arg_is(&b, "nx"));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_stringmatch_table),
	cmocka_unit_test(test_stringmatch),
	cmocka_unit_test(test_stringmatch_nocase_binary),
	cmocka_unit_test(test_str2ll),
	cmocka_unit_test(test_ll2str),
	cmocka_unit_test(test_ld),
	cmocka_unit_test(test_arg_is),
};

RP_TEST_MAIN(tests, 0)
