/*
 * log.c -- rte_log's stream with Redis's line prefix (see log.h).
 *
 * rte_vlog records the level of the message being written in a per-lcore
 * variable, formats it into our stream and flushes. The stream is
 * unbuffered, so glibc formats each message into a buffer of its own and
 * hands it to log_write in one call, under the stream's lock; log_write
 * asks rte_log_cur_msg_loglevel() for the level and writes every line of
 * the message with its prefix in one writev.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <rte_lcore.h>
#include <rte_log.h>

#include "log.h"

int rp_logtype_app = RTE_LOGTYPE_USER1;
int rp_logtype_pmem = RTE_LOGTYPE_USER1;
int rp_logtype_net = RTE_LOGTYPE_USER1;

#define LOG_PREFIX_LEN 64

static FILE *log_stream;
static int log_fd = -1;

uint32_t
rp_log_rte_level(enum cfg_loglevel level)
{
	switch (level) {
	case CFG_LOG_DEBUG:
		return RTE_LOG_DEBUG;
	case CFG_LOG_VERBOSE:
		return RTE_LOG_INFO;
	case CFG_LOG_NOTICE:
		return RTE_LOG_NOTICE;
	case CFG_LOG_WARNING:
		return RTE_LOG_WARNING;
	}
	return RTE_LOG_NOTICE;
}

char
rp_log_level_char(uint32_t rte_level)
{
	if (rte_level >= RTE_LOG_DEBUG)
		return '.';
	if (rte_level == RTE_LOG_INFO)
		return '-';
	if (rte_level == RTE_LOG_NOTICE)
		return '*';
	return '#';
}

size_t
rp_log_format_prefix(char *buf, size_t len, int pid, char role,
		     const struct timeval *tv, uint32_t rte_level)
{
	struct tm tm;
	char date[32];
	int n;

	localtime_r(&tv->tv_sec, &tm);
	if (strftime(date, sizeof(date), "%d %b %Y %H:%M:%S", &tm) == 0)
		return 0;
	n = snprintf(buf, len, "%d:%c %s.%03d %c ", pid, role, date,
		     (int)(tv->tv_usec / 1000), rp_log_level_char(rte_level));
	if (n < 0 || (size_t)n >= len)
		return 0;
	return (size_t)n;
}

/* log_role -- 'W' on a worker lcore, 'M' anywhere else. */
static char
log_role(void)
{
	unsigned lc = rte_lcore_id();

	return lc == LCORE_ID_ANY || lc == rte_get_main_lcore() ? 'M' : 'W';
}

/* log_writev -- write the whole iovec, retrying after EINTR and short
 * writes; a failing log has nowhere to report to, so errors are dropped. */
static void
log_writev(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
}

/*
 * log_write -- the stream's write function: one formatted message (or
 * a part of one longer than stdio's buffer); every line gets a prefix.
 */
static ssize_t
log_write(void *cookie, const char *buf, size_t size)
{
	char prefix[LOG_PREFIX_LEN];
	struct timeval tv;
	size_t plen, off = 0;
	int fd = *(int *)cookie;

	gettimeofday(&tv, NULL);
	plen = rp_log_format_prefix(prefix, sizeof(prefix), (int)getpid(),
				    log_role(), &tv,
				    (uint32_t)rte_log_cur_msg_loglevel());
	while (off < size) {
		const char *nl = memchr(buf + off, '\n', size - off);
		size_t llen = nl ? (size_t)(nl - (buf + off)) : size - off;
		struct iovec iov[3] = {
			{ prefix, plen },
			{ (char *)buf + off, llen },
			{ "\n", 1 },
		};
		log_writev(fd, iov, 3);
		off += llen + (nl != NULL);
	}
	return (ssize_t)size;
}

/*
 * rp_log_set_level -- loglevel is the cap of every message (the global
 * rte_log level, so that DPDK's own INFO lines follow it too) and the
 * level of every redpoll.* type.
 */
void
rp_log_set_level(enum cfg_loglevel level)
{
	uint32_t lvl = rp_log_rte_level(level);

	rte_log_set_global_level(lvl);
	rte_log_set_level_pattern("redpoll.*", lvl);
}

int
rp_log_init(int fd, enum cfg_loglevel level)
{
	static const cookie_io_functions_t io = { .write = log_write };
	uint32_t lvl = rp_log_rte_level(level);
	int t;

	if ((t = rte_log_register_type_and_pick_level("redpoll.app", lvl)) < 0)
		return t;
	rp_logtype_app = t;
	if ((t = rte_log_register_type_and_pick_level("redpoll.pmem", lvl)) < 0)
		return t;
	rp_logtype_pmem = t;
	if ((t = rte_log_register_type_and_pick_level("redpoll.net", lvl)) < 0)
		return t;
	rp_logtype_net = t;
	/* Types registered elsewhere (redpoll.store) follow loglevel too. */
	rp_log_set_level(level);

	log_fd = fd;
	log_stream = fopencookie(&log_fd, "w", io);
	if (log_stream == NULL)
		return -errno;
	setvbuf(log_stream, NULL, _IONBF, 0);
	if (rte_openlog_stream(log_stream) != 0) {
		fclose(log_stream);
		log_stream = NULL;
		return -EINVAL;
	}
	return 0;
}

void
rp_log_fini(void)
{
	if (log_stream == NULL)
		return;
	rte_openlog_stream(NULL);
	fclose(log_stream);
	log_stream = NULL;
}
