/*
 * fuzz_rdb.c -- the RDB decoder on untrusted bytes. The first input byte
 * chooses what the rest is:
 *   0: a DUMP payload given to RESTORE as is (version and CRC checked);
 *   1: a DUMP payload whose CRC the harness fixes first, so that mutated
 *      values reach the decoder through RESTORE;
 *   2: a value: a type byte and its encoding, decoded directly;
 *   3: a whole RDB file, loaded into a shard.
 * A decoded value is encoded again, decoded again and encoded once more:
 * both encodings must be equal (for hashes and sets in dicts, whose
 * order depends on each dict's seed: the same elements). Every value is
 * freed and the shard's memory must be back to zero: nothing may crash,
 * leak or loop.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

#include "cfg.h"
#include "dict.h"
#include "kv.h"
#include "kv_private.h"
#include "rdb.h"

static struct rp_config cfg;
static struct kv_shard *shard;

static void
sink(void *ctx, const void *b, size_t n)
{
	(void)ctx, (void)b, (void)n;
}

static void
teardown(void)
{
	kv_shard_free(shard);
}

static void
setup(void)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=rpfr%d", (int)getpid());
	char *args[] = { "fuzz", "-l", "0", "--no-huge", "-m", "256",
			 "--no-pci", "--no-shconf", "--log-level=*:error",
			 prefix, NULL };
	assert(rte_eal_init(10, args) >= 0);
	cfg_init(&cfg);
	struct kv_shard_params p = { .cfg = &cfg };
	shard = kv_shard_create(&p);
	assert(shard != NULL);
	atexit(teardown);
}

/* same_pair -- kv_hash_foreach callback: the pair is in dict ctx. */
static void
same_pair(void *ctx, const char *f, size_t flen, const char *v, size_t vlen)
{
	struct kv_dict_entry *x = kv_dict_lookup(ctx, f, flen);

	assert(x != NULL && x->v.s.len == vlen);
	assert(vlen == 0 || memcmp(x->v.s.ptr, v, vlen) == 0);
}

/* same_member -- kv_set_foreach callback: the member is in dict ctx. */
static void
same_member(void *ctx, const char *p, size_t len)
{
	assert(kv_dict_lookup(ctx, p, len) != NULL);
}

/* check_round_trip -- encode v, decode it, encode again: equal bytes. */
static void
check_round_trip(const struct kv_entry *v)
{
	struct kv_rdb_buf a = { 0 }, b = { 0 };
	struct kv_entry w;
	char err[256];
	size_t used;

	assert(kv_rdb_encode_value(&a, v) == 0);
	assert(kv_rdb_decode_value(shard, a.p[0], a.p + 1, a.len - 1, &w,
				   &used, err, sizeof(err)) == 0);
	assert(used == a.len - 1);
	assert(kv_rdb_encode_value(&b, &w) == 0);
	if (w.type == KV_TYPE_HASH && w.encoding == KV_ENC_HASHTABLE) {
		/* Two dicts with their own seeds: same pairs, any order. */
		assert(v->encoding == KV_ENC_HASHTABLE);
		assert(a.len == b.len);
		assert(kv_hash_len(v) == kv_hash_len(&w));
		kv_hash_foreach(v, same_pair, w.v.d);
	} else if (w.type == KV_TYPE_SET && w.encoding == KV_ENC_HASHTABLE) {
		assert(v->encoding == KV_ENC_HASHTABLE);
		assert(a.len == b.len);
		assert(kv_set_len(v) == kv_set_len(&w));
		kv_set_foreach((struct kv_entry *)(uintptr_t)v, same_member,
			       w.v.d);
	} else {
		assert(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	}
	kv_value_free(shard, &w);
	kv_rdb_buf_free(&a);
	kv_rdb_buf_free(&b);
}

static struct kv_shard *
the_shard(void *ctx, const char *key, size_t klen)
{
	(void)ctx, (void)key, (void)klen;
	return shard;
}

static int
take(void *ctx, struct kv_shard *s, unsigned db, const char *key,
     size_t klen, struct kv_entry *v, uint64_t expire_ms, char *err,
     size_t errlen)
{
	(void)ctx, (void)db, (void)key, (void)klen, (void)expire_ms;
	(void)err, (void)errlen;
	check_round_trip(v);
	kv_value_free(s, v);
	return 0;
}

/* restore -- RESTORE k 0 payload REPLACE through the command table. */
static void
restore(const uint8_t *p, size_t len)
{
	struct kv_client c;
	struct kv_arg argv[5] = { { "RESTORE", 7 }, { "k", 1 }, { "0", 1 },
				  { (const char *)p, len }, { "REPLACE", 7 } };
	struct kv_arg del[2] = { { "DEL", 3 }, { "k", 1 } };

	kv_client_init(&c, sink, NULL);
	kv_execute(shard, &c, 5, argv);
	struct kv_entry *e = kv_lookup(shard, 0, "k", 1, false);
	if (e != NULL)
		check_round_trip(e);
	kv_execute(shard, &c, 2, del);
	kv_client_fini(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kv_entry v;
	char err[512];
	size_t used;

	if (shard == NULL)
		setup();
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t len = size - 1;
	switch (data[0] & 3) {
	case 0:
		restore(p, len);
		break;
	case 1: {
		uint8_t *q = malloc(len ? len : 1);
		memcpy(q, p, len);
		if (len >= 10) {
			uint64_t crc = kv_rdb_crc64(0, q, len - 8);
			for (int i = 0; i < 8; i++)
				q[len - 8 + i] = (uint8_t)(crc >> (8 * i));
		}
		restore(q, len);
		free(q);
		break;
	}
	case 2:
		if (len >= 1 && kv_rdb_decode_value(shard, p[0], p + 1, len - 1,
						    &v, &used, err,
						    sizeof(err)) == 0) {
			assert(used <= len - 1);
			check_round_trip(&v);
			kv_value_free(shard, &v);
		}
		break;
	case 3: {
		struct kv_rdb_loader ld = { .shard = the_shard, .key = take,
					    .n_db = 16 };
		(void)kv_rdb_load(p, len, &ld, err, sizeof(err));
		break;
	}
	}
	/* Every byte allocated for a value was given back. */
	assert(kv_used_memory(shard) == 0);
	return 0;
}
