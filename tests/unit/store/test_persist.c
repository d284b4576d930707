/*
 * test_persist.c -- store/persist.c: writes logged as their effects,
 * recovered into a fresh shard; a full log refuses writes; replay of a
 * record that is not a valid effect is refused.
 */
#include <errno.h>

#include "unit.h"

#include "store_test.h"

static char path[64];

static struct pm_log *
open_log(uint64_t size)
{
	char err[256];
	struct pm_log *log = pm_log_open(path, size, 0, err, sizeof(err));
	assert_non_null(log);
	return log;
}

static void
test_recover(void **state)
{
	char err[256];
	(void)state;

	unlink(path);
	struct pm_log *log = open_log(8 << 20);
	st_close();
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("SET a 1", "+OK\r\n");
	rx("SET gone x", "+OK\r\n");
	rx("INCRBY a 41", ":42\r\n");
	rx("SET t v EX 1000", "+OK\r\n");
	rx("INCRBYFLOAT f 1.5", "$3\r\n1.5\r\n");
	rx("DEL gone", ":1\r\n");
	rx("RPUSH l x y z", ":3\r\n");
	rx("LPOP l", "$1\r\nx\r\n");
	rx("SELECT 3", "+OK\r\n");
	rx("SET other db3", "+OK\r\n");
	rx("SELECT 0", "+OK\r\n");
	rx("SET tmp v", "+OK\r\n");
	rx("FLUSHDB", "+OK\r\n");
	rx("SET after flush", "+OK\r\n");
	kv_commit(st_shard);
	assert_false(pm_log_pending(log));
	st_close();
	pm_log_close(log);

	log = open_log(8 << 20);
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("GET a", "$-1\r\n");           /* flushed with db 0 */
	rx("GET after", "$5\r\nflush\r\n");
	rx("DBSIZE", ":1\r\n");
	rx("SELECT 3", "+OK\r\n");
	rx("GET other", "$3\r\ndb3\r\n");
	st_close();
	pm_log_close(log);
}

static void
test_effects(void **state)
{
	char err[256];
	(void)state;

	unlink(path);
	struct pm_log *log = open_log(8 << 20);
	st_close();
	st_open(log);
	kv_recover(st_shard, false, err, sizeof(err));
	rx("SET t v EX 1000", "+OK\r\n");
	rx("SETEX u 500 v", "+OK\r\n");
	rx("SET n 10", "+OK\r\n");
	rx("INCR n", ":11\r\n");
	rx("RPUSH l a b", ":2\r\n");
	rx("GET t", "$1\r\nv\r\n");       /* reads log nothing */
	/* With a log: async and sync switch, off needs a restart. */
	rx("CONFIG SET persistence async", "+OK\r\n");
	rx("CONFIG SET persistence off", "-ERR CONFIG SET failed (possibly "
	   "related to argument 'persistence') - switching persistence on or "
	   "off needs a restart (sync and async switch at run time)\r\n");
	rx("CONFIG SET persistence sync", "+OK\r\n");
	kv_commit(st_shard);
	st_close();
	pm_log_close(log);

	/* Recovery much later keeps the absolute expire times. */
	log = open_log(8 << 20);
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	run("PTTL t");
	long long pttl = atoll(st_out + 1);
	assert_true(pttl > 990000 && pttl <= 1000000);
	rx("TTL u", ":500\r\n");
	rx("GET n", "$2\r\n11\r\n");
	rx("LRANGE l 0 -1", "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
	st_close();
	pm_log_close(log);
}

static void
test_log_full(void **state)
{
	char err[256], cmd[600];
	(void)state;

	unlink(path);
	struct pm_log *log = open_log(1 << 20);
	st_close();
	st_open(log);
	kv_recover(st_shard, false, err, sizeof(err));
	char val[501];
	memset(val, 'x', 500);
	val[500] = '\0';
	int i;
	for (i = 0; i < 10000; i++) {
		snprintf(cmd, sizeof(cmd), "SET k%d %s", i, val);
		run(cmd);
		if (st_out[0] == '-')
			break;
	}
	assert_true(i < 10000);
	assert_memory_equal(st_out, "-MISCONF ", 9);
	run("GET k0");                 /* reads go on */
	assert_memory_equal(st_out, "$500\r\n", 6);
	st_close();
	pm_log_close(log);
}

static void
test_bad_record(void **state)
{
	char err[256];
	(void)state;

	unlink(path);
	struct pm_log *log = open_log(1 << 20);
	struct pm_replay_stats st;
	pm_log_replay(log, NULL, NULL, false, &st, err, sizeof(err));
	/* Not an effect redpoll writes: a read command. */
	static const char rec[] = "\0*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
	assert_int_equal(pm_log_append(log, rec, sizeof(rec) - 1), 0);
	pm_log_commit(log);
	pm_log_close(log);
	log = open_log(1 << 20);
	st_close();
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)),
			 -EPROTO);
	assert_string_equal(err, "log record 1 is not a valid effect");
	st_close();
	pm_log_close(log);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_recover),
	ST_TEST(test_effects),
	ST_TEST(test_log_full),
	ST_TEST(test_bad_record),
};

int
main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	setenv("PMEM_IS_PMEM_FORCE", "1", 1);
	snprintf(path, sizeof(path), "/dev/shm/rptest-persist-%d",
		 (int)getpid());
	rp_test_eal_init(argv[0]);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	rte_eal_cleanup();
	return rc;
}
