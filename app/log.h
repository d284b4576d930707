/*
 * log.h -- redpoll's log: DPDK's rte_log with Redis's line format.
 *
 * redpoll registers its own log types (redpoll.app, redpoll.pmem,
 * redpoll.net here; the store registers redpoll.store itself) and points
 * rte_log's stream at a writer that prefixes every line as Redis does:
 *
 *   pid:role dd Mon yyyy hh:mm:ss.mmm <level-char> message
 *
 * role is 'M' on the main lcore (and before the EAL starts), 'W' on a
 * worker lcore; the level character is Redis's: '.' debug, '-' verbose
 * (RTE_LOG_INFO), '*' notice, '#' warning and above. DPDK's own messages
 * (EAL, drivers) go through the same writer; loglevel caps them too, and
 * the EAL's --log-level=TYPE:LEVEL sets single types below that cap.
 * Lines are written with one write(2) each to standard output, which the
 * logfile directive redirects.
 */
#ifndef RP_LOG_H
#define RP_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include <rte_log.h>

#include "cfg.h"

extern int rp_logtype_app;
extern int rp_logtype_pmem;
extern int rp_logtype_net;

/* RP_LOG -- log one line: RP_LOG(NOTICE, app, "ready on %s", name). */
#define RP_LOG(level, type, fmt, ...)                                   \
	rte_log(RTE_LOG_##level, rp_logtype_##type, fmt "\n", ##__VA_ARGS__)

/*
 * rp_log_init -- register redpoll's log types, set their level from the
 * loglevel directive and send every rte_log message to fd with Redis's
 * prefix. Call before rte_eal_init so that the EAL's lines are formatted
 * too. Returns 0 or a negative errno.
 */
int rp_log_init(int fd, enum cfg_loglevel level);

/*
 * rp_log_fini -- give rte_log its default stream back and close ours.
 */
void rp_log_fini(void);

/*
 * rp_log_set_level -- apply a loglevel value (at start and on CONFIG SET
 * loglevel): the level of every redpoll.* type and the global rte_log
 * level, which caps DPDK's own types as well.
 */
void rp_log_set_level(enum cfg_loglevel level);

/* rp_log_rte_level -- the rte_log level of a loglevel value. */
uint32_t rp_log_rte_level(enum cfg_loglevel level);

/* rp_log_level_char -- Redis's character for an rte_log level. */
char rp_log_level_char(uint32_t rte_level);

/*
 * rp_log_format_prefix -- "pid:role dd Mon yyyy hh:mm:ss.mmm c " for the
 * local time tv into buf (NUL-ended). Returns its length, or 0 if buf is
 * too short.
 */
size_t rp_log_format_prefix(char *buf, size_t len, int pid, char role,
			    const struct timeval *tv, uint32_t rte_level);

#endif /* RP_LOG_H */
