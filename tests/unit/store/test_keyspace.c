/*
 * test_keyspace.c -- store/keyspace.c: OBJECT (encodings at their
 * boundaries, REFCOUNT, IDLETIME from the access time, FREQ, HELP),
 * COPY (deep, every type, memory returned), MOVE, EXPIRETIME, and their
 * effects replayed from the log.
 */
#include "unit.h"

#include "store_test.h"

static char path[64];

static void
test_object_encoding(void **state)
{
	(void)state;
	rx("SET i 123", "+OK\r\n");
	rx("OBJECT ENCODING i", "$3\r\nint\r\n");
	rx("SET i 0123", "+OK\r\n");
	rx("OBJECT ENCODING i", "$6\r\nembstr\r\n");
	rx("SET s 12345678901234567890123456789012345678901234", "+OK\r\n");
	rx("OBJECT ENCODING s", "$6\r\nembstr\r\n");
	rx("SET s 123456789012345678901234567890123456789012345", "+OK\r\n");
	rx("OBJECT ENCODING s", "$3\r\nraw\r\n");
	rx("SET s abc", "+OK\r\n");
	rx("APPEND s d", ":4\r\n");
	rx("OBJECT ENCODING s", "$3\r\nraw\r\n");
	rx("SETRANGE n 0 x", ":1\r\n");
	rx("OBJECT ENCODING n", "$3\r\nraw\r\n");
	rx("INCR c", ":1\r\n");
	rx("OBJECT ENCODING c", "$3\r\nint\r\n");
	rx("RPUSH l a", ":1\r\n");
	rx("OBJECT ENCODING l", "$9\r\nquicklist\r\n");
	rx("HSET h f v", ":1\r\n");
	rx("OBJECT ENCODING h", "$8\r\nlistpack\r\n");
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "HSET h g %065d", 0);
	run(cmd);
	rx("OBJECT ENCODING h", "$9\r\nhashtable\r\n");
	rx("OBJECT ENCODING nokey", "$-1\r\n");
	rx("OBJECT ENCODING", "-ERR wrong number of arguments for "
	   "'object|encoding' command\r\n");
	rx("OBJECT ENCODING a b", "-ERR wrong number of arguments for "
	   "'object|encoding' command\r\n");
	rx("OBJECT NOPE a", "-ERR unknown subcommand 'NOPE'. Try OBJECT "
	   "HELP.\r\n");
	run("OBJECT HELP");
	assert_memory_equal(st_out, "*15\r\n", 5);
}

static void
test_object_refcount_idletime(void **state)
{
	(void)state;
	rx("SET a 9999", "+OK\r\n");
	rx("OBJECT REFCOUNT a", ":2147483647\r\n");
	rx("SET a 10000", "+OK\r\n");
	rx("OBJECT REFCOUNT a", ":1\r\n");
	rx("SET a -1", "+OK\r\n");
	rx("OBJECT REFCOUNT a", ":1\r\n");
	rx("SET a x", "+OK\r\n");
	rx("OBJECT REFCOUNT a", ":1\r\n");
	/* IDLETIME: seconds since the last lookup; OBJECT does not touch. */
	struct kv_entry *e = kv_lookup(st_shard, 0, "a", 1, false);
	e->atime -= 100;
	rx("OBJECT IDLETIME a", ":100\r\n");
	rx("OBJECT IDLETIME a", ":100\r\n");
	rx("TYPE a", "+string\r\n");
	rx("GET a", "$1\r\nx\r\n");
	rx("OBJECT IDLETIME a", ":0\r\n");
	rx("OBJECT FREQ a", "-ERR An LFU maxmemory policy is not selected, "
	   "access frequency not tracked. Please note that when switching "
	   "between policies at runtime LRU and LFU data will take some time "
	   "to adjust.\r\n");
	st_cfg.maxmemory_policy = CFG_EVICT_ALLKEYS_LFU;
	rx("OBJECT IDLETIME a", "-ERR An LFU maxmemory policy is selected, "
	   "idle time not tracked. Please note that when switching between "
	   "policies at runtime LRU and LFU data will take some time to "
	   "adjust.\r\n");
	st_cfg.maxmemory = 1 << 30;
	rx("SET a 1", "+OK\r\n");
	rx("OBJECT REFCOUNT a", ":1\r\n");
	st_cfg.maxmemory = 0;
	st_cfg.maxmemory_policy = CFG_EVICT_NOEVICTION;
}

static void
test_copy(void **state)
{
	(void)state;
	uint64_t base = kv_used_memory(st_shard);
	rx("RPUSH l a b c", ":3\r\n");
	rx("HSET h f1 v1 f2 v2", ":2\r\n");
	rx("SET s hello EX 100", "+OK\r\n");
	rx("SET n 42", "+OK\r\n");
	uint64_t filled = kv_used_memory(st_shard);
	rx("COPY l l2", ":1\r\n");
	rx("COPY h h2", ":1\r\n");
	rx("COPY s s2", ":1\r\n");
	rx("COPY n n2", ":1\r\n");
	rx("RPUSH l2 d", ":4\r\n");
	rx("LRANGE l 0 -1", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
	rx("HDEL h2 f1", ":1\r\n");
	rx("HLEN h", ":2\r\n");
	rx("TTL s2", ":100\r\n");
	rx("OBJECT ENCODING n2", "$3\r\nint\r\n");
	rx("OBJECT ENCODING s2", "$6\r\nembstr\r\n");
	rx("COPY l l2", ":0\r\n");
	rx("COPY l l2 REPLACE", ":1\r\n");
	rx("LLEN l2", ":3\r\n");
	rx("COPY l l", "-ERR source and destination objects are the "
	   "same\r\n");
	rx("COPY l l DB 1", ":1\r\n");
	rx("COPY l x DB 16", "-ERR DB index is out of range\r\n");
	rx("COPY l x DB 99999999999", "-ERR value is out of range, value "
	   "must between -2147483648 and 2147483647\r\n");
	rx("COPY l x DB", "-ERR syntax error\r\n");
	rx("COPY nokey x", ":0\r\n");
	/* A hash in a dict is copied field by field. */
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "HSET big f %070d g 2", 0);
	run(cmd);
	rx("COPY big big2", ":1\r\n");
	rx("OBJECT ENCODING big2", "$9\r\nhashtable\r\n");
	rx("HGET big2 g", "$1\r\n2\r\n");
	rx("DEL l2 h2 s2 n2 big big2", ":6\r\n");
	rx("SELECT 1", "+OK\r\n");
	rx("DEL l", ":1\r\n");
	rx("SELECT 0", "+OK\r\n");
	assert_int_equal(kv_used_memory(st_shard), filled);
	rx("FLUSHALL", "+OK\r\n");
	assert_int_equal(kv_used_memory(st_shard), base);
}

static void
test_move_expiretime(void **state)
{
	(void)state;
	rx("SET m v EX 100", "+OK\r\n");
	rx("MOVE m 1", ":1\r\n");
	rx("MOVE m 1", ":0\r\n");
	rx("SELECT 1", "+OK\r\n");
	rx("TTL m", ":100\r\n");
	rx("SELECT 0", "+OK\r\n");
	rx("SET m other", "+OK\r\n");
	rx("MOVE m 1", ":0\r\n");
	rx("MOVE m 0", "-ERR source and destination objects are the "
	   "same\r\n");
	rx("MOVE m x", "-ERR value is not an integer or out of range\r\n");
	rx("MOVE m -1", "-ERR DB index is out of range\r\n");
	rx("EXPIRETIME m", ":-1\r\n");
	rx("EXPIRETIME nokey", ":-2\r\n");
	rx("PEXPIREAT m 33177117420499", ":1\r\n");
	rx("EXPIRETIME m", ":33177117420\r\n");
	rx("PEXPIRETIME m", ":33177117420499\r\n");
	rx("PEXPIREAT m 33177117420500", ":1\r\n");
	rx("EXPIRETIME m", ":33177117421\r\n");
	/* OBJECT and EXPIRETIME count hits and misses, as Redis. */
	uint64_t hits = st_shard->stats.keyspace_hits;
	uint64_t misses = st_shard->stats.keyspace_misses;
	rx("OBJECT ENCODING m", "$6\r\nembstr\r\n");
	rx("EXPIRETIME nokey", ":-2\r\n");
	rx("MOVE m 2", ":1\r\n");
	assert_int_equal(st_shard->stats.keyspace_hits, hits + 1);
	assert_int_equal(st_shard->stats.keyspace_misses, misses + 1);
}

static void
test_replayed(void **state)
{
	char err[256];
	(void)state;

	unlink(path);
	st_close();
	struct pm_log *log = pm_log_open(path, 8 << 20, 0, err, sizeof(err));
	assert_non_null(log);
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("RPUSH l a b", ":2\r\n");
	rx("COPY l l2 DB 2", ":1\r\n");
	rx("SET m v PX 100000", "+OK\r\n");
	rx("MOVE m 3", ":1\r\n");
	rx("SET x old", "+OK\r\n");
	rx("COPY l x REPLACE", ":1\r\n");
	kv_commit(st_shard);
	st_close();
	pm_log_close(log);
	log = pm_log_open(path, 8 << 20, 0, err, sizeof(err));
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("LRANGE x 0 -1", "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
	rx("EXISTS m", ":0\r\n");
	rx("SELECT 2", "+OK\r\n");
	rx("LRANGE l2 0 -1", "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
	rx("SELECT 3", "+OK\r\n");
	run("PTTL m");
	assert_true(st_out[0] == ':' && atoi(st_out + 1) > 90000);
	st_close();
	pm_log_close(log);
	st_open(NULL);
}

static void
test_copy_sets(void **state)
{
	(void)state;
	uint64_t base = kv_used_memory(st_shard);
	rx("SADD is 1 2 3", ":3\r\n");
	rx("SADD hs a b", ":2\r\n");
	rx("ZADD z 1 a 2 b", ":2\r\n");
	rx("ZADD zs 1 a", ":1\r\n");
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "ZADD zs 2 %070d", 0);
	run(cmd);
	rx("ZREM zs 00", ":0\r\n");
	rx("OBJECT ENCODING is", "$6\r\nintset\r\n");
	rx("OBJECT ENCODING hs", "$9\r\nhashtable\r\n");
	rx("OBJECT ENCODING z", "$8\r\nlistpack\r\n");
	rx("OBJECT ENCODING zs", "$8\r\nskiplist\r\n");
	uint64_t filled = kv_used_memory(st_shard);
	rx("COPY is is2", ":1\r\n");
	rx("COPY hs hs2", ":1\r\n");
	rx("COPY z z2", ":1\r\n");
	rx("COPY zs zs2", ":1\r\n");
	rx("OBJECT ENCODING is2", "$6\r\nintset\r\n");
	rx("OBJECT ENCODING hs2", "$9\r\nhashtable\r\n");
	rx("OBJECT ENCODING zs2", "$8\r\nskiplist\r\n");
	rx("SADD is2 4", ":1\r\n");
	rx("SCARD is", ":3\r\n");
	rx("ZADD z2 3 c", ":1\r\n");
	rx("ZRANGE z 0 -1 WITHSCORES",
	   "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
	rx("ZSCORE zs2 a", "$1\r\n1\r\n");
	rx("SISMEMBER hs2 b", ":1\r\n");
	rx("DEL is2 hs2 z2 zs2", ":4\r\n");
	assert_int_equal(kv_used_memory(st_shard), filled);
	rx("FLUSHALL", "+OK\r\n");
	assert_int_equal(kv_used_memory(st_shard), base);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_object_encoding),
	ST_TEST(test_object_refcount_idletime),
	ST_TEST(test_copy),
	ST_TEST(test_copy_sets),
	ST_TEST(test_move_expiretime),
	ST_TEST(test_replayed),
};

int
main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	setenv("PMEM_IS_PMEM_FORCE", "1", 1);
	snprintf(path, sizeof(path), "/dev/shm/rptest-keyspace-%d",
		 (int)getpid());
	rp_test_eal_init(argv[0]);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	rte_eal_cleanup();
	return rc;
}
