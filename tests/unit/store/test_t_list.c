/*
 * test_t_list.c -- store/t_list.c: pushes and pops at both ends, counts,
 * ranges, growth of the ring, deletion of an emptied list.
 */
#include "unit.h"

#include "store_test.h"

static void
test_push_pop_range(void **state)
{
	(void)state;
	rx("LPUSH l a b c", ":3\r\n");
	rx("RPUSH l d e", ":5\r\n");
	rx("LRANGE l 0 -1", "*5\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n"
	   "$1\r\ne\r\n");
	rx("LRANGE l -2 -1", "*2\r\n$1\r\nd\r\n$1\r\ne\r\n");
	rx("LRANGE l 5 10", "*0\r\n");
	rx("LRANGE l 0 abc", "-ERR value is not an integer or out of range\r\n");
	rx("LPOP l", "$1\r\nc\r\n");
	rx("RPOP l", "$1\r\ne\r\n");
	rx("LPOP l 2", "*2\r\n$1\r\nb\r\n$1\r\na\r\n");
	rx("RPOP l 0", "*0\r\n");
	rx("LPOP l -1", "-ERR value is out of range, must be positive\r\n");
	rx("LLEN l", ":1\r\n");
	rx("LPOP l 10", "*1\r\n$1\r\nd\r\n");
	rx("EXISTS l", ":0\r\n");
	rx("LPOP l", "$-1\r\n");
	rx("LPOP l 2", "*-1\r\n");
	rx("LLEN l", ":0\r\n");
}

static void
test_growth(void **state)
{
	(void)state;
	for (int i = 0; i < 1000; i++) {
		char cmd[32];
		snprintf(cmd, sizeof(cmd), i % 2 ? "LPUSH big %d" : "RPUSH big %d",
			 i);
		run(cmd);
	}
	rx("LLEN big", ":1000\r\n");
	rx("LRANGE big 0 0", "*1\r\n$3\r\n999\r\n");
	rx("LRANGE big -1 -1", "*1\r\n$3\r\n998\r\n");
	uint64_t before = kv_used_memory(st_shard);
	rx("DEL big", ":1\r\n");
	assert_true(kv_used_memory(st_shard) < before);
}

static void
test_wrongtype(void **state)
{
	(void)state;
	rx("SET s v", "+OK\r\n");
	rx("LPUSH s x", "-WRONGTYPE Operation against a key holding the wrong "
	   "kind of value\r\n");
	rx("LLEN s", "-WRONGTYPE Operation against a key holding the wrong "
	   "kind of value\r\n");
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_push_pop_range),
	ST_TEST(test_growth),
	ST_TEST(test_wrongtype),
};

RP_TEST_MAIN(tests, 1)
