/*
 * worker.c -- the poll loop of a worker lcore.
 *
 * One iteration (ARCHITECTURE.md "Packet path"):
 *   1. rx_burst from the worker's queue (with software steering,
 *      dataplane/steer.c: the frames of flows other workers own go to
 *      them, and theirs for this worker come in);
 *   2-4. Ethernet/ARP/IPv4/ICMP/TCP input; payload parsed and executed
 *      against the shard by the connection layer (replies queued in the
 *      TCP send queues, not yet sent); then the control plane's requests
 *      (dataplane/ctl.c), whose replies are held like the others;
 *   5. deferred connection closes;
 *   6. group commit: one pmem drain for every write of the iteration
 *      (persistence sync), or at most every persistence-async-us (async);
 *      then the control plane's replies are released;
 *   7. replies and ACKs segmented and transmitted, UDP replies
 *      (dataplane/udp.c) released; with software steering, the frames
 *      of workers without a queue sent on this worker's;
 *   8. timers (TCP, ARP, active expiry) with bounded work.
 * When idle for worker-idle-polls iterations, the worker sleeps
 * worker-idle-sleep-us per empty poll so that a shared machine stays
 * usable; 0 disables this (dedicated cores).
 */
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "cfg.h"
#include "conn.h"
#include "ctl.h"
#include "impair.h"
#include "kv.h"
#include "pm.h"
#include "steer.h"
#include "tcp.h"
#include "udp.h"
#include "worker.h"
#include "xcore.h"

static const char *const worker_counter_names[] = {
#define DP_WORKER_NAME(n) #n,
	DP_WORKER_COUNTERS(DP_WORKER_NAME)
#undef DP_WORKER_NAME
};

const char *
dp_worker_counter_name(enum dp_worker_counter c)
{
	return c < DP_W__MAX ? worker_counter_names[c] : "?";
}

/* worker_commit -- group commit according to the persistence mode. */
static void
worker_commit(struct dp_worker *w)
{
	if (w->log == NULL || !pm_log_pending(w->log))
		return;
	if (w->cfg->persistence == CFG_PERSIST_ASYNC) {
		uint64_t delay = (uint64_t)w->cfg->persist_async_us *
				 w->net.tsc_hz / 1000000;
		if (w->net.now_tsc - w->last_commit_tsc < delay)
			return;
	}
	kv_commit(w->shard);
	w->last_commit_tsc = w->net.now_tsc;
	w->counters[DP_W_commits]++;
}

double
dp_worker_cycles_per_request(const struct dp_worker *w, bool last_s)
{
	uint64_t busy = last_s ? w->busy_last_s :
			w->counters[DP_W_busy_cycles];
	uint64_t reqs = last_s ? w->commands_last_s :
			w->counters[DP_W_commands];

	return reqs != 0 ? (double)busy / (double)reqs : 0;
}

/* thread_cpu_ns -- CPU time of the calling thread, in ns. */
static uint64_t
thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * worker_account -- once a second: the last second's cycles, requests
 * and share of the CPU.
 */
static void
worker_account(struct dp_worker *w)
{
	uint64_t cpu = thread_cpu_ns();
	uint64_t wall = w->net.now_tsc - w->second_mark_tsc;

	if (w->second_mark_tsc != 0 && wall > 0)
		w->cpu_share_last_s = (double)(cpu - w->cpu_mark_ns) /
			((double)wall * 1e9 / (double)w->net.tsc_hz);
	w->cpu_mark_ns = cpu;
	w->second_mark_tsc = w->net.now_tsc;
	w->busy_last_s = w->counters[DP_W_busy_cycles] - w->busy_mark;
	w->commands_last_s = w->counters[DP_W_commands] - w->commands_mark;
	w->busy_mark = w->counters[DP_W_busy_cycles];
	w->commands_mark = w->counters[DP_W_commands];
}

/* worker_timers -- timer work, bounded per call. */
static void
worker_timers(struct dp_worker *w)
{
	tcp_timer(w->net.tcp);
	if (w->net.now_tsc >= w->next_second_tsc) {
		w->next_second_tsc = w->net.now_tsc + w->net.tsc_hz;
		worker_account(w);
	}
	if (w->net.now_tsc >= w->next_cron_tsc) {
		/* Active expiry and ARP upkeep every millisecond. */
		w->next_cron_tsc = w->net.now_tsc + w->net.tsc_hz / 1000;
		dp_net_timer(&w->net);
		kv_cron(w->shard);
	}
}

/*
 * worker_rx -- the frames to process: a burst of the worker's queue, or
 * with software steering (steer.h) its own part of one and the frames
 * other workers steered here.
 */
static inline uint16_t
worker_rx(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t max)
{
	if (w->steer != NULL)
		return dp_steer_rx(w, pkts, max);
	return rte_eth_rx_burst(w->net.port_id, w->net.queue_id, pkts,
				RTE_MIN(max, DP_MAX_BURST));
}

/* worker_poll -- one iteration; returns the packets received. */
static uint16_t
worker_poll(struct dp_worker *w)
{
	struct rte_mbuf *pkts[2 * DP_MAX_BURST];
	uint64_t steered = w->counters[DP_W_steered_out];
	uint16_t n = worker_rx(w, pkts, RTE_DIM(pkts));

	if (unlikely(w->net.impair_rx != NULL)) {
		/* Test impairment; held packets count as work to do. */
		struct rte_mbuf *out[2 * RTE_DIM(pkts) + 2];
		uint16_t k = dp_impair_burst(w->net.impair_rx, pkts, n, out,
					     RTE_DIM(out), w->net.now_tsc);
		if (k > 0)
			dp_net_input(&w->net, out, k);
		n = (uint16_t)(n + k + dp_impair_pending(w->net.impair_rx) +
			       dp_impair_pending(w->net.impair_tx));
	} else if (n > 0) {
		dp_net_input(&w->net, pkts, n);
	}
	unsigned nc = dp_xc_poll(w);
	unsigned na = dp_ctl_execute(w);
	w->counters[DP_W_ctl_requests] += na;
	nc += na;
	dp_conn_service(w);
	worker_commit(w);
	dp_ctl_reply(w);
	dp_xc_flush(w);
	tcp_flush(w->net.tcp);
	dp_udp_flush(w->udp);
	worker_timers(w);
	dp_net_tx_flush(&w->net);
	if (w->steer != NULL)   /* frames moved for others are work too */
		nc += dp_steer_tx(w) +
		      (unsigned)(w->counters[DP_W_steered_out] - steered);
	/* A running snapshot advances a bounded step per iteration. */
	if (unlikely(kv_snapshot_running(w->shard)) &&
	    kv_snapshot_step(w->shard))
		nc++;
	return (uint16_t)(n + nc);
}

/*
 * worker_drain -- graceful stop: refuse new connections, close the
 * established ones once their queued replies are out, and keep the
 * stack running until they are gone or the drain time is up. With
 * software steering, a worker whose queue carries other workers' frames
 * keeps polling until they are done too.
 */
static void
worker_drain(struct dp_worker *w)
{
	tcp_unlisten(w->net.tcp, w->cfg->port);
	dp_conn_close_all(w);
	uint64_t end = rte_rdtsc() + w->net.tsc_hz * DP_WORKER_DRAIN_MS / 1000;
	while (rte_rdtsc() < end) {
		if (tcp_conns(w->net.tcp) == 0) {
			dp_steer_drained(w);
			if (!dp_steer_serving(w))
				break;
		}
		w->net.now_tsc = rte_rdtsc();
		if (worker_poll(w) == 0)
			rte_delay_us_sleep(100);
	}
	dp_steer_drained(w);
	if (w->steer != NULL)   /* what the last ones handed over */
		dp_steer_tx(w);
}

int
dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	unsigned idle = 0;

	w->net.tsc_hz = rte_get_tsc_hz();
	w->net.now_tsc = rte_rdtsc();
	w->last_commit_tsc = w->net.now_tsc;
	w->next_second_tsc = w->net.now_tsc + w->net.tsc_hz;
	worker_account(w);
	dp_arp_announce(&w->net);

	while (!*w->quit) {
		uint64_t start = rte_rdtsc();
		w->net.now_tsc = start;

		uint16_t n = worker_poll(w);

		uint64_t end = rte_rdtsc();
		w->counters[DP_W_iterations]++;
		if (n > 0) {
			w->counters[DP_W_busy_cycles] += end - start;
			idle = 0;
			continue;
		}
		w->counters[DP_W_idle_cycles] += end - start;
		if (w->cfg->idle_sleep_us != 0 && ++idle > w->cfg->idle_polls) {
			/* Async mode must not sleep past its commit bound. */
			if (w->log != NULL && pm_log_pending(w->log))
				continue;
			rte_delay_us_sleep(w->cfg->idle_sleep_us);
		}
	}
	worker_drain(w);
	kv_commit(w->shard);
	return 0;
}
