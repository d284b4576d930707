/*
 * test_xcore.c -- dataplane/xcore.c: two workers (polled in turn from
 * one thread) and their rings: single-shard requests travel and come
 * back, split requests (MGET, DEL, EXISTS) merge in the keys' order,
 * whole-keyspace ones (DBSIZE, KEYS, FLUSHALL, RANDOMKEY) cover both
 * shards, SCAN's global cursor visits every key once, other multi-key
 * commands gathered on one shard, a reply leaves only after the owner's
 * flush (its group commit), and a full ring backs up without loss; a
 * shard keeps an MSET part's keys locked after applying it, until every
 * part is applied (durable) and the origin unlocks.
 */
#include <rte_malloc.h>

#include "unit.h"

#include "cfg.h"
#include "kv.h"
#include "worker.h"
#include "xcore.h"

static struct rp_config cfg;
static struct dp_worker *ws[2];

/* A client of worker 0 whose replies are captured. */
static struct kv_client cl;
static char out[1 << 16];
static size_t out_len;

static void
sink(void *ctx, const void *b, size_t n)
{
	(void)ctx;
	assert_true(out_len + n <= sizeof(out));
	memcpy(out + out_len, b, n);
	out_len += n;
}

/* Completion of routed requests: the reply lands in out. */
static int done_count;

static void
done(struct dp_worker *w, void *owner, const char *reply, size_t len)
{
	(void)w;
	(void)owner;
	sink(NULL, reply, len);
	done_count++;
}

static int
setup(void **state)
{
	(void)state;
	cfg_init(&cfg);
	for (unsigned i = 0; i < 2; i++) {
		ws[i] = rte_zmalloc(NULL, sizeof(*ws[i]), 64);
		ws[i]->index = i;
		ws[i]->n_workers = 2;
		ws[i]->cfg = &cfg;
		struct kv_shard_params sp = { .core = i, .cfg = &cfg };
		ws[i]->shard = kv_shard_create(&sp);
	}
	assert_int_equal(dp_xc_setup(ws, 2), 0);
	kv_client_init(&cl, sink, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	kv_client_fini(&cl);
	for (unsigned i = 0; i < 2; i++) {
		dp_xc_free(ws[i]);
		kv_shard_free(ws[i]->shard);
		rte_free(ws[i]);
	}
	return 0;
}

/* pump -- run both workers' message handling until nothing moves. */
static void
pump(void)
{
	for (int round = 0; round < 100; round++) {
		unsigned moved = 0;
		for (unsigned i = 0; i < 2; i++) {
			moved += dp_xc_poll(ws[i]);
			dp_xc_flush(ws[i]);
		}
		if (moved == 0 && dp_xc_pending(ws[0]) == 0)
			return;
	}
}

/* Whether the last routed request told its client to wait for it. */
static bool last_barrier;

/* req -- run a request from worker 0's client; returns its reply. */
static const char *
req(const char *line)
{
	static char buf[512];
	struct kv_arg argv[32];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t != NULL; t = strtok(NULL, " ")) {
		argv[argc].ptr = t;
		argv[argc++].len = strlen(t);
	}
	out_len = 0;
	struct dp_xc_owner o = { done, NULL, false };
	last_barrier = false;
	if (!dp_xc_execute(ws[0], &cl, argc, argv, &o)) {
		last_barrier = o.barrier;
		pump();
	}
	out[out_len] = '\0';
	return out;
}

/* count_of -- how many times needle occurs in text. */
static int
count_of(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(text, needle); p != NULL;
	     p = strstr(p + 1, needle))
		n++;
	return n;
}

static void
test_single_shard(void **state)
{
	(void)state;
	/* "bar" is worker 0's, "foo" worker 1's. */
	assert_string_equal(req("SET bar 1"), "+OK\r\n");
	assert_int_equal(ws[0]->counters[DP_W_requests_local], 1);
	assert_string_equal(req("SET foo 2"), "+OK\r\n");
	assert_int_equal(ws[0]->counters[DP_W_requests_remote], 1);
	assert_int_equal(ws[1]->counters[DP_W_requests_served], 1);
	assert_int_equal(kv_dbsize(ws[1]->shard, 0), 1);
	assert_string_equal(req("GET foo"), "$1\r\n2\r\n");
	assert_string_equal(req("INCR foo"), ":3\r\n");
	/* The client's database travels with the request. */
	assert_string_equal(req("SELECT 5"), "+OK\r\n");
	assert_string_equal(req("GET foo"), "$-1\r\n");
	assert_string_equal(req("SET foo x"), "+OK\r\n");
	assert_int_equal(kv_dbsize(ws[1]->shard, 5), 1);
	assert_string_equal(req("SELECT 0"), "+OK\r\n");
	/* Errors of the owner come back as they are. */
	assert_string_equal(req("LPUSH foo x"), "-WRONGTYPE Operation against "
			    "a key holding the wrong kind of value\r\n");
	/* Held until the owner's flush. */
	struct kv_arg argv[2] = { { "GET", 3 }, { "foo", 3 } };
	struct dp_xc_owner o = { done, NULL };
	out_len = 0;
	done_count = 0;
	assert_false(dp_xc_execute(ws[0], &cl, 2, argv, &o));
	dp_xc_flush(ws[0]);            /* sent */
	dp_xc_poll(ws[1]);             /* executed, held */
	dp_xc_poll(ws[0]);
	assert_int_equal(done_count, 0);
	dp_xc_flush(ws[1]);            /* after its commit: returned */
	dp_xc_poll(ws[0]);
	assert_int_equal(done_count, 1);
	assert_memory_equal(out, "$1\r\n3\r\n", 7);
}

static void
test_split_and_all(void **state)
{
	(void)state;
	/* CLIENT LIST: every worker's lines (without client hooks a
	 * shard lists its caller, here each worker's proxy); an admin
	 * caller is listed once. */
	assert_int_equal(count_of(req("CLIENT LIST"), "id="), 2);
	cl.flags |= KV_CLIENT_ADMIN;
	assert_int_equal(count_of(req("CLIENT LIST"), "id="), 1);
	cl.flags &= ~KV_CLIENT_ADMIN;
	assert_string_equal(req("SET bar b"), "+OK\r\n");
	assert_string_equal(req("SET foo f"), "+OK\r\n");
	assert_string_equal(req("SET somekey s"), "+OK\r\n");  /* worker 1 */
	assert_string_equal(req("MGET foo nokey bar somekey"),
			    "*4\r\n$1\r\nf\r\n$-1\r\n$1\r\nb\r\n$1\r\ns\r\n");
	assert_string_equal(req("EXISTS foo bar foo nokey"), ":3\r\n");
	assert_string_equal(req("DBSIZE"), ":3\r\n");
	const char *k = req("KEYS *");
	assert_true(strncmp(k, "*3\r\n", 4) == 0);
	assert_non_null(strstr(k, "$3\r\nfoo\r\n"));
	assert_non_null(strstr(k, "$3\r\nbar\r\n"));
	assert_non_null(strstr(k, "$7\r\nsomekey\r\n"));
	assert_string_equal(req("KEYS b*"), "*1\r\n$3\r\nbar\r\n");
	assert_string_equal(req("RENAME nokey bar"), "-ERR no such key\r\n");
	assert_string_equal(req("DEL foo bar nokey"), ":2\r\n");
	assert_string_equal(req("RANDOMKEY"), "$7\r\nsomekey\r\n");
	assert_string_equal(req("FLUSHALL"), "+OK\r\n");
	assert_string_equal(req("DBSIZE"), ":0\r\n");
	assert_string_equal(req("RANDOMKEY"), "$-1\r\n");
	/* An error of one part is the reply. */
	assert_string_equal(req("SET foo 1"), "+OK\r\n");
	assert_string_equal(req("KEYS"), "-ERR wrong number of arguments "
			    "for 'keys' command\r\n");
}

static void
test_transactions(void **state)
{
	(void)state;
	/* MSET/MSETNX/MGET over both shards. */
	assert_string_equal(req("MSET foo 1 bar 2 somekey 3"), "+OK\r\n");
	assert_string_equal(req("MGET bar foo somekey"),
			    "*3\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n");
	assert_string_equal(req("MSETNX foo x nokey y"), ":0\r\n");
	assert_string_equal(req("MGET foo nokey"), "*2\r\n$1\r\n1\r\n$-1\r\n");
	assert_string_equal(req("MSETNX new1 a bar2 b"), ":1\r\n");
	assert_string_equal(req("MSETNX new1 z bar2 z"), ":0\r\n");
	assert_string_equal(req("MSETNX a{x} 1 b{y} 2"), ":1\r\n");
	assert_string_equal(req("MGET a{x} b{y}"),
			    "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
	/* Locks are all gone afterwards. */
	assert_string_equal(req("GET foo"), "$1\r\n1\r\n");
	assert_string_equal(req("SET bar 9"), "+OK\r\n");

	/* Isolation: an MSET holds worker 0's key while it waits for
	 * worker 1's lock; a GET of that key from another client of worker
	 * 0 waits, then sees the new value, never the old one. */
	struct kv_arg mset[5] = { { "MSET", 4 }, { "bar", 3 }, { "new", 3 },
				  { "foo", 3 }, { "new", 3 } };
	struct kv_arg get[2] = { { "GET", 3 }, { "bar", 3 } };
	struct dp_xc_owner o = { done, NULL };
	done_count = 0;
	out_len = 0;
	assert_false(dp_xc_execute(ws[0], &cl, 5, mset, &o));
	assert_false(dp_xc_execute(ws[0], &cl, 2, get, &o));  /* waits */
	assert_int_equal(done_count, 0);
	pump();
	assert_int_equal(done_count, 2);
	out[out_len] = '\0';
	/* Both done (in completion order: the GET may leave first, the
	 * connection layer keeps one client's replies in order). */
	assert_int_equal(out_len, 5 + 9);
	assert_non_null(strstr(out, "+OK\r\n"));
	assert_non_null(strstr(out, "$3\r\nnew\r\n"));
	/* A transaction on the same keys from worker 1 queues behind. */
	assert_string_equal(req("MGET foo bar"),
			    "*2\r\n$3\r\nnew\r\n$3\r\nnew\r\n");
	assert_string_equal(req("DBSIZE"), ":7\r\n");
}

/*
 * test_gather -- other multi-key commands over both shards: the keys are
 * read into worker 0's shard under locks, the command runs there, the
 * results go back to their owners and worker 0 keeps no copy.
 */
static void
test_gather(void **state)
{
	(void)state;
	/* "foo" and "somekey" are worker 1's, "bar" worker 0's. */
	assert_string_equal(req("SET foo f"), "+OK\r\n");
	assert_string_equal(req("PEXPIRE foo 100000"), ":1\r\n");
	assert_string_equal(req("RENAME foo bar"), "+OK\r\n");
	assert_string_equal(req("GET bar"), "$1\r\nf\r\n");
	assert_string_equal(req("EXISTS foo"), ":0\r\n");
	const char *t = req("PTTL bar");
	assert_true(t[0] == ':' && atoll(t + 1) > 90000);  /* TTL moved */
	assert_int_equal(kv_dbsize(ws[0]->shard, 0), 1);      /* bar */
	assert_int_equal(kv_dbsize(ws[1]->shard, 0), 0);
	assert_string_equal(req("RENAMENX bar somekey"), ":1\r\n");
	assert_int_equal(kv_dbsize(ws[0]->shard, 0), 0);
	assert_int_equal(kv_dbsize(ws[1]->shard, 0), 1);
	/* Lists, sets, bitmaps, HyperLogLogs, read-only commands. */
	assert_string_equal(req("RPUSH foo a b c"), ":3\r\n");
	assert_string_equal(req("LMOVE foo bar LEFT RIGHT"), "$1\r\na\r\n");
	assert_string_equal(req("LRANGE bar 0 -1"), "*1\r\n$1\r\na\r\n");
	assert_string_equal(req("LLEN foo"), ":2\r\n");
	assert_string_equal(req("DEL foo bar somekey"), ":3\r\n");
	assert_string_equal(req("SADD foo 1 2 3"), ":3\r\n");
	assert_string_equal(req("SADD bar 2 3 4"), ":3\r\n");
	assert_string_equal(req("SINTER foo bar"),
			    "*2\r\n$1\r\n2\r\n$1\r\n3\r\n");
	assert_int_equal(kv_dbsize(ws[0]->shard, 0), 1);      /* no copy */
	assert_string_equal(req("SINTERSTORE somekey foo bar"), ":2\r\n");
	assert_string_equal(req("SCARD somekey"), ":2\r\n");
	assert_string_equal(req("SMOVE foo bar 1"), ":1\r\n");
	assert_string_equal(req("SCARD bar"), ":4\r\n");
	assert_string_equal(req("SCARD foo"), ":2\r\n");
	assert_string_equal(req("FLUSHALL"), "+OK\r\n");
	assert_string_equal(req("SETBIT foo 3 1"), ":0\r\n");
	assert_string_equal(req("BITOP OR bar foo nokey"), ":1\r\n");
	assert_string_equal(req("GETBIT bar 3"), ":1\r\n");
	assert_string_equal(req("PFCOUNT foo bar"), "-WRONGTYPE Key "
			    "is not a valid HyperLogLog string value.\r\n");
	assert_string_equal(req("DEL foo bar"), ":2\r\n");
	assert_string_equal(req("PFADD foo x y"), ":1\r\n");
	assert_string_equal(req("PFADD bar z"), ":1\r\n");
	assert_string_equal(req("PFCOUNT foo bar"), ":3\r\n");
	assert_string_equal(req("PFMERGE somekey foo bar"), "+OK\r\n");
	assert_string_equal(req("PFCOUNT somekey"), ":3\r\n");
	/* Locks are all released; nothing stayed behind on worker 0. */
	assert_string_equal(req("DBSIZE"), ":3\r\n");
	assert_int_equal(kv_dbsize(ws[0]->shard, 0), 1);      /* bar */
}

/*
 * test_multi -- with several workers a transaction's commands are queued
 * on the client's shard; EXEC of one whose keys are all there runs there;
 * one with another shard's keys is gathered (it reads and leaves the
 * owners' values, SELECTs inside it included) and makes the client wait
 * for its reply (barrier); WATCH of another shard's key registers there,
 * and a write of that key fails the EXEC; a whole-keyspace command in a
 * gathered transaction is refused.
 */
static void
test_multi(void **state)
{
	(void)state;
	assert_string_equal(req("MULTI"), "+OK\r\n");
	assert_string_equal(req("SET foo 1"), "+QUEUED\r\n");  /* worker 1's */
	assert_string_equal(req("SET bar 1"), "+QUEUED\r\n");
	assert_int_equal(kv_dbsize(ws[1]->shard, 0), 0);          /* queued */
	assert_string_equal(req("EXEC"), "*2\r\n+OK\r\n+OK\r\n");
	assert_true(last_barrier);
	assert_int_equal(kv_dbsize(ws[1]->shard, 0), 1);
	assert_int_equal(kv_dbsize(ws[0]->shard, 0), 1);          /* bar */
	assert_string_equal(req("EXEC"), "-ERR EXEC without MULTI\r\n");
	assert_string_equal(req("MULTI"), "+OK\r\n");
	assert_string_equal(req("INCR foo"), "+QUEUED\r\n");
	assert_string_equal(req("INCR bar"), "+QUEUED\r\n");
	assert_string_equal(req("GET foo"), "+QUEUED\r\n");
	assert_string_equal(req("EXEC"), "*3\r\n:2\r\n:2\r\n$1\r\n2\r\n");
	assert_string_equal(req("GET foo"), "$1\r\n2\r\n");
	/* Every key here: runs here, no barrier. */
	assert_string_equal(req("MULTI"), "+OK\r\n");
	assert_string_equal(req("SET bar 2"), "+QUEUED\r\n");
	assert_string_equal(req("INCR bar"), "+QUEUED\r\n");
	assert_string_equal(req("EXEC"), "*2\r\n+OK\r\n:3\r\n");
	assert_false(last_barrier);
	/* WATCH of worker 1's key. */
	assert_string_equal(req("WATCH foo bar"), "+OK\r\n");
	assert_true(last_barrier);
	assert_string_equal(req("MULTI"), "+OK\r\n");
	assert_string_equal(req("GET foo"), "+QUEUED\r\n");
	assert_string_equal(req("SET bar x"), "+QUEUED\r\n");
	assert_string_equal(req("EXEC"), "*2\r\n$1\r\n2\r\n+OK\r\n");
	assert_string_equal(req("WATCH foo"), "+OK\r\n");
	assert_string_equal(req("SET foo 9"), "+OK\r\n");        /* touches */
	assert_string_equal(req("MULTI"), "+OK\r\n");
	assert_string_equal(req("SET bar y"), "+QUEUED\r\n");
	assert_string_equal(req("EXEC"), "*-1\r\n");
	assert_string_equal(req("GET bar"), "$1\r\nx\r\n");
	assert_string_equal(req("WATCH foo"), "+OK\r\n");
	assert_string_equal(req("UNWATCH"), "+OK\r\n");
	assert_string_equal(req("SET foo 1"), "+OK\r\n");
	assert_string_equal(req("MULTI"), "+OK\r\n");
	assert_string_equal(req("GET foo"), "+QUEUED\r\n");
	assert_string_equal(req("EXEC"), "*1\r\n$1\r\n1\r\n");
	/* SELECT inside a gathered transaction, and after it. */
	assert_string_equal(req("MULTI"), "+OK\r\n");
	assert_string_equal(req("SELECT 3"), "+QUEUED\r\n");
	assert_string_equal(req("SET foo in3"), "+QUEUED\r\n");
	assert_string_equal(req("SELECT 0"), "+QUEUED\r\n");
	assert_string_equal(req("GET foo"), "+QUEUED\r\n");
	assert_string_equal(req("EXEC"),
			    "*4\r\n+OK\r\n+OK\r\n+OK\r\n$1\r\n1\r\n");
	assert_int_equal(kv_dbsize(ws[1]->shard, 3), 1);
	assert_string_equal(req("MULTI"), "+OK\r\n");
	assert_string_equal(req("SELECT 3"), "+QUEUED\r\n");
	assert_string_equal(req("GET foo"), "+QUEUED\r\n");
	assert_string_equal(req("EXEC"), "*2\r\n+OK\r\n$3\r\nin3\r\n");
	assert_string_equal(req("DEL foo"), ":1\r\n");            /* in db 3 */
	assert_string_equal(req("SELECT 0"), "+OK\r\n");
	/* A whole-keyspace command cannot run on gathered keys. */
	assert_string_equal(req("MULTI"), "+OK\r\n");
	assert_string_equal(req("SET foo 1"), "+QUEUED\r\n");
	assert_string_equal(req("DBSIZE"), "+QUEUED\r\n");
	assert_string_equal(req("EXEC"), "-EXECABORT Transaction discarded: "
			    "DBSIZE cannot run in a transaction whose keys "
			    "are on several workers' shards (use one "
			    "{hashtag})\r\n");
	assert_string_equal(req("EXEC"), "-ERR EXEC without MULTI\r\n");
	/* No copy stayed behind on worker 0: bar only. */
	assert_int_equal(kv_dbsize(ws[0]->shard, 0), 1);
	assert_int_equal(kv_dbsize(ws[0]->shard, 3), 0);
	assert_string_equal(req("GET foo"), "$1\r\n1\r\n");
}

static void
test_scan_visits_every_key_once(void **state)
{
	char cmd[64], seen[1000] = { 0 };
	(void)state;

	for (int i = 0; i < 1000; i++) {
		snprintf(cmd, sizeof(cmd), "SET key:%d x", i);
		req(cmd);
	}
	assert_true(kv_dbsize(ws[0]->shard, 0) > 300);
	assert_true(kv_dbsize(ws[1]->shard, 0) > 300);
	unsigned long long cursor = 0;
	int calls = 0, total = 0;
	do {
		snprintf(cmd, sizeof(cmd), "SCAN %llu COUNT 50", cursor);
		const char *r = req(cmd);
		if (strncmp(r, "*2\r\n$", 5) != 0)
			fail_msg("%s -> %.60s", cmd, r);
		const char *c = strchr(r + 5, '\n') + 1;
		cursor = strtoull(c, NULL, 10);
		for (const char *p = strstr(c, "key:"); p != NULL;
		     p = strstr(p + 1, "key:")) {
			int i = atoi(p + 4);
			assert_int_equal(seen[i], 0);
			seen[i] = 1;
			total++;
		}
	} while (cursor != 0 && ++calls < 1000);
	assert_int_equal(total, 1000);
	assert_string_equal(req("SCAN abc"), "-ERR invalid cursor\r\n");
}

static void
test_full_ring_backs_up(void **state)
{
	(void)state;
	/* More requests than a ring holds, none lost, replies in order of
	 * completion per shard (the same key: in order). */
	done_count = 0;
	out_len = 0;
	for (int i = 0; i < DP_XC_RING_SIZE * 2 + 10; i++) {
		struct kv_arg argv[2] = { { "INCR", 4 }, { "foo", 3 } };
		struct dp_xc_owner o = { done, NULL };
		assert_false(dp_xc_execute(ws[0], &cl, 2, argv, &o));
	}
	for (int r = 0; r < 100 && dp_xc_pending(ws[0]) > 0; r++) {
		dp_xc_flush(ws[0]);
		dp_xc_poll(ws[1]);
		dp_xc_flush(ws[1]);
		dp_xc_poll(ws[0]);
	}
	assert_int_equal(done_count, DP_XC_RING_SIZE * 2 + 10);
	assert_string_equal(req("GET foo"), "$4\r\n2058\r\n");
}

/* step -- one worker's message handling once: poll, then flush. */
static void
step(unsigned i)
{
	dp_xc_poll(ws[i]);
	dp_xc_flush(ws[i]);
}

/*
 * test_part_held_until_unlock -- worker 1 applies its part of an MSET
 * from worker 0 and answers, but keeps the key locked: a GET of it on
 * worker 1 waits until worker 0 has every part back and unlocks, then
 * sees the new value.
 */
static void
test_part_held_until_unlock(void **state)
{
	struct kv_arg mset[5] = { { "MSET", 4 }, { "bar", 3 }, { "new", 3 },
				  { "foo", 3 }, { "new", 3 } };
	struct kv_arg get[2] = { { "GET", 3 }, { "foo", 3 } };
	struct dp_xc_owner o = { done, NULL };
	struct kv_client c1;
	(void)state;

	assert_string_equal(req("SET foo old"), "+OK\r\n");
	kv_client_init(&c1, sink, NULL);
	done_count = 0;
	out_len = 0;
	assert_false(dp_xc_execute(ws[0], &cl, 5, mset, &o));
	step(0);           /* bar locked here; the lock of foo goes */
	step(1);           /* foo locked */
	step(0);           /* bar applied; foo's part goes */
	step(1);           /* foo applied, answered */
	assert_int_equal(done_count, 0);
	/* Worker 1's own client: foo is still locked there. */
	assert_false(dp_xc_execute(ws[1], &c1, 2, get, &o));
	assert_int_equal(done_count, 0);
	step(0);           /* every part back: unlock everywhere, reply */
	assert_int_equal(done_count, 1);
	step(1);           /* the unlock: the GET runs */
	assert_int_equal(done_count, 2);
	out[out_len] = '\0';
	assert_string_equal(out, "+OK\r\n$3\r\nnew\r\n");
	kv_client_fini(&c1);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_single_shard, setup, teardown),
	cmocka_unit_test_setup_teardown(test_split_and_all, setup, teardown),
	cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
	cmocka_unit_test_setup_teardown(test_gather, setup, teardown),
	cmocka_unit_test_setup_teardown(test_multi, setup, teardown),
	cmocka_unit_test_setup_teardown(test_scan_visits_every_key_once,
					setup, teardown),
	cmocka_unit_test_setup_teardown(test_full_ring_backs_up, setup,
					teardown),
	cmocka_unit_test_setup_teardown(test_part_held_until_unlock, setup,
					teardown),
};

RP_TEST_MAIN(tests, true)
