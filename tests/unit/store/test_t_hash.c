/*
 * test_t_hash.c -- store/t_hash.c: every hash command with replies and
 * errors as Redis 7.0 writes them, the listpack encoding's order and its
 * conversion to a dict (by count and by length), multi-field replies of
 * dict hashes compared as sets, HSCAN of a large hash, HRANDFIELD's
 * counts, memory returned on DEL, and replay of every write from the log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#include "store_test.h"

#define WRONGTYPE "-WRONGTYPE Operation against a key holding the wrong kind " \
	"of value\r\n"

/* enc -- the encoding of a key's value. */
static int
enc(const char *key)
{
	struct kv_entry *e = kv_lookup(st_shard, 0, key, strlen(key), false);
	assert_non_null(e);
	assert_int_equal(e->type, KV_TYPE_HASH);
	return e->encoding;
}

/*
 * parse_bulks -- the bulk strings of a flat array reply (nested arrays'
 * headers skipped); returns how many. Each is NUL-terminated in place.
 */
static int
parse_bulks(char *out, size_t len, char **v, int max)
{
	int n = 0;
	char *p = out, *end = out + len;

	while (p < end) {
		if (*p == '*' || *p == ':') {
			p = strstr(p, "\r\n") + 2;
			continue;
		}
		assert_true(*p == '$');
		long l = strtol(p + 1, &p, 10);
		p += 2;
		assert_true(n < max);
		v[n++] = p;
		p[l] = '\0';
		p += l + 2;
	}
	return n;
}

/* sorted_cmp -- qsort comparison of C strings. */
static int
sorted_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_set_get(void **state)
{
	(void)state;
	rx("HSET h a 1 b 2", ":2\r\n");
	rx("HSET h a 10 c 3", ":1\r\n");
	rx("HSET h c 4 c 5", ":0\r\n");
	rx("HGET h a", "$2\r\n10\r\n");
	rx("HGET h c", "$1\r\n5\r\n");
	rx("HGET h nope", "$-1\r\n");
	rx("HGET nokey a", "$-1\r\n");
	rx("HLEN h", ":3\r\n");
	rx("HLEN nokey", ":0\r\n");
	rx("HMGET h a nope b", "*3\r\n$2\r\n10\r\n$-1\r\n$1\r\n2\r\n");
	rx("HMGET nokey a b", "*2\r\n$-1\r\n$-1\r\n");
	rx("HEXISTS h a", ":1\r\n");
	rx("HEXISTS h z", ":0\r\n");
	rx("HEXISTS nokey z", ":0\r\n");
	rx("HSTRLEN h a", ":2\r\n");
	rx("HSTRLEN h z", ":0\r\n");
	rx("HSTRLEN nokey z", ":0\r\n");
	/* Small hash: insertion order, values updated in place. */
	rx("HGETALL h", "*6\r\n$1\r\na\r\n$2\r\n10\r\n$1\r\nb\r\n$1\r\n2\r\n"
	   "$1\r\nc\r\n$1\r\n5\r\n");
	rx("HKEYS h", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
	rx("HVALS h", "*3\r\n$2\r\n10\r\n$1\r\n2\r\n$1\r\n5\r\n");
	rx("HGETALL nokey", "*0\r\n");
	rx("HKEYS nokey", "*0\r\n");
	rx("HVALS nokey", "*0\r\n");
	rx("HSETNX h a x", ":0\r\n");
	rx("HSETNX h d x", ":1\r\n");
	rx("HSETNX n f v", ":1\r\n");
	rx("HMSET h e 1 a 2", "+OK\r\n");
	rx("HGET h a", "$1\r\n2\r\n");
	rx("TYPE h", "+hash\r\n");
	/* Empty field and value. */
	rx("HSET h  ", ":1\r\n");
	rx("HGET h ", "$0\r\n\r\n");
	rx("HSTRLEN h ", ":0\r\n");
	assert_int_equal(enc("h"), KV_ENC_LISTPACK);
}

static void
test_del(void **state)
{
	(void)state;
	rx("HSET h a 1 b 2 c 3", ":3\r\n");
	rx("SET s v", "+OK\r\n");
	rx("SCAN 0 TYPE hash", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nh\r\n");
	rx("SCAN 0 TYPE HASH", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nh\r\n");
	rx("SCAN 0 TYPE string", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\ns\r\n");
	rx("DEL s", ":1\r\n");
	rx("HDEL h b nope b", ":1\r\n");
	rx("HDEL nokey a", ":0\r\n");
	rx("HGETALL h", "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nc\r\n$1\r\n3\r\n");
	rx("HDEL h a c x", ":2\r\n");
	rx("EXISTS h", ":0\r\n");
	rx("TYPE h", "+none\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static void
test_incr(void **state)
{
	(void)state;
	rx("HINCRBY h n 5", ":5\r\n");
	rx("HINCRBY h n -7", ":-2\r\n");
	rx("HINCRBY h n x", "-ERR value is not an integer or out of range\r\n");
	rx("HINCRBY h n 1.5", "-ERR value is not an integer or out of "
	   "range\r\n");
	rx("HSET h s abc m 9223372036854775807 f 1.5", ":3\r\n");
	rx("HINCRBY h s 1", "-ERR hash value is not an integer\r\n");
	rx("HINCRBY h f 1", "-ERR hash value is not an integer\r\n");
	rx("HINCRBY h m 1", "-ERR increment or decrement would overflow\r\n");
	rx("HINCRBY h m 0", ":9223372036854775807\r\n");
	rx("HINCRBY h l -9223372036854775808", ":-9223372036854775808\r\n");
	rx("HINCRBY h l -1", "-ERR increment or decrement would overflow\r\n");
	rx("HINCRBYFLOAT h f 10.5", "$2\r\n12\r\n");
	rx("HINCRBYFLOAT h g 5.0e3", "$4\r\n5000\r\n");
	rx("HINCRBYFLOAT h g -0.25", "$7\r\n4999.75\r\n");
	rx("HINCRBYFLOAT h g 1e5000", "-ERR value is not a valid float\r\n");
	rx("HINCRBYFLOAT h g nan", "-ERR value is not a valid float\r\n");
	rx("HINCRBYFLOAT h g -inf", "-ERR value is NaN or Infinity\r\n");
	rx("HINCRBYFLOAT h g abc", "-ERR value is not a valid float\r\n");
	rx("HINCRBYFLOAT h g inf", "-ERR value is NaN or Infinity\r\n");
	rx("HINCRBYFLOAT h s 1", "-ERR hash value is not a float\r\n");
	rx("HINCRBYFLOAT h n 1", "$2\r\n-1\r\n");
	rx("HSET h big 1e4932", ":1\r\n");
	rx("HINCRBYFLOAT h big 1e4932", "-ERR increment would produce NaN or "
	   "Infinity\r\n");
	rx("HINCRBYFLOAT nk f 1x", "-ERR value is not a valid float\r\n");
	rx("EXISTS nk", ":0\r\n");
}

static void
test_wrongtype_arity(void **state)
{
	static const char *const cmds[] = {
		"HSET s a 1", "HSETNX s a 1", "HGET s a", "HMGET s a",
		"HMSET s a 1", "HDEL s a", "HLEN s", "HSTRLEN s a",
		"HEXISTS s a", "HKEYS s", "HVALS s", "HGETALL s",
		"HINCRBY s a 1", "HINCRBYFLOAT s a 1", "HRANDFIELD s",
		"HRANDFIELD s 2", "HSCAN s 0",
	};
	(void)state;
	rx("SET s v", "+OK\r\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		rx(cmds[i], WRONGTYPE);
	rx("HSET h a", "-ERR wrong number of arguments for 'hset' command\r\n");
	rx("HSET h a 1 b", "-ERR wrong number of arguments for 'hset' "
	   "command\r\n");
	rx("HMSET h a 1 b", "-ERR wrong number of arguments for 'hmset' "
	   "command\r\n");
	rx("HGET h", "-ERR wrong number of arguments for 'hget' command\r\n");
	rx("HDEL h", "-ERR wrong number of arguments for 'hdel' command\r\n");
	rx("HSCAN h", "-ERR wrong number of arguments for 'hscan' command\r\n");
	rx("HRANDFIELD", "-ERR wrong number of arguments for 'hrandfield' "
	   "command\r\n");
	rx("EXISTS h", ":0\r\n");
	/* A bad cursor comes before the type check, options after. */
	rx("HSCAN s x", "-ERR invalid cursor\r\n");
	rx("HSCAN nokey 0 COUNT x", "*2\r\n$1\r\n0\r\n*0\r\n");
}

/* A sorted multi-field reply checked against expected sorted words. */
static void
expect_set(const char *cmd, const char *const *want, int n)
{
	char *v[4096];
	run(cmd);
	int got = parse_bulks(st_out, st_len, v, 4096);
	assert_int_equal(got, n);
	qsort(v, (size_t)got, sizeof(v[0]), sorted_cmp);
	for (int i = 0; i < n; i++)
		assert_string_equal(v[i], want[i]);
}

static void
test_conversion(void **state)
{
	char cmd[256];
	(void)state;

	/* By length: a 65-byte value makes a dict; 64 does not. */
	rx("HSET h a 1", ":1\r\n");
	snprintf(cmd, sizeof(cmd), "HSET h b %064d", 0);
	rx(cmd, ":1\r\n");
	assert_int_equal(enc("h"), KV_ENC_LISTPACK);
	snprintf(cmd, sizeof(cmd), "HSET h c %065d", 0);
	rx(cmd, ":1\r\n");
	assert_int_equal(enc("h"), KV_ENC_HASHTABLE);
	rx("HGET h a", "$1\r\n1\r\n");
	rx("HSTRLEN h c", ":65\r\n");
	static const char *const keys[] = { "a", "b", "c" };
	expect_set("HKEYS h", keys, 3);
	/* By a long field, and by HINCRBYFLOAT's long result. */
	snprintf(cmd, sizeof(cmd), "HSETNX f %065d v", 0);
	rx(cmd, ":1\r\n");
	assert_int_equal(enc("f"), KV_ENC_HASHTABLE);
	rx("HSET g x 1", ":1\r\n");
	rx("HINCRBYFLOAT g x 1e70", "$71\r\n1000000000000000000022247948958614"
	   "8259025995410601157579323600873193472\r\n");
	assert_int_equal(enc("g"), KV_ENC_HASHTABLE);

	/* By count: 128 fields stay a listpack, the 129th converts. */
	for (int i = 0; i < 128; i++) {
		snprintf(cmd, sizeof(cmd), "HSET c f%d %d", i, i);
		rx(cmd, ":1\r\n");
	}
	assert_int_equal(enc("c"), KV_ENC_LISTPACK);
	rx("HSET c f128 128", ":1\r\n");
	assert_int_equal(enc("c"), KV_ENC_HASHTABLE);
	rx("HLEN c", ":129\r\n");
	for (int i = 0; i < 129; i++) {
		char want[32];
		snprintf(cmd, sizeof(cmd), "HGET c f%d", i);
		snprintf(want, sizeof(want), "$%d\r\n%d\r\n",
			 i < 10 ? 1 : i < 100 ? 2 : 3, i);
		rx(cmd, want);
	}
	/* HGETALL of a dict hash: every pair once, in any order. */
	char *v[512];
	run("HGETALL c");
	assert_int_equal(parse_bulks(st_out, st_len, v, 512), 258);
	for (int i = 0; i < 258; i += 2)
		assert_string_equal(v[i] + 1, v[i + 1]);
	/* Deleting down to nothing deletes the key and its memory. */
	for (int i = 0; i < 129; i++) {
		snprintf(cmd, sizeof(cmd), "HDEL c f%d", i);
		rx(cmd, ":1\r\n");
	}
	rx("EXISTS c", ":0\r\n");
	/* RENAME moves either encoding; SET over a hash frees it. */
	rx("RENAME h h2", "+OK\r\n");
	rx("HGET h2 a", "$1\r\n1\r\n");
	rx("HSET small x 1", ":1\r\n");
	rx("RENAME small small2", "+OK\r\n");
	rx("HGET small2 x", "$1\r\n1\r\n");
	rx("SET small2 str", "+OK\r\n");
	rx("SET f str", "+OK\r\n");
	rx("DEL h2 f g small2", ":4\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

/* The limits are hash-max-listpack-entries/-value, set by CONFIG SET. */
static void
test_conversion_configured(void **state)
{
	(void)state;
	rx("CONFIG SET hash-max-listpack-entries 3", "+OK\r\n");
	rx("CONFIG GET hash-max-listpack-entries",
	   "*2\r\n$25\r\nhash-max-listpack-entries\r\n$1\r\n3\r\n");
	rx("HSET c a 1 b 2 c 3", ":3\r\n");
	assert_int_equal(enc("c"), KV_ENC_LISTPACK);
	rx("HSET c d 4", ":1\r\n");
	assert_int_equal(enc("c"), KV_ENC_HASHTABLE);
	rx("HGET c d", "$1\r\n4\r\n");
	/* 0: no listpack at all */
	rx("CONFIG SET hash-max-listpack-entries 0", "+OK\r\n");
	rx("HSET z a 1", ":1\r\n");
	assert_int_equal(enc("z"), KV_ENC_HASHTABLE);
	/* a longer value limit keeps a 100-byte value compact */
	rx("CONFIG SET hash-max-listpack-entries 128", "+OK\r\n");
	rx("CONFIG SET hash-max-listpack-value 100", "+OK\r\n");
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "HSET v f %0100d", 0);
	rx(cmd, ":1\r\n");
	assert_int_equal(enc("v"), KV_ENC_LISTPACK);
	snprintf(cmd, sizeof(cmd), "HSET v %0101d x", 0);
	rx(cmd, ":1\r\n");
	assert_int_equal(enc("v"), KV_ENC_HASHTABLE);
	rx("HLEN v", ":2\r\n");
	/* above what a length byte holds, a string still leaves the
	 * listpack */
	rx("CONFIG SET hash-max-listpack-value 100000", "+OK\r\n");
	snprintf(cmd, sizeof(cmd), "HSET w f %0255d", 0);
	rx(cmd, ":1\r\n");
	assert_int_equal(enc("w"), KV_ENC_LISTPACK);
	snprintf(cmd, sizeof(cmd), "HSET w g %0256d", 0);
	rx(cmd, ":1\r\n");
	assert_int_equal(enc("w"), KV_ENC_HASHTABLE);
	snprintf(cmd, sizeof(cmd), "HGET w f");
	run(cmd);
	assert_int_equal(st_len, 255 + 8);
	rx("CONFIG SET hash-max-listpack-value 64", "+OK\r\n");
	rx("DEL c z v w", ":4\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static void
test_randfield(void **state)
{
	(void)state;
	rx("HRANDFIELD nokey", "$-1\r\n");
	rx("HRANDFIELD nokey 3", "*0\r\n");
	rx("HSET h a 1", ":1\r\n");
	rx("HRANDFIELD h", "$1\r\na\r\n");
	rx("HRANDFIELD h 0", "*0\r\n");
	rx("HRANDFIELD h -3", "*3\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n");
	rx("HRANDFIELD h -2 WITHVALUES", "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\na"
	   "\r\n$1\r\n1\r\n");
	rx("HRANDFIELD h 5 withvalues", "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
	rx("HRANDFIELD h 1 x", "-ERR syntax error\r\n");
	rx("HRANDFIELD h 1 WITHVALUES x", "-ERR syntax error\r\n");
	rx("HRANDFIELD h x", "-ERR value is not an integer or out of range\r\n");
	rx("HRANDFIELD h -9223372036854775808", "-ERR value is out of range, "
	   "value must between -9223372036854775807 and 9223372036854775807\r\n");
	rx("HRANDFIELD h 9223372036854775807 WITHVALUES", "-ERR value is out "
	   "of range\r\n");
	rx("HRANDFIELD h -134217729", "-ERR value is out of range\r\n");
	rx("HRANDFIELD h 134217729", "*1\r\n$1\r\na\r\n");
	rx("HSET h b 2 c 3", ":2\r\n");
	rx("HRANDFIELD h 3", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");

	/* Distinct fields from listpack and dict hashes of every size. */
	char cmd[64], *v[1024];
	for (int i = 0; i < 300; i++) {
		snprintf(cmd, sizeof(cmd), "HSET big f%03d %03d", i, i);
		run(cmd);
		if (i == 20 || i == 299) {
			static const int counts[] = { 1, 2, 5, 21, 50, 99,
						      150, 299, 400 };
			for (size_t k = 0; k < 9; k++) {
				int c = counts[k];
				int size = i + 1;
				int want = c < size ? c : size;
				snprintf(cmd, sizeof(cmd),
					 "HRANDFIELD big %d WITHVALUES", c);
				run(cmd);
				int n = parse_bulks(st_out, st_len, v, 1024);
				assert_int_equal(n, want * 2);
				for (int j = 0; j < n; j += 2)
					assert_string_equal(v[j] + 1, v[j + 1]);
				char *f[512];
				for (int j = 0; j < want; j++)
					f[j] = v[2 * j];
				qsort(f, (size_t)want, sizeof(f[0]),
				      sorted_cmp);
				for (int j = 1; j < want; j++)
					assert_true(strcmp(f[j - 1], f[j]) != 0);
			}
		}
	}
	run("HRANDFIELD big -500");
	assert_int_equal(parse_bulks(st_out, st_len, v, 1024), 500);
}

static void
test_scan(void **state)
{
	char cmd[128], *v[4096];
	(void)state;

	rx("HSET h a 1 b 2 ab 3", ":3\r\n");
	rx("HSCAN h 0", "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n"
	   "$1\r\n2\r\n$2\r\nab\r\n$1\r\n3\r\n");
	rx("HSCAN h 0 MATCH a*", "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n"
	   "$2\r\nab\r\n$1\r\n3\r\n");
	rx("HSCAN h 0 COUNT 1 MATCH b", "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n"
	   "$1\r\n2\r\n");
	rx("HSCAN h 0 COUNT 0", "-ERR syntax error\r\n");
	rx("HSCAN h 0 COUNT x", "-ERR value is not an integer or out of "
	   "range\r\n");
	rx("HSCAN h 0 COUNT", "-ERR syntax error\r\n");
	rx("HSCAN h 0 TYPE string", "-ERR syntax error\r\n");
	rx("HSCAN h -1", "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb"
	   "\r\n$1\r\n2\r\n$2\r\nab\r\n$1\r\n3\r\n");
	rx("HSCAN h 18446744073709551616", "-ERR invalid cursor\r\n");
	rx("HSCAN h 1x", "-ERR invalid cursor\r\n");

	/* A dict hash scanned in steps while it grows: every field present
	 * from the start comes back at least once. */
	for (int i = 0; i < 1000; i++) {
		snprintf(cmd, sizeof(cmd), "HSET d f%d %d", i, i);
		run(cmd);
	}
	unsigned char seen[3000] = { 0 };
	char cursor[32] = "0";
	int calls = 0, added = 1000;
	do {
		snprintf(cmd, sizeof(cmd), "HSCAN d %s COUNT 20", cursor);
		run(cmd);
		int n = parse_bulks(st_out, st_len, v, 4096);
		assert_true(n >= 1);
		snprintf(cursor, sizeof(cursor), "%s", v[0]);
		for (int j = 1; j < n; j += 2) {
			int f = atoi(v[j] + 1);
			assert_string_equal(v[j] + 1, v[j + 1]);
			seen[f] = 1;
		}
		for (int k = 0; k < 30 && added < 3000; k++, added++) {
			snprintf(cmd, sizeof(cmd), "HSET d f%d %d", added,
				 added);
			run(cmd);
		}
		calls++;
	} while (strcmp(cursor, "0") != 0);
	assert_true(calls > 10);
	for (int i = 0; i < 1000; i++)
		assert_true(seen[i]);
}

static char path[64];

static void
test_replay(void **state)
{
	char err[256], cmd[128];
	(void)state;

	unlink(path);
	struct pm_log *log = pm_log_open(path, 8 << 20, 0, err, sizeof(err));
	assert_non_null(log);
	st_close();
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("HSET h a 1 b 2 c 3", ":3\r\n");
	rx("HMSET h d 4", "+OK\r\n");
	rx("HSETNX h e 5", ":1\r\n");
	rx("HSETNX h e 6", ":0\r\n");
	rx("HDEL h b zz", ":1\r\n");
	rx("HINCRBY h a 41", ":42\r\n");
	rx("HINCRBYFLOAT h f 0.1", "$3\r\n0.1\r\n");
	rx("HINCRBYFLOAT h f 0.2", "$3\r\n0.3\r\n");
	rx("HSET gone x 1", ":1\r\n");
	rx("HDEL gone x", ":1\r\n");
	for (int i = 0; i < 200; i++) {
		snprintf(cmd, sizeof(cmd), "HSET big f%d %d", i, i);
		run(cmd);
	}
	rx("HDEL big f7", ":1\r\n");
	rx("HINCRBY big f8 2", ":10\r\n");
	kv_commit(st_shard);
	run("HGETALL h");
	char before[512];
	size_t blen = st_len;
	memcpy(before, st_out, st_len);
	st_close();
	pm_log_close(log);

	log = pm_log_open(path, 8 << 20, 0, err, sizeof(err));
	assert_non_null(log);
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	run("HGETALL h");
	assert_int_equal(st_len, blen);
	assert_memory_equal(st_out, before, blen);
	rx("EXISTS gone", ":0\r\n");
	rx("HLEN big", ":199\r\n");
	rx("HGET big f7", "$-1\r\n");
	rx("HGET big f8", "$2\r\n10\r\n");
	rx("HGET big f199", "$3\r\n199\r\n");
	assert_int_equal(enc("big"), KV_ENC_HASHTABLE);
	st_close();
	pm_log_close(log);
	unlink(path);
	st_open(NULL);
}

static int
replay_setup(void **state)
{
	setenv("PMEM_IS_PMEM_FORCE", "1", 1);
	snprintf(path, sizeof(path), "/dev/shm/rptest-t_hash-%d",
		 (int)getpid());
	return st_setup(state);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_set_get),
	ST_TEST(test_del),
	ST_TEST(test_incr),
	ST_TEST(test_wrongtype_arity),
	ST_TEST(test_conversion),
	ST_TEST(test_conversion_configured),
	ST_TEST(test_randfield),
	ST_TEST(test_scan),
	cmocka_unit_test_setup_teardown(test_replay, replay_setup,
					st_teardown),
};

RP_TEST_MAIN(tests, 1)
