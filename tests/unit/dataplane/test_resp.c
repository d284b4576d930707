/*
 * test_resp.c -- dataplane/resp.c: requests fed at every split point and
 * fragment size, with a buffer that moves between calls; one test per
 * protocol error text; caps.
 */
#include "unit.h"

#include "resp.h"

/* A request stream as a query buffer would see it. */
struct feed {
	struct resp_parser p;
	char *buf;
	size_t len;
	char out[8192];          /* requests rendered "a|b|c;" */
	size_t out_len;
	const char *err;
};

/* render -- append a parsed request to the feed's output. */
static void
render(struct feed *f, const char *base)
{
	for (uint32_t i = 0; i < f->p.argc; i++) {
		f->out_len += (size_t)snprintf(f->out + f->out_len,
			sizeof(f->out) - f->out_len, "%s%.*s", i ? "|" : "",
			(int)f->p.argv[i].len, base + f->p.argv[i].off);
	}
	f->out_len += (size_t)snprintf(f->out + f->out_len,
				       sizeof(f->out) - f->out_len, ";");
}

/*
 * feed_all -- deliver data in fragments of frag bytes (0 = all at once)
 * into a query buffer that is reallocated (moved) on every delivery, and
 * parse whatever is complete, as conn.c does.
 */
static void
feed_all(struct feed *f, const char *data, size_t n, size_t frag)
{
	size_t pos = 0;

	memset(f, 0, sizeof(*f));
	resp_parser_init(&f->p);
	while (pos < n && f->err == NULL) {
		size_t k = frag == 0 || n - pos < frag ? n - pos : frag;
		char *nb = malloc(f->len + k + 1);
		assert_non_null(nb);
		if (f->len > 0)
			memcpy(nb, f->buf, f->len);
		memcpy(nb + f->len, data + pos, k);
		free(f->buf);
		f->buf = nb;            /* a new address every time */
		f->len += k;
		pos += k;
		for (;;) {
			size_t used = 0;
			enum resp_status st = resp_parse(&f->p, f->buf, f->len,
							 &used);
			if (st == RESP_NEED_MORE)
				break;
			if (st == RESP_ERROR) {
				f->err = f->p.err;
				break;
			}
			assert_true(used > 0 && used <= f->len);
			if (st == RESP_DONE)
				render(f, f->buf);
			resp_parser_reset(&f->p);
			memmove(f->buf, f->buf + used, f->len - used);
			f->len -= used;
		}
	}
}

static void
feed_free(struct feed *f)
{
	free(f->buf);
	resp_parser_fini(&f->p);
}

static const char pipeline[] =
	"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"
	"PING\r\n"
	"*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n"
	"\r\n"
	"ECHO \"q \\x41\\n\" 'it\\'s'\n"
	"*0\r\n"
	"*1\r\n$0\r\n\r\n";
static const char pipeline_out[] =
	"SET|k|hello;PING;ECHO|a\r\nb;ECHO|q A\n|it's;;";

/* test_fragment_sizes -- same result at sizes 1, 2, 5, 10, 100, all. */
static void
test_fragment_sizes(void **state)
{
	static const size_t sizes[] = { 1, 2, 5, 10, 100, 0 };
	(void)state;

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct feed f;
		feed_all(&f, pipeline, sizeof(pipeline) - 1, sizes[i]);
		assert_null(f.err);
		f.out[f.out_len] = '\0';
		assert_string_equal(f.out, pipeline_out);
		assert_int_equal(f.len, 0);
		feed_free(&f);
	}
}

/* test_every_split_point -- two deliveries split at every byte. */
static void
test_every_split_point(void **state)
{
	size_t n = sizeof(pipeline) - 1;
	(void)state;

	for (size_t cut = 1; cut < n; cut++) {
		struct feed f;
		char *two = malloc(n);
		assert_non_null(two);
		memcpy(two, pipeline, n);
		memset(&f, 0, sizeof(f));
		/* Deliver [0,cut) then [cut,n) through feed_all's logic:
		 * fragment size cut gives exactly that first split. */
		feed_all(&f, two, n, cut);
		assert_null(f.err);
		f.out[f.out_len] = '\0';
		assert_string_equal(f.out, pipeline_out);
		feed_free(&f);
		free(two);
	}
}

/* expect_error -- the input fails with exactly this text. */
static void
expect_error(const char *in, size_t n, const char *text)
{
	struct feed f;

	feed_all(&f, in, n, 0);
	assert_non_null(f.err);
	assert_string_equal(f.err, text);
	feed_free(&f);
	/* Byte by byte too. */
	feed_all(&f, in, n, 1);
	assert_non_null(f.err);
	assert_string_equal(f.err, text);
	feed_free(&f);
}

static void
test_err_expected_dollar(void **state)
{
	(void)state;
	expect_error("*1\r\nxx\r\n", 8, "Protocol error: expected '$', got 'x'");
}

static void
test_err_invalid_multibulk(void **state)
{
	(void)state;
	expect_error("*abc\r\n", 6, "Protocol error: invalid multibulk length");
	expect_error("*01\r\n", 5, "Protocol error: invalid multibulk length");
	expect_error("*+1\r\n", 5, "Protocol error: invalid multibulk length");
	expect_error("*3000000000\r\n", 13,
		     "Protocol error: invalid multibulk length");
}

static void
test_err_invalid_bulk(void **state)
{
	(void)state;
	expect_error("*1\r\n$abc\r\n", 10, "Protocol error: invalid bulk length");
	expect_error("*1\r\n$-1\r\n", 9, "Protocol error: invalid bulk length");
	expect_error("*1\r\n$600000000\r\n", 16,
		     "Protocol error: invalid bulk length");
}

static void
test_err_unbalanced_quotes(void **state)
{
	(void)state;
	expect_error("SET k \"v\r\n", 10,
		     "Protocol error: unbalanced quotes in request");
	expect_error("ECHO \"a\"b\r\n", 11,
		     "Protocol error: unbalanced quotes in request");
	expect_error("ECHO 'a\r\n", 9,
		     "Protocol error: unbalanced quotes in request");
}

/* big -- n bytes of c after a prefix. */
static char *
big(const char *prefix, char c, size_t n, size_t *len)
{
	size_t p = strlen(prefix);
	char *b = malloc(p + n);
	assert_non_null(b);
	memcpy(b, prefix, p);
	memset(b + p, c, n);
	*len = p + n;
	return b;
}

static void
test_err_too_big_inline(void **state)
{
	size_t n;
	char *b = big("", 'A', 70000, &n);
	(void)state;
	struct feed f;
	feed_all(&f, b, n, 0);
	assert_string_equal(f.err, "Protocol error: too big inline request");
	feed_free(&f);
	free(b);
}

static void
test_err_too_big_mbulk_count(void **state)
{
	size_t n;
	char *b = big("*", '1', 70000, &n);
	(void)state;
	struct feed f;
	feed_all(&f, b, n, 0);
	assert_string_equal(f.err, "Protocol error: too big mbulk count string");
	feed_free(&f);
	free(b);
}

static void
test_err_too_big_bulk_count(void **state)
{
	size_t n;
	char *b = big("*1\r\n$", '1', 70000, &n);
	(void)state;
	struct feed f;
	feed_all(&f, b, n, 0);
	assert_string_equal(f.err, "Protocol error: too big bulk count string");
	feed_free(&f);
	free(b);
}

/* test_need_more_cases -- incomplete input is never an error. */
static void
test_need_more_cases(void **state)
{
	static const char *const partial[] = {
		"*", "*2", "*2\r", "*2\r\n$", "*2\r\n$3\r\nGE", "*1\r\n$3\r\nGET",
		"*1\r\n$3\r\nGET\r", "PIN", "*2000000\r\n",
	};
	(void)state;

	for (unsigned i = 0; i < sizeof(partial) / sizeof(partial[0]); i++) {
		struct feed f;
		feed_all(&f, partial[i], strlen(partial[i]), 0);
		assert_null(f.err);
		assert_int_equal(f.out_len, 0);
		feed_free(&f);
	}
}

/* test_binary_bulk -- bulks may hold CR, LF and NUL. */
static void
test_binary_bulk(void **state)
{
	static const char in[] = "*2\r\n$4\r\nECHO\r\n$5\r\na\r\n\0b\r\n";
	struct resp_parser p;
	char buf[sizeof(in)];
	size_t used;
	(void)state;

	memcpy(buf, in, sizeof(in));
	resp_parser_init(&p);
	assert_int_equal(resp_parse(&p, buf, sizeof(in) - 1, &used), RESP_DONE);
	assert_int_equal(used, sizeof(in) - 1);
	assert_int_equal(p.argc, 2);
	assert_int_equal(p.argv[1].len, 5);
	assert_memory_equal(buf + p.argv[1].off, "a\r\n\0b", 5);
	resp_parser_fini(&p);
}

/* test_many_args -- argv grows past its first capacity. */
static void
test_many_args(void **state)
{
	char *in = malloc(1 << 20);
	assert_non_null(in);
	size_t n = (size_t)sprintf(in, "*5000\r\n");
	struct resp_parser p;
	size_t used;
	(void)state;

	for (int i = 0; i < 5000; i++)
		n += (size_t)sprintf(in + n, "$%d\r\n%d\r\n",
				     i < 10 ? 1 : i < 100 ? 2 : i < 1000 ? 3 : 4,
				     i);
	resp_parser_init(&p);
	assert_int_equal(resp_parse(&p, in, n, &used), RESP_DONE);
	assert_int_equal(p.argc, 5000);
	assert_memory_equal(in + p.argv[4999].off, "4999", 4);
	resp_parser_fini(&p);
	free(in);
}

/* test_big_bulk_byte_by_byte -- 1 MiB, one byte per call, linear. */
static void
test_big_bulk_byte_by_byte(void **state)
{
	size_t vlen = 1 << 20;
	char *in = malloc(vlen + 64);
	assert_non_null(in);
	size_t n = (size_t)sprintf(in, "*2\r\n$3\r\nSET\r\n$%zu\r\n", vlen);
	struct resp_parser p;
	size_t used = 0;
	enum resp_status st = RESP_NEED_MORE;
	(void)state;

	memset(in + n, 'v', vlen);
	n += vlen;
	memcpy(in + n, "\r\n", 2);
	n += 2;
	resp_parser_init(&p);
	for (size_t k = 1; k <= n && st == RESP_NEED_MORE; k++)
		st = resp_parse(&p, in, k, &used);
	assert_int_equal(st, RESP_DONE);
	assert_int_equal(used, n);
	assert_int_equal(p.argv[1].len, vlen);
	resp_parser_fini(&p);
	free(in);
}

/* test_nul_hides_line_end -- as strchr does in Redis: wait for more. */
static void
test_nul_hides_line_end(void **state)
{
	struct feed f;
	(void)state;

	feed_all(&f, "\0PING\r\n", 7, 0);
	assert_null(f.err);
	assert_int_equal(f.out_len, 0);
	feed_free(&f);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_fragment_sizes),
	cmocka_unit_test(test_every_split_point),
	cmocka_unit_test(test_err_expected_dollar),
	cmocka_unit_test(test_err_invalid_multibulk),
	cmocka_unit_test(test_err_invalid_bulk),
	cmocka_unit_test(test_err_unbalanced_quotes),
	cmocka_unit_test(test_err_too_big_inline),
	cmocka_unit_test(test_err_too_big_mbulk_count),
	cmocka_unit_test(test_err_too_big_bulk_count),
	cmocka_unit_test(test_need_more_cases),
	cmocka_unit_test(test_binary_bulk),
	cmocka_unit_test(test_many_args),
	cmocka_unit_test(test_big_bulk_byte_by_byte),
	cmocka_unit_test(test_nul_hides_line_end),
};

RP_TEST_MAIN(tests, 0)
