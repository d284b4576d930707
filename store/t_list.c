/*
 * t_list.c -- lists: a ring of elements per key. Pushes and pops at both
 * ends are O(1); indexing is O(1); inserting or removing in the middle
 * (LINSERT, LREM) moves the elements of the shorter side or compacts the
 * ring in one pass, O(n). The ring doubles when full and halves when a
 * quarter full, so a list that shrank gives its memory back. An emptied
 * list is deleted.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "kv_private.h"

#define LIST_MIN_CAP 8

#define LPOS_ERR_RANK "ERR RANK can't be zero: use 1 to start from the " \
	"first match, 2 from the second ... or use negative to start from " \
	"the end of the list"

/* list_at -- element i (0 = head) of a list. */
static struct kv_lelem *
list_at(struct kv_entry *e, uint64_t i)
{
	return &e->v.l.a[(e->v.l.head + i) % e->v.l.cap];
}

/* list_resize -- move the ring to cap slots (>= n), head at slot 0. */
static int
list_resize(struct kv_shard *s, struct kv_entry *e, uint32_t cap)
{
	struct kv_lelem *a = malloc((size_t)cap * sizeof(*a));

	if (a == NULL)
		return -1;
	for (uint32_t i = 0; i < e->v.l.n; i++)
		a[i] = *list_at(e, i);
	free(e->v.l.a);
	s->used_memory -= (size_t)e->v.l.cap * sizeof(*a);
	s->used_memory += (size_t)cap * sizeof(*a);
	e->v.l.a = a;
	e->v.l.head = 0;
	e->v.l.cap = cap;
	return 0;
}

/* list_reserve -- room for one more element: double a full ring. */
static int
list_reserve(struct kv_shard *s, struct kv_entry *e)
{
	if (e->v.l.n < e->v.l.cap)
		return 0;
	if (e->v.l.cap > UINT32_MAX / 2)
		return -1;
	return list_resize(s, e, e->v.l.cap ? e->v.l.cap * 2 : LIST_MIN_CAP);
}

/*
 * list_fit -- halve the ring while it is at most a quarter full (never
 * below LIST_MIN_CAP); growth at full and shrink at a quarter keep the
 * copies amortised O(1). A failed allocation keeps the larger ring.
 */
static void
list_fit(struct kv_shard *s, struct kv_entry *e)
{
	uint32_t cap = e->v.l.cap;

	while (cap > LIST_MIN_CAP && e->v.l.n <= cap / 4)
		cap /= 2;
	if (cap != e->v.l.cap)
		(void)list_resize(s, e, cap);
}

/* elem_new -- a copy of an argument as an element; -1 out of memory. */
static int
elem_new(struct kv_shard *s, const struct kv_arg *a, struct kv_lelem *x)
{
	x->ptr = malloc(a->len ? a->len : 1);
	if (x->ptr == NULL)
		return -1;
	memcpy(x->ptr, a->ptr, a->len);
	x->len = a->len;
	s->used_memory += a->len;
	return 0;
}

/* elem_free -- free an element taken out of a list. */
static void
elem_free(struct kv_shard *s, struct kv_lelem *x)
{
	s->used_memory -= x->len;
	free(x->ptr);
}

/* elem_eq -- whether an element holds the bytes of an argument. */
static bool
elem_eq(const struct kv_lelem *x, const struct kv_arg *a)
{
	return x->len == a->len && memcmp(x->ptr, a->ptr, a->len) == 0;
}

/* list_push -- add an element at the head or tail; room was reserved. */
static void
list_push(struct kv_entry *e, struct kv_lelem x, bool left)
{
	if (left) {
		e->v.l.head = (e->v.l.head + e->v.l.cap - 1) % e->v.l.cap;
		e->v.l.a[e->v.l.head] = x;
	} else {
		*list_at(e, e->v.l.n) = x;
	}
	e->v.l.n++;
}

/* list_pop -- take the head or tail element; the caller owns it. */
static struct kv_lelem
list_pop(struct kv_entry *e, bool left)
{
	struct kv_lelem x;

	if (left) {
		x = e->v.l.a[e->v.l.head];
		e->v.l.head = (e->v.l.head + 1) % e->v.l.cap;
	} else {
		x = *list_at(e, e->v.l.n - 1);
	}
	e->v.l.n--;
	return x;
}

/*
 * list_insert -- put x at index i (0..n), room reserved: the elements
 * of the shorter side of i move by one slot.
 */
static void
list_insert(struct kv_entry *e, uint32_t i, struct kv_lelem x)
{
	uint32_t n = e->v.l.n;

	if (i < n - i) {
		e->v.l.head = (e->v.l.head + e->v.l.cap - 1) % e->v.l.cap;
		for (uint32_t k = 0; k < i; k++)
			*list_at(e, k) = *list_at(e, k + 1);
	} else {
		for (uint32_t k = n; k > i; k--)
			*list_at(e, k) = *list_at(e, k - 1);
	}
	*list_at(e, i) = x;
	e->v.l.n++;
}

/* list_new -- create key as an empty list; NULL when out of memory. */
static struct kv_entry *
list_new(struct kv_req *r, const struct kv_arg *key)
{
	struct kv_entry *e = kv_create(r->s, r->c->db, key->ptr, key->len);

	if (e == NULL)
		return NULL;
	e->type = KV_TYPE_LIST;
	e->encoding = KV_ENC_RING;
	memset(&e->v.l, 0, sizeof(e->v.l));
	return e;
}

/* list_done -- after removals: delete an emptied list, else fit it. */
static void
list_done(struct kv_req *r, struct kv_entry *e)
{
	if (e->v.l.n == 0)
		kv_delete(r->s, r->c->db, e);
	else
		list_fit(r->s, e);
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
		struct kv_lelem x;
		if (list_reserve(r->s, e) != 0 ||
		    elem_new(r->s, &r->argv[i], &x) != 0)
			goto oom;
		list_push(e, x, left);
	}
	kv_reply_int(r->c, e->v.l.n);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
	return;
oom:
	if (e != NULL && e->v.l.n == 0)
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

/* pop_reply -- pop count (<= n) elements, each replied as a bulk. */
static void
pop_reply(struct kv_req *r, struct kv_entry *e, bool left, long long count)
{
	for (long long i = 0; i < count; i++) {
		struct kv_lelem x = list_pop(e, left);
		kv_reply_bulk(r->c, x.ptr, x.len);
		elem_free(r->s, &x);
	}
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
		if ((uint64_t)count > e->v.l.n)
			count = e->v.l.n;
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
		kv_reply_int(r->c, e != NULL ? e->v.l.n : 0);
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
	long long n = e != NULL ? e->v.l.n : 0;
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
	for (long long i = start; i <= end; i++) {
		struct kv_lelem *x = list_at(e, (uint64_t)i);
		kv_reply_bulk(r->c, x->ptr, x->len);
	}
}

/* index_of -- a Redis list index (negative from the tail) as 0..n-1,
 * or -1 when out of range. */
static long long
index_of(const struct kv_entry *e, long long index)
{
	long long n = e->v.l.n;

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
	struct kv_lelem *x = list_at(e, (uint64_t)index);
	kv_reply_bulk(r->c, x->ptr, x->len);
}

void
cmd_lset(struct kv_req *r)
{
	struct kv_entry *e;
	struct kv_lelem x;
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
	if (elem_new(r->s, &r->argv[3], &x) != 0) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	elem_free(r->s, list_at(e, (uint64_t)index));
	*list_at(e, (uint64_t)index) = x;
	kv_reply_ok(r->c);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
}

void
cmd_linsert(struct kv_req *r)
{
	struct kv_entry *e;
	struct kv_lelem x;
	bool before;
	uint32_t i;

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
	for (i = 0; i < e->v.l.n; i++)
		if (elem_eq(list_at(e, i), &r->argv[3]))
			break;
	if (i == e->v.l.n) {
		kv_reply_int(r->c, -1);
		return;
	}
	if (list_reserve(r->s, e) != 0 ||
	    elem_new(r->s, &r->argv[4], &x) != 0) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	list_insert(e, before ? i : i + 1, x);
	kv_reply_int(r->c, e->v.l.n);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
}

/*
 * cmd_lrem -- remove up to |count| elements equal to the argument, from
 * the head (count > 0), the tail (count < 0), or all (0), compacting the
 * ring in one pass towards the end the scan starts from.
 */
void
cmd_lrem(struct kv_req *r)
{
	struct kv_entry *e;
	long long count;
	uint64_t limit, removed = 0;

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
	uint32_t n = e->v.l.n, w;
	limit = count == 0 ? UINT64_MAX :
		count > 0 ? (uint64_t)count : -(uint64_t)count;
	if (count >= 0) {
		w = 0;
		for (uint32_t i = 0; i < n; i++) {
			struct kv_lelem *x = list_at(e, i);
			if (removed < limit && elem_eq(x, &r->argv[3])) {
				elem_free(r->s, x);
				removed++;
				continue;
			}
			if (w != i)
				*list_at(e, w) = *x;
			w++;
		}
	} else {
		w = n;
		for (uint32_t i = n; i-- > 0;) {
			struct kv_lelem *x = list_at(e, i);
			if (removed < limit && elem_eq(x, &r->argv[3])) {
				elem_free(r->s, x);
				removed++;
				continue;
			}
			if (--w != i)
				*list_at(e, w) = *x;
		}
		e->v.l.head = (uint32_t)((e->v.l.head + removed) % e->v.l.cap);
	}
	e->v.l.n = n - (uint32_t)removed;
	kv_reply_int(r->c, (long long)removed);
	if (removed == 0)
		return;
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
	long long n = e->v.l.n;
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
	for (long long i = 0; i < ltrim; i++) {
		struct kv_lelem x = list_pop(e, true);
		elem_free(r->s, &x);
	}
	for (long long i = 0; i < rtrim; i++) {
		struct kv_lelem x = list_pop(e, false);
		elem_free(r->s, &x);
	}
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
	uint32_t n = e->v.l.n;
	uint64_t taken = 0;

	for (uint32_t k = 0; k < n && (maxlen == 0 || k < maxlen); k++) {
		uint32_t i = rev ? n - 1 - k : k;
		if (!elem_eq(list_at(e, i), ele))
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
 * argv[2] (possibly the same list: a rotation). The destination's room
 * is reserved first, so nothing moves when memory runs out. The
 * command is its own deterministic effect.
 */
static void
lmove_generic(struct kv_req *r, bool from_left, bool to_left)
{
	struct kv_entry *src, *dst;

	if (!lookup_list(r, &r->argv[1], false, &src))
		return;
	if (src == NULL) {
		kv_reply_null(r->c);
		return;
	}
	if (!lookup_list(r, &r->argv[2], false, &dst))
		return;
	bool created = dst == NULL;
	if (created && (dst = list_new(r, &r->argv[2])) == NULL)
		goto oom;
	if (list_reserve(r->s, dst) != 0) {
		if (created)
			kv_delete(r->s, r->c->db, dst);
		goto oom;
	}
	struct kv_lelem x = list_pop(src, from_left);
	list_push(dst, x, to_left);
	kv_reply_bulk(r->c, x.ptr, x.len);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
	if (src != dst)
		list_done(r, src);
	return;
oom:
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
		if ((uint64_t)count > e->v.l.n)
			count = e->v.l.n;
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
	e->encoding = KV_ENC_RING;
	memset(&e->v.l, 0, sizeof(e->v.l));
}

int
kv_list_append(struct kv_shard *s, struct kv_entry *e, const char *p,
	       size_t len)
{
	struct kv_arg a = { p, len };
	struct kv_lelem x;

	if (list_reserve(s, e) != 0 || elem_new(s, &a, &x) != 0)
		return -1;
	list_push(e, x, false);
	return 0;
}
