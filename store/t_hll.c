/*
 * t_hll.c -- HyperLogLog commands (PFADD, PFCOUNT, PFMERGE) on string
 * values, in Redis's own format so that the bytes GET returns are those
 * Redis would hold after the same commands.
 *
 * Format (Redis's hyperloglog.c): a 16-byte header, "HYLL", one byte of
 * encoding (0 dense, 1 sparse), three unused bytes, then the cached
 * cardinality as 8 little-endian bytes whose top bit set means "stale".
 * 16384 registers (14 bits of a MurmurHash64A select one) hold the
 * longest run of zero bits seen + 1 (at most 51).
 *  - dense: 6 bits per register, least significant bits first, 12288
 *    bytes after the header;
 *  - sparse: run-length opcodes, ZERO 00xxxxxx (1..64 zero registers),
 *    XZERO 01xxxxxx xxxxxxxx (1..16384 zero registers), VAL 1vvvvvxx (1..4
 *    registers of value 1..32). A new key is sparse; it turns dense when a
 *    register needs a value over 32 or when it would grow past
 *    hll-sparse-max-bytes (3000).
 * Edits follow Redis's algorithm step by step (split of the opcode that
 * covers the register, then merge of equal neighbouring VALs over at most
 * five opcodes) since another sequence of opcodes, though it meant the same
 * registers, would not give the same bytes.
 *
 * The estimate is Ertl's improved estimator ("New cardinality estimation
 * algorithms for HyperLogLog sketches", 2017) over the register
 * histogram, the one Redis 5 and later use.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "kv_private.h"

#define HLL_P            14
#define HLL_Q            (64 - HLL_P)
#define HLL_REGISTERS    (1 << HLL_P)
#define HLL_BITS         6
#define HLL_HDR          16
#define HLL_DENSE_SIZE   (HLL_HDR + (HLL_REGISTERS * HLL_BITS + 7) / 8)
#define HLL_ENC_DENSE    0
#define HLL_ENC_SPARSE   1
#define HLL_CARD         8          /* offset of the cached cardinality */
#define HLL_SPARSE_MAX_BYTES 3000   /* hll-sparse-max-bytes */
#define HLL_SEED         0xadc83b19u
#define HLL_ALPHA_INF    0.721347520444481703680  /* 1 / (2 ln 2) */

#define HLL_ZERO_MAX     64
#define HLL_XZERO_MAX    16384
#define HLL_VAL_MAX      32
#define HLL_VAL_MAX_LEN  4

#define HLL_ERR_TYPE    "WRONGTYPE Key is not a valid HyperLogLog string value."
#define HLL_ERR_INVALID "INVALIDOBJ Corrupted HLL object detected"

/* Sparse opcodes. */
#define HLL_IS_ZERO(p)   ((*(p) & 0xc0) == 0)
#define HLL_IS_XZERO(p)  ((*(p) & 0xc0) == 0x40)
#define HLL_IS_VAL(p)    ((*(p) & 0x80) != 0)
#define HLL_ZERO_LEN(p)  ((*(p) & 0x3f) + 1)
#define HLL_XZERO_LEN(p) ((((*(p) & 0x3f) << 8) | (p)[1]) + 1)
#define HLL_VAL_VALUE(p) (((*(p) >> 2) & 0x1f) + 1)
#define HLL_VAL_LEN(p)   ((*(p) & 0x3) + 1)

/* hll_put_val -- a VAL opcode: len (1..4) registers of value v (1..32). */
static inline void
hll_put_val(uint8_t *p, int v, int len)
{
	*p = (uint8_t)(0x80 | ((v - 1) << 2) | (len - 1));
}

/* hll_put_zeros -- a ZERO or, over 64 registers, an XZERO opcode;
 * returns its size. */
static inline int
hll_put_zeros(uint8_t *p, int len)
{
	if (len > HLL_ZERO_MAX) {
		p[0] = (uint8_t)(0x40 | ((len - 1) >> 8));
		p[1] = (uint8_t)((len - 1) & 0xff);
		return 2;
	}
	p[0] = (uint8_t)(len - 1);
	return 1;
}

/*
 * hll_op_span -- the registers a sparse opcode covers. An XZERO cut
 * short by the end of the data (its second byte missing) is corrupted:
 * it covers "more than all" so every walker rejects it.
 */
static inline long
hll_op_span(const uint8_t *p, const uint8_t *end)
{
	if (HLL_IS_ZERO(p))
		return HLL_ZERO_LEN(p);
	if (HLL_IS_XZERO(p))
		return p + 1 < end ? HLL_XZERO_LEN(p) : HLL_REGISTERS + 1;
	return HLL_VAL_LEN(p);
}

/*
 * hll_murmur64a -- MurmurHash64A (Austin Appleby's 64-bit MurmurHash2),
 * blocks read little-endian as Redis does on the machines it runs on.
 */
static uint64_t
hll_murmur64a(const uint8_t *p, size_t len, uint64_t seed)
{
	const uint64_t m = 0xc6a4a7935bd1e995ULL;
	uint64_t h = seed ^ ((uint64_t)len * m);
	size_t blocks = len / 8;

	for (size_t i = 0; i < blocks; i++) {
		uint64_t k = 0;
		for (int b = 7; b >= 0; b--)
			k = (k << 8) | p[i * 8 + (size_t)b];
		k *= m;
		k ^= k >> 47;
		k *= m;
		h ^= k;
		h *= m;
	}
	const uint8_t *tail = p + blocks * 8;
	size_t rest = len & 7;
	if (rest != 0) {
		for (size_t b = rest; b-- > 0;)
			h ^= (uint64_t)tail[b] << (8 * b);
		h *= m;
	}
	h ^= h >> 47;
	h *= m;
	h ^= h >> 47;
	return h;
}

/*
 * hll_pattern -- the register of an element and its value: 1 + the run
 * of zero bits after the 14 index bits (at most HLL_Q + 1).
 */
static int
hll_pattern(const void *ele, size_t len, unsigned *reg)
{
	uint64_t h = hll_murmur64a(ele, len, HLL_SEED);

	*reg = (unsigned)(h & (HLL_REGISTERS - 1));
	h >>= HLL_P;
	h |= UINT64_C(1) << HLL_Q;
	return __builtin_ctzll(h) + 1;
}

/* hll_dense_get -- register i of the dense registers. */
static inline unsigned
hll_dense_get(const uint8_t *regs, unsigned i)
{
	unsigned bit = i * HLL_BITS, byte = bit >> 3, shift = bit & 7;
	unsigned v = (unsigned)regs[byte] >> shift;

	if (shift > 8 - HLL_BITS)
		v |= (unsigned)regs[byte + 1] << (8 - shift);
	return v & 63;
}

/* hll_dense_put -- set register i of the dense registers to v. */
static inline void
hll_dense_put(uint8_t *regs, unsigned i, unsigned v)
{
	unsigned bit = i * HLL_BITS, byte = bit >> 3, shift = bit & 7;

	regs[byte] = (uint8_t)((regs[byte] & ~(63u << shift)) | (v << shift));
	if (shift > 8 - HLL_BITS)
		regs[byte + 1] = (uint8_t)((regs[byte + 1] &
					    ~(63u >> (8 - shift))) |
					   (v >> (8 - shift)));
}

/* hll_dense_set -- raise register i to v; returns 1 if it changed. */
static int
hll_dense_set(uint8_t *regs, unsigned i, unsigned v)
{
	if (v <= hll_dense_get(regs, i))
		return 0;
	hll_dense_put(regs, i, v);
	return 1;
}

/* hll_invalidate -- mark the cached cardinality stale. */
static inline void
hll_invalidate(uint8_t *hll)
{
	hll[HLL_CARD + 7] |= 0x80;
}

/* hll_replace -- make buf (len bytes, malloc'd) the entry's value. */
static void
hll_replace(struct kv_shard *s, struct kv_entry *e, uint8_t *buf, size_t len)
{
	kv_value_free(s, e);
	e->type = KV_TYPE_STRING;
	e->encoding = KV_ENC_RAW;
	e->v.s.ptr = (char *)buf;
	e->v.s.len = e->v.s.cap = len;
	s->used_memory += len;
}

/*
 * hll_to_dense -- convert a sparse value to dense (the header, cached
 * cardinality included, is kept). Returns 0, or -1 for a corrupted
 * sparse value or no memory (the value is then left alone).
 */
static int
hll_to_dense(struct kv_shard *s, struct kv_entry *e)
{
	const uint8_t *hll = (const uint8_t *)e->v.s.ptr;
	const uint8_t *p = hll + HLL_HDR, *end = hll + e->v.s.len;
	unsigned idx = 0;

	if (hll[4] == HLL_ENC_DENSE)
		return 0;
	uint8_t *dense = calloc(1, HLL_DENSE_SIZE);
	if (dense == NULL)
		return -1;
	memcpy(dense, hll, HLL_HDR);
	dense[4] = HLL_ENC_DENSE;
	while (p < end) {
		unsigned n = (unsigned)hll_op_span(p, end);
		if (idx + n > HLL_REGISTERS)
			break;       /* corrupted: too many registers */
		if (HLL_IS_VAL(p)) {
			unsigned v = HLL_VAL_VALUE(p);
			while (n-- > 0)
				hll_dense_put(dense + HLL_HDR, idx++, v);
		} else {
			idx += n;
		}
		p += HLL_IS_XZERO(p) ? 2 : 1;
	}
	if (p < end || idx != HLL_REGISTERS) {
		free(dense);
		return -1;
	}
	hll_replace(s, e, dense, HLL_DENSE_SIZE);
	return 0;
}

/*
 * hll_sparse_set -- raise register index of a sparse value to count, as
 * Redis's hllSparseSet: 1 if the value changed, 0 if not, -1 if it is
 * corrupted. May turn the value dense.
 */
static int
hll_sparse_set(struct kv_shard *s, struct kv_entry *e, unsigned index,
	       int count)
{
	uint8_t *sparse, *p, *end, *prev = NULL, *next;
	long first = 0, span = 0, runlen;
	bool is_zero = false, is_xzero = false, is_val = false;

	if (count > HLL_VAL_MAX)
		goto promote;
	/* The worst edit (XZERO into XZERO VAL XZERO) adds 3 bytes. */
	if (kv_str_reserve(s, e, e->v.s.len + 3) != 0)
		return -1;
	sparse = p = (uint8_t *)e->v.s.ptr + HLL_HDR;
	end = (uint8_t *)e->v.s.ptr + e->v.s.len;

	/* 1. Find the opcode that covers the register. */
	while (p < end) {
		long oplen = 1;
		if (HLL_IS_ZERO(p)) {
			span = HLL_ZERO_LEN(p);
		} else if (HLL_IS_VAL(p)) {
			span = HLL_VAL_LEN(p);
		} else {
			span = hll_op_span(p, end);
			if (span > HLL_REGISTERS)
				return -1;          /* a truncated XZERO */
			oplen = 2;
		}
		if ((long)index <= first + span - 1)
			break;
		prev = p;
		p += oplen;
		first += span;
	}
	if (span == 0 || p >= end)
		return -1;
	next = HLL_IS_XZERO(p) ? p + 2 : p + 1;
	if (next >= end)
		next = NULL;
	if (HLL_IS_ZERO(p)) {
		is_zero = true;
		runlen = HLL_ZERO_LEN(p);
	} else if (HLL_IS_XZERO(p)) {
		is_xzero = true;
		runlen = HLL_XZERO_LEN(p);   /* whole: checked above */
	} else {
		is_val = true;
		runlen = HLL_VAL_LEN(p);
	}

	/* 2. The simple cases: nothing to do, or one byte to rewrite. */
	if (is_val) {
		if (HLL_VAL_VALUE(p) >= count)
			return 0;
		if (runlen == 1) {
			hll_put_val(p, count, 1);
			goto updated;
		}
	}
	if (is_zero && runlen == 1) {
		hll_put_val(p, count, 1);
		goto updated;
	}

	/* 3. Split the opcode into (before) VAL (after), at most 5 bytes. */
	uint8_t seq[5], *q = seq;
	long last = first + span - 1;
	if (is_zero || is_xzero) {
		if ((long)index != first)
			q += hll_put_zeros(q, (int)(index - first));
		hll_put_val(q++, count, 1);
		if ((long)index != last)
			q += hll_put_zeros(q, (int)(last - index));
	} else {
		int cur = HLL_VAL_VALUE(p);
		if ((long)index != first)
			hll_put_val(q++, cur, (int)(index - first));
		hll_put_val(q++, count, 1);
		if ((long)index != last)
			hll_put_val(q++, cur, (int)(last - index));
	}
	long seqlen = q - seq, oldlen = is_xzero ? 2 : 1;
	long delta = seqlen - oldlen;
	if (delta > 0 &&
	    e->v.s.len + (size_t)delta > HLL_SPARSE_MAX_BYTES)
		goto promote;
	if (delta != 0 && next != NULL)
		memmove(next + delta, next, (size_t)(end - next));
	e->v.s.len = (size_t)((long)e->v.s.len + delta);
	memcpy(p, seq, (size_t)seqlen);
	end += delta;

updated:
	/* 4. Merge equal neighbouring VALs, over up to 5 opcodes. */
	p = prev != NULL ? prev : sparse;
	for (int scan = 5; p < end && scan-- > 0;) {
		if (HLL_IS_XZERO(p)) {
			p += 2;     /* p < end stops a truncated one */
			continue;
		}
		if (HLL_IS_ZERO(p)) {
			p++;
			continue;
		}
		if (p + 1 < end && HLL_IS_VAL(p + 1) &&
		    HLL_VAL_VALUE(p) == HLL_VAL_VALUE(p + 1)) {
			int len = HLL_VAL_LEN(p) + HLL_VAL_LEN(p + 1);
			if (len <= HLL_VAL_MAX_LEN) {
				hll_put_val(p + 1, HLL_VAL_VALUE(p), len);
				memmove(p, p + 1, (size_t)(end - p - 1));
				e->v.s.len--;
				end--;
				/* Try the merged one with its right
				 * neighbour too. */
				continue;
			}
		}
		p++;
	}
	hll_invalidate((uint8_t *)e->v.s.ptr);
	return 1;

promote:
	if (hll_to_dense(s, e) != 0)
		return -1;
	return hll_dense_set((uint8_t *)e->v.s.ptr + HLL_HDR, index,
			     (unsigned)count);
}

/* hll_add -- count one element in; 1 if a register changed, 0 if not,
 * -1 for a corrupted value. */
static int
hll_add(struct kv_shard *s, struct kv_entry *e, const void *ele, size_t len)
{
	unsigned reg;
	int count = hll_pattern(ele, len, &reg);
	uint8_t *hll = (uint8_t *)e->v.s.ptr;

	switch (hll[4]) {
	case HLL_ENC_DENSE:
		return hll_dense_set(hll + HLL_HDR, reg, (unsigned)count);
	case HLL_ENC_SPARSE:
		return hll_sparse_set(s, e, reg, count);
	}
	return -1;
}

/* hll_histo_dense -- register histogram of dense registers. */
static void
hll_histo_dense(const uint8_t *regs, int *histo)
{
	for (unsigned i = 0; i < HLL_REGISTERS; i++)
		histo[hll_dense_get(regs, i)]++;
}

/* hll_histo_sparse -- register histogram of sparse opcodes; false if
 * they do not cover exactly the 16384 registers. */
static bool
hll_histo_sparse(const uint8_t *p, const uint8_t *end, int *histo)
{
	long idx = 0;

	while (p < end) {
		long n = hll_op_span(p, end);
		if (idx + n > HLL_REGISTERS)
			return false;
		idx += n;
		histo[HLL_IS_VAL(p) ? HLL_VAL_VALUE(p) : 0] += n;
		p += HLL_IS_XZERO(p) ? 2 : 1;
	}
	return idx == HLL_REGISTERS;
}

/* hll_sigma -- Ertl's sigma(x) = x + sum x^(2^k) 2^(k-1), to a fixpoint. */
static double
hll_sigma(double x)
{
	double y = 1, z = x, prev;

	if (x == 1.)
		return INFINITY;
	do {
		x *= x;
		prev = z;
		z += x * y;
		y += y;
	} while (prev != z);
	return z;
}

/* hll_tau -- Ertl's tau(x), to a fixpoint. */
static double
hll_tau(double x)
{
	double y = 1.0, z = 1 - x, prev;

	if (x == 0. || x == 1.)
		return 0.;
	do {
		x = sqrt(x);
		prev = z;
		y *= 0.5;
		z -= pow(1 - x, 2) * y;
	} while (prev != z);
	return z / 3;
}

/* hll_estimate -- the cardinality estimate from a register histogram. */
static uint64_t
hll_estimate(const int *histo)
{
	double m = HLL_REGISTERS;
	double z = m * hll_tau((m - histo[HLL_Q + 1]) / m);

	for (int j = HLL_Q; j >= 1; j--) {
		z += histo[j];
		z *= 0.5;
	}
	z += m * hll_sigma(histo[0] / m);
	return (uint64_t)llroundl(HLL_ALPHA_INF * m * m / z);
}

/*
 * hll_merge -- max[i] = MAX(max[i], register i) over a valid-looking
 * value; -1 if its sparse opcodes do not cover exactly the 16384
 * registers (an opcode that would pass the end is refused at once, as
 * Redis does since the fix of CVE-2025-32023).
 */
static int
hll_merge(uint8_t *max, const uint8_t *hll, size_t len)
{
	if (hll[4] == HLL_ENC_DENSE) {
		for (unsigned i = 0; i < HLL_REGISTERS; i++) {
			unsigned v = hll_dense_get(hll + HLL_HDR, i);
			if (v > max[i])
				max[i] = (uint8_t)v;
		}
		return 0;
	}
	const uint8_t *p = hll + HLL_HDR, *end = hll + len;
	long i = 0;
	while (p < end) {
		long n = hll_op_span(p, end);
		if (i + n > HLL_REGISTERS)
			return -1;   /* too many registers */
		if (HLL_IS_VAL(p)) {
			int v = HLL_VAL_VALUE(p);
			for (; n > 0; n--, i++)
				if (v > max[i])
					max[i] = (uint8_t)v;
		} else {
			i += n;
		}
		p += HLL_IS_XZERO(p) ? 2 : 1;
	}
	return i == HLL_REGISTERS ? 0 : -1;
}

/*
 * hll_check_or_reply -- whether a live key holds a HyperLogLog: a raw
 * string with the magic, a known encoding and, dense, the exact size.
 * Replies WRONGTYPE otherwise.
 */
static bool
hll_check_or_reply(struct kv_req *r, const struct kv_entry *e)
{
	if (!kv_check_type_or_reply(r, e, KV_TYPE_STRING))
		return false;
	const uint8_t *p = (const uint8_t *)e->v.s.ptr;
	size_t len = e->v.s.len;
	if (e->encoding != KV_ENC_RAW || len < HLL_HDR ||
	    memcmp(p, "HYLL", 4) != 0 || p[4] > HLL_ENC_SPARSE ||
	    (p[4] == HLL_ENC_DENSE && len != HLL_DENSE_SIZE)) {
		kv_reply_error(r->c, HLL_ERR_TYPE);
		return false;
	}
	return true;
}

/*
 * hll_create -- a new key holding an empty sparse HyperLogLog (one XZERO
 * of 16384 registers, cached cardinality 0). NULL when out of memory.
 */
static struct kv_entry *
hll_create(struct kv_shard *s, unsigned db, const struct kv_arg *key)
{
	uint8_t *hll = calloc(1, HLL_HDR + 2);
	struct kv_entry *e;

	if (hll == NULL)
		return NULL;
	e = kv_create(s, db, key->ptr, key->len);
	if (e == NULL) {
		free(hll);
		return NULL;
	}
	memcpy(hll, "HYLL", 4);
	hll[4] = HLL_ENC_SPARSE;
	hll_put_zeros(hll + HLL_HDR, HLL_REGISTERS);
	hll_replace(s, e, hll, HLL_HDR + 2);
	return e;
}

void
cmd_pfadd(struct kv_req *r)
{
	unsigned db = r->c->db;
	const struct kv_arg *key = &r->argv[1];
	struct kv_entry *e = kv_lookup(r->s, db, key->ptr, key->len, false);
	int updated = 0;

	if (e == NULL) {
		e = hll_create(r->s, db, key);
		if (e == NULL) {
			kv_reply_error(r->c, "OOM out of memory");
			return;
		}
		updated++;
	} else if (!hll_check_or_reply(r, e)) {
		return;
	}
	for (int j = 2; j < r->argc; j++) {
		int rc = hll_add(r->s, e, r->argv[j].ptr, r->argv[j].len);
		if (rc < 0) {
			kv_reply_error(r->c, HLL_ERR_INVALID);
			/* What changed before the corruption was met is
			 * made again by the same command on replay. */
			if (updated)
				kv_propagate(r->s, db, r->argc, r->argv);
			return;
		}
		updated += rc;
	}
	if (updated) {
		hll_invalidate((uint8_t *)e->v.s.ptr);
		kv_propagate(r->s, db, r->argc, r->argv);
	}
	kv_reply_int(r->c, updated ? 1 : 0);
}

/*
 * pfcount_one -- PFCOUNT of one key: the cached cardinality, or a new
 * estimate that is cached in the value. The changed bytes are logged as
 * SETRANGE key 8 <card>, so that replay rebuilds the same value.
 */
static void
pfcount_one(struct kv_req *r)
{
	unsigned db = r->c->db;
	const struct kv_arg *key = &r->argv[1];
	struct kv_entry *e = kv_lookup(r->s, db, key->ptr, key->len, true);
	uint64_t card = 0;

	if (e == NULL) {
		kv_reply_int(r->c, 0);
		return;
	}
	if (!hll_check_or_reply(r, e))
		return;
	uint8_t *hll = (uint8_t *)e->v.s.ptr;
	if ((hll[HLL_CARD + 7] & 0x80) == 0) {
		for (int i = 7; i >= 0; i--)
			card = (card << 8) | hll[HLL_CARD + i];
		kv_reply_int(r->c, (long long)card);
		return;
	}
	int histo[64] = { 0 };
	if (hll[4] == HLL_ENC_DENSE) {
		hll_histo_dense(hll + HLL_HDR, histo);
	} else if (!hll_histo_sparse(hll + HLL_HDR, hll + e->v.s.len,
				     histo)) {
		kv_reply_error(r->c, HLL_ERR_INVALID);
		return;
	}
	card = hll_estimate(histo);
	for (int i = 0; i < 8; i++)
		hll[HLL_CARD + i] = (uint8_t)(card >> (8 * i));
	kv_reply_int(r->c, (long long)card);
	struct kv_arg argv[4] = { { "SETRANGE", 8 }, *key, { "8", 1 },
				  { (const char *)hll + HLL_CARD, 8 } };
	kv_propagate(r->s, db, 4, argv);
}

void
cmd_pfcount(struct kv_req *r)
{
	uint8_t max[HLL_REGISTERS];
	int histo[64] = { 0 };

	if (r->argc == 2) {
		pfcount_one(r);
		return;
	}
	/* Several keys: the estimate of their union, nothing written. */
	memset(max, 0, sizeof(max));
	for (int j = 1; j < r->argc; j++) {
		struct kv_entry *e = kv_lookup(r->s, r->c->db, r->argv[j].ptr,
					       r->argv[j].len, true);
		if (e == NULL)
			continue;
		if (!hll_check_or_reply(r, e))
			return;
		if (hll_merge(max, (const uint8_t *)e->v.s.ptr,
			      e->v.s.len) != 0) {
			kv_reply_error(r->c, HLL_ERR_INVALID);
			return;
		}
	}
	for (unsigned i = 0; i < HLL_REGISTERS; i++)
		histo[max[i]]++;
	kv_reply_int(r->c, (long long)hll_estimate(histo));
}

void
cmd_pfmerge(struct kv_req *r)
{
	uint8_t max[HLL_REGISTERS];
	unsigned db = r->c->db;
	const struct kv_arg *dest = &r->argv[1];
	bool dense = false;

	/* The destination is one of the sources. */
	memset(max, 0, sizeof(max));
	for (int j = 1; j < r->argc; j++) {
		struct kv_entry *e = kv_lookup(r->s, db, r->argv[j].ptr,
					       r->argv[j].len, true);
		if (e == NULL)
			continue;
		if (!hll_check_or_reply(r, e))
			return;
		const uint8_t *hll = (const uint8_t *)e->v.s.ptr;
		if (hll[4] == HLL_ENC_DENSE)
			dense = true;
		if (hll_merge(max, hll, e->v.s.len) != 0) {
			kv_reply_error(r->c, HLL_ERR_INVALID);
			return;
		}
	}
	struct kv_entry *e = kv_lookup(r->s, db, dest->ptr, dest->len, false);
	if (e == NULL) {
		e = hll_create(r->s, db, dest);
		if (e == NULL) {
			kv_reply_error(r->c, "OOM out of memory");
			return;
		}
	}
	/* One dense source makes the result dense at once. */
	if (dense && hll_to_dense(r->s, e) != 0) {
		kv_reply_error(r->c, HLL_ERR_INVALID);
		return;
	}
	for (unsigned i = 0; i < HLL_REGISTERS; i++) {
		if (max[i] == 0)
			continue;
		uint8_t *hll = (uint8_t *)e->v.s.ptr;
		if (hll[4] == HLL_ENC_DENSE)
			hll_dense_set(hll + HLL_HDR, i, max[i]);
		else
			hll_sparse_set(r->s, e, i, max[i]);
	}
	hll_invalidate((uint8_t *)e->v.s.ptr);
	kv_reply_ok(r->c);
	kv_propagate(r->s, db, r->argc, r->argv);
}
