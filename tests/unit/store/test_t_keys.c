/*
 * test_t_keys.c -- store/t_keys.c: DEL EXISTS TYPE, the EXPIRE family
 * with NX/XX/GT/LT, TTL, PERSIST, KEYS, SCAN, RENAME, FLUSH, RANDOMKEY.
 */
#include "unit.h"

#include "store_test.h"

static void
test_del_exists_type(void **state)
{
	(void)state;
	rx("MSET a 1 b 2 c 3", "+OK\r\n");
	rx("EXISTS a b c c nokey", ":4\r\n");
	rx("DEL a b nokey", ":2\r\n");
	rx("UNLINK c", ":1\r\n");
	rx("TOUCH c", ":0\r\n");
	rx("SET t v", "+OK\r\n");
	rx("TYPE t", "+string\r\n");
	rx("TYPE nokey", "+none\r\n");
	rx("LPUSH l x", ":1\r\n");
	rx("TYPE l", "+list\r\n");
}

static void
test_expire_flags(void **state)
{
	(void)state;
	rx("SET t v", "+OK\r\n");
	rx("EXPIRE t 100 XX", ":0\r\n");
	rx("EXPIRE t 100 NX", ":1\r\n");
	rx("EXPIRE t 200 NX", ":0\r\n");
	rx("EXPIRE t 300 GT", ":1\r\n");
	rx("EXPIRE t 10 GT", ":0\r\n");
	rx("EXPIRE t 400 LT", ":0\r\n");
	rx("EXPIRE t 50 LT", ":1\r\n");
	rx("TTL t", ":50\r\n");
	rx("EXPIRE t 10 NX XX", "-ERR NX and XX, GT or LT options at the same "
	   "time are not compatible\r\n");
	rx("EXPIRE t 10 GT LT", "-ERR GT and LT options at the same time are "
	   "not compatible\r\n");
	rx("EXPIRE t 10 BAD", "-ERR Unsupported option BAD\r\n");
	rx("EXPIRE t abc", "-ERR value is not an integer or out of range\r\n");
	rx("EXPIRE t 9223372036854775807",
	   "-ERR invalid expire time in 'expire' command\r\n");
	rx("EXPIRE nokey 10", ":0\r\n");
	rx("PERSIST t", ":1\r\n");
	rx("PERSIST t", ":0\r\n");
	rx("TTL t", ":-1\r\n");
	rx("PTTL nokey", ":-2\r\n");
	rx("PEXPIRE t 100000", ":1\r\n");
	rx("TTL t", ":100\r\n");
	rx("EXPIREAT t 1", ":1\r\n");      /* past: deleted */
	rx("EXISTS t", ":0\r\n");
}

static void
test_keys_scan(void **state)
{
	(void)state;
	rx("MSET one 1 two 2 three 3", "+OK\r\n");
	rx("KEYS o?e", "*1\r\n$3\r\none\r\n");
	rx("KEYS nomatch*", "*0\r\n");
	rx("SCAN 0 MATCH t*o", "*2\r\n$1\r\n0\r\n*1\r\n$3\r\ntwo\r\n");
	rx("SCAN 0 COUNT 0", "-ERR syntax error\r\n");
	rx("SCAN abc", "-ERR invalid cursor\r\n");
	rx("SCAN 0 TYPE list", "*2\r\n$1\r\n0\r\n*0\r\n");
	/* A full walk with a small COUNT sees every key exactly once here
	 * (no table growth in between). */
	for (int i = 0; i < 500; i++) {
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "SET key:%d v", i);
		run(cmd);
	}
	char cursor[32] = "0";
	unsigned seen = 0, calls = 0;
	do {
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "SCAN %s COUNT 7 MATCH key:*", cursor);
		run(cmd);
		/* *2\r\n$N\r\n<cursor>\r\n*M\r\n... */
		char *p = strchr(st_out + 4, '\n') + 1;
		size_t n = strcspn(p, "\r");
		memcpy(cursor, p, n);
		cursor[n] = '\0';
		p = strchr(p, '*') + 1;
		seen += (unsigned)atoi(p);
		calls++;
	} while (strcmp(cursor, "0") != 0 && calls < 10000);
	assert_int_equal(seen, 500);
	assert_true(calls > 50);
}

static void
test_rename(void **state)
{
	(void)state;
	rx("SET r1 v EX 100", "+OK\r\n");
	rx("RENAME r1 r2", "+OK\r\n");
	rx("GET r1", "$-1\r\n");
	rx("GET r2", "$1\r\nv\r\n");
	rx("TTL r2", ":100\r\n");
	rx("RENAME nokey x", "-ERR no such key\r\n");
	rx("RENAME r2 r2", "+OK\r\n");
	rx("SET r3 w", "+OK\r\n");
	rx("RENAMENX r2 r3", ":0\r\n");
	rx("RENAMENX r2 r4", ":1\r\n");
	rx("RENAMENX r4 r4", ":0\r\n");
	rx("RENAME r4 r3", "+OK\r\n");
	rx("GET r3", "$1\r\nv\r\n");
}

static void
test_flush_random(void **state)
{
	(void)state;
	rx("RANDOMKEY", "$-1\r\n");
	rx("SET only v", "+OK\r\n");
	rx("RANDOMKEY", "$4\r\nonly\r\n");
	rx("SELECT 1", "+OK\r\n");
	rx("SET other v", "+OK\r\n");
	rx("FLUSHDB", "+OK\r\n");
	rx("DBSIZE", ":0\r\n");
	rx("SELECT 0", "+OK\r\n");
	rx("DBSIZE", ":1\r\n");
	rx("FLUSHALL BAD", "-ERR syntax error\r\n");
	rx("FLUSHALL ASYNC", "+OK\r\n");
	rx("DBSIZE", ":0\r\n");
}


static void
test_arity(void **state)
{
	(void)state;
	static const char *const cmds[] = {
		"del", "exists", "ttl", "type", "persist", "keys", "touch",
		"expire",
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char want[128];
		snprintf(want, sizeof(want), "-ERR wrong number of arguments "
			 "for '%s' command\r\n", cmds[i]);
		run(cmds[i]);
		expect(want);
	}
	rx("TYPE a b", "-ERR wrong number of arguments for 'type' command\r\n");
	rx("KEYS a b", "-ERR wrong number of arguments for 'keys' command\r\n");
	rx("RENAME l2", "-ERR wrong number of arguments for 'rename' "
	   "command\r\n");
	rx("RANDOMKEY x", "-ERR wrong number of arguments for 'randomkey' "
	   "command\r\n");
	rx("EXPIRE a 1 2", "-ERR Unsupported option 2\r\n");
}

/* test_empty_key -- "" is a key like any other; KEYS * lists it. */
static void
test_empty_key(void **state)
{
	(void)state;
	rx("SET  v", "+OK\r\n");
	rx("KEYS *", "*1\r\n$0\r\n\r\n");
	rx("SCAN 0 MATCH *", "*2\r\n$1\r\n0\r\n*1\r\n$0\r\n\r\n");
	rx("KEYS **", "*0\r\n");      /* stringmatch proper: no match */
	rx("EXISTS ", ":1\r\n");
	rx("DEL ", ":1\r\n");
	rx("DBSIZE", ":0\r\n");
}

static void
test_expire_edges(void **state)
{
	(void)state;
	rx("SET k v", "+OK\r\n");
	rx("EXPIRE k -1", ":1\r\n");         /* negative: deleted now */
	rx("EXISTS k", ":0\r\n");
	rx("SET k v", "+OK\r\n");
	rx("PEXPIRE k 0", ":1\r\n");
	rx("EXISTS k", ":0\r\n");
	rx("SET k v", "+OK\r\n");
	rx("EXPIRE k 100 nx", ":1\r\n");     /* options in any case */
	rx("EXPIRE k 10 lt lt", ":1\r\n");
	rx("TTL k", ":10\r\n");
	rx("PEXPIREAT k 99999999999999", ":1\r\n");
	run("TTL k");
	assert_true(atoll(st_out + 1) > 90000000000LL);
	rx("EXPIRE k 9223372036854775",
	   "-ERR invalid expire time in 'expire' command\r\n");
	rx("EXPIRE k -9223372036854775808",
	   "-ERR invalid expire time in 'expire' command\r\n");
	rx("PEXPIRE k 9223372036854775807",
	   "-ERR invalid expire time in 'pexpire' command\r\n");
	rx("EXPIREAT k -9223372036854775808",
	   "-ERR invalid expire time in 'expireat' command\r\n");
	rx("EXISTS k", ":1\r\n");            /* errors changed nothing */
	rx("SET k v", "+OK\r\n");            /* SET clears the TTL */
	rx("PERSIST k", ":0\r\n");
	rx("PERSIST nokey", ":0\r\n");
	rx("TTL nokey", ":-2\r\n");
	/* An expired key reads as missing everywhere. */
	rx("SET e v PX 100000", "+OK\r\n");
	kv_lookup(st_shard, 0, "e", 1, false)->expire_ms = 1;
	rx("TTL e", ":-2\r\n");
	rx("EXISTS e", ":0\r\n");
	rx("TYPE e", "+none\r\n");
	rx("EXPIRE e 100", ":0\r\n");
}

static void
test_list_keys(void **state)
{
	(void)state;
	rx("LPUSH l a b", ":2\r\n");
	rx("EXPIRE l 100", ":1\r\n");
	rx("TTL l", ":100\r\n");
	rx("RENAME l l2", "+OK\r\n");
	rx("TTL l2", ":100\r\n");
	rx("LRANGE l2 0 -1", "*2\r\n$1\r\nb\r\n$1\r\na\r\n");
	rx("TYPE l2", "+list\r\n");
	rx("RENAMENX nokey x", "-ERR no such key\r\n");
	rx("SET k v", "+OK\r\n");
	rx("RENAMENX l2 k", ":0\r\n");
	rx("SCAN 0 TYPE string", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n");
	rx("SCAN 0 TYPE nosuch", "*2\r\n$1\r\n0\r\n*0\r\n");
	rx("RENAME k l2", "+OK\r\n");         /* overwrites a list */
	rx("TYPE l2", "+string\r\n");
	rx("DBSIZE", ":1\r\n");
}

static void
test_scan_errors_touch(void **state)
{
	(void)state;
	rx("SCAN 0 COUNT -1", "-ERR syntax error\r\n");
	rx("SCAN 0 COUNT abc", "-ERR value is not an integer or out of "
	   "range\r\n");
	rx("SCAN 0 MATCH", "-ERR syntax error\r\n");
	rx("SCAN 0 BAD x", "-ERR syntax error\r\n");
	rx("SCAN 18446744073709551616", "-ERR invalid cursor\r\n");
	rx("FLUSHDB SYNC", "+OK\r\n");
	rx("FLUSHDB ASYNC SYNC", "-ERR syntax error\r\n");
	rx("FLUSHALL SYNC", "+OK\r\n");
	rx("TOUCH a a", ":0\r\n");
	rx("SET a 1", "+OK\r\n");
	rx("TOUCH a a nokey", ":2\r\n");
	rx("UNLINK a a", ":1\r\n");
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_del_exists_type),
	ST_TEST(test_expire_flags),
	ST_TEST(test_keys_scan),
	ST_TEST(test_rename),
	ST_TEST(test_flush_random),
	ST_TEST(test_arity),
	ST_TEST(test_empty_key),
	ST_TEST(test_expire_edges),
	ST_TEST(test_list_keys),
	ST_TEST(test_scan_errors_touch),
};

RP_TEST_MAIN(tests, 1)
