/*
 * bench_reply.c -- validation of one RESP2 reply, and the reply stream
 * of a connection (bench_reply.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench_reply.h"

/*
 * line_end -- position of the "\r\n" ending the line that starts at
 * buf[pos], or len when it is not in the buffer, or len + 1 when a lone
 * '\r' or '\n' makes the line malformed.
 */
static size_t
line_end(const char *buf, size_t len, size_t pos)
{
	for (size_t i = pos; i < len; i++) {
		if (buf[i] == '\n')
			return len + 1;
		if (buf[i] == '\r') {
			if (i + 1 == len)
				return len;
			return buf[i + 1] == '\n' ? i : len + 1;
		}
	}
	return len;
}

/*
 * parse_int -- the signed decimal of buf[from..to), no sign but '-',
 * at most 18 digits; false otherwise.
 */
static bool
parse_int(const char *buf, size_t from, size_t to, int64_t *out)
{
	bool neg = false;
	int64_t v = 0;

	if (from < to && buf[from] == '-') {
		neg = true;
		from++;
	}
	if (from == to || to - from > 18)
		return false;
	for (size_t i = from; i < to; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return false;
		v = v * 10 + (buf[i] - '0');
	}
	*out = neg ? -v : v;
	return true;
}

/* check_at -- one reply at buf[*pos]; advances *pos past it. */
static enum bench_reply_status
check_at(const char *buf, size_t len, size_t *pos, unsigned depth)
{
	if (*pos >= len)
		return BENCH_REPLY_PARTIAL;
	char type = buf[*pos];
	size_t eol = line_end(buf, len, *pos + 1);
	if (eol > len)
		return BENCH_REPLY_BAD;
	if (eol == len)
		return BENCH_REPLY_PARTIAL;
	size_t body = *pos + 1;
	int64_t n;

	switch (type) {
	case '+':
	case '-':
		*pos = eol + 2;
		return type == '-' ? BENCH_REPLY_ERROR : BENCH_REPLY_OK;
	case ':':
		if (!parse_int(buf, body, eol, &n))
			return BENCH_REPLY_BAD;
		*pos = eol + 2;
		return BENCH_REPLY_OK;
	case '$':
		if (!parse_int(buf, body, eol, &n) || n < -1)
			return BENCH_REPLY_BAD;
		*pos = eol + 2;
		if (n == -1)
			return BENCH_REPLY_OK;
		if ((uint64_t)n + 2 > len - *pos)
			return BENCH_REPLY_PARTIAL;
		if (buf[*pos + (size_t)n] != '\r' ||
		    buf[*pos + (size_t)n + 1] != '\n')
			return BENCH_REPLY_BAD;
		*pos += (size_t)n + 2;
		return BENCH_REPLY_OK;
	case '*':
		if (!parse_int(buf, body, eol, &n) || n < -1)
			return BENCH_REPLY_BAD;
		*pos = eol + 2;
		if (n > 0 && depth + 1 >= BENCH_REPLY_MAX_DEPTH)
			return BENCH_REPLY_BAD;
		for (int64_t i = 0; i < n; i++) {
			/* each element takes at least 3 bytes */
			if ((uint64_t)(n - i) * 3 > len - *pos)
				return BENCH_REPLY_PARTIAL;
			enum bench_reply_status st =
				check_at(buf, len, pos, depth + 1);
			if (st == BENCH_REPLY_PARTIAL || st == BENCH_REPLY_BAD)
				return st;
		}
		return BENCH_REPLY_OK;
	default:
		return BENCH_REPLY_BAD;
	}
}

enum bench_reply_status
bench_reply_check(const char *buf, size_t len, size_t *used,
		  struct bench_reply_top *top)
{
	size_t pos = 0;
	enum bench_reply_status st = check_at(buf, len, &pos, 0);

	if (st != BENCH_REPLY_OK && st != BENCH_REPLY_ERROR)
		return st;
	*used = pos;
	if (top != NULL) {
		/* valid, so the first line ends in the buffer */
		const char *eol = memchr(buf, '\r', pos);
		top->type = buf[0];
		top->nil = (buf[0] == '$' || buf[0] == '*') && buf[1] == '-';
		top->off = top->len = 0;
		if (buf[0] == '$' && !top->nil) {
			top->off = (size_t)(eol - buf) + 2;
			top->len = pos - top->off - 2;
		}
	}
	return st;
}

void
bench_reply_stream_init(struct bench_reply_stream *s, size_t max)
{
	memset(s, 0, sizeof(*s));
	s->max = max;
}

void
bench_reply_stream_fini(struct bench_reply_stream *s)
{
	free(s->buf);
	s->buf = NULL;
	s->head = s->len = s->cap = 0;
}

int
bench_reply_stream_append(struct bench_reply_stream *s, const void *data,
			  size_t len)
{
	size_t held = s->len - s->head;

	if (len > s->max || held > s->max - len)
		return -ENOSPC;
	if (s->head > 0) {
		/* the taken replies go: what is left moves to the front */
		memmove(s->buf, s->buf + s->head, held);
		s->len = held;
		s->head = 0;
	}
	if (held + len > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < held + len)
			cap *= 2;
		if (cap > s->max)
			cap = s->max;
		char *b = realloc(s->buf, cap);
		if (b == NULL)
			return -ENOMEM;
		s->buf = b;
		s->cap = cap;
	}
	if (len > 0)
		memcpy(s->buf + s->len, data, len);
	s->len += len;
	return 0;
}

enum bench_reply_status
bench_reply_stream_next(struct bench_reply_stream *s, const char **reply,
			size_t *rlen, struct bench_reply_top *top)
{
	size_t used;

	if (s->head == s->len)
		return BENCH_REPLY_PARTIAL;
	const char *p = s->buf + s->head;
	enum bench_reply_status st = bench_reply_check(p, s->len - s->head,
						       &used, top);
	if (st == BENCH_REPLY_OK || st == BENCH_REPLY_ERROR) {
		*reply = p;
		*rlen = used;
		s->head += used;
	}
	return st;
}
