/*
 * test_route.c -- store/route.c: hash slots against values redis-server
 * 7.0 gives (CLUSTER KEYSLOT, in cluster mode), hashtags, the slot to
 * shard ranges, and the plan of each kind of request.
 */
#include "unit.h"

#include "kv.h"

static unsigned
slot(const char *k)
{
	return kv_key_slot(k, strlen(k));
}

static void
test_slots_match_redis(void **state)
{
	(void)state;
	/* CLUSTER KEYSLOT from redis-server 7.0.15. */
	assert_int_equal(slot("123456789"), 12739);  /* CRC16 0x31C3 */
	assert_int_equal(slot("foo"), 12182);
	assert_int_equal(slot("bar"), 5061);
	assert_int_equal(slot("somekey"), 11058);
	assert_int_equal(slot("{user1000}.following"), 3443);
	assert_int_equal(slot("{user1000}.followers"), 3443);
	assert_int_equal(slot("foo{}{bar}"), 8363);    /* empty tag: all */
	assert_int_equal(slot("foo{{bar}}zap"), 4015); /* tag "{bar" */
	assert_int_equal(slot("foo{bar}{zap}"), 5061); /* first tag only */
	assert_int_equal(slot(""), 0);
	assert_int_equal(slot("{}"), 15257);
	assert_int_equal(slot("a{b"), 13340);
	assert_int_equal(slot("x}y{z}"), 8157);
	assert_int_equal(kv_key_slot("a\0b", 3), kv_key_slot("a\0b", 3));
	assert_true(kv_key_slot("a\0b", 3) != kv_key_slot("a", 1));
}

static void
test_shards(void **state)
{
	(void)state;
	/* Contiguous ranges: slot * n / 16384. */
	assert_int_equal(kv_key_shard("bar", 3, 2), 0);      /* 5061 */
	assert_int_equal(kv_key_shard("foo", 3, 2), 1);      /* 12182 */
	assert_int_equal(kv_key_shard("foo", 3, 3), 2);
	assert_int_equal(kv_key_shard("bar", 3, 3), 0);
	assert_int_equal(kv_key_shard("somekey", 7, 3), 2);  /* 11058 */
	assert_int_equal(kv_key_shard("foo", 3, 1), 0);
	/* Every shard gets slots. */
	unsigned hit[3] = { 0 };
	char k[16];
	for (int i = 0; i < 3000; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		hit[kv_key_shard(k, strlen(k), 3)]++;
	}
	for (int i = 0; i < 3; i++)
		assert_true(hit[i] > 800);
}

/* plan -- the plan of a request given as words, over n shards. */
static struct kv_route_plan
plan(unsigned n, const char *line)
{
	static char buf[256];
	struct kv_arg argv[16];
	int argc = 0;
	struct kv_route_plan p;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t != NULL; t = strtok(NULL, " ")) {
		argv[argc].ptr = t;
		argv[argc++].len = strlen(t);
	}
	kv_route_plan(argc, argv, n, &p);
	return p;
}

static void
test_plans(void **state)
{
	(void)state;
	/* One shard: everything runs where the client is. */
	assert_int_equal(plan(1, "MGET foo bar").kind, KV_ROUTE_HOME);
	/* No keys, unknown commands, arity errors: home. */
	assert_int_equal(plan(2, "PING").kind, KV_ROUTE_HOME);
	assert_int_equal(plan(2, "SELECT 1").kind, KV_ROUTE_HOME);
	assert_int_equal(plan(2, "NOSUCH foo").kind, KV_ROUTE_HOME);
	assert_int_equal(plan(2, "GET").kind, KV_ROUTE_HOME);
	assert_int_equal(plan(2, "GET foo bar").kind, KV_ROUTE_HOME);
	/* Single shard. */
	struct kv_route_plan p = plan(2, "get foo");
	assert_int_equal(p.kind, KV_ROUTE_SHARD);
	assert_int_equal(p.shard, 1);
	p = plan(2, "SET bar 1");
	assert_int_equal(p.kind, KV_ROUTE_SHARD);
	assert_int_equal(p.shard, 0);
	p = plan(2, "MSET {t}a 1 {t}b 2");
	assert_int_equal(p.kind, KV_ROUTE_SHARD);
	p = plan(2, "LMPOP 2 foo {foo}x LEFT");     /* numkeys */
	assert_int_equal(p.kind, KV_ROUTE_SHARD);
	assert_int_equal(p.shard, 1);
	assert_int_equal(plan(2, "LMPOP 2 foo bar LEFT").merge,
			 KV_MERGE_GATHER);
	assert_int_equal(plan(2, "LMPOP 0 foo LEFT").kind, KV_ROUTE_HOME);
	assert_int_equal(plan(2, "LMPOP 9 foo LEFT").kind, KV_ROUTE_HOME);
	/* Split and merged. */
	p = plan(2, "MGET foo bar");           /* read under locks */
	assert_int_equal(p.kind, KV_ROUTE_TX);
	assert_int_equal(p.merge, KV_MERGE_ORDERED);
	p = plan(2, "del foo bar");
	assert_int_equal(p.kind, KV_ROUTE_SPLIT);
	assert_int_equal(p.merge, KV_MERGE_SUM);
	assert_int_equal(plan(2, "EXISTS foo bar").merge, KV_MERGE_SUM);
	assert_int_equal(plan(2, "UNLINK foo bar").merge, KV_MERGE_SUM);
	assert_int_equal(plan(2, "TOUCH foo bar").merge, KV_MERGE_SUM);
	/* Atomic multi-key writes across shards: transactions. */
	p = plan(2, "MSET foo 1 bar 2");
	assert_int_equal(p.kind, KV_ROUTE_TX);
	assert_int_equal(p.merge, KV_MERGE_ALL_OK);
	assert_int_equal(plan(2, "MSETNX foo 1 bar 2").merge, KV_MERGE_NX);
	/* Other multi-key commands: gathered on one shard. */
	p = plan(2, "RENAME foo bar");
	assert_int_equal(p.kind, KV_ROUTE_TX);
	assert_int_equal(p.merge, KV_MERGE_GATHER);
	assert_false(p.readonly);
	p = plan(2, "SINTER foo bar");
	assert_int_equal(p.merge, KV_MERGE_GATHER);
	assert_true(p.readonly);

	int pos[8];
	struct kv_arg a[5] = { { "MSET", 4 }, { "k1", 2 }, { "v", 1 },
			       { "k2", 2 }, { "w", 1 } };
	assert_int_equal(kv_request_keys(5, a, pos, 8), 2);
	assert_int_equal(pos[0], 1);
	assert_int_equal(pos[1], 3);
	assert_int_equal(kv_request_keys(5, a, pos, 1), -1);
	a[0] = (struct kv_arg){ "PING", 4 };
	assert_int_equal(kv_request_keys(1, a, pos, 8), 0);
	/* The whole keyspace. */
	p = plan(2, "DBSIZE");
	assert_int_equal(p.kind, KV_ROUTE_ALL);
	assert_int_equal(p.merge, KV_MERGE_SUM);
	assert_int_equal(plan(2, "KEYS *").merge, KV_MERGE_CONCAT);
	assert_int_equal(plan(2, "FLUSHALL").merge, KV_MERGE_ALL_OK);
	assert_int_equal(plan(2, "flushdb async").merge, KV_MERGE_ALL_OK);
	assert_int_equal(plan(2, "RANDOMKEY").merge, KV_MERGE_ANY);
	assert_int_equal(plan(2, "SCAN 0").kind, KV_ROUTE_SCAN);
	/* GEORADIUS: its key's shard; a STORE elsewhere is refused. */
	p = plan(2, "GEORADIUS foo 0 0 1 km STORE {foo}x");
	assert_int_equal(p.kind, KV_ROUTE_SHARD);
	assert_int_equal(p.shard, 1);
	assert_int_equal(plan(2, "GEORADIUSBYMEMBER foo m 1 km STOREDIST bar")
			 .kind, KV_ROUTE_CROSS);
	assert_int_equal(plan(2, "GEORADIUS_RO bar 0 0 1 km").shard, 0);
	/* Every worker's clients; a container's subcommand without keys. */
	assert_int_equal(plan(2, "CLIENT LIST").kind, KV_ROUTE_ALL);
	assert_int_equal(plan(2, "CLIENT LIST").merge, KV_MERGE_LINES);
	assert_int_equal(plan(2, "CLIENT INFO").kind, KV_ROUTE_HOME);
	/* WATCH stays with its client; SORT goes to its key's shard. */
	assert_int_equal(plan(2, "WATCH foo").kind, KV_ROUTE_HOME);
	p = plan(2, "SORT foo BY {foo}w_* GET # LIMIT 0 1 STORE {foo}d");
	assert_int_equal(p.kind, KV_ROUTE_SHARD);
	assert_int_equal(p.shard, 1);
	assert_null(p.error);
	p = plan(2, "SORT_RO bar GET {bar}store");
	assert_int_equal(p.kind, KV_ROUTE_SHARD);
	assert_int_equal(p.shard, 0);
	/* Patterns that can name another shard's keys are refused as
	 * Redis Cluster refuses them; BY without '*' does not sort. */
	p = plan(2, "SORT foo BY w_*");
	assert_int_equal(p.kind, KV_ROUTE_CROSS);
	assert_non_null(strstr(p.error, "BY option of SORT denied"));
	p = plan(2, "SORT foo GET {bar}*");
	assert_int_equal(p.kind, KV_ROUTE_CROSS);
	assert_non_null(strstr(p.error, "GET option of SORT denied"));
	assert_int_equal(plan(2, "SORT foo GET w_{foo}*").kind, KV_ROUTE_SHARD);
	assert_int_equal(plan(2, "SORT foo GET w_{*}").kind, KV_ROUTE_CROSS);
	assert_int_equal(plan(2, "SORT foo GET {}w_*").kind, KV_ROUTE_CROSS);
	assert_int_equal(plan(2, "SORT foo BY nosort GET # GET {foo}*").kind,
			 KV_ROUTE_SHARD);
	/* SORT_RO has no STORE: the shard answers its syntax error. */
	assert_int_equal(plan(2, "SORT_RO foo STORE bar").kind, KV_ROUTE_SHARD);
	/* CONFIG RESETSTAT resets every shard's counters. */
	p = plan(2, "CONFIG RESETSTAT");
	assert_int_equal(p.kind, KV_ROUTE_ALL);
	assert_int_equal(p.merge, KV_MERGE_ALL_OK);
	assert_int_equal(plan(2, "CONFIG GET x").kind, KV_ROUTE_HOME);
	assert_int_equal(plan(2, "SORT foo STORE bar").kind, KV_ROUTE_CROSS);
	assert_int_equal(plan(2, "SORT").kind, KV_ROUTE_HOME);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_slots_match_redis),
	cmocka_unit_test(test_shards),
	cmocka_unit_test(test_plans),
};

RP_TEST_MAIN(tests, false)
