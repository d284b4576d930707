/*
 * t_bitops.c -- bitmap commands on string values: SETBIT, GETBIT,
 * BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO, with Redis 7.0's
 * replies, error texts and argument order.
 *
 * A bitmap is a plain string value: bit 0 is the most significant bit of
 * the first byte. Writes turn an integer-encoded string into raw bytes
 * first and pad the string with zero bytes up to the highest bit they
 * touch; strings stay within proto-max-bulk-len (512 MB) as in Redis.
 * Every write is logged as the command itself: replay runs on the same
 * state (no lazy expiry while replaying), so it makes the same bytes.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "kv_private.h"

#define BITS_MAX_BYTES (512ULL * 1024 * 1024)   /* proto-max-bulk-len */

#define BITS_ERR_OFFSET "ERR bit offset is not an integer or out of range"
#define BITS_ERR_BIT    "ERR bit is not an integer or out of range"
#define BITS_ERR_TYPE   "ERR Invalid bitfield type. Use something like " \
			"i16 u8. Note that u64 is not supported but i64 is."

/* Overflow behaviours of BITFIELD. */
enum bits_overflow {
	BITS_OW_WRAP,
	BITS_OW_SAT,
	BITS_OW_FAIL,
};

/* BITFIELD operations. */
enum bits_op {
	BITS_OP_GET,
	BITS_OP_SET,
	BITS_OP_INCRBY,
};

/* One parsed BITFIELD operation. */
struct bits_field_op {
	uint64_t offset;
	int64_t arg;            /* SET value or INCRBY increment */
	uint8_t op;             /* enum bits_op */
	uint8_t overflow;       /* enum bits_overflow */
	uint8_t width;          /* 1..64 */
	bool sign;
};

/*
 * bits_offset_or_reply -- a bit offset argument, as Redis's
 * getBitOffsetFromArgument: "#n" (when width != 0) means n * width; the
 * byte it falls in must be below 512 MB.
 */
static bool
bits_offset_or_reply(struct kv_req *r, const struct kv_arg *a, int width,
		     uint64_t *off)
{
	const char *p = a->ptr;
	size_t len = a->len;
	bool hash = width > 0 && len > 0 && p[0] == '#';
	long long v;

	if (!kv_str2ll(p + hash, len - hash, &v)) {
		kv_reply_error(r->c, BITS_ERR_OFFSET);
		return false;
	}
	/* Redis multiplies without an overflow check: the product wraps
	 * (#2305843009213693953 of i8 is bit 8), and so it does here. */
	if (hash)
		v = (long long)((unsigned long long)v * (unsigned)width);
	if (v < 0 || (unsigned long long)v >> 3 >= BITS_MAX_BYTES) {
		kv_reply_error(r->c, BITS_ERR_OFFSET);
		return false;
	}
	*off = (uint64_t)v;
	return true;
}

/* bits_ll_or_reply -- an integer argument, or Redis's error. */
static bool
bits_ll_or_reply(struct kv_req *r, const struct kv_arg *a, long long *v)
{
	if (kv_str2ll(a->ptr, a->len, v))
		return true;
	kv_reply_error(r->c, KV_ERR_NOT_INT);
	return false;
}

/*
 * bits_type_or_reply -- a BITFIELD type: i1..i64 or u1..u63, as Redis's
 * getBitfieldTypeFromArgument.
 */
static bool
bits_type_or_reply(struct kv_req *r, const struct kv_arg *a, bool *sign,
		   int *width)
{
	long long w;

	if (a->len < 2 || (a->ptr[0] != 'i' && a->ptr[0] != 'u') ||
	    !kv_str2ll(a->ptr + 1, a->len - 1, &w) || w < 1 ||
	    w > (a->ptr[0] == 'i' ? 64 : 63)) {
		kv_reply_error(r->c, BITS_ERR_TYPE);
		return false;
	}
	*sign = a->ptr[0] == 'i';
	*width = (int)w;
	return true;
}

/*
 * bits_lookup_read_or_reply -- a live string key for reading: its bytes
 * in p and len (buf holds an integer's digits). Returns false after a
 * WRONGTYPE reply; *e is NULL for a missing key.
 */
static bool
bits_lookup_read_or_reply(struct kv_req *r, const struct kv_arg *key,
			  struct kv_entry **e, char *buf,
			  const uint8_t **p, size_t *len)
{
	*e = kv_lookup(r->s, r->c->db, key->ptr, key->len, true);
	if (!kv_check_type_or_reply(r, *e, KV_TYPE_STRING))
		return false;
	*len = 0;
	*p = NULL;
	if (*e != NULL)
		*p = (const uint8_t *)kv_str_get(*e, buf, len);
	return true;
}

/*
 * bits_lookup_write_or_reply -- the string at argv[1] as raw bytes long
 * enough to hold bit maxbit, created or padded with zero bytes (Redis's
 * lookupStringForBitCommand). NULL after replying WRONGTYPE or OOM.
 */
static struct kv_entry *
bits_lookup_write_or_reply(struct kv_req *r, uint64_t maxbit)
{
	const struct kv_arg *key = &r->argv[1];
	size_t need = (size_t)(maxbit >> 3) + 1;
	struct kv_entry *e;
	bool created = false;
	char buf[32];
	size_t len;

	e = kv_lookup(r->s, r->c->db, key->ptr, key->len, false);
	if (!kv_check_type_or_reply(r, e, KV_TYPE_STRING))
		return NULL;
	if (e == NULL) {
		e = kv_create(r->s, r->c->db, key->ptr, key->len);
		if (e == NULL)
			goto oom;
		created = true;
	}
	kv_str_get(e, buf, &len);
	if (kv_str_reserve(r->s, e, need > len ? need : len) != 0) {
		if (created)
			kv_delete(r->s, r->c->db, e);
		goto oom;
	}
	if (need > e->v.s.len) {
		memset(e->v.s.ptr + e->v.s.len, 0, need - e->v.s.len);
		e->v.s.len = need;
	}
	return e;
oom:
	kv_reply_error(r->c, "OOM out of memory");
	return NULL;
}

/* bits_popcount -- bits set in n bytes, eight bytes at a time. */
static uint64_t
bits_popcount(const uint8_t *p, size_t n)
{
	uint64_t count = 0;

	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, p, sizeof(w));
		count += (uint64_t)__builtin_popcountll(w);
	}
	while (n-- > 0)
		count += (uint64_t)__builtin_popcount(*p++);
	return count;
}

/* bits_count_range -- bits set from bit sb to bit eb included. */
static uint64_t
bits_count_range(const uint8_t *p, uint64_t sb, uint64_t eb)
{
	uint64_t first = sb >> 3, last = eb >> 3;
	uint64_t count = bits_popcount(p + first, last - first + 1);
	uint8_t before = (uint8_t)(0xff00u >> (sb & 7));  /* bits < sb */
	uint8_t after = (uint8_t)((1u << (7 - (eb & 7))) - 1);  /* > eb */

	count -= (uint64_t)__builtin_popcount(p[first] & before);
	count -= (uint64_t)__builtin_popcount(p[last] & after);
	return count;
}

/* bits_get -- bit i of p (0 = most significant bit of p[0]). */
static inline unsigned
bits_get(const uint8_t *p, uint64_t i)
{
	return (p[i >> 3] >> (7 - (i & 7))) & 1;
}

/*
 * bits_find -- the first bit equal to bit from sb to eb included, or -1.
 * Whole bytes and words holding no such bit are skipped at once.
 */
static long long
bits_find(const uint8_t *p, uint64_t sb, uint64_t eb, unsigned bit)
{
	uint8_t none = bit ? 0x00 : 0xff;
	uint64_t none64 = bit ? 0 : UINT64_MAX;
	uint64_t i = sb;

	while (i <= eb) {
		if ((i & 7) == 0 && eb - i >= 63) {
			uint64_t w;
			memcpy(&w, p + (i >> 3), sizeof(w));
			if (w == none64) {
				i += 64;
				continue;
			}
		}
		if ((i & 7) == 0 && eb - i >= 7 && p[i >> 3] == none) {
			i += 8;
			continue;
		}
		if (bits_get(p, i) == bit)
			return (long long)i;
		i++;
	}
	return -1;
}

/*
 * bits_range -- Redis's start/end normalization over n units (bytes or
 * bits): negative counts from the end, clamped to the string. Returns
 * false for an empty range.
 */
static bool
bits_range(long long n, long long *start, long long *end)
{
	if (*start < 0)
		*start += n;
	if (*end < 0)
		*end += n;
	if (*start < 0)
		*start = 0;
	if (*end < 0)
		*end = 0;
	if (*end >= n)
		*end = n - 1;
	return *start <= *end;
}

/* bits_unit_or_reply -- BYTE (false) or BIT (true), else syntax error. */
static bool
bits_unit_or_reply(struct kv_req *r, const struct kv_arg *a, bool *isbit)
{
	if (kv_arg_is(a, "bit")) {
		*isbit = true;
	} else if (kv_arg_is(a, "byte")) {
		*isbit = false;
	} else {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return false;
	}
	return true;
}

void
cmd_setbit(struct kv_req *r)
{
	uint64_t off;
	long long on;
	struct kv_entry *e;

	if (!bits_offset_or_reply(r, &r->argv[2], 0, &off))
		return;
	if (!kv_str2ll(r->argv[3].ptr, r->argv[3].len, &on) || (on & ~1)) {
		kv_reply_error(r->c, BITS_ERR_BIT);
		return;
	}
	e = bits_lookup_write_or_reply(r, off);
	if (e == NULL)
		return;
	uint8_t *byte = (uint8_t *)e->v.s.ptr + (off >> 3);
	uint8_t mask = (uint8_t)(0x80 >> (off & 7));
	int old = (*byte & mask) != 0;
	*byte = on ? (uint8_t)(*byte | mask) : (uint8_t)(*byte & ~mask);
	kv_reply_int(r->c, old);
	kv_propagate(r->s, r->c->db, r->argc, r->argv);
}

void
cmd_getbit(struct kv_req *r)
{
	uint64_t off;
	struct kv_entry *e;
	const uint8_t *p;
	char buf[32];
	size_t len;

	if (!bits_offset_or_reply(r, &r->argv[2], 0, &off))
		return;
	if (!bits_lookup_read_or_reply(r, &r->argv[1], &e, buf, &p, &len))
		return;
	kv_reply_int(r->c, (off >> 3) < len ? (long long)bits_get(p, off) : 0);
}

void
cmd_bitcount(struct kv_req *r)
{
	struct kv_entry *e;
	const uint8_t *p;
	char buf[32];
	size_t len;
	long long start, end;
	bool isbit = false;

	/* Redis 7.0 looks the key up before it parses the range. */
	if (!bits_lookup_read_or_reply(r, &r->argv[1], &e, buf, &p, &len))
		return;
	if (e == NULL) {
		kv_reply_int(r->c, 0);
		return;
	}
	if (r->argc == 2) {
		start = 0;
		end = (long long)len - 1;
	} else if (r->argc == 4 || r->argc == 5) {
		if (!bits_ll_or_reply(r, &r->argv[2], &start) ||
		    !bits_ll_or_reply(r, &r->argv[3], &end))
			return;
		/* Redis 7.0 answers an inverted negative range before it
		 * looks at the unit. */
		if (start < 0 && end < 0 && start > end) {
			kv_reply_int(r->c, 0);
			return;
		}
		if (r->argc == 5 && !bits_unit_or_reply(r, &r->argv[4], &isbit))
			return;
	} else {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	long long n = isbit ? (long long)len * 8 : (long long)len;
	if (!bits_range(n, &start, &end)) {
		kv_reply_int(r->c, 0);
		return;
	}
	if (!isbit) {
		start *= 8;
		end = end * 8 + 7;
	}
	kv_reply_int(r->c, (long long)bits_count_range(p, (uint64_t)start,
						       (uint64_t)end));
}

void
cmd_bitpos(struct kv_req *r)
{
	struct kv_entry *e;
	const uint8_t *p;
	char buf[32];
	size_t len;
	long long bit, start = 0, end;
	bool isbit = false, end_given = r->argc >= 5;

	if (!bits_ll_or_reply(r, &r->argv[2], &bit))
		return;
	if (bit != 0 && bit != 1) {
		kv_reply_error(r->c, "ERR The bit argument must be 1 or 0.");
		return;
	}
	if (!bits_lookup_read_or_reply(r, &r->argv[1], &e, buf, &p, &len))
		return;
	if (e == NULL) {
		/* A missing key is an endless run of zero bits. */
		kv_reply_int(r->c, bit ? -1 : 0);
		return;
	}
	if (r->argc > 6) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	if (r->argc >= 4 && !bits_ll_or_reply(r, &r->argv[3], &start))
		return;
	if (r->argc == 6 && !bits_unit_or_reply(r, &r->argv[5], &isbit))
		return;
	if (end_given && !bits_ll_or_reply(r, &r->argv[4], &end))
		return;
	long long n = isbit ? (long long)len * 8 : (long long)len;
	if (!end_given)
		end = n - 1;
	if (!bits_range(n, &start, &end)) {
		kv_reply_int(r->c, -1);
		return;
	}
	if (!isbit) {
		start *= 8;
		end = end * 8 + 7;
	}
	long long pos = bits_find(p, (uint64_t)start, (uint64_t)end,
				  (unsigned)bit);
	/* Looking for a clear bit in a string of ones without an end: the
	 * bits past the string count as zeros. */
	if (pos < 0 && bit == 0 && !end_given)
		pos = end + 1;
	kv_reply_int(r->c, pos);
}

/* Operations of BITOP. */
enum bits_bitop {
	BITS_AND,
	BITS_OR,
	BITS_XOR,
	BITS_NOT,
};

/*
 * bits_combine -- res[0..maxlen) = op over the sources, a missing byte
 * counting as zero (n sources of src[i]/len[i]).
 */
static void
bits_combine(uint8_t *res, size_t maxlen, int op, int n,
	     const uint8_t **src, const size_t *len)
{
	size_t minlen = maxlen, j = 0;

	for (int i = 0; i < n; i++)
		if (len[i] < minlen)
			minlen = len[i];
	/* Eight bytes at a time while every source has them. */
	for (; j + 8 <= minlen; j += 8) {
		uint64_t out, w;
		memcpy(&out, src[0] + j, 8);
		for (int i = 1; i < n; i++) {
			memcpy(&w, src[i] + j, 8);
			if (op == BITS_AND)
				out &= w;
			else if (op == BITS_OR)
				out |= w;
			else
				out ^= w;
		}
		if (op == BITS_NOT)
			out = ~out;
		memcpy(res + j, &out, 8);
	}
	for (; j < maxlen; j++) {
		uint8_t out = j < len[0] ? src[0][j] : 0;
		for (int i = 1; i < n; i++) {
			uint8_t b = j < len[i] ? src[i][j] : 0;
			if (op == BITS_AND)
				out &= b;
			else if (op == BITS_OR)
				out |= b;
			else
				out ^= b;
		}
		res[j] = op == BITS_NOT ? (uint8_t)~out : out;
	}
}

void
cmd_bitop(struct kv_req *r)
{
	const struct kv_arg *opname = &r->argv[1], *dest = &r->argv[2];
	int op, n = r->argc - 3;
	size_t maxlen = 0;

	if (kv_arg_is(opname, "and"))
		op = BITS_AND;
	else if (kv_arg_is(opname, "or"))
		op = BITS_OR;
	else if (kv_arg_is(opname, "xor"))
		op = BITS_XOR;
	else if (kv_arg_is(opname, "not"))
		op = BITS_NOT;
	else {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	if (op == BITS_NOT && n != 1) {
		kv_reply_error(r->c, "ERR BITOP NOT must be called with a "
			       "single source key.");
		return;
	}

	/* Integer values are read through their digits, kept in bufs. */
	const uint8_t **src = malloc((size_t)n * sizeof(*src));
	size_t *len = malloc((size_t)n * sizeof(*len));
	char (*bufs)[32] = malloc((size_t)n * sizeof(*bufs));
	uint8_t *res = NULL;
	if (src == NULL || len == NULL || bufs == NULL)
		goto oom;
	for (int i = 0; i < n; i++) {
		struct kv_entry *e;
		if (!bits_lookup_read_or_reply(r, &r->argv[3 + i], &e, bufs[i],
					       &src[i], &len[i]))
			goto out;
		if (len[i] > maxlen)
			maxlen = len[i];
	}
	if (maxlen != 0) {
		res = malloc(maxlen);
		if (res == NULL)
			goto oom;
		bits_combine(res, maxlen, op, n, src, len);
	}

	/* Store the result like SET (the TTL goes), or delete dest. */
	unsigned db = r->c->db;
	struct kv_entry *e = kv_lookup(r->s, db, dest->ptr, dest->len, false);
	if (maxlen == 0) {
		if (e != NULL) {
			kv_delete(r->s, db, e);
			kv_propagate(r->s, db, r->argc, r->argv);
		}
		kv_reply_int(r->c, 0);
		goto out;
	}
	if (e == NULL) {
		e = kv_create(r->s, db, dest->ptr, dest->len);
		if (e == NULL)
			goto oom;
	} else {
		kv_set_expire(r->s, db, e, 0);
	}
	kv_value_free(r->s, e);
	e->type = KV_TYPE_STRING;
	e->encoding = KV_ENC_RAW;
	e->v.s.ptr = (char *)res;
	e->v.s.len = e->v.s.cap = maxlen;
	r->s->used_memory += maxlen;
	res = NULL;
	kv_reply_int(r->c, (long long)maxlen);
	kv_propagate(r->s, db, r->argc, r->argv);
	goto out;
oom:
	kv_reply_error(r->c, "OOM out of memory");
out:
	free(res);
	free(bufs);
	free(len);
	free(src);
}

/* bits_field_get -- the unsigned integer of width bits at bit off. */
static uint64_t
bits_field_get(const uint8_t *p, uint64_t off, int width)
{
	uint64_t v = 0;

	for (int i = 0; i < width; i++)
		v = (v << 1) | bits_get(p, off + (uint64_t)i);
	return v;
}

/* bits_field_get_signed -- the same, sign-extended from width bits. */
static int64_t
bits_field_get_signed(const uint8_t *p, uint64_t off, int width)
{
	uint64_t v = bits_field_get(p, off, width);

	if (width < 64 && (v >> (width - 1)) & 1)
		v |= UINT64_MAX << width;
	return (int64_t)v;
}

/* bits_field_set -- store the low width bits of v at bit off. */
static void
bits_field_set(uint8_t *p, uint64_t off, int width, uint64_t v)
{
	for (int i = 0; i < width; i++) {
		uint64_t b = off + (uint64_t)i;
		uint8_t mask = (uint8_t)(0x80 >> (b & 7));
		if ((v >> (width - 1 - i)) & 1)
			p[b >> 3] |= mask;
		else
			p[b >> 3] &= (uint8_t)~mask;
	}
}

/*
 * bits_overflow_unsigned -- whether value + incr leaves the range of an
 * unsigned width-bit field (1 above, -1 below, 0 no); *res gets what to
 * store for WRAP and SAT. Same decisions as Redis's
 * checkUnsignedBitfieldOverflow, including for a SET value out of range.
 */
static int
bits_overflow_unsigned(uint64_t value, int64_t incr, int width, int ow,
		       uint64_t *res)
{
	uint64_t max = (UINT64_C(1) << width) - 1;   /* width <= 63 */
	int64_t room_up = (int64_t)(max - value);
	int64_t room_down = (int64_t)(0 - value);
	int dir = 0;

	if (value > max || (incr > 0 && incr > room_up))
		dir = 1;
	else if (incr < 0 && incr < room_down)
		dir = -1;
	if (dir == 0)
		return 0;
	if (ow == BITS_OW_WRAP)
		*res = (value + (uint64_t)incr) & max;
	else if (ow == BITS_OW_SAT)
		*res = dir > 0 ? max : 0;
	return dir;
}

/*
 * bits_overflow_signed -- the same for a signed width-bit field, with the
 * decisions of Redis's checkSignedBitfieldOverflow (arithmetic done on
 * unsigned values so that it wraps as there).
 */
static int
bits_overflow_signed(int64_t value, int64_t incr, int width, int ow,
		     int64_t *res)
{
	int64_t max = width == 64 ? INT64_MAX :
		      (int64_t)((UINT64_C(1) << (width - 1)) - 1);
	int64_t min = -max - 1;
	int64_t room_up = (int64_t)((uint64_t)max - (uint64_t)value);
	int64_t room_down = (int64_t)((uint64_t)min - (uint64_t)value);
	int dir = 0;

	if (value > max || (width != 64 && incr > room_up) ||
	    (value >= 0 && incr > 0 && incr > room_up))
		dir = 1;
	else if (value < min || (width != 64 && incr < room_down) ||
		 (value < 0 && incr < 0 && incr < room_down))
		dir = -1;
	if (dir == 0)
		return 0;
	if (ow == BITS_OW_WRAP) {
		uint64_t c = (uint64_t)value + (uint64_t)incr;
		if (width < 64) {
			uint64_t high = UINT64_MAX << width;
			if ((c >> (width - 1)) & 1)
				c |= high;
			else
				c &= ~high;
		}
		*res = (int64_t)c;
	} else if (ow == BITS_OW_SAT) {
		*res = dir > 0 ? max : min;
	}
	return dir;
}

/*
 * bits_field_write -- run a SET or INCRBY on p and reply with its result
 * (the new value for INCRBY, the old one for SET, null when OVERFLOW FAIL
 * refused it).
 */
static void
bits_field_write(struct kv_req *r, uint8_t *p, const struct bits_field_op *o)
{
	bool incr = o->op == BITS_OP_INCRBY;
	int dir;

	if (o->sign) {
		int64_t old = bits_field_get_signed(p, o->offset, o->width);
		int64_t val = incr ? old : o->arg, res = 0;
		dir = bits_overflow_signed(val, incr ? o->arg : 0, o->width,
					   o->overflow, &res);
		int64_t next = dir != 0 ? res :
			       (int64_t)((uint64_t)val +
					 (uint64_t)(incr ? o->arg : 0));
		if (dir != 0 && o->overflow == BITS_OW_FAIL) {
			kv_reply_null(r->c);
			return;
		}
		kv_reply_int(r->c, incr ? next : old);
		bits_field_set(p, o->offset, o->width, (uint64_t)next);
	} else {
		uint64_t old = bits_field_get(p, o->offset, o->width);
		uint64_t val = incr ? old : (uint64_t)o->arg, res = 0;
		dir = bits_overflow_unsigned(val, incr ? o->arg : 0, o->width,
					     o->overflow, &res);
		uint64_t next = dir != 0 ? res :
				val + (uint64_t)(incr ? o->arg : 0);
		if (dir != 0 && o->overflow == BITS_OW_FAIL) {
			kv_reply_null(r->c);
			return;
		}
		kv_reply_int(r->c, (long long)(incr ? next : old));
		bits_field_set(p, o->offset, o->width, next);
	}
}

/*
 * bits_field_read -- a GET: up to 9 bytes from the field's first byte
 * are copied zero-padded, so fields past the end of the string read as
 * zeros.
 */
static void
bits_field_read(struct kv_req *r, const uint8_t *p, size_t len,
		const struct bits_field_op *o)
{
	uint8_t win[9] = { 0 };
	uint64_t byte = o->offset >> 3;

	for (uint64_t i = 0; i < sizeof(win) && byte + i < len; i++)
		win[i] = p[byte + i];
	if (o->sign)
		kv_reply_int(r->c, bits_field_get_signed(win, o->offset & 7,
							 o->width));
	else
		kv_reply_int(r->c, (long long)bits_field_get(win,
							     o->offset & 7,
							     o->width));
}

/*
 * bits_field_parse -- BITFIELD's operations from argv[2], in Redis's
 * order of checks. Returns the count (ops allocated, or NULL when 0), or
 * -1 after replying an error. *writes tells whether any SET/INCRBY came,
 * *maxbit the highest bit they touch.
 */
static int
bits_field_parse(struct kv_req *r, struct bits_field_op **ops, bool *writes,
		 uint64_t *maxbit)
{
	int n = 0, overflow = BITS_OW_WRAP;

	*ops = NULL;
	*writes = false;
	*maxbit = 0;
	for (int j = 2; j < r->argc; j++) {
		const struct kv_arg *a = &r->argv[j];
		int left = r->argc - j - 1;
		struct bits_field_op o = { 0 };
		int width;
		long long arg = 0;

		if (kv_arg_is(a, "get") && left >= 2) {
			o.op = BITS_OP_GET;
		} else if (kv_arg_is(a, "set") && left >= 3) {
			o.op = BITS_OP_SET;
		} else if (kv_arg_is(a, "incrby") && left >= 3) {
			o.op = BITS_OP_INCRBY;
		} else if (kv_arg_is(a, "overflow") && left >= 1) {
			const struct kv_arg *t = &r->argv[++j];
			if (kv_arg_is(t, "wrap"))
				overflow = BITS_OW_WRAP;
			else if (kv_arg_is(t, "sat"))
				overflow = BITS_OW_SAT;
			else if (kv_arg_is(t, "fail"))
				overflow = BITS_OW_FAIL;
			else {
				kv_reply_error(r->c, "ERR Invalid OVERFLOW "
					       "type specified");
				goto fail;
			}
			continue;
		} else {
			kv_reply_error(r->c, KV_ERR_SYNTAX);
			goto fail;
		}
		if (!bits_type_or_reply(r, &r->argv[j + 1], &o.sign, &width) ||
		    !bits_offset_or_reply(r, &r->argv[j + 2], width, &o.offset))
			goto fail;
		o.width = (uint8_t)width;
		if (o.op != BITS_OP_GET) {
			*writes = true;
			if (o.offset + (uint64_t)width - 1 > *maxbit)
				*maxbit = o.offset + (uint64_t)width - 1;
			if (!bits_ll_or_reply(r, &r->argv[j + 3], &arg))
				goto fail;
		}
		o.arg = arg;
		o.overflow = (uint8_t)overflow;
		if ((n & (n - 1)) == 0) {   /* 0, 1, 2, 4...: grow */
			size_t cap = n != 0 ? 2 * (size_t)n : 1;
			struct bits_field_op *x = realloc(*ops,
							  cap * sizeof(o));
			if (x == NULL) {
				kv_reply_error(r->c, "OOM out of memory");
				goto fail;
			}
			*ops = x;
		}
		(*ops)[n++] = o;
		j += o.op == BITS_OP_GET ? 2 : 3;
	}
	return n;
fail:
	free(*ops);
	*ops = NULL;
	return -1;
}

/* bits_field_generic -- BITFIELD and BITFIELD_RO (GET only). */
static void
bits_field_generic(struct kv_req *r, bool ro)
{
	struct bits_field_op *ops;
	bool writes;
	uint64_t maxbit;
	int n = bits_field_parse(r, &ops, &writes, &maxbit);
	struct kv_entry *e;
	const uint8_t *p = NULL;
	char buf[32];
	size_t len = 0;

	if (n < 0)
		return;
	if (!writes) {
		if (!bits_lookup_read_or_reply(r, &r->argv[1], &e, buf, &p,
					       &len))
			goto out;
	} else if (ro) {
		kv_reply_error(r->c, "ERR BITFIELD_RO only supports the GET "
			       "subcommand");
		goto out;
	} else {
		e = bits_lookup_write_or_reply(r, maxbit);
		if (e == NULL)
			goto out;
	}
	kv_reply_array(r->c, n);
	for (int i = 0; i < n; i++) {
		if (ops[i].op != BITS_OP_GET) {
			bits_field_write(r, (uint8_t *)e->v.s.ptr, &ops[i]);
		} else {
			if (writes) {
				p = (const uint8_t *)e->v.s.ptr;
				len = e->v.s.len;
			}
			bits_field_read(r, p, len, &ops[i]);
		}
	}
	if (writes)
		kv_propagate(r->s, r->c->db, r->argc, r->argv);
out:
	free(ops);
}

void
cmd_bitfield(struct kv_req *r)
{
	bits_field_generic(r, false);
}

void
cmd_bitfield_ro(struct kv_req *r)
{
	bits_field_generic(r, true);
}
