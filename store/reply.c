/*
 * reply.c -- RESP2 encoding of replies through the client's write
 * function (the dataplane's TCP send queue).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kv_private.h"

void
kv_reply_raw(struct kv_client *c, const void *buf, size_t len)
{
	c->write(c->sink, buf, len);
}

void
kv_reply_ok(struct kv_client *c)
{
	kv_reply_raw(c, "+OK\r\n", 5);
}

void
kv_reply_simple(struct kv_client *c, const char *s)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "+%s\r\n", s);

	kv_reply_raw(c, buf, (size_t)n < sizeof(buf) ? (size_t)n :
		     sizeof(buf) - 1);
}

void
kv_reply_error(struct kv_client *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	buf[0] = '-';
	va_start(ap, fmt);
	n = vsnprintf(buf + 1, sizeof(buf) - 3, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(buf) - 4)
		n = (int)sizeof(buf) - 4;
	/* An error is one line: newlines would break the protocol. */
	for (int i = 1; i <= n; i++)
		if (buf[i] == '\r' || buf[i] == '\n')
			buf[i] = ' ';
	buf[n + 1] = '\r';
	buf[n + 2] = '\n';
	/* INFO errorstats counts errors by their first word. */
	size_t w = 0;
	while (w < (size_t)n && w < sizeof(c->err_prefix) - 1 &&
	       buf[1 + w] != ' ')
		w++;
	memcpy(c->err_prefix, buf + 1, w);
	c->err_prefix[w] = '\0';
	c->error_replies++;
	kv_reply_raw(c, buf, (size_t)n + 3);
}

/*
 * put_prefixed -- write "<prefix><v>\r\n" at buf (at least 24 bytes);
 * returns its length. The hot path of every reply: no printf.
 */
static size_t
put_prefixed(char *buf, char prefix, long long v)
{
	char tmp[20];
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
			       (unsigned long long)v;
	size_t n = 0, k = 0;

	buf[n++] = prefix;
	if (v < 0)
		buf[n++] = '-';
	do {
		tmp[k++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	while (k > 0)
		buf[n++] = tmp[--k];
	buf[n++] = '\r';
	buf[n++] = '\n';
	return n;
}

/* reply_prefixed -- ":123\r\n", "*3\r\n", "$5\r\n". */
static void
reply_prefixed(struct kv_client *c, char prefix, long long v)
{
	char buf[32];

	kv_reply_raw(c, buf, put_prefixed(buf, prefix, v));
}

void
kv_reply_int(struct kv_client *c, long long v)
{
	reply_prefixed(c, ':', v);
}

void
kv_reply_array(struct kv_client *c, long long n)
{
	reply_prefixed(c, '*', n);
}

void
kv_reply_bulk(struct kv_client *c, const void *p, size_t len)
{
	char buf[512];

	/* Small values leave in one write, large ones without a copy. */
	if (len <= sizeof(buf) - 32) {
		size_t n = put_prefixed(buf, '$', (long long)len);
		memcpy(buf + n, p, len);
		memcpy(buf + n + len, "\r\n", 2);
		kv_reply_raw(c, buf, n + len + 2);
		return;
	}
	reply_prefixed(c, '$', (long long)len);
	kv_reply_raw(c, p, len);
	kv_reply_raw(c, "\r\n", 2);
}

void
kv_reply_bulk_cstr(struct kv_client *c, const char *s)
{
	if (s == NULL)
		kv_reply_null(c);
	else
		kv_reply_bulk(c, s, strlen(s));
}

void
kv_reply_bulk_ll(struct kv_client *c, long long v)
{
	char buf[32];
	int n = kv_ll2str(buf, sizeof(buf), v);

	kv_reply_bulk(c, buf, (size_t)n);
}

void
kv_reply_bulk_double(struct kv_client *c, long double v)
{
	char buf[5120];
	int n = kv_ld2str(buf, sizeof(buf), v);

	kv_reply_bulk(c, buf, (size_t)n);
}

void
kv_reply_null(struct kv_client *c)
{
	kv_reply_raw(c, "$-1\r\n", 5);
}

void
kv_reply_null_array(struct kv_client *c)
{
	kv_reply_raw(c, "*-1\r\n", 5);
}
