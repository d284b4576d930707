/*
 * t_list.c -- lists: a ring of elements per key, push and pop at both
 * ends in O(1), LRANGE by index. The first list commands; the compact
 * (listpack-like) encoding comes with the rest of the type.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "kv_private.h"

/* list_at -- element i (0 = head) of a list. */
static struct kv_lelem *
list_at(struct kv_entry *e, uint32_t i)
{
	return &e->v.l.a[(e->v.l.head + i) % e->v.l.cap];
}

/* list_grow -- double the ring, keeping the order. */
static int
list_grow(struct kv_shard *s, struct kv_entry *e)
{
	uint32_t cap = e->v.l.cap ? e->v.l.cap * 2 : 8;
	struct kv_lelem *a = malloc((size_t)cap * sizeof(*a));

	if (a == NULL)
		return -1;
	for (uint32_t i = 0; i < e->v.l.n; i++)
		a[i] = *list_at(e, i);
	free(e->v.l.a);
	s->used_memory += (size_t)(cap - e->v.l.cap) * sizeof(*a);
	e->v.l.a = a;
	e->v.l.head = 0;
	e->v.l.cap = cap;
	return 0;
}

/* lookup_list -- a live key; false after WRONGTYPE was replied. */
static bool
lookup_list(struct kv_req *r, struct kv_entry **e)
{
	*e = kv_lookup(r->s, r->c->db, r->argv[1].ptr, r->argv[1].len, true);
	return kv_check_type_or_reply(r, *e, KV_TYPE_LIST);
}

/* push_generic -- LPUSH and RPUSH. */
static void
push_generic(struct kv_req *r, bool left)
{
	struct kv_entry *e;

	if (!lookup_list(r, &e))
		return;
	if (e == NULL) {
		e = kv_create(r->s, r->c->db, r->argv[1].ptr, r->argv[1].len);
		if (e == NULL)
			goto oom;
		e->type = KV_TYPE_LIST;
		e->encoding = KV_ENC_RING;
		memset(&e->v.l, 0, sizeof(e->v.l));
	}
	for (int i = 2; i < r->argc; i++) {
		if (e->v.l.n == e->v.l.cap && list_grow(r->s, e) != 0)
			goto oom;
		struct kv_lelem x = { malloc(r->argv[i].len ? r->argv[i].len : 1),
				      r->argv[i].len };
		if (x.ptr == NULL)
			goto oom;
		memcpy(x.ptr, r->argv[i].ptr, x.len);
		r->s->used_memory += x.len;
		if (left) {
			e->v.l.head = (e->v.l.head + e->v.l.cap - 1) % e->v.l.cap;
			e->v.l.a[e->v.l.head] = x;
		} else {
			*list_at(e, e->v.l.n) = x;
		}
		e->v.l.n++;
	}
	kv_reply_int(r->c, e->v.l.n);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
	return;
oom:
	kv_reply_error(r->c, "OOM out of memory");
}

void
cmd_lpush(struct kv_req *r)
{
	push_generic(r, true);
}

void
cmd_rpush(struct kv_req *r)
{
	push_generic(r, false);
}

/* pop_one -- take the head or tail element; the caller frees it. */
static struct kv_lelem
pop_one(struct kv_shard *s, struct kv_entry *e, bool left)
{
	struct kv_lelem x;

	if (left) {
		x = e->v.l.a[e->v.l.head];
		e->v.l.head = (e->v.l.head + 1) % e->v.l.cap;
	} else {
		x = *list_at(e, e->v.l.n - 1);
	}
	e->v.l.n--;
	s->used_memory -= x.len;
	return x;
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
	if (!lookup_list(r, &e))
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
	for (long long i = 0; i < count; i++) {
		struct kv_lelem x = pop_one(r->s, e, left);
		kv_reply_bulk(r->c, x.ptr, x.len);
		free(x.ptr);
	}
	if (count == 0)
		return;
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
	if (e->v.l.n == 0)
		kv_delete(r->s, r->c->db, e);
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

	if (lookup_list(r, &e))
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
	if (!lookup_list(r, &e))
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
		struct kv_lelem *x = list_at(e, (uint32_t)i);
		kv_reply_bulk(r->c, x->ptr, x->len);
	}
}
