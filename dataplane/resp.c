/*
 * resp.c -- resumable RESP2 request parser.
 *
 * It follows Redis 7.0's processMultibulkBuffer and processInlineBuffer
 * byte for byte in what it accepts and how it fails, so that a client sees
 * the same replies: count lines parsed with string2ll's strictness (the
 * store's kv_str2ll, the same rules its commands use), the two
 * bytes after a bulk skipped without being checked, line ends found the
 * way strchr would find them.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "resp.h"

enum {
	ST_START = 0,   /* nothing of the request validated yet */
	ST_MB_COUNT,    /* "*<count>\r\n" */
	ST_BULK_LEN,    /* "$<len>\r\n" */
	ST_BULK_DATA,   /* <len> bytes, then two bytes skipped */
	ST_INLINE,      /* a line ended by '\n' */
};

#define ERR_INLINE_BIG  "Protocol error: too big inline request"
#define ERR_QUOTES      "Protocol error: unbalanced quotes in request"
#define ERR_MBULK_BIG   "Protocol error: too big mbulk count string"
#define ERR_MBULK_LEN   "Protocol error: invalid multibulk length"
#define ERR_BULK_BIG    "Protocol error: too big bulk count string"
#define ERR_BULK_LEN    "Protocol error: invalid bulk length"

void
resp_parser_init(struct resp_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->bulk = -1;
}

void
resp_parser_fini(struct resp_parser *p)
{
	free(p->argv);
	p->argv = NULL;
	p->cap = 0;
}

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

/*
 * find_line_end -- first ch in buf[from..len) as strchr would see it: a
 * NUL before it ends the search. Returns its index or -1; *scanned gets
 * how far the search went so that it resumes there.
 */
static long
find_line_end(const char *buf, size_t from, size_t len, char ch,
	      size_t *scanned)
{
	for (size_t i = from; i < len; i++) {
		if (buf[i] == ch)
			return (long)i;
		if (buf[i] == '\0') {
			*scanned = i;   /* hides what follows, as for strchr */
			return -2;
		}
	}
	*scanned = len;
	return -1;
}

/* add_arg -- append an argument slice, growing argv. */
static bool
add_arg(struct resp_parser *p, size_t off, size_t len)
{
	if (p->argc == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 8;
		struct resp_slice *a = realloc(p->argv, cap * sizeof(*a));
		if (a == NULL)
			return false;
		p->argv = a;
		p->cap = cap;
	}
	p->argv[p->argc].off = (uint32_t)off;
	p->argv[p->argc].len = (uint32_t)len;
	p->argc++;
	return true;
}

/* fail -- set the error and return RESP_ERROR. */
static enum resp_status
fail(struct resp_parser *p, const char *err, size_t len, size_t *consumed)
{
	p->err = err;
	*consumed = len;
	return RESP_ERROR;
}

static int
hexval(int c)
{
	return c <= '9' ? c - '0' : tolower(c) - 'a' + 10;
}

/*
 * split_inline -- split buf[0..len) into arguments in place, as Redis's
 * sdssplitargs: double quotes with \n \r \t \b \a \xHH escapes, single
 * quotes with \' only, a closing quote followed by a space or the end.
 * Returns false on unbalanced quotes.
 */
static bool
split_inline(struct resp_parser *p, char *buf, size_t len)
{
	size_t i = 0;

	for (;;) {
		while (i < len && isspace((unsigned char)buf[i]))
			i++;
		if (i >= len)
			return true;
		size_t start = i, out = i;
		bool inq = false, insq = false;
		for (;;) {
			char c = i < len ? buf[i] : '\0';
			if (inq) {
				if (i >= len)
					return false;
				if (c == '\\' && i + 3 < len &&
				    buf[i + 1] == 'x' &&
				    isxdigit((unsigned char)buf[i + 2]) &&
				    isxdigit((unsigned char)buf[i + 3])) {
					buf[out++] = (char)(hexval(buf[i + 2]) *
							    16 +
							    hexval(buf[i + 3]));
					i += 4;
				} else if (c == '\\' && i + 1 < len) {
					char e = buf[i + 1];
					switch (e) {
					case 'n': e = '\n'; break;
					case 'r': e = '\r'; break;
					case 't': e = '\t'; break;
					case 'b': e = '\b'; break;
					case 'a': e = '\a'; break;
					}
					buf[out++] = e;
					i += 2;
				} else if (c == '"') {
					if (i + 1 < len &&
					    !isspace((unsigned char)buf[i + 1]))
						return false;
					i++;
					break;
				} else {
					buf[out++] = c;
					i++;
				}
			} else if (insq) {
				if (i >= len)
					return false;
				if (c == '\\' && i + 1 < len &&
				    buf[i + 1] == '\'') {
					buf[out++] = '\'';
					i += 2;
				} else if (c == '\'') {
					if (i + 1 < len &&
					    !isspace((unsigned char)buf[i + 1]))
						return false;
					i++;
					break;
				} else {
					buf[out++] = c;
					i++;
				}
			} else if (i >= len || c == ' ' || c == '\n' ||
				   c == '\r' || c == '\t' || c == '\0') {
				break;
			} else if (c == '"') {
				inq = true;
				i++;
			} else if (c == '\'') {
				insq = true;
				i++;
			} else {
				buf[out++] = c;
				i++;
			}
		}
		if (!add_arg(p, start, out - start))
			return false;
	}
}

/* parse_inline -- an inline request: one line up to '\n'. */
static enum resp_status
parse_inline(struct resp_parser *p, char *buf, size_t len, size_t *consumed)
{
	long nl = find_line_end(buf, p->scan, len, '\n', &p->scan);

	if (nl < 0) {
		if (len > RESP_MAX_INLINE)
			return fail(p, ERR_INLINE_BIG, len, consumed);
		return RESP_NEED_MORE;
	}
	size_t line = (size_t)nl;
	if (line > 0 && buf[line - 1] == '\r')
		line--;
	p->argc = 0;
	if (!split_inline(p, buf, line))
		return fail(p, ERR_QUOTES, len, consumed);
	*consumed = (size_t)nl + 1;
	return p->argc == 0 ? RESP_EMPTY : RESP_DONE;
}

/*
 * read_count -- the number on a "*N\r\n" or "$N\r\n" line starting at
 * p->pos. Returns 1 with *v set and p->pos past the line, 0 if the line
 * is incomplete, -1 if it is too long (no '\r' within the limit), -2 if
 * the number is invalid.
 */
static int
read_count(struct resp_parser *p, const char *buf, size_t len,
	   long long *v)
{
	size_t from = p->scan > p->pos ? p->scan : p->pos;
	long cr = find_line_end(buf, from, len, '\r', &p->scan);

	if (cr < 0) {
		if (len - p->pos > RESP_MAX_INLINE)
			return -1;
		return 0;
	}
	/* Redis wants the '\r' and one more byte, which it skips. */
	if ((size_t)cr + 1 >= len)
		return 0;
	if (!kv_str2ll(buf + p->pos + 1, (size_t)cr - p->pos - 1, v))
		return -2;
	p->pos = (size_t)cr + 2;
	p->scan = p->pos;
	return 1;
}

enum resp_status
resp_parse(struct resp_parser *p, char *buf, size_t len, size_t *consumed)
{
	long long v;
	int rc;

	*consumed = 0;
	if (p->state == ST_START) {
		if (len == 0)
			return RESP_NEED_MORE;
		p->state = buf[0] == '*' ? ST_MB_COUNT : ST_INLINE;
	}
	if (p->state == ST_INLINE)
		return parse_inline(p, buf, len, consumed);

	if (p->state == ST_MB_COUNT) {
		rc = read_count(p, buf, len, &v);
		if (rc == 0)
			return RESP_NEED_MORE;
		if (rc == -1)
			return fail(p, ERR_MBULK_BIG, len, consumed);
		if (rc == -2 || v > RESP_MAX_MULTIBULK)
			return fail(p, ERR_MBULK_LEN, len, consumed);
		if (v <= 0) {
			*consumed = p->pos;
			return RESP_EMPTY;
		}
		p->multibulk = v;
		p->argc = 0;
		p->state = ST_BULK_LEN;
	}
	while (p->multibulk > 0) {
		if (p->state == ST_BULK_LEN) {
			if (p->pos >= len)
				return RESP_NEED_MORE;
			if (buf[p->pos] != '$') {
				/* Only once the line is complete, like Redis. */
				size_t from = p->scan > p->pos ? p->scan : p->pos;
				long cr = find_line_end(buf, from, len, '\r',
							&p->scan);
				if (cr < 0) {
					if (len - p->pos > RESP_MAX_INLINE)
						return fail(p, ERR_BULK_BIG, len,
							    consumed);
					return RESP_NEED_MORE;
				}
				if ((size_t)cr + 1 >= len)
					return RESP_NEED_MORE;
				snprintf(p->errbuf, sizeof(p->errbuf),
					 "Protocol error: expected '$', got "
					 "'%c'", buf[p->pos]);
				return fail(p, p->errbuf, len, consumed);
			}
			rc = read_count(p, buf, len, &v);
			if (rc == 0)
				return RESP_NEED_MORE;
			if (rc == -1)
				return fail(p, ERR_BULK_BIG, len, consumed);
			if (rc == -2 || v < 0 ||
			    (unsigned long long)v > RESP_MAX_BULK)
				return fail(p, ERR_BULK_LEN, len, consumed);
			p->bulk = v;
			p->state = ST_BULK_DATA;
		}
		/* ST_BULK_DATA: the bytes and two more, not checked. */
		if (len - p->pos < (size_t)p->bulk + 2)
			return RESP_NEED_MORE;
		if (!add_arg(p, p->pos, (size_t)p->bulk))
			return fail(p, ERR_BULK_LEN, len, consumed);
		p->pos += (size_t)p->bulk + 2;
		p->scan = p->pos;
		p->bulk = -1;
		p->multibulk--;
		p->state = ST_BULK_LEN;
	}
	*consumed = p->pos;
	return RESP_DONE;
}
