/*
 * dict.c -- a chained hash table of byte-string fields with incremental
 * rehash, as Redis's dict: ht[0] is the table in use; while it grows or
 * shrinks, ht[1] is the new one and rehashidx the next bucket of ht[0] to
 * move. Adds go to ht[1] during a rehash; lookups and deletes look in
 * both tables. Each operation moves one bucket (visiting at most ten
 * empty ones), so the cost of a resize is spread over the following
 * operations.
 *
 * A table grows to twice the number of elements when it holds as many
 * elements as buckets, and shrinks to fit when it is less than 1/8 full.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"

#define DICT_MIN_SIZE 4
#define DICT_STEP_BUCKETS 1
#define DICT_SHRINK_RATIO 8

struct dict_table {
	struct kv_dict_entry **b;
	uint64_t size;   /* 0 or a power of two */
	uint64_t used;
};

struct kv_dict {
	struct dict_table ht[2];
	int64_t rehashidx;   /* -1: not rehashing */
	uint64_t k0, k1;     /* SipHash key */
	uint64_t bytes;
	uint64_t *acct;
	bool byte_values;
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND(v0, v1, v2, v3)                                        \
	do {                                                             \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                   \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                   \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

/* load64 -- 8 bytes, little-endian. */
static inline uint64_t
load64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

uint64_t
kv_dict_hash(uint64_t k0, uint64_t k1, const char *p, size_t len)
{
	const unsigned char *in = (const unsigned char *)p;
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k1 ^ 0x7465646279746573ULL;
	uint64_t m, b = (uint64_t)len << 56;
	size_t left = len & 7;
	const unsigned char *end = in + len - left;

	for (; in != end; in += 8) {
		m = load64(in);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (size_t i = 0; i < left; i++)
		b |= (uint64_t)in[i] << (8 * i);
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* mem_add -- account bytes allocated (negative: freed). */
static inline void
mem_add(struct kv_dict *d, int64_t n)
{
	d->bytes += (uint64_t)n;
	if (d->acct != NULL)
		*d->acct += (uint64_t)n;
}

/* hash_of -- the hash of a field under this dict's key. */
static inline uint64_t
hash_of(const struct kv_dict *d, const char *f, size_t flen)
{
	return kv_dict_hash(d->k0, d->k1, f, flen);
}

/* entry_bytes -- bytes accounted for an entry, its value included. */
static inline size_t
entry_bytes(const struct kv_dict *d, const struct kv_dict_entry *e)
{
	return sizeof(*e) + e->flen + (d->byte_values ? e->v.s.len : 0);
}

struct kv_dict *
kv_dict_create(uint64_t seed, bool byte_values, uint64_t *acct)
{
	struct kv_dict *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->rehashidx = -1;
	d->k0 = seed;
	d->k1 = (seed ^ 0x9e3779b97f4a7c15ULL) * 0xbf58476d1ce4e5b9ULL;
	d->acct = acct;
	d->byte_values = byte_values;
	mem_add(d, sizeof(*d));
	return d;
}

/* free_entry -- free an entry and its value. */
static void
free_entry(struct kv_dict *d, struct kv_dict_entry *e)
{
	mem_add(d, -(int64_t)entry_bytes(d, e));
	if (d->byte_values)
		free(e->v.s.ptr);
	free(e);
}

/* table_free -- free a table and the entries still in it. */
static void
table_free(struct kv_dict *d, struct dict_table *t)
{
	for (uint64_t i = 0; i < t->size; i++) {
		for (struct kv_dict_entry *e = t->b[i], *n; e != NULL; e = n) {
			n = e->next;
			free_entry(d, e);
		}
	}
	mem_add(d, -(int64_t)(t->size * sizeof(*t->b)));
	free(t->b);
	memset(t, 0, sizeof(*t));
}

void
kv_dict_free(struct kv_dict *d)
{
	if (d == NULL)
		return;
	table_free(d, &d->ht[0]);
	table_free(d, &d->ht[1]);
	mem_add(d, -(int64_t)sizeof(*d));
	free(d);
}

uint64_t
kv_dict_size(const struct kv_dict *d)
{
	return d->ht[0].used + d->ht[1].used;
}

uint64_t
kv_dict_bytes(const struct kv_dict *d)
{
	return d->bytes;
}

uint64_t
kv_dict_buckets(const struct kv_dict *d)
{
	return d->ht[0].size + d->ht[1].size;
}

bool
kv_dict_is_rehashing(const struct kv_dict *d)
{
	return d->rehashidx != -1;
}

/*
 * resize -- start moving to a table of the power of two >= want (at
 * least DICT_MIN_SIZE); the first table is used directly. Returns 0 or
 * -ENOMEM; nothing to do while a rehash is under way or at the same size.
 */
static int
resize(struct kv_dict *d, uint64_t want)
{
	uint64_t size = DICT_MIN_SIZE;

	if (kv_dict_is_rehashing(d))
		return 0;
	while (size < want)
		size *= 2;
	if (size == d->ht[0].size)
		return 0;
	struct kv_dict_entry **b = calloc(size, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	mem_add(d, (int64_t)(size * sizeof(*b)));
	if (d->ht[0].size == 0) {
		d->ht[0].b = b;
		d->ht[0].size = size;
		return 0;
	}
	d->ht[1].b = b;
	d->ht[1].size = size;
	d->ht[1].used = 0;
	d->rehashidx = 0;
	return 0;
}

/*
 * rehash_step -- move n buckets of ht[0] into ht[1], visiting at most
 * 10 * n empty ones; when ht[0] is empty, ht[1] takes its place.
 */
static void
rehash_step(struct kv_dict *d, unsigned n)
{
	unsigned empty = n * 10;
	struct dict_table *t0 = &d->ht[0], *t1 = &d->ht[1];

	if (!kv_dict_is_rehashing(d))
		return;
	while (n-- > 0 && t0->used > 0) {
		while (t0->b[d->rehashidx] == NULL) {
			d->rehashidx++;
			if (--empty == 0)
				return;
		}
		struct kv_dict_entry *e = t0->b[d->rehashidx], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			uint64_t i = hash_of(d, e->field, e->flen) &
				     (t1->size - 1);
			e->next = t1->b[i];
			t1->b[i] = e;
			t0->used--;
			t1->used++;
		}
		t0->b[d->rehashidx++] = NULL;
	}
	if (t0->used == 0) {
		mem_add(d, -(int64_t)(t0->size * sizeof(*t0->b)));
		free(t0->b);
		*t0 = *t1;
		memset(t1, 0, sizeof(*t1));
		d->rehashidx = -1;
	}
}

/* find -- the entry of a field and the link pointing to it. */
static struct kv_dict_entry *
find(struct kv_dict *d, const char *f, size_t flen, uint64_t h,
     struct kv_dict_entry ***link, struct dict_table **tab)
{
	for (int t = 0; t < 2; t++) {
		struct dict_table *tb = &d->ht[t];
		if (tb->size == 0)
			continue;
		struct kv_dict_entry **pp = &tb->b[h & (tb->size - 1)];
		for (; *pp != NULL; pp = &(*pp)->next) {
			struct kv_dict_entry *e = *pp;
			if (e->flen == flen && memcmp(e->field, f, flen) == 0) {
				if (link != NULL)
					*link = pp;
				if (tab != NULL)
					*tab = tb;
				return e;
			}
		}
		if (!kv_dict_is_rehashing(d))
			break;
	}
	return NULL;
}

struct kv_dict_entry *
kv_dict_lookup(struct kv_dict *d, const char *field, size_t flen)
{
	if (kv_dict_size(d) == 0)
		return NULL;
	rehash_step(d, DICT_STEP_BUCKETS);
	return find(d, field, flen, hash_of(d, field, flen), NULL, NULL);
}

struct kv_dict_entry *
kv_dict_add(struct kv_dict *d, const char *field, size_t flen, bool *created)
{
	uint64_t h = hash_of(d, field, flen);
	struct kv_dict_entry *e;

	*created = false;
	rehash_step(d, DICT_STEP_BUCKETS);
	e = find(d, field, flen, h, NULL, NULL);
	if (e != NULL)
		return e;
	if (flen > UINT32_MAX)
		return NULL;
	if (!kv_dict_is_rehashing(d) && d->ht[0].used >= d->ht[0].size &&
	    resize(d, d->ht[0].used * 2) != 0 && d->ht[0].size == 0)
		return NULL;
	e = malloc(sizeof(*e) + flen);
	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->flen = (uint32_t)flen;
	memcpy(e->field, field, flen);
	struct dict_table *t = &d->ht[kv_dict_is_rehashing(d) ? 1 : 0];
	uint64_t i = h & (t->size - 1);
	e->next = t->b[i];
	t->b[i] = e;
	t->used++;
	mem_add(d, (int64_t)entry_bytes(d, e));
	*created = true;
	return e;
}

int
kv_dict_set_value(struct kv_dict *d, struct kv_dict_entry *e, const char *p,
		  size_t len)
{
	char *v = NULL;

	if (len > 0) {
		v = malloc(len);
		if (v == NULL)
			return -ENOMEM;
		memcpy(v, p, len);
	}
	mem_add(d, (int64_t)len - (int64_t)e->v.s.len);
	free(e->v.s.ptr);
	e->v.s.ptr = v;
	e->v.s.len = len;
	return 0;
}

int
kv_dict_del(struct kv_dict *d, const char *field, size_t flen)
{
	struct kv_dict_entry **link, *e;
	struct dict_table *t;

	if (kv_dict_size(d) == 0)
		return -ENOENT;
	rehash_step(d, DICT_STEP_BUCKETS);
	e = find(d, field, flen, hash_of(d, field, flen), &link, &t);
	if (e == NULL)
		return -ENOENT;
	*link = e->next;
	t->used--;
	free_entry(d, e);
	if (!kv_dict_is_rehashing(d) && d->ht[0].size > DICT_MIN_SIZE &&
	    d->ht[0].used * DICT_SHRINK_RATIO < d->ht[0].size)
		resize(d, d->ht[0].used);   /* failure: stays large */
	return 0;
}

/* rev -- the bits of v in reverse order. */
static inline uint64_t
rev(uint64_t v)
{
	uint64_t r = 0;

	for (int i = 0; i < 64; i++) {
		r = (r << 1) | (v & 1);
		v >>= 1;
	}
	return r;
}

/* visit_bucket -- call fn on every entry of a chain. */
static void
visit_bucket(struct kv_dict_entry *e, kv_dict_visit_fn fn, void *ctx)
{
	for (; e != NULL; e = e->next)
		fn(ctx, e);
}

/*
 * kv_dict_scan -- Redis's dictScan. The cursor is incremented on its
 * reversed bits: the high bits of a bucket index vary fastest, so every
 * bucket of a table of size 2^n maps to the buckets of a table of size
 * 2^m (m > n) whose low n bits are the same, and those come together.
 * Resizing between calls thus never skips an element already in the
 * table: a smaller table repeats some (duplicates), a larger one splits
 * a bucket into buckets not visited yet. During a rehash the bucket of
 * the smaller table is visited with all its expansions in the larger.
 */
uint64_t
kv_dict_scan(struct kv_dict *d, uint64_t v, kv_dict_visit_fn fn, void *ctx)
{
	if (kv_dict_size(d) == 0)
		return 0;
	if (!kv_dict_is_rehashing(d)) {
		uint64_t m0 = d->ht[0].size - 1;
		visit_bucket(d->ht[0].b[v & m0], fn, ctx);
		v |= ~m0;
		v = rev(v);
		v++;
		return rev(v);
	}
	const struct dict_table *t0 = &d->ht[0], *t1 = &d->ht[1];
	if (t0->size > t1->size) {
		const struct dict_table *t = t0;
		t0 = t1;
		t1 = t;
	}
	uint64_t m0 = t0->size - 1, m1 = t1->size - 1;
	visit_bucket(t0->b[v & m0], fn, ctx);
	do {
		visit_bucket(t1->b[v & m1], fn, ctx);
		v |= ~m1;
		v = rev(v);
		v++;
		v = rev(v);
	} while (v & (m0 ^ m1));
	return v;
}

void
kv_dict_foreach(const struct kv_dict *d, kv_dict_visit_fn fn, void *ctx)
{
	for (int t = 0; t < 2; t++)
		for (uint64_t i = 0; i < d->ht[t].size; i++)
			visit_bucket(d->ht[t].b[i], fn, ctx);
}

struct kv_dict_entry *
kv_dict_random(struct kv_dict *d, uint64_t (*rnd)(void *ctx), void *ctx)
{
	struct kv_dict_entry *e;

	if (kv_dict_size(d) == 0)
		return NULL;
	rehash_step(d, DICT_STEP_BUCKETS);
	if (kv_dict_is_rehashing(d)) {
		/* Buckets of ht[0] below rehashidx are empty. */
		uint64_t s0 = d->ht[0].size;
		uint64_t slots = s0 + d->ht[1].size - (uint64_t)d->rehashidx;
		do {
			uint64_t h = (uint64_t)d->rehashidx + rnd(ctx) % slots;
			e = h >= s0 ? d->ht[1].b[h - s0] : d->ht[0].b[h];
		} while (e == NULL);
	} else {
		uint64_t m = d->ht[0].size - 1;
		do {
			e = d->ht[0].b[rnd(ctx) & m];
		} while (e == NULL);
	}
	unsigned n = 0;
	for (struct kv_dict_entry *x = e; x != NULL; x = x->next)
		n++;
	for (n = (unsigned)(rnd(ctx) % n); n > 0; n--)
		e = e->next;
	return e;
}

int
kv_dict_check(const struct kv_dict *d)
{
	uint64_t bytes = sizeof(*d);

	if ((d->rehashidx == -1) != (d->ht[1].size == 0))
		return -EINVAL;
	for (int t = 0; t < 2; t++) {
		const struct dict_table *tb = &d->ht[t];
		uint64_t n = 0;
		if (tb->size != 0 && ((tb->size & (tb->size - 1)) != 0 ||
				      tb->size < DICT_MIN_SIZE))
			return -EINVAL;
		bytes += tb->size * sizeof(*tb->b);
		for (uint64_t i = 0; i < tb->size; i++) {
			if (t == 0 && d->rehashidx > 0 &&
			    i < (uint64_t)d->rehashidx && tb->b[i] != NULL)
				return -EINVAL;
			for (const struct kv_dict_entry *e = tb->b[i]; e != NULL;
			     e = e->next) {
				if ((hash_of(d, e->field, e->flen) &
				     (tb->size - 1)) != i)
					return -EINVAL;
				bytes += entry_bytes(d, e);
				n++;
			}
		}
		if (n != tb->used)
			return -EINVAL;
	}
	return bytes == d->bytes ? 0 : -EINVAL;
}
