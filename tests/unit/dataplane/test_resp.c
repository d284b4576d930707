/*
 * test_resp.c -- dataplane/resp.c: a mixed pipeline fed at every split
 * point and fragment size into a query buffer that moves between calls,
 * one test per protocol error text (checked against Redis 7.0's replies),
 * caps, binary bulks, inline quoting, argv growth, linear cost.
 */
#include <time.h>

#include "unit.h"

#include "resp.h"

/* Fragment sizes every input is fed at; 0 = all at once. */
static const size_t frag_sizes[] = { 1, 2, 5, 10, 100, 0 };
#define N_FRAGS (sizeof(frag_sizes) / sizeof(frag_sizes[0]))

/*
 * A connection's view: a query buffer that grows (and moves) as bytes
 * arrive, parsed from the start of the unfinished request like conn.c,
 * and a transcript of what was parsed: "[arg][arg];" per request, "-;"
 * per empty request, "!<error>" at the end on a protocol error.
 */
struct feed {
	struct resp_parser p;
	char *qb;               /* query buffer */
	size_t qlen, qcap;
	char *out;              /* transcript */
	size_t out_len, out_cap;
	enum resp_status last;  /* status of the last call */
	size_t calls;
};

/* out_add -- append n bytes to the transcript. */
static void
out_add(struct feed *f, const void *s, size_t n)
{
	if (f->out_len + n + 1 > f->out_cap) {
		f->out_cap = (f->out_len + n + 1) * 2;
		f->out = realloc(f->out, f->out_cap);
		assert_non_null(f->out);
	}
	memcpy(f->out + f->out_len, s, n);
	f->out_len += n;
	f->out[f->out_len] = '\0';
}

/* feed_init -- empty connection. */
static void
feed_init(struct feed *f)
{
	memset(f, 0, sizeof(*f));
	resp_parser_init(&f->p);
	out_add(f, "", 0);
}

/* feed_fini -- free a connection's buffers. */
static void
feed_fini(struct feed *f)
{
	resp_parser_fini(&f->p);
	free(f->qb);
	free(f->out);
}

/*
 * feed_parse -- parse every complete request of the query buffer, then
 * keep only the unfinished one at its start.
 */
static void
feed_parse(struct feed *f)
{
	size_t off = 0;

	while (off < f->qlen) {
		size_t used = ~(size_t)0;
		char *req = f->qb + off;
		f->calls++;
		f->last = resp_parse(&f->p, req, f->qlen - off, &used);
		if (f->last == RESP_NEED_MORE)
			break;
		assert_true(used > 0 && used <= f->qlen - off);
		if (f->last == RESP_ERROR) {
			assert_non_null(f->p.err);
			assert_int_equal(used, f->qlen - off);
			out_add(f, "!", 1);
			out_add(f, f->p.err, strlen(f->p.err));
			off = f->qlen;
			break;
		}
		if (f->last == RESP_EMPTY) {
			assert_int_equal(f->p.argc, 0);
			out_add(f, "-;", 2);
		}
		for (uint32_t i = 0; f->last == RESP_DONE && i < f->p.argc;
		     i++) {
			const struct resp_slice *a = &f->p.argv[i];
			assert_true((size_t)a->off + a->len <= used);
			out_add(f, "[", 1);
			out_add(f, req + a->off, a->len);
			out_add(f, "]", 1);
		}
		if (f->last == RESP_DONE)
			out_add(f, ";", 1);
		resp_parser_reset(&f->p);
		off += used;
	}
	memmove(f->qb, f->qb + off, f->qlen - off);
	f->qlen -= off;
}

/*
 * feed_bytes -- deliver n bytes. Small buffers move on every delivery
 * (the old copy is poisoned, then freed), big ones when they double.
 */
static void
feed_bytes(struct feed *f, const char *data, size_t n)
{
	if (f->qlen + n > f->qcap || f->qcap <= 4096) {
		size_t cap = f->qcap > 4096 ? f->qcap * 2 : f->qlen + n;
		if (cap < f->qlen + n)
			cap = f->qlen + n;
		char *nb = malloc(cap + 1);
		assert_non_null(nb);
		if (f->qb != NULL) {
			memcpy(nb, f->qb, f->qlen);
			memset(f->qb, 0xa5, f->qlen);
		}
		free(f->qb);
		f->qb = nb;
		f->qcap = cap;
	}
	memcpy(f->qb + f->qlen, data, n);
	f->qlen += n;
	feed_parse(f);
}

/*
 * run -- feed data[0..split) at once (if split > 0), the rest in
 * fragments of frag bytes (0 = all at once); returns the transcript, to
 * be freed, and its length in *out_len if not NULL.
 */
static char *
run(const char *data, size_t n, size_t split, size_t frag,
    enum resp_status *last, size_t *out_len)
{
	struct feed f;
	size_t pos = 0;

	feed_init(&f);
	if (split > 0 && split < n) {
		feed_bytes(&f, data, split);
		pos = split;
	}
	while (pos < n) {
		size_t k = frag == 0 || n - pos < frag ? n - pos : frag;
		feed_bytes(&f, data + pos, k);
		pos += k;
	}
	if (f.last != RESP_NEED_MORE)
		assert_int_equal(f.qlen, 0);
	char *out = f.out;
	f.out = NULL;
	if (last != NULL)
		*last = f.last;
	if (out_len != NULL)
		*out_len = f.out_len;
	feed_fini(&f);
	return out;
}

/*
 * check_all -- data gives transcript want at every fragment size and
 * every split point, the last call returning status last.
 */
static void
check_all(const char *data, size_t n, const char *want, size_t want_n,
	  enum resp_status last)
{
	for (size_t s = 0; s == 0 || s < n; s++) {
		for (size_t i = 0; i < N_FRAGS; i++) {
			enum resp_status st;
			size_t got_n;
			char *got = run(data, n, s, frag_sizes[i], &st, &got_n);
			if (got_n != want_n || memcmp(got, want, want_n) != 0)
				fail_msg("split %zu frag %zu: got \"%s\"\n"
					 "want \"%s\"", s, frag_sizes[i], got,
					 want);
			assert_int_equal(st, last);
			free(got);
		}
	}
}

/* CHECK -- literal lit gives transcript want (a literal, NULs allowed). */
#define CHECK(lit, want, last) \
	check_all(lit, sizeof(lit) - 1, want, sizeof(want) - 1, last)

/* CHECK_ERROR -- lit gives transcript before, then protocol error err. */
#define CHECK_ERROR(lit, before, err) \
	CHECK(lit, before "!" err, RESP_ERROR)

/* A pipeline mixing every request shape. */
static const char pipeline[] =
	"*3\r\n$3\r\nSET\r\n$5\r\nk\r\n\0v\r\n$0\r\n\r\n"
	"PING\r\n"
	"\r\n"
	"*0\r\n"
	"ECHO \"a b\" 'c d'\n"
	"*-1\r\n"
	"   \r\n"
	"*1\r\n$4\r\nPING\r\n"
	"\n"
	"set x \"\\x41\\r\\n\"\r\n"
	"*2\r\n$4\r\nECHO\r\n$11\r\n\r\n\r\n\0\0*1\r\n$\r\n";

static void
pipeline_all_splits(void **state)
{
	static const char want[] =
		"[SET][k\r\n\0v][];[PING];-;-;[ECHO][a b][c d];-;-;[PING];-;"
		"[set][x][A\r\n];[ECHO][\r\n\r\n\0\0*1\r\n$];";
	(void)state;
	check_all(pipeline, sizeof(pipeline) - 1, want, sizeof(want) - 1,
		  RESP_DONE);
}

static void
pipeline_one_buffer(void **state)
{
	static char buf[] = "*1\r\n$4\r\nPING\r\nPING\r\n*0\r\n*1\r\n$1\r\n";
	struct resp_parser p;
	size_t used, off = 0;
	(void)state;

	resp_parser_init(&p);
	assert_int_equal(resp_parse(&p, buf, sizeof(buf) - 1, &used),
			 RESP_DONE);
	assert_int_equal(used, 14);
	assert_int_equal(p.argc, 1);
	assert_int_equal(p.argv[0].off, 8);
	assert_int_equal(p.argv[0].len, 4);
	off += used;
	resp_parser_reset(&p);
	assert_int_equal(resp_parse(&p, buf + off, sizeof(buf) - 1 - off,
				    &used), RESP_DONE);
	assert_int_equal(used, 6);
	assert_int_equal(p.argc, 1);
	assert_int_equal(p.argv[0].off, 0);
	off += used;
	resp_parser_reset(&p);
	assert_int_equal(resp_parse(&p, buf + off, sizeof(buf) - 1 - off,
				    &used), RESP_EMPTY);
	assert_int_equal(used, 4);
	off += used;
	resp_parser_reset(&p);
	assert_int_equal(resp_parse(&p, buf + off, sizeof(buf) - 1 - off,
				    &used), RESP_NEED_MORE);
	assert_int_equal(used, 0);
	resp_parser_fini(&p);
}

static void
empty_requests(void **state)
{
	(void)state;
	CHECK("\r\n\n   \r\n\t\x0b\x0c\r\n", "-;-;-;-;", RESP_EMPTY);
	CHECK("*0\r\n*-1\r\n*-5\r\n", "-;-;-;", RESP_EMPTY);
	CHECK("*-9223372036854775808\r\nPING\r\n", "-;[PING];", RESP_DONE);
	CHECK("", "", RESP_NEED_MORE);
}

/* The byte after '\r' of a count line, and the two after a bulk, are
 * skipped unchecked, as Redis does. */
static void
unchecked_line_ends(void **state)
{
	(void)state;
	CHECK("*1\rX$4\r\nPING\r\n", "[PING];", RESP_DONE);
	CHECK("*1\r\n$4\rXPING\r\nECHO\r\n", "[PING];[ECHO];", RESP_DONE);
	CHECK("*1\r\n$4\r\nPINGxxPING\r\n", "[PING];[PING];", RESP_DONE);
	CHECK("*1\r\0$1\r\nA\r\n", "[A];", RESP_DONE);
	CHECK("*1\r\n$4\r\nPING\r", "", RESP_NEED_MORE);
	CHECK("*1\r", "", RESP_NEED_MORE);
}

static void
binary_bulks(void **state)
{
	(void)state;
	CHECK("*3\r\n$3\r\nSET\r\n$4\r\n\0\r\n\0\r\n$6\r\n\r\n\r\n\r\n\r\n",
	      "[SET][\0\r\n\0][\r\n\r\n\r\n];", RESP_DONE);
	CHECK("*2\r\n$0\r\n\r\n$0\r\n\r\n", "[][];", RESP_DONE);
	/* A hex escape of an inline request may decode to NUL too. */
	CHECK("ECHO \"a\\x00b\"\r\n", "[ECHO][a\0b];", RESP_DONE);
}

static void
inline_quoting(void **state)
{
	(void)state;
	/* Expected values are what redis-server 7.0 echoes. */
	CHECK("ECHO \"\\x41\\x4g\\n\"\r\n", "[ECHO][Ax4g\n];", RESP_DONE);
	CHECK("ECHO 'a\\'b'\r\n", "[ECHO][a'b];", RESP_DONE);
	CHECK("ECHO a\"b c\"\r\n", "[ECHO][ab c];", RESP_DONE);
	CHECK("ECHO \"\" ''\r\n", "[ECHO][][];", RESP_DONE);
	CHECK("ECHO 'a\\\\b'\r\n", "[ECHO][a\\\\b];", RESP_DONE);
	CHECK("ECHO \"\\q\" \"\\\\\" \"\\\"\"\r\n", "[ECHO][q][\\][\"];",
	      RESP_DONE);
	CHECK("ECHO \"a\\tb\\r\\b\\a\"\r\n", "[ECHO][a\tb\r\b\a];",
	      RESP_DONE);
	CHECK("ECHO a\x0b" "b\r\n", "[ECHO][a\x0b" "b];", RESP_DONE);
	CHECK("\x0b\x0c" "ECHO\tx\r\n", "[ECHO][x];", RESP_DONE);
	CHECK("ECHO x\r\r\n", "[ECHO][x];", RESP_DONE);
	CHECK("ECHO \"x\"\r\r\nECHO \"y\"\x0b\n", "[ECHO][x];[ECHO][y];",
	      RESP_DONE);
	CHECK("ECHO '\\x41'\r\n", "[ECHO][\\x41];", RESP_DONE);
	CHECK("ECHO \"\\x4\" \"\\xZZ\"\r\n", "[ECHO][x4][xZZ];", RESP_DONE);
	CHECK("ECHO \"\\x7e\\x7E\"\n", "[ECHO][~~];", RESP_DONE);
	CHECK("a  b\t\tc\n", "[a][b][c];", RESP_DONE);
}

/* A NUL hides a line end from the search, as strchr does in Redis. */
static void
nul_hides_line_end(void **state)
{
	(void)state;
	CHECK("P\0ING\r\n", "", RESP_NEED_MORE);
	CHECK("\0PING\r\n", "", RESP_NEED_MORE);
	CHECK("*1\0\r\n", "", RESP_NEED_MORE);
	CHECK("*1\r\n$4\0\r\nPING\r\n", "", RESP_NEED_MORE);
}

static void
err_too_big_inline(void **state)
{
	(void)state;
	char *in = malloc(RESP_MAX_INLINE + 10);
	assert_non_null(in);
	memset(in, 'P', RESP_MAX_INLINE + 10);
	/* 64 KiB without '\n' still wait; one more byte is an error. */
	for (size_t i = 0; i < N_FRAGS; i++) {
		enum resp_status st;
		char *got = run(in, RESP_MAX_INLINE, 0, frag_sizes[i], &st,
				NULL);
		assert_string_equal(got, "");
		assert_int_equal(st, RESP_NEED_MORE);
		free(got);
		got = run(in, RESP_MAX_INLINE + 1, 0, frag_sizes[i], &st,
			  NULL);
		assert_string_equal(got,
			"!Protocol error: too big inline request");
		assert_int_equal(st, RESP_ERROR);
		free(got);
	}
	/* Behind a NUL, a '\n' does not count. */
	memcpy(in, "P\0ING\r\n", 7);
	char *got = run(in, RESP_MAX_INLINE + 1, 0, 1, NULL, NULL);
	assert_string_equal(got, "!Protocol error: too big inline request");
	free(got);
	/* A complete line is taken whatever its length, as in Redis. */
	memset(in, 'P', 7);
	in[RESP_MAX_INLINE + 9] = '\n';
	got = run(in, RESP_MAX_INLINE + 10, 0, 0, NULL, NULL);
	assert_int_equal(strlen(got), RESP_MAX_INLINE + 9 + 3);
	free(got);
	free(in);
}

static void
err_unbalanced_quotes(void **state)
{
	(void)state;
#define ERR "Protocol error: unbalanced quotes in request"
	CHECK_ERROR("PING\r\n\"abc\r\n", "[PING];", ERR);
	CHECK_ERROR("'abc\r\n", "", ERR);
	CHECK_ERROR("\"a\"b\r\n", "", ERR);
	CHECK_ERROR("ECHO a\"b c\"d\r\n", "", ERR);
	CHECK_ERROR("ECHO \"a\"'b'\r\n", "", ERR);
	CHECK_ERROR("ECHO \"a\\\r\n", "", ERR);
	CHECK_ERROR("ECHO 'a\\'\n", "", ERR);
#undef ERR
}

/* big_line -- head, then fill up to n bytes; to be freed. */
static char *
big_line(const char *head, size_t n, char fill)
{
	char *s = malloc(n);
	assert_non_null(s);
	memset(s, fill, n);
	memcpy(s, head, strlen(head));
	return s;
}

/* check_big -- head + fill waits at 64 KiB after the line, fails past. */
static void
check_big(const char *head, size_t line_at, char fill, const char *err)
{
	size_t n = line_at + RESP_MAX_INLINE + 1;
	char *in = big_line(head, n, fill);
	for (size_t i = 0; i < N_FRAGS; i++) {
		enum resp_status st;
		char *got = run(in, n - 1, 0, frag_sizes[i], &st, NULL);
		assert_string_equal(got, "");
		assert_int_equal(st, RESP_NEED_MORE);
		free(got);
		got = run(in, n, 0, frag_sizes[i], &st, NULL);
		assert_int_equal(st, RESP_ERROR);
		assert_string_equal(got + 1, err);
		free(got);
	}
	free(in);
}

static void
err_too_big_mbulk_count(void **state)
{
	(void)state;
	check_big("*", 0, '1', "Protocol error: too big mbulk count string");
	/* A '\r' far away is found: then the number is invalid. */
	char *in = big_line("*", RESP_MAX_INLINE + 10, '1');
	memcpy(in + RESP_MAX_INLINE + 8, "\r\n", 2);
	char *got = run(in, RESP_MAX_INLINE + 10, 0, 0, NULL, NULL);
	assert_string_equal(got, "!Protocol error: invalid multibulk length");
	free(got);
	free(in);
}

static void
err_invalid_multibulk_length(void **state)
{
	(void)state;
#define ERR "Protocol error: invalid multibulk length"
	CHECK_ERROR("*2147483648\r\n", "", ERR);
	CHECK_ERROR("PING\r\n*+1\r\n", "[PING];", ERR);
	CHECK_ERROR("*01\r\n", "", ERR);
	CHECK_ERROR("*-0\r\n", "", ERR);
	CHECK_ERROR("*\r\n", "", ERR);
	CHECK_ERROR("* 1\r\n", "", ERR);
	CHECK_ERROR("*1 \r\n", "", ERR);
	CHECK_ERROR("*-\r\n", "", ERR);
	CHECK_ERROR("*-9223372036854775809\r\n", "", ERR);
	CHECK_ERROR("*00000000000000000001\r\n", "", ERR);
	CHECK_ERROR("*99999999999999999999\r\n", "", ERR);
#undef ERR
}

static void
err_too_big_bulk_count(void **state)
{
	(void)state;
#define ERR "Protocol error: too big bulk count string"
	check_big("*1\r\n$", 4, '9', ERR);
	check_big("*1\r\nX", 4, 'a', ERR);
	check_big("*2\r\n$1\r\na\r\n$", 11, '$', ERR);
#undef ERR
}

static void
err_expected_dollar(void **state)
{
	(void)state;
	struct feed f;

	feed_init(&f);
	feed_bytes(&f, "*1\r\nX\r\n", 7);
	assert_int_equal(f.last, RESP_ERROR);
	/* The text lives in the parser, not in a static buffer. */
	assert_ptr_equal(f.p.err, f.p.errbuf);
	assert_string_equal(f.p.err, "Protocol error: expected '$', got 'X'");
	feed_fini(&f);
	CHECK_ERROR("*1\r\nX\r\n", "", "Protocol error: expected '$', got 'X'");
	CHECK_ERROR("*1\r\n$4\r\nPING\r\n*1\r\nY\r\n", "[PING];",
		    "Protocol error: expected '$', got 'Y'");
	CHECK_ERROR("*2\r\n$1\r\na\r\n:1\r\n", "",
		    "Protocol error: expected '$', got ':'");
	/* Redis turns a line break in an error text into a space. */
	CHECK_ERROR("*1\r\n\r\n", "", "Protocol error: expected '$', got ' '");
	CHECK_ERROR("*1\r\n\n\r\n", "",
		    "Protocol error: expected '$', got ' '");
	CHECK_ERROR("*1\r\n\x80\r\n", "",
		    "Protocol error: expected '$', got '\x80'");
	/* Nothing is said before the line is complete. */
	CHECK("*1\r\nX", "", RESP_NEED_MORE);
	CHECK("*1\r\nX\r", "", RESP_NEED_MORE);
}

static void
err_invalid_bulk_length(void **state)
{
	(void)state;
#define ERR "Protocol error: invalid bulk length"
	CHECK_ERROR("*1\r\n$-1\r\n", "", ERR);
	CHECK_ERROR("*1\r\n$536870913\r\n", "", ERR);
	CHECK_ERROR("*1\r\n$00\r\n", "", ERR);
	CHECK_ERROR("*1\r\n$-0\r\n", "", ERR);
	CHECK_ERROR("*1\r\n$ 1\r\n", "", ERR);
	CHECK_ERROR("*1\r\n$+1\r\n", "", ERR);
	CHECK_ERROR("*1\r\n$\r\n", "", ERR);
	CHECK_ERROR("*1\r\n$999999999999999999999999999999\r\n", "", ERR);
	CHECK_ERROR("*2\r\n$1\r\na\r\n$x\r\n", "", ERR);
#undef ERR
}

/* Counts at the caps: accepted, and nothing allocated from them. */
static void
huge_counts(void **state)
{
	(void)state;
	struct feed f;

	feed_init(&f);
	feed_bytes(&f, "*2147483647\r\n$1\r\na\r\n", 20);
	assert_int_equal(f.last, RESP_NEED_MORE);
	assert_int_equal(f.p.argc, 1);
	assert_true(f.p.cap <= 16);
	assert_int_equal(f.p.multibulk, 2147483646);
	feed_fini(&f);

	feed_init(&f);
	feed_bytes(&f, "*1\r\n$536870912\r\nab", 18);
	assert_int_equal(f.last, RESP_NEED_MORE);
	assert_int_equal(f.p.argc, 0);
	assert_int_equal(f.p.bulk, 536870912);
	feed_fini(&f);
}

/* argv grows past its first capacity, to exactly the count announced. */
static void
argv_growth(void **state)
{
	(void)state;
	struct feed f;
	char item[32];

	feed_init(&f);
	feed_bytes(&f, "*1000\r\n", 7);
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(item, sizeof(item), "$%d\r\n%d\r\n",
				 i < 10 ? 1 : i < 100 ? 2 : 3, i);
		feed_bytes(&f, item, (size_t)n);
	}
	assert_int_equal(f.last, RESP_DONE);
	assert_int_equal(f.out_len, 3 * 10 + 4 * 90 + 5 * 900 + 1);
	assert_memory_equal(f.out, "[0][1][2]", 9);
	assert_memory_equal(f.out + f.out_len - 6, "[999];", 6);
	assert_int_equal(f.p.cap, 1000);
	/* The next request reuses argv. */
	struct resp_slice *argv = f.p.argv;
	feed_bytes(&f, "*2\r\n$1\r\na\r\n$1\r\nb\r\n", 18);
	assert_ptr_equal(f.p.argv, argv);
	feed_fini(&f);

	/* Inline: 300 arguments. */
	char line[1024];
	for (int i = 0; i < 300; i++)
		memcpy(line + 3 * i, "ab ", 3);
	line[900] = '\n';
	feed_init(&f);
	feed_bytes(&f, line, 901);
	assert_int_equal(f.last, RESP_DONE);
	assert_int_equal(f.out_len, 300 * 4 + 1);
	assert_true(f.p.cap >= 300);
	feed_fini(&f);
}

/* The search for a line end resumes where the last one stopped. */
static void
scan_resumes(void **state)
{
	static char line[] = "*1\r\n$3\r\nabc\r\nECHO abc\r\nP\0ING\r\n";
	/* Where each request starts, and what p.scan must be after a
	 * call given len bytes of it (incomplete lines only). */
	static const struct {
		size_t start, len, scan;
	} steps[] = {
		{ 0, 1, 1 }, { 0, 2, 2 }, { 0, 3, 2 }, { 0, 5, 5 },
		{ 0, 6, 6 }, { 0, 7, 6 }, { 13, 1, 1 }, { 13, 4, 4 },
		{ 13, 9, 9 }, { 23, 1, 1 }, { 23, 3, 1 }, { 23, 7, 1 },
	};
	struct resp_parser p;
	size_t used, start = 0;
	(void)state;

	resp_parser_init(&p);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i].start != start) {
			assert_int_equal(resp_parse(&p, line + start,
				steps[i].start - start, &used), RESP_DONE);
			assert_int_equal(used, steps[i].start - start);
			resp_parser_reset(&p);
			start = steps[i].start;
		}
		assert_int_equal(resp_parse(&p, line + start, steps[i].len,
					    &used), RESP_NEED_MORE);
		assert_int_equal(p.scan, steps[i].scan);
	}
	resp_parser_fini(&p);
}

/* elapsed -- seconds since t0. */
static double
elapsed(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A 1 MiB bulk, then a 64 KiB hidden line, fed one byte per call. */
static void
byte_at_a_time_linear(void **state)
{
	(void)state;
	const size_t big = 1 << 20;
	const char head[] = "*2\r\n$4\r\nECHO\r\n$1048576\r\n";
	size_t n = sizeof(head) - 1 + big + 2;
	char *buf = malloc(n);
	assert_non_null(buf);
	memcpy(buf, head, sizeof(head) - 1);
	memset(buf + sizeof(head) - 1, '\r', big);
	memcpy(buf + n - 2, "\r\n", 2);

	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct resp_parser p;
	size_t used = 0;
	resp_parser_init(&p);
	for (size_t len = 1; len < n; len++)
		assert_int_equal(resp_parse(&p, buf, len, &used),
				 RESP_NEED_MORE);
	assert_int_equal(resp_parse(&p, buf, n, &used), RESP_DONE);
	assert_int_equal(used, n);
	assert_int_equal(p.argc, 2);
	assert_int_equal(p.argv[1].off, sizeof(head) - 1);
	assert_int_equal(p.argv[1].len, big);

	/* A NUL that hides the line end must not be rescanned either. */
	resp_parser_reset(&p);
	memset(buf, 'a', RESP_MAX_INLINE + 1);
	buf[1] = '\0';
	buf[2] = '\n';
	for (size_t len = 1; len <= RESP_MAX_INLINE; len++)
		assert_int_equal(resp_parse(&p, buf, len, &used),
				 RESP_NEED_MORE);
	assert_int_equal(resp_parse(&p, buf, RESP_MAX_INLINE + 1, &used),
			 RESP_ERROR);
	resp_parser_fini(&p);
	free(buf);
	/* Linear: ~1M calls of O(1) work; quadratic would take minutes. */
	assert_true(elapsed(&t0) < 5.0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(pipeline_all_splits),
	cmocka_unit_test(pipeline_one_buffer),
	cmocka_unit_test(empty_requests),
	cmocka_unit_test(unchecked_line_ends),
	cmocka_unit_test(binary_bulks),
	cmocka_unit_test(inline_quoting),
	cmocka_unit_test(nul_hides_line_end),
	cmocka_unit_test(err_too_big_inline),
	cmocka_unit_test(err_unbalanced_quotes),
	cmocka_unit_test(err_too_big_mbulk_count),
	cmocka_unit_test(err_invalid_multibulk_length),
	cmocka_unit_test(err_too_big_bulk_count),
	cmocka_unit_test(err_expected_dollar),
	cmocka_unit_test(err_invalid_bulk_length),
	cmocka_unit_test(huge_counts),
	cmocka_unit_test(argv_growth),
	cmocka_unit_test(scan_resumes),
	cmocka_unit_test(byte_at_a_time_linear),
};

RP_TEST_MAIN(tests, 0)
