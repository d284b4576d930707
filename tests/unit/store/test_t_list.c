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


#define WRONGTYPE "-WRONGTYPE Operation against a key holding the wrong kind " \
	"of value\r\n"

static void
test_arity(void **state)
{
	(void)state;
	rx("LPUSH", "-ERR wrong number of arguments for 'lpush' command\r\n");
	rx("LPUSH l", "-ERR wrong number of arguments for 'lpush' command\r\n");
	rx("RPUSH l", "-ERR wrong number of arguments for 'rpush' command\r\n");
	rx("LLEN", "-ERR wrong number of arguments for 'llen' command\r\n");
	rx("LLEN a b", "-ERR wrong number of arguments for 'llen' command\r\n");
	rx("LRANGE l 0", "-ERR wrong number of arguments for 'lrange' "
	   "command\r\n");
	rx("LPOP", "-ERR wrong number of arguments for 'lpop' command\r\n");
	rx("LPOP l 1 2", "-ERR wrong number of arguments for 'lpop' "
	   "command\r\n");
	rx("EXISTS l", ":0\r\n");
}

static void
test_counts_and_ranges(void **state)
{
	(void)state;
	rx("RPOP l abc", "-ERR value is out of range, must be positive\r\n");
	rx("RPOP l -5", "-ERR value is out of range, must be positive\r\n");
	rx("LPOP nokey 0", "*-1\r\n");
	rx("LPOP nokey -1", "-ERR value is out of range, must be positive\r\n");
	rx("LRANGE nokey 0 -1", "*0\r\n");
	rx("RPUSH l a b c", ":3\r\n");
	rx("LRANGE l -100 100", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
	rx("LRANGE l 2 1", "*0\r\n");
	rx("LRANGE l -1 -2", "*0\r\n");
	rx("LRANGE l 1 -1", "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
	rx("LRANGE l 0 9223372036854775807",
	   "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
	rx("LRANGE l -9223372036854775808 0", "*1\r\n$1\r\na\r\n");
	rx("RPOP l 2", "*2\r\n$1\r\nc\r\n$1\r\nb\r\n");
	rx("LPOP l 0", "*0\r\n");
	rx("RPOP l 9223372036854775807", "*1\r\n$1\r\na\r\n");
	rx("EXISTS l", ":0\r\n");
	/* An empty element is an element. */
	rx("RPUSH e ", ":1\r\n");
	rx("LRANGE e 0 -1", "*1\r\n$0\r\n\r\n");
	rx("LLEN e", ":1\r\n");
	rx("RPOP e", "$0\r\n\r\n");
	rx("EXISTS e", ":0\r\n");
}

static void
test_wrongtype_all(void **state)
{
	(void)state;
	rx("SET s v", "+OK\r\n");
	rx("RPUSH s a", WRONGTYPE);
	rx("LRANGE s 0 -1", WRONGTYPE);
	rx("LPOP s", WRONGTYPE);
	rx("RPOP s 2", WRONGTYPE);
	rx("LPOP s 0", WRONGTYPE);
	rx("GET s", "$1\r\nv\r\n");
}

/* test_ring_wrap -- pops and pushes at both ends wrap the ring around
 * many times; the order stays the one of a deque. */
static void
test_ring_wrap(void **state)
{
	char cmd[64], want[64];
	long long lo = 0, hi = -1;   /* model: elements lo..hi as numbers */
	(void)state;

	for (int i = 0; i < 3000; i++) {
		switch (i % 5) {
		case 0: case 1:
			hi++;
			snprintf(cmd, sizeof(cmd), "RPUSH d %lld", hi);
			run(cmd);
			break;
		case 2:
			lo--;
			snprintf(cmd, sizeof(cmd), "LPUSH d %lld", lo);
			run(cmd);
			break;
		case 3:
			snprintf(cmd, sizeof(cmd), "LPOP d");
			run(cmd);
			snprintf(want, sizeof(want), "$%d\r\n%lld\r\n",
				 snprintf(NULL, 0, "%lld", lo), lo);
			expect(want);
			lo++;
			break;
		case 4:
			if (i % 10 == 4) {
				run("RPOP d");
				snprintf(want, sizeof(want), "$%d\r\n%lld\r\n",
					 snprintf(NULL, 0, "%lld", hi), hi);
				expect(want);
				hi--;
			}
			break;
		}
	}
	snprintf(want, sizeof(want), ":%lld\r\n", hi - lo + 1);
	rx("LLEN d", want);
	/* Check the whole list against the model. */
	run("LRANGE d 0 -1");
	char *p = st_out;
	snprintf(want, sizeof(want), "*%lld\r\n", hi - lo + 1);
	assert_memory_equal(p, want, strlen(want));
	p += strlen(want);
	for (long long v = lo; v <= hi; v++) {
		int n = snprintf(NULL, 0, "%lld", v);
		snprintf(want, sizeof(want), "$%d\r\n%lld\r\n", n, v);
		assert_memory_equal(p, want, strlen(want));
		p += strlen(want);
	}
	assert_int_equal(p - st_out, st_len);
	/* Drained list: gone, memory back. */
	uint64_t m0 = kv_used_memory(st_shard);
	assert_true(m0 > 0);
	snprintf(cmd, sizeof(cmd), "LPOP d %lld", hi - lo + 1);
	run(cmd);
	rx("EXISTS d", ":0\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_push_pop_range),
	ST_TEST(test_growth),
	ST_TEST(test_wrongtype),
	ST_TEST(test_arity),
	ST_TEST(test_counts_and_ranges),
	ST_TEST(test_wrongtype_all),
	ST_TEST(test_ring_wrap),
};

RP_TEST_MAIN(tests, 1)
