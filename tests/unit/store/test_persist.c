/*
 * test_persist.c -- store/persist.c: writes logged as their effects,
 * recovered into a fresh shard; a full log refuses writes; replay of a
 * record that is not a valid effect is refused; records of more
 * arguments than the usual 1024 are replayed.
 */
#include <errno.h>

#include "unit.h"

#include "store_test.h"


static struct pm_log *
open_log(uint64_t size)
{
	char err[256];
	struct pm_log *log = pm_log_open(st_log_path, size, 0, err, sizeof(err));
	assert_non_null(log);
	return log;
}

static void
test_recover(void **state)
{
	char err[256];
	(void)state;

	unlink(st_log_path);
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

	unlink(st_log_path);
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

	unlink(st_log_path);
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

	unlink(st_log_path);
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


/* test_many_args -- a record of 3001 arguments (a client's RPUSH) is
 * replayed; one whose count claims more than its bytes hold is refused. */
static void
test_many_args(void **state)
{
	char err[256];
	(void)state;

	unlink(st_log_path);
	struct pm_log *log = open_log(1 << 20);
	struct pm_replay_stats st;
	pm_log_replay(log, NULL, NULL, false, &st, err, sizeof(err));
	static char rec[3001 * 16];
	size_t n = 0;
	rec[n++] = '\0';
	n += (size_t)sprintf(rec + n, "*3001\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n");
	for (int i = 0; i < 2999; i++)
		n += (size_t)sprintf(rec + n, "$4\r\n%04d\r\n", i);
	assert_int_equal(pm_log_append(log, rec, (uint32_t)n), 0);
	pm_log_commit(log);
	pm_log_close(log);
	log = open_log(1 << 20);
	st_close();
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("LLEN l", ":2999\r\n");
	rx("LINDEX l 2998", "$4\r\n2998\r\n");
	st_close();
	pm_log_close(log);

	unlink(st_log_path);
	log = open_log(1 << 20);
	pm_log_replay(log, NULL, NULL, false, &st, err, sizeof(err));
	static const char lie[] = "\0*100000\r\n$3\r\nDEL\r\n$1\r\nk\r\n";
	assert_int_equal(pm_log_append(log, lie, sizeof(lie) - 1), 0);
	pm_log_commit(log);
	pm_log_close(log);
	log = open_log(1 << 20);
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)),
			 -EPROTO);
	st_close();
	pm_log_close(log);
	st_open(NULL);
}

/* pttl_of -- PTTL of a key as a number. */
static long long
pttl_of(const char *key)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "PTTL %s", key);
	run(cmd);
	assert_int_equal(st_out[0], ':');
	return atoll(st_out + 1);
}

/* reopen -- close the shard and the log, open both again, recover. */
static struct pm_log *
reopen(struct pm_log *log, uint64_t size)
{
	char err[256];
	kv_commit(st_shard);
	assert_false(pm_log_pending(log));
	st_close();
	pm_log_close(log);
	log = open_log(size);
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	return log;
}

/* test_commands_recovered -- each write command's effect survives. */
static void
test_commands_recovered(void **state)
{
	char err[256];
	(void)state;

	unlink(st_log_path);
	struct pm_log *log = open_log(8 << 20);
	st_close();
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("SET s hello", "+OK\r\n");
	rx("APPEND s world", ":10\r\n");
	rx("SETRANGE s 0 J", ":10\r\n");
	rx("SET n 5", "+OK\r\n");
	rx("INCR n", ":6\r\n");
	rx("DECRBY n 10", ":-4\r\n");
	rx("SET e v", "+OK\r\n");
	rx("EXPIRE e 1000", ":1\r\n");
	rx("SET pe v", "+OK\r\n");
	rx("PEXPIRE pe 500000", ":1\r\n");
	rx("SET per v EX 100", "+OK\r\n");
	rx("PERSIST per", ":1\r\n");
	rx("SET ex v", "+OK\r\n");
	rx("GETEX ex PX 700000", "$1\r\nv\r\n");
	rx("SET kt v EX 300", "+OK\r\n");
	rx("SET kt v2 KEEPTTL", "+OK\r\n");
	rx("MSET m1 a m2 b", "+OK\r\n");
	rx("MSETNX m3 c m4 d", ":1\r\n");
	rx("SETNX m1 z", ":0\r\n");
	rx("GETSET m2 bb", "$1\r\nb\r\n");
	rx("GETDEL m4", "$1\r\nd\r\n");
	rx("SET r1 moved EX 200", "+OK\r\n");
	rx("RENAME r1 r2", "+OK\r\n");
	rx("SET gone v", "+OK\r\n");
	rx("DEL gone", ":1\r\n");
	rx("SET gone2 v", "+OK\r\n");
	rx("UNLINK gone2", ":1\r\n");
	rx("LPUSH l c b a", ":3\r\n");
	rx("RPUSH l d", ":4\r\n");
	rx("RPOP l", "$1\r\nd\r\n");
	rx("LPUSH popped x", ":1\r\n");
	rx("LPOP popped", "$1\r\nx\r\n");
	rx("INCRBYFLOAT fl 2.5", "$3\r\n2.5\r\n");
	rx("SETEX sx 400 v", "+OK\r\n");
	rx("PSETEX psx 400000 v", "+OK\r\n");
	rx("SET past v", "+OK\r\n");
	rx("EXPIREAT past 1", ":1\r\n");
	rx("SELECT 2", "+OK\r\n");
	rx("SET in2 v", "+OK\r\n");
	rx("SELECT 0", "+OK\r\n");
	rx("DBSIZE", ":15\r\n");

	log = reopen(log, 8 << 20);
	rx("DBSIZE", ":15\r\n");
	rx("GET s", "$10\r\nJelloworld\r\n");
	rx("GET n", "$2\r\n-4\r\n");
	long long t = pttl_of("e");
	assert_true(t > 990000 && t <= 1000000);
	t = pttl_of("pe");
	assert_true(t > 490000 && t <= 500000);
	rx("TTL per", ":-1\r\n");
	t = pttl_of("ex");
	assert_true(t > 690000 && t <= 700000);
	rx("GET kt", "$2\r\nv2\r\n");
	t = pttl_of("kt");
	assert_true(t > 290000 && t <= 300000);
	rx("MGET m1 m2 m3 m4", "*4\r\n$1\r\na\r\n$2\r\nbb\r\n$1\r\nc\r\n$-1\r\n");
	rx("GET r1", "$-1\r\n");
	rx("GET r2", "$5\r\nmoved\r\n");
	t = pttl_of("r2");
	assert_true(t > 190000 && t <= 200000);
	rx("EXISTS gone gone2 popped past", ":0\r\n");
	rx("LRANGE l 0 -1", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
	rx("GET fl", "$3\r\n2.5\r\n");
	rx("TTL sx", ":400\r\n");
	rx("TTL psx", ":400\r\n");
	rx("SELECT 2", "+OK\r\n");
	rx("GET in2", "$1\r\nv\r\n");
	rx("SELECT 0", "+OK\r\n");

	/* FLUSHALL empties every database, also after recovery. */
	rx("FLUSHALL", "+OK\r\n");
	rx("SET after v", "+OK\r\n");
	log = reopen(log, 8 << 20);
	rx("DBSIZE", ":1\r\n");
	rx("GET after", "$1\r\nv\r\n");
	rx("SELECT 2", "+OK\r\n");
	rx("DBSIZE", ":0\r\n");
	st_close();
	pm_log_close(log);
}

/* A copy of the log's records, one after the other (collect_records). */
struct log_copy {
	char buf[1 << 16];
	size_t len;
};

/* collect_records -- pm_log_replay callback: append a record's RESP. */
static int
collect_records(void *ctx, uint64_t seq, const void *rec, uint32_t len)
{
	struct log_copy *lc = ctx;
	(void)seq;
	assert_true(lc->len + len < sizeof(lc->buf));
	memcpy(lc->buf + lc->len, (const char *)rec + 1, len - 1);
	lc->len += len - 1;
	lc->buf[lc->len] = '\0';
	return 0;
}

/*
 * test_lists_recovered -- every list write survives a replay: LMPOP is
 * logged as LPOP/RPOP with a count, LMOVE and RPOPLPUSH as themselves
 * (a same-key rotation included), and lists emptied by LREM, LTRIM,
 * LMOVE or LMPOP stay deleted.
 */
static void
test_lists_recovered(void **state)
{
	char err[256];
	(void)state;

	unlink(st_log_path);
	struct pm_log *log = open_log(8 << 20);
	st_close();
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("RPUSH l a b c d e f", ":6\r\n");
	rx("LPUSHX l z", ":7\r\n");
	rx("RPUSHX l y", ":8\r\n");
	rx("LPUSHX nolist z", ":0\r\n");
	rx("RPUSHX nolist z", ":0\r\n");
	rx("LSET l 1 A", "+OK\r\n");
	rx("LSET l -1 Y", "+OK\r\n");
	rx("LINSERT l BEFORE c bc", ":9\r\n");
	rx("LINSERT l AFTER f fg", ":10\r\n");
	rx("LINSERT l AFTER nopivot q", ":-1\r\n");
	rx("RPUSH l a a", ":12\r\n");
	rx("LREM l -1 a", ":1\r\n");
	rx("LTRIM l 1 -2", "+OK\r\n");
	rx("LMOVE l l LEFT RIGHT", "$1\r\nA\r\n");
	rx("RPOPLPUSH l l", "$1\r\nA\r\n");
	rx("RPUSH src 1 2 3", ":3\r\n");
	rx("LMOVE src dst RIGHT LEFT", "$1\r\n3\r\n");
	rx("RPOPLPUSH src dst", "$1\r\n2\r\n");
	rx("LMOVE src dst LEFT RIGHT", "$1\r\n1\r\n");
	rx("RPUSH mp 1 2 3 4 5", ":5\r\n");
	rx("LMPOP 2 nolist mp LEFT COUNT 2", "*2\r\n$2\r\nmp\r\n*2\r\n"
	   "$1\r\n1\r\n$1\r\n2\r\n");
	rx("LMPOP 1 mp RIGHT", "*2\r\n$2\r\nmp\r\n*1\r\n$1\r\n5\r\n");
	rx("RPUSH mp2 x y", ":2\r\n");
	rx("LMPOP 1 mp2 RIGHT COUNT 100", "*2\r\n$3\r\nmp2\r\n*2\r\n"
	   "$1\r\ny\r\n$1\r\nx\r\n");
	rx("RPUSH rm x x", ":2\r\n");
	rx("LREM rm 0 x", ":2\r\n");
	rx("RPUSH tr x", ":1\r\n");
	rx("LTRIM tr 1 0", "+OK\r\n");
	rx("SELECT 1", "+OK\r\n");
	rx("RPUSH l1 a b", ":2\r\n");
	rx("LMPOP 1 l1 LEFT", "*2\r\n$2\r\nl1\r\n*1\r\n$1\r\na\r\n");
	rx("SELECT 0", "+OK\r\n");
	rx("LRANGE l 0 -1", "*9\r\n$1\r\nA\r\n$1\r\nb\r\n$2\r\nbc\r\n"
	   "$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n$2\r\nfg\r\n"
	   "$1\r\nY\r\n");

	/* The effects in the log: LMPOP as LPOP/RPOP with the count taken,
	 * nothing for the writes that changed nothing. */
	static struct log_copy lc;
	struct pm_replay_stats st;
	kv_commit(st_shard);
	st_close();
	pm_log_close(log);
	log = open_log(8 << 20);
	lc.len = 0;
	assert_int_equal(pm_log_replay(log, collect_records, &lc, false, &st,
				       err, sizeof(err)), 0);
	assert_non_null(strstr(lc.buf, "*3\r\n$4\r\nLPOP\r\n$2\r\nmp\r\n"
			       "$1\r\n2\r\n"));
	assert_non_null(strstr(lc.buf, "*3\r\n$4\r\nRPOP\r\n$2\r\nmp\r\n"
			       "$1\r\n1\r\n"));
	assert_non_null(strstr(lc.buf, "*3\r\n$4\r\nRPOP\r\n$3\r\nmp2\r\n"
			       "$1\r\n2\r\n"));
	assert_non_null(strstr(lc.buf, "$9\r\nRPOPLPUSH\r\n"));
	assert_null(strstr(lc.buf, "LMPOP"));
	assert_null(strstr(lc.buf, "nolist"));
	assert_null(strstr(lc.buf, "nopivot"));
	pm_log_close(log);
	log = open_log(8 << 20);
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("LRANGE l 0 -1", "*9\r\n$1\r\nA\r\n$1\r\nb\r\n$2\r\nbc\r\n"
	   "$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n$2\r\nfg\r\n"
	   "$1\r\nY\r\n");
	rx("LRANGE dst 0 -1", "*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n1\r\n");
	rx("LRANGE mp 0 -1", "*2\r\n$1\r\n3\r\n$1\r\n4\r\n");
	rx("EXISTS nolist src mp2 rm tr", ":0\r\n");
	rx("DBSIZE", ":3\r\n");
	rx("SELECT 1", "+OK\r\n");
	rx("LRANGE l1 0 -1", "*1\r\n$1\r\nb\r\n");
	st_close();
	pm_log_close(log);
}

/* test_expiry_recovered -- keys that expire are deleted in the log too:
 * lazily on access, actively by kv_cron, or by time before recovery. */
static void
test_expiry_recovered(void **state)
{
	char err[256];
	(void)state;

	unlink(st_log_path);
	struct pm_log *log = open_log(8 << 20);
	st_close();
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("SET lazy v PX 100000", "+OK\r\n");
	rx("SET active v PX 100000", "+OK\r\n");
	rx("SET short v PX 30", "+OK\r\n");
	rx("SET stay v", "+OK\r\n");
	kv_lookup(st_shard, 0, "lazy", 4, false)->expire_ms = 1;
	kv_lookup(st_shard, 0, "active", 6, false)->expire_ms = 1;
	rx("GET lazy", "$-1\r\n");
	unsigned n = 0;
	for (int i = 0; i < 1000 && n == 0; i++)
		n += kv_cron(st_shard);
	assert_int_equal(n, 1);
	kv_commit(st_shard);
	st_close();
	pm_log_close(log);
	usleep(60 * 1000);   /* "short" expires while the server is down */

	log = open_log(8 << 20);
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	/* lazy and active were deleted by a logged DEL; short is expired. */
	rx("EXISTS lazy active", ":0\r\n");
	rx("GET short", "$-1\r\n");
	rx("GET stay", "$1\r\nv\r\n");
	rx("DBSIZE", ":1\r\n");
	st_close();
	pm_log_close(log);
}

/* test_misconf_then_reads -- a full log refuses every write with
 * MISCONF, reads and non-writes go on, and what was acknowledged
 * before is recovered. */
static void
test_misconf_then_reads(void **state)
{
	char err[256], cmd[1200];
	(void)state;

	unlink(st_log_path);
	struct pm_log *log = open_log(1 << 20);
	st_close();
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	char val[1001];
	memset(val, 'y', 1000);
	val[1000] = '\0';
	int i, ok = 0;
	for (i = 0; i < 5000; i++) {
		snprintf(cmd, sizeof(cmd), "SET k%d %s", i, val);
		run(cmd);
		if (st_out[0] == '-')
			break;
		expect("+OK\r\n");
		ok++;
		if (i % 64 == 0)
			kv_commit(st_shard);
	}
	assert_true(i < 5000);
	/* About 500 KiB of 1 KiB records: the current of the region's two
	 * logs (no snapshot runs here to reclaim and switch). */
	assert_true(ok > 400);
	assert_true(st_len > 9);
	assert_memory_equal(st_out, "-MISCONF", 8);
	assert_memory_equal(st_out + st_len - 2, "\r\n", 2);
	/* Room is reserved by request size: fill the rest with small
	 * writes of one size until that size is refused too. */
	int small = 0;
	for (; small < 1000; small++) {
		snprintf(cmd, sizeof(cmd), "SET s%04d b", small);
		run(cmd);
		if (st_out[0] == '-')
			break;
		expect("+OK\r\n");
		ok++;
	}
	assert_true(small < 1000);
	assert_memory_equal(st_out, "-MISCONF", 8);
	/* Now every write at least that big is refused, changing nothing. */
	run("SET k0 longer-val");
	assert_memory_equal(st_out, "-MISCONF", 8);
	run("DEL k0 k1 k2");
	assert_memory_equal(st_out, "-MISCONF", 8);
	run("LPUSH l xxxxxxxx");
	assert_memory_equal(st_out, "-MISCONF", 8);
	run("INCRBY k0 123456789");
	assert_memory_equal(st_out, "-MISCONF", 8);
	run("GET k0");
	assert_memory_equal(st_out, "$1000\r\n", 7);
	rx("PING", "+PONG\r\n");
	char want[32];
	snprintf(want, sizeof(want), ":%d\r\n", ok);
	rx("DBSIZE", want);
	log = reopen(log, 1 << 20);
	rx("DBSIZE", want);
	run("GET k0");
	assert_memory_equal(st_out, "$1000\r\n", 7);
	st_close();
	pm_log_close(log);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_recover),
	ST_TEST(test_effects),
	ST_TEST(test_log_full),
	ST_TEST(test_bad_record),
	ST_TEST(test_many_args),
	ST_TEST(test_commands_recovered),
	ST_TEST(test_lists_recovered),
	ST_TEST(test_expiry_recovered),
	ST_TEST(test_misconf_then_reads),
};

ST_MAIN_WITH_LOG(tests, "persist")
