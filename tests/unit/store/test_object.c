/*
 * test_object.c -- store/object.c: string encodings and the memory they
 * account for.
 */
#include "unit.h"

#include "store_test.h"

static void
test_encodings(void **state)
{
	(void)state;
	struct kv_entry *e = kv_create(st_shard, 0, "k", 1);
	assert_non_null(e);
	uint64_t base = kv_used_memory(st_shard);
	assert_int_equal(kv_str_set(st_shard, e, "12345", 5), 0);
	assert_int_equal(e->encoding, KV_ENC_INT);
	assert_int_equal(kv_used_memory(st_shard), base);
	assert_int_equal(kv_str_set(st_shard, e, "012", 3), 0);
	assert_int_equal(e->encoding, KV_ENC_RAW);   /* not canonical */
	assert_int_equal(kv_used_memory(st_shard), base + 3);
	char buf[32];
	size_t len;
	const char *p = kv_str_get(e, buf, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(p, "012", 3);
	kv_str_set_int(st_shard, e, -7);
	p = kv_str_get(e, buf, &len);
	assert_int_equal(len, 2);
	assert_memory_equal(p, "-7", 2);
	assert_int_equal(kv_used_memory(st_shard), base);
	/* Growing an int-encoded value turns it into bytes. */
	assert_int_equal(kv_str_reserve(st_shard, e, 100), 0);
	assert_int_equal(e->encoding, KV_ENC_RAW);
	assert_int_equal(e->v.s.len, 2);
	assert_string_equal(kv_type_name(e), "string");
	kv_delete(st_shard, 0, e);
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_encodings),
};

RP_TEST_MAIN(tests, 1)
