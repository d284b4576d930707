/*
 * test_sort.c -- store/sort.c: numeric and ALPHA order, ties, LIMIT
 * clamping, BY and GET patterns (hash fields, "#", constants), STORE
 * (replacing, deleting, memory), and STORE's effect replayed from the
 * log as one record, large results included.
 */
#include "unit.h"

#include "store_test.h"

static char path[64];

static void
test_order(void **state)
{
	(void)state;
	rx("RPUSH n 3 1 2 10", ":4\r\n");
	rx("SORT n", "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n");
	rx("SORT n DESC", "*4\r\n$2\r\n10\r\n$1\r\n3\r\n$1\r\n2\r\n"
	   "$1\r\n1\r\n");
	rx("SORT n ALPHA", "*4\r\n$1\r\n1\r\n$2\r\n10\r\n$1\r\n2\r\n"
	   "$1\r\n3\r\n");
	rx("SORT_RO n LIMIT 1 2", "*2\r\n$1\r\n2\r\n$1\r\n3\r\n");
	rx("SORT n LIMIT -1 1", "*1\r\n$1\r\n1\r\n");
	rx("SORT n LIMIT 3 100", "*1\r\n$2\r\n10\r\n");
	rx("SORT n LIMIT 4 1", "*0\r\n");
	rx("SORT n LIMIT 1 0", "*0\r\n");
	rx("SORT n LIMIT 1 9223372036854775807",
	   "*3\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n");
	rx("SORT n BY nosort DESC LIMIT 1 2", "*2\r\n$1\r\n2\r\n$1\r\n1\r\n");
	rx("RPUSH t 1.0 1 01", ":3\r\n");
	rx("SORT t", "*3\r\n$2\r\n01\r\n$1\r\n1\r\n$3\r\n1.0\r\n");
	rx("RPUSH bad 1 x", ":2\r\n");
	rx("SORT bad", "-ERR One or more scores can't be converted into "
	   "double\r\n");
	rx("SORT n LIMIT 1", "-ERR syntax error\r\n");
	rx("SORT n LIMIT a 1", "-ERR value is not an integer or out of "
	   "range\r\n");
	rx("SORT_RO n STORE d", "-ERR syntax error\r\n");
	rx("SET s x", "+OK\r\n");
	rx("SORT s", "-WRONGTYPE Operation against a key holding the wrong "
	   "kind of value\r\n");
	rx("SORT nokey", "*0\r\n");
}

static void
test_by_get(void **state)
{
	(void)state;
	rx("RPUSH ids 1 2 3", ":3\r\n");
	rx("MSET w_1 30 w_2 10 w_3 20 o_1 a o_3 c", "+OK\r\n");
	rx("SORT ids BY w_*", "*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n1\r\n");
	rx("SORT ids BY w_* GET o_* GET #",
	   "*6\r\n$-1\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\na\r\n"
	   "$1\r\n1\r\n");
	rx("HSET h_1 k z", ":1\r\n");
	rx("HSET h_2 k x", ":1\r\n");
	rx("HSET h_3 k y", ":1\r\n");
	rx("SORT ids BY h_*->k ALPHA GET h_*->k",
	   "*3\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n");
	rx("SORT ids GET nostar", "*3\r\n$-1\r\n$-1\r\n$-1\r\n");
	rx("SORT ids GET w_*->k", "*3\r\n$-1\r\n$-1\r\n$-1\r\n");
}

static void
test_store(void **state)
{
	(void)state;
	uint64_t base = kv_used_memory(st_shard);
	rx("RPUSH l 3 1 2", ":3\r\n");
	rx("SET d x EX 100", "+OK\r\n");
	rx("SORT l STORE d", ":3\r\n");
	rx("TTL d", ":-1\r\n");
	rx("LRANGE d 0 -1", "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
	rx("RPUSH d 4", ":4\r\n");
	rx("SORT l GET nostar STORE e", ":3\r\n");
	rx("LRANGE e 0 -1", "*3\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n");
	rx("SORT l LIMIT 0 0 STORE d", ":0\r\n");
	rx("EXISTS d", ":0\r\n");
	rx("SORT l STORE l", ":3\r\n");
	rx("LRANGE l 0 -1", "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
	rx("DEL e", ":1\r\n");
	rx("DEL l", ":1\r\n");
	assert_int_equal(kv_used_memory(st_shard), base);
}

static void
test_store_replayed(void **state)
{
	char err[256], cmd[64];
	(void)state;

	unlink(path);
	st_close();
	struct pm_log *log = pm_log_open(path, 8 << 20, 0, err, sizeof(err));
	assert_non_null(log);
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	for (int i = 0; i < 1500; i++) {
		snprintf(cmd, sizeof(cmd), "RPUSH big %d", 1499 - i);
		run(cmd);
	}
	rx("SET dst old", "+OK\r\n");
	kv_commit(st_shard);
	uint64_t before = pm_log_records(log);
	rx("SORT big STORE dst", ":1500\r\n");
	kv_commit(st_shard);
	/* DEL and three RPUSH of at most 512 elements: one record. */
	assert_int_equal(pm_log_records(log) - before, 1);
	rx("RPUSH small b a", ":2\r\n");
	rx("SORT small ALPHA STORE dst2", ":2\r\n");
	rx("SORT nokey STORE dst2", ":0\r\n");
	kv_commit(st_shard);
	st_close();
	pm_log_close(log);
	log = pm_log_open(path, 8 << 20, 0, err, sizeof(err));
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("LLEN dst", ":1500\r\n");
	rx("LINDEX dst 0", "$1\r\n0\r\n");
	rx("LINDEX dst -1", "$4\r\n1499\r\n");
	rx("EXISTS dst2", ":0\r\n");
	st_close();
	pm_log_close(log);
	st_open(NULL);
}

static void
test_sets_and_zsets(void **state)
{
	(void)state;
	rx("SADD s 3 1 2", ":3\r\n");
	rx("SORT s", "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
	rx("SORT s BY nosort LIMIT 1 1", "*1\r\n$1\r\n2\r\n");
	rx("SADD t b c a", ":3\r\n");
	rx("SORT t BY nosort STORE d", ":3\r\n");
	rx("LRANGE d 0 -1", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
	rx("ZADD z 3 a 1 b 2 c", ":3\r\n");
	rx("OBJECT ENCODING z", "$8\r\nlistpack\r\n");
	rx("SORT z BY nosort", "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n");
	rx("SORT z BY nosort DESC LIMIT 1 5",
	   "*2\r\n$1\r\nc\r\n$1\r\nb\r\n");
	rx("SORT z ALPHA DESC", "*3\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n");
	rx("OBJECT ENCODING z", "$8\r\nskiplist\r\n");
	rx("DEL s t d z", ":4\r\n");
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_order),
	ST_TEST(test_by_get),
	ST_TEST(test_store),
	ST_TEST(test_store_replayed),
	ST_TEST(test_sets_and_zsets),
};

int
main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	setenv("PMEM_IS_PMEM_FORCE", "1", 1);
	snprintf(path, sizeof(path), "/dev/shm/rptest-sort-%d",
		 (int)getpid());
	rp_test_eal_init(argv[0]);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	rte_eal_cleanup();
	return rc;
}
