/*
 * test_server.c -- store/server.c: PING ECHO QUIT SELECT HELLO AUTH
 * CLIENT COMMAND CONFIG INFO DBSIZE TIME.
 */
#include "unit.h"

#include "store_test.h"

static void
test_ping_echo_quit(void **state)
{
	(void)state;
	rx("PING", "+PONG\r\n");
	rx("PING hi", "$2\r\nhi\r\n");
	rx("PING a b", "-ERR wrong number of arguments for 'ping' command\r\n");
	rx("ECHO x", "$1\r\nx\r\n");
	rx("QUIT", "+OK\r\n");
	assert_true(st_client.flags & KV_CLIENT_CLOSE_AFTER_REPLY);
}

static void
test_select(void **state)
{
	(void)state;
	rx("SELECT 15", "+OK\r\n");
	assert_int_equal(st_client.db, 15);
	rx("SELECT 16", "-ERR DB index is out of range\r\n");
	rx("SELECT -1", "-ERR DB index is out of range\r\n");
	rx("SELECT x", "-ERR value is not an integer or out of range\r\n");
}

static void
test_hello_auth(void **state)
{
	(void)state;
	run("HELLO");
	assert_memory_equal(st_out, "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n", 28);
	rx("HELLO 4", "-NOPROTO unsupported protocol version\r\n");
	rx("HELLO 3", "-NOPROTO unsupported protocol version\r\n");
	rx("HELLO abc", "-ERR Protocol version is not an integer or out of "
	   "range\r\n");
	rx("AUTH x", "-ERR AUTH <password> called without any password "
	   "configured for the default user. Are you sure your configuration "
	   "is correct?\r\n");
	snprintf(st_cfg.requirepass, sizeof(st_cfg.requirepass), "secret");
	rx("GET k", "-NOAUTH Authentication required.\r\n");
	rx("AUTH wrong", "-WRONGPASS invalid username-password pair or user "
	   "is disabled.\r\n");
	rx("AUTH default secret", "+OK\r\n");
	rx("GET k", "$-1\r\n");
}

static void
test_client(void **state)
{
	(void)state;
	char want[64];
	snprintf(want, sizeof(want), ":%llu\r\n",
		 (unsigned long long)st_client.id);
	rx("CLIENT ID", want);
	rx("CLIENT GETNAME", "$-1\r\n");
	rx("CLIENT SETNAME me", "+OK\r\n");
	rx("CLIENT GETNAME", "$2\r\nme\r\n");
	rx("CLIENT SETNAME a\nb", "-ERR Client names cannot contain spaces, "
	   "newlines or special characters.\r\n");
	rx("CLIENT", "-ERR wrong number of arguments for 'client' command\r\n");
	rx("CLIENT NOSUCH", "-ERR unknown subcommand 'NOSUCH'. Try CLIENT "
	   "HELP.\r\n");
	rx("CLIENT SETNAME a b", "-ERR wrong number of arguments for "
	   "'client|setname' command\r\n");
	run("CLIENT INFO");
	assert_non_null(strstr(st_out, " name=me "));
	run("CLIENT LIST");
	assert_non_null(strstr(st_out, " name=me "));
}

static void
test_command(void **state)
{
	(void)state;
	char want[32];
	snprintf(want, sizeof(want), ":%u\r\n", kv_cmd_table_len);
	rx("COMMAND COUNT", want);
	run("COMMAND INFO get nosuch");
	assert_memory_equal(st_out, "*2\r\n*10\r\n$3\r\nget\r\n:2\r\n", 22);
	assert_memory_equal(st_out + st_len - 5, "$-1\r\n", 5);
	run("COMMAND DOCS get");
	assert_non_null(strstr(st_out, "Get the value of a key"));
	rx("COMMAND NOSUCH", "-ERR unknown subcommand 'NOSUCH'. Try COMMAND "
	   "HELP.\r\n");
}

static void
test_config(void **state)
{
	(void)state;
	rx("CONFIG GET maxmemory", "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
	rx("CONFIG GET nosuch", "*0\r\n");
	rx("CONFIG SET maxmemory 1mb", "+OK\r\n");
	rx("CONFIG GET maxmemory", "*2\r\n$9\r\nmaxmemory\r\n$7\r\n1048576\r\n");
	rx("CONFIG SET nosuch 1", "-ERR Unknown option or number of arguments "
	   "for CONFIG SET - 'nosuch'\r\n");
	rx("CONFIG SET maxmemory abc", "-ERR CONFIG SET failed (possibly related "
	   "to argument 'maxmemory') - argument must be a memory value\r\n");
	rx("CONFIG SET port 7000", "-ERR CONFIG SET failed (possibly related to "
	   "argument 'port') - can't set immutable config\r\n");
	/* All or nothing: the valid half is not applied either. */
	rx("CONFIG SET timeout 5 maxmemory abc", "-ERR CONFIG SET failed "
	   "(possibly related to argument 'maxmemory') - argument must be a "
	   "memory value\r\n");
	assert_int_equal(st_cfg.timeout, 0);
	rx("CONFIG SET a", "-ERR wrong number of arguments for 'config|set' "
	   "command\r\n");
	/* This shard has no log: only "off" is accepted. */
	rx("CONFIG SET persistence sync", "-ERR CONFIG SET failed (possibly "
	   "related to argument 'persistence') - switching persistence on or "
	   "off needs a restart (sync and async switch at run time)\r\n");
	rx("CONFIG SET persistence off", "+OK\r\n");
}

static void
test_info_dbsize_time(void **state)
{
	(void)state;
	rx("SET k v EX 100", "+OK\r\n");
	rx("DBSIZE", ":1\r\n");
	run("INFO");
	assert_non_null(strstr(st_out, "# Server\r\nredis_version:7.0.15\r\n"));
	assert_non_null(strstr(st_out, "db0:keys=1,expires=1,avg_ttl=0\r\n"));
	assert_non_null(strstr(st_out, "total_commands_processed:"));
	run("INFO keyspace");
	assert_null(strstr(st_out, "# Server"));
	run("TIME");
	assert_memory_equal(st_out, "*2\r\n$10\r\n", 9);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_ping_echo_quit),
	ST_TEST(test_select),
	ST_TEST(test_hello_auth),
	ST_TEST(test_client),
	ST_TEST(test_command),
	ST_TEST(test_config),
	ST_TEST(test_info_dbsize_time),
};

RP_TEST_MAIN(tests, 1)
