/*
 * resp.c -- resumable RESP2 request parser.
 *
 * It accepts and rejects exactly what Redis 7.0's processMultibulkBuffer
 * and processInlineBuffer do, with the same error texts:
 *   - a count line is found by searching '\r' the way strchr would (a NUL
 *     before it hides it), needs one more byte after the '\r' which is
 *     skipped unchecked, and its number follows string2ll's strict rules;
 *   - the two bytes after a bulk are skipped unchecked;
 *   - "*N" with N <= 0 is an empty request, N > INT_MAX an error;
 *   - an inline request ends at '\n' and is split like sdssplitargs.
 * A missing line end is an error only once the bytes waiting exceed
 * 64 KiB, as in Redis, which checks the buffer it has, not the line.
 *
 * The parser never rescans: p->pos is where the current line or bulk
 * starts, p->scan where the search for its end resumes. Arguments are
 * offsets, so the caller may move the buffer between calls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "resp.h"

enum {
	ST_START = 0,   /* nothing of the request seen yet */
	ST_INLINE,      /* a line ended by '\n' */
	ST_MB_COUNT,    /* "*<count>\r\n" */
	ST_BULK_LEN,    /* "$<len>\r\n" */
	ST_BULK_DATA,   /* <len> bytes, then two bytes skipped */
};

#define RESP_ARGV_INIT 16

#define ERR_INLINE_BIG "Protocol error: too big inline request"
#define ERR_QUOTES     "Protocol error: unbalanced quotes in request"
#define ERR_MBULK_BIG  "Protocol error: too big mbulk count string"
#define ERR_MBULK_LEN  "Protocol error: invalid multibulk length"
#define ERR_BULK_BIG   "Protocol error: too big bulk count string"
#define ERR_BULK_LEN   "Protocol error: invalid bulk length"
/*
 * Not Redis texts: Redis dies on OOM, and closes a client whose query
 * buffer passes 1 GiB before a request could outgrow 32-bit offsets.
 */
#define ERR_NOMEM      "Protocol error: out of memory for the arguments"
#define ERR_REQ_BIG    "Protocol error: too big request"

/* resp_parser_init -- empty parser ready for the first request. */
void
resp_parser_init(struct resp_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->bulk = -1;
}

/* resp_parser_fini -- free the argument array. */
void
resp_parser_fini(struct resp_parser *p)
{
	free(p->argv);
	p->argv = NULL;
	p->cap = 0;
	p->argc = 0;
}

/* resp_parser_reset -- forget the request just completed; keep argv. */
void
resp_parser_reset(struct resp_parser *p)
{
	p->state = ST_START;
	p->multibulk = 0;
	p->bulk = -1;
	p->pos = 0;
	p->scan = 0;
	p->argc = 0;
	p->err = NULL;
}

/* is_space -- isspace() of the C locale. */
static inline int
is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* hex_val -- value of hex digit ch, -1 if it is not one. */
static int
hex_val(char ch)
{
	unsigned char c = (unsigned char)ch;

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * find_eol -- index of the first ch at or after p->scan in buf[0..len),
 * or -1 if there is none yet. Like strchr, a NUL byte ends the search:
 * p->scan then stays on it, so later calls give up at once.
 */
static long
find_eol(struct resp_parser *p, const char *buf, size_t len, char ch)
{
	size_t from = p->scan;

	if (from >= len || buf[from] == '\0')
		return -1;
	const char *e = memchr(buf + from, ch, len - from);
	size_t end = e != NULL ? (size_t)(e - buf) : len;
	const char *z = memchr(buf + from, '\0', end - from);
	if (z != NULL) {
		p->scan = (size_t)(z - buf);
		return -1;
	}
	p->scan = end;
	return e != NULL ? (long)end : -1;
}

/* fail -- record error text err; the whole buffer counts as consumed. */
static enum resp_status
fail(struct resp_parser *p, const char *err, size_t len, size_t *consumed)
{
	p->err = err;
	*consumed = len;
	return RESP_ERROR;
}

/*
 * add_arg -- append buf[off..off+n) to argv, doubling it when full but,
 * for a multibulk request, never beyond the arguments still announced.
 * Returns 0 or -ENOMEM.
 */
static int
add_arg(struct resp_parser *p, size_t off, size_t n)
{
	if (p->argc == p->cap) {
		uint64_t cap = p->cap ? (uint64_t)p->cap * 2 : RESP_ARGV_INIT;
		if (p->multibulk > 0 &&
		    cap > (uint64_t)p->argc + (uint64_t)p->multibulk)
			cap = (uint64_t)p->argc + (uint64_t)p->multibulk;
		struct resp_slice *a = realloc(p->argv, cap * sizeof(*a));
		if (a == NULL)
			return -ENOMEM;
		p->argv = a;
		p->cap = (uint32_t)cap;
	}
	p->argv[p->argc].off = (uint32_t)off;
	p->argv[p->argc].len = (uint32_t)n;
	p->argc++;
	return 0;
}

/*
 * split_inline -- split line s[0..n) (no NUL in it) into arguments like
 * sdssplitargs, unquoting in place: "..." with \n \r \t \b \a \xHH and
 * \<any> escapes, '...' with \' only; a quote may open mid-argument, a
 * closing one must be followed by a space or the end. Returns NULL or
 * an error text.
 */
static const char *
split_inline(struct resp_parser *p, char *s, size_t n)
{
	size_t i = 0;

	for (;;) {
		while (i < n && is_space((unsigned char)s[i]))
			i++;
		if (i == n)
			return NULL;
		size_t start = i, o = i;
		char quote = 0;
		while (i < n) {
			char c = s[i];
			if (quote == 0) {
				if (c == ' ' || c == '\n' || c == '\r' ||
				    c == '\t')
					break;
				if (c == '"' || c == '\'')
					quote = c;
				else
					s[o++] = c;
				i++;
				continue;
			}
			if (c == quote) {
				if (i + 1 < n &&
				    !is_space((unsigned char)s[i + 1]))
					return ERR_QUOTES;
				quote = 0;
				i++;
				break;
			}
			if (c != '\\' || i + 1 == n) {
				s[o++] = c;
				i++;
			} else if (quote == '\'') {
				if (s[i + 1] == '\'')
					i++;
				s[o++] = s[i++];
			} else if (s[i + 1] == 'x' && i + 3 < n &&
				   hex_val(s[i + 2]) >= 0 &&
				   hex_val(s[i + 3]) >= 0) {
				s[o++] = (char)(hex_val(s[i + 2]) * 16 +
						hex_val(s[i + 3]));
				i += 4;
			} else {
				switch (s[i + 1]) {
				case 'n': s[o++] = '\n'; break;
				case 'r': s[o++] = '\r'; break;
				case 't': s[o++] = '\t'; break;
				case 'b': s[o++] = '\b'; break;
				case 'a': s[o++] = '\a'; break;
				default: s[o++] = s[i + 1]; break;
				}
				i += 2;
			}
		}
		if (quote != 0)
			return ERR_QUOTES;
		if (add_arg(p, start, o - start) != 0)
			return ERR_NOMEM;
	}
}

/* parse_inline -- an inline request: one line up to '\n'. */
static enum resp_status
parse_inline(struct resp_parser *p, char *buf, size_t len, size_t *consumed)
{
	long nl = find_eol(p, buf, len, '\n');

	if (nl < 0) {
		if (len > RESP_MAX_INLINE)
			return fail(p, ERR_INLINE_BIG, len, consumed);
		return RESP_NEED_MORE;
	}
	if ((uint64_t)nl >= UINT32_MAX)
		return fail(p, ERR_INLINE_BIG, len, consumed);
	/*
	 * Redis drops a '\r' before the '\n' first; splitting gives the
	 * same either way: it is a blank, and inside quotes the line is
	 * unbalanced with or without it.
	 */
	const char *err = split_inline(p, buf, (size_t)nl);
	if (err != NULL)
		return fail(p, err, len, consumed);
	*consumed = (size_t)nl + 1;
	return p->argc == 0 ? RESP_EMPTY : RESP_DONE;
}

/*
 * count_line -- find the end of the "*N" or "$N" line at p->pos.
 * Returns the index of its '\r' once the byte after it has arrived too,
 * -1 if more bytes are needed, -2 if more than 64 KiB wait without a
 * '\r' (Redis's "too big ... count string").
 */
static long
count_line(struct resp_parser *p, const char *buf, size_t len)
{
	long cr = find_eol(p, buf, len, '\r');

	if (cr < 0)
		return len - p->pos > RESP_MAX_INLINE ? -2 : -1;
	return (size_t)cr + 1 < len ? cr : -1;
}

/* expected_dollar -- the "expected '$'" error, quoting byte c. */
static enum resp_status
expected_dollar(struct resp_parser *p, char c, size_t len, size_t *consumed)
{
	/* Redis maps line breaks in an error text to spaces. */
	if (c == '\r' || c == '\n')
		c = ' ';
	snprintf(p->errbuf, sizeof(p->errbuf),
		 "Protocol error: expected '$', got '%c'", c);
	return fail(p, p->errbuf, len, consumed);
}

/* parse_multibulk -- continue a "*N\r\n" request of N bulks. */
static enum resp_status
parse_multibulk(struct resp_parser *p, char *buf, size_t len,
		size_t *consumed)
{
	long long v;
	long cr;

	if (p->state == ST_MB_COUNT) {
		cr = count_line(p, buf, len);
		if (cr == -1)
			return RESP_NEED_MORE;
		if (cr == -2)
			return fail(p, ERR_MBULK_BIG, len, consumed);
		if (!kv_str2ll(buf + 1, (size_t)cr - 1, &v) ||
		    v > RESP_MAX_MULTIBULK)
			return fail(p, ERR_MBULK_LEN, len, consumed);
		p->pos = p->scan = (size_t)cr + 2;
		if (v <= 0) {
			*consumed = p->pos;
			return RESP_EMPTY;
		}
		p->multibulk = v;
		p->state = ST_BULK_LEN;
	}
	while (p->multibulk > 0) {
		if (p->state == ST_BULK_LEN) {
			cr = count_line(p, buf, len);
			if (cr == -1)
				return RESP_NEED_MORE;
			if (cr == -2)
				return fail(p, ERR_BULK_BIG, len, consumed);
			if (buf[p->pos] != '$')
				return expected_dollar(p, buf[p->pos], len,
						       consumed);
			if (!kv_str2ll(buf + p->pos + 1,
				       (size_t)cr - p->pos - 1, &v) || v < 0 ||
			    (unsigned long long)v > RESP_MAX_BULK)
				return fail(p, ERR_BULK_LEN, len, consumed);
			if ((uint64_t)cr + 2 + (uint64_t)v > UINT32_MAX)
				return fail(p, ERR_REQ_BIG, len, consumed);
			p->pos = p->scan = (size_t)cr + 2;
			p->bulk = v;
			p->state = ST_BULK_DATA;
		}
		if (len - p->pos < (size_t)p->bulk + 2)
			return RESP_NEED_MORE;
		if (add_arg(p, p->pos, (size_t)p->bulk) != 0)
			return fail(p, ERR_NOMEM, len, consumed);
		p->pos = p->scan = p->pos + (size_t)p->bulk + 2;
		p->bulk = -1;
		p->multibulk--;
		p->state = ST_BULK_LEN;
	}
	*consumed = p->pos;
	return RESP_DONE;
}

/* resp_parse -- continue parsing the request that starts at buf[0]. */
enum resp_status
resp_parse(struct resp_parser *p, char *buf, size_t len, size_t *consumed)
{
	*consumed = 0;
	if (p->state == ST_START) {
		if (len == 0)
			return RESP_NEED_MORE;
		p->state = buf[0] == '*' ? ST_MB_COUNT : ST_INLINE;
	}
	if (p->state == ST_INLINE)
		return parse_inline(p, buf, len, consumed);
	return parse_multibulk(p, buf, len, consumed);
}
