/*
 * reply.h -- RESP2 reply encoding for command handlers.
 *
 * Every function appends one encoded element through the client's write
 * function. Errors are written without the leading '-': pass the whole
 * Redis text, for example kv_reply_error(c, "ERR syntax error").
 */
#ifndef RP_REPLY_H
#define RP_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "kv.h"

void kv_reply_raw(struct kv_client *c, const void *buf, size_t len);
void kv_reply_ok(struct kv_client *c);                      /* +OK */
void kv_reply_simple(struct kv_client *c, const char *s);   /* +s */
void kv_reply_error(struct kv_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));              /* -ERR ... */
void kv_reply_int(struct kv_client *c, long long v);        /* :v */
void kv_reply_bulk(struct kv_client *c, const void *p, size_t len);
void kv_reply_bulk_cstr(struct kv_client *c, const char *s);
void kv_reply_bulk_ll(struct kv_client *c, long long v);    /* $n\r\n123 */
void kv_reply_bulk_double(struct kv_client *c, long double v); /* %.17Lg */
void kv_reply_null(struct kv_client *c);                    /* $-1 */
void kv_reply_null_array(struct kv_client *c);              /* *-1 */
void kv_reply_array(struct kv_client *c, long long n);      /* *n */

/* Common error texts, exactly as Redis 7.0 writes them. */
#define KV_ERR_SYNTAX    "ERR syntax error"
#define KV_ERR_WRONGTYPE \
	"WRONGTYPE Operation against a key holding the wrong kind of value"
#define KV_ERR_NOT_INT   "ERR value is not an integer or out of range"
#define KV_ERR_NOT_FLOAT "ERR value is not a valid float"
#define KV_ERR_OVERFLOW  "ERR increment or decrement would overflow"
#define KV_ERR_NO_KEY    "ERR no such key"
#define KV_ERR_DB_INDEX  "ERR DB index is out of range"

#endif /* RP_REPLY_H */
