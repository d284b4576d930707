/*
 * telemetry.h -- redpoll's commands in DPDK telemetry (/redpoll/...), so
 * that dpdk-telemetry.py and any client of the telemetry socket see the
 * same figures as INFO and redpollctl.
 *
 * The callbacks run in DPDK's telemetry thread and read the workers'
 * counters without a message: each is a naturally aligned 64-bit word
 * written by its one worker, so a read is never torn, at most one poll
 * iteration old. They never touch a shard.
 */
#ifndef RP_TELEMETRY_H
#define RP_TELEMETRY_H

struct dp_worker;

/*
 * rp_telemetry_register -- register /redpoll/info, /redpoll/workers and
 * /redpoll/net for the n workers (until rp_telemetry_detach: DPDK has
 * no unregister). Returns 0 or a negative errno.
 */
int rp_telemetry_register(struct dp_worker *const *workers, unsigned n);

/*
 * rp_telemetry_detach -- before the workers are freed: the commands then
 * answer as if there were no worker.
 */
void rp_telemetry_detach(void);

#endif /* RP_TELEMETRY_H */
