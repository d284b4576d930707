/*
 * test_pm_log.c -- pmem/pm_log.c on /dev/shm files (PMEM_IS_PMEM_FORCE=1
 * unless the environment says otherwise): create, reopen, header checks;
 * append/commit/replay round trips; a full log; switching between the two
 * logs and reclaiming one, and crashes in the middle of a reclaim; the last record truncated and bit-flipped at every byte,
 * committed or not; uncommitted intact records replayed; corruption in
 * the middle refused or repaired; appends after a torn tail; a second
 * replay before any append sees the same records. Crashes are
 * real: a child process writes and _exits without closing the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "unit.h"

#include "../../../pmem/pm_log.c"

#define SMALL   (PM_LOG_START + 2 * 65536)   /* two logs of 64 KiB */
#define MAX_REC 4096
#define MAX_LEN 300

extern char **environ;

static char path[96];
static char err[512];
static unsigned n_paths;

/* What a replay handed to the callback. */
struct seen {
	unsigned n;
	uint64_t seq[MAX_REC];
	uint32_t len[MAX_REC];
	uint32_t crc[MAX_REC];
	unsigned fail_at;       /* return -EIO at this record (1-based) */
};

static struct seen seen;

/* setup -- a fresh region path per test; force pmem unless told. */
static int
setup(void **state)
{
	(void)state;
	setenv("PMEM_IS_PMEM_FORCE", "1", 0);
	snprintf(path, sizeof(path), "/dev/shm/rptest-pm-%d-%u",
		 (int)getpid(), n_paths++);
	unlink(path);
	memset(&seen, 0, sizeof(seen));
	return 0;
}

/* teardown -- remove the region. */
static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

/* payload -- record i's bytes (length 1..max, last byte never 0). */
static uint32_t
payload(unsigned i, unsigned max, uint8_t *buf)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL * (i + 1);
	uint32_t len;

	x ^= x >> 29;
	len = 1 + (uint32_t)(x % max);
	if (len % 256 == 0)
		len--;                  /* keep len's low byte non-zero */
	for (uint32_t k = 0; k < len; k++)
		buf[k] = (uint8_t)(i * 31 + k * 7 + (x >> 40));
	buf[len - 1] |= 0x80;
	return len;
}

/* collect -- replay callback: remember what came, fail on demand. */
static int
collect(void *ctx, uint64_t seq, const void *rec, uint32_t len)
{
	struct seen *s = ctx;

	if (s->fail_at != 0 && s->n + 1 == s->fail_at)
		return -EIO;
	assert_true(s->n < MAX_REC);
	s->seq[s->n] = seq;
	s->len[s->n] = len;
	s->crc[s->n] = pm_crc32c(0, rec, len);
	s->n++;
	return 0;
}

/* check_seen -- the callback saw records first..first+n-1 in order. */
static void
check_seen(unsigned n, unsigned first, unsigned max)
{
	uint8_t buf[MAX_LEN];

	assert_int_equal(seen.n, n);
	for (unsigned i = 0; i < n; i++) {
		uint32_t len = payload(first + i, max, buf);

		assert_int_equal(seen.len[i], len);
		assert_int_equal(seen.crc[i], pm_crc32c(0, buf, len));
		if (i > 0)
			assert_true(seen.seq[i] == seen.seq[i - 1] + 1);
	}
}

/* open_log -- open path or fail the test. */
static struct pm_log *
open_log(uint64_t size)
{
	struct pm_log *log = pm_log_open(path, size, 0, err, sizeof(err));

	if (log == NULL)
		fail_msg("%s", err);
	return log;
}

/* replay -- open, replay into seen, close; returns the replay's rc. */
static int
replay(bool repair, struct pm_replay_stats *st)
{
	struct pm_log *log = open_log(SMALL);
	int rc;

	seen.n = 0;
	err[0] = '\0';
	rc = pm_log_replay(log, collect, &seen, repair, st, err, sizeof(err));
	pm_log_close(log);
	return rc;
}

/* append_range -- append records first..first+n-1. */
static void
append_range(struct pm_log *log, unsigned first, unsigned n, unsigned max)
{
	uint8_t buf[MAX_LEN];

	for (unsigned i = first; i < first + n; i++) {
		uint32_t len = payload(i, max, buf);

		assert_int_equal(pm_log_append(log, buf, len), 0);
	}
}

/* make_log -- a fresh SMALL region holding n committed records. */
static void
make_log(unsigned n, unsigned max)
{
	struct pm_replay_stats st;

	unlink(path);
	struct pm_log *log = open_log(SMALL);
	assert_int_equal(pm_log_replay(log, NULL, NULL, false, &st, err,
				       sizeof(err)), 0);
	append_range(log, 0, n, max);
	pm_log_commit(log);
	pm_log_close(log);
}

/* rec_off -- offset of record i of a log made by make_log. */
static uint64_t
rec_off(unsigned i, unsigned max)
{
	uint8_t buf[MAX_LEN];
	uint64_t off = PM_LOG_START;

	for (unsigned k = 0; k < i; k++)
		off += rec_size(payload(k, max, buf));
	return off;
}

/* file_read -- the whole region file into buf. */
static void
file_read(uint8_t *buf, size_t n)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, n, 0), (ssize_t)n);
	close(fd);
}

/* file_write -- n bytes at off of the region file. */
static void
file_write(uint64_t off, const void *buf, size_t n)
{
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, n, (off_t)off), (ssize_t)n);
	close(fd);
}

/* file_flip -- xor the byte at off of the region file with mask. */
static void
file_flip(uint64_t off, uint8_t mask)
{
	uint8_t b;
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	b ^= mask;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
	close(fd);
}

/* commit_of -- the commit word as the file holds it. */
static uint64_t
commit_of(void)
{
	uint64_t c;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 8, 64), 8);
	close(fd);
	return c;
}

/* set_commit_word -- overwrite the commit word in the file. */
static void
set_commit_word(uint64_t off, uint16_t gen)
{
	uint64_t c = commit_word(off, gen);

	file_write(64, &c, 8);
}

/*
 * crash_child -- in a child process: open, replay, append records
 * first..first+n_commit-1 and commit, append n_pending more, then _exit
 * without closing: the state a crash leaves on a file mapping.
 */
static void
crash_child(unsigned first, unsigned n_commit, unsigned n_pending,
	    unsigned max)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct pm_replay_stats st;
		uint8_t buf[MAX_LEN];
		struct pm_log *log = pm_log_open(path, SMALL, 0, err,
						 sizeof(err));

		if (log == NULL || pm_log_replay(log, NULL, NULL, false, &st,
						 err, sizeof(err)) != 0)
			_exit(1);
		for (unsigned i = first; i < first + n_commit + n_pending;
		     i++) {
			if (i == first + n_commit)
				pm_log_commit(log);
			uint32_t len = payload(i, max, buf);
			if (pm_log_append(log, buf, len) != 0)
				_exit(2);
		}
		if (n_pending == 0)
			pm_log_commit(log);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_create_and_reopen(void **state)
{
	struct stat sb;
	(void)state;

	struct pm_log *log = open_log(1 << 20);
	assert_int_equal(pm_log_used_bytes(log), 0);
	assert_int_equal(pm_log_records(log), 0);
	assert_false(pm_log_pending(log));
	assert_int_equal(pm_log_free_bytes(log),
			 second_start(1 << 20) - PM_LOG_START - PM_REC_HDR);
	assert_int_equal(pm_log_is_pmem(log),
			 strcmp(getenv("PMEM_IS_PMEM_FORCE"), "1") == 0);
	/* Appends wait for the replay that opens every log. */
	assert_int_equal(pm_log_append(log, "x", 1), -EBUSY);
	pm_log_close(log);
	/* The tmp file was renamed into place. */
	char tmp[128];
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	assert_int_equal(access(tmp, F_OK), -1);

	/* A different size later: the region keeps its own. */
	log = open_log(4 << 20);
	assert_int_equal(pm_log_free_bytes(log),
			 second_start(1 << 20) - PM_LOG_START - PM_REC_HDR);
	pm_log_close(log);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 1 << 20);
	assert_int_equal(commit_of(), commit_word(PM_LOG_START, 0));
	pm_log_close(NULL);
}

/* expect_open_error -- opening path as core fails with msg in err. */
static void
expect_open_error(unsigned core, const char *msg)
{
	err[0] = '\0';
	assert_null(pm_log_open(path, SMALL, core, err, sizeof(err)));
	if (strstr(err, msg) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, msg);
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
}

static void
test_header_errors(void **state)
{
	uint32_t u32;
	uint64_t u64;
	(void)state;

	make_log(3, 100);
	expect_open_error(3, "region belongs to core 0, not 3");

	u32 = 1;
	file_write(8, &u32, 4);
	expect_open_error(0, "region format version 1 layout 2, this "
			  "redpoll reads version 3 layout 2");

	make_log(3, 100);
	u64 = 0x1234;
	file_write(0, &u64, 8);
	expect_open_error(0, "not a redpoll region (bad magic)");

	make_log(3, 100);
	set_commit_word(SMALL + 8, 0);
	expect_open_error(0, "header offsets out of bounds");
	set_commit_word(PM_LOG_START - 8, 0);
	expect_open_error(0, "header offsets out of bounds");
	set_commit_word(PM_LOG_START + 4, 0);
	expect_open_error(0, "header offsets out of bounds");

	make_log(3, 100);
	u64 = SMALL * 2;
	file_write(24, &u64, 8);
	expect_open_error(0, "header offsets out of bounds (size");

	/* Too short to hold a header. */
	unlink(path);
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello", 5), 5);
	close(fd);
	expect_open_error(0, "not a redpoll region (5 bytes)");

	/* A new region of an impossible size, or where none can be. */
	unlink(path);
	assert_null(pm_log_open(path, 4096, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "pmem size 4096 out of range"));
	assert_int_equal(access(path, F_OK), -1);
	assert_null(pm_log_open("/dev/shm/rp-no-such-dir/r", SMALL, 0, err,
				sizeof(err)));
	assert_non_null(strstr(err, "cannot create"));
}

/* round_trip -- n records of random sizes committed in uneven groups. */
static void
round_trip(unsigned n, unsigned max)
{
	struct pm_replay_stats st;
	uint64_t bytes = 0, off = PM_LOG_START;
	uint8_t buf[MAX_LEN];

	struct pm_log *log = open_log(SMALL * 8);
	assert_int_equal(pm_log_replay(log, collect, &seen, false, &st, err,
				       sizeof(err)), 0);
	assert_int_equal(st.records, 0);
	for (unsigned i = 0; i < n; i++) {
		uint32_t len = payload(i, max, buf);

		assert_int_equal(pm_log_append(log, buf, len), 0);
		assert_true(pm_log_pending(log));
		bytes += len;
		off += rec_size(len);
		if (i % 7 == 3 || i % 11 == 0) {
			pm_log_commit(log);
			assert_false(pm_log_pending(log));
			assert_int_equal(pm_log_records(log), i + 1);
			assert_int_equal(pm_log_used_bytes(log),
					 off - PM_LOG_START);
		}
	}
	pm_log_commit(log);
	pm_log_commit(log);                     /* nothing to do */
	pm_log_close(log);

	log = open_log(SMALL);
	assert_int_equal(pm_log_records(log), 0);      /* not replayed */
	assert_int_equal(pm_log_replay(log, collect, &seen, false, &st, err,
				       sizeof(err)), 0);
	assert_int_equal(pm_log_records(log), n);
	assert_int_equal(pm_log_used_bytes(log), off - PM_LOG_START);
	pm_log_close(log);
	check_seen(n, 0, max);
	assert_int_equal(seen.seq[0], 1);
	assert_int_equal(st.records, n);
	assert_int_equal(st.bytes, bytes);
	assert_int_equal(st.last_seq, n);
	assert_int_equal(st.torn_bytes, 0);
	assert_true(st.seconds >= 0 && st.seconds < 10);
}

static void
test_round_trip(void **state)
{
	(void)state;
	round_trip(2000, MAX_LEN);
}

/*
 * test_msync_path -- the same round trip in a child process that sees
 * the mapping as it is (not pmem): the msync functions are chosen, and
 * the open line says so.
 */
static void
test_msync_path(void **state)
{
	char out[128], *envp[] = { "PMEM_IS_PMEM_FORCE=0", NULL };
	char *argv[] = { "test_pm_log", "test_round_trip", NULL };
	posix_spawn_file_actions_t fa;
	char log_text[4096] = "";
	pid_t pid;
	int status;
	(void)state;

	if (strcmp(getenv("PMEM_IS_PMEM_FORCE"), "1") != 0)
		skip();                 /* already the child */
	snprintf(out, sizeof(out), "%s.out", path);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, out, O_WRONLY | O_CREAT |
					 O_TRUNC, 0600);
	assert_int_equal(posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv,
				     envp), 0);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	int fd = open(out, O_RDONLY);
	assert_true(fd >= 0);
	assert_true(read(fd, log_text, sizeof(log_text) - 1) > 0);
	close(fd);
	unlink(out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	if (strstr(log_text, "real pmem: no (flush: msync)") == NULL)
		fail_msg("child said: %s", log_text);
}

static void
test_full(void **state)
{
	struct pm_replay_stats st;
	uint8_t rec[1000];
	unsigned n = 0;
	(void)state;

	memset(rec, 'r', sizeof(rec));
	struct pm_log *log = open_log(SMALL);
	pm_log_replay(log, NULL, NULL, false, &st, err, sizeof(err));
	assert_int_equal(pm_log_append(log, rec, 0), -EINVAL);
	while (pm_log_append(log, rec, sizeof(rec)) == 0)
		n++;
	assert_int_equal(n, 65536 / (16 + 1000));
	assert_int_equal(pm_log_append(log, rec, sizeof(rec)), -ENOSPC);
	uint64_t fb = pm_log_free_bytes(log);
	assert_true(fb > 0 && fb < sizeof(rec));
	assert_int_equal(pm_log_append(log, rec, (uint32_t)fb + 1), -ENOSPC);
	assert_int_equal(pm_log_append(log, rec, (uint32_t)fb), 0);
	assert_int_equal(pm_log_free_bytes(log), 0);
	assert_int_equal(pm_log_append(log, rec, 1), -ENOSPC);
	pm_log_close(log);              /* commits */

	assert_int_equal(replay(false, &st), 0);
	assert_int_equal(st.records, n + 1);
	assert_int_equal(st.torn_bytes, 0);
	assert_int_equal(seen.len[n], fb);
}

/* open_replayed -- open path and replay it (no callback). */
static struct pm_log *
open_replayed(void)
{
	struct pm_replay_stats st;
	struct pm_log *log = open_log(SMALL);

	assert_int_equal(pm_log_replay(log, NULL, NULL, false, &st, err,
				       sizeof(err)), 0);
	return log;
}

/*
 * test_switch_reclaim -- a snapshot's cut sends appends to the other log;
 * recovery replays both in sequence order, whichever log is older; a
 * reclaim resets the covered log only; a second switch waits for it.
 */
static void
test_switch_reclaim(void **state)
{
	struct pm_replay_stats st;
	uint64_t cut;
	(void)state;

	make_log(10, 100);
	struct pm_log *log = open_replayed();
	append_range(log, 10, 1, 100);          /* pending: committed */
	assert_int_equal(pm_log_switch(log, &cut), 0);
	assert_int_equal(cut, 11);
	assert_false(pm_log_pending(log));
	assert_int_equal(pm_log_cur_used_bytes(log), 0);
	assert_int_equal(pm_log_cur_size(log), 65536);
	append_range(log, 11, 4, 100);
	assert_int_equal(pm_log_last_seq(log), 15);
	/* The other log still holds records: no second switch. */
	assert_int_equal(pm_log_switch(log, &cut), -EBUSY);
	assert_int_equal(cut, 15);
	assert_true(pm_log_both_in_use(log));
	pm_log_close(log);

	assert_int_equal(replay(false, &st), 0);        /* log 0, then 1 */
	check_seen(15, 0, 100);
	assert_int_equal(st.last_seq, 15);

	log = open_replayed();
	assert_true(pm_log_both_in_use(log));
	assert_int_equal(pm_log_records(log), 15);
	pm_log_reclaim(log, 11);                        /* log 0 only */
	assert_false(pm_log_both_in_use(log));
	assert_int_equal(pm_log_records(log), 4);
	assert_int_equal(pm_log_used_bytes(log), pm_log_cur_used_bytes(log));
	assert_int_equal(pm_log_switch(log, &cut), 0);  /* back to log 0 */
	assert_int_equal(cut, 15);
	append_range(log, 15, 2, 100);
	pm_log_close(log);
	assert_int_equal(commit_of() >> PM_OFF_BITS, 1);

	assert_int_equal(replay(false, &st), 0);        /* log 1, then 0 */
	check_seen(6, 11, 100);
	assert_int_equal(seen.seq[0], 12);
	assert_int_equal(st.last_seq, 17);

	/* A reclaim of everything: numbers keep growing afterwards. */
	log = open_replayed();
	pm_log_reclaim(log, 17);
	assert_int_equal(pm_log_records(log), 0);
	assert_int_equal(pm_log_used_bytes(log), 0);
	pm_log_close(log);
	assert_int_equal(replay(false, &st), 0);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.torn_bytes, 0);
	log = open_replayed();
	append_range(log, 0, 1, 100);
	pm_log_close(log);
	assert_int_equal(replay(false, &st), 0);
	assert_int_equal(st.last_seq, 18);
}

/*
 * test_logs_not_in_sequence -- the newer log does not continue the older
 * one: refused, or with repair the newer log is dropped.
 */
static void
test_logs_not_in_sequence(void **state)
{
	struct pm_replay_stats st;
	uint64_t cut, second = second_start(SMALL);
	(void)state;

	make_log(5, 100);                       /* log 0: 1-5 */
	struct pm_log *log = open_replayed();
	assert_int_equal(pm_log_switch(log, &cut), 0);
	append_range(log, 5, 3, 100);           /* log 1: 6-8 */
	pm_log_close(log);
	log = open_replayed();
	pm_log_reclaim(log, 5);
	assert_int_equal(pm_log_switch(log, &cut), 0);
	append_range(log, 8, 2, 100);           /* log 0: 9-10 */
	pm_log_close(log);
	/* Cut log 1 after its second record (6-7), cleanly. */
	uint8_t buf[MAX_LEN];
	uint64_t off = second + rec_size(payload(5, 100, buf)) +
		       rec_size(payload(6, 100, buf));
	uint64_t w = commit_word(off, 0);
	file_write(128, &w, 8);
	uint8_t zero[PM_REC_HDR] = { 0 };
	file_write(off, zero, sizeof(zero));

	assert_int_equal(replay(false, &st), -EBADMSG);
	assert_non_null(strstr(err, "log 0 starts at record 9 but log 1 ends "
			       "at record 7"));
	assert_int_equal(replay(true, &st), 0);
	check_seen(2, 5, 100);
	assert_int_equal(replay(false, &st), 0);        /* stays repaired */
	check_seen(2, 5, 100);
	log = open_replayed();
	append_range(log, 0, 1, 100);
	pm_log_close(log);
	assert_int_equal(replay(false, &st), 0);
	assert_int_equal(st.records, 3);
	assert_int_equal(st.last_seq, 8);       /* log 1 goes on */
}

/*
 * test_reclaim_crash -- the states a crash inside a reclaim of log 0 can
 * leave: before its commit word switched, the log is whole; after it,
 * the log is empty although the old records are still in place.
 */
static void
test_reclaim_crash(void **state)
{
	struct pm_replay_stats st;
	uint64_t first_seq = 11;
	(void)state;

	/* Crash after first_seq, before the commit word. */
	make_log(10, 100);
	file_write(offsetof(struct pm_header, first_seq), &first_seq, 8);
	assert_int_equal(replay(false, &st), 0);
	check_seen(10, 0, 100);
	assert_int_equal(st.last_seq, 10);

	/* Crash after the commit word, before the old header is cleared:
	 * nothing old comes back, whatever the repair flag. */
	set_commit_word(PM_LOG_START, 1);
	assert_int_equal(replay(false, &st), 0);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.torn_bytes, rec_off(1, 100) - PM_LOG_START);
	assert_int_equal(replay(false, &st), 0);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.torn_bytes, 0);     /* cleared the first time */

	/*
	 * Old records behind a new first record cannot chain to it, even
	 * with the same bytes and sequence number as the old first record
	 * (first_seq was never bumped here) and no commit to clear them.
	 */
	make_log(10, 100);
	set_commit_word(PM_LOG_START, 1);
	crash_child(0, 0, 1, 100);
	assert_int_equal(replay(false, &st), 0);
	check_seen(1, 0, 100);
	assert_int_equal(st.last_seq, 1);
	assert_int_equal(st.torn_bytes, rec_off(2, 100) - rec_off(1, 100));
}

/*
 * every_byte -- for each byte of the last of n records (header and
 * payload), damage it (truncate from there, or flip one bit) in a copy of
 * the region and recover. Uncommitted, the last record is a torn tail:
 * exactly n - 1 records come back, and appends and a second recovery
 * work. Committed, it is corruption: refused, then repaired to n - 1.
 */
static void
every_byte(bool truncate, bool committed)
{
	enum { N = 20, MAX = 200 };
	static uint8_t golden[SMALL], img[SMALL];
	struct pm_replay_stats st;
	uint64_t last = rec_off(N - 1, MAX);
	uint8_t buf[MAX_LEN];
	uint32_t len = payload(N - 1, MAX, buf);

	make_log(N, MAX);
	if (!committed)
		set_commit_word(last, 0);
	file_read(golden, sizeof(golden));
	for (uint64_t k = 0; k < PM_REC_HDR + len; k++) {
		memcpy(img, golden, sizeof(img));
		if (truncate)
			memset(img + last + k, 0, PM_REC_HDR + len - k);
		else
			img[last + k] ^= (uint8_t)(1u << (k % 8));
		file_write(0, img, sizeof(img));
		if (committed) {
			assert_int_equal(replay(false, &st), -EBADMSG);
			assert_non_null(strstr(err, "in the middle of the "
					       "log"));
			assert_int_equal(seen.n, N - 1);
			assert_int_equal(replay(true, &st), 0);
		} else {
			assert_int_equal(replay(false, &st), 0);
		}
		check_seen(N - 1, 0, MAX);
		assert_int_equal(st.last_seq, N - 1);
		/* A zeroed header is a clean end, anything else torn. */
		assert_int_equal(st.torn_bytes == 0, truncate && k == 0 &&
				 !committed);
		assert_int_equal(commit_of(), commit_word(last, 0));

		/* The log goes on after the intact prefix. */
		struct pm_log *log = open_log(SMALL);
		pm_log_replay(log, NULL, NULL, false, &st, err, sizeof(err));
		append_range(log, 1000, 2, MAX);
		pm_log_close(log);
		assert_int_equal(replay(false, &st), 0);
		assert_int_equal(st.records, N + 1);
		assert_int_equal(st.torn_bytes, 0);
		assert_int_equal(seen.seq[N], N + 1);
		assert_int_equal(seen.len[N - 1], payload(1000, MAX, buf));
	}
}

static void
test_truncate_every_byte(void **state)
{
	(void)state;
	every_byte(true, false);
}

static void
test_flip_every_byte(void **state)
{
	(void)state;
	every_byte(false, false);
}

static void
test_truncate_every_byte_committed(void **state)
{
	(void)state;
	every_byte(true, true);
}

static void
test_flip_every_byte_committed(void **state)
{
	(void)state;
	every_byte(false, true);
}

static void
test_uncommitted_tail_replayed(void **state)
{
	struct pm_replay_stats st;
	(void)state;

	make_log(0, 100);
	crash_child(0, 3, 2, 100);
	struct pm_log *log = open_log(SMALL);
	assert_int_equal(pm_log_records(log), 0);
	assert_int_equal(pm_log_used_bytes(log), rec_off(3, 100) -
			 PM_LOG_START);
	assert_int_equal(pm_log_replay(log, collect, &seen, false, &st, err,
				       sizeof(err)), 0);
	check_seen(5, 0, 100);
	assert_int_equal(st.torn_bytes, 0);
	/* The commit word now covers what was replayed. */
	assert_int_equal(pm_log_records(log), 5);
	assert_int_equal(pm_log_used_bytes(log), rec_off(5, 100) -
			 PM_LOG_START);
	pm_log_close(log);
	assert_int_equal(commit_of(), commit_word(rec_off(5, 100), 0));

	/* Nothing ever committed, all intact. */
	make_log(0, 100);
	crash_child(0, 0, 4, 100);
	assert_int_equal(replay(false, &st), 0);
	check_seen(4, 0, 100);
}

/* test_torn_after_intact_tail -- intact uncommitted records, then a torn
 * one, then an intact one that must not be replayed. */
static void
test_torn_after_intact_tail(void **state)
{
	struct pm_replay_stats st;
	(void)state;

	make_log(0, 100);
	crash_child(0, 2, 4, 100);
	file_flip(rec_off(4, 100) + 4, 0x5a);           /* record 4's CRC */
	assert_int_equal(replay(false, &st), 0);
	check_seen(4, 0, 100);
	assert_int_equal(st.torn_bytes, rec_off(5, 100) - rec_off(4, 100));
	assert_int_equal(commit_of(), commit_word(rec_off(4, 100), 0));
}

/* replay_into_seen -- pm_log_replay of an open log into seen. */
static void
replay_into_seen(struct pm_log *log, struct pm_replay_stats *st)
{
	seen.n = 0;
	assert_int_equal(pm_log_replay(log, collect, &seen, false, st, err,
				       sizeof(err)), 0);
}

/*
 * test_replay_twice -- a second pm_log_replay before any append (the
 * store scans a log, then replays it) sees the records the first one
 * kept, from both logs, and appends go on after them.
 */
static void
test_replay_twice(void **state)
{
	struct pm_replay_stats st;
	uint64_t cut;
	(void)state;

	make_log(0, 100);
	crash_child(0, 2, 4, 100);
	file_flip(rec_off(4, 100) + 4, 0x5a);           /* record 4 torn */
	struct pm_log *log = open_log(SMALL);
	replay_into_seen(log, &st);
	check_seen(4, 0, 100);
	assert_true(st.torn_bytes > 0);
	replay_into_seen(log, &st);
	check_seen(4, 0, 100);
	assert_int_equal(st.torn_bytes, 0);
	assert_int_equal(st.last_seq, 4);
	assert_int_equal(pm_log_switch(log, &cut), 0);
	assert_int_equal(cut, 4);
	append_range(log, 4, 2, 100);
	pm_log_close(log);

	log = open_log(SMALL);                          /* both logs */
	replay_into_seen(log, &st);
	check_seen(6, 0, 100);
	replay_into_seen(log, &st);
	check_seen(6, 0, 100);
	append_range(log, 6, 1, 100);
	assert_int_equal(pm_log_last_seq(log), 7);
	pm_log_close(log);
	assert_int_equal(replay(false, &st), 0);
	check_seen(7, 0, 100);
}

/*
 * test_stale_record_not_chained -- record 4 torn, record 5 intact behind
 * it; recovery drops both. The next record 4 has the same length but
 * other bytes, and the crash comes before its commit: the old record 5,
 * still in place with the right sequence number, must not come back.
 */
static void
test_stale_record_not_chained(void **state)
{
	struct pm_replay_stats st;
	(void)state;

	make_log(0, 100);
	crash_child(0, 4, 2, 100);
	file_flip(rec_off(4, 100) + PM_REC_HDR, 0x77);
	assert_int_equal(replay(false, &st), 0);
	check_seen(4, 0, 100);

	/* payload(4) with another first byte: same length, new CRC. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint8_t buf[MAX_LEN];
		uint32_t len = payload(4, 100, buf);
		struct pm_log *log = pm_log_open(path, SMALL, 0, err,
						 sizeof(err));

		buf[0] ^= 0x01;
		if (log == NULL || pm_log_replay(log, NULL, NULL, false, &st,
						 err, sizeof(err)) != 0 ||
		    pm_log_append(log, buf, len) != 0)
			_exit(1);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(replay(false, &st), 0);
	assert_int_equal(st.records, 5);                /* not 6 */
	assert_int_equal(st.last_seq, 5);
}

static void
test_middle_corruption(void **state)
{
	struct pm_replay_stats st;
	uint64_t off = rec_off(3, 100), commit;
	char want[64];
	(void)state;

	make_log(50, 100);
	commit = commit_of();
	file_flip(off + PM_REC_HDR + 2, 0xee);
	assert_int_equal(replay(false, &st), -EBADMSG);
	snprintf(want, sizeof(want), "corrupt record at offset %llu (record 4 of log 0)",
		 (unsigned long long)off);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "in the middle of the log"));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_int_equal(commit_of(), commit);          /* left alone */
	/* Refused again: nothing changed. */
	assert_int_equal(replay(false, &st), -EBADMSG);

	struct pm_log *log = open_log(SMALL);
	assert_int_equal(pm_log_replay(log, NULL, NULL, false, &st, err,
				       sizeof(err)), -EBADMSG);
	assert_int_equal(pm_log_append(log, "x", 1), -EBUSY);
	pm_log_close(log);

	assert_int_equal(replay(true, &st), 0);
	check_seen(3, 0, 100);
	assert_int_equal(st.torn_bytes, (commit & PM_OFF_MASK) - off);
	assert_int_equal(commit_of(), commit_word(off, 0));
	assert_int_equal(replay(false, &st), 0);
	check_seen(3, 0, 100);
	assert_int_equal(st.torn_bytes, 0);
}

/* test_middle_header_corruption -- a sequence number out of order. */
static void
test_middle_header_corruption(void **state)
{
	struct pm_replay_stats st;
	uint64_t seq = 99;
	(void)state;

	make_log(10, 100);
	file_write(rec_off(5, 100) + 8, &seq, 8);
	assert_int_equal(replay(false, &st), -EBADMSG);
	assert_int_equal(replay(true, &st), 0);
	check_seen(5, 0, 100);
}

static void
test_callback_error(void **state)
{
	struct pm_replay_stats st;
	(void)state;

	make_log(10, 100);
	uint64_t commit = commit_of();
	seen.fail_at = 4;
	assert_int_equal(replay(false, &st), -EIO);
	assert_int_equal(seen.n, 3);
	assert_int_equal(commit_of(), commit);
	seen.fail_at = 0;
	assert_int_equal(replay(false, &st), 0);
	check_seen(10, 0, 100);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_create_and_reopen),
	T(test_header_errors),
	T(test_round_trip),
	T(test_msync_path),
	T(test_full),
	T(test_switch_reclaim),
	T(test_logs_not_in_sequence),
	T(test_reclaim_crash),
	T(test_truncate_every_byte),
	T(test_flip_every_byte),
	T(test_truncate_every_byte_committed),
	T(test_flip_every_byte_committed),
	T(test_uncommitted_tail_replayed),
	T(test_torn_after_intact_tail),
	T(test_replay_twice),
	T(test_stale_record_not_chained),
	T(test_middle_corruption),
	T(test_middle_header_corruption),
	T(test_callback_error),
};

RP_TEST_MAIN(tests, 0)
