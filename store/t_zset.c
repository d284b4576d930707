/*
 * t_zset.c -- sorted sets, in Redis's two encodings.
 *
 * A small sorted set (at most zset-max-listpack-entries members, none
 * longer than zset-max-listpack-value bytes) is a "listpack": its
 * elements in (score, member) order in one buffer, each as
 * [len][member][score as 8 bytes][len], the trailing length letting a
 * walk go backwards. Lookups and ranks scan the buffer. A larger set
 * becomes, for good, a kv_dict (member -> score, O(1) ZSCORE) plus a
 * zsl skiplist (zskiplist.c) whose nodes point to the dict's member bytes
 * (ranks and ranges in O(log n)).
 *
 * Redis keeps a listpack's scores as text, written by d2string, which
 * writes an integral score as an integer: a -0 that a command puts in a
 * listpack (ZADD, a *STORE result) becomes 0, a skiplist keeps it. Text
 * loaded as it was (a listpack payload of RESTORE or a file) keeps "-0",
 * which reads as -0 and survives a conversion to a skiplist. So here:
 * the writes of commands go through zlp_score, a load keeps the score.
 *
 * Every range command works on ranks: a score or lex range becomes the
 * ranks [lo, hi) of the elements in it (two O(log n) descents of the
 * skiplist), then elements are read from a rank forward or backward.
 *
 * Writes are logged as Redis propagates them: the command itself (ZADD
 * INCR and ZINCRBY too: the same float addition at replay gives the same
 * score), pops as ZPOPMIN/ZPOPMAX with the number popped; ZRANDMEMBER
 * logs nothing. Multi-key commands only read keys of this shard.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "dict.h"
#include "kv_private.h"
#include "zskiplist.h"

#define ZLP_OVERHEAD 10          /* two length bytes and a score */
#define ZLP_MAX_MEMBER 255       /* what one length byte holds */
/* As HRANDFIELD: a reply of repeats above this many is refused. */
#define ZSET_RAND_MAX_REPEAT (1LL << 27)

/* One element, pointing into the set. */
struct zel {
	const char *m;
	uint32_t len;
	double score;
};

/* zlp_read -- the element at offset off of a listpack; returns the next. */
static uint32_t
zlp_read(const char *buf, uint32_t off, struct zel *z)
{
	z->len = (unsigned char)buf[off];
	z->m = buf + off + 1;
	memcpy(&z->score, buf + off + 1 + z->len, sizeof(double));
	return off + z->len + ZLP_OVERHEAD;
}

/* zlp_prev -- the offset of the element before the one at off (> 0). */
static uint32_t
zlp_prev(const char *buf, uint32_t off)
{
	return off - (unsigned char)buf[off - 1] - ZLP_OVERHEAD;
}

/* zlp_find -- the offset of a member's element, or -1. */
static int64_t
zlp_find(const struct kv_entry *e, const char *m, size_t len, double *score)
{
	struct zel z;

	for (uint32_t off = 0, next; off < e->v.lp.len; off = next) {
		next = zlp_read(e->v.lp.buf, off, &z);
		if (z.len == len && memcmp(z.m, m, len) == 0) {
			*score = z.score;
			return off;
		}
	}
	return -1;
}

/* zlp_reserve -- room for len bytes in the buffer. */
static int
zlp_reserve(struct kv_shard *s, struct kv_entry *e, uint32_t len)
{
	if (len <= e->v.lp.cap)
		return 0;
	uint32_t cap = e->v.lp.cap ? e->v.lp.cap : 64;
	while (cap < len)
		cap *= 2;
	char *b = realloc(e->v.lp.buf, cap);
	if (b == NULL)
		return -1;
	s->used_memory += cap - e->v.lp.cap;
	e->v.lp.buf = b;
	e->v.lp.cap = cap;
	return 0;
}

/*
 * zlp_score -- a score as Redis's zzlInsertAt writes it into a listpack
 * (d2string: an integral value as an integer, so -0 becomes 0).
 */
static double
zlp_score(double score)
{
	return score == 0 ? 0 : score;
}

/*
 * zlp_insert -- add an absent member in order, its score as given (see
 * zlp_score); 0 or -1 (no memory).
 */
static int
zlp_insert(struct kv_shard *s, struct kv_entry *e, const char *m,
	   uint32_t len, double score)
{
	struct zel z;
	uint32_t off, next;

	if (zlp_reserve(s, e, e->v.lp.len + len + ZLP_OVERHEAD) != 0)
		return -1;
	for (off = 0; off < e->v.lp.len; off = next) {
		next = zlp_read(e->v.lp.buf, off, &z);
		if (zsl_cmp(z.score, z.m, z.len, score, m, len) > 0)
			break;
	}
	char *p = e->v.lp.buf + off;
	memmove(p + len + ZLP_OVERHEAD, p, e->v.lp.len - off);
	p[0] = (char)len;
	memcpy(p + 1, m, len);
	memcpy(p + 1 + len, &score, sizeof(double));
	p[1 + len + sizeof(double)] = (char)len;
	e->v.lp.len += len + ZLP_OVERHEAD;
	e->v.lp.n++;
	return 0;
}

/* zlp_delete_range -- remove the bytes [from, to) holding n elements. */
static void
zlp_delete_range(struct kv_entry *e, uint32_t from, uint32_t to, uint32_t n)
{
	memmove(e->v.lp.buf + from, e->v.lp.buf + to, e->v.lp.len - to);
	e->v.lp.len -= to - from;
	e->v.lp.n -= n;
}

/* zset_lp_value -- the longest member a listpack takes. */
static size_t
zset_lp_value(const struct kv_shard *s)
{
	return s->cfg->zset_lp_value < ZLP_MAX_MEMBER ? s->cfg->zset_lp_value
						      : ZLP_MAX_MEMBER;
}

/*
 * zset_convert -- turn a listpack set into a dict and a skiplist.
 * Returns 0 or -1 (out of memory; the set is unchanged).
 */
static int
zset_convert(struct kv_shard *s, struct kv_entry *e)
{
	struct kv_dict *d = kv_dict_create(kv_rand(s), false, &s->used_memory);
	struct zsl *zsl = zsl_create(kv_rand(s), &s->used_memory);
	struct zel z;
	bool created;

	if (d == NULL || zsl == NULL)
		goto fail;
	for (uint32_t off = 0; off < e->v.lp.len;) {
		off = zlp_read(e->v.lp.buf, off, &z);
		struct kv_dict_entry *x = kv_dict_add(d, z.m, z.len, &created);
		if (x == NULL)
			goto fail;
		x->v.score = z.score;
		if (zsl_insert(zsl, z.score, x->field, x->flen) == NULL)
			goto fail;
	}
	s->used_memory -= e->v.lp.cap;
	free(e->v.lp.buf);
	e->encoding = KV_ENC_SKIPLIST;
	e->v.z.d = d;
	e->v.z.zsl = zsl;
	return 0;
fail:
	zsl_free(zsl);
	kv_dict_free(d);
	return -1;
}

void
kv_zset_free(struct kv_shard *s, struct kv_entry *e)
{
	if (e->encoding == KV_ENC_LISTPACK) {
		s->used_memory -= e->v.lp.cap;
		free(e->v.lp.buf);
	} else if (e->encoding == KV_ENC_SKIPLIST) {
		zsl_free(e->v.z.zsl);
		kv_dict_free(e->v.z.d);
	}
	/* Any other encoding: the value was moved out (RENAME). */
}

/* zset_len -- number of members. */
static uint64_t
zset_len(const struct kv_entry *e)
{
	return e->encoding == KV_ENC_LISTPACK ? e->v.lp.n : e->v.z.zsl->length;
}

/* zset_score -- the score of a member; false if absent. */
static bool
zset_score(const struct kv_entry *e, const char *m, size_t len, double *score)
{
	if (e->encoding == KV_ENC_LISTPACK)
		return zlp_find(e, m, len, score) >= 0;
	struct kv_dict_entry *x = kv_dict_lookup(e->v.z.d, m, len);
	if (x == NULL)
		return false;
	*score = x->v.score;
	return true;
}

/*
 * zset_put -- add an absent member, converting a listpack that would
 * outgrow its limits first. A listpack takes the score as given if keep
 * (a load), else as a command writes it (zlp_score). Returns 0 or -1
 * (out of memory).
 */
static int
zset_put(struct kv_shard *s, struct kv_entry *e, const char *m,
	 size_t len, double score, bool keep)
{
	if (e->encoding == KV_ENC_LISTPACK &&
	    (e->v.lp.n + 1 > s->cfg->zset_lp_entries ||
	     len > zset_lp_value(s)) && zset_convert(s, e) != 0)
		return -1;
	if (e->encoding == KV_ENC_LISTPACK)
		return zlp_insert(s, e, m, (uint32_t)len,
				  keep ? score : zlp_score(score));
	bool created;
	struct kv_dict_entry *x = kv_dict_add(e->v.z.d, m, len, &created);
	if (x == NULL)
		return -1;
	x->v.score = score;
	if (zsl_insert(e->v.z.zsl, score, x->field, x->flen) == NULL) {
		kv_dict_del(e->v.z.d, m, len);
		return -1;
	}
	return 0;
}

/*
 * zset_insert -- add an absent member as Redis's zsetAdd does (zset_put:
 * a -0 into a listpack becomes 0). Returns 0 or -1 (out of memory).
 */
static int
zset_insert(struct kv_shard *s, struct kv_entry *e, const char *m,
	    size_t len, double score)
{
	return zset_put(s, e, m, len, score, false);
}

/*
 * zset_update -- change the score of a present member (a listpack's
 * rewritten as zsetAdd does: zlp_score); 0 or -1.
 */
static int
zset_update(struct kv_shard *s, struct kv_entry *e, const char *m,
	    size_t len, double cur, double score)
{
	if (e->encoding == KV_ENC_LISTPACK) {
		int64_t off = zlp_find(e, m, len, &cur);
		uint32_t to = (uint32_t)off + (uint32_t)len + ZLP_OVERHEAD;
		char tmp[ZLP_MAX_MEMBER];

		memcpy(tmp, m, len);   /* m may point into the buffer */
		zlp_delete_range(e, (uint32_t)off, to, 1);
		return zlp_insert(s, e, tmp, (uint32_t)len, zlp_score(score));
	}
	struct kv_dict_entry *x = kv_dict_lookup(e->v.z.d, m, len);
	if (zsl_update_score(e->v.z.zsl, cur, x->field, x->flen,
			     score) == NULL)
		return -1;
	x->v.score = score;
	return 0;
}

/* zset_delete -- remove a member; false if it was absent. */
static bool
zset_delete(struct kv_entry *e, const char *m, size_t len)
{
	double score;

	if (e->encoding == KV_ENC_LISTPACK) {
		int64_t off = zlp_find(e, m, len, &score);
		if (off < 0)
			return false;
		zlp_delete_range(e, (uint32_t)off,
				 (uint32_t)off + (uint32_t)len + ZLP_OVERHEAD, 1);
		return true;
	}
	struct kv_dict_entry *x = kv_dict_lookup(e->v.z.d, m, len);
	if (x == NULL)
		return false;
	zsl_delete(e->v.z.zsl, x->v.score, x->field, x->flen);
	kv_dict_del(e->v.z.d, x->field, x->flen);
	return true;
}

/* A position in a sorted set, for walks by rank. */
struct zit {
	const struct kv_entry *e;
	uint32_t off;            /* listpack */
	struct zsl_node *x;      /* skiplist */
	bool valid;
};

/* zit_seek -- position it at a 0-based rank below the length. */
static void
zit_seek(const struct kv_entry *e, uint64_t rank, struct zit *it)
{
	it->e = e;
	it->valid = true;
	it->off = 0;
	it->x = NULL;
	if (e->encoding == KV_ENC_LISTPACK) {
		struct zel z;
		it->off = 0;
		while (rank-- > 0)
			it->off = zlp_read(e->v.lp.buf, it->off, &z);
		return;
	}
	it->x = zsl_by_rank(e->v.z.zsl, rank + 1);
}

/* zit_get -- the element at the position. */
static void
zit_get(const struct zit *it, struct zel *z)
{
	if (it->e->encoding == KV_ENC_LISTPACK) {
		zlp_read(it->e->v.lp.buf, it->off, z);
		return;
	}
	z->m = it->x->ele;
	z->len = it->x->len;
	z->score = it->x->score;
}

/* zit_step -- move to the next (or previous) element; false past one end. */
static bool
zit_step(struct zit *it, bool rev)
{
	if (it->e->encoding == KV_ENC_LISTPACK) {
		struct zel z;
		if (rev) {
			if (it->off == 0)
				return it->valid = false;
			it->off = zlp_prev(it->e->v.lp.buf, it->off);
		} else {
			it->off = zlp_read(it->e->v.lp.buf, it->off, &z);
			if (it->off >= it->e->v.lp.len)
				return it->valid = false;
		}
		return true;
	}
	it->x = rev ? it->x->backward : it->x->level[0].forward;
	return it->valid = it->x != NULL;
}

/* zset_count_while -- length of the prefix of the order pred holds for. */
static uint64_t
zset_count_while(const struct kv_entry *e, zsl_pred_fn pred, const void *ctx)
{
	if (e->encoding != KV_ENC_LISTPACK)
		return zsl_count_while(e->v.z.zsl, pred, ctx);
	struct zel z;
	uint64_t n = 0;
	for (uint32_t off = 0; off < e->v.lp.len; n++) {
		off = zlp_read(e->v.lp.buf, off, &z);
		if (!pred(ctx, z.score, z.m, z.len))
			break;
	}
	return n;
}

/* zset_rank -- 0-based rank of a member (rev: from the end), or -1. */
static long long
zset_rank(const struct kv_entry *e, const char *m, size_t len, bool rev)
{
	double score;
	uint64_t rank;

	if (!zset_score(e, m, len, &score))
		return -1;
	if (e->encoding == KV_ENC_LISTPACK) {
		struct zel z;
		rank = 0;
		for (uint32_t off = 0; off < e->v.lp.len; rank++) {
			off = zlp_read(e->v.lp.buf, off, &z);
			if (z.len == len && memcmp(z.m, m, len) == 0)
				break;
		}
		rank++;
	} else {
		rank = zsl_rank(e->v.z.zsl, score, m, (uint32_t)len);
	}
	return rev ? (long long)(zset_len(e) - rank) : (long long)rank - 1;
}

/* Parsing numbers and ranges as Redis does. */

/* cstr -- arg as a NUL-terminated string in buf, or malloc'ed (*heap). */
static char *
cstr(const struct kv_arg *a, char *buf, size_t size, char **heap)
{
	char *p = buf;

	*heap = NULL;
	if (a->len >= size) {
		p = *heap = malloc(a->len + 1);
		if (p == NULL)
			return NULL;
	}
	memcpy(p, a->ptr, a->len);
	p[a->len] = '\0';
	return p;
}

/*
 * zs_str2d -- Redis's string2d: strtod over the whole argument, no
 * leading space, not NaN, no overflow and no underflow to zero.
 */
static bool
zs_str2d(const struct kv_arg *a, double *out)
{
	char buf[128], *heap, *end;
	bool ok;

	if (a->len == 0 || isspace((unsigned char)a->ptr[0]))
		return false;
	char *p = cstr(a, buf, sizeof(buf), &heap);
	if (p == NULL)
		return false;
	errno = 0;
	double v = strtod(p, &end);
	ok = (size_t)(end - p) == a->len && !isnan(v) &&
	     !(errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL ||
				   fpclassify(v) == FP_ZERO));
	free(heap);
	*out = v;
	return ok;
}

/* A score interval. */
struct zs_range {
	double min, max;
	bool minex, maxex;
};

/* parse_score_bound -- "(" for an open bound, then strtod (Redis's). */
static bool
parse_score_bound(const struct kv_arg *a, double *v, bool *ex)
{
	char buf[128], *heap, *end;

	char *p = cstr(a, buf, sizeof(buf), &heap);
	if (p == NULL)
		return false;
	*ex = p[0] == '(';
	*v = strtod(p + (*ex ? 1 : 0), &end);
	bool ok = *end == '\0' && !isnan(*v);
	free(heap);
	return ok;
}

/* parse_range -- Redis's zslParseRange. */
static bool
parse_range(const struct kv_arg *min, const struct kv_arg *max,
	    struct zs_range *r)
{
	return parse_score_bound(min, &r->min, &r->minex) &&
	       parse_score_bound(max, &r->max, &r->maxex);
}

/* A lex interval: inf -1 is "-" (below all), +1 is "+" (above all). */
struct zs_lex {
	const char *min, *max;
	uint32_t minlen, maxlen;
	int mininf, maxinf;
	bool minex, maxex;
};

/* parse_lex_bound -- Redis's zslParseLexRangeItem. */
static bool
parse_lex_bound(const struct kv_arg *a, const char **p, uint32_t *len,
		int *inf, bool *ex)
{
	*inf = 0;
	*p = a->ptr + 1;
	*len = a->len > 0 ? (uint32_t)a->len - 1 : 0;
	if (a->len == 0)
		return false;
	switch (a->ptr[0]) {
	case '+':
	case '-':
		if (a->len > 1 && a->ptr[1] != '\0')
			return false;
		*inf = a->ptr[0] == '+' ? 1 : -1;
		*ex = true;
		return true;
	case '(':
		*ex = true;
		return true;
	case '[':
		*ex = false;
		return true;
	}
	return false;
}

/* parse_lex -- Redis's zslParseLexRange. */
static bool
parse_lex(const struct kv_arg *min, const struct kv_arg *max,
	  struct zs_lex *r)
{
	return parse_lex_bound(min, &r->min, &r->minlen, &r->mininf,
			       &r->minex) &&
	       parse_lex_bound(max, &r->max, &r->maxlen, &r->maxinf,
			       &r->maxex);
}

/* lexcmp -- a member against a bound (Redis's sdscmplex). */
static int
lexcmp(const char *m, uint32_t len, const char *b, uint32_t blen, int inf)
{
	if (inf != 0)
		return -inf;
	return zsl_lexcmp(m, len, b, blen);
}

/* Predicates for zset_count_while: before the min, at most the max. */
static bool
score_below_min(const void *ctx, double score, const char *m, uint32_t len)
{
	const struct zs_range *r = ctx;

	(void)m;
	(void)len;
	return r->minex ? score <= r->min : score < r->min;
}

static bool
score_lte_max(const void *ctx, double score, const char *m, uint32_t len)
{
	const struct zs_range *r = ctx;

	(void)m;
	(void)len;
	return r->maxex ? score < r->max : score <= r->max;
}

static bool
lex_below_min(const void *ctx, double score, const char *m, uint32_t len)
{
	const struct zs_lex *r = ctx;
	int c = lexcmp(m, len, r->min, r->minlen, r->mininf);

	(void)score;
	return r->minex ? c <= 0 : c < 0;
}

static bool
lex_lte_max(const void *ctx, double score, const char *m, uint32_t len)
{
	const struct zs_lex *r = ctx;
	int c = lexcmp(m, len, r->max, r->maxlen, r->maxinf);

	(void)score;
	return r->maxex ? c < 0 : c <= 0;
}

enum { ZR_AUTO, ZR_RANK, ZR_SCORE, ZR_LEX };

/* A parsed range of any kind. */
struct zs_any {
	int by;
	struct zs_range sr;
	struct zs_lex lr;
};

/* range_ranks -- the ranks [lo, hi) of a score or lex range. */
static void
range_ranks(const struct kv_entry *e, const struct zs_any *a, uint64_t *lo,
	    uint64_t *hi)
{
	if (a->by == ZR_SCORE) {
		*lo = zset_count_while(e, score_below_min, &a->sr);
		*hi = zset_count_while(e, score_lte_max, &a->sr);
	} else {
		*lo = zset_count_while(e, lex_below_min, &a->lr);
		*hi = zset_count_while(e, lex_lte_max, &a->lr);
	}
	if (*hi < *lo)
		*hi = *lo;
}

/* Replies. */

/* fmt_score -- a score as Redis's addReplyDouble writes it (%.17g). */
static int
fmt_score(char *buf, size_t size, double d)
{
	if (isinf(d))
		return snprintf(buf, size, d > 0 ? "inf" : "-inf");
	return snprintf(buf, size, "%.17g", d);
}

/* reply_score -- a score as a bulk string. */
static void
reply_score(struct kv_client *c, double d)
{
	char buf[64];
	int n = fmt_score(buf, sizeof(buf), d);

	kv_reply_bulk(c, buf, (size_t)n);
}

/*
 * kv_zset_fmt_lp_score -- a listpack score as Redis's d2string keeps it
 * (and ZSCAN and DUMP show it): integers within +-LLONG_MAX/2 as
 * integers.
 */
int
kv_zset_fmt_lp_score(char *buf, size_t size, double d)
{
	if (isinf(d))
		return snprintf(buf, size, d > 0 ? "inf" : "-inf");
	/* only a loaded "-0" text is -0 in a listpack (zlp_score) */
	if (d == 0 && signbit(d))
		return snprintf(buf, size, "-0");
	if (d >= -(double)(LLONG_MAX / 2) && d <= (double)(LLONG_MAX / 2) &&
	    (double)(long long)d == d)
		return kv_ll2str(buf, size, (long long)d);
	return snprintf(buf, size, "%.17g", d);
}

/* Keys. */

/* lookup_zset -- a live key at argv[i]; false after WRONGTYPE. */
static bool
lookup_zset(struct kv_req *r, int i, struct kv_entry **e, bool write)
{
	*e = kv_lookup(r->s, r->c->db, r->argv[i].ptr, r->argv[i].len, !write);
	return kv_check_type_or_reply(r, *e, KV_TYPE_ZSET);
}

/* zset_new -- a detached empty sorted set (a value being built). */
static struct kv_entry *
zset_new(void)
{
	struct kv_entry *e = calloc(1, sizeof(*e));

	if (e != NULL) {
		e->type = KV_TYPE_ZSET;
		e->encoding = KV_ENC_LISTPACK;
	}
	return e;
}

/* zset_new_free -- free a detached set and its value. */
static void
zset_new_free(struct kv_shard *s, struct kv_entry *v)
{
	if (v != NULL) {
		kv_zset_free(s, v);
		free(v);
	}
}

/*
 * zset_create_at -- a new empty sorted set at argv[i] (absent); NULL
 * when out of memory.
 */
static struct kv_entry *
zset_create_at(struct kv_req *r, int i)
{
	struct kv_entry *e = kv_create(r->s, r->c->db, r->argv[i].ptr,
				       r->argv[i].len);

	if (e == NULL)
		return NULL;
	e->type = KV_TYPE_ZSET;
	e->encoding = KV_ENC_LISTPACK;
	memset(&e->v.lp, 0, sizeof(e->v.lp));
	return e;
}

/* drop_if_empty -- delete a sorted set left without members. */
static void
drop_if_empty(struct kv_req *r, struct kv_entry *e)
{
	if (zset_len(e) == 0)
		kv_delete(r->s, r->c->db, e);
}

/*
 * store_result -- replace the key at argv[di] with the detached set v
 * (deleted if v is empty), reply its length and log the command. Takes
 * v.
 */
static void
store_result(struct kv_req *r, int di, struct kv_entry *v)
{
	struct kv_entry *old = kv_lookup(r->s, r->c->db, r->argv[di].ptr,
					 r->argv[di].len, false);
	uint64_t n = zset_len(v);

	if (n == 0) {
		zset_new_free(r->s, v);
		kv_reply_int(r->c, 0);
		if (old != NULL) {
			kv_delete(r->s, r->c->db, old);
			kv_propagate(r->s, r->c->db, r->argc, r->argv);
		}
		return;
	}
	if (old != NULL)
		kv_delete(r->s, r->c->db, old);
	struct kv_entry *e = kv_create(r->s, r->c->db, r->argv[di].ptr,
				       r->argv[di].len);
	if (e == NULL) {
		zset_new_free(r->s, v);
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	e->type = KV_TYPE_ZSET;
	e->encoding = v->encoding;
	e->v = v->v;
	free(v);
	kv_reply_int(r->c, (long long)n);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
}

/* ZADD and ZINCRBY. */

#define ZADD_NX   0x01
#define ZADD_XX   0x02
#define ZADD_GT   0x04
#define ZADD_LT   0x08
#define ZADD_INCR 0x10
#define ZADD_CH   0x20

/* Outcome of zset_add. */
enum { ZA_NOP, ZA_ADDED, ZA_UPDATED, ZA_SAME, ZA_NAN, ZA_OOM };

/*
 * zset_add -- Redis's zsetAdd: add or update one member under the flags;
 * *out receives the resulting score when something was done.
 */
static int
zset_add(struct kv_shard *s, struct kv_entry *e, double score,
	 const struct kv_arg *m, int flags, double *out)
{
	double cur;

	if (zset_score(e, m->ptr, m->len, &cur)) {
		if (flags & ZADD_NX)
			return ZA_NOP;
		if (flags & ZADD_INCR) {
			score += cur;
			if (isnan(score))
				return ZA_NAN;
		}
		if (((flags & ZADD_LT) && score >= cur) ||
		    ((flags & ZADD_GT) && score <= cur))
			return ZA_NOP;
		*out = score;
		if (score == cur)
			return ZA_SAME;
		if (zset_update(s, e, m->ptr, m->len, cur, score) != 0)
			return ZA_OOM;
		return ZA_UPDATED;
	}
	if (flags & ZADD_XX)
		return ZA_NOP;
	if (zset_insert(s, e, m->ptr, m->len, score) != 0)
		return ZA_OOM;
	*out = score;
	return ZA_ADDED;
}

/* zadd_generic -- ZADD and ZINCRBY (flags ZADD_INCR). */
static void
zadd_generic(struct kv_req *r, int flags)
{
	struct kv_entry *e;
	int si = 2, j;
	long long added = 0, updated = 0, processed = 0;
	double score = 0;

	for (; si < r->argc; si++) {
		const struct kv_arg *a = &r->argv[si];
		if (kv_arg_is(a, "nx"))
			flags |= ZADD_NX;
		else if (kv_arg_is(a, "xx"))
			flags |= ZADD_XX;
		else if (kv_arg_is(a, "ch"))
			flags |= ZADD_CH;
		else if (kv_arg_is(a, "incr"))
			flags |= ZADD_INCR;
		else if (kv_arg_is(a, "gt"))
			flags |= ZADD_GT;
		else if (kv_arg_is(a, "lt"))
			flags |= ZADD_LT;
		else
			break;
	}
	int elements = r->argc - si;
	if (elements % 2 != 0 || elements == 0) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	elements /= 2;
	if ((flags & ZADD_NX) && (flags & ZADD_XX)) {
		kv_reply_error(r->c, "ERR XX and NX options at the same time "
			       "are not compatible");
		return;
	}
	if (((flags & ZADD_NX) && (flags & (ZADD_GT | ZADD_LT))) ||
	    ((flags & ZADD_GT) && (flags & ZADD_LT))) {
		kv_reply_error(r->c, "ERR GT, LT, and/or NX options at the "
			       "same time are not compatible");
		return;
	}
	if ((flags & ZADD_INCR) && elements > 1) {
		kv_reply_error(r->c, "ERR INCR option supports a single "
			       "increment-element pair");
		return;
	}
	for (j = 0; j < elements; j++) {
		double d;
		if (!zs_str2d(&r->argv[si + 2 * j], &d)) {
			kv_reply_error(r->c, KV_ERR_NOT_FLOAT);
			return;
		}
	}
	if (!lookup_zset(r, 1, &e, true))
		return;
	if (e == NULL) {
		if (flags & ZADD_XX)
			goto reply;
		if ((e = zset_create_at(r, 1)) == NULL) {
			kv_reply_error(r->c, "OOM out of memory");
			return;
		}
	}
	for (j = 0; j < elements; j++) {
		double d, out = 0;
		zs_str2d(&r->argv[si + 2 * j], &d);
		int rc = zset_add(r->s, e, d, &r->argv[si + 2 * j + 1], flags,
				  &out);
		if (rc == ZA_NAN || rc == ZA_OOM) {
			kv_reply_error(r->c, rc == ZA_NAN ?
				       "ERR resulting score is not a number "
				       "(NaN)" : "OOM out of memory");
			break;
		}
		added += rc == ZA_ADDED;
		updated += rc == ZA_UPDATED;
		if (rc != ZA_NOP) {
			processed++;
			score = out;
		}
	}
	if (added + updated > 0)   /* what was done, even if cut short */
		kv_propagate(r->s, r->c->db, r->argc, r->argv);
	drop_if_empty(r, e);
	if (j < elements)
		return;
reply:
	if (flags & ZADD_INCR) {
		if (processed > 0)
			reply_score(r->c, score);
		else
			kv_reply_null(r->c);
	} else {
		kv_reply_int(r->c, (flags & ZADD_CH) ? added + updated : added);
	}
}

void
cmd_zadd(struct kv_req *r)
{
	zadd_generic(r, 0);
}

void
cmd_zincrby(struct kv_req *r)
{
	zadd_generic(r, ZADD_INCR);
}

void
cmd_zrem(struct kv_req *r)
{
	struct kv_entry *e;
	long long deleted = 0;

	if (!lookup_zset(r, 1, &e, true))
		return;
	if (e != NULL) {
		for (int i = 2; i < r->argc; i++) {
			if (zset_delete(e, r->argv[i].ptr, r->argv[i].len))
				deleted++;
			if (zset_len(e) == 0)
				break;
		}
	}
	kv_reply_int(r->c, deleted);
	if (deleted > 0) {
		kv_propagate(r->s, r->c->db, r->argc, r->argv);
		drop_if_empty(r, e);
	}
}

void
cmd_zcard(struct kv_req *r)
{
	struct kv_entry *e;

	if (lookup_zset(r, 1, &e, false))
		kv_reply_int(r->c, e != NULL ? (long long)zset_len(e) : 0);
}

void
cmd_zscore(struct kv_req *r)
{
	struct kv_entry *e;
	double score;

	if (!lookup_zset(r, 1, &e, false))
		return;
	if (e == NULL || !zset_score(e, r->argv[2].ptr, r->argv[2].len, &score))
		kv_reply_null(r->c);
	else
		reply_score(r->c, score);
}

void
cmd_zmscore(struct kv_req *r)
{
	struct kv_entry *e;
	double score;

	if (!lookup_zset(r, 1, &e, false))
		return;
	kv_reply_array(r->c, r->argc - 2);
	for (int i = 2; i < r->argc; i++) {
		if (e == NULL || !zset_score(e, r->argv[i].ptr, r->argv[i].len,
					     &score))
			kv_reply_null(r->c);
		else
			reply_score(r->c, score);
	}
}

/* rank_generic -- ZRANK and ZREVRANK. */
static void
rank_generic(struct kv_req *r, bool rev)
{
	struct kv_entry *e;

	if (!lookup_zset(r, 1, &e, false))
		return;
	long long rank = e == NULL ? -1 : zset_rank(e, r->argv[2].ptr,
						     r->argv[2].len, rev);
	if (rank < 0)
		kv_reply_null(r->c);
	else
		kv_reply_int(r->c, rank);
}

void
cmd_zrank(struct kv_req *r)
{
	rank_generic(r, false);
}

void
cmd_zrevrank(struct kv_req *r)
{
	rank_generic(r, true);
}

/* count_generic -- ZCOUNT and ZLEXCOUNT. */
static void
count_generic(struct kv_req *r, int by)
{
	struct kv_entry *e;
	struct zs_any a = { .by = by };
	uint64_t lo, hi;

	if (by == ZR_SCORE && !parse_range(&r->argv[2], &r->argv[3], &a.sr)) {
		kv_reply_error(r->c, "ERR min or max is not a float");
		return;
	}
	if (by == ZR_LEX && !parse_lex(&r->argv[2], &r->argv[3], &a.lr)) {
		kv_reply_error(r->c, "ERR min or max not valid string range "
			       "item");
		return;
	}
	if (!lookup_zset(r, 1, &e, false))
		return;
	if (e == NULL) {
		kv_reply_int(r->c, 0);
		return;
	}
	range_ranks(e, &a, &lo, &hi);
	kv_reply_int(r->c, (long long)(hi - lo));
}

void
cmd_zcount(struct kv_req *r)
{
	count_generic(r, ZR_SCORE);
}

void
cmd_zlexcount(struct kv_req *r)
{
	count_generic(r, ZR_LEX);
}

/* The ZRANGE family. */

/*
 * emit_range -- n elements from rank start, forward or backward: a
 * reply (with scores or not) or, store != NULL, added to it. Returns
 * false when out of memory (store).
 */
static bool
emit_range(struct kv_req *r, const struct kv_entry *e, uint64_t start,
	   uint64_t n, bool rev, bool withscores, struct kv_entry *store)
{
	struct zit it;
	struct zel z;

	if (store == NULL)
		kv_reply_array(r->c, (long long)(withscores ? n * 2 : n));
	if (n == 0)
		return true;
	zit_seek(e, start, &it);
	for (uint64_t i = 0; i < n; i++) {
		zit_get(&it, &z);
		if (store != NULL) {
			if (zset_insert(r->s, store, z.m, z.len, z.score) != 0)
				return false;
		} else {
			kv_reply_bulk(r->c, z.m, z.len);
			if (withscores)
				reply_score(r->c, z.score);
		}
		zit_step(&it, rev);
	}
	return true;
}

/*
 * zrange_generic -- Redis's zrangeGenericCommand: the source key at
 * argv[ks], then min and max, then options; store: ZRANGESTORE with the
 * destination at argv[1]. by and rev may be fixed by the command.
 */
static void
zrange_generic(struct kv_req *r, int ks, bool store, int by, int dir)
{
	struct zs_any a;
	long long offset = 0, limit = -1, start = 0, end = 0;
	bool withscores = false;
	int minidx = ks + 1, maxidx = ks + 2;
	struct kv_entry *e;

	for (int j = ks + 3; j < r->argc; j++) {
		int left = r->argc - j - 1;
		const struct kv_arg *o = &r->argv[j];
		if (!store && kv_arg_is(o, "withscores")) {
			withscores = true;
		} else if (kv_arg_is(o, "limit") && left >= 2) {
			if (!kv_str2ll(r->argv[j + 1].ptr, r->argv[j + 1].len,
				       &offset) ||
			    !kv_str2ll(r->argv[j + 2].ptr, r->argv[j + 2].len,
				       &limit)) {
				kv_reply_error(r->c, KV_ERR_NOT_INT);
				return;
			}
			j += 2;
		} else if (dir == 0 && kv_arg_is(o, "rev")) {
			dir = -1;
		} else if (by == ZR_AUTO && kv_arg_is(o, "bylex")) {
			by = ZR_LEX;
		} else if (by == ZR_AUTO && kv_arg_is(o, "byscore")) {
			by = ZR_SCORE;
		} else {
			kv_reply_error(r->c, KV_ERR_SYNTAX);
			return;
		}
	}
	bool rev = dir < 0;
	if (by == ZR_AUTO)
		by = ZR_RANK;
	if (limit != -1 && by == ZR_RANK) {
		kv_reply_error(r->c, "ERR syntax error, LIMIT is only supported "
			       "in combination with either BYSCORE or BYLEX");
		return;
	}
	if (withscores && by == ZR_LEX) {
		kv_reply_error(r->c, "ERR syntax error, WITHSCORES not "
			       "supported in combination with BYLEX");
		return;
	}
	if (rev && by != ZR_RANK) {
		minidx = ks + 2;
		maxidx = ks + 1;
	}
	a.by = by;
	if (by == ZR_RANK) {
		if (!kv_str2ll(r->argv[minidx].ptr, r->argv[minidx].len,
			       &start) ||
		    !kv_str2ll(r->argv[maxidx].ptr, r->argv[maxidx].len, &end)) {
			kv_reply_error(r->c, KV_ERR_NOT_INT);
			return;
		}
	} else if (by == ZR_SCORE) {
		if (!parse_range(&r->argv[minidx], &r->argv[maxidx], &a.sr)) {
			kv_reply_error(r->c, "ERR min or max is not a float");
			return;
		}
	} else if (!parse_lex(&r->argv[minidx], &r->argv[maxidx], &a.lr)) {
		kv_reply_error(r->c, "ERR min or max not valid string range "
			       "item");
		return;
	}
	if (!lookup_zset(r, ks, &e, false))
		return;

	struct kv_entry *dst = NULL;
	if (store && (dst = zset_new()) == NULL) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	uint64_t first = 0, n = 0;
	long long llen = e != NULL ? (long long)zset_len(e) : 0;
	if (e == NULL) {
		n = 0;
	} else if (by == ZR_RANK) {
		if (start < 0)
			start += llen;
		if (end < 0)
			end += llen;
		if (start < 0)
			start = 0;
		if (start <= end && start < llen) {
			if (end >= llen)
				end = llen - 1;
			n = (uint64_t)(end - start + 1);
			first = rev ? (uint64_t)(llen - 1 - start)
				    : (uint64_t)start;
		}
	} else if (offset >= 0 && !(offset > 0 && offset >= llen)) {
		uint64_t lo, hi;
		range_ranks(e, &a, &lo, &hi);
		if (hi - lo > (uint64_t)offset) {
			n = hi - lo - (uint64_t)offset;
			if (limit >= 0 && n > (uint64_t)limit)
				n = (uint64_t)limit;
			first = rev ? hi - 1 - (uint64_t)offset
				    : lo + (uint64_t)offset;
		}
	}
	/*
	 * As Redis, a destination is made for a rank range's length: a
	 * skiplist from the start past the limit (its -0 scores stay -0);
	 * a score or lex range starts a listpack and converts on the way.
	 */
	bool oom = dst != NULL && by == ZR_RANK &&
		   n > r->s->cfg->zset_lp_entries &&
		   zset_convert(r->s, dst) != 0;
	if (oom || !emit_range(r, e, first, n, rev, withscores, dst)) {
		zset_new_free(r->s, dst);
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	if (store)
		store_result(r, 1, dst);
}

void
cmd_zrange(struct kv_req *r)
{
	zrange_generic(r, 1, false, ZR_AUTO, 0);
}

void
cmd_zrangestore(struct kv_req *r)
{
	zrange_generic(r, 2, true, ZR_AUTO, 0);
}

void
cmd_zrevrange(struct kv_req *r)
{
	zrange_generic(r, 1, false, ZR_RANK, -1);
}

void
cmd_zrangebyscore(struct kv_req *r)
{
	zrange_generic(r, 1, false, ZR_SCORE, 1);
}

void
cmd_zrevrangebyscore(struct kv_req *r)
{
	zrange_generic(r, 1, false, ZR_SCORE, -1);
}

void
cmd_zrangebylex(struct kv_req *r)
{
	zrange_generic(r, 1, false, ZR_LEX, 1);
}

void
cmd_zrevrangebylex(struct kv_req *r)
{
	zrange_generic(r, 1, false, ZR_LEX, -1);
}

/* zset_delete_ranks -- remove the elements of ranks [lo, lo + n). */
static void
zset_delete_ranks(struct kv_entry *e, uint64_t lo, uint64_t n)
{
	if (n == 0)
		return;
	if (e->encoding == KV_ENC_LISTPACK) {
		struct zit it;
		struct zel z;
		zit_seek(e, lo, &it);
		uint32_t from = it.off, to = it.off;
		for (uint64_t i = 0; i < n; i++)
			to = zlp_read(e->v.lp.buf, to, &z);
		zlp_delete_range(e, from, to, (uint32_t)n);
		return;
	}
	struct zsl_node *x = zsl_by_rank(e->v.z.zsl, lo + 1);
	for (uint64_t i = 0; i < n && x != NULL; i++) {
		struct zsl_node *next = x->level[0].forward;
		const char *m = x->ele;
		uint32_t len = x->len;
		zsl_delete(e->v.z.zsl, x->score, m, len);
		kv_dict_del(e->v.z.d, m, len);
		x = next;
	}
}

/* zremrange_generic -- ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX. */
static void
zremrange_generic(struct kv_req *r, int by)
{
	struct zs_any a = { .by = by };
	long long start = 0, end = 0;
	struct kv_entry *e;
	uint64_t lo = 0, hi = 0;

	if (by == ZR_RANK) {
		if (!kv_str2ll(r->argv[2].ptr, r->argv[2].len, &start) ||
		    !kv_str2ll(r->argv[3].ptr, r->argv[3].len, &end)) {
			kv_reply_error(r->c, KV_ERR_NOT_INT);
			return;
		}
	} else if (by == ZR_SCORE) {
		if (!parse_range(&r->argv[2], &r->argv[3], &a.sr)) {
			kv_reply_error(r->c, "ERR min or max is not a float");
			return;
		}
	} else if (!parse_lex(&r->argv[2], &r->argv[3], &a.lr)) {
		kv_reply_error(r->c, "ERR min or max not valid string range "
			       "item");
		return;
	}
	if (!lookup_zset(r, 1, &e, true))
		return;
	if (e == NULL) {
		kv_reply_int(r->c, 0);
		return;
	}
	if (by == ZR_RANK) {
		long long llen = (long long)zset_len(e);
		if (start < 0)
			start += llen;
		if (end < 0)
			end += llen;
		if (start < 0)
			start = 0;
		if (start <= end && start < llen) {
			if (end >= llen)
				end = llen - 1;
			lo = (uint64_t)start;
			hi = (uint64_t)end + 1;
		}
	} else {
		range_ranks(e, &a, &lo, &hi);
	}
	zset_delete_ranks(e, lo, hi - lo);
	kv_reply_int(r->c, (long long)(hi - lo));
	if (hi > lo) {
		kv_propagate(r->s, r->c->db, r->argc, r->argv);
		drop_if_empty(r, e);
	}
}

void
cmd_zremrangebyrank(struct kv_req *r)
{
	zremrange_generic(r, ZR_RANK);
}

void
cmd_zremrangebyscore(struct kv_req *r)
{
	zremrange_generic(r, ZR_SCORE);
}

void
cmd_zremrangebylex(struct kv_req *r)
{
	zremrange_generic(r, ZR_LEX);
}

/* Pops. */

/*
 * zpop_generic -- pop up to count elements (count < 0: one, flat reply)
 * from the first non-empty key of argv[ki..ki+nk); zmpop: ZMPOP's reply
 * (key and nested pairs, null when nothing). Logged as ZPOPMIN/ZPOPMAX
 * with the number popped.
 */
static void
zpop_generic(struct kv_req *r, int ki, int nk, bool max, long long count,
	     bool zmpop)
{
	struct kv_entry *e = NULL;
	int i;

	for (i = ki; i < ki + nk; i++) {
		if (!lookup_zset(r, i, &e, true))
			return;
		if (e != NULL)
			break;
	}
	if (e == NULL) {
		if (zmpop)
			kv_reply_null_array(r->c);
		else
			kv_reply_array(r->c, 0);
		return;
	}
	if (count == 0) {
		kv_reply_array(r->c, 0);
		return;
	}
	if (count < 0)
		count = 1;
	uint64_t len = zset_len(e);
	uint64_t n = (uint64_t)count > len ? len : (uint64_t)count;
	if (zmpop) {
		kv_reply_array(r->c, 2);
		kv_reply_bulk(r->c, r->argv[i].ptr, r->argv[i].len);
		kv_reply_array(r->c, (long long)n);
	} else {
		kv_reply_array(r->c, (long long)n * 2);
	}
	struct zit it;
	struct zel z;
	zit_seek(e, max ? len - 1 : 0, &it);
	for (uint64_t j = 0; j < n; j++) {
		zit_get(&it, &z);
		if (zmpop)
			kv_reply_array(r->c, 2);
		kv_reply_bulk(r->c, z.m, z.len);
		reply_score(r->c, z.score);
		zit_step(&it, max);
	}
	zset_delete_ranks(e, max ? len - n : 0, n);
	char buf[32];
	int bl = kv_ll2str(buf, sizeof(buf), (long long)n);
	struct kv_arg eff[3] = { { max ? "ZPOPMAX" : "ZPOPMIN", 7 },
				 r->argv[i], { buf, (size_t)bl } };
	kv_propagate(r->s, r->c->db, 3, eff);
	drop_if_empty(r, e);
}

/* zpopminmax -- ZPOPMIN and ZPOPMAX. */
static void
zpopminmax(struct kv_req *r, bool max)
{
	long long count = -1;

	if (r->argc > 3) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	if (r->argc == 3) {
		if (!kv_str2ll(r->argv[2].ptr, r->argv[2].len, &count) ||
		    count < 0) {
			kv_reply_error(r->c, "ERR value is out of range, must "
				       "be positive");
			return;
		}
	}
	zpop_generic(r, 1, 1, max, count, false);
}

void
cmd_zpopmin(struct kv_req *r)
{
	zpopminmax(r, false);
}

void
cmd_zpopmax(struct kv_req *r)
{
	zpopminmax(r, true);
}

void
cmd_zmpop(struct kv_req *r)
{
	long long nk, count = -1;
	bool max;

	if (!kv_str2ll(r->argv[1].ptr, r->argv[1].len, &nk) || nk < 1) {
		kv_reply_error(r->c, "ERR numkeys should be greater than 0");
		return;
	}
	if (nk > r->argc - 3) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	int wi = 2 + (int)nk;
	if (kv_arg_is(&r->argv[wi], "min")) {
		max = false;
	} else if (kv_arg_is(&r->argv[wi], "max")) {
		max = true;
	} else {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	for (int j = wi + 1; j < r->argc; j++) {
		if (count == -1 && kv_arg_is(&r->argv[j], "count") &&
		    j + 1 < r->argc) {
			j++;
			if (!kv_str2ll(r->argv[j].ptr, r->argv[j].len, &count) ||
			    count < 1) {
				kv_reply_error(r->c, "ERR count should be "
					       "greater than 0");
				return;
			}
		} else {
			kv_reply_error(r->c, KV_ERR_SYNTAX);
			return;
		}
	}
	zpop_generic(r, 2, (int)nk, max, count < 0 ? 1 : count, true);
}

/* ZRANDMEMBER. */

/* random_elem -- a random element of a non-empty set. */
static void
random_elem(struct kv_shard *s, const struct kv_entry *e, struct zel *z)
{
	struct zit it;

	zit_seek(e, kv_rand(s) % zset_len(e), &it);
	zit_get(&it, z);
}

/* reply_elem -- a member and, withscores, its score. */
static void
reply_elem(struct kv_req *r, const struct zel *z, bool withscores)
{
	kv_reply_bulk(r->c, z->m, z->len);
	if (withscores)
		reply_score(r->c, z->score);
}

/*
 * zrandmember_count -- a negative count allows repeats; a positive one
 * gives distinct members (selection sampling in order), the whole set
 * when it is not larger than count.
 */
static void
zrandmember_count(struct kv_req *r, long long l, bool withscores)
{
	struct kv_entry *e;
	struct zel z;

	if (!lookup_zset(r, 1, &e, false))
		return;
	if (e == NULL || l == 0) {
		kv_reply_array(r->c, 0);
		return;
	}
	uint64_t size = zset_len(e);
	uint64_t count = l < 0 ? (uint64_t)-l : (uint64_t)l;
	long long per = withscores ? 2 : 1;

	if (l < 0 || count == 1) {
		kv_reply_array(r->c, (long long)count * per);
		if (e->encoding == KV_ENC_LISTPACK && count > 1) {
			/* offsets once, then O(1) per pick */
			uint32_t *offs = malloc(size * sizeof(*offs));
			if (offs != NULL) {
				uint32_t off = 0;
				for (uint64_t i = 0; i < size; i++) {
					offs[i] = off;
					off = zlp_read(e->v.lp.buf, off, &z);
				}
				for (uint64_t i = 0; i < count; i++) {
					zlp_read(e->v.lp.buf,
						 offs[kv_rand(r->s) % size], &z);
					reply_elem(r, &z, withscores);
				}
				free(offs);
				return;
			}
		}
		for (uint64_t i = 0; i < count; i++) {
			random_elem(r->s, e, &z);
			reply_elem(r, &z, withscores);
		}
		return;
	}
	if (count >= size) {
		/* the whole set, from the end as Redis's iterator goes */
		emit_range(r, e, size - 1, size, true, withscores, NULL);
		return;
	}
	kv_reply_array(r->c, (long long)count * per);
	struct kv_dict *seen = NULL;
	if (e->encoding == KV_ENC_SKIPLIST && count * 3 <= size)
		seen = kv_dict_create(kv_rand(r->s), false, NULL);
	if (seen == NULL) {
		/* Knuth's selection sampling, O(size): each element is
		 * taken with probability need/left, exactly count come out. */
		struct zit it;
		uint64_t need = count, left = size;
		zit_seek(e, 0, &it);
		while (need > 0) {
			if (kv_rand(r->s) % left < need) {
				zit_get(&it, &z);
				reply_elem(r, &z, withscores);
				need--;
			}
			left--;
			zit_step(&it, false);
		}
		return;
	}
	/* Few out of many: random ranks, repeats rejected by a set; at
	 * most a third are taken, so a pick is new 2/3 of the time. */
	uint64_t picked = 0;
	bool created;
	while (picked < count) {
		random_elem(r->s, e, &z);
		if (kv_dict_add(seen, z.m, z.len, &created) == NULL)
			break;
		if (!created)
			continue;
		reply_elem(r, &z, withscores);
		picked++;
	}
	/* Only without memory for the set: the rest may repeat. */
	for (; picked < count; picked++) {
		random_elem(r->s, e, &z);
		reply_elem(r, &z, withscores);
	}
	kv_dict_free(seen);
}

void
cmd_zrandmember(struct kv_req *r)
{
	struct kv_entry *e;
	struct zel z;
	long long l;

	if (r->argc >= 3) {
		bool with;
		if (kv_rand_count_or_reply(r, "withscores", ZSET_RAND_MAX_REPEAT, &l, &with))
			zrandmember_count(r, l, with);
		return;
	}
	if (!lookup_zset(r, 1, &e, false))
		return;
	if (e == NULL) {
		kv_reply_null(r->c);
		return;
	}
	random_elem(r->s, e, &z);
	kv_reply_bulk(r->c, z.m, z.len);
}

/* Set operations: ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD. */

enum { ZOP_UNION, ZOP_INTER, ZOP_DIFF };
enum { AGG_SUM, AGG_MIN, AGG_MAX };

/* One input of a set operation. */
struct zsrc {
	struct kv_entry *e;      /* NULL: missing key */
	struct kv_entry *copy;   /* a plain set's copy as e, or NULL */
	double weight;
};

/* src_len -- members of an input. */
static uint64_t
src_len(const struct zsrc *x)
{
	return x->e != NULL ? zset_len(x->e) : 0;
}

/* aggregate -- Redis's zunionInterAggregate. */
static void
aggregate(double *target, double val, int agg)
{
	if (agg == AGG_SUM) {
		*target = *target + val;
		if (isnan(*target))   /* +inf + -inf */
			*target = 0.0;
	} else if (agg == AGG_MIN) {
		*target = val < *target ? val : *target;
	} else {
		*target = val > *target ? val : *target;
	}
}

/* Result elements gathered from a kv_dict, to be sorted. */
struct zacc {
	struct zel *v;
	size_t n;
};

/* acc_add -- kv_dict_foreach callback: keep an element. */
static void
acc_add(void *ctx, const struct kv_dict_entry *x)
{
	struct zacc *a = ctx;

	a->v[a->n].m = x->field;
	a->v[a->n].len = x->flen;
	a->v[a->n].score = x->v.score;
	a->n++;
}

/* zel_cmp -- qsort comparison in the sorted set's order. */
static int
zel_cmp(const void *a, const void *b)
{
	const struct zel *x = a, *y = b;

	return zsl_cmp(x->score, x->m, x->len, y->score, y->m, y->len);
}

/*
 * acc_sorted -- the accumulated elements in the sorted set's order, in
 * a->v (pointing into acc). false when out of memory.
 */
static bool
acc_sorted(struct kv_dict *acc, struct zacc *a)
{
	uint64_t n = kv_dict_size(acc);

	a->n = 0;
	a->v = calloc(n ? n : 1, sizeof(struct zel));
	if (a->v == NULL)
		return false;
	kv_dict_foreach(acc, acc_add, a);
	qsort(a->v, a->n, sizeof(*a->v), zel_cmp);
	return true;
}

/*
 * build_result -- a detached set of sorted elements: a listpack when
 * small enough (as Redis converts its result), else a skiplist. NULL
 * when out of memory.
 */
static struct kv_entry *
build_result(struct kv_shard *s, const struct zacc *a)
{
	struct kv_entry *v = zset_new();
	size_t maxlen = 0;

	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].len > maxlen)
			maxlen = a->v[i].len;
	if ((a->n > s->cfg->zset_lp_entries || maxlen > zset_lp_value(s)) &&
	    zset_convert(s, v) != 0)
		goto fail;
	for (size_t i = 0; i < a->n; i++) {
		/* zset_insert keeps the chosen encoding: the limits hold */
		if (v->encoding == KV_ENC_LISTPACK) {
			if (zlp_insert(s, v, a->v[i].m, a->v[i].len,
				       zlp_score(a->v[i].score)) != 0)
				goto fail;
		} else if (zset_insert(s, v, a->v[i].m, a->v[i].len,
				       a->v[i].score) != 0) {
			goto fail;
		}
	}
	return v;
fail:
	zset_new_free(s, v);
	return NULL;
}

/* by_card -- stable order of inputs by size (insertion sort). */
static void
by_card(struct zsrc *src, long long n)
{
	for (long long i = 1; i < n; i++) {
		struct zsrc x = src[i];
		long long j = i;
		while (j > 0 && src_len(&src[j - 1]) > src_len(&x)) {
			src[j] = src[j - 1];
			j--;
		}
		src[j] = x;
	}
}

/* acc_put -- add or aggregate an element in the accumulator. */
static bool
acc_put(struct kv_dict *acc, const struct zel *z, double score, int agg)
{
	bool created;
	struct kv_dict_entry *x = kv_dict_add(acc, z->m, z->len, &created);

	if (x == NULL)
		return false;
	if (created)
		x->v.score = score;
	else
		aggregate(&x->v.score, score, agg);
	return true;
}

/*
 * compute_op -- the elements of a set operation into acc (a dict of
 * member -> score). limit > 0 stops an intersection at that many (for
 * ZINTERCARD). Returns false when out of memory.
 */
static bool
compute_op(struct zsrc *src, long long n, int op, int agg,
	   struct kv_dict *acc, uint64_t limit)
{
	struct zit it;
	struct zel z;
	double v;

	if (op == ZOP_DIFF) {
		uint64_t len = src_len(&src[0]);
		if (len == 0)
			return true;
		zit_seek(src[0].e, 0, &it);
		for (uint64_t i = 0; i < len; i++, zit_step(&it, false)) {
			zit_get(&it, &z);
			long long j;
			for (j = 1; j < n; j++)
				if (src[j].e != NULL &&
				    zset_score(src[j].e, z.m, z.len, &v))
					break;
			if (j == n && !acc_put(acc, &z, z.score, agg))
				return false;
		}
		return true;
	}
	by_card(src, n);
	if (op == ZOP_INTER) {
		uint64_t len = src_len(&src[0]);
		if (len == 0)
			return true;
		zit_seek(src[0].e, 0, &it);
		for (uint64_t i = 0; i < len; i++, zit_step(&it, false)) {
			zit_get(&it, &z);
			double score = src[0].weight * z.score;
			if (isnan(score))
				score = 0;
			long long j;
			for (j = 1; j < n; j++) {
				if (src[j].e == NULL ||
				    !zset_score(src[j].e, z.m, z.len, &v))
					break;
				aggregate(&score, src[j].weight * v, agg);
			}
			if (j < n)
				continue;
			if (!acc_put(acc, &z, score, agg))
				return false;
			if (limit > 0 && kv_dict_size(acc) >= limit)
				return true;
		}
		return true;
	}
	for (long long j = 0; j < n; j++) {
		uint64_t len = src_len(&src[j]);
		if (len == 0)
			continue;
		zit_seek(src[j].e, 0, &it);
		for (uint64_t i = 0; i < len; i++, zit_step(&it, false)) {
			zit_get(&it, &z);
			double score = src[j].weight * z.score;
			if (isnan(score))
				score = 0;
			if (!acc_put(acc, &z, score, agg))
				return false;
		}
	}
	return true;
}

/* What set_copy_member needs: the copy, and whether all went well. */
struct set_copy_ctx {
	struct kv_shard *s;
	struct kv_entry *z;
	int rc;
};

/* set_copy_member -- kv_set_foreach callback: a member, score 1. */
static void
set_copy_member(void *ctx, const char *p, size_t len)
{
	struct set_copy_ctx *x = ctx;

	if (x->rc == 0 && zset_insert(x->s, x->z, p, len, 1.0) != 0)
		x->rc = -1;
}

/*
 * set_as_zset -- a detached sorted set holding the members of the plain
 * set e, each with score 1 (how Redis reads a set given to ZUNION and
 * the others). NULL when out of memory.
 */
static struct kv_entry *
set_as_zset(struct kv_shard *s, struct kv_entry *e)
{
	struct set_copy_ctx x = { s, zset_new(), 0 };

	if (x.z == NULL)
		return NULL;
	kv_set_foreach(e, set_copy_member, &x);
	if (x.rc != 0) {
		zset_new_free(s, x.z);
		return NULL;
	}
	return x.z;
}

/*
 * lookup_src -- input i of a set operation from argv[j]: a sorted set,
 * a plain set (read through a copy) or a missing key. false after
 * WRONGTYPE or out of memory was replied.
 */
static bool
lookup_src(struct kv_req *r, int j, struct zsrc *x)
{
	x->e = kv_lookup(r->s, r->c->db, r->argv[j].ptr, r->argv[j].len,
			 true);
	x->weight = 1.0;
	if (x->e == NULL || x->e->type != KV_TYPE_SET)
		return kv_check_type_or_reply(r, x->e, KV_TYPE_ZSET);
	x->copy = set_as_zset(r->s, x->e);
	x->e = x->copy;
	if (x->e == NULL) {
		kv_reply_error(r->c, "OOM out of memory");
		return false;
	}
	return true;
}

/*
 * setop_generic -- Redis's zunionInterDiffGenericCommand: numkeys at
 * argv[ni], the keys, then WEIGHTS, AGGREGATE, WITHSCORES (no store) or
 * LIMIT (card); store: the destination at argv[1].
 */
static void
setop_generic(struct kv_req *r, int ni, bool store, int op, bool card)
{
	long long setnum, i;
	int j, agg = AGG_SUM;
	bool withscores = false;
	long long limit = 0;
	const char *name = r->argv[0].ptr;

	if (!kv_str2ll(r->argv[ni].ptr, r->argv[ni].len, &setnum)) {
		kv_reply_error(r->c, KV_ERR_NOT_INT);
		return;
	}
	if (setnum < 1) {
		char lower[32];
		size_t k;
		for (k = 0; k < r->argv[0].len && k < sizeof(lower) - 1; k++)
			lower[k] = (char)tolower((unsigned char)name[k]);
		lower[k] = '\0';
		kv_reply_error(r->c, "ERR at least 1 input key is needed for "
			       "'%s' command", lower);
		return;
	}
	if (setnum > r->argc - (ni + 1)) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	struct zsrc *src = calloc((size_t)setnum, sizeof(*src));
	if (src == NULL) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	for (i = 0, j = ni + 1; i < setnum; i++, j++) {
		if (!lookup_src(r, j, &src[i]))
			goto out;
	}
	while (j < r->argc) {
		int remaining = r->argc - j;
		const struct kv_arg *o = &r->argv[j];
		if (op != ZOP_DIFF && !card && remaining >= setnum + 1 &&
		    kv_arg_is(o, "weights")) {
			j++;
			for (i = 0; i < setnum; i++, j++) {
				if (!zs_str2d(&r->argv[j], &src[i].weight)) {
					kv_reply_error(r->c, "ERR weight value "
						       "is not a float");
					goto out;
				}
			}
		} else if (op != ZOP_DIFF && !card && remaining >= 2 &&
			   kv_arg_is(o, "aggregate")) {
			o = &r->argv[j + 1];
			if (kv_arg_is(o, "sum")) {
				agg = AGG_SUM;
			} else if (kv_arg_is(o, "min")) {
				agg = AGG_MIN;
			} else if (kv_arg_is(o, "max")) {
				agg = AGG_MAX;
			} else {
				kv_reply_error(r->c, KV_ERR_SYNTAX);
				goto out;
			}
			j += 2;
		} else if (!store && !card && kv_arg_is(o, "withscores")) {
			withscores = true;
			j++;
		} else if (card && remaining >= 2 && kv_arg_is(o, "limit")) {
			if (!kv_str2ll(r->argv[j + 1].ptr, r->argv[j + 1].len,
				       &limit) || limit < 0) {
				kv_reply_error(r->c, "ERR LIMIT can't be "
					       "negative");
				goto out;
			}
			j += 2;
		} else {
			kv_reply_error(r->c, KV_ERR_SYNTAX);
			goto out;
		}
	}

	struct kv_dict *acc = kv_dict_create(kv_rand(r->s), false, NULL);
	if (acc == NULL || !compute_op(src, setnum, op, agg, acc,
				       card ? (uint64_t)limit : 0)) {
		kv_dict_free(acc);
		kv_reply_error(r->c, "OOM out of memory");
		goto out;
	}
	if (card) {
		kv_reply_int(r->c, (long long)kv_dict_size(acc));
		kv_dict_free(acc);
		goto out;
	}
	struct zacc a;
	if (!acc_sorted(acc, &a)) {
		kv_dict_free(acc);
		kv_reply_error(r->c, "OOM out of memory");
		goto out;
	}
	if (store) {
		/* Redis's result: a skiplist made compact if small */
		struct kv_entry *v = build_result(r->s, &a);
		if (v == NULL)
			kv_reply_error(r->c, "OOM out of memory");
		else
			store_result(r, 1, v);
	} else {
		/* replied from Redis's skiplist: -0 stays -0 */
		kv_reply_array(r->c, (long long)(withscores ? a.n * 2 : a.n));
		for (size_t i = 0; i < a.n; i++)
			reply_elem(r, &a.v[i], withscores);
	}
	free(a.v);
	kv_dict_free(acc);
out:
	for (i = 0; i < setnum; i++)
		zset_new_free(r->s, src[i].copy);
	free(src);
}

void
cmd_zunion(struct kv_req *r)
{
	setop_generic(r, 1, false, ZOP_UNION, false);
}

void
cmd_zunionstore(struct kv_req *r)
{
	setop_generic(r, 2, true, ZOP_UNION, false);
}

void
cmd_zinter(struct kv_req *r)
{
	setop_generic(r, 1, false, ZOP_INTER, false);
}

void
cmd_zinterstore(struct kv_req *r)
{
	setop_generic(r, 2, true, ZOP_INTER, false);
}

void
cmd_zintercard(struct kv_req *r)
{
	setop_generic(r, 1, false, ZOP_INTER, true);
}

void
cmd_zdiff(struct kv_req *r)
{
	setop_generic(r, 1, false, ZOP_DIFF, false);
}

void
cmd_zdiffstore(struct kv_req *r)
{
	setop_generic(r, 2, true, ZOP_DIFF, false);
}

/* ZSCAN. */

/* Elements gathered by ZSCAN, with their scores as text. */
struct scan_acc {
	struct zel *v;
	size_t n, cap;
	bool oom;
};

/* scan_add -- keep an element. */
static void
scan_add(struct scan_acc *a, const char *m, uint32_t len, double score)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		struct zel *v = realloc(a->v, cap * sizeof(*v));
		if (v == NULL) {
			a->oom = true;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n].m = m;
	a->v[a->n].len = len;
	a->v[a->n].score = score;
	a->n++;
}

/* scan_add_entry -- kv_dict_scan callback. */
static void
scan_add_entry(void *ctx, const struct kv_dict_entry *x)
{
	scan_add(ctx, x->field, x->flen, x->v.score);
}

void
cmd_zscan(struct kv_req *r)
{
	struct kv_entry *e;
	unsigned long long cursor;
	long long count;
	const struct kv_arg *pat;
	struct scan_acc acc = { 0 };
	char buf[64];

	if (!kv_scan_cursor_or_reply(r, &r->argv[2], &cursor))
		return;
	if (!lookup_zset(r, 1, &e, false))
		return;
	if (e == NULL) {
		kv_reply_scan_empty(r->c);
		return;
	}
	if (!kv_scan_options_or_reply(r, 3, &count, &pat))
		return;
	bool lp = e->encoding == KV_ENC_LISTPACK;
	if (lp) {
		struct zel z;
		for (uint32_t off = 0; off < e->v.lp.len;) {
			off = zlp_read(e->v.lp.buf, off, &z);
			scan_add(&acc, z.m, z.len, z.score);
		}
		cursor = 0;
	} else {
		/* As Redis: up to count*10 buckets until count items (a
		 * member and its score are two). */
		long long maxiter = count > LLONG_MAX / 10 ? LLONG_MAX
							   : count * 10;
		do {
			cursor = kv_dict_scan(e->v.z.d, cursor, scan_add_entry,
					      &acc);
		} while (cursor != 0 && maxiter-- > 0 &&
			 acc.n * 2 < (unsigned long long)count);
	}
	if (acc.oom) {
		free(acc.v);
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	size_t keep = 0;
	for (size_t i = 0; i < acc.n; i++)
		if (pat == NULL || kv_stringmatch(pat->ptr, pat->len,
						  acc.v[i].m, acc.v[i].len,
						  false))
			acc.v[keep++] = acc.v[i];
	kv_reply_array(r->c, 2);
	int n = snprintf(buf, sizeof(buf), "%llu", cursor);
	kv_reply_bulk(r->c, buf, (size_t)n);
	kv_reply_array(r->c, (long long)keep * 2);
	for (size_t i = 0; i < keep; i++) {
		kv_reply_bulk(r->c, acc.v[i].m, acc.v[i].len);
		n = lp ? kv_zset_fmt_lp_score(buf, sizeof(buf),
					      acc.v[i].score)
		       : fmt_score(buf, sizeof(buf), acc.v[i].score);
		kv_reply_bulk(r->c, buf, (size_t)n);
	}
	free(acc.v);
}

void
kv_zset_init(struct kv_entry *e)
{
	e->type = KV_TYPE_ZSET;
	e->encoding = KV_ENC_LISTPACK;
	memset(&e->v.lp, 0, sizeof(e->v.lp));
}

int
kv_zset_add(struct kv_shard *s, struct kv_entry *e, const char *m,
	    size_t len, double score)
{
	double cur;

	if (zset_score(e, m, len, &cur))
		return 0;
	return zset_put(s, e, m, len, score, true) == 0 ? 1 : -1;
}

/* kv_zset_lp_canon -- a loaded listpack's -0 scores made 0 (kv_private.h). */
void
kv_zset_lp_canon(struct kv_entry *e)
{
	struct zel z;

	if (e->encoding != KV_ENC_LISTPACK)
		return;
	for (uint32_t off = 0, next; off < e->v.lp.len; off = next) {
		next = zlp_read(e->v.lp.buf, off, &z);
		if (z.score == 0 && signbit(z.score)) {
			double zero = 0;
			memcpy(e->v.lp.buf + off + 1 + z.len, &zero,
			       sizeof(zero));
		}
	}
}

uint64_t
kv_zset_len(const struct kv_entry *e)
{
	return zset_len(e);
}

void
kv_zset_foreach(const struct kv_entry *e, bool rev, kv_scored_fn fn,
		void *ctx)
{
	uint64_t n = zset_len(e);
	struct zit it;
	struct zel z;

	if (n == 0)
		return;
	zit_seek(e, rev ? n - 1 : 0, &it);
	do {
		zit_get(&it, &z);
		fn(ctx, z.m, z.len, z.score);
	} while (zit_step(&it, rev));
}

/* What dup_element needs: the copy, and whether all went well. */
struct zset_dup_ctx {
	struct kv_shard *s;
	struct kv_entry *dst;
	int rc;
};

/*
 * dup_element -- kv_zset_foreach callback of kv_zset_dup: a listpack's
 * element copied as it is (-0 included, whatever the limits are now),
 * as Redis copies the listpack's bytes.
 */
static void
dup_element(void *ctx, const char *m, size_t len, double score)
{
	struct zset_dup_ctx *x = ctx;

	if (x->rc != 0)
		return;
	if (x->dst->encoding == KV_ENC_LISTPACK)
		x->rc = zlp_insert(x->s, x->dst, m, (uint32_t)len, score);
	else
		x->rc = zset_insert(x->s, x->dst, m, len, score);
}

int
kv_zset_dup(struct kv_shard *s, struct kv_entry *dst,
	    const struct kv_entry *src)
{
	struct zset_dup_ctx x = { s, dst, 0 };

	dst->type = KV_TYPE_ZSET;
	dst->encoding = KV_ENC_LISTPACK;
	memset(&dst->v.lp, 0, sizeof(dst->v.lp));
	/* The copy keeps the encoding, as Redis's zsetDup. */
	if (src->encoding == KV_ENC_SKIPLIST && zset_convert(s, dst) != 0)
		return -1;
	kv_zset_foreach(src, false, dup_element, &x);
	return x.rc;
}

int
kv_zset_to_skiplist(struct kv_shard *s, struct kv_entry *e)
{
	return e->encoding == KV_ENC_LISTPACK ? zset_convert(s, e) : 0;
}

bool
kv_zset_score(const struct kv_entry *e, const char *m, size_t len,
	      double *score)
{
	return zset_score(e, m, len, score);
}

void
kv_zset_score_range(const struct kv_entry *e, double min, double max,
		    kv_scored_stop_fn fn, void *ctx)
{
	struct zs_range sr = { min, max, false, true };
	uint64_t lo, hi;
	struct zit it;
	struct zel z;

	lo = zset_count_while(e, score_below_min, &sr);
	hi = zset_count_while(e, score_lte_max, &sr);
	if (hi <= lo)
		return;
	zit_seek(e, lo, &it);
	do {
		zit_get(&it, &z);
		if (!fn(ctx, z.m, z.len, z.score))
			return;
	} while (++lo < hi && zit_step(&it, false));
}

struct kv_entry *
kv_zset_new(void)
{
	return zset_new();
}

void
kv_zset_store(struct kv_req *r, int di, struct kv_entry *v)
{
	store_result(r, di, v);
}
