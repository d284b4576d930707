/*
 * test_pm_log.c -- pmem/pm_log.c on /dev/shm files: append, commit and
 * replay; a torn or corrupt last record at every byte; corruption in the
 * middle; header validation; a full log; reset; CRC32C.
 */
#include <errno.h>
#include <fcntl.h>

#include "unit.h"

#include "pm.h"

uint32_t pm_crc32c_sw(uint32_t crc, const void *buf, size_t len);

#define REGION (1 << 20)
#define LOG_START 4096

static char path[64];
static char err[256];

struct seen {
	unsigned n;
	uint32_t lens[4096];
	uint8_t first[4096];
};

static int
collect(void *ctx, uint64_t seq, const void *rec, uint32_t len)
{
	struct seen *s = ctx;
	(void)seq;
	s->lens[s->n] = len;
	s->first[s->n] = *(const uint8_t *)rec;
	s->n++;
	return 0;
}

/* make_log -- a fresh region with n committed records of varied size;
 * returns the offset where the last record starts. */
static uint64_t
make_log(unsigned n)
{
	uint8_t buf[300];
	uint64_t off = LOG_START, last = 0;

	unlink(path);
	struct pm_log *log = pm_log_open(path, REGION, 0, err, sizeof(err));
	assert_non_null(log);
	for (unsigned i = 0; i < n; i++) {
		uint32_t len = 1 + (i * 37) % 200;
		memset(buf, (int)i, len);
		assert_int_equal(pm_log_append(log, buf, len), 0);
		last = off;
		off += 16 + ((len + 7) & ~7u);
	}
	pm_log_commit(log);
	pm_log_close(log);
	return last;
}

/* replay -- reopen and replay; returns rc. */
static int
replay(struct seen *s, bool repair, struct pm_replay_stats *st)
{
	struct pm_log *log = pm_log_open(path, REGION, 0, err, sizeof(err));
	assert_non_null(log);
	memset(s, 0, sizeof(*s));
	int rc = pm_log_replay(log, collect, s, repair, st, err, sizeof(err));
	pm_log_close(log);
	return rc;
}

/* poke -- overwrite bytes of the region file. */
static void
poke(uint64_t off, const void *b, size_t n)
{
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, b, n, (off_t)off), (ssize_t)n);
	close(fd);
}

static uint8_t
peek(uint64_t off)
{
	uint8_t b;
	int fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	close(fd);
	return b;
}

static void
test_round_trip(void **state)
{
	struct seen s;
	struct pm_replay_stats st;
	(void)state;

	make_log(500);
	assert_int_equal(replay(&s, false, &st), 0);
	assert_int_equal(s.n, 500);
	assert_int_equal(st.records, 500);
	assert_int_equal(st.last_seq, 500);
	assert_int_equal(st.torn_bytes, 0);
	for (unsigned i = 0; i < 500; i++) {
		assert_int_equal(s.lens[i], 1 + (i * 37) % 200);
		assert_int_equal(s.first[i], (uint8_t)i);
	}
}

/*
 * test_last_record_every_byte -- corrupt (bit flip) every byte of the
 * last record, and truncate it at every byte (zeroing from there): each
 * time exactly the first N-1 records come back, then appends work.
 */
static void
test_last_record_every_byte(void **state)
{
	const unsigned n = 20;
	uint64_t last = make_log(n);
	uint32_t len = 1 + ((n - 1) * 37) % 200;
	uint64_t end = last + 16 + ((len + 7) & ~7u);
	(void)state;

	for (uint64_t off = last; off < last + 16 + len; off++) {
		for (int mode = 0; mode < 2; mode++) {
			struct seen s;
			struct pm_replay_stats st;
			make_log(n);
			if (mode == 0) {
				uint8_t b = peek(off) ^ 0x10;
				poke(off, &b, 1);
			} else {
				static const uint8_t zero[512];
				poke(off, zero, end - off);
			}
			assert_int_equal(replay(&s, false, &st), 0);
			assert_int_equal(s.n, n - 1);
			assert_int_equal(st.last_seq, n - 1);
			/* The log goes on after the intact prefix. */
			struct pm_log *log = pm_log_open(path, REGION, 0, err,
							 sizeof(err));
			struct seen s2;
			memset(&s2, 0, sizeof(s2));
			assert_int_equal(pm_log_replay(log, collect, &s2, false,
						       &st, err, sizeof(err)), 0);
			assert_int_equal(pm_log_append(log, "Z", 1), 0);
			pm_log_commit(log);
			pm_log_close(log);
			assert_int_equal(replay(&s, false, &st), 0);
			assert_int_equal(s.n, n);
			assert_int_equal(s.first[n - 1], 'Z');
		}
	}
}

/* test_uncommitted_tail_replayed -- intact records past the commit
 * point were durable enough: they come back. */
static void
test_uncommitted_tail_replayed(void **state)
{
	struct seen s;
	struct pm_replay_stats st;
	(void)state;

	unlink(path);
	struct pm_log *log = pm_log_open(path, REGION, 0, err, sizeof(err));
	struct seen tmp;
	memset(&tmp, 0, sizeof(tmp));
	assert_int_equal(pm_log_replay(log, collect, &tmp, false, &st, err,
				       sizeof(err)), 0);
	assert_int_equal(pm_log_append(log, "a", 1), 0);
	pm_log_commit(log);
	assert_int_equal(pm_log_append(log, "b", 1), 0);
	assert_true(pm_log_pending(log));
	/* Simulate a crash: the mapping is a file, the bytes are there. */
	pm_log_close(log);
	assert_int_equal(replay(&s, false, &st), 0);
	assert_int_equal(s.n, 2);
}

static void
test_middle_corruption(void **state)
{
	struct seen s;
	struct pm_replay_stats st;
	(void)state;

	make_log(50);
	/* Record 0 is 1 byte (24 with header and padding): corrupt the
	 * data of record 1. */
	uint8_t b = peek(LOG_START + 24 + 16 + 2) ^ 0xff;
	poke(LOG_START + 24 + 16 + 2, &b, 1);
	assert_int_equal(replay(&s, false, &st), -EBADMSG);
	assert_non_null(strstr(err, "in the middle of the log"));
	assert_int_equal(replay(&s, true, &st), 0);
	assert_int_equal(s.n, 1);    /* truncated after record 0 */
	assert_int_equal(replay(&s, false, &st), 0);
	assert_int_equal(s.n, 1);
}

static void
test_header_validation(void **state)
{
	(void)state;

	make_log(1);
	assert_null(pm_log_open(path, REGION, 3, err, sizeof(err)));
	assert_non_null(strstr(err, "region belongs to worker 0, not 3"));
	uint64_t bad = 0x1234;
	poke(0, &bad, 8);
	assert_null(pm_log_open(path, REGION, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "not a redpoll region (bad magic)"));
	make_log(1);
	uint64_t commit = REGION * 2;
	poke(64, &commit, 8);
	assert_null(pm_log_open(path, REGION, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "header offsets out of bounds"));
}

static void
test_full_and_reset(void **state)
{
	struct seen s;
	struct pm_replay_stats st;
	char rec[1000];
	unsigned n = 0;
	(void)state;

	unlink(path);
	struct pm_log *log = pm_log_open(path, REGION, 0, err, sizeof(err));
	memset(&s, 0, sizeof(s));
	pm_log_replay(log, collect, &s, false, &st, err, sizeof(err));
	memset(rec, 'r', sizeof(rec));
	while (pm_log_append(log, rec, sizeof(rec)) == 0)
		n++;
	assert_int_equal(pm_log_append(log, rec, sizeof(rec)), -ENOSPC);
	assert_true(pm_log_free_bytes(log) < sizeof(rec) + 16);
	assert_int_equal(pm_log_append(log, rec, 0), -EINVAL);
	pm_log_commit(log);
	assert_true(n > 1000);
	pm_log_reset(log);
	assert_int_equal(pm_log_append(log, "new", 3), 0);
	pm_log_commit(log);
	pm_log_close(log);
	assert_int_equal(replay(&s, false, &st), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.first[0], 'n');
}

static void
test_crc32c(void **state)
{
	(void)state;
	assert_int_equal(pm_crc32c(0, "123456789", 9), 0xE3069283);
	assert_int_equal(pm_crc32c_sw(0, "123456789", 9), 0xE3069283);
	char buf[1000];
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7);
	for (unsigned n = 0; n < sizeof(buf); n += 13)
		assert_int_equal(pm_crc32c(5, buf, n), pm_crc32c_sw(5, buf, n));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_round_trip),
	cmocka_unit_test(test_last_record_every_byte),
	cmocka_unit_test(test_uncommitted_tail_replayed),
	cmocka_unit_test(test_middle_corruption),
	cmocka_unit_test(test_header_validation),
	cmocka_unit_test(test_full_and_reset),
	cmocka_unit_test(test_crc32c),
};

int
main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	setenv("PMEM_IS_PMEM_FORCE", "1", 1);
	snprintf(path, sizeof(path), "/dev/shm/rptest-pm-%d", (int)getpid());
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	return rc;
}
