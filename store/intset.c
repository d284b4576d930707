/*
 * intset.c -- a sorted array of integers of one width (intset.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "intset.h"

struct kv_intset {
	uint32_t width;    /* bytes per member: 2, 4 or 8 */
	uint32_t n;        /* members */
	union {
		int16_t i16[0];
		int32_t i32[0];
		int64_t i64[0];
	} a;               /* n members, ascending */
};

/* width_of -- the smallest width that holds v. */
static uint32_t
width_of(int64_t v)
{
	if (v >= INT16_MIN && v <= INT16_MAX)
		return 2;
	if (v >= INT32_MIN && v <= INT32_MAX)
		return 4;
	return 8;
}

/* get_w -- the member at i read with width w. */
static int64_t
get_w(const struct kv_intset *is, uint32_t i, uint32_t w)
{
	if (w == 8)
		return is->a.i64[i];
	if (w == 4)
		return is->a.i32[i];
	return is->a.i16[i];
}

/* put -- store v at i with the intset's width. */
static void
put(struct kv_intset *is, uint32_t i, int64_t v)
{
	if (is->width == 8)
		is->a.i64[i] = v;
	else if (is->width == 4)
		is->a.i32[i] = (int32_t)v;
	else
		is->a.i16[i] = (int16_t)v;
}

/* size_for -- bytes of an intset of n members of width w. */
static size_t
size_for(uint32_t n, uint32_t w)
{
	return sizeof(struct kv_intset) + (size_t)n * w;
}

/* resize -- reallocate for n members of width w; NULL when out of memory
 * (the intset is then unchanged). */
static struct kv_intset *
resize(struct kv_intset *is, uint32_t n, uint32_t w, uint64_t *acct)
{
	size_t old = size_for(is->n, is->width), want = size_for(n, w);
	struct kv_intset *p = realloc(is, want);

	if (p == NULL)
		return NULL;
	if (acct != NULL)
		*acct += want - old;   /* wraps to a subtraction when smaller */
	return p;
}

/*
 * search -- binary search for v; returns true if found, and in *pos the
 * position of v or where it would be inserted.
 */
static bool
search(const struct kv_intset *is, int64_t v, uint32_t *pos)
{
	uint32_t lo = 0, hi = is->n;

	if (is->n > 0) {
		/* Appends and prepends are common: check the ends first. */
		if (v > get_w(is, is->n - 1, is->width)) {
			*pos = is->n;
			return false;
		}
		if (v < get_w(is, 0, is->width)) {
			*pos = 0;
			return false;
		}
	}
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int64_t x = get_w(is, mid, is->width);
		if (x == v) {
			*pos = mid;
			return true;
		}
		if (x < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return false;
}

struct kv_intset *
kv_intset_create(uint64_t *acct)
{
	struct kv_intset *is = malloc(sizeof(*is));

	if (is == NULL)
		return NULL;
	is->width = 2;
	is->n = 0;
	if (acct != NULL)
		*acct += sizeof(*is);
	return is;
}

void
kv_intset_free(struct kv_intset *is, uint64_t *acct)
{
	if (is == NULL)
		return;
	if (acct != NULL)
		*acct -= size_for(is->n, is->width);
	free(is);
}

uint32_t
kv_intset_len(const struct kv_intset *is)
{
	return is->n;
}

unsigned
kv_intset_width(const struct kv_intset *is)
{
	return is->width;
}

size_t
kv_intset_bytes(const struct kv_intset *is)
{
	return size_for(is->n, is->width);
}

int64_t
kv_intset_get(const struct kv_intset *is, uint32_t i)
{
	return get_w(is, i, is->width);
}

bool
kv_intset_find(const struct kv_intset *is, int64_t v)
{
	uint32_t pos;

	return width_of(v) <= is->width && search(is, v, &pos);
}

/*
 * upgrade_add -- add v, which needs a wider type than the members: widen
 * every member (from the end, so nothing is overwritten before it is
 * read) and put v at one end, since it is beyond all of them.
 */
static int
upgrade_add(struct kv_intset **isp, int64_t v, uint64_t *acct)
{
	struct kv_intset *is = *isp;
	uint32_t old_w = is->width, n = is->n, w = width_of(v);
	bool front = v < 0;
	struct kv_intset *p = resize(is, n + 1, w, acct);

	if (p == NULL)
		return -ENOMEM;
	p->width = w;
	for (uint32_t i = n; i-- > 0;)
		put(p, i + front, get_w(p, i, old_w));
	put(p, front ? 0 : n, v);
	p->n = n + 1;
	*isp = p;
	return 1;
}

int
kv_intset_add(struct kv_intset **isp, int64_t v, uint64_t *acct)
{
	struct kv_intset *is = *isp;
	uint32_t pos;

	if (width_of(v) > is->width)
		return upgrade_add(isp, v, acct);
	if (search(is, v, &pos))
		return 0;
	struct kv_intset *p = resize(is, is->n + 1, is->width, acct);
	if (p == NULL)
		return -ENOMEM;
	memmove((char *)p->a.i64 + (size_t)(pos + 1) * p->width,
		(char *)p->a.i64 + (size_t)pos * p->width,
		(size_t)(p->n - pos) * p->width);
	put(p, pos, v);
	p->n++;
	*isp = p;
	return 1;
}

bool
kv_intset_del(struct kv_intset **isp, int64_t v, uint64_t *acct)
{
	struct kv_intset *is = *isp;
	uint32_t pos;

	if (width_of(v) > is->width || !search(is, v, &pos))
		return false;
	memmove((char *)is->a.i64 + (size_t)pos * is->width,
		(char *)is->a.i64 + (size_t)(pos + 1) * is->width,
		(size_t)(is->n - pos - 1) * is->width);
	/* A smaller realloc hardly fails; if it does, the block stays
	 * (counted as size_for(n - 1), which free subtracts). */
	struct kv_intset *p = resize(is, is->n - 1, is->width, acct);
	if (p == NULL) {
		if (acct != NULL)
			*acct -= is->width;
		p = is;
	}
	p->n--;
	*isp = p;
	return true;
}

int
kv_intset_check(const struct kv_intset *is)
{
	if (is->width != 2 && is->width != 4 && is->width != 8)
		return -EINVAL;
	for (uint32_t i = 1; i < is->n; i++)
		if (get_w(is, i - 1, is->width) >= get_w(is, i, is->width))
			return -EINVAL;
	return 0;
}
