/*
 * worker.h -- a worker lcore: one shard of everything (queue pair, TCP
 * stack, connections, keyspace, pmem log) and its poll loop.
 */
#ifndef RP_WORKER_H
#define RP_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "net.h"

struct rp_config;
struct kv_shard;
struct pm_log;
struct dp_conn;
struct dp_ctl;
struct dp_xcore;
struct dp_port;
struct dp_udp;
struct dp_steer;

/*
 * Poll-loop and connection counters of a worker. busy_cycles: TSC cycles
 * of iterations that had work (packets, messages, control requests);
 * idle_cycles: of the others (sleeps not included); commands: client
 * requests received on this worker (TCP and UDP), wherever they ran.
 * Software flow steering (steer.h): steered_out/steered_in, frames sent
 * to / received from another worker that owns their flow (ARP copies
 * included); tx_handoff, frames given to the worker that transmits for
 * this one; steer_drops, frames freed because such a ring was full.
 */
#define DP_WORKER_COUNTERS(X)                                           \
	X(iterations) X(busy_cycles) X(idle_cycles) X(commands)          \
	X(conns_accepted) X(conns_rejected) X(conns_closed)              \
	X(protocol_errors) X(output_limit_closes) X(idle_timeouts)       \
	X(query_limit_closes) X(output_blocked)                          \
	X(commits) X(ctl_requests)                                      \
	X(requests_local) X(requests_remote) X(requests_served)          \
	X(steered_out) X(steered_in) X(tx_handoff) X(steer_drops)

enum dp_worker_counter {
#define DP_WORKER_ENUM(n) DP_W_##n,
	DP_WORKER_COUNTERS(DP_WORKER_ENUM)
#undef DP_WORKER_ENUM
	DP_W__MAX
};

struct dp_worker {
	struct dp_net net;              /* first: the hot part */
	struct kv_shard *shard;
	struct pm_log *log;             /* NULL: persistence off */
	struct dp_ctl *ctl;             /* requests of the control plane */
	struct dp_xcore *xc;            /* requests between workers */
	struct dp_udp *udp;             /* RESP over UDP; NULL: off */
	struct dp_steer *steer;         /* software steering; NULL: off */
	const struct dp_port *port;     /* the port of its queue pair */
	struct rp_config *cfg;
	const volatile bool *quit;      /* set by the control plane */
	unsigned index;                 /* worker number, 0-based */
	unsigned n_workers;             /* workers of the process */
	unsigned lcore;

	/* connections (conn.c) */
	struct dp_conn *conns;          /* every live connection */
	struct dp_conn *free_conns;     /* recycled connection structs */
	struct dp_conn *deferred;       /* closes to run after the burst */
	struct dp_conn *out_conns;      /* output waiting or paused */
	unsigned n_conns;
	uint64_t out_max;               /* largest pending output this second */
	uint64_t out_recent_max;        /* ... in the last whole second */

	/* timers, in TSC */
	uint64_t next_cron_tsc;
	uint64_t next_timeout_tsc;
	uint64_t last_commit_tsc;
	uint64_t next_second_tsc;

	/*
	 * The last whole second (worker_account): busy cycles and client
	 * requests (the commands counter) in it, and both counters at its
	 * start.
	 */
	uint64_t busy_last_s, commands_last_s;
	uint64_t busy_mark, commands_mark;
	/*
	 * CPU time the kernel gave this lcore's thread in the last second,
	 * over the second's length (1.0: all of it); under 1.0 while busy
	 * polling, other processes ran on its CPU and busy cycles include
	 * some of their time.
	 */
	double cpu_share_last_s;
	uint64_t cpu_mark_ns, second_mark_tsc;

	uint64_t counters[DP_W__MAX];
} __rte_cache_aligned;

/* dp_worker_counter_name -- name of a worker counter. */
const char *dp_worker_counter_name(enum dp_worker_counter c);

/*
 * dp_worker_cycles_per_request -- busy cycles per client request of this
 * worker over its whole run, or over the last whole second (last_s);
 * 0 when there was no request. Requests routed here by other workers
 * cost cycles here and count on their origin: over several workers, the
 * sum of busy_cycles over the sum of commands is the process's figure.
 */
double dp_worker_cycles_per_request(const struct dp_worker *w, bool last_s);

/* How long a stopping worker lets its clients' replies drain, in ms. */
#define DP_WORKER_DRAIN_MS 2000

/*
 * dp_worker_main -- the poll loop of a worker lcore (rte_eal_remote_launch
 * argument: the struct dp_worker). When *quit becomes true the worker
 * shuts down gracefully: it stops accepting connections and reading
 * requests, sends the replies already queued and closes every connection
 * (FIN), for at most DP_WORKER_DRAIN_MS, makes the log durable and
 * returns 0.
 */
int dp_worker_main(void *arg);

#endif /* RP_WORKER_H */
