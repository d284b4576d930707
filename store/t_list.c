/*
 * t_list.c -- lists as Redis 7.0's quicklist: a doubly linked chain of
 * nodes, each a buffer of packed entries (a length-prefixed string, or a
 * canonical integer in 1 to 9 bytes, then a back length to walk
 * backwards), sized to the byte. list-max-listpack-size bounds a node
 * (negative: 4 to 64 KB of entries; positive: a count, and 8 KB). Pushes
 * and pops at both ends touch one end node: O(node). An index walks the
 * nodes from the nearer end, then the entries of one node from its
 * nearer end: O(n / node + node). LINSERT and LSET split a full node at
 * the place, LREM and LINSERT merge neighbours that fit in one node. An
 * emptied list is deleted.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "kv_private.h"

/* Node bounds, as Redis's quicklist counts them. */
#define QL_NODE_OVERHEAD 7     /* a listpack's header and terminator */
#define QL_SAFETY_BYTES  8192  /* a counted node's byte bound */
#define QL_LEVEL_MAX     4     /* -5: 64 KB, the largest byte bound */

/* Entry headers: the first byte tells the kind. */
#define QL_UINT7_MAX 0x7f      /* 0xxxxxxx: the integer 0..127 itself */
#define QL_STR6      0x80      /* 10llllll: a string of 0..63 bytes */
#define QL_STR13     0xc0      /* 110lllll llllllll: up to 8191 bytes */
#define QL_STR32     0xe0      /* 11100000 + 4-byte length */
#define QL_INT16     0xf1      /* 0xf1..0xf4 + 2, 3, 4, 8 bytes, LE */
#define QL_INT64     0xf4

#define LPOS_ERR_RANK "ERR RANK can't be zero: use 1 to start from the " \
	"first match, 2 from the second ... or use negative to start from " \
	"the end of the list"

/* An element to store, measured and encoded by elem_prepare. */
struct ql_elem {
	const char *p;
	size_t len;
	long long ival;
	bool is_int;
	uint32_t hlen;          /* header and data bytes */
	uint32_t size;          /* hlen + back length bytes */
};

/* An element read from a node: bytes, or an integer spelled in num. */
struct ql_val {
	const char *p;
	size_t len;
	char num[24];
};

/* A position: the entry at byte off of node (off == len: past it). */
struct ql_it {
	struct kv_qlnode *node;
	uint32_t off;
};

/* backlen_size -- the bytes of the back length of an hlen entry. */
static uint32_t
backlen_size(uint64_t hlen)
{
	uint32_t k = 1;

	while (hlen >= 128) {
		hlen >>= 7;
		k++;
	}
	return k;
}

/* int_bytes -- the bytes an integer takes (2, 3, 4 or 8), signed. */
static uint32_t
int_bytes(long long v)
{
	if (v >= INT16_MIN && v <= INT16_MAX)
		return 2;
	if (v >= -(1LL << 23) && v < (1LL << 23))
		return 3;
	if (v >= INT32_MIN && v <= INT32_MAX)
		return 4;
	return 8;
}

/*
 * elem_prepare -- measure how bytes p, len would be stored: a canonical
 * integer (Redis's string2ll, so it spells back the same) as a number.
 */
static void
elem_prepare(struct ql_elem *x, const char *p, size_t len)
{
	x->p = p;
	x->len = len;
	x->is_int = len <= 20 && kv_str2ll(p, len, &x->ival);
	if (x->is_int)
		x->hlen = x->ival >= 0 && x->ival <= QL_UINT7_MAX ? 1 :
			  1 + int_bytes(x->ival);
	else
		x->hlen = (uint32_t)len + (len < 64 ? 1 : len < 8192 ? 2 : 5);
	x->size = x->hlen + backlen_size(x->hlen);
}

/* elem_write -- store a prepared element at d (x->size bytes). */
static void
elem_write(unsigned char *d, const struct ql_elem *x)
{
	unsigned char *q = d;
	uint32_t k;

	if (x->is_int && x->ival >= 0 && x->ival <= QL_UINT7_MAX) {
		*q++ = (unsigned char)x->ival;
	} else if (x->is_int) {
		uint64_t u = (uint64_t)x->ival;
		k = x->hlen - 1;
		*q++ = (unsigned char)(k == 8 ? QL_INT64 : QL_INT16 + k - 2);
		for (uint32_t i = 0; i < k; i++)
			*q++ = (unsigned char)(u >> (8 * i));
	} else {
		if (x->len < 64) {
			*q++ = (unsigned char)(QL_STR6 | x->len);
		} else if (x->len < 8192) {
			*q++ = (unsigned char)(QL_STR13 | (x->len >> 8));
			*q++ = (unsigned char)x->len;
		} else {
			*q++ = QL_STR32;
			for (int i = 0; i < 4; i++)
				*q++ = (unsigned char)(x->len >> (8 * i));
		}
		memcpy(q, x->p, x->len);
		q += x->len;
	}
	/* Back length: 7 bits a byte, the last byte the lowest bits; the
	 * high bit says another byte precedes. */
	k = backlen_size(x->hlen);
	for (uint32_t j = 0; j < k; j++)
		q[k - 1 - j] = (unsigned char)(((x->hlen >> (7 * j)) & 0x7f) |
					       (j + 1 < k ? 0x80 : 0));
}

/* ent_read -- decode the entry at p into v (may be NULL); its size. */
static uint32_t
ent_read(const unsigned char *p, struct ql_val *v)
{
	unsigned char h = p[0];
	uint32_t hlen, dlen = 0, len = 0;
	long long iv = 0;
	bool is_int = true;

	if (h <= QL_UINT7_MAX) {
		hlen = 1;
		iv = h;
	} else if ((h & 0xc0) == QL_STR6) {
		is_int = false;
		hlen = 1;
		len = h & 0x3f;
	} else if ((h & 0xe0) == QL_STR13) {
		is_int = false;
		hlen = 2;
		len = (uint32_t)(h & 0x1f) << 8 | p[1];
	} else if (h == QL_STR32) {
		is_int = false;
		hlen = 5;
		len = (uint32_t)p[1] | (uint32_t)p[2] << 8 |
		      (uint32_t)p[3] << 16 | (uint32_t)p[4] << 24;
	} else {
		uint32_t k = h == QL_INT64 ? 8 : (uint32_t)(h - QL_INT16) + 2;
		uint64_t u = 0;
		for (uint32_t i = 0; i < k; i++)
			u |= (uint64_t)p[1 + i] << (8 * i);
		if (k < 8 && (u >> (8 * k - 1)) & 1)
			u |= ~0ULL << (8 * k);     /* sign extension */
		iv = (long long)u;
		hlen = 1;
		dlen = k;
	}
	if (!is_int)
		dlen = len;
	if (v != NULL) {
		if (is_int) {
			v->len = (size_t)kv_ll2str(v->num, sizeof(v->num), iv);
			v->p = v->num;
		} else {
			v->p = (const char *)p + hlen;
			v->len = len;
		}
	}
	return hlen + dlen + backlen_size(hlen + dlen);
}

/* ent_prev -- the offset of the entry before the one at off (> 0). */
static uint32_t
ent_prev(const struct kv_qlnode *nd, uint32_t off)
{
	const unsigned char *q = nd->buf + off - 1;
	uint32_t v = *q & 0x7f, k = 1;

	while (*q & 0x80) {
		q--;
		v |= (uint32_t)(*q & 0x7f) << (7 * k);
		k++;
	}
	return off - k - v;
}

/* val_eq -- whether an element read holds the bytes of an argument. */
static bool
val_eq(const struct ql_val *v, const struct kv_arg *a)
{
	return v->len == a->len && memcmp(v->p, a->ptr, a->len) == 0;
}

/*
 * ql_fits -- whether a node of n entries and len bytes is within
 * list-max-listpack-size (read at each change: a new value shapes the
 * nodes built from then on). A node of one entry always fits.
 */
static bool
ql_fits(const struct kv_shard *s, uint64_t n, uint64_t len)
{
	int64_t fill = s->cfg->list_lp_size;

	if (n <= 1)
		return true;
	len += QL_NODE_OVERHEAD;
	if (fill < 0) {
		int64_t lvl = -fill - 1;
		return len <= (4096u << (lvl > QL_LEVEL_MAX ? QL_LEVEL_MAX :
					 lvl));
	}
	return len <= QL_SAFETY_BYTES && n <= (uint64_t)fill;
}

/* node_fits_one -- whether nd takes one more entry of size bytes. */
static bool
node_fits_one(const struct kv_shard *s, const struct kv_qlnode *nd,
	      uint32_t size)
{
	return ql_fits(s, (uint64_t)nd->n + 1, (uint64_t)nd->len + size);
}

/* node_alloc -- a detached node of cap bytes; NULL out of memory. */
static struct kv_qlnode *
node_alloc(struct kv_shard *s, uint32_t cap)
{
	struct kv_qlnode *nd = malloc(sizeof(*nd) + cap);

	if (nd == NULL)
		return NULL;
	nd->prev = nd->next = NULL;
	nd->n = nd->len = 0;
	nd->cap = cap;
	s->used_memory += sizeof(*nd) + cap;
	return nd;
}

/* node_link -- put nd after prev (NULL: at the head). */
static void
node_link(struct kv_entry *e, struct kv_qlnode *prev, struct kv_qlnode *nd)
{
	nd->prev = prev;
	nd->next = prev != NULL ? prev->next : e->v.q.head;
	if (nd->next != NULL)
		nd->next->prev = nd;
	else
		e->v.q.tail = nd;
	if (prev != NULL)
		prev->next = nd;
	else
		e->v.q.head = nd;
	e->v.q.nodes++;
}

/* node_free -- unlink and free a node (its entries no longer count). */
static void
node_free(struct kv_shard *s, struct kv_entry *e, struct kv_qlnode *nd)
{
	if (nd->prev != NULL)
		nd->prev->next = nd->next;
	else
		e->v.q.head = nd->next;
	if (nd->next != NULL)
		nd->next->prev = nd->prev;
	else
		e->v.q.tail = nd->prev;
	e->v.q.nodes--;
	s->used_memory -= sizeof(*nd) + nd->cap;
	free(nd);
}

/*
 * node_resize -- give a linked node cap bytes (>= len), relinking its
 * neighbours; the node, maybe moved, or NULL out of memory (unchanged).
 */
static struct kv_qlnode *
node_resize(struct kv_shard *s, struct kv_entry *e, struct kv_qlnode *nd,
	    uint32_t cap)
{
	if (cap == nd->cap)
		return nd;
	struct kv_qlnode *m = realloc(nd, sizeof(*nd) + cap);
	if (m == NULL)
		return NULL;
	s->used_memory += cap;
	s->used_memory -= m->cap;
	m->cap = cap;
	if (m->prev != NULL)
		m->prev->next = m;
	else
		e->v.q.head = m;
	if (m->next != NULL)
		m->next->prev = m;
	else
		e->v.q.tail = m;
	return m;
}

/* node_new_with -- a node holding x alone, linked after prev (NULL:
 * at the head); NULL out of memory. */
static struct kv_qlnode *
node_new_with(struct kv_shard *s, struct kv_entry *e, struct kv_qlnode *prev,
	      const struct ql_elem *x)
{
	struct kv_qlnode *nd = node_alloc(s, x->size);

	if (nd == NULL)
		return NULL;
	elem_write(nd->buf, x);
	nd->n = 1;
	nd->len = x->size;
	node_link(e, prev, nd);
	e->v.q.n++;
	return nd;
}

/* node_insert -- x into nd at byte off; the node (maybe moved), or NULL
 * out of memory (unchanged). */
static struct kv_qlnode *
node_insert(struct kv_shard *s, struct kv_entry *e, struct kv_qlnode *nd,
	    uint32_t off, const struct ql_elem *x)
{
	nd = node_resize(s, e, nd, nd->len + x->size);
	if (nd == NULL)
		return NULL;
	memmove(nd->buf + off + x->size, nd->buf + off, nd->len - off);
	elem_write(nd->buf + off, x);
	nd->len += x->size;
	nd->n++;
	e->v.q.n++;
	return nd;
}

/*
 * node_cut -- remove cnt entries, bytes long, at byte off of nd. The
 * node (maybe moved), or NULL when it emptied and was freed. A failed
 * shrink keeps the larger buffer, accounted as such.
 */
static struct kv_qlnode *
node_cut(struct kv_shard *s, struct kv_entry *e, struct kv_qlnode *nd,
	 uint32_t off, uint32_t bytes, uint32_t cnt)
{
	memmove(nd->buf + off, nd->buf + off + bytes, nd->len - off - bytes);
	nd->len -= bytes;
	nd->n -= cnt;
	e->v.q.n -= cnt;
	if (nd->n == 0) {
		node_free(s, e, nd);
		return NULL;
	}
	struct kv_qlnode *m = node_resize(s, e, nd, nd->len);
	return m != NULL ? m : nd;
}

/*
 * node_split -- move the entries of nd from byte off (0 < off < len)
 * into a new node after it; the new node, or NULL out of memory (nd
 * unchanged). nd may move: it is the new node's prev.
 */
static struct kv_qlnode *
node_split(struct kv_shard *s, struct kv_entry *e, struct kv_qlnode *nd,
	   uint32_t off)
{
	uint32_t k = 0;
	struct kv_qlnode *r = node_alloc(s, nd->len - off);

	if (r == NULL)
		return NULL;
	for (uint32_t o = 0; o < off; o += ent_read(nd->buf + o, NULL))
		k++;
	memcpy(r->buf, nd->buf + off, nd->len - off);
	r->len = nd->len - off;
	r->n = nd->n - k;
	nd->len = off;
	nd->n = k;
	node_link(e, nd, r);
	struct kv_qlnode *m = node_resize(s, e, nd, nd->len);
	(void)m;            /* a failed shrink keeps the larger buffer */
	return r;
}

/*
 * node_merge -- append nd's successor to nd when the two fit in one
 * node; the merged node (maybe moved), or NULL when they stay apart.
 */
static struct kv_qlnode *
node_merge(struct kv_shard *s, struct kv_entry *e, struct kv_qlnode *nd)
{
	struct kv_qlnode *b = nd->next;

	if (b == NULL || !ql_fits(s, (uint64_t)nd->n + b->n,
				  (uint64_t)nd->len + b->len))
		return NULL;
	uint32_t len = nd->len;
	struct kv_qlnode *m = node_resize(s, e, nd, len + b->len);
	if (m == NULL)
		return NULL;
	b = m->next;
	memcpy(m->buf + len, b->buf, b->len);
	m->len += b->len;
	m->n += b->n;
	node_free(s, e, b);
	return m;
}

/* ql_compact -- merge nd with its neighbours where they fit. */
static void
ql_compact(struct kv_shard *s, struct kv_entry *e, struct kv_qlnode *nd)
{
	struct kv_qlnode *m;

	if (nd->prev != NULL && (m = node_merge(s, e, nd->prev)) != NULL)
		nd = m;
	(void)node_merge(s, e, nd);
}

/* ql_compact_all -- merge every run of neighbours that fits together. */
static void
ql_compact_all(struct kv_shard *s, struct kv_entry *e)
{
	struct kv_qlnode *nd = e->v.q.head, *m;

	while (nd != NULL && nd->next != NULL)
		nd = (m = node_merge(s, e, nd)) != NULL ? m : nd->next;
}

/* ql_last -- a position on the last entry of nd. */
static struct ql_it
ql_last(struct kv_qlnode *nd)
{
	struct ql_it it = { nd, nd != NULL ? ent_prev(nd, nd->len) : 0 };

	return it;
}

/* it_next -- step to the next entry; false past the tail. */
static bool
it_next(struct ql_it *it)
{
	it->off += ent_read(it->node->buf + it->off, NULL);
	if (it->off < it->node->len)
		return true;
	it->node = it->node->next;
	it->off = 0;
	return it->node != NULL;
}

/* it_prev -- step to the previous entry; false before the head. */
static bool
it_prev(struct ql_it *it)
{
	if (it->off > 0) {
		it->off = ent_prev(it->node, it->off);
		return true;
	}
	*it = ql_last(it->node->prev);
	return it->node != NULL;
}

/*
 * ql_seek -- the position of element i (< n), walking the nodes from
 * the nearer end of the list, then the entries from the nearer end of
 * the node.
 */
static struct ql_it
ql_seek(const struct kv_entry *e, uint32_t i)
{
	struct ql_it it;
	struct kv_qlnode *nd;
	uint32_t k;

	if (i < e->v.q.n / 2) {
		for (nd = e->v.q.head; i >= nd->n; nd = nd->next)
			i -= nd->n;
	} else {
		uint32_t back = e->v.q.n - 1 - i;   /* from the tail */
		for (nd = e->v.q.tail; back >= nd->n; nd = nd->prev)
			back -= nd->n;
		i = nd->n - 1 - back;
	}
	it.node = nd;
	if (i < nd->n / 2) {
		it.off = 0;
		for (k = 0; k < i; k++)
			it.off += ent_read(nd->buf + it.off, NULL);
	} else {
		it.off = nd->len;
		for (k = nd->n; k > i; k--)
			it.off = ent_prev(nd, it.off);
	}
	return it;
}

/* ql_push -- x at the head or tail; 0, or -1 out of memory. */
static int
ql_push(struct kv_shard *s, struct kv_entry *e, const struct ql_elem *x,
	bool left)
{
	struct kv_qlnode *nd = left ? e->v.q.head : e->v.q.tail;

	if (nd != NULL && node_fits_one(s, nd, x->size))
		return node_insert(s, e, nd, left ? 0 : nd->len, x) ? 0 : -1;
	return node_new_with(s, e, left ? NULL : nd, x) ? 0 : -1;
}

/*
 * ql_insert -- x before the entry at byte off of nd (off == len: after
 * the last): into nd if it fits, else into the neighbour on that side,
 * else nd is split there. The node that took x, or NULL out of memory.
 */
static struct kv_qlnode *
ql_insert(struct kv_shard *s, struct kv_entry *e, struct kv_qlnode *nd,
	  uint32_t off, const struct ql_elem *x)
{
	if (node_fits_one(s, nd, x->size))
		return node_insert(s, e, nd, off, x);
	if (off == 0) {
		if (nd->prev != NULL && node_fits_one(s, nd->prev, x->size))
			return node_insert(s, e, nd->prev, nd->prev->len, x);
		return node_new_with(s, e, nd->prev, x);
	}
	if (off == nd->len) {
		if (nd->next != NULL && node_fits_one(s, nd->next, x->size))
			return node_insert(s, e, nd->next, 0, x);
		return node_new_with(s, e, nd, x);
	}
	struct kv_qlnode *r = node_split(s, e, nd, off);
	if (r == NULL)
		return NULL;
	nd = r->prev;
	if (node_fits_one(s, nd, x->size))
		return node_insert(s, e, nd, nd->len, x);
	if (node_fits_one(s, r, x->size))
		return node_insert(s, e, r, 0, x);
	return node_new_with(s, e, nd, x);
}

/*
 * ql_replace -- the entry at it becomes x: in place when the node still
 * fits, else removed and x inserted at its place. 0, or -1 out of
 * memory (the list unchanged).
 */
static int
ql_replace(struct kv_shard *s, struct kv_entry *e, struct ql_it it,
	   const struct ql_elem *x)
{
	struct kv_qlnode *nd = it.node;
	uint32_t old = ent_read(nd->buf + it.off, NULL);
	uint32_t len = nd->len - old + x->size, tail = nd->len - it.off - old;

	if (ql_fits(s, nd->n, len)) {
		if (x->size > old && (nd = node_resize(s, e, nd, len)) == NULL)
			return -1;
		memmove(nd->buf + it.off + x->size, nd->buf + it.off + old,
			tail);
		elem_write(nd->buf + it.off, x);
		nd->len = len;
		struct kv_qlnode *m = node_resize(s, e, nd, len);
		(void)m;     /* a failed shrink keeps the larger buffer */
		return 0;
	}
	/*
	 * nd has other entries (one alone always fits): x goes in a node of
	 * its own at the old entry's place, nd split around it. Both
	 * allocations come first, so nothing changes when memory runs out.
	 */
	struct kv_qlnode *xn = node_alloc(s, x->size);
	if (xn == NULL)
		return -1;
	elem_write(xn->buf, x);
	xn->n = 1;
	xn->len = x->size;
	if (it.off > 0 && tail > 0) {
		struct kv_qlnode *r = node_split(s, e, nd, it.off);
		if (r == NULL) {
			s->used_memory -= sizeof(*xn) + xn->cap;
			free(xn);
			return -1;
		}
		nd = r;
		it.off = 0;
	}
	nd = node_cut(s, e, nd, it.off, old, 1);    /* nd keeps an entry */
	node_link(e, it.off == 0 ? nd->prev : nd, xn);
	e->v.q.n++;
	ql_compact(s, e, xn);
	return 0;
}

/*
 * ql_del_range -- remove cnt elements from index start (start + cnt
 * <= n): whole nodes freed, the partial ones cut in one move each.
 */
static void
ql_del_range(struct kv_shard *s, struct kv_entry *e, uint32_t start,
	     uint32_t cnt)
{
	if (cnt == 0)
		return;
	struct ql_it it = ql_seek(e, start);
	struct kv_qlnode *nd = it.node, *next;
	uint32_t off = it.off;

	while (cnt > 0) {
		next = nd->next;
		if (off == 0 && nd->n <= cnt) {
			cnt -= nd->n;
			e->v.q.n -= nd->n;
			node_free(s, e, nd);
		} else {
			uint32_t end = off, k = 0;
			while (end < nd->len && k < cnt) {
				end += ent_read(nd->buf + end, NULL);
				k++;
			}
			nd = node_cut(s, e, nd, off, end - off, k);
			cnt -= k;
			next = nd != NULL ? nd->next : next;
		}
		nd = next;
		off = 0;
	}
}

/* ql_free_all -- free every node of a list. */
static void
ql_free_all(struct kv_shard *s, struct kv_entry *e)
{
	while (e->v.q.head != NULL)
		node_free(s, e, e->v.q.head);
	e->v.q.n = 0;
}

/* elem_arg -- prepare an argument as an element. */
static void
elem_arg(struct ql_elem *x, const struct kv_arg *a)
{
	elem_prepare(x, a->ptr, a->len);
}

/* list_new -- create key as an empty list; NULL when out of memory. */
static struct kv_entry *
list_new(struct kv_req *r, const struct kv_arg *key)
{
	struct kv_entry *e = kv_create(r->s, r->c->db, key->ptr, key->len);

	if (e == NULL)
		return NULL;
	kv_list_init(e);
	return e;
}

/* list_done -- after removals: delete an emptied list. */
static void
list_done(struct kv_req *r, struct kv_entry *e)
{
	if (e->v.q.n == 0)
		kv_delete(r->s, r->c->db, e);
}

/*
 * lookup_list -- a live key (reads count hits and misses, writes do
 * not, as in Redis); false after WRONGTYPE was replied.
 */
static bool
lookup_list(struct kv_req *r, const struct kv_arg *key, bool read,
	    struct kv_entry **e)
{
	*e = kv_lookup(r->s, r->c->db, key->ptr, key->len, read);
	return kv_check_type_or_reply(r, *e, KV_TYPE_LIST);
}

/* parse_where -- LEFT or RIGHT; false after a syntax error reply. */
static bool
parse_where(struct kv_req *r, const struct kv_arg *a, bool *left)
{
	if (kv_arg_is(a, "left"))
		*left = true;
	else if (kv_arg_is(a, "right"))
		*left = false;
	else {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return false;
	}
	return true;
}

/*
 * push_generic -- LPUSH, RPUSH, and with only_existing LPUSHX, RPUSHX.
 * Out of memory part way, the elements pushed so far stay and are
 * logged (the prefix of argv is exactly that push).
 */
static void
push_generic(struct kv_req *r, bool left, bool only_existing)
{
	struct kv_entry *e;
	int i = 2;

	if (!lookup_list(r, &r->argv[1], false, &e))
		return;
	if (e == NULL) {
		if (only_existing) {
			kv_reply_int(r->c, 0);
			return;
		}
		e = list_new(r, &r->argv[1]);
		if (e == NULL)
			goto oom;
	}
	for (i = 2; i < r->argc; i++) {
		struct ql_elem x;
		elem_arg(&x, &r->argv[i]);
		if (ql_push(r->s, e, &x, left) != 0)
			goto oom;
	}
	kv_reply_int(r->c, e->v.q.n);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
	return;
oom:
	if (e != NULL && e->v.q.n == 0)
		kv_delete(r->s, r->c->db, e);
	else if (i > 2)
		kv_propagate(r->s, r->c->db, i, r->argv);
	kv_reply_error(r->c, "OOM out of memory");
}

void
cmd_lpush(struct kv_req *r)
{
	push_generic(r, true, false);
}

void
cmd_rpush(struct kv_req *r)
{
	push_generic(r, false, false);
}

void
cmd_lpushx(struct kv_req *r)
{
	push_generic(r, true, true);
}

void
cmd_rpushx(struct kv_req *r)
{
	push_generic(r, false, true);
}

/* reply_val -- an element read from the list as a bulk. */
static void
reply_val(struct kv_client *c, const struct kv_qlnode *nd, uint32_t off)
{
	struct ql_val v;

	(void)ent_read(nd->buf + off, &v);
	kv_reply_bulk(c, v.p, v.len);
}

/* pop_reply -- pop count (1..n) elements, each replied as a bulk. */
static void
pop_reply(struct kv_req *r, struct kv_entry *e, bool left, long long count)
{
	struct ql_it it = left ? (struct ql_it){ e->v.q.head, 0 } :
				 ql_last(e->v.q.tail);

	for (long long i = 0; i < count; i++) {
		reply_val(r->c, it.node, it.off);
		if (i + 1 < count)
			(void)(left ? it_next(&it) : it_prev(&it));
	}
	ql_del_range(r->s, e, left ? 0 : e->v.q.n - (uint32_t)count,
		     (uint32_t)count);
}

/* pop_generic -- LPOP and RPOP, with Redis 6.2's optional count. */
static void
pop_generic(struct kv_req *r, bool left)
{
	struct kv_entry *e;
	long long count = 1;
	bool with_count = r->argc == 3;

	if (r->argc > 3) {
		kv_reply_error(r->c, "ERR wrong number of arguments for '%s' "
			       "command", left ? "lpop" : "rpop");
		return;
	}
	if (with_count && (!kv_str2ll(r->argv[2].ptr, r->argv[2].len, &count) ||
			   count < 0)) {
		kv_reply_error(r->c, "ERR value is out of range, must be "
			       "positive");
		return;
	}
	if (!lookup_list(r, &r->argv[1], false, &e))
		return;
	if (e == NULL) {
		if (with_count)
			kv_reply_null_array(r->c);
		else
			kv_reply_null(r->c);
		return;
	}
	if (with_count) {
		if ((uint64_t)count > e->v.q.n)
			count = e->v.q.n;
		kv_reply_array(r->c, count);
	}
	if (count == 0)
		return;
	pop_reply(r, e, left, count);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
	list_done(r, e);
}

void
cmd_lpop(struct kv_req *r)
{
	pop_generic(r, true);
}

void
cmd_rpop(struct kv_req *r)
{
	pop_generic(r, false);
}

void
cmd_llen(struct kv_req *r)
{
	struct kv_entry *e;

	if (lookup_list(r, &r->argv[1], true, &e))
		kv_reply_int(r->c, e != NULL ? e->v.q.n : 0);
}

void
cmd_lrange(struct kv_req *r)
{
	struct kv_entry *e;
	long long start, end;

	if (!kv_str2ll(r->argv[2].ptr, r->argv[2].len, &start) ||
	    !kv_str2ll(r->argv[3].ptr, r->argv[3].len, &end)) {
		kv_reply_error(r->c, KV_ERR_NOT_INT);
		return;
	}
	if (!lookup_list(r, &r->argv[1], true, &e))
		return;
	long long n = e != NULL ? e->v.q.n : 0;
	if (start < 0)
		start += n;
	if (end < 0)
		end += n;
	if (start < 0)
		start = 0;
	if (start > end || start >= n) {
		kv_reply_array(r->c, 0);
		return;
	}
	if (end >= n)
		end = n - 1;
	kv_reply_array(r->c, end - start + 1);
	struct ql_it it = ql_seek(e, (uint32_t)start);
	for (long long i = start; i <= end; i++) {
		reply_val(r->c, it.node, it.off);
		if (i < end)
			(void)it_next(&it);
	}
}

/* index_of -- a Redis list index (negative from the tail) as 0..n-1,
 * or -1 when out of range. */
static long long
index_of(const struct kv_entry *e, long long index)
{
	long long n = e->v.q.n;

	if (index < 0)
		index += n;
	return index >= 0 && index < n ? index : -1;
}

void
cmd_lindex(struct kv_req *r)
{
	struct kv_entry *e;
	long long index;

	/* Redis looks the key up before it parses the index. */
	if (!lookup_list(r, &r->argv[1], true, &e))
		return;
	if (e == NULL) {
		kv_reply_null(r->c);
		return;
	}
	if (!kv_str2ll(r->argv[2].ptr, r->argv[2].len, &index)) {
		kv_reply_error(r->c, KV_ERR_NOT_INT);
		return;
	}
	index = index_of(e, index);
	if (index < 0) {
		kv_reply_null(r->c);
		return;
	}
	struct ql_it it = ql_seek(e, (uint32_t)index);
	reply_val(r->c, it.node, it.off);
}

void
cmd_lset(struct kv_req *r)
{
	struct kv_entry *e;
	struct ql_elem x;
	long long index;

	if (!lookup_list(r, &r->argv[1], false, &e))
		return;
	if (e == NULL) {
		kv_reply_error(r->c, KV_ERR_NO_KEY);
		return;
	}
	if (!kv_str2ll(r->argv[2].ptr, r->argv[2].len, &index)) {
		kv_reply_error(r->c, KV_ERR_NOT_INT);
		return;
	}
	index = index_of(e, index);
	if (index < 0) {
		kv_reply_error(r->c, "ERR index out of range");
		return;
	}
	elem_arg(&x, &r->argv[3]);
	if (ql_replace(r->s, e, ql_seek(e, (uint32_t)index), &x) != 0) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	kv_reply_ok(r->c);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
}

void
cmd_linsert(struct kv_req *r)
{
	struct kv_entry *e;
	struct ql_elem x;
	struct ql_val v;
	bool before;

	if (kv_arg_is(&r->argv[2], "before"))
		before = true;
	else if (kv_arg_is(&r->argv[2], "after"))
		before = false;
	else {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	if (!lookup_list(r, &r->argv[1], false, &e))
		return;
	if (e == NULL) {
		kv_reply_int(r->c, 0);
		return;
	}
	struct ql_it it = { e->v.q.head, 0 };
	uint32_t size = 0;
	do {
		size = ent_read(it.node->buf + it.off, &v);
		if (val_eq(&v, &r->argv[3]))
			break;
	} while (it_next(&it));
	if (it.node == NULL) {
		kv_reply_int(r->c, -1);
		return;
	}
	elem_arg(&x, &r->argv[4]);
	struct kv_qlnode *nd = ql_insert(r->s, e, it.node,
					 before ? it.off : it.off + size, &x);
	if (nd == NULL) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	ql_compact(r->s, e, nd);
	kv_reply_int(r->c, e->v.q.n);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
}

/*
 * lrem_scan -- remove up to limit elements equal to ele, walking from the
 * head, or from the tail if rev; how many were removed.
 */
static uint64_t
lrem_scan(struct kv_shard *s, struct kv_entry *e, const struct kv_arg *ele,
	  bool rev, uint64_t limit)
{
	struct ql_it it = rev ? ql_last(e->v.q.tail) :
				(struct ql_it){ e->v.q.head, 0 };
	uint64_t removed = 0;
	struct ql_val v;

	while (it.node != NULL && removed < limit) {
		struct kv_qlnode *prev = it.node->prev, *next = it.node->next;
		uint32_t size = ent_read(it.node->buf + it.off, &v);
		if (!val_eq(&v, ele)) {
			if (!(rev ? it_prev(&it) : it_next(&it)))
				break;
			continue;
		}
		removed++;
		it.node = node_cut(s, e, it.node, it.off, size, 1);
		if (it.node == NULL) {           /* the node emptied */
			it = rev ? ql_last(prev) :
				   (struct ql_it){ next, 0 };
		} else if (rev) {
			if (!it_prev(&it))
				break;
		} else if (it.off == it.node->len) {
			it.node = it.node->next;
			it.off = 0;
		}
	}
	return removed;
}

/*
 * cmd_lrem -- remove up to |count| elements equal to the argument, from
 * the head (count > 0), the tail (count < 0), or all (0); then nodes
 * left small merge with their neighbours.
 */
void
cmd_lrem(struct kv_req *r)
{
	struct kv_entry *e;
	long long count;
	uint64_t limit, removed;

	if (!kv_str2ll(r->argv[2].ptr, r->argv[2].len, &count)) {
		kv_reply_error(r->c, KV_ERR_NOT_INT);
		return;
	}
	if (!lookup_list(r, &r->argv[1], false, &e))
		return;
	if (e == NULL) {
		kv_reply_int(r->c, 0);
		return;
	}
	limit = count == 0 ? UINT64_MAX :
		count > 0 ? (uint64_t)count : -(uint64_t)count;
	removed = lrem_scan(r->s, e, &r->argv[3], count < 0, limit);
	kv_reply_int(r->c, (long long)removed);
	if (removed == 0)
		return;
	ql_compact_all(r->s, e);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
	list_done(r, e);
}

void
cmd_ltrim(struct kv_req *r)
{
	struct kv_entry *e;
	long long start, end, ltrim, rtrim;

	if (!kv_str2ll(r->argv[2].ptr, r->argv[2].len, &start) ||
	    !kv_str2ll(r->argv[3].ptr, r->argv[3].len, &end)) {
		kv_reply_error(r->c, KV_ERR_NOT_INT);
		return;
	}
	if (!lookup_list(r, &r->argv[1], false, &e))
		return;
	if (e == NULL) {
		kv_reply_ok(r->c);
		return;
	}
	long long n = e->v.q.n;
	if (start < 0)
		start += n;
	if (end < 0)
		end += n;
	if (start < 0)
		start = 0;
	if (start > end || start >= n) {
		ltrim = n;
		rtrim = 0;
	} else {
		if (end >= n)
			end = n - 1;
		ltrim = start;
		rtrim = n - end - 1;
	}
	ql_del_range(r->s, e, (uint32_t)(n - rtrim), (uint32_t)rtrim);
	ql_del_range(r->s, e, 0, (uint32_t)ltrim);
	kv_reply_ok(r->c);
	if (ltrim + rtrim == 0)
		return;
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
	list_done(r, e);
}

/*
 * lpos_scan -- LPOS's walk: compare at most maxlen (0: all) elements from
 * the head (or the tail if rev), skip the first `skip` matches, then
 * take matches until `limit`. Replies each index when c is not NULL;
 * *last is the index of the last match taken. Returns how many.
 */
static uint64_t
lpos_scan(struct kv_entry *e, const struct kv_arg *ele, bool rev,
	  uint64_t skip, uint64_t maxlen, uint64_t limit,
	  struct kv_client *c, uint32_t *last)
{
	uint32_t n = e->v.q.n;
	uint64_t taken = 0;
	struct ql_it it = rev ? ql_last(e->v.q.tail) :
				(struct ql_it){ e->v.q.head, 0 };
	struct ql_val v;

	for (uint32_t k = 0; k < n && (maxlen == 0 || k < maxlen); k++) {
		uint32_t i = rev ? n - 1 - k : k;
		if (k > 0)
			(void)(rev ? it_prev(&it) : it_next(&it));
		(void)ent_read(it.node->buf + it.off, &v);
		if (!val_eq(&v, ele))
			continue;
		if (skip > 0) {
			skip--;
			continue;
		}
		if (c != NULL)
			kv_reply_int(c, i);
		*last = i;
		if (++taken == limit)
			break;
	}
	return taken;
}

void
cmd_lpos(struct kv_req *r)
{
	struct kv_entry *e;
	long long rank = 1, count = -1, maxlen = 0;   /* count -1: none */

	for (int j = 3; j < r->argc; j++) {
		const struct kv_arg *opt = &r->argv[j];
		bool more = j + 1 < r->argc;
		const struct kv_arg *v = &r->argv[j + 1];
		if (kv_arg_is(opt, "rank") && more) {
			if (!kv_str2ll(v->ptr, v->len, &rank)) {
				kv_reply_error(r->c, KV_ERR_NOT_INT);
				return;
			}
			if (rank == 0) {
				kv_reply_error(r->c, LPOS_ERR_RANK);
				return;
			}
		} else if (kv_arg_is(opt, "count") && more) {
			if (!kv_str2ll(v->ptr, v->len, &count) || count < 0) {
				kv_reply_error(r->c, "ERR COUNT can't be "
					       "negative");
				return;
			}
		} else if (kv_arg_is(opt, "maxlen") && more) {
			if (!kv_str2ll(v->ptr, v->len, &maxlen) || maxlen < 0) {
				kv_reply_error(r->c, "ERR MAXLEN can't be "
					       "negative");
				return;
			}
		} else {
			kv_reply_error(r->c, KV_ERR_SYNTAX);
			return;
		}
		j++;
	}
	if (!lookup_list(r, &r->argv[1], true, &e))
		return;
	if (e == NULL) {
		if (count != -1)
			kv_reply_array(r->c, 0);
		else
			kv_reply_null(r->c);
		return;
	}
	/*
	 * RANK -r starts from the tail. Redis negates the rank in a long:
	 * LLONG_MIN stays negative, so every match counts from the first
	 * one on and COUNT never stops the walk; so it does here.
	 */
	bool rev = rank < 0;
	uint64_t skip = rank == LLONG_MIN ? 0 :
			(rev ? -(uint64_t)rank : (uint64_t)rank) - 1;
	uint64_t limit = count == -1 ? 1 : count == 0 ? UINT64_MAX :
			 (uint64_t)count;
	if (rank == LLONG_MIN && count != -1)
		limit = UINT64_MAX;
	uint32_t last = 0;
	uint64_t found = lpos_scan(e, &r->argv[2], rev, skip,
				   (uint64_t)maxlen, limit, NULL, &last);
	if (count == -1) {
		if (found)
			kv_reply_int(r->c, last);
		else
			kv_reply_null(r->c);
		return;
	}
	kv_reply_array(r->c, (long long)found);
	lpos_scan(e, &r->argv[2], rev, skip, (uint64_t)maxlen, limit, r->c,
		  &last);
}

/*
 * lmove_generic -- LMOVE and RPOPLPUSH: pop from argv[1], push onto
 * argv[2] (possibly the same list: a rotation). The push comes first,
 * so nothing moves when memory runs out. The command is its own
 * deterministic effect.
 */
static void
lmove_generic(struct kv_req *r, bool from_left, bool to_left)
{
	struct kv_entry *src, *dst;
	struct ql_val v;
	struct ql_elem x;
	char *copy = NULL;

	if (!lookup_list(r, &r->argv[1], false, &src))
		return;
	if (src == NULL) {
		kv_reply_null(r->c);
		return;
	}
	if (!lookup_list(r, &r->argv[2], false, &dst))
		return;
	struct ql_it it = from_left ? (struct ql_it){ src->v.q.head, 0 } :
				      ql_last(src->v.q.tail);
	(void)ent_read(it.node->buf + it.off, &v);
	if (src == dst && (from_left == to_left || src->v.q.n == 1)) {
		/* Popped and pushed back at the same place. */
		kv_reply_bulk(r->c, v.p, v.len);
		kv_propagate(r->s, r->c->db, r->argc, r->argv);
		return;
	}
	if (src == dst && v.p != v.num) {
		/* The push may move the node the bytes are in. */
		copy = malloc(v.len ? v.len : 1);
		if (copy == NULL)
			goto oom;
		memcpy(copy, v.p, v.len);
		v.p = copy;
	}
	bool created = dst == NULL;
	if (created && (dst = list_new(r, &r->argv[2])) == NULL)
		goto oom;
	elem_prepare(&x, v.p, v.len);
	if (ql_push(r->s, dst, &x, to_left) != 0) {
		if (created)
			kv_delete(r->s, r->c->db, dst);
		goto oom;
	}
	kv_reply_bulk(r->c, v.p, v.len);   /* before the pop moves it */
	ql_del_range(r->s, src, from_left ? 0 : src->v.q.n - 1, 1);
	free(copy);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
	list_done(r, src);
	return;
oom:
	free(copy);
	kv_reply_error(r->c, "OOM out of memory");
}

void
cmd_lmove(struct kv_req *r)
{
	bool from_left, to_left;

	if (parse_where(r, &r->argv[3], &from_left) &&
	    parse_where(r, &r->argv[4], &to_left))
		lmove_generic(r, from_left, to_left);
}

void
cmd_rpoplpush(struct kv_req *r)
{
	lmove_generic(r, false, true);
}

/*
 * cmd_lmpop -- LMPOP numkeys key... LEFT|RIGHT [COUNT n]: pop from the
 * first non-empty list; the effect logged is LPOP/RPOP key n, as Redis
 * propagates it.
 */
void
cmd_lmpop(struct kv_req *r)
{
	long long numkeys, count = -1;
	bool left;
	int j;

	if (!kv_str2ll(r->argv[1].ptr, r->argv[1].len, &numkeys) ||
	    numkeys < 1) {
		kv_reply_error(r->c, "ERR numkeys should be greater than 0");
		return;
	}
	/* The direction follows the keys: argv[2 + numkeys]. */
	if (numkeys > r->argc - 3) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	j = 2 + (int)numkeys;
	if (!parse_where(r, &r->argv[j], &left))
		return;
	for (j++; j < r->argc; j++) {
		if (count == -1 && kv_arg_is(&r->argv[j], "count") &&
		    j + 1 < r->argc) {
			j++;
			const struct kv_arg *a = &r->argv[j];
			if (!kv_str2ll(a->ptr, a->len, &count) || count < 1) {
				kv_reply_error(r->c, "ERR count should be "
					       "greater than 0");
				return;
			}
		} else {
			kv_reply_error(r->c, KV_ERR_SYNTAX);
			return;
		}
	}
	if (count == -1)
		count = 1;
	for (j = 2; j < 2 + numkeys; j++) {
		struct kv_entry *e;
		if (!lookup_list(r, &r->argv[j], false, &e))
			return;
		if (e == NULL)
			continue;
		if ((uint64_t)count > e->v.q.n)
			count = e->v.q.n;
		kv_reply_array(r->c, 2);
		kv_reply_bulk(r->c, r->argv[j].ptr, r->argv[j].len);
		kv_reply_array(r->c, count);
		pop_reply(r, e, left, count);
		char num[24];
		int len = kv_ll2str(num, sizeof(num), count);
		struct kv_arg eff[3] = {
			{ left ? "LPOP" : "RPOP", 4 }, r->argv[j],
			{ num, (size_t)len },
		};
		kv_propagate(r->s, r->c->db, 3, eff);
		list_done(r, e);
		return;
	}
	kv_reply_null_array(r->c);
}

void
kv_list_init(struct kv_entry *e)
{
	e->type = KV_TYPE_LIST;
	e->encoding = KV_ENC_QUICKLIST;
	memset(&e->v.q, 0, sizeof(e->v.q));
}

int
kv_list_append(struct kv_shard *s, struct kv_entry *e, const char *p,
	       size_t len)
{
	struct ql_elem x;

	elem_prepare(&x, p, len);
	return ql_push(s, e, &x, false);
}

void
kv_list_free(struct kv_shard *s, struct kv_entry *e)
{
	ql_free_all(s, e);
}

uint32_t
kv_list_len(const struct kv_entry *e)
{
	return e->v.q.n;
}

int
kv_list_dup(struct kv_shard *s, struct kv_entry *dst,
	    const struct kv_entry *src)
{
	kv_list_init(dst);
	for (struct kv_qlnode *nd = src->v.q.head; nd; nd = nd->next) {
		struct kv_qlnode *c = node_alloc(s, nd->len);
		if (c == NULL)
			return -1;     /* the caller frees what was made */
		memcpy(c->buf, nd->buf, nd->len);
		c->len = nd->len;
		c->n = nd->n;
		node_link(dst, dst->v.q.tail, c);
		dst->v.q.n += c->n;
	}
	return 0;
}

void
kv_list_foreach(const struct kv_entry *e, uint32_t start, uint32_t n,
		bool rev, kv_list_elem_fn fn, void *ctx)
{
	struct ql_val v;

	if (n == 0)
		return;
	struct ql_it it = ql_seek(e, rev ? e->v.q.n - 1 - start : start);
	for (uint32_t i = 0; i < n; i++) {
		if (i > 0)
			(void)(rev ? it_prev(&it) : it_next(&it));
		(void)ent_read(it.node->buf + it.off, &v);
		fn(ctx, v.p, v.len);
	}
}

int
kv_list_set(struct kv_shard *s, struct kv_entry *e, struct kv_lelem *items,
	    uint32_t n)
{
	struct kv_entry tmp;

	if (n == 0)
		return -1;
	kv_list_init(&tmp);
	for (uint32_t i = 0; i < n; i++)
		if (kv_list_append(s, &tmp, items[i].ptr, items[i].len) != 0) {
			ql_free_all(s, &tmp);
			return -1;
		}
	kv_value_free(s, e);
	kv_list_init(e);
	e->v.q = tmp.v.q;
	return 0;
}

int
kv_list_verify(const struct kv_entry *e)
{
	uint64_t total = 0;
	uint32_t nodes = 0;
	const struct kv_qlnode *prev = NULL, *nd;

	for (nd = e->v.q.head; nd != NULL; prev = nd, nd = nd->next) {
		uint32_t off = 0, k = 0;
		if (nd->prev != prev || nd->n == 0 || nd->len > nd->cap)
			return -1;
		while (off < nd->len) {
			off += ent_read(nd->buf + off, NULL);
			k++;
		}
		if (off != nd->len || k != nd->n)
			return -1;
		for (k = 0; off > 0; k++)
			off = ent_prev(nd, off);
		if (k != nd->n)
			return -1;
		total += nd->n;
		nodes++;
	}
	return prev == e->v.q.tail && total == e->v.q.n &&
	       nodes == e->v.q.nodes ? 0 : -1;
}
