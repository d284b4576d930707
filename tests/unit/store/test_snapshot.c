/*
 * test_snapshot.c -- store/snapshot.c: a snapshot holds the keyspace as it
 * was at its cut whatever the writes interleaved with its steps (copy
 * before write); recovery loads it and replays the log after it; a crash
 * at any step of a snapshot recovers exactly what was acknowledged; a
 * complete snapshot reclaims the log; the schedule starts one; SAVE
 * exports a file the import reads back; no cut while a cross-shard
 * part is held, and the snapshot keeps each origin's last part counter.
 */
#include <errno.h>

#include <rte_random.h>

#include "unit.h"

#include "store_test.h"

#define N_KEYS 3000     /* enough for a snapshot to take many steps */

/* open_log -- the test's log, replayed into a fresh shard. */
static struct pm_log *
open_recovered(uint64_t size)
{
	char err[512];
	struct pm_log *log = pm_log_open(st_log_path, size, 0, err,
					 sizeof(err));

	if (log == NULL)
		fail_msg("%s", err);
	st_close();
	st_open(log);
	if (kv_recover(st_shard, false, err, sizeof(err)) != 0)
		fail_msg("recover: %s", err);
	return log;
}

/* crash -- drop the shard and the log without completing anything. */
static void
crash(struct pm_log *log)
{
	kv_commit(st_shard);
	st_close();
	pm_log_close(log);
}

/* model -- what each key k<i> must hold: its value, or "" if absent. */
static char model[N_KEYS][24];

/* write_random -- one random write to the keyspace and the model. */
static void
write_random(void)
{
	char cmd[96];
	unsigned i = (unsigned)rte_rand_max(N_KEYS);

	switch (rte_rand_max(4)) {
	case 0:
		snprintf(model[i], sizeof(model[i]), "v%u", (unsigned)
			 rte_rand_max(1000000));
		snprintf(cmd, sizeof(cmd), "SET k%u %.23s", i, model[i]);
		rx(cmd, "+OK\r\n");
		break;
	case 1:
		snprintf(cmd, sizeof(cmd), "DEL k%u", i);
		run(cmd);
		model[i][0] = '\0';
		break;
	case 2:
		if (strlen(model[i]) + 2 < sizeof(model[i])) {
			snprintf(cmd, sizeof(cmd), "APPEND k%u ab", i);
			run(cmd);
			strcat(model[i], "ab");
		}
		break;
	default:
		snprintf(cmd, sizeof(cmd), "RENAME k%u k%u", i,
			 (i + 1) % N_KEYS);
		run(cmd);
		if (model[i][0] != '\0') {
			memcpy(model[(i + 1) % N_KEYS], model[i],
			       sizeof(model[i]));
			model[i][0] = '\0';
		}
		break;
	}
}

/* fill -- k0..k<N_KEYS-1> with values, in the model too. */
static void
fill(void)
{
	char cmd[96];

	for (unsigned i = 0; i < N_KEYS; i++) {
		snprintf(model[i], sizeof(model[i]), "init%u", i);
		snprintf(cmd, sizeof(cmd), "SET k%u %.23s", i, model[i]);
		rx(cmd, "+OK\r\n");
	}
}

/* check_model -- every key holds what the model says. */
static void
check_model(void)
{
	char cmd[64], want[64];

	for (unsigned i = 0; i < N_KEYS; i++) {
		snprintf(cmd, sizeof(cmd), "GET k%u", i);
		if (model[i][0] == '\0')
			snprintf(want, sizeof(want), "$-1\r\n");
		else
			snprintf(want, sizeof(want), "$%zu\r\n%.23s\r\n",
				 strlen(model[i]), model[i]);
		rx(cmd, want);
	}
}

/* step_all -- run the snapshot to its end; returns the steps taken. */
static unsigned
step_all(void)
{
	unsigned n = 1;

	while (kv_snapshot_step(st_shard))
		n++;
	return n;
}

/* info_field -- a number from INFO persistence. */
static long long
info_field(const char *name)
{
	char key[64];

	run("INFO persistence");
	st_out[st_len] = '\0';
	snprintf(key, sizeof(key), "\r\n%s:", name);
	const char *p = strstr(st_out, key);
	if (p == NULL)
		fail_msg("INFO persistence has no %s", name);
	return atoll(p + strlen(key));
}

/*
 * test_copy_before_write -- writes between the steps of a snapshot do
 * not reach it: loaded alone, it holds the keyspace of the cut, of every
 * type and database, with TTLs; new keys are left out, deleted and
 * flushed ones are in.
 */
static void
test_copy_before_write(void **state)
{
	char err[256];
	(void)state;

	fill();
	rx("RPUSH list a b c", ":3\r\n");
	rx("HSET hash f v", ":1\r\n");
	rx("SADD set x y", ":2\r\n");
	rx("ZADD zset 1 m 2 n", ":2\r\n");
	rx("SET ttl v PX 900000", "+OK\r\n");
	rx("SELECT 2", "+OK\r\n");
	rx("SET d2 two", "+OK\r\n");
	rx("SELECT 0", "+OK\r\n");
	rx("BGSAVE", "+Background saving started\r\n");
	rx("BGSAVE", "-ERR Background save already in progress\r\n");
	rx("BGSAVE SCHEDULE", "-ERR Background save already in "
	   "progress\r\n");
	rx("BGSAVE now", "-ERR syntax error\r\n");
	assert_int_equal(info_field("rdb_bgsave_in_progress"), 1);
	/* Change all of it before the walk gets there. */
	rx("SET k0 changed", "+OK\r\n");
	rx("DEL k1", ":1\r\n");
	rx("APPEND k2 more", ":9\r\n");
	rx("RPUSH list d", ":4\r\n");
	rx("HSET hash f w", ":0\r\n");
	rx("SREM set x", ":1\r\n");
	rx("ZINCRBY zset 5 m", "$1\r\n6\r\n");
	rx("PERSIST ttl", ":1\r\n");
	rx("SET new key", "+OK\r\n");
	rx("SELECT 2", "+OK\r\n");
	rx("FLUSHDB", "+OK\r\n");
	rx("SELECT 0", "+OK\r\n");
	unsigned steps = 0;
	while (kv_snapshot_step(st_shard)) {
		/* and more while it walks */
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "SET k%u late", N_KEYS - 1 - steps);
		rx(cmd, "+OK\r\n");
		steps++;
	}
	assert_true(steps > 2);
	assert_int_equal(info_field("rdb_bgsave_in_progress"), 0);
	assert_int_equal(info_field("rdb_saves"), 1);
	assert_int_equal(info_field("redpoll_last_snapshot_keys"), N_KEYS + 6);

	/* The snapshot alone, in a shard without a log. */
	st_close();
	st_open(NULL);
	uint64_t seq = 1;
	assert_int_equal(kv_snapshot_load(st_shard, &seq, err, sizeof(err)),
			 0);
	assert_int_equal(seq, 0);                /* no log: record 0 */
	rx("DBSIZE", ":3005\r\n");
	rx("GET k0", "$5\r\ninit0\r\n");
	rx("GET k1", "$5\r\ninit1\r\n");
	rx("GET k2", "$5\r\ninit2\r\n");
	char cmd[64], want[64];
	snprintf(cmd, sizeof(cmd), "GET k%u", N_KEYS - 1);
	snprintf(want, sizeof(want), "$8\r\ninit%u\r\n", N_KEYS - 1);
	rx(cmd, want);
	rx("LRANGE list 0 -1", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
	rx("HGET hash f", "$1\r\nv\r\n");
	rx("SCARD set", ":2\r\n");
	rx("ZSCORE zset m", "$1\r\n1\r\n");
	run("PTTL ttl");
	assert_true(st_out[0] == ':' && atoll(st_out + 1) > 800000);
	rx("EXISTS new", ":0\r\n");
	rx("SELECT 2", "+OK\r\n");
	rx("GET d2", "$3\r\ntwo\r\n");
}

/*
 * test_recover_snapshot_and_log -- a complete snapshot reclaims the log
 * it covers; recovery loads it and replays only the records after it.
 */
static void
test_recover_snapshot_and_log(void **state)
{
	(void)state;

	unlink(st_log_path);
	struct pm_log *log = open_recovered(8 << 20);
	fill();
	kv_commit(st_shard);
	uint64_t before = pm_log_used_bytes(log);
	assert_true(before > 0);
	rx("SAVE", "+OK\r\n");
	assert_int_equal(pm_log_used_bytes(log), 0);     /* reclaimed */
	for (int i = 0; i < 500; i++)
		write_random();
	crash(log);

	log = open_recovered(8 << 20);
	check_model();
	/* The log replayed holds only what followed the snapshot. */
	assert_true(pm_log_records(log) <= 500);
	crash(log);
}

/*
 * test_crash_at_every_phase -- a snapshot interrupted after a random
 * number of steps, with writes interleaved, then a crash: recovery gives
 * back exactly the acknowledged writes, writes a new snapshot (both logs
 * were in use) and reclaims the log. Then the next crash recovers from
 * that one.
 */
static void
test_crash_at_every_phase(void **state)
{
	(void)state;

	unlink(st_log_path);
	struct pm_log *log = open_recovered(16 << 20);
	unsigned n_cut = 0;
	fill();
	for (unsigned round = 0; round < 12; round++) {
		char err[256];
		unsigned stop = (unsigned)rte_rand_max(12);
		if (!kv_snapshot_running(st_shard))
			assert_int_equal(kv_snapshot_start(st_shard, err,
							   sizeof(err)), 0);
		for (unsigned k = 0; k < stop; k++) {
			for (int i = 0; i < 20; i++)
				write_random();
			if (!kv_snapshot_step(st_shard))
				break;
		}
		for (int i = 0; i < 50; i++)
			write_random();
		bool cut = kv_snapshot_running(st_shard) &&
			   pm_log_both_in_use(log);
		crash(log);
		log = open_recovered(16 << 20);
		check_model();
		/* An interrupted snapshot is redone by the recovery. */
		assert_false(pm_log_both_in_use(log));
		n_cut += cut;
	}
	assert_true(n_cut > 0);         /* the interesting case happened */
	crash(log);
}

/*
 * test_log_fill_starts_snapshot -- the cron starts a snapshot once the
 * current log is snapshot-log-percent full, and the log shrinks after.
 */
static void
test_log_fill_starts_snapshot(void **state)
{
	char cmd[1100], val[1001];
	(void)state;

	unlink(st_log_path);
	st_cfg.snapshot_log_percent = 30;
	struct pm_log *log = open_recovered(1 << 20);
	memset(val, 'z', 1000);
	val[1000] = '\0';
	int i;
	for (i = 0; i < 2000 && !kv_snapshot_running(st_shard); i++) {
		snprintf(cmd, sizeof(cmd), "SET big%d %s", i % 50, val);
		rx(cmd, "+OK\r\n");
		kv_commit(st_shard);
		kv_cron(st_shard);
	}
	assert_true(kv_snapshot_running(st_shard));
	assert_true(i > 100 && i < 300);   /* about 30% of 510 KiB */
	step_all();
	assert_int_equal(pm_log_used_bytes(log), 0);
	/* Far more than the log holds, with snapshots reclaiming it. */
	for (int k = 0; k < 3000; k++) {
		snprintf(cmd, sizeof(cmd), "SET big%d %s", k % 50, val);
		rx(cmd, "+OK\r\n");
		kv_commit(st_shard);
		kv_cron(st_shard);
		kv_snapshot_step(st_shard);
	}
	assert_true(info_field("rdb_saves") >= 5);
	crash(log);
	log = open_recovered(1 << 20);
	rx("DBSIZE", ":50\r\n");
	snprintf(cmd, sizeof(cmd), "GET big49");
	run(cmd);
	assert_memory_equal(st_out, "$1000\r\nzzz", 10);
	crash(log);
	st_cfg.snapshot_log_percent = 50;
}

/*
 * test_bgsave_in_exec -- BGSAVE inside a transaction cuts after the
 * whole transaction: recovery neither loses nor repeats its effects.
 */
static void
test_bgsave_in_exec(void **state)
{
	(void)state;

	unlink(st_log_path);
	struct pm_log *log = open_recovered(8 << 20);
	rx("SET x 10", "+OK\r\n");
	rx("MULTI", "+OK\r\n");
	rx("INCR x", "+QUEUED\r\n");
	rx("BGSAVE", "+QUEUED\r\n");
	rx("INCR x", "+QUEUED\r\n");
	rx("EXEC", "*3\r\n:11\r\n+Background saving started\r\n:12\r\n");
	assert_true(kv_snapshot_running(st_shard));
	rx("BGSAVE", "-ERR Background save already in progress\r\n");
	rx("INCR x", ":13\r\n");
	step_all();
	rx("INCR x", ":14\r\n");
	crash(log);
	log = open_recovered(8 << 20);
	rx("GET x", "$2\r\n14\r\n");
	crash(log);
}

/* test_save_schedule -- "save <seconds> <changes>" starts a snapshot. */
static void
test_save_schedule(void **state)
{
	(void)state;

	snprintf(st_cfg.save, sizeof(st_cfg.save), "1 3");
	rx("SET a 1", "+OK\r\n");
	rx("SET b 1", "+OK\r\n");
	st_shard->snap.last_try_ms = 0;          /* long ago */
	kv_cron(st_shard);
	assert_false(kv_snapshot_running(st_shard));   /* 2 changes */
	rx("SET c 1", "+OK\r\n");
	kv_cron(st_shard);
	assert_true(kv_snapshot_running(st_shard));
	step_all();
	assert_int_equal(info_field("rdb_changes_since_last_save"), 0);
	st_cfg.save[0] = '\0';
}

/* test_save_export -- SAVE's file is an RDB the import reads back. */
static void
test_save_export(void **state)
{
	char dir[64], file[96], err[256];
	(void)state;

	snprintf(dir, sizeof(dir), "/tmp/rptest-snap-%d", (int)getpid());
	snprintf(st_cfg.dir, sizeof(st_cfg.dir), "%s", dir);
	rx("SET s v", "+OK\r\n");
	rx("RPUSH l 1 2", ":2\r\n");
	rx("SELECT 5", "+OK\r\n");
	rx("SET other 5", "+OK\r\n");
	rx("SAVE", "+OK\r\n");
	snprintf(file, sizeof(file), "%s/dump.rdb", dir);
	struct kv_shard_params sp = { .core = 1, .cfg = &st_cfg };
	struct kv_shard *sh = kv_shard_create(&sp);
	assert_non_null(sh);
	uint64_t keys;
	assert_int_equal(kv_rdb_import(&sh, 1, file, &keys, err,
				       sizeof(err)), 0);
	assert_int_equal(keys, 3);
	assert_int_equal(kv_dbsize(sh, 0), 2);
	assert_int_equal(kv_dbsize(sh, 5), 1);
	kv_shard_free(sh);
	/* A damaged snapshot is refused, naming the file. */
	char snap[PATH_MAX + 32];
	snprintf(snap, sizeof(snap), "%s/redpoll-0.rdb", st_cfg.pmem_path);
	FILE *f = fopen(snap, "r+");
	assert_non_null(f);
	fseek(f, 20, SEEK_SET);
	fputc('#', f);
	fclose(f);
	const char *list[1] = { snap };
	assert_int_equal(kv_rdb_export(list, 1, file, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "redpoll-0.rdb: wrong checksum"));
	unlink(file);
	rmdir(dir);
}

/*
 * test_cut_waits_for_held_part -- while a cross-shard part applied here
 * is held (locked), BGSAVE's cut waits and SAVE refuses; the cut comes
 * when the part goes, and the snapshot keeps the part's counter for its
 * origin (a later recovery's proof that this shard has it).
 */
static void
test_cut_waits_for_held_part(void **state)
{
	struct kv_txtag t = { .origin = 1, .nrec = 1, .counter = 42 };
	(void)state;

	kv_txtag_add(&t, 0);
	kv_txtag_add(&t, 1);
	unlink(st_log_path);
	struct pm_log *log = open_recovered(8 << 20);
	rx("SET before 1", "+OK\r\n");
	kv_snapshot_hold(st_shard, true);
	assert_false(kv_snapshot_cut_waiting(st_shard));
	kv_tx_begin(st_shard);
	rx("SET x 1", "+OK\r\n");
	kv_tx_end(st_shard, &t);
	rx("BGSAVE", "+Background saving started\r\n");
	assert_false(kv_snapshot_running(st_shard));
	assert_true(kv_snapshot_cut_waiting(st_shard));
	rx("BGSAVE", "-ERR Background save already in progress\r\n");
	rx("SAVE", "-ERR a cross-shard write is in flight\r\n");
	kv_cron(st_shard);
	assert_false(kv_snapshot_running(st_shard));
	uint64_t seq = pm_log_last_seq(log);
	kv_snapshot_hold(st_shard, false);
	assert_false(kv_snapshot_cut_waiting(st_shard));
	assert_true(kv_snapshot_running(st_shard));
	assert_int_equal(st_shard->snap.seq, seq);
	step_all();
	assert_false(kv_snapshot_running(st_shard));
	crash(log);
	log = open_recovered(8 << 20);
	assert_int_equal(st_shard->tx_hwm[1], 42);
	assert_int_equal(st_shard->tx_hwm[0], 0);
	rx("GET x", "$1\r\n1\r\n");
	rx("GET before", "$1\r\n1\r\n");
	crash(log);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_copy_before_write),
	ST_TEST(test_recover_snapshot_and_log),
	ST_TEST(test_crash_at_every_phase),
	ST_TEST(test_log_fill_starts_snapshot),
	ST_TEST(test_bgsave_in_exec),
	ST_TEST(test_save_schedule),
	ST_TEST(test_save_export),
	ST_TEST(test_cut_waits_for_held_part),
};

ST_MAIN_WITH_LOG(tests, "snapshot")
