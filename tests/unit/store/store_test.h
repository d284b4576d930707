/*
 * store_test.h -- a shard and a client whose replies are captured, for
 * the store's unit tests: run("SET k v") then expect("+OK\r\n").
 */
#ifndef RP_STORE_TEST_H
#define RP_STORE_TEST_H

#include "cfg.h"
#include "kv.h"
#include "kv_private.h"
#include "pm.h"

static struct rp_config st_cfg;
static struct kv_shard *st_shard;
static struct kv_client st_client;
static char st_out[1 << 20];
static size_t st_len;

static inline void
st_sink(void *ctx, const void *b, size_t n)
{
	(void)ctx;
	assert_true(st_len + n <= sizeof(st_out));
	memcpy(st_out + st_len, b, n);
	st_len += n;
}

/* st_open -- a new shard (with a log, or NULL) and client. */
static inline void
st_open(struct pm_log *log)
{
	struct kv_shard_params p = { .core = 0, .socket_id = 0,
				     .cfg = &st_cfg, .log = log };
	st_shard = kv_shard_create(&p);
	assert_non_null(st_shard);
	kv_client_init(&st_client, st_sink, NULL);
	st_len = 0;
}

static inline void
st_close(void)
{
	kv_client_fini(&st_client);
	kv_shard_free(st_shard);
	st_shard = NULL;
}

/*
 * st_clean_snapshots -- remove the snapshot files of shards 0-3 from the
 * test's own pmem-path (a folder per test process), so that no test
 * recovers another's snapshot.
 */
static inline void
st_clean_snapshots(void)
{
	char p[PATH_MAX + 64];

	for (unsigned i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/redpoll-%u.rdb", st_cfg.pmem_path,
			 i);
		unlink(p);
		snprintf(p, sizeof(p), "%s/redpoll-%u.rdb.tmp",
			 st_cfg.pmem_path, i);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/dump.rdb", st_cfg.pmem_path);
	unlink(p);
	rmdir(st_cfg.pmem_path);
}

/* st_cfg_init -- the defaults, with a pmem-path and dir of the test's own. */
static inline void
st_cfg_init(void)
{
	cfg_init(&st_cfg);
	snprintf(st_cfg.pmem_path, sizeof(st_cfg.pmem_path),
		 "/dev/shm/rptest-snap-%d", (int)getpid());
	memcpy(st_cfg.dir, st_cfg.pmem_path, sizeof(st_cfg.pmem_path));
	st_clean_snapshots();
}

static inline int
st_setup(void **state)
{
	(void)state;
	st_cfg_init();
	st_open(NULL);
	return 0;
}

static inline int
st_teardown(void **state)
{
	(void)state;
	st_close();
	st_clean_snapshots();
	return 0;
}

/* run -- execute a command given as space-separated words. */
static inline void
run(const char *line)
{
	char buf[8192];
	struct kv_arg argv[64];
	int argc = 0;

	/* Every single space separates: "SETRANGE k 0 " has an empty
	 * last argument, as a client would send it. */
	assert_true(strlen(line) < sizeof(buf));
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *tok = buf; tok != NULL && argc < 64;) {
		char *sp = strchr(tok, ' ');
		if (sp != NULL)
			*sp = '\0';
		argv[argc].ptr = tok;
		argv[argc].len = strlen(tok);
		argc++;
		tok = sp != NULL ? sp + 1 : NULL;
	}
	st_len = 0;
	kv_execute(st_shard, &st_client, argc, argv);
}

/* expect -- the reply of the last command, byte for byte. */
#define expect(want)                                                    \
	do {                                                             \
		const char *w_ = (want);                                 \
		if (st_len != strlen(w_) || memcmp(st_out, w_, st_len)) \
			fail_msg("reply '%.*s' != '%s'", (int)st_len,    \
				 st_out, w_);                            \
	} while (0)

/* rx -- run and expect in one. */
#define rx(line, want)                                                  \
	do {                                                             \
		run(line);                                               \
		expect(want);                                            \
	} while (0)

#define ST_TEST(f) cmocka_unit_test_setup_teardown(f, st_setup, st_teardown)

/* st_log_path -- this test process's pmem log file (ST_MAIN_WITH_LOG). */
static char st_log_path[64] __attribute__((unused));

/*
 * ST_MAIN_WITH_LOG -- the main of a test file whose tests open pmem logs
 * at st_log_path: /dev/shm/rptest-<name>-<pid>, emulated pmem, removed
 * at the end.
 */
#define ST_MAIN_WITH_LOG(tests, name)                                   \
	int main(int argc, char **argv)                                  \
	{                                                                \
		if (argc > 1)                                            \
			cmocka_set_test_filter(argv[1]);                 \
		setenv("PMEM_IS_PMEM_FORCE", "1", 1);                    \
		snprintf(st_log_path, sizeof(st_log_path),               \
			 "/dev/shm/rptest-" name "-%d", (int)getpid());  \
		rp_test_eal_init(argv[0]);                               \
		int rc = cmocka_run_group_tests(tests, NULL, NULL);      \
		unlink(st_log_path);                                     \
		rte_eal_cleanup();                                       \
		return rc;                                               \
	}

#endif /* RP_STORE_TEST_H */
