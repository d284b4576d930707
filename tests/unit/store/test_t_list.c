/*
 * test_t_list.c -- store/t_list.c: pushes and pops at both ends, counts,
 * ranges, deletion of an emptied list; indexing, middle inserts and
 * removals, trims, searches and moves, checked against a model with
 * nodes of several bounds; node bounds, splits and merges; packed
 * integers and long values; memory given back.
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

#define NOT_INT "-ERR value is not an integer or out of range\r\n"
#define SYNTAX "-ERR syntax error\r\n"

static void
test_pushx(void **state)
{
	(void)state;
	rx("LPUSHX l a", ":0\r\n");
	rx("RPUSHX l a b", ":0\r\n");
	rx("EXISTS l", ":0\r\n");
	rx("RPUSH l m", ":1\r\n");
	rx("LPUSHX l b a", ":3\r\n");
	rx("RPUSHX l y z", ":5\r\n");
	rx("LRANGE l 0 -1", "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nm\r\n"
	   "$1\r\ny\r\n$1\r\nz\r\n");
	rx("LPUSHX l", "-ERR wrong number of arguments for 'lpushx' "
	   "command\r\n");
	rx("RPUSHX l", "-ERR wrong number of arguments for 'rpushx' "
	   "command\r\n");
	rx("SET s v", "+OK\r\n");
	rx("LPUSHX s a", WRONGTYPE);
	rx("RPUSHX s a", WRONGTYPE);
}

static void
test_lindex_lset(void **state)
{
	(void)state;
	rx("LINDEX l 0", "$-1\r\n");
	rx("LINDEX l abc", "$-1\r\n");          /* key first, as Redis */
	rx("LSET l 0 x", "-ERR no such key\r\n");
	rx("LSET l abc x", "-ERR no such key\r\n");
	rx("RPUSH l a b c", ":3\r\n");
	rx("LINDEX l 0", "$1\r\na\r\n");
	rx("LINDEX l 2", "$1\r\nc\r\n");
	rx("LINDEX l 3", "$-1\r\n");
	rx("LINDEX l -1", "$1\r\nc\r\n");
	rx("LINDEX l -3", "$1\r\na\r\n");
	rx("LINDEX l -4", "$-1\r\n");
	rx("LINDEX l 9223372036854775807", "$-1\r\n");
	rx("LINDEX l -9223372036854775808", "$-1\r\n");
	rx("LINDEX l 1.0", NOT_INT);
	rx("LSET l 0 A", "+OK\r\n");
	rx("LSET l -1 C", "+OK\r\n");
	rx("LSET l 1 ", "+OK\r\n");
	rx("LRANGE l 0 -1", "*3\r\n$1\r\nA\r\n$0\r\n\r\n$1\r\nC\r\n");
	rx("LSET l 3 x", "-ERR index out of range\r\n");
	rx("LSET l -4 x", "-ERR index out of range\r\n");
	rx("LSET l abc x", NOT_INT);
	rx("SET s v", "+OK\r\n");
	rx("LINDEX s 0", WRONGTYPE);
	rx("LINDEX s abc", WRONGTYPE);
	rx("LSET s 0 x", WRONGTYPE);
	rx("LSET l 0", "-ERR wrong number of arguments for 'lset' "
	   "command\r\n");
	rx("LINDEX l", "-ERR wrong number of arguments for 'lindex' "
	   "command\r\n");
	/* LSET replaces the bytes: memory follows the element's size. */
	uint64_t m = kv_used_memory(st_shard);
	rx("LSET l 0 ABCDEF", "+OK\r\n");
	assert_int_equal(kv_used_memory(st_shard), m + 5);
	rx("LSET l 0 Z", "+OK\r\n");
	assert_int_equal(kv_used_memory(st_shard), m);
}

static void
test_linsert(void **state)
{
	(void)state;
	rx("LINSERT l BEFORE a x", ":0\r\n");
	rx("LINSERT l MIDDLE a x", SYNTAX);
	rx("EXISTS l", ":0\r\n");
	rx("RPUSH l a b c", ":3\r\n");
	rx("LINSERT l BEFORE a first", ":4\r\n");
	rx("LINSERT l after c last", ":5\r\n");
	rx("LINSERT l before c bc", ":6\r\n");
	rx("LINSERT l AFTER a ab", ":7\r\n");
	rx("LINSERT l AFTER zz q", ":-1\r\n");
	rx("LINSERT l AFTERX a q", SYNTAX);
	rx("LRANGE l 0 -1", "*7\r\n$5\r\nfirst\r\n$1\r\na\r\n$2\r\nab\r\n"
	   "$1\r\nb\r\n$2\r\nbc\r\n$1\r\nc\r\n$4\r\nlast\r\n");
	/* The first occurrence of the pivot is the one used. */
	rx("RPUSH d p p", ":2\r\n");
	rx("LINSERT d AFTER p q", ":3\r\n");
	rx("LRANGE d 0 -1", "*3\r\n$1\r\np\r\n$1\r\nq\r\n$1\r\np\r\n");
	rx("SET s v", "+OK\r\n");
	rx("LINSERT s BEFORE a b", WRONGTYPE);
	rx("LINSERT s MIDDLE a b", SYNTAX);     /* syntax first */
	rx("LINSERT l BEFORE a", "-ERR wrong number of arguments for "
	   "'linsert' command\r\n");
}

static void
test_lrem(void **state)
{
	(void)state;
	rx("LREM l 0 a", ":0\r\n");
	rx("LREM l x a", NOT_INT);
	rx("RPUSH l a b a c a b a", ":7\r\n");
	rx("LREM l 2 a", ":2\r\n");
	rx("LRANGE l 0 -1", "*5\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n"
	   "$1\r\nb\r\n$1\r\na\r\n");
	rx("LREM l -1 a", ":1\r\n");
	rx("LRANGE l 0 -1", "*4\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n"
	   "$1\r\nb\r\n");
	rx("LREM l 0 b", ":2\r\n");
	rx("LREM l 0 zz", ":0\r\n");
	rx("LRANGE l 0 -1", "*2\r\n$1\r\nc\r\n$1\r\na\r\n");
	rx("LREM l -9223372036854775808 a", ":1\r\n");
	rx("LREM l 9223372036854775807 c", ":1\r\n");
	rx("EXISTS l", ":0\r\n");
	rx("RPUSH l x y x y x", ":5\r\n");
	rx("LREM l -2 x", ":2\r\n");
	rx("LRANGE l 0 -1", "*3\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\ny\r\n");
	rx("SET s v", "+OK\r\n");
	rx("LREM s 0 a", WRONGTYPE);
	rx("LREM s x a", NOT_INT);
	rx("LREM l 0", "-ERR wrong number of arguments for 'lrem' "
	   "command\r\n");
}

static void
test_ltrim(void **state)
{
	(void)state;
	rx("LTRIM l 0 1", "+OK\r\n");
	rx("EXISTS l", ":0\r\n");
	rx("LTRIM l x 1", NOT_INT);
	rx("RPUSH l a b c d e f", ":6\r\n");
	rx("LTRIM l 1 -2", "+OK\r\n");
	rx("LRANGE l 0 -1", "*4\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"
	   "$1\r\ne\r\n");
	rx("LTRIM l -100 100", "+OK\r\n");
	rx("LLEN l", ":4\r\n");
	rx("LTRIM l -1 -1", "+OK\r\n");
	rx("LRANGE l 0 -1", "*1\r\n$1\r\ne\r\n");
	rx("LTRIM l 1 0", "+OK\r\n");
	rx("EXISTS l", ":0\r\n");
	rx("RPUSH l a b", ":2\r\n");
	rx("LTRIM l 5 10", "+OK\r\n");
	rx("EXISTS l", ":0\r\n");
	rx("RPUSH l a b", ":2\r\n");
	rx("LTRIM l -9223372036854775808 9223372036854775807", "+OK\r\n");
	rx("LLEN l", ":2\r\n");
	rx("LTRIM l 0 -9223372036854775808", "+OK\r\n");
	rx("EXISTS l", ":0\r\n");
	rx("SET s v", "+OK\r\n");
	rx("LTRIM s 0 1", WRONGTYPE);
	rx("LTRIM s 0 x", NOT_INT);
	rx("LTRIM s 0", "-ERR wrong number of arguments for 'ltrim' "
	   "command\r\n");
}

static void
test_lpos(void **state)
{
	(void)state;
	rx("LPOS l a", "$-1\r\n");
	rx("LPOS l a COUNT 0", "*0\r\n");
	rx("LPOS l a RANK 0", "-ERR RANK can't be zero: use 1 to start from "
	   "the first match, 2 from the second ... or use negative to start "
	   "from the end of the list\r\n");
	rx("RPUSH l a b c a b c a", ":7\r\n");
	rx("LPOS l a", ":0\r\n");
	rx("LPOS l c", ":2\r\n");
	rx("LPOS l z", "$-1\r\n");
	rx("LPOS l a RANK 2", ":3\r\n");
	rx("LPOS l a RANK 4", "$-1\r\n");
	rx("LPOS l a RANK -1", ":6\r\n");
	rx("LPOS l a RANK -3", ":0\r\n");
	rx("LPOS l a COUNT 0", "*3\r\n:0\r\n:3\r\n:6\r\n");
	rx("LPOS l a COUNT 2", "*2\r\n:0\r\n:3\r\n");
	rx("LPOS l a RANK -1 COUNT 2", "*2\r\n:6\r\n:3\r\n");
	rx("LPOS l a RANK 2 COUNT 0", "*2\r\n:3\r\n:6\r\n");
	rx("LPOS l z COUNT 0", "*0\r\n");
	rx("LPOS l a MAXLEN 3 COUNT 0", "*1\r\n:0\r\n");
	rx("LPOS l b MAXLEN 1", "$-1\r\n");
	rx("LPOS l c RANK -1 MAXLEN 1", "$-1\r\n");
	rx("LPOS l a RANK -1 MAXLEN 1", ":6\r\n");
	rx("LPOS l a MAXLEN 0", ":0\r\n");
	rx("LPOS l a RANK 9223372036854775807", "$-1\r\n");
	/* Redis's rank negation overflows: LLONG_MIN is "every match from
	 * the tail", and COUNT does not stop it. */
	rx("LPOS l a RANK -9223372036854775808", ":6\r\n");
	rx("LPOS l a RANK -9223372036854775808 COUNT 1",
	   "*3\r\n:6\r\n:3\r\n:0\r\n");
	rx("LPOS l a COUNT -1", "-ERR COUNT can't be negative\r\n");
	rx("LPOS l a COUNT x", "-ERR COUNT can't be negative\r\n");
	rx("LPOS l a MAXLEN -1", "-ERR MAXLEN can't be negative\r\n");
	rx("LPOS l a MAXLEN x", "-ERR MAXLEN can't be negative\r\n");
	rx("LPOS l a RANK x", NOT_INT);
	rx("LPOS l a RANK", SYNTAX);
	rx("LPOS l a FOO 1", SYNTAX);
	rx("LPOS l a RANK 1 RANK 2", ":3\r\n");     /* the last one wins */
	rx("SET s v", "+OK\r\n");
	rx("LPOS s a", WRONGTYPE);
	rx("LPOS s a RANK 0", "-ERR RANK can't be zero: use 1 to start from "
	   "the first match, 2 from the second ... or use negative to start "
	   "from the end of the list\r\n");
}

static void
test_lmove(void **state)
{
	(void)state;
	rx("LMOVE src dst LEFT RIGHT", "$-1\r\n");
	rx("RPOPLPUSH src dst", "$-1\r\n");
	rx("EXISTS dst", ":0\r\n");
	rx("RPUSH src a b c", ":3\r\n");
	rx("LMOVE src dst LEFT RIGHT", "$1\r\na\r\n");
	rx("LMOVE src dst right left", "$1\r\nc\r\n");
	rx("RPOPLPUSH src dst", "$1\r\nb\r\n");
	rx("EXISTS src", ":0\r\n");
	rx("LRANGE dst 0 -1", "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n");
	/* Same key: a rotation; a one-element list stays. */
	rx("LMOVE dst dst LEFT RIGHT", "$1\r\nb\r\n");
	rx("LRANGE dst 0 -1", "*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n");
	rx("RPOPLPUSH dst dst", "$1\r\nb\r\n");
	rx("LRANGE dst 0 -1", "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n");
	rx("RPUSH one x", ":1\r\n");
	rx("LMOVE one one LEFT LEFT", "$1\r\nx\r\n");
	rx("LRANGE one 0 -1", "*1\r\n$1\r\nx\r\n");
	/* Errors: positions before keys, a wrong destination moves nothing. */
	rx("SET s v", "+OK\r\n");
	rx("LMOVE nokey s MIDDLE LEFT", SYNTAX);
	rx("LMOVE dst s LEFT UP", SYNTAX);
	rx("LMOVE dst s LEFT RIGHT", WRONGTYPE);
	rx("RPOPLPUSH dst s", WRONGTYPE);
	rx("LLEN dst", ":3\r\n");
	rx("LMOVE s dst LEFT RIGHT", WRONGTYPE);
	rx("LMOVE nokey s LEFT RIGHT", "$-1\r\n");
	rx("RPOPLPUSH nokey s", "$-1\r\n");
	rx("LMOVE dst x LEFT", "-ERR wrong number of arguments for 'lmove' "
	   "command\r\n");
	rx("RPOPLPUSH dst", "-ERR wrong number of arguments for 'rpoplpush' "
	   "command\r\n");
	/* Moving keeps the shard's memory exact. */
	uint64_t m = kv_used_memory(st_shard);
	rx("LMOVE dst dst LEFT RIGHT", "$1\r\nb\r\n");
	assert_int_equal(kv_used_memory(st_shard), m);
}

static void
test_lmpop(void **state)
{
	(void)state;
	rx("LMPOP 1 a LEFT", "*-1\r\n");
	rx("RPUSH b 1 2 3", ":3\r\n");
	rx("RPUSH c x", ":1\r\n");
	rx("LMPOP 3 a b c LEFT", "*2\r\n$1\r\nb\r\n*1\r\n$1\r\n1\r\n");
	rx("LMPOP 3 a b c RIGHT COUNT 10",
	   "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n");
	rx("EXISTS b", ":0\r\n");
	rx("LMPOP 2 b c left count 1", "*2\r\n$1\r\nc\r\n*1\r\n$1\r\nx\r\n");
	rx("EXISTS c", ":0\r\n");
	rx("LMPOP 2 b c LEFT", "*-1\r\n");
	const char *nk = "-ERR numkeys should be greater than 0\r\n";
	const char *ct = "-ERR count should be greater than 0\r\n";
	rx("LMPOP 0 a LEFT", nk);
	rx("LMPOP -1 a LEFT", nk);
	rx("LMPOP x a LEFT", nk);
	rx("LMPOP 9223372036854775807 a LEFT", SYNTAX);
	rx("LMPOP 2 a LEFT", SYNTAX);
	rx("LMPOP 1 a MIDDLE", SYNTAX);
	rx("LMPOP 1 a LEFT COUNT 0", ct);
	rx("LMPOP 1 a LEFT COUNT -1", ct);
	rx("LMPOP 1 a LEFT COUNT x", ct);
	rx("LMPOP 1 a LEFT COUNT", SYNTAX);
	rx("LMPOP 1 a LEFT COUNT 1 COUNT 1", SYNTAX);
	rx("LMPOP 1 a LEFT FOO", SYNTAX);
	rx("LMPOP 1 a", "-ERR wrong number of arguments for 'lmpop' "
	   "command\r\n");
	/* WRONGTYPE only when the scan reaches the key. */
	rx("SET s v", "+OK\r\n");
	rx("RPUSH l a", ":1\r\n");
	rx("LMPOP 2 s l LEFT", WRONGTYPE);
	rx("LMPOP 2 nokey s LEFT", WRONGTYPE);
	rx("LMPOP 2 l s LEFT", "*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n");
	rx("EXISTS l", ":0\r\n");
}

/* model_check -- LRANGE d 0 -1 equals the model (EXISTS 0 if empty). */
static void
model_check(const int *m, int n)
{
	char want[64];

	if (n == 0) {
		rx("EXISTS d", ":0\r\n");
		return;
	}
	run("LRANGE d 0 -1");
	char *p = st_out;
	snprintf(want, sizeof(want), "*%d\r\n", n);
	assert_memory_equal(p, want, strlen(want));
	p += strlen(want);
	for (int i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "$%d\r\nv%d\r\n",
			 snprintf(NULL, 0, "v%d", m[i]), m[i]);
		assert_memory_equal(p, want, strlen(want));
		p += strlen(want);
	}
	assert_int_equal(p - st_out, st_len);
}

/* model_ins -- insert v at index i of the model. */
static void
model_ins(int *m, int *n, int i, int v)
{
	memmove(m + i + 1, m + i, (size_t)(*n - i) * sizeof(*m));
	m[i] = v;
	(*n)++;
}

/* model_del -- remove index i of the model. */
static void
model_del(int *m, int *n, int i)
{
	memmove(m + i, m + i + 1, (size_t)(*n - i - 1) * sizeof(*m));
	(*n)--;
}

/*
 * middle_model -- pushes and pops at both ends while LINSERT, LREM,
 * LTRIM, LSET and same-key LMOVE work in the middle, with nodes bounded
 * by fill (list-max-listpack-size); after every command the list equals
 * a plain array model and its nodes are sound. Values come from a small
 * set so that pivots and removals meet duplicates.
 */
static void
middle_model(int64_t fill, uint64_t x)
{
	static int m[4096];
	int n = 0;
	char cmd[128], want[64];

	st_cfg.list_lp_size = fill;
	for (int step = 0; step < 6000; step++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int v = (int)(x >> 40) % 24, op = (int)(x % 16);
		int k = (int)((x >> 20) % 1000);
		if (n > 400 && op < 6)
			op = 15;                 /* keep the list bounded */
		switch (op) {
		case 0: case 1:
			snprintf(cmd, sizeof(cmd), "RPUSH d v%d", v);
			model_ins(m, &n, n, v);
			snprintf(want, sizeof(want), ":%d\r\n", n);
			rx(cmd, want);
			break;
		case 2: case 3:
			snprintf(cmd, sizeof(cmd), "LPUSH d v%d", v);
			model_ins(m, &n, 0, v);
			snprintf(want, sizeof(want), ":%d\r\n", n);
			rx(cmd, want);
			break;
		case 4: case 5: case 6: {
			int piv = (int)(k % 24), i;
			bool after = k & 1;
			for (i = 0; i < n && m[i] != piv; i++)
				;
			snprintf(cmd, sizeof(cmd), "LINSERT d %s v%d v%d",
				 after ? "AFTER" : "BEFORE", piv, v);
			if (n == 0) {
				rx(cmd, ":0\r\n");
				break;
			}
			if (i == n) {
				rx(cmd, ":-1\r\n");
				break;
			}
			model_ins(m, &n, after ? i + 1 : i, v);
			snprintf(want, sizeof(want), ":%d\r\n", n);
			rx(cmd, want);
			break;
		}
		case 7: case 8: {
			int count = k % 5 - 2, removed = 0;
			snprintf(cmd, sizeof(cmd), "LREM d %d v%d", count, v);
			if (count >= 0) {
				for (int i = 0; i < n;) {
					if (m[i] == v && (count == 0 ||
							  removed < count)) {
						model_del(m, &n, i);
						removed++;
					} else {
						i++;
					}
				}
			} else {
				for (int i = n - 1; i >= 0; i--) {
					if (m[i] == v && removed < -count) {
						model_del(m, &n, i);
						removed++;
					}
				}
			}
			snprintf(want, sizeof(want), ":%d\r\n", removed);
			rx(cmd, want);
			break;
		}
		case 9: {
			/* Mostly mild trims, now and then an emptying one. */
			int a = k % 3 - 1, b = -1 - (int)((x >> 50) % 3);
			if (k % 50 == 0)
				a = n + 1;
			snprintf(cmd, sizeof(cmd), "LTRIM d %d %d", a, b);
			rx(cmd, "+OK\r\n");
			int s0 = a < 0 ? a + n : a, e0 = b + n;
			if (s0 < 0)
				s0 = 0;
			if (s0 > e0 || s0 >= n) {
				n = 0;
			} else {
				memmove(m, m + s0, (size_t)(e0 - s0 + 1) *
					sizeof(*m));
				n = e0 - s0 + 1;
			}
			break;
		}
		case 10: case 11: {
			int i = n ? k % (2 * n) - n : 0;
			snprintf(cmd, sizeof(cmd), "LSET d %d v%d", i, v);
			if (n == 0) {
				rx(cmd, "-ERR no such key\r\n");
				break;
			}
			rx(cmd, "+OK\r\n");
			m[i < 0 ? i + n : i] = v;
			break;
		}
		case 12: case 13: {
			bool fl = k & 1, tl = k & 2;
			snprintf(cmd, sizeof(cmd), "LMOVE d d %s %s",
				 fl ? "LEFT" : "RIGHT", tl ? "LEFT" : "RIGHT");
			run(cmd);
			if (n == 0) {
				expect("$-1\r\n");
				break;
			}
			int e = fl ? m[0] : m[n - 1];
			model_del(m, &n, fl ? 0 : n - 1);
			model_ins(m, &n, tl ? 0 : n, e);
			snprintf(want, sizeof(want), "$%d\r\nv%d\r\n",
				 snprintf(NULL, 0, "v%d", e), e);
			expect(want);
			break;
		}
		default: {
			bool left = k & 1;
			run(left ? "LPOP d" : "RPOP d");
			if (n == 0) {
				expect("$-1\r\n");
				break;
			}
			int e = left ? m[0] : m[n - 1];
			model_del(m, &n, left ? 0 : n - 1);
			snprintf(want, sizeof(want), "$%d\r\nv%d\r\n",
				 snprintf(NULL, 0, "v%d", e), e);
			expect(want);
			break;
		}
		}
		model_check(m, n);
		if (n > 0) {
			struct kv_entry *e = kv_lookup(st_shard, 0, "d", 1,
						       false);
			assert_non_null(e);
			assert_int_equal(kv_list_verify(e), 0);
		}
	}
	rx("DEL d", n ? ":1\r\n" : ":0\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static void
test_middle_model(void **state)
{
	(void)state;
	middle_model(-2, 88172645463325252ULL);
}

/* test_middle_model_small_nodes -- the same walk with nodes of 1, 3 and
 * 16 entries: splits and merges at every turn. */
static void
test_middle_model_small_nodes(void **state)
{
	(void)state;
	middle_model(3, 88172645463325252ULL);
	middle_model(1, 1181783497276652981ULL);
	middle_model(16, 2685821657736338717ULL);
}

/* test_memory_returned -- trims and removals shrink the ring; an emptied
 * list gives every byte back. */
static void
test_memory_returned(void **state)
{
	char cmd[64];
	(void)state;

	for (int i = 0; i < 1000; i++) {
		snprintf(cmd, sizeof(cmd), "RPUSH big e%d", i % 10);
		run(cmd);
	}
	/* e0..e9 take 4 bytes each: 1000 fit one 8 KB node. */
	struct kv_entry *e = kv_lookup(st_shard, 0, "big", 3, false);
	assert_int_equal(e->v.q.nodes, 1);
	assert_int_equal(e->v.q.head->len, 4000);
	uint64_t full = kv_used_memory(st_shard);
	rx("LTRIM big 0 9", "+OK\r\n");
	e = kv_lookup(st_shard, 0, "big", 3, false);
	assert_int_equal(e->v.q.head->cap, 40);
	assert_int_equal(kv_used_memory(st_shard), full - 990 * 4);
	for (int i = 0; i < 1000; i++) {
		snprintf(cmd, sizeof(cmd), "LPUSH big e%d", i % 10);
		run(cmd);
	}
	rx("LREM big 0 e3", ":101\r\n");
	rx("LREM big 0 e1", ":101\r\n");
	rx("LREM big -1000 e2", ":101\r\n");
	rx("LLEN big", ":707\r\n");
	for (int i = 0; i < 10; i++) {
		if (i == 1 || i == 2 || i == 3)
			continue;
		snprintf(cmd, sizeof(cmd), "LREM big 0 e%d", i);
		rx(cmd, ":101\r\n");
	}
	rx("EXISTS big", ":0\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
	/* LMPOP and LMOVE that empty a list give it back too. */
	rx("RPUSH a 1 2 3", ":3\r\n");
	rx("LMPOP 1 a LEFT COUNT 3", "*2\r\n$1\r\na\r\n*3\r\n$1\r\n1\r\n"
	   "$1\r\n2\r\n$1\r\n3\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
	rx("RPUSH a x", ":1\r\n");
	rx("LMOVE a b LEFT LEFT", "$1\r\nx\r\n");
	rx("LMOVE b a LEFT LEFT", "$1\r\nx\r\n");
	rx("LPOS a x", ":0\r\n");
	rx("RPOPLPUSH a b", "$1\r\nx\r\n");
	rx("LTRIM b 1 0", "+OK\r\n");
	rx("DBSIZE", ":0\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

/* test_keyspace_stats -- reads count hits and misses, writes do not
 * (Redis's lookupKeyRead and lookupKeyWrite). */
static void
test_keyspace_stats(void **state)
{
	static const struct {
		const char *cmd;
		uint64_t hits, misses;
	} steps[] = {
		{ "RPUSH l a b", 0, 0 },     { "LPUSH l c", 0, 0 },
		{ "LPUSHX l d", 0, 0 },      { "LPOP l", 0, 0 },
		{ "LINDEX l 0", 1, 0 },      { "LINDEX nokey 0", 1, 1 },
		{ "LPOS l a", 2, 1 },        { "LSET l 0 x", 2, 1 },
		{ "LINSERT l BEFORE x y", 2, 1 }, { "LREM l 0 y", 2, 1 },
		{ "LTRIM l 0 -1", 2, 1 },    { "LMOVE l l LEFT RIGHT", 2, 1 },
		{ "RPOPLPUSH l l", 2, 1 },   { "LMPOP 1 l LEFT", 2, 1 },
		{ "LLEN l", 3, 1 },          { "LRANGE l 0 -1", 4, 1 },
		{ "LPOS nokey a", 4, 2 },
		{ "LMOVE nokey l LEFT RIGHT", 4, 2 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		run(steps[i].cmd);
		assert_int_equal(st_shard->stats.keyspace_hits, steps[i].hits);
		assert_int_equal(st_shard->stats.keyspace_misses,
				 steps[i].misses);
	}
}

/* node_shape -- the entries per node of list key, as "4,4,2"; checks
 * the nodes are sound. */
static const char *
node_shape(const char *key)
{
	static char out[512];
	size_t o = 0;
	struct kv_entry *e = kv_lookup(st_shard, 0, key, strlen(key), false);

	assert_non_null(e);
	assert_int_equal(kv_list_verify(e), 0);
	out[0] = '\0';
	for (struct kv_qlnode *nd = e->v.q.head; nd != NULL; nd = nd->next)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%u",
				      o ? "," : "", nd->n);
	return out;
}

/* exec_args -- run a command given as arguments (any bytes, any size). */
static void
exec_args(int argc, struct kv_arg *argv)
{
	st_len = 0;
	kv_execute(st_shard, &st_client, argc, argv);
}

/* push_fill -- RPUSH key n elements of len bytes: the letter c then the
 * index, padded with dots. */
static void
push_fill(const char *key, int first, int n, size_t len, char c)
{
	static char buf[64 << 10];

	for (int i = first; i < first + n; i++) {
		memset(buf, '.', len);
		int k = snprintf(buf, len, "%c%d", c, i);
		buf[k] = '.';
		struct kv_arg argv[3] = { { "RPUSH", 5 }, { key, strlen(key) },
					  { buf, len } };
		exec_args(3, argv);
		assert_int_equal(st_out[0], ':');
	}
}

/*
 * test_node_bounds -- a positive list-max-listpack-size counts entries,
 * a negative one bounds a node's bytes (-1: 4 KB, -2: 8 KB); a new value
 * applies to the nodes filled from then on.
 */
static void
test_node_bounds(void **state)
{
	(void)state;
	rx("CONFIG SET list-max-listpack-size 4", "+OK\r\n");
	rx("RPUSH l 1 2 3 4 5 6 7 8 9 10", ":10\r\n");
	assert_string_equal(node_shape("l"), "4,4,2");
	rx("LPUSH l 0", ":11\r\n");
	assert_string_equal(node_shape("l"), "1,4,4,2");
	rx("RPUSH l 11 12 13", ":14\r\n");
	assert_string_equal(node_shape("l"), "1,4,4,4,1");
	rx("LINDEX l 5", "$1\r\n5\r\n");
	rx("LINDEX l -5", "$1\r\n9\r\n");
	rx("LRANGE l 3 6", "*4\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n"
	   "$1\r\n6\r\n");
	rx("CONFIG SET list-max-listpack-size 0", "+OK\r\n");
	rx("LPUSH l a b", ":16\r\n");       /* 0: a node per element */
	assert_string_equal(node_shape("l"), "1,1,1,4,4,4,1");
	rx("DEL l", ":1\r\n");

	/* 100-byte elements take 103 bytes: 39 in 4 KB, 79 in 8 KB. */
	rx("CONFIG SET list-max-listpack-size -1", "+OK\r\n");
	push_fill("b", 0, 100, 100, 'e');
	assert_string_equal(node_shape("b"), "39,39,22");
	rx("CONFIG SET list-max-listpack-size -2", "+OK\r\n");
	push_fill("b", 100, 60, 100, 'e');
	assert_string_equal(node_shape("b"), "39,39,79,3");
	struct kv_entry *e = kv_lookup(st_shard, 0, "b", 1, false);
	assert_int_equal(e->v.q.head->len, 39 * 103);
	assert_int_equal(e->v.q.head->next->next->len, 79 * 103);
	rx("LLEN b", ":160\r\n");
	run("LINDEX b 120");
	assert_memory_equal(st_out, "$100\r\ne120.", 11);
	run("LINDEX b -160");
	assert_memory_equal(st_out, "$100\r\ne0...", 11);
	rx("CONFIG SET list-max-listpack-size -5", "+OK\r\n");
	push_fill("c", 0, 700, 100, 'e');      /* 64 KB: 636 a node */
	assert_string_equal(node_shape("c"), "636,64");
	rx("CONFIG SET list-max-listpack-size -100", "+OK\r\n");
	push_fill("d", 0, 700, 100, 'e');      /* below -5 counts as -5 */
	assert_string_equal(node_shape("d"), "636,64");
	/* Counted nodes also stop at 8 KB. */
	rx("CONFIG SET list-max-listpack-size 1000", "+OK\r\n");
	push_fill("f", 0, 100, 100, 'e');
	assert_string_equal(node_shape("f"), "79,21");
	rx("FLUSHALL", "+OK\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

/* test_node_linsert -- LINSERT into a full node splits it at the pivot;
 * into the edge of a full node, it goes to the neighbour with room. */
static void
test_node_linsert(void **state)
{
	(void)state;
	rx("CONFIG SET list-max-listpack-size 4", "+OK\r\n");
	rx("RPUSH l a b c d", ":4\r\n");
	rx("LINSERT l BEFORE c X", ":5\r\n");
	assert_string_equal(node_shape("l"), "3,2");
	rx("LINSERT l AFTER d Y", ":6\r\n");
	assert_string_equal(node_shape("l"), "3,3");
	rx("LINSERT l BEFORE a Z", ":7\r\n");
	assert_string_equal(node_shape("l"), "4,3");
	rx("LINSERT l AFTER a W", ":8\r\n");
	assert_string_equal(node_shape("l"), "3,2,3");
	rx("LINSERT l AFTER X V", ":9\r\n");    /* end of a node */
	assert_string_equal(node_shape("l"), "3,3,3");
	rx("LINSERT l BEFORE b U", ":10\r\n");  /* start of a node */
	assert_string_equal(node_shape("l"), "3,4,3");
	rx("LINSERT l BEFORE Z T", ":11\r\n");
	assert_string_equal(node_shape("l"), "4,4,3");
	rx("LINSERT l BEFORE T S", ":12\r\n");  /* head of a full head */
	assert_string_equal(node_shape("l"), "1,4,4,3");
	rx("LINSERT l AFTER Y R", ":13\r\n");
	assert_string_equal(node_shape("l"), "1,4,4,4");
	rx("LINSERT l AFTER R Q", ":14\r\n");   /* tail of a full tail */
	assert_string_equal(node_shape("l"), "1,4,4,4,1");
	rx("LRANGE l 0 -1", "*14\r\n$1\r\nS\r\n$1\r\nT\r\n$1\r\nZ\r\n"
	   "$1\r\na\r\n$1\r\nW\r\n$1\r\nU\r\n$1\r\nb\r\n$1\r\nX\r\n"
	   "$1\r\nV\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\nY\r\n$1\r\nR\r\n"
	   "$1\r\nQ\r\n");
	rx("LINSERT l AFTER nope x", ":-1\r\n");
	rx("DEL l", ":1\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

/* test_node_lrem_ltrim -- LREM merges the nodes it leaves small with
 * their neighbours; LTRIM frees whole nodes and cuts the edge ones. */
static void
test_node_lrem_ltrim(void **state)
{
	(void)state;
	rx("CONFIG SET list-max-listpack-size 4", "+OK\r\n");
	rx("RPUSH l a x a x b x b x c c c c", ":12\r\n");
	assert_string_equal(node_shape("l"), "4,4,4");
	rx("LREM l 0 x", ":4\r\n");
	assert_string_equal(node_shape("l"), "4,4");
	rx("LRANGE l 0 -1", "*8\r\n$1\r\na\r\n$1\r\na\r\n$1\r\nb\r\n"
	   "$1\r\nb\r\n$1\r\nc\r\n$1\r\nc\r\n$1\r\nc\r\n$1\r\nc\r\n");
	rx("LREM l -3 c", ":3\r\n");
	assert_string_equal(node_shape("l"), "4,1");
	rx("LREM l 1 a", ":1\r\n");
	assert_string_equal(node_shape("l"), "4");
	rx("LREM l 0 c", ":1\r\n");
	rx("LREM l 0 b", ":2\r\n");
	rx("LREM l 0 a", ":1\r\n");
	rx("EXISTS l", ":0\r\n");
	rx("RPUSH l 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
	   ":20\r\n");
	rx("LTRIM l 5 13", "+OK\r\n");
	assert_string_equal(node_shape("l"), "3,4,2");
	rx("LRANGE l 0 -1", "*9\r\n$1\r\n6\r\n$1\r\n7\r\n$1\r\n8\r\n"
	   "$1\r\n9\r\n$2\r\n10\r\n$2\r\n11\r\n$2\r\n12\r\n$2\r\n13\r\n"
	   "$2\r\n14\r\n");
	rx("LTRIM l 1 -2", "+OK\r\n");
	assert_string_equal(node_shape("l"), "2,4,1");
	rx("RPOP l 2", "*2\r\n$2\r\n13\r\n$2\r\n12\r\n");
	assert_string_equal(node_shape("l"), "2,3");
	rx("LPOP l 3", "*3\r\n$1\r\n7\r\n$1\r\n8\r\n$1\r\n9\r\n");
	assert_string_equal(node_shape("l"), "2");
	rx("LTRIM l 5 10", "+OK\r\n");
	rx("EXISTS l", ":0\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

/* test_node_lset -- LSET in place while the node fits, else the value
 * goes in a node of its own (merged with a neighbour where it fits). */
static void
test_node_lset(void **state)
{
	static char big[5000];
	(void)state;

	rx("CONFIG SET list-max-listpack-size -1", "+OK\r\n");
	push_fill("l", 0, 39, 100, 'e');
	assert_string_equal(node_shape("l"), "39");
	memset(big, 'B', sizeof(big));
	struct kv_arg set[4] = { { "LSET", 4 }, { "l", 1 }, { "10", 2 },
				 { big, 3000 } };
	exec_args(4, set);
	expect("+OK\r\n");
	/* 10 x 103 + 3004 fits 4 KB: the new node merged with the first. */
	assert_string_equal(node_shape("l"), "11,28");
	run("LINDEX l 10");
	assert_memory_equal(st_out, "$3000\r\nBBB", 10);
	assert_int_equal(st_len, 3000 + 9);
	run("LINDEX l 11");
	assert_memory_equal(st_out, "$100\r\ne11.", 10);
	rx("LSET l 0 s", "+OK\r\n");           /* in place */
	assert_string_equal(node_shape("l"), "11,28");
	set[2] = (struct kv_arg){ "-1", 2 };
	set[3] = (struct kv_arg){ big, 5000 };
	exec_args(4, set);
	expect("+OK\r\n");
	assert_string_equal(node_shape("l"), "11,27,1");
	set[2] = (struct kv_arg){ "20", 2 };
	exec_args(4, set);
	expect("+OK\r\n");
	assert_string_equal(node_shape("l"), "11,9,1,17,1");
	rx("LINDEX l 0", "$1\r\ns\r\n");
	run("LINDEX l 19");
	assert_memory_equal(st_out, "$100\r\ne19.", 10);
	run("LINDEX l 21");
	assert_memory_equal(st_out, "$100\r\ne21.", 10);
	run("LINDEX l 20");
	assert_int_equal(st_len, 5000 + 9);
	rx("LSET l 20 small", "+OK\r\n");      /* shrinks in place */
	assert_string_equal(node_shape("l"), "11,9,1,17,1");
	rx("LREM l 1 small", ":1\r\n");        /* 9 + 17 merge again */
	assert_string_equal(node_shape("l"), "11,26,1");
	rx("DEL l", ":1\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

/* test_packed_values -- canonical integers are stored as numbers in 1 to
 * 9 bytes and read back as the same bytes; anything else stays bytes. */
static void
test_packed_values(void **state)
{
	(void)state;
	rx("RPUSH l 0 127 128 -1 32767 -32768 32768 8388607 -8388608 8388608 "
	   "2147483647 -2147483648 2147483648 9223372036854775807 "
	   "-9223372036854775808 01 -0 +1 1. 9223372036854775808", ":20\r\n");
	struct kv_entry *e = kv_lookup(st_shard, 0, "l", 1, false);
	/* 2 x 2 + 4 x 4 + 3 x 5 + 3 x 6 + 3 x 10 + 4 x 4 + 21 */
	assert_int_equal(e->v.q.head->len, 120);
	rx("LRANGE l 0 -1", "*20\r\n$1\r\n0\r\n$3\r\n127\r\n$3\r\n128\r\n"
	   "$2\r\n-1\r\n$5\r\n32767\r\n$6\r\n-32768\r\n$5\r\n32768\r\n"
	   "$7\r\n8388607\r\n$8\r\n-8388608\r\n$7\r\n8388608\r\n"
	   "$10\r\n2147483647\r\n$11\r\n-2147483648\r\n$10\r\n2147483648\r\n"
	   "$19\r\n9223372036854775807\r\n$20\r\n-9223372036854775808\r\n"
	   "$2\r\n01\r\n$2\r\n-0\r\n$2\r\n+1\r\n$2\r\n1.\r\n"
	   "$19\r\n9223372036854775808\r\n");
	rx("LPOS l 128", ":2\r\n");
	rx("LPOS l -8388608 RANK -1", ":8\r\n");
	rx("LREM l 0 -1", ":1\r\n");
	rx("LINSERT l AFTER 01 1", ":20\r\n");
	rx("LINDEX l 15", "$1\r\n1\r\n");
	rx("LSET l 0 -9223372036854775808", "+OK\r\n");
	rx("LINDEX l 0", "$20\r\n-9223372036854775808\r\n");
	rx("RPOP l", "$19\r\n9223372036854775808\r\n");
	rx("LMOVE l l RIGHT LEFT", "$2\r\n1.\r\n");
	rx("LMOVE l m LEFT RIGHT", "$2\r\n1.\r\n");
	rx("LMOVE l m LEFT RIGHT", "$20\r\n-9223372036854775808\r\n");
	rx("LRANGE m 0 -1", "*2\r\n$2\r\n1.\r\n"
	   "$20\r\n-9223372036854775808\r\n");
	rx("DEL l m", ":2\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

/* test_long_values -- strings around each length-prefix size and back
 * lengths of several bytes, walked from both ends; larger than a node's
 * bound, an element has a node of its own. */
static void
test_long_values(void **state)
{
	static const size_t lens[] = { 0, 63, 64, 124, 125, 126, 127, 128,
				       8191, 8192, 16381, 16384, 20000,
				       70000 };
	static char buf[70000];
	enum { N = sizeof(lens) / sizeof(lens[0]) };
	(void)state;

	for (int i = 0; i < N; i++) {
		memset(buf, 'a' + i, lens[i]);
		struct kv_arg argv[3] = { { i % 2 ? "LPUSH" : "RPUSH", 5 },
					  { "l", 1 }, { buf, lens[i] } };
		exec_args(3, argv);
	}
	assert_string_equal(node_shape("l"), "1,1,1,8,1,1,1");
	/* Order: pushes 13, 11, ... 1 on the left, 0, 2, ... 12 on the
	 * right. */
	for (int k = 0; k < N; k++) {
		int i = k < N / 2 ? N - 1 - 2 * k : 2 * (k - N / 2);
		char cmd[32], want[32];
		snprintf(cmd, sizeof(cmd), "LINDEX l %d", k);
		run(cmd);
		int h = snprintf(want, sizeof(want), "$%zu\r\n", lens[i]);
		assert_memory_equal(st_out, want, (size_t)h);
		assert_int_equal(st_len, (size_t)h + lens[i] + 2);
		if (lens[i] > 0)
			assert_int_equal(st_out[h + lens[i] - 1], 'a' + i);
		snprintf(cmd, sizeof(cmd), "LINDEX l %d", k - N);
		run(cmd);
		assert_memory_equal(st_out, want, (size_t)h);
	}
	rx("LPOS l x", "$-1\r\n");
	run("RPOP l 14");
	assert_memory_equal(st_out, "*14\r\n$20000\r\n", 13);
	rx("EXISTS l", ":0\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

/* test_node_dump_copy -- RESTORE builds nodes by the bound in force,
 * COPY copies node for node; both keep every element. */
static void
test_node_dump_copy(void **state)
{
	static char payload[4096];
	(void)state;

	rx("CONFIG SET list-max-listpack-size 2", "+OK\r\n");
	rx("RPUSH l a 1 -300 70000 bb", ":5\r\n");
	assert_string_equal(node_shape("l"), "2,2,1");
	run("DUMP l");
	assert_int_equal(st_out[0], '$');
	char *body = strstr(st_out, "\r\n") + 2;
	size_t plen = (size_t)atol(st_out + 1);
	assert_true(plen < sizeof(payload));
	memcpy(payload, body, plen);
	struct kv_arg restore[4] = { { "RESTORE", 7 }, { "m", 1 }, { "0", 1 },
				     { payload, plen } };
	exec_args(4, restore);
	expect("+OK\r\n");
	assert_string_equal(node_shape("m"), "2,2,1");
	rx("CONFIG SET list-max-listpack-size 4", "+OK\r\n");
	restore[1] = (struct kv_arg){ "n", 1 };
	exec_args(4, restore);
	expect("+OK\r\n");
	assert_string_equal(node_shape("n"), "4,1");
	rx("COPY l c", ":1\r\n");
	assert_string_equal(node_shape("c"), "2,2,1");
	const char *all = "*5\r\n$1\r\na\r\n$1\r\n1\r\n$4\r\n-300\r\n"
			  "$5\r\n70000\r\n$2\r\nbb\r\n";
	rx("LRANGE m 0 -1", all);
	rx("LRANGE n 0 -1", all);
	rx("LRANGE c 0 -1", all);
	rx("RPUSH c z", ":6\r\n");             /* the copy is its own */
	assert_string_equal(node_shape("c"), "2,2,2");
	assert_string_equal(node_shape("l"), "2,2,1");
	rx("FLUSHALL", "+OK\r\n");
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
	ST_TEST(test_pushx),
	ST_TEST(test_lindex_lset),
	ST_TEST(test_linsert),
	ST_TEST(test_lrem),
	ST_TEST(test_ltrim),
	ST_TEST(test_lpos),
	ST_TEST(test_lmove),
	ST_TEST(test_lmpop),
	ST_TEST(test_middle_model),
	ST_TEST(test_middle_model_small_nodes),
	ST_TEST(test_memory_returned),
	ST_TEST(test_keyspace_stats),
	ST_TEST(test_node_bounds),
	ST_TEST(test_node_linsert),
	ST_TEST(test_node_lrem_ltrim),
	ST_TEST(test_node_lset),
	ST_TEST(test_packed_values),
	ST_TEST(test_long_values),
	ST_TEST(test_node_dump_copy),
};

RP_TEST_MAIN(tests, 1)
