/*
 * sort.c -- SORT and SORT_RO, with Redis 7.0's options and semantics:
 * BY pattern (a constant pattern means "do not sort"), LIMIT, GET
 * patterns ("#" is the element itself, "key*->field" reads a hash
 * field), ASC/DESC, ALPHA, STORE.
 *
 * The elements are gathered into a vector by one loader per type
 * (sort_load_list; a new type adds its loader to sort_types), sorted
 * with qsort, then replied or stored. Scores, and ALPHA BY keys, are
 * computed once per element before sorting. STORE's effect is logged as
 * DEL and RPUSH of the result in one record.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "kv_private.h"

#define SORT_RPUSH_CHUNK 512       /* elements per logged RPUSH */

/* One element to sort. */
struct sort_elem {
	const char *ptr;           /* the element (points into the value) */
	size_t len;
	double score;              /* numeric sort */
	char *cmp;                 /* ALPHA BY: the value of the BY key */
	size_t cmplen;
	bool has_cmp;
	bool owned;                /* ptr is a copy to free (list elements,
				    * set members) */
};

/* What the options asked for. */
struct sort_opts {
	bool desc, alpha, dontsort, store;
	long start, count;         /* LIMIT, count -1: all */
	const struct kv_arg *by;   /* NULL: the elements themselves */
	const struct kv_arg *dst;  /* STORE destination */
	const struct kv_arg **get; /* GET patterns */
	int n_get;
};

/* A looked-up value: bytes, valid until the next lookup. */
struct sort_val {
	const char *ptr;
	size_t len;
	char buf[32];              /* an integer-encoded string's digits */
};

/* bytes_cmp -- Redis's binary comparison of two strings. */
static int
bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl;
}

/* sort_cmp -- Redis's sortCompare (ctx: the struct sort_opts). */
static int
sort_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct sort_elem *a = pa, *b = pb;
	const struct sort_opts *cmp_opts = ctx;
	int c;

	if (!cmp_opts->alpha) {
		if (a->score > b->score)
			c = 1;
		else if (a->score < b->score)
			c = -1;
		else
			c = bytes_cmp(a->ptr, a->len, b->ptr, b->len);
	} else if (cmp_opts->by != NULL) {
		if (!a->has_cmp || !b->has_cmp)
			c = a->has_cmp == b->has_cmp ? 0 : a->has_cmp ? 1 : -1;
		else
			c = bytes_cmp(a->cmp, a->cmplen, b->cmp, b->cmplen);
	} else {
		c = bytes_cmp(a->ptr, a->len, b->ptr, b->len);
	}
	return cmp_opts->desc ? -c : c;
}

/*
 * lookup_by_pattern -- Redis's lookupKeyByPattern: replace the first '*'
 * of pat with the element, read that key (a string), or with "->field"
 * after the '*', that field of that hash. "#" is the element itself.
 * Returns false if there is no such value.
 */
static bool
lookup_by_pattern(struct kv_req *r, const struct kv_arg *pat,
		  const char *el, size_t elen, struct sort_val *out)
{
	/* Redis reads the pattern as a C string. */
	size_t plen = strnlen(pat->ptr, pat->len);
	const char *p = pat->ptr;

	if (plen == 1 && p[0] == '#') {
		out->ptr = el;
		out->len = elen;
		return true;
	}
	const char *star = memchr(p, '*', plen);
	if (star == NULL)
		return false;
	const char *field = NULL, *arrow = NULL;
	size_t flen = 0;
	for (const char *q = star + 1; q + 1 < p + plen; q++) {
		if (q[0] == '-' && q[1] == '>') {
			arrow = q;
			break;
		}
	}
	if (arrow != NULL && arrow + 2 < p + plen) {
		field = arrow + 2;
		flen = (size_t)(p + plen - field);
	}
	size_t pre = (size_t)(star - p);
	size_t post = plen - pre - 1 - (field != NULL ? flen + 2 : 0);
	size_t klen = pre + elen + post;
	char stack[256], *key = klen <= sizeof(stack) ? stack : malloc(klen);
	if (key == NULL)
		return false;
	memcpy(key, p, pre);
	memcpy(key + pre, el, elen);
	memcpy(key + pre + elen, star + 1, post);
	struct kv_entry *e = kv_lookup(r->s, r->c->db, key, klen, true);
	if (key != stack)
		free(key);
	if (e == NULL)
		return false;
	if (field != NULL) {
		return e->type == KV_TYPE_HASH &&
		       kv_hash_get(e, field, flen, &out->ptr, &out->len) == 0;
	}
	if (e->type != KV_TYPE_STRING)
		return false;
	out->ptr = kv_str_get(e, out->buf, &out->len);
	return true;
}

/* parse_score -- Redis's strtod of a whole value; false if not a number. */
static bool
parse_score(const char *p, size_t len, double *out)
{
	char stack[128], *buf = len < sizeof(stack) ? stack : malloc(len + 1);
	char *end;
	bool ok;

	if (buf == NULL)
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	/* The value stops at its first NUL, as the C string Redis reads. */
	ok = end[0] == '\0' && errno != ERANGE && !isnan(*out);
	if (buf != stack)
		free(buf);
	return ok;
}

/*
 * parse_opts_or_reply -- the options after the key. Returns false after
 * replying with an error.
 */
static bool
parse_opts_or_reply(struct kv_req *r, bool readonly, struct sort_opts *o)
{
	for (int j = 2; j < r->argc; j++) {
		const struct kv_arg *a = &r->argv[j];
		int left = r->argc - j - 1;
		long long v1, v2;

		if (kv_arg_is(a, "asc")) {
			o->desc = false;
		} else if (kv_arg_is(a, "desc")) {
			o->desc = true;
		} else if (kv_arg_is(a, "alpha")) {
			o->alpha = true;
		} else if (kv_arg_is(a, "limit") && left >= 2) {
			if (!kv_str2ll(r->argv[j + 1].ptr, r->argv[j + 1].len,
				       &v1) ||
			    !kv_str2ll(r->argv[j + 2].ptr, r->argv[j + 2].len,
				       &v2)) {
				kv_reply_error(r->c, KV_ERR_NOT_INT);
				return false;
			}
			o->start = (long)v1;
			o->count = (long)v2;
			j += 2;
		} else if (!readonly && kv_arg_is(a, "store") && left >= 1) {
			o->dst = &r->argv[j + 1];
			o->store = true;
			j++;
		} else if (kv_arg_is(a, "by") && left >= 1) {
			o->by = &r->argv[j + 1];
			o->dontsort = memchr(o->by->ptr, '*',
					     strnlen(o->by->ptr,
						     o->by->len)) == NULL;
			j++;
		} else if (kv_arg_is(a, "get") && left >= 1) {
			o->get[o->n_get++] = &r->argv[j + 1];
			j++;
		} else {
			kv_reply_error(r->c, KV_ERR_SYNTAX);
			return false;
		}
	}
	return true;
}

/* list_len -- the number of elements of a list. */
static long
list_len(const struct kv_entry *e)
{
	return kv_list_len(e);
}

/* What the set and sorted set loaders' callbacks fill. */
struct load_ctx {
	struct sort_elem *v;
	size_t n;
};

/* load_member -- kv_set_foreach callback: a copy of the member. */
static void
load_member(void *ctx, const char *p, size_t len)
{
	struct load_ctx *x = ctx;
	char *copy = malloc(len ? len : 1);

	if (copy == NULL)
		return;            /* left out: the caller sees fewer */
	memcpy(copy, p, len);
	x->v[x->n].ptr = copy;
	x->v[x->n].len = len;
	x->v[x->n].owned = true;
	x->n++;
}

/* set_len -- the number of members of a set. */
static long
set_len(const struct kv_entry *e)
{
	return (long)kv_set_len(e);
}

/*
 * sort_load_list -- copies of the elements of a list, all of them, or
 * with dontsort only the LIMIT range in list order (from the tail for
 * DESC).
 */
static size_t
sort_load_list(const struct kv_entry *e, const struct sort_opts *o,
	       long start, long n, struct sort_elem *v)
{
	struct load_ctx x = { v, 0 };

	if (!o->dontsort) {
		start = 0;
		n = list_len(e);
	}
	kv_list_foreach(e, (uint32_t)start, (uint32_t)n,
			o->dontsort && o->desc, load_member, &x);
	return x.n;
}

/* sort_load_set -- every member of a set, in the set's order. */
static size_t
sort_load_set(const struct kv_entry *e, const struct sort_opts *o,
	      long start, long n, struct sort_elem *v)
{
	struct load_ctx x = { v, 0 };

	(void)o;
	(void)start;
	(void)n;
	kv_set_foreach((struct kv_entry *)e, load_member, &x);
	return x.n;
}

/* load_element -- kv_zset_foreach callback: the member, in place. */
static void
load_element(void *ctx, const char *m, size_t len, double score)
{
	struct load_ctx *x = ctx;

	(void)score;
	x->v[x->n].ptr = m;
	x->v[x->n].len = len;
	x->n++;
}

/* zset_len -- the number of members of a sorted set. */
static long
zset_len(const struct kv_entry *e)
{
	return (long)kv_zset_len(e);
}

/*
 * sort_load_zset -- the members of a sorted set in rank order, or with
 * dontsort only the LIMIT range (from the highest rank for DESC).
 */
static size_t
sort_load_zset(const struct kv_entry *e, const struct sort_opts *o,
	       long start, long n, struct sort_elem *v)
{
	long len = zset_len(e);
	struct load_ctx x = { v, 0 };

	if (!o->dontsort || n == len) {
		kv_zset_foreach(e, false, load_element, &x);
		if (o->dontsort && o->desc)
			for (size_t i = 0; i < x.n / 2; i++) {
				struct sort_elem t = v[i];
				v[i] = v[x.n - 1 - i];
				v[x.n - 1 - i] = t;
			}
		return x.n;
	}
	x.v = calloc((size_t)len, sizeof(*x.v));
	if (x.v == NULL)
		return 0;
	kv_zset_foreach(e, false, load_element, &x);
	for (long i = 0; i < n; i++)
		v[i] = x.v[o->desc ? len - start - 1 - i : start + i];
	free(x.v);
	return (size_t)n;
}

/*
 * The types SORT accepts: a new type adds its length and loader here.
 * The loader fills v with the elements (all of them, or with dontsort
 * the n from start in the type's own order) and returns how many.
 */
static const struct sort_type {
	enum kv_type type;
	long (*len)(const struct kv_entry *e);
	size_t (*load)(const struct kv_entry *e, const struct sort_opts *o,
		       long start, long n, struct sort_elem *v);
	bool ranged;       /* with dontsort, loads only the LIMIT range */
} sort_types[] = {
	{ KV_TYPE_LIST, list_len, sort_load_list, true },
	{ KV_TYPE_SET, set_len, sort_load_set, false },
	{ KV_TYPE_ZSET, zset_len, sort_load_zset, true },
};

/* sort_type_of -- how to sort a value, NULL if SORT refuses its type. */
static const struct sort_type *
sort_type_of(const struct kv_entry *e)
{
	for (size_t i = 0; i < RTE_DIM(sort_types); i++)
		if (sort_types[i].type == e->type)
			return &sort_types[i];
	return NULL;
}

/* score_elements -- the numeric scores or ALPHA BY keys; false if a
 * score is not a number. */
static bool
score_elements(struct kv_req *r, const struct sort_opts *o,
	       struct sort_elem *v, size_t n)
{
	bool ok = true;

	for (size_t j = 0; j < n; j++) {
		struct sort_val sv;
		if (o->by != NULL) {
			if (!lookup_by_pattern(r, o->by, v[j].ptr, v[j].len,
					       &sv))
				continue;
		} else {
			sv.ptr = v[j].ptr;
			sv.len = v[j].len;
		}
		if (o->alpha) {
			if (o->by == NULL)
				continue;
			v[j].cmp = malloc(sv.len ? sv.len : 1);
			if (v[j].cmp == NULL)
				continue;
			memcpy(v[j].cmp, sv.ptr, sv.len);
			v[j].cmplen = sv.len;
			v[j].has_cmp = true;
		} else if (!parse_score(sv.ptr, sv.len, &v[j].score)) {
			ok = false;
		}
	}
	return ok;
}

/* reply_results -- the sorted range (or its GET values) as an array. */
static void
reply_results(struct kv_req *r, const struct sort_opts *o,
	      const struct sort_elem *v, long start, long end)
{
	long n = end - start + 1;

	kv_reply_array(r->c, o->n_get ? (long long)o->n_get * n : n);
	for (long j = start; j <= end; j++) {
		if (o->n_get == 0)
			kv_reply_bulk(r->c, v[j].ptr, v[j].len);
		for (int g = 0; g < o->n_get; g++) {
			struct sort_val sv;
			if (lookup_by_pattern(r, o->get[g], v[j].ptr,
					      v[j].len, &sv))
				kv_reply_bulk(r->c, sv.ptr, sv.len);
			else
				kv_reply_null(r->c);
		}
	}
}

/*
 * store_results -- STORE: the result as a list at dst (replacing any
 * value and its TTL), or dst deleted when the result is empty. Returns
 * the number of elements stored, -1 when out of memory (replied).
 */
static long long
store_results(struct kv_req *r, const struct sort_opts *o,
	      const struct sort_elem *v, long start, long end)
{
	struct kv_shard *s = r->s;
	unsigned db = r->c->db;
	long n = end - start + 1;
	long long total = o->n_get ? (long long)o->n_get * n : n;
	struct kv_lelem *items = NULL;
	long long k = 0;

	if (total > 0) {
		items = calloc((size_t)total, sizeof(*items));
		if (items == NULL)
			goto oom;
	}
	for (long j = start; j <= end; j++) {
		for (int g = 0; g < (o->n_get ? o->n_get : 1); g++) {
			struct sort_val sv = { .ptr = "", .len = 0 };
			if (o->n_get == 0) {
				sv.ptr = v[j].ptr;
				sv.len = v[j].len;
			} else {
				lookup_by_pattern(r, o->get[g], v[j].ptr,
						  v[j].len, &sv);
			}
			items[k].ptr = malloc(sv.len ? sv.len : 1);
			if (items[k].ptr == NULL)
				goto oom;
			memcpy(items[k].ptr, sv.ptr, sv.len);
			items[k].len = sv.len;
			k++;
		}
	}
	struct kv_entry *e = kv_lookup(s, db, o->dst->ptr, o->dst->len,
				       false);
	struct kv_arg del[2] = { { "DEL", 3 }, *o->dst };
	if (total == 0) {
		if (e != NULL) {
			kv_delete(s, db, e);
			kv_propagate(s, db, 2, del);
		}
		return 0;
	}
	if (e != NULL)
		kv_delete(s, db, e);
	e = kv_create(s, db, o->dst->ptr, o->dst->len);
	if (e == NULL || kv_list_set(s, e, items, (uint32_t)total) != 0) {
		if (e != NULL)
			kv_delete(s, db, e);
		goto oom;
	}
	/* The list holds copies of the elements now; log the effect: DEL dst, then
	 * RPUSH dst in chunks, as one record. */
	kv_propagate_begin(s);
	kv_propagate(s, db, 2, del);
	struct kv_arg *argv = malloc((SORT_RPUSH_CHUNK + 2) * sizeof(*argv));
	if (argv != NULL) {
		argv[0] = (struct kv_arg){ "RPUSH", 5 };
		argv[1] = *o->dst;
		for (long long i = 0; i < total; i += SORT_RPUSH_CHUNK) {
			int c = 2;
			for (long long x = i; x < total &&
			     x < i + SORT_RPUSH_CHUNK; x++)
				argv[c++] = (struct kv_arg){ items[x].ptr,
							     items[x].len };
			kv_propagate(s, db, c, argv);
		}
		free(argv);
	} else {
		s->stats.log_full_errors++;
	}
	kv_propagate_end(s);
	k = total;
	for (long long i = 0; i < k; i++)
		free(items[i].ptr);
	free(items);
	return total;
oom:
	for (long long i = 0; i < k; i++)
		free(items[i].ptr);
	free(items);
	kv_reply_error(r->c, "OOM out of memory");
	return -1;
}

/* sort_generic -- SORT (readonly false) and SORT_RO. */
static void
sort_generic(struct kv_req *r, bool readonly)
{
	struct sort_opts o = { .count = -1 };
	struct sort_elem *v = NULL;

	o.get = malloc((size_t)r->argc * sizeof(*o.get));
	if (o.get == NULL) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	if (!parse_opts_or_reply(r, readonly, &o))
		goto out;
	struct kv_entry *e = kv_lookup(r->s, r->c->db, r->argv[1].ptr,
				       r->argv[1].len, true);
	const struct sort_type *st = e != NULL ? sort_type_of(e) : NULL;
	if (e != NULL && st == NULL) {
		kv_reply_error(r->c, KV_ERR_WRONGTYPE);
		goto out;
	}
	/* As Redis: a sorted set SORT reads becomes a skiplist for good. */
	if (e != NULL && e->type == KV_TYPE_ZSET)
		(void)kv_zset_to_skiplist(r->s, e);
	/*
	 * A set has no order of its own: stored, it is sorted ALPHA so
	 * that the result (and its effect) does not depend on the table.
	 */
	if (o.dontsort && e != NULL && e->type == KV_TYPE_SET && o.store) {
		o.dontsort = false;
		o.alpha = true;
		o.by = NULL;
	}
	/* LIMIT as Redis clamps it. */
	long len = st != NULL ? st->len(e) : 0;
	long start = o.start < 0 ? 0 : o.start;
	long end;
	if (o.count < 0)
		end = len - 1;
	else if (__builtin_add_overflow(start, o.count - 1, &end))
		end = LONG_MAX;
	if (start >= len) {
		start = len - 1;
		end = len - 2;
	}
	if (end >= len)
		end = len - 1;
	/* Without sorting only the range is loaded. */
	long n = len;
	if (o.dontsort && st != NULL && st->ranged &&
	    (start != 0 || end != len - 1))
		n = end - start + 1;
	if (n > 0) {
		v = calloc((size_t)n, sizeof(*v));
		if (v == NULL) {
			kv_reply_error(r->c, "OOM out of memory");
			goto out;
		}
	}
	size_t loaded = 0;
	if (n > 0)
		loaded = st->load(e, &o, start, n, v);
	if (loaded != (size_t)(n > 0 ? n : 0)) {
		kv_reply_error(r->c, "OOM out of memory");
		goto done;
	}
	if (o.dontsort && n != len) {
		end -= start;
		start = 0;
	}
	bool ok = true;
	if (!o.dontsort) {
		ok = score_elements(r, &o, v, loaded);
		if (loaded > 1)
			qsort_r(v, loaded, sizeof(*v), sort_cmp, &o);
	}
	if (!ok) {
		kv_reply_error(r->c, "ERR One or more scores can't be "
			       "converted into double");
	} else if (!o.store) {
		reply_results(r, &o, v, start, end);
	} else {
		long long stored = store_results(r, &o, v, start, end);
		if (stored >= 0)
			kv_reply_int(r->c, stored);
	}
done:
	for (size_t j = 0; j < loaded; j++) {
		free(v[j].cmp);
		if (v[j].owned)
			free((char *)v[j].ptr);
	}
out:
	free(v);
	free(o.get);
}

void
cmd_sort(struct kv_req *r)
{
	sort_generic(r, false);
}

void
cmd_sort_ro(struct kv_req *r)
{
	sort_generic(r, true);
}
