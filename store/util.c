/*
 * util.c -- glob matching and number conversions with Redis's exact
 * rules, so that replies and errors match Redis's byte for byte.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "kv_private.h"
#include "reply.h"

/* kv_stringmatch -- glob match as Redis's stringmatchlen (* ? [] \). */
bool
kv_stringmatch(const char *p, size_t plen, const char *s, size_t slen,
	       bool nocase)
{
	while (plen > 0 && slen > 0) {
		switch (p[0]) {
		case '*':
			while (plen > 1 && p[1] == '*') {
				p++;
				plen--;
			}
			if (plen == 1)
				return true;
			while (slen > 0) {
				if (kv_stringmatch(p + 1, plen - 1, s, slen,
						   nocase))
					return true;
				s++;
				slen--;
			}
			return false;
		case '?':
			s++;
			slen--;
			break;
		case '[': {
			bool not, match = false;
			p++;
			plen--;
			not = plen > 0 && p[0] == '^';
			if (not) {
				p++;
				plen--;
			}
			for (;;) {
				if (plen >= 2 && p[0] == '\\') {
					p++;
					plen--;
					if (p[0] == s[0])
						match = true;
				} else if (plen == 0 || p[0] == ']') {
					break;
				} else if (plen >= 3 && p[1] == '-') {
					int start = (unsigned char)p[0];
					int end = (unsigned char)p[2];
					int c = (unsigned char)s[0];
					if (start > end) {
						int t = start;
						start = end;
						end = t;
					}
					if (nocase) {
						start = tolower(start);
						end = tolower(end);
						c = tolower(c);
					}
					p += 2;
					plen -= 2;
					if (c >= start && c <= end)
						match = true;
				} else if (nocase ? tolower((unsigned char)p[0]) ==
						    tolower((unsigned char)s[0])
						  : p[0] == s[0]) {
					match = true;
				}
				p++;
				plen--;
			}
			if (plen == 0) {
				/* "[" without "]": Redis takes the string as
				 * is from here; the pattern is done. */
				p--;
				plen++;
			}
			if (not)
				match = !match;
			if (!match)
				return false;
			s++;
			slen--;
			break;
		}
		case '\\':
			if (plen >= 2) {
				p++;
				plen--;
			}
			/* fall through */
		default:
			if (nocase ? tolower((unsigned char)p[0]) !=
				     tolower((unsigned char)s[0])
				   : p[0] != s[0])
				return false;
			s++;
			slen--;
			break;
		}
		p++;
		plen--;
		if (slen == 0) {
			while (plen > 0 && *p == '*') {
				p++;
				plen--;
			}
			break;
		}
	}
	return plen == 0 && slen == 0;
}

/* kv_str2ll -- Redis's string2ll: the whole string, canonical form. */
bool
kv_str2ll(const char *s, size_t len, long long *out)
{
	unsigned long long v = 0;
	size_t i = 0;
	bool neg = false;

	if (len == 0 || len > 20)
		return false;
	if (len == 1 && s[0] == '0') {
		*out = 0;
		return true;
	}
	if (s[0] == '-') {
		if (len == 1)
			return false;
		neg = true;
		i = 1;
	}
	if (s[i] < '1' || s[i] > '9')
		return false;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (ULLONG_MAX - (unsigned)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (neg) {
		if (v > (unsigned long long)LLONG_MAX + 1)
			return false;
		*out = (long long)(0 - v);
	} else {
		if (v > LLONG_MAX)
			return false;
		*out = (long long)v;
	}
	return true;
}

int
kv_ll2str(char *buf, size_t len, long long v)
{
	return snprintf(buf, len, "%lld", v);
}

/*
 * kv_str2ld -- Redis's string2ld: strtold over the whole string, no
 * leading space, not NaN.
 */
bool
kv_str2ld(const char *s, size_t len, long double *out)
{
	char buf[5120];
	char *end;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (isspace((unsigned char)buf[0]))
		return false;
	errno = 0;
	long double v = strtold(buf, &end);
	if ((size_t)(end - buf) != len || isnan(v) ||
	    (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL ||
				 fpclassify(v) == FP_ZERO)))
		return false;
	*out = v;
	return true;
}

/*
 * kv_ld2str -- Redis's ld2string in "humanfriendly" mode (INCRBYFLOAT):
 * %.17Lf, trailing zeros and a trailing dot removed.
 */
int
kv_ld2str(char *buf, size_t len, long double v)
{
	if (isinf(v))
		return snprintf(buf, len, v > 0 ? "inf" : "-inf");
	int n = snprintf(buf, len, "%.17Lf", v);
	if (n < 0 || (size_t)n >= len)
		return 0;
	if (strchr(buf, '.') != NULL) {
		char *p = buf + n - 1;
		while (*p == '0') {
			p--;
			n--;
		}
		if (*p == '.')
			n--;
	}
	if (n == 2 && buf[0] == '-' && buf[1] == '0') {
		buf[0] = '0';
		n = 1;
	}
	buf[n] = '\0';
	return n;
}

/* kv_arg_is -- case-insensitive comparison of an argument with a word. */
bool
kv_arg_is(const struct kv_arg *a, const char *word)
{
	size_t n = strlen(word);

	return a->len == n && strncasecmp(a->ptr, word, n) == 0;
}

bool
kv_scan_cursor_or_reply(struct kv_req *r, const struct kv_arg *a,
			unsigned long long *cursor)
{
	char buf[64], *end;

	if (a->len >= sizeof(buf) || memchr(a->ptr, '\0', a->len) != NULL)
		goto bad;
	memcpy(buf, a->ptr, a->len);
	buf[a->len] = '\0';
	if (isspace((unsigned char)buf[0]))
		goto bad;
	errno = 0;
	*cursor = strtoull(buf, &end, 10);
	if (*end != '\0' || errno == ERANGE)
		goto bad;
	return true;
bad:
	kv_reply_error(r->c, "ERR invalid cursor");
	return false;
}

bool
kv_scan_options_or_reply(struct kv_req *r, int first, long long *count,
			 const struct kv_arg **pat)
{
	*count = 10;
	*pat = NULL;
	for (int i = first; i < r->argc; i += 2) {
		bool more = i + 1 < r->argc;
		if (kv_arg_is(&r->argv[i], "count") && more) {
			if (!kv_str2ll(r->argv[i + 1].ptr, r->argv[i + 1].len,
				       count)) {
				kv_reply_error(r->c, KV_ERR_NOT_INT);
				return false;
			}
			if (*count < 1) {
				kv_reply_error(r->c, KV_ERR_SYNTAX);
				return false;
			}
		} else if (kv_arg_is(&r->argv[i], "match") && more) {
			*pat = &r->argv[i + 1];
			if ((*pat)->len == 1 && (*pat)->ptr[0] == '*')
				*pat = NULL;
		} else {
			kv_reply_error(r->c, KV_ERR_SYNTAX);
			return false;
		}
	}
	return true;
}

void
kv_reply_scan_empty(struct kv_client *c)
{
	kv_reply_array(c, 2);
	kv_reply_bulk(c, "0", 1);
	kv_reply_array(c, 0);
}

bool
kv_rand_count_or_reply(struct kv_req *r, const char *with,
		       long long max_repeat, long long *count, bool *withvals)
{
	long long l;

	if (!kv_str2ll(r->argv[2].ptr, r->argv[2].len, &l)) {
		kv_reply_error(r->c, KV_ERR_NOT_INT);
		return false;
	}
	if (l == LLONG_MIN) {
		kv_reply_error(r->c, "ERR value is out of range, value must "
			       "between %lld and %lld", -LLONG_MAX, LLONG_MAX);
		return false;
	}
	if (r->argc > 4 || (r->argc == 4 && !kv_arg_is(&r->argv[3], with))) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return false;
	}
	if ((r->argc == 4 && (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2)) ||
	    l < -max_repeat) {
		kv_reply_error(r->c, "ERR value is out of range");
		return false;
	}
	*count = l;
	*withvals = r->argc == 4;
	return true;
}

int
kv_mkdir_p(const char *path, unsigned mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char c = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
			return -errno;
		buf[i] = c;
	}
	return 0;
}
