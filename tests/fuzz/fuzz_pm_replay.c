/*
 * fuzz_pm_replay.c -- log recovery on arbitrary region contents: the
 * input becomes the log area of a region with a valid header, then it is
 * replayed with and without repair. Recovery must never crash, read out
 * of bounds or hand out a record that does not lie inside the region.
 */
#include <assert.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pm.h"

#define REGION (1 << 20)
#define LOG_START 4096

static int
count(void *ctx, uint64_t seq, const void *rec, uint32_t len)
{
	(void)seq;
	assert(len > 0 && len < REGION);
	/* Touch every byte: ASan catches a record out of the mapping. */
	const volatile uint8_t *p = rec;
	uint8_t x = 0;
	for (uint32_t i = 0; i < len; i++)
		x ^= p[i];
	*(uint8_t *)ctx ^= x;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[256];
	uint8_t sink = 0;
	struct pm_replay_stats st;

	setenv("PMEM_IS_PMEM_FORCE", "1", 1);
	snprintf(path, sizeof(path), "/dev/shm/rpfuzz-%d.pmem", (int)getpid());
	unlink(path);
	struct pm_log *log = pm_log_open(path, REGION, 0, err, sizeof(err));
	assert(log != NULL);
	/* A valid record first, so that the fuzzed bytes follow a log. */
	assert(pm_log_append(log, "seed", 4) == 0);
	pm_log_commit(log);
	pm_log_close(log);

	int fd = open(path, O_RDWR);
	assert(fd >= 0);
	size_t n = size < REGION - LOG_START - 24 ? size : REGION - LOG_START - 24;
	/* Odd inputs overwrite the seed record, even ones follow it. */
	off_t at = (size & 1) ? LOG_START : LOG_START + 24;
	assert(pwrite(fd, data, n, at) == (ssize_t)n);
	if (size > 8 && data[0] == 0xc0) {
		/* Also fuzz the commit field (offset 64). */
		uint64_t commit;
		memcpy(&commit, data + 1, 8);
		assert(pwrite(fd, &commit, 8, 64) == 8);
	}
	close(fd);

	for (int repair = 0; repair < 2; repair++) {
		log = pm_log_open(path, REGION, 0, err, sizeof(err));
		if (log == NULL)
			break;   /* refused at open: a clear error is fine */
		pm_log_replay(log, count, &sink, repair, &st, err,
			      sizeof(err));
		/* Appends after any recovery must work or say ENOSPC. */
		int rc = pm_log_append(log, "after", 5);
		assert(rc == 0 || rc == -28);
		pm_log_close(log);
	}
	unlink(path);
	return 0;
}
