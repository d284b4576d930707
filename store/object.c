/*
 * object.c -- values. Strings are kept as Redis keeps them: a canonical
 * integer that fits a long long is stored as a number (OBJECT ENCODING
 * "int"), anything else as bytes. Every byte allocated is accounted for
 * in the shard's used_memory.
 */
#include <stdlib.h>
#include <string.h>

#include "kv_private.h"

void
kv_value_free(struct kv_shard *s, struct kv_entry *e)
{
	if (e->type == KV_TYPE_LIST) {
		for (uint32_t i = 0; i < e->v.l.n; i++) {
			struct kv_lelem *x =
				&e->v.l.a[(e->v.l.head + i) % e->v.l.cap];
			s->used_memory -= x->len;
			free(x->ptr);
		}
		s->used_memory -= (size_t)e->v.l.cap * sizeof(struct kv_lelem);
		free(e->v.l.a);
		e->type = KV_TYPE_STRING;
	} else if (e->type == KV_TYPE_HASH) {
		kv_hash_free(s, e);
		e->type = KV_TYPE_STRING;
	} else if (e->encoding == KV_ENC_RAW && e->v.s.ptr != NULL) {
		s->used_memory -= e->v.s.cap;
		free(e->v.s.ptr);
	}
	e->encoding = KV_ENC_RAW;
	e->eflags &= (uint8_t)~KV_EFLAG_EMBSTR;
	e->v.s.ptr = NULL;
	e->v.s.len = 0;
	e->v.s.cap = 0;
}

int
kv_str_reserve(struct kv_shard *s, struct kv_entry *e, size_t len)
{
	e->eflags &= (uint8_t)~KV_EFLAG_EMBSTR;  /* changed in place: raw */
	if (e->encoding != KV_ENC_RAW) {
		char buf[32];
		size_t n;
		const char *p = kv_str_get(e, buf, &n);
		e->encoding = KV_ENC_RAW;
		e->v.s.ptr = NULL;
		e->v.s.len = e->v.s.cap = 0;
		if (kv_str_reserve(s, e, len > n ? len : n) != 0)
			return -1;
		memcpy(e->v.s.ptr, p, n);
		e->v.s.len = n;
		return 0;
	}
	if (len <= e->v.s.cap && e->v.s.ptr != NULL)
		return 0;
	size_t cap = len < 16 ? 16 : len;
	if (e->v.s.cap != 0 && cap < e->v.s.cap * 2)
		cap = e->v.s.cap * 2;   /* APPEND grows geometrically */
	char *p = realloc(e->v.s.ptr, cap);
	if (p == NULL)
		return -1;
	s->used_memory += cap - e->v.s.cap;
	e->v.s.ptr = p;
	e->v.s.cap = cap;
	return 0;
}

int
kv_str_set(struct kv_shard *s, struct kv_entry *e, const char *p,
	   size_t len)
{
	long long v;

	kv_value_free(s, e);
	e->type = KV_TYPE_STRING;
	if (len <= 20 && kv_str2ll(p, len, &v)) {
		kv_str_set_int(s, e, v);
		return 0;
	}
	if (len == 0) {
		e->eflags |= KV_EFLAG_EMBSTR;
		return 0;
	}
	e->v.s.ptr = malloc(len);
	if (e->v.s.ptr == NULL)
		return -1;
	memcpy(e->v.s.ptr, p, len);
	e->v.s.len = e->v.s.cap = len;
	e->eflags |= KV_EFLAG_EMBSTR;
	s->used_memory += len;
	return 0;
}

void
kv_str_set_int(struct kv_shard *s, struct kv_entry *e, long long v)
{
	kv_value_free(s, e);
	e->type = KV_TYPE_STRING;
	e->encoding = KV_ENC_INT;
	e->v.ival = v;
}

const char *
kv_str_get(const struct kv_entry *e, char *buf, size_t *len)
{
	if (e->encoding == KV_ENC_INT) {
		*len = (size_t)kv_ll2str(buf, 32, e->v.ival);
		return buf;
	}
	*len = e->v.s.len;
	return e->v.s.ptr != NULL ? e->v.s.ptr : "";
}

const char *
kv_type_name(const struct kv_entry *e)
{
	switch (e->type) {
	case KV_TYPE_STRING:
		return "string";
	case KV_TYPE_LIST:
		return "list";
	case KV_TYPE_HASH:
		return "hash";
	}
	return "none";
}
