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

static const struct CMUnitTest tests[] = {
	ST_TEST(test_del_exists_type),
	ST_TEST(test_expire_flags),
	ST_TEST(test_keys_scan),
	ST_TEST(test_rename),
	ST_TEST(test_flush_random),
};

RP_TEST_MAIN(tests, 1)
