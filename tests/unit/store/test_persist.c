/*
 * test_persist.c -- store/persist.c: writes logged as their effects,
 * recovered into a fresh shard; a full log refuses writes; replay of a
 * record that is not a valid effect is refused; records of more
 * arguments than the usual 1024 are replayed; the parts of cross-shard
 * transactions (tagged records) round trip, and recovery replays a part
 * only if every participant has its own (in its log, whole, or under its
 * snapshot's high-water mark).
 */
#include <time.h>

#include <errno.h>
#include <stdarg.h>

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

	/* A cross-shard part whose tag is cut short, or whose framing
	 * runs past its end: refused alike. */
	static const char short_tag[] = "\xfe\x01\x00\x01\x00\x07";
	static const char bad_frame[] =
		"\xfe\x00\x00\x01\x00\x07\0\0\0\0\0\0\0\x01\0\0\0"
		"\0\0\0\0\0\0\0\0\0\0\0\0\xff\0\0\0x";
	const char *recs[2] = { short_tag, bad_frame };
	size_t lens[2] = { sizeof(short_tag) - 1, sizeof(bad_frame) - 1 };
	for (int i = 0; i < 2; i++) {
		unlink(st_log_path);
		log = open_log(1 << 20);
		pm_log_replay(log, NULL, NULL, false, &st, err, sizeof(err));
		assert_int_equal(pm_log_append(log, recs[i], (uint32_t)lens[i]),
				 0);
		pm_log_commit(log);
		pm_log_close(log);
		log = open_log(1 << 20);
		st_open(log);
		assert_int_equal(kv_recover(st_shard, false, err,
					    sizeof(err)), -EPROTO);
		assert_string_equal(err, "log record 1 is not a valid effect");
		st_close();
		pm_log_close(log);
	}
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

#define TX_SHARDS 3

static struct pm_log *tx_logs[TX_SHARDS];
static struct kv_shard *tx_sh[TX_SHARDS];

/* tx_start -- the test's shards replace st_shard (which is core 0). */
static void
tx_start(void)
{
	st_close();
	kv_client_init(&st_client, st_sink, NULL);
}

/* tx_open -- shard core with its own log <st_log_path>.<core> (a new
 * one when fresh), not recovered yet. */
static void
tx_open(unsigned core, bool fresh)
{
	char p[96], err[256];

	snprintf(p, sizeof(p), "%s.%u", st_log_path, core);
	if (fresh)
		unlink(p);
	tx_logs[core] = pm_log_open(p, 1 << 20, 0, err, sizeof(err));
	if (tx_logs[core] == NULL)
		fail_msg("%s", err);
	struct kv_shard_params sp = { .core = core, .cfg = &st_cfg,
				      .log = tx_logs[core] };
	tx_sh[core] = kv_shard_create(&sp);
	assert_non_null(tx_sh[core]);
}

/* tx_close -- a crash of every shard: what was appended stays. */
static void
tx_close(bool remove)
{
	char p[96];

	for (unsigned i = 0; i < TX_SHARDS; i++) {
		kv_commit(tx_sh[i]);
		kv_shard_free(tx_sh[i]);
		pm_log_close(tx_logs[i]);
		if (remove) {
			snprintf(p, sizeof(p), "%s.%u", st_log_path, i);
			unlink(p);
		}
	}
}

/* tx_recover -- reopen every shard and recover them together; the parts
 * each skipped in skipped[]. */
static void
tx_recover(uint64_t *skipped)
{
	char err[256];

	for (unsigned i = 0; i < TX_SHARDS; i++) {
		tx_open(i, false);
		if (kv_recover_scan(tx_sh[i], false, err, sizeof(err)) != 0)
			fail_msg("scan %u: %s", i, err);
	}
	for (unsigned i = 0; i < TX_SHARDS; i++)
		if (kv_recover_replay(tx_sh[i], tx_sh, TX_SHARDS, &skipped[i],
				      err, sizeof(err)) != 0)
			fail_msg("replay %u: %s", i, err);
	for (unsigned i = 0; i < TX_SHARDS; i++)
		kv_recover_free(tx_sh[i]);
}

/* tx_part -- run line on shard core as its part of transaction t. */
static void
tx_part(unsigned core, const struct kv_txtag *t, const char *line)
{
	struct kv_shard *saved = st_shard;

	st_shard = tx_sh[core];
	kv_tx_begin(st_shard);
	run(line);
	kv_tx_end(st_shard, t);
	st_shard = saved;
}

/* tx_get -- GET key on shard core, as a reply. */
static void
tx_get(unsigned core, const char *key, const char *want)
{
	char cmd[64];
	struct kv_shard *saved = st_shard;

	st_shard = tx_sh[core];
	snprintf(cmd, sizeof(cmd), "GET %s", key);
	rx(cmd, want);
	st_shard = saved;
}

/* tx_tag -- a tag of origin, counter and participants (-1 ends them). */
static struct kv_txtag
tx_tag(unsigned origin, uint64_t counter, uint16_t nrec, ...)
{
	struct kv_txtag t = { .origin = (uint16_t)origin, .nrec = nrec,
			      .counter = counter };
	va_list ap;
	int p;

	va_start(ap, nrec);
	while ((p = va_arg(ap, int)) >= 0)
		kv_txtag_add(&t, (unsigned)p);
	va_end(ap);
	return t;
}

/* now_ns -- CLOCK_REALTIME in ns (transaction counters start there). */
static uint64_t
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/*
 * test_tx_round_trip -- a tagged part is one record (also without any
 * effect), replayed with its effects; a part ended without a tag is a
 * plain record; kv_tx_id grows.
 */
static void
test_tx_round_trip(void **state)
{
	char err[256];
	uint64_t skipped[TX_SHARDS];
	(void)state;

	tx_start();
	for (unsigned i = 0; i < TX_SHARDS; i++) {
		tx_open(i, true);
		assert_int_equal(kv_recover(tx_sh[i], false, err,
					    sizeof(err)), 0);
	}
	struct kv_txtag t = tx_tag(1, 7, 1, 0, 1, -1);
	uint64_t before = tx_sh[0]->stats.log_records;
	tx_part(0, &t, "MSET a 1 b 2");
	assert_int_equal(tx_sh[0]->stats.log_records, before + 1);
	assert_int_equal(tx_sh[0]->tx_hwm[1], 7);
	/* No effect (a part whose writes change nothing) still logs. */
	tx_part(1, &t, "GET nothing");
	assert_int_equal(tx_sh[1]->stats.log_records, 1);
	/* Not tagged after all: logged as usual. */
	tx_part(2, NULL, "SET c 3");
	tx_part(2, NULL, "GET c");
	assert_int_equal(tx_sh[2]->stats.log_records, 1);
	uint64_t a = kv_tx_id(tx_sh[0]), b = kv_tx_id(tx_sh[0]);
	assert_true(b > a && a >= now_ns() - 1000000000ULL);
	tx_close(false);

	tx_recover(skipped);
	tx_get(0, "a", "$1\r\n1\r\n");
	tx_get(0, "b", "$1\r\n2\r\n");
	tx_get(2, "c", "$1\r\n3\r\n");
	for (unsigned i = 0; i < TX_SHARDS; i++)
		assert_int_equal(skipped[i], 0);
	assert_int_equal(tx_sh[0]->tx_hwm[1], 7);
	tx_close(true);
}

/*
 * test_tx_decisions -- present on every participant: replayed; missing
 * on one, or one of two records of a part missing: skipped everywhere
 * (and a snapshot makes it gone for good); covered by a participant's
 * snapshot: replayed. The next counter is above every one found.
 */
static void
test_tx_decisions(void **state)
{
	char err[256];
	uint64_t skipped[TX_SHARDS];
	uint64_t base = now_ns() + 1000000000000000ULL;   /* the future */
	(void)state;

	tx_start();
	st_clean_snapshots();
	for (unsigned i = 0; i < TX_SHARDS; i++) {
		tx_open(i, true);
		assert_int_equal(kv_recover(tx_sh[i], false, err,
					    sizeof(err)), 0);
	}
	/* D: its part on shard 2 then a snapshot there (reclaimed). */
	struct kv_txtag d = tx_tag(2, base + 1, 1, 0, 2, -1);
	tx_part(2, &d, "SET d2 D");
	assert_int_equal(kv_snapshot_run(tx_sh[2], err, sizeof(err)), 0);
	tx_part(0, &d, "SET d0 D");
	/* A: on both participants. */
	struct kv_txtag a = tx_tag(0, base + 10, 1, 0, 1, -1);
	tx_part(0, &a, "SET a0 A");
	tx_part(1, &a, "SET a1 A");
	/* B: shard 1 never got its part (the crash came first). */
	struct kv_txtag b = tx_tag(0, base + 11, 1, 0, 1, -1);
	tx_part(0, &b, "SET b0 B");
	/* C: shard 2 needs two records and has one. */
	struct kv_txtag c1 = tx_tag(1, base + 5, 1, 1, 2, -1);
	struct kv_txtag c2 = tx_tag(1, base + 5, 2, 1, 2, -1);
	tx_part(1, &c1, "SET c1 C");
	tx_part(2, &c2, "SET c2 C");
	tx_close(false);

	tx_recover(skipped);
	tx_get(0, "a0", "$1\r\nA\r\n");
	tx_get(1, "a1", "$1\r\nA\r\n");
	tx_get(0, "b0", "$-1\r\n");
	tx_get(1, "c1", "$-1\r\n");
	tx_get(2, "c2", "$-1\r\n");
	tx_get(0, "d0", "$1\r\nD\r\n");
	tx_get(2, "d2", "$1\r\nD\r\n");
	assert_int_equal(skipped[0], 1);
	assert_int_equal(skipped[1], 1);
	assert_int_equal(skipped[2], 1);
	/* Counters go on above every one any shard holds. */
	assert_true(kv_tx_id(tx_sh[0]) > base + 11);
	assert_true(kv_tx_id(tx_sh[1]) > base + 5);
	assert_true(kv_tx_id(tx_sh[2]) > base + 1);
	/* The skipped parts were reclaimed: never judged again, even when
	 * shard 1 has moved past B's counter since. */
	struct kv_txtag e = tx_tag(0, base + 12, 1, 0, 1, -1);
	tx_part(0, &e, "SET e0 E");
	tx_part(1, &e, "SET e1 E");
	assert_int_equal(kv_snapshot_run(tx_sh[1], err, sizeof(err)), 0);
	tx_close(false);
	tx_recover(skipped);
	tx_get(0, "b0", "$-1\r\n");
	tx_get(0, "e0", "$1\r\nE\r\n");
	tx_get(1, "e1", "$1\r\nE\r\n");
	tx_get(0, "a0", "$1\r\nA\r\n");
	for (unsigned i = 0; i < TX_SHARDS; i++)
		assert_int_equal(skipped[i], 0);
	tx_close(true);
	st_clean_snapshots();
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
	ST_TEST(test_tx_round_trip),
	ST_TEST(test_tx_decisions),
};

ST_MAIN_WITH_LOG(tests, "persist")
