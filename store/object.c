/*
 * object.c -- values. Strings are kept as Redis keeps them: a canonical
 * integer that fits a long long is stored as a number (OBJECT ENCODING
 * "int"), anything else as bytes. Every byte allocated is accounted for
 * in the shard's used_memory.
 */
#include <stdlib.h>
#include <string.h>

#include "dict.h"
#include "kv_private.h"

void
kv_value_free(struct kv_shard *s, struct kv_entry *e)
{
	if (e->type == KV_TYPE_LIST) {
		kv_list_free(s, e);
		e->type = KV_TYPE_STRING;
	} else if (e->type == KV_TYPE_HASH) {
		kv_hash_free(s, e);
	} else if (e->type == KV_TYPE_ZSET) {
		kv_zset_free(s, e);
		e->type = KV_TYPE_STRING;
	} else if (e->type == KV_TYPE_SET) {
		kv_set_free(s, e);
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

	if (len <= 20 && kv_str2ll(p, len, &v)) {
		kv_str_set_int(s, e, v);
		return 0;
	}
	return kv_str_set_bytes(s, e, p, len);
}

int
kv_str_set_bytes(struct kv_shard *s, struct kv_entry *e, const char *p,
		 size_t len)
{
	kv_value_free(s, e);
	e->type = KV_TYPE_STRING;
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
kv_encoding_name(const struct kv_entry *e)
{
	switch (e->type) {
	case KV_TYPE_STRING:
		if (e->encoding == KV_ENC_INT)
			return "int";
		return (e->eflags & KV_EFLAG_EMBSTR) &&
		       e->v.s.len <= KV_EMBSTR_MAX ? "embstr" : "raw";
	case KV_TYPE_LIST:
		/* Redis 7.0 keeps every list in a quicklist. */
		return "quicklist";
	case KV_TYPE_HASH:
		return e->encoding == KV_ENC_LISTPACK ? "listpack" :
						       "hashtable";
	case KV_TYPE_SET:
		return e->encoding == KV_ENC_INTSET ? "intset" : "hashtable";
	case KV_TYPE_ZSET:
		return e->encoding == KV_ENC_LISTPACK ? "listpack" :
						       "skiplist";
	}
	return "unknown";
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
	case KV_TYPE_SET:
		return "set";
	case KV_TYPE_ZSET:
		return "zset";
	}
	return "none";
}

/* dup_string -- copy a string value (its encoding and embstr flag). */
static int
dup_string(struct kv_shard *s, struct kv_entry *dst,
	   const struct kv_entry *src)
{
	if (src->encoding == KV_ENC_INT) {
		kv_str_set_int(s, dst, src->v.ival);
		return 0;
	}
	if (src->v.s.len > 0) {
		dst->v.s.ptr = malloc(src->v.s.len);
		if (dst->v.s.ptr == NULL)
			return -1;
		memcpy(dst->v.s.ptr, src->v.s.ptr, src->v.s.len);
		dst->v.s.len = dst->v.s.cap = src->v.s.len;
		s->used_memory += src->v.s.len;
	}
	dst->eflags |= src->eflags & KV_EFLAG_EMBSTR;
	return 0;
}

/* What dup_hash_field needs: the new dict, and whether all went well. */
struct dup_hash_ctx {
	struct kv_dict *d;
	int rc;
};

/* dup_hash_field -- kv_dict_foreach callback: copy one field. */
static void
dup_hash_field(void *arg, const struct kv_dict_entry *de)
{
	struct dup_hash_ctx *x = arg;
	bool created;

	if (x->rc != 0)
		return;
	struct kv_dict_entry *ne = kv_dict_add(x->d, de->field, de->flen,
					       &created);
	if (ne == NULL ||
	    kv_dict_set_value(x->d, ne, de->v.s.ptr, de->v.s.len) != 0)
		x->rc = -1;
}

/* dup_hash -- copy a hash in its encoding. */
static int
dup_hash(struct kv_shard *s, struct kv_entry *dst,
	 const struct kv_entry *src)
{
	dst->type = KV_TYPE_HASH;
	if (src->encoding == KV_ENC_LISTPACK) {
		uint32_t cap = src->v.lp.len ? src->v.lp.len : 1;
		char *b = malloc(cap);
		if (b == NULL) {
			dst->type = KV_TYPE_STRING;
			return -1;
		}
		memcpy(b, src->v.lp.buf, src->v.lp.len);
		dst->encoding = KV_ENC_LISTPACK;
		dst->v.lp.buf = b;
		dst->v.lp.len = src->v.lp.len;
		dst->v.lp.cap = cap;
		dst->v.lp.n = src->v.lp.n;
		s->used_memory += cap;
		return 0;
	}
	struct dup_hash_ctx x = {
		kv_dict_create(kv_rand(s), true, &s->used_memory), 0
	};
	if (x.d == NULL) {
		dst->type = KV_TYPE_STRING;
		return -1;
	}
	dst->encoding = KV_ENC_HASHTABLE;
	dst->v.d = x.d;
	kv_dict_foreach(src->v.d, dup_hash_field, &x);
	return x.rc;
}

int
kv_value_dup(struct kv_shard *s, struct kv_entry *dst,
	     const struct kv_entry *src)
{
	int rc = -1;

	kv_value_free(s, dst);
	switch (src->type) {
	case KV_TYPE_STRING:
		rc = dup_string(s, dst, src);
		break;
	case KV_TYPE_LIST:
		rc = kv_list_dup(s, dst, src);
		break;
	case KV_TYPE_HASH:
		rc = dup_hash(s, dst, src);
		break;
	case KV_TYPE_SET:
		rc = kv_set_dup(s, dst, (struct kv_entry *)src);
		break;
	case KV_TYPE_ZSET:
		rc = kv_zset_dup(s, dst, src);
		break;
	}
	if (rc != 0)
		kv_value_free(s, dst);
	return rc;
}
