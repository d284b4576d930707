/*
 * test_multi.c -- store/multi.c: MULTI/EXEC/DISCARD queueing and errors,
 * WATCH touched by the same and by another client, by expiry, flushes,
 * RENAME and DEL; the watched-keys index reclaimed; an EXEC logged as one
 * record, replayed whole, and lost whole when its record is torn.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "unit.h"

#include "store_test.h"

static char path[64], path2[80];
static struct kv_client other;

/* run_as -- run a command as client c (words split on spaces). */
static void
run_as(struct kv_client *c, const char *line)
{
	char buf[1024];
	struct kv_arg argv[32];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *tok = buf; tok != NULL && argc < 32;) {
		char *sp = strchr(tok, ' ');
		if (sp != NULL)
			*sp = '\0';
		argv[argc].ptr = tok;
		argv[argc].len = strlen(tok);
		argc++;
		tok = sp != NULL ? sp + 1 : NULL;
	}
	st_len = 0;
	kv_execute(st_shard, c, argc, argv);
}

#define ox(line, want)                                                  \
	do {                                                             \
		run_as(&other, line);                                    \
		expect(want);                                            \
	} while (0)

static int
setup(void **state)
{
	st_setup(state);
	kv_client_init(&other, st_sink, NULL);
	return 0;
}

static int
teardown(void **state)
{
	kv_client_fini(&other);
	return st_teardown(state);
}

#define MT_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static void
test_queue(void **state)
{
	(void)state;
	rx("MULTI", "+OK\r\n");
	rx("SET a 1", "+QUEUED\r\n");
	rx("INCR a", "+QUEUED\r\n");
	rx("LPUSH a x", "+QUEUED\r\n");
	rx("GET a", "+QUEUED\r\n");
	rx("EXEC", "*4\r\n+OK\r\n:2\r\n-WRONGTYPE Operation against a key "
	   "holding the wrong kind of value\r\n$1\r\n2\r\n");
	rx("EXEC", "-ERR EXEC without MULTI\r\n");
	rx("DISCARD", "-ERR DISCARD without MULTI\r\n");
	rx("MULTI", "+OK\r\n");
	rx("EXEC", "*0\r\n");
	/* SELECT inside a transaction moves the rest of it. */
	rx("MULTI", "+OK\r\n");
	rx("SELECT 2", "+QUEUED\r\n");
	rx("SET b 2", "+QUEUED\r\n");
	rx("EXEC", "*2\r\n+OK\r\n+OK\r\n");
	rx("GET b", "$1\r\n2\r\n");
	rx("SELECT 0", "+OK\r\n");
	rx("GET b", "$-1\r\n");
	rx("MULTI", "+OK\r\n");
	rx("SET c 3", "+QUEUED\r\n");
	rx("DISCARD", "+OK\r\n");
	rx("EXISTS c", ":0\r\n");
}

static void
test_errors(void **state)
{
	(void)state;
	rx("MULTI", "+OK\r\n");
	rx("MULTI", "-ERR MULTI calls can not be nested\r\n");
	rx("WATCH a", "-ERR WATCH inside MULTI is not allowed\r\n");
	rx("SET a 1", "+QUEUED\r\n");
	/* Errors of MULTI and WATCH do not spoil the transaction. */
	rx("EXEC", "*1\r\n+OK\r\n");
	rx("MULTI", "+OK\r\n");
	rx("SET a 2", "+QUEUED\r\n");
	rx("NOPE x", "-ERR unknown command 'NOPE', with args beginning "
	   "with: 'x' \r\n");
	rx("EXEC", "-EXECABORT Transaction discarded because of previous "
	   "errors.\r\n");
	rx("GET a", "$1\r\n1\r\n");
	rx("MULTI", "+OK\r\n");
	rx("GET", "-ERR wrong number of arguments for 'get' command\r\n");
	rx("SET a 3", "+QUEUED\r\n");
	rx("EXEC", "-EXECABORT Transaction discarded because of previous "
	   "errors.\r\n");
	rx("MULTI", "+OK\r\n");
	rx("SHUTDOWN", "-ERR Command not allowed inside a transaction\r\n");
	rx("EXEC", "-EXECABORT Transaction discarded because of previous "
	   "errors.\r\n");
	rx("MULTI", "+OK\r\n");
	rx("CONFIG NOPE", "-ERR unknown subcommand 'NOPE'. Try CONFIG "
	   "HELP.\r\n");
	rx("EXEC", "-EXECABORT Transaction discarded because of previous "
	   "errors.\r\n");
	/* DISCARD clears the flag. */
	rx("MULTI", "+OK\r\n");
	rx("GET", "-ERR wrong number of arguments for 'get' command\r\n");
	rx("DISCARD", "+OK\r\n");
	rx("MULTI", "+OK\r\n");
	rx("GET a", "+QUEUED\r\n");
	rx("EXEC", "*1\r\n$1\r\n1\r\n");
	rx("WATCH", "-ERR wrong number of arguments for 'watch' command\r\n");
	rx("GET a", "$1\r\n1\r\n");
}

static void
test_watch_same_client(void **state)
{
	(void)state;
	rx("SET a 1", "+OK\r\n");
	rx("WATCH a", "+OK\r\n");
	rx("SET a 2", "+OK\r\n");
	rx("MULTI", "+OK\r\n");
	rx("GET a", "+QUEUED\r\n");
	rx("EXEC", "*-1\r\n");
	/* EXEC unwatched: a new transaction runs. */
	rx("SET a 3", "+OK\r\n");
	rx("MULTI", "+OK\r\n");
	rx("GET a", "+QUEUED\r\n");
	rx("EXEC", "*1\r\n$1\r\n3\r\n");
	/* Reads do not touch; UNWATCH forgets; DISCARD unwatches. */
	rx("WATCH a", "+OK\r\n");
	rx("GET a", "$1\r\n3\r\n");
	rx("MULTI", "+OK\r\n");
	rx("SET a 4", "+QUEUED\r\n");
	rx("EXEC", "*1\r\n+OK\r\n");
	rx("WATCH a", "+OK\r\n");
	rx("UNWATCH", "+OK\r\n");
	rx("SET a 5", "+OK\r\n");
	rx("MULTI", "+OK\r\n");
	rx("EXEC", "*0\r\n");
	rx("WATCH a", "+OK\r\n");
	rx("MULTI", "+OK\r\n");
	rx("DISCARD", "+OK\r\n");
	rx("SET a 6", "+OK\r\n");
	rx("MULTI", "+OK\r\n");
	rx("EXEC", "*0\r\n");
	/* A missing key that gets created; a key in another db. */
	rx("WATCH nokey", "+OK\r\n");
	rx("SET nokey 1", "+OK\r\n");
	rx("MULTI", "+OK\r\n");
	rx("EXEC", "*-1\r\n");
	rx("WATCH a", "+OK\r\n");
	rx("SELECT 1", "+OK\r\n");
	rx("SET a 1", "+OK\r\n");
	rx("SELECT 0", "+OK\r\n");
	rx("MULTI", "+OK\r\n");
	rx("EXEC", "*0\r\n");
	/* A failed write does not touch. */
	rx("WATCH a", "+OK\r\n");
	rx("LPUSH a x", "-WRONGTYPE Operation against a key holding the "
	   "wrong kind of value\r\n");
	rx("DEL nothere", ":0\r\n");
	rx("MULTI", "+OK\r\n");
	rx("EXEC", "*0\r\n");
	/* UNWATCH inside MULTI is queued. */
	rx("WATCH a", "+OK\r\n");
	rx("MULTI", "+OK\r\n");
	rx("UNWATCH", "+QUEUED\r\n");
	rx("EXEC", "*1\r\n+OK\r\n");
}

/* watch_then -- client 1 watches key, other runs cmd: EXEC's reply. */
static void
watch_then(const char *setup_cmd, const char *key, const char *cmd,
	   const char *want)
{
	char line[128];

	rx("FLUSHALL", "+OK\r\n");
	if (setup_cmd != NULL)
		run(setup_cmd);
	snprintf(line, sizeof(line), "WATCH %s", key);
	rx(line, "+OK\r\n");
	run_as(&other, cmd);
	rx("MULTI", "+OK\r\n");
	rx("PING", "+QUEUED\r\n");
	run("EXEC");
	if (st_len != strlen(want) || memcmp(st_out, want, st_len) != 0)
		fail_msg("%s then %s: '%.*s'", key, cmd, (int)st_len, st_out);
}

static void
test_watch_other_client(void **state)
{
	static const char *ok = "*1\r\n+PONG\r\n", *nil = "*-1\r\n";
	(void)state;

	watch_then("SET k 1", "k", "SET k 2", nil);
	watch_then("SET k 1", "k", "DEL k", nil);
	watch_then("SET k 1", "k", "RENAME k j", nil);
	watch_then("SET j 1", "k", "RENAME j k", nil);
	watch_then("SET k 1", "k", "EXPIRE k 100", nil);
	watch_then("SET k 1", "k", "FLUSHALL", nil);
	watch_then("SET k 1", "k", "FLUSHDB", nil);
	watch_then("SET k 1", "k", "GET k", ok);
	watch_then("SET k 1", "k", "SET other 1", ok);
	watch_then(NULL, "k", "FLUSHALL", ok);     /* missing: no change */
	watch_then("RPUSH k a", "k", "RPUSH k b", nil);
	watch_then("RPUSH k a", "k", "LPOP k", nil);
	watch_then("RPUSH src a", "k", "LMOVE src k LEFT LEFT", nil);
	watch_then("RPUSH k a", "k", "RPOPLPUSH k dst", nil);
	watch_then("HSET k f v", "k", "HDEL k f", nil);
	watch_then(NULL, "k", "MSET a 1 k 2", nil);
	watch_then("SET s 1", "s", "BITOP OR k s", ok);  /* sources read */
	watch_then("SET s 1", "k", "BITOP OR k s", nil);
	watch_then("PFADD s a", "s", "PFMERGE k s", ok);
	watch_then("PFADD s a", "k", "PFMERGE k s", nil);
	watch_then("SET k 1", "k", "INCR k", nil);
	watch_then("SET k 1", "k", "SETRANGE k 0 x", nil);
	/* A transaction of the other client touching it. */
	rx("SET k 1", "+OK\r\n");
	rx("WATCH k", "+OK\r\n");
	ox("MULTI", "+OK\r\n");
	ox("SET k 2", "+QUEUED\r\n");
	ox("EXEC", "*1\r\n+OK\r\n");
	rx("MULTI", "+OK\r\n");
	rx("EXEC", "*-1\r\n");
	/* Both watch; the first EXEC wins, the second fails. */
	rx("WATCH k", "+OK\r\n");
	ox("WATCH k", "+OK\r\n");
	rx("MULTI", "+OK\r\n");
	rx("INCR k", "+QUEUED\r\n");
	ox("MULTI", "+OK\r\n");
	ox("INCR k", "+QUEUED\r\n");
	rx("EXEC", "*1\r\n:3\r\n");
	ox("EXEC", "*-1\r\n");
	rx("GET k", "$1\r\n3\r\n");
}

/* info_is -- kv_multi_info of the client under test. */
static void
info_is(int want_queued, bool want_dirty)
{
	int queued;
	bool dirty;

	kv_multi_info(&st_client, &queued, &dirty);
	assert_int_equal(queued, want_queued);
	assert_int_equal(dirty, want_dirty);
}

static void
test_client_list(void **state)
{
	(void)state;
	run("CLIENT INFO");
	assert_non_null(memmem(st_out, st_len, " flags=N ", 9));
	assert_non_null(memmem(st_out, st_len, " multi=-1 ", 10));
	info_is(-1, false);
	rx("SET k 1", "+OK\r\n");
	rx("WATCH k", "+OK\r\n");
	info_is(-1, false);
	rx("MULTI", "+OK\r\n");
	info_is(0, false);
	rx("GET k", "+QUEUED\r\n");
	rx("GET k", "+QUEUED\r\n");
	info_is(2, false);
	ox("SET k 2", "+OK\r\n");
	info_is(2, true);
	rx("EXEC", "*-1\r\n");
	info_is(-1, false);
}

static void
test_watch_expiry(void **state)
{
	(void)state;
	/* A key that expires after WATCH fails EXEC. */
	rx("SET k 1", "+OK\r\n");
	rx("WATCH k", "+OK\r\n");
	kv_lookup(st_shard, 0, "k", 1, false)->expire_ms = 1;
	rx("MULTI", "+OK\r\n");
	rx("EXEC", "*-1\r\n");
	/* Deleted by expiry (lazily, by another client) too. */
	rx("SET k 1", "+OK\r\n");
	rx("WATCH k", "+OK\r\n");
	kv_lookup(st_shard, 0, "k", 1, false)->expire_ms = 1;
	ox("GET k", "$-1\r\n");
	rx("MULTI", "+OK\r\n");
	rx("EXEC", "*-1\r\n");
	/* Already expired at WATCH: watched as missing. */
	rx("SET k 1", "+OK\r\n");
	kv_lookup(st_shard, 0, "k", 1, false)->expire_ms = 1;
	rx("WATCH k", "+OK\r\n");
	ox("GET k", "$-1\r\n");
	rx("MULTI", "+OK\r\n");
	rx("EXEC", "*0\r\n");
	rx("SET k 1", "+OK\r\n");
	kv_lookup(st_shard, 0, "k", 1, false)->expire_ms = 1;
	rx("WATCH k", "+OK\r\n");
	ox("SET k 2", "+OK\r\n");
	rx("MULTI", "+OK\r\n");
	rx("EXEC", "*-1\r\n");
	/* Active expiry. */
	rx("SET k 1", "+OK\r\n");
	rx("WATCH k", "+OK\r\n");
	kv_set_expire(st_shard, 0, kv_lookup(st_shard, 0, "k", 1, false), 1);
	while (kv_dbsize(st_shard, 0) > 0)
		kv_cron(st_shard);
	rx("MULTI", "+OK\r\n");
	rx("EXEC", "*-1\r\n");
}

static void
test_index_reclaimed(void **state)
{
	(void)state;
	rx("WATCH a b c", "+OK\r\n");
	ox("WATCH a d", "+OK\r\n");
	assert_int_equal(st_shard->n_watched, 4);
	rx("WATCH a", "+OK\r\n");     /* once per client */
	assert_int_equal(st_shard->n_watched, 4);
	rx("UNWATCH", "+OK\r\n");
	assert_int_equal(st_shard->n_watched, 2);
	/* A client released anywhere: reclaimed by the shard's cron. */
	kv_client_fini(&other);
	assert_int_equal(st_shard->n_watched, 2);
	kv_cron(st_shard);
	assert_int_equal(st_shard->n_watched, 0);
	kv_client_init(&other, st_sink, NULL);
	/* A freed client with a queue leaks nothing (ASan). */
	ox("WATCH x", "+OK\r\n");
	ox("MULTI", "+OK\r\n");
	ox("SET x 1", "+QUEUED\r\n");
	rx("MULTI", "+OK\r\n");
	rx("SET y 1", "+QUEUED\r\n");
}

static struct pm_log *
open_log(const char *p)
{
	char err[256];
	struct pm_log *log = pm_log_open(p, 1 << 20, 0, err, sizeof(err));
	assert_non_null(log);
	return log;
}

/* reopen -- a fresh shard and clients recovered from the log at p. */
static struct pm_log *
reopen(const char *p)
{
	char err[256];
	struct pm_log *log = open_log(p);

	kv_client_fini(&other);
	st_open(log);
	kv_client_init(&other, st_sink, NULL);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	return log;
}

static void
test_exec_logged(void **state)
{
	(void)state;
	unlink(path);
	st_close();
	struct pm_log *log = reopen(path);
	uint64_t before = pm_log_records(log);
	rx("SET a 1", "+OK\r\n");
	rx("MULTI", "+OK\r\n");
	rx("INCR a", "+QUEUED\r\n");
	rx("RPUSH l x y", "+QUEUED\r\n");
	rx("SELECT 1", "+QUEUED\r\n");
	rx("SET b 2 EX 1000", "+QUEUED\r\n");
	rx("GET a", "+QUEUED\r\n");
	rx("EXEC", "*5\r\n:2\r\n:2\r\n+OK\r\n+OK\r\n$-1\r\n");
	rx("SELECT 0", "+OK\r\n");
	/* A transaction of reads logs nothing; one write is one record. */
	rx("MULTI", "+OK\r\n");
	rx("GET a", "+QUEUED\r\n");
	rx("EXEC", "*1\r\n$1\r\n2\r\n");
	rx("MULTI", "+OK\r\n");
	rx("SET c 3", "+QUEUED\r\n");
	rx("GET c", "+QUEUED\r\n");
	rx("EXEC", "*2\r\n+OK\r\n$1\r\n3\r\n");
	kv_commit(st_shard);
	assert_int_equal(pm_log_records(log) - before, 3);
	st_close();
	pm_log_close(log);

	log = reopen(path);
	rx("GET a", "$1\r\n2\r\n");
	rx("LRANGE l 0 -1", "*2\r\n$1\r\nx\r\n$1\r\ny\r\n");
	rx("GET c", "$1\r\n3\r\n");
	rx("SELECT 1", "+OK\r\n");
	rx("GET b", "$1\r\n2\r\n");
	run("TTL b");
	assert_true(st_out[0] == ':' && atoi(st_out + 1) > 990);
	st_close();
	pm_log_close(log);
}

/* copy_torn -- copy the log file at path to path2, zeroing from the
 * first occurrence of marker to the end (a record half written). */
static void
copy_torn(const char *marker)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	char *buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	char *m = memmem(buf, (size_t)st.st_size, marker, strlen(marker));
	assert_non_null(m);
	memset(m, 0, (size_t)(buf + st.st_size - m));
	fd = open(path2, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	free(buf);
}

static void
test_exec_torn(void **state)
{
	(void)state;
	unlink(path);
	unlink(path2);
	st_close();
	struct pm_log *log = reopen(path);
	rx("SET before 1", "+OK\r\n");
	kv_commit(st_shard);
	rx("MULTI", "+OK\r\n");
	rx("SET t1 one", "+QUEUED\r\n");
	rx("RPUSH t2 a b", "+QUEUED\r\n");
	rx("SET t3 lastpart", "+QUEUED\r\n");
	rx("EXEC", "*3\r\n+OK\r\n:2\r\n+OK\r\n");
	/* The transaction's record is written, not committed: a crash
	 * now may find it whole (replayed) or torn (dropped whole). */
	copy_torn("lastpart");
	st_close();
	pm_log_close(log);

	log = reopen(path2);
	rx("GET before", "$1\r\n1\r\n");
	rx("EXISTS t1 t2 t3", ":0\r\n");
	st_close();
	pm_log_close(log);
	log = reopen(path);
	rx("EXISTS t1 t2 t3", ":3\r\n");
	st_close();
	pm_log_close(log);
	unlink(path2);
}

static void
test_bad_multi_record(void **state)
{
	char err[256];
	struct pm_replay_stats st;
	(void)state;

	unlink(path);
	struct pm_log *log = open_log(path);
	pm_log_replay(log, NULL, NULL, false, &st, err, sizeof(err));
	/* One good SET, then a part whose length runs past the end: none
	 * of it may be applied. */
	static const char rec[] = "\xff\x1c\0\0\0\0*3\r\n$3\r\nSET\r\n$1\r\n"
				  "k\r\n$1\r\nv\r\n\x40\0\0\0\0*1";
	assert_int_equal(pm_log_append(log, rec, sizeof(rec) - 1), 0);
	pm_log_commit(log);
	pm_log_close(log);
	log = open_log(path);
	kv_client_fini(&other);
	st_close();
	st_open(log);
	kv_client_init(&other, st_sink, NULL);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)),
			 -EPROTO);
	assert_string_equal(err, "log record 1 is not a valid effect");
	rx("EXISTS k", ":0\r\n");
	st_close();
	pm_log_close(log);
	st_open(NULL);
}

static const struct CMUnitTest tests[] = {
	MT_TEST(test_queue),
	MT_TEST(test_errors),
	MT_TEST(test_watch_same_client),
	MT_TEST(test_watch_other_client),
	MT_TEST(test_watch_expiry),
	MT_TEST(test_client_list),
	MT_TEST(test_index_reclaimed),
	MT_TEST(test_exec_logged),
	MT_TEST(test_exec_torn),
	MT_TEST(test_bad_multi_record),
};

int
main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	setenv("PMEM_IS_PMEM_FORCE", "1", 1);
	snprintf(path, sizeof(path), "/dev/shm/rptest-multi-%d",
		 (int)getpid());
	snprintf(path2, sizeof(path2), "%s.torn", path);
	rp_test_eal_init(argv[0]);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	rte_eal_cleanup();
	return rc;
}
