/*
 * test_object.c -- store/object.c: string encodings and the memory they
 * account for; the names OBJECT ENCODING gives; deep copies and lists
 * made from elements.
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

static void
test_encoding_names(void **state)
{
	(void)state;
	struct kv_entry *e = kv_create(st_shard, 0, "k", 1);
	assert_non_null(e);
	kv_str_set(st_shard, e, "42", 2);
	assert_string_equal(kv_encoding_name(e), "int");
	kv_str_set(st_shard, e, "abc", 3);
	assert_string_equal(kv_encoding_name(e), "embstr");
	kv_str_set_bytes(st_shard, e, "42", 2);
	assert_string_equal(kv_encoding_name(e), "embstr");
	assert_int_equal(kv_str_reserve(st_shard, e, 10), 0);
	assert_string_equal(kv_encoding_name(e), "raw");
	char big[45];
	memset(big, 'x', sizeof(big));
	kv_str_set(st_shard, e, big, 44);
	assert_string_equal(kv_encoding_name(e), "embstr");
	kv_str_set(st_shard, e, big, 45);
	assert_string_equal(kv_encoding_name(e), "raw");
	kv_str_set_int(st_shard, e, 5);
	assert_int_equal(kv_str_reserve(st_shard, e, 1), 0);
	assert_string_equal(kv_encoding_name(e), "raw");
	kv_delete(st_shard, 0, e);
}

static void
test_dup_and_list_set(void **state)
{
	(void)state;
	uint64_t base = kv_used_memory(st_shard);
	struct kv_entry *l = kv_create(st_shard, 0, "l", 1);
	struct kv_lelem items[3];
	for (int i = 0; i < 3; i++) {
		items[i].ptr = malloc(2);
		memcpy(items[i].ptr, "ab", 2);
		items[i].len = i == 1 ? 0 : 2;
	}
	assert_int_equal(kv_list_set(st_shard, l, items, 3), 0);
	for (int i = 0; i < 3; i++)
		free(items[i].ptr);        /* the list holds copies */
	rx("LRANGE l 0 -1", "*3\r\n$2\r\nab\r\n$0\r\n\r\n$2\r\nab\r\n");
	struct kv_entry *c = kv_create(st_shard, 0, "c", 1);
	assert_int_equal(kv_value_dup(st_shard, c, l), 0);
	rx("RPUSH c z", ":4\r\n");
	rx("LLEN l", ":3\r\n");
	rx("HSET h f v", ":1\r\n");
	assert_int_equal(kv_value_dup(st_shard, c,
				      kv_lookup(st_shard, 0, "h", 1, false)),
			 0);
	rx("HGET c f", "$1\r\nv\r\n");
	assert_string_equal(kv_encoding_name(c), "listpack");
	rx("DEL l c h", ":3\r\n");
	assert_int_equal(kv_used_memory(st_shard), base);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_encodings),
	ST_TEST(test_encoding_names),
	ST_TEST(test_dup_and_list_set),
};

RP_TEST_MAIN(tests, 1)
