/*
 * test_t_string.c -- store/t_string.c: each command's replies and error
 * texts, byte for byte as Redis 7.0 writes them.
 */
#include "unit.h"

#include "store_test.h"

static void
test_set_get(void **state)
{
	(void)state;
	rx("SET k v", "+OK\r\n");
	rx("GET k", "$1\r\nv\r\n");
	rx("GET nokey", "$-1\r\n");
	rx("SET k v2 XX", "+OK\r\n");
	rx("SET new v XX", "$-1\r\n");
	rx("SET k v3 NX", "$-1\r\n");
	rx("SET k v4 GET", "$2\r\nv2\r\n");
	rx("SET k v5 NX GET", "$2\r\nv4\r\n");
	rx("get k", "$2\r\nv4\r\n");
	rx("SET n 12345", "+OK\r\n");
	rx("GET n", "$5\r\n12345\r\n");
}

static void
test_set_options_errors(void **state)
{
	(void)state;
	rx("SET k v NX XX", "-ERR syntax error\r\n");
	rx("SET k v EX 10 PX 10", "-ERR syntax error\r\n");
	/* The same option twice is fine in Redis: the last one wins. */
	rx("SET k v EX 10 EX 20", "+OK\r\n");
	rx("TTL k", ":20\r\n");
	rx("GETEX k PX 5000 PX 9000", "$1\r\nv\r\n");
	rx("TTL k", ":9\r\n");
	rx("SET k v KEEPTTL EX 10", "-ERR syntax error\r\n");
	rx("SET k v EX", "-ERR syntax error\r\n");
	rx("SET k v EX 0", "-ERR invalid expire time in 'set' command\r\n");
	rx("SET k v PX -1", "-ERR invalid expire time in 'set' command\r\n");
	rx("SET k v EX abc", "-ERR value is not an integer or out of range\r\n");
	rx("SET k v EX 9223372036854775807",
	   "-ERR invalid expire time in 'set' command\r\n");
	rx("SET k", "-ERR wrong number of arguments for 'set' command\r\n");
	rx("SETEX k 0 v", "-ERR invalid expire time in 'setex' command\r\n");
	rx("PSETEX k -5 v", "-ERR invalid expire time in 'psetex' command\r\n");
}

static void
test_expire_options(void **state)
{
	(void)state;
	rx("SET k v EX 100", "+OK\r\n");
	rx("TTL k", ":100\r\n");
	rx("SET k v KEEPTTL", "+OK\r\n");
	rx("TTL k", ":100\r\n");
	rx("SET k v", "+OK\r\n");
	rx("TTL k", ":-1\r\n");
	rx("SETEX k 50 v", "+OK\r\n");
	rx("TTL k", ":50\r\n");
	rx("PSETEX k 50000 v", "+OK\r\n");
	rx("TTL k", ":50\r\n");
	rx("SET k v PXAT 1", "+OK\r\n");   /* in the past: gone */
	rx("GET k", "$-1\r\n");
}

static void
test_setnx_mset(void **state)
{
	(void)state;
	rx("SETNX a 1", ":1\r\n");
	rx("SETNX a 2", ":0\r\n");
	rx("MSET a 1 b 2", "+OK\r\n");
	rx("MGET a b c", "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n");
	rx("MSET a 1 b", "-ERR wrong number of arguments for 'mset' command\r\n");
	rx("MSETNX a 1 z 2", ":0\r\n");
	rx("MSETNX x 1 y 2", ":1\r\n");
	rx("EXISTS z", ":0\r\n");
}

static void
test_getset_getdel_getex(void **state)
{
	(void)state;
	rx("GETSET a 1", "$-1\r\n");
	rx("GETSET a 2", "$1\r\n1\r\n");
	rx("GETDEL a", "$1\r\n2\r\n");
	rx("GETDEL a", "$-1\r\n");
	rx("SET b v", "+OK\r\n");
	rx("GETEX b EX 100", "$1\r\nv\r\n");
	rx("TTL b", ":100\r\n");
	rx("GETEX b PERSIST", "$1\r\nv\r\n");
	rx("TTL b", ":-1\r\n");
	rx("GETEX b EX 1 PX 1", "-ERR syntax error\r\n");
	rx("GETEX b EXAT 1", "$1\r\nv\r\n");
	rx("EXISTS b", ":0\r\n");
}

static void
test_incr_family(void **state)
{
	(void)state;
	rx("INCR n", ":1\r\n");
	rx("INCRBY n 10", ":11\r\n");
	rx("DECR n", ":10\r\n");
	rx("DECRBY n 5", ":5\r\n");
	rx("INCRBY n abc", "-ERR value is not an integer or out of range\r\n");
	rx("SET s hello", "+OK\r\n");
	rx("INCR s", "-ERR value is not an integer or out of range\r\n");
	rx("SET big 9223372036854775807", "+OK\r\n");
	rx("INCR big", "-ERR increment or decrement would overflow\r\n");
	rx("DECRBY n -9223372036854775808", "-ERR decrement would overflow\r\n");
	rx("SET f 10.5", "+OK\r\n");
	rx("INCRBYFLOAT f 0.1", "$4\r\n10.6\r\n");
	rx("INCRBYFLOAT f -5", "$3\r\n5.6\r\n");
	rx("INCRBYFLOAT f abc", "-ERR value is not a valid float\r\n");
	rx("INCRBYFLOAT s 1", "-ERR value is not a valid float\r\n");
	rx("INCRBYFLOAT nf 3", "$1\r\n3\r\n");
	rx("SET i 10", "+OK\r\n");
	rx("INCRBYFLOAT i 1.5", "$4\r\n11.5\r\n");
}

static void
test_append_strlen_ranges(void **state)
{
	(void)state;
	rx("APPEND s hello", ":5\r\n");
	rx("APPEND s world", ":10\r\n");
	rx("GET s", "$10\r\nhelloworld\r\n");
	rx("STRLEN s", ":10\r\n");
	rx("STRLEN nokey", ":0\r\n");
	rx("GETRANGE s 0 4", "$5\r\nhello\r\n");
	rx("GETRANGE s -5 -1", "$5\r\nworld\r\n");
	rx("GETRANGE s 5 2", "$0\r\n\r\n");
	rx("GETRANGE s 0 100", "$10\r\nhelloworld\r\n");
	rx("GETRANGE nokey 0 1", "$0\r\n\r\n");
	rx("SETRANGE s 5 WORLD", ":10\r\n");
	rx("GET s", "$10\r\nhelloWORLD\r\n");
	rx("SETRANGE p 3 x", ":4\r\n");
	run("GET p");
	assert_int_equal(st_len, 10);
	assert_memory_equal(st_out, "$4\r\n\0\0\0x\r\n", 10);
	rx("SETRANGE s -1 x", "-ERR offset is out of range\r\n");
	rx("SETRANGE s 536870912 x",
	   "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
	rx("SET n 12", "+OK\r\n");
	rx("APPEND n 3", ":3\r\n");
	rx("INCR n", ":124\r\n");
}

static void
test_wrongtype(void **state)
{
	(void)state;
	rx("LPUSH l a", ":1\r\n");
	rx("GET l", "-WRONGTYPE Operation against a key holding the wrong kind "
	   "of value\r\n");
	rx("INCR l", "-WRONGTYPE Operation against a key holding the wrong kind "
	   "of value\r\n");
	rx("MGET l", "*1\r\n$-1\r\n");
	rx("SET l v", "+OK\r\n");
	rx("GET l", "$1\r\nv\r\n");
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_set_get),
	ST_TEST(test_set_options_errors),
	ST_TEST(test_expire_options),
	ST_TEST(test_setnx_mset),
	ST_TEST(test_getset_getdel_getex),
	ST_TEST(test_incr_family),
	ST_TEST(test_append_strlen_ranges),
	ST_TEST(test_wrongtype),
};

RP_TEST_MAIN(tests, 1)
