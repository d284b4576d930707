/*
 * fuzz_pm_replay.c -- log recovery on arbitrary log contents. The first
 * two input bytes choose the commit point (a multiple of 8 inside the
 * body), the rest becomes the log body after a valid region header. The
 * log is recovered three times: without repair (succeeds or refuses),
 * with repair (always succeeds, then takes an append), and once more
 * (finds exactly what the repair kept plus the append, nothing torn).
 * Recovery must never crash, read outside the region or loop.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pm.h"

#define LOG_START 4096
#define BODY_MAX  65536
#define REGION    (LOG_START + BODY_MAX + 4096)

struct walk {
	uint64_t n;
	uint64_t prev_seq;
	uint8_t sink;
};

/* touch -- replay callback: read every byte, check the numbering. */
static int
touch(void *ctx, uint64_t seq, const void *rec, uint32_t len)
{
	struct walk *w = ctx;
	const volatile uint8_t *p = rec;

	assert(len > 0 && len <= BODY_MAX);
	assert(w->n == 0 || seq == w->prev_seq + 1);
	for (uint32_t i = 0; i < len; i++)
		w->sink ^= p[i];
	w->n++;
	w->prev_seq = seq;
	return 0;
}

/* recover -- open path and replay it; returns the replay's rc. */
static int
recover(const char *path, bool repair, struct pm_replay_stats *st,
	struct pm_log **out)
{
	char err[512];
	struct walk w = { 0 };
	struct pm_log *log = pm_log_open(path, REGION, 0, err, sizeof(err));
	int rc;

	assert(log != NULL);
	rc = pm_log_replay(log, touch, &w, repair, st, err, sizeof(err));
	assert(rc == 0 || rc == -EBADMSG);
	assert(rc != 0 || w.n == st->records);
	*out = log;
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct pm_replay_stats st1, st2, st3;
	struct pm_log *log;
	char err[512];
	size_t body = size > 2 ? size - 2 : 0;
	uint64_t commit, sel = size >= 2 ? data[0] | data[1] << 8 : 0;
	int rc, fd;

	if (path[0] == '\0') {
		setenv("PMEM_IS_PMEM_FORCE", "1", 0);
		snprintf(path, sizeof(path), "/dev/shm/rpfuzz-pm-%d",
			 (int)getpid());
	}
	if (body > BODY_MAX)
		body = BODY_MAX;
	commit = LOG_START + 8 * (sel % (body / 8 + 1));

	unlink(path);
	log = pm_log_open(path, REGION, 0, err, sizeof(err));
	assert(log != NULL);
	pm_log_close(log);
	fd = open(path, O_RDWR);
	assert(fd >= 0);
	assert(pwrite(fd, data + 2, body, LOG_START) == (ssize_t)body);
	assert(pwrite(fd, &commit, 8, 64) == 8);        /* generation 0 */
	close(fd);

	rc = recover(path, false, &st1, &log);
	pm_log_close(log);

	assert(recover(path, true, &st2, &log) == 0);
	if (rc == 0)
		assert(st2.records == st1.records && st2.torn_bytes == 0);
	assert(st2.bytes + 16 * st2.records <= REGION - LOG_START);
	int app = pm_log_append(log, "after", 5);
	assert(app == 0 || app == -ENOSPC);
	pm_log_close(log);

	assert(recover(path, false, &st3, &log) == 0);
	assert(st3.records == st2.records + (app == 0));
	assert(st3.torn_bytes == 0);
	pm_log_close(log);
	unlink(path);
	return 0;
}
