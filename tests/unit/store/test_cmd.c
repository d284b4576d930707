/*
 * test_cmd.c -- store/cmd.c: lookup, the unknown-command and arity
 * errors, auth and memory checks, the generated table's facts.
 */
#include "unit.h"

#include "store_test.h"

static void
test_lookup(void **state)
{
	(void)state;
	assert_non_null(kv_cmd_lookup("GeT", 3));
	assert_null(kv_cmd_lookup("ge", 2));
	assert_null(kv_cmd_lookup("gets", 4));
	const struct kv_cmd *set = kv_cmd_lookup("set", 3);
	assert_int_equal(set->arity, -3);
	assert_true(set->flags & KV_CMD_WRITE);
	assert_true(set->flags & KV_CMD_DENYOOM);
	assert_int_equal(set->first_key, 1);
	const struct kv_cmd *mset = kv_cmd_lookup("mset", 4);
	assert_int_equal(mset->last_key, -1);
	assert_int_equal(mset->key_step, 2);
	const struct kv_cmd *rename = kv_cmd_lookup("rename", 6);
	assert_int_equal(rename->first_key, 1);
	assert_int_equal(rename->last_key, 2);
	/* The table is sorted, every command has a handler or subcommands. */
	for (unsigned i = 0; i < kv_cmd_table_len; i++) {
		if (i > 0)
			assert_true(strcmp(kv_cmd_table[i - 1].name,
					   kv_cmd_table[i].name) < 0);
		assert_true(kv_cmd_table[i].fn != NULL ||
			    kv_cmd_table[i].n_subcmds > 0);
	}
}

static void
test_unknown_and_arity(void **state)
{
	(void)state;
	rx("FOO", "-ERR unknown command 'FOO', with args beginning with: \r\n");
	rx("FOO a b", "-ERR unknown command 'FOO', with args beginning with: "
	   "'a' 'b' \r\n");
	rx("GET", "-ERR wrong number of arguments for 'get' command\r\n");
	rx("GET a b", "-ERR wrong number of arguments for 'get' command\r\n");
	assert_true(st_shard->stats.rejected_calls >= 4);
}

/* test_binary_names -- a name with a NUL inside is just unknown. */
static void
test_binary_names(void **state)
{
	(void)state;
	struct kv_arg argv[1] = { { "get\0xyz", 7 } };
	st_len = 0;
	kv_execute(st_shard, &st_client, 1, argv);
	assert_memory_equal(st_out, "-ERR unknown command 'get", 25);
	assert_null(kv_cmd_lookup("client\0", 7));
	assert_non_null(kv_cmd_lookup("CLIENT", 6));
	assert_null(kv_cmd_lookup("clientx", 7));
	assert_null(kv_cmd_lookup("", 0));
}

static void
test_oom(void **state)
{
	(void)state;
	rx("SET k v", "+OK\r\n");
	st_cfg.maxmemory = 1;
	rx("SET k2 v", "-OOM command not allowed when used memory > "
	   "'maxmemory'.\r\n");
	rx("GET k", "$1\r\nv\r\n");   /* reads go on */
	rx("DEL k", ":1\r\n");        /* DEL is not DENYOOM */
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_lookup),
	ST_TEST(test_unknown_and_arity),
	ST_TEST(test_binary_names),
	ST_TEST(test_oom),
};

RP_TEST_MAIN(tests, 1)
