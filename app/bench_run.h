/*
 * bench_run.h -- one run of redpoll-bench: the clients, the requests in
 * flight, their timing, the counters and the histograms, driven by a
 * poll loop on one lcore; and the transport interface that moves the
 * requests (bench_udp.c over UDP, bench_tcp.c over dataplane/tcp.h).
 *
 * A request occupies a slot from the moment it is sent until its reply
 * arrives or it times out. Slots are indexed by request id modulo a power
 * of two at least twice the requests that can be in flight, so a reply is
 * matched in O(1) and a late reply to a timed-out request (its slot freed
 * or reused under a newer id) is recognised and counted as unmatched.
 */
#ifndef RP_BENCH_RUN_H
#define RP_BENCH_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include "bench_hist.h"
#include "bench_reply.h"
#include "bench_wl.h"
#include "net.h"

/* How a request ended. */
enum bench_outcome {
	BENCH_OK,               /* a reply that is not an error */
	BENCH_ERROR_REPLY,      /* the server answered with an error */
	BENCH_TOOBIG,           /* reply too big for the transport */
	BENCH_BAD_REPLY,        /* malformed reply: counted as an error */
	BENCH_TIMEOUT,          /* no reply in --timeout-ms: an error */
	BENCH_BAD_VALUE,        /* --verify found another value: an error */
	BENCH_ABORTED,          /* its connection closed first: an error */
};

/* Counters of a run or of one second of it; X-macro for the output. */
#define BENCH_COUNTERS(X)                                               \
	X(sent)          /* measured requests sent */                    \
	X(replies)       /* measured requests answered (any reply) */    \
	X(ok)            X(error_replies)  X(toobig)                     \
	X(bad_replies)   X(timeouts)                                    \
	X(bad_values)    /* --verify: a bulk that is not our value */    \
	X(aborted)       /* requests lost with their connection */       \
	X(conn_errors)   /* connections failed or lost (TCP) */          \
	X(errors)        /* bad_replies + timeouts + bad_values +        \
			    aborted + conn_errors */                     \
	X(nil_replies)   /* replies that are a nil bulk or array */      \
	X(unmatched)     /* replies to no request in flight */           \
	X(tx_fail)       /* requests the transport could not send */     \
	X(rx_dropped)    /* datagrams dropped (checksum, header) */

enum bench_counter {
#define BENCH_ENUM(n) BENCH_C_##n,
	BENCH_COUNTERS(BENCH_ENUM)
#undef BENCH_ENUM
	BENCH_C__MAX
};

/* bench_counter_name -- name of a counter. */
const char *bench_counter_name(enum bench_counter c);

struct bench_slot {
	uint32_t id;
	uint16_t client;
	uint8_t busy;
	uint8_t measured;       /* sent after the warm-up */
	uint64_t intended_tsc;  /* latency is measured from here */
	uint64_t sent_tsc;      /* the timeout runs from here */
};

struct bench_client {
	uint16_t index;
	uint16_t sport;         /* UDP source port, host order */
	unsigned in_flight;
	void *tp;               /* the transport's per-client state */
};

struct bench_run;

/*
 * A transport. attach hooks it to r->net once, before any traffic.
 * send builds and queues one request of client c under
 * slot s's id; it returns 0, or a negative errno when the request could
 * not be sent (no mbuf, does not fit); -ENOTCONN means the client can
 * never send again (its connection is gone) and takes its credit away.
 * input consumes a burst of received frames (through dp_net_input) and
 * calls bench_run_complete for every reply it matches.
 * Optional: flush runs once per poll iteration before the frames are
 * handed to the port; opening returns how many connections are still
 * being opened (the probe waits for them); detach frees the
 * transport's state (bench_run_fini).
 *
 * The TCP transport opens one connection per client in attach, appends
 * each request to its connection in send, and matches replies in order:
 * RESP over one connection answers in request order, so each client
 * keeps a FIFO of its slots instead of ids.
 */
struct bench_tp {
	const char *name;
	int (*attach)(struct bench_run *r);
	int (*send)(struct bench_run *r, struct bench_client *c,
		    const struct bench_slot *s, const struct bench_cmd *cmd,
		    const struct bench_req *req);
	void (*input)(struct bench_run *r, struct rte_mbuf **pkts, uint16_t n);
	void (*flush)(struct bench_run *r);
	unsigned (*opening)(const struct bench_run *r);
	void (*detach)(struct bench_run *r);
};

extern const struct bench_tp bench_udp_transport;
extern const struct bench_tp bench_tcp_transport;

/* One second of progress, kept for the JSON result. */
struct bench_second {
	double t;                       /* seconds since measuring began */
	uint64_t replies, errors;
	uint64_t p50_ns, p99_ns;
};

struct bench_run {
	struct dp_net net;              /* first: the hot part */
	const struct bench_opts *o;
	const struct bench_tp *tp;
	void *tp_ctx;                   /* the transport's state */
	struct bench_wl wl;
	struct bench_client *clients;
	struct bench_slot *slots;
	uint32_t slot_mask;
	uint32_t next_id;               /* id of the next request */
	uint32_t oldest_id;             /* timeouts are checked from here */
	uint64_t in_flight;

	/* credits: clients that may send one more request, FIFO */
	uint32_t *ready;
	uint32_t ready_head, ready_n, ready_cap;

	/* time */
	uint64_t tsc_hz;
	uint64_t timeout_tsc;
	uint64_t start_tsc;             /* measuring begins (after warm-up) */
	uint64_t stop_tsc;              /* sending ends (duration), 0 = -n */
	uint64_t end_tsc;               /* last measured request ended */
	uint64_t next_send_tsc;         /* open loop: intended time */
	uint64_t period_tsc;            /* open loop: 1/rate, 0 = closed */
	uint64_t next_tick_tsc;         /* 1 ms housekeeping */
	uint64_t next_second_tsc;
	bool measuring;
	bool sending;                   /* false once the send phase ended */

	/* results */
	uint64_t c[BENCH_C__MAX];
	uint64_t sec_c[BENCH_C__MAX];
	uint64_t warmup_replies;        /* replies not measured */
	struct bench_hist *hist;        /* measured latencies, ns */
	struct bench_hist *sec_hist;    /* this second's */
	struct bench_second *seconds;
	unsigned n_seconds, cap_seconds;
	uint64_t per_cmd[BENCH_MAX_CMDS];     /* measured requests sent */
	struct bench_cmd probe;         /* PING, for bench_run_probe */
};

/*
 * bench_run_init -- a run of o over transport tp on the dp_net already
 * initialised in r->net (the rest of r is zeroed first except net).
 * Returns 0, -ENOMEM, or the transport's attach error.
 */
int bench_run_init(struct bench_run *r, const struct bench_opts *o,
		   const struct bench_tp *tp);

/* bench_run_fini -- free what bench_run_init allocated. */
void bench_run_fini(struct bench_run *r);

/*
 * bench_run_probe -- wait for the transport's connections to open, then
 * send PING from client 0 until one is answered or timeout_ms passes
 * (ARP resolution, server up). Returns 0, -ETIMEDOUT, or -ENOTCONN when
 * client 0's connection is gone.
 * *quit stops it early.
 */
int bench_run_probe(struct bench_run *r, unsigned timeout_ms,
		    const volatile bool *quit);

/*
 * bench_run_loop -- the whole run: warm-up, measurement, drain of the
 * requests still in flight. *quit ends the send phase early.
 */
void bench_run_loop(struct bench_run *r, const volatile bool *quit);

/*
 * bench_run_slot -- the slot of request id while it is in flight, or NULL
 * (unknown, answered or timed out already).
 */
static inline struct bench_slot *
bench_run_slot(struct bench_run *r, uint32_t id)
{
	struct bench_slot *s = &r->slots[id & r->slot_mask];

	return s->busy && s->id == id ? s : NULL;
}

/* bench_run_complete -- request s ended with outcome at now_tsc. */
void bench_run_complete(struct bench_run *r, struct bench_slot *s,
			enum bench_outcome outcome);

/*
 * bench_run_reply -- request s got a reply that bench_reply_check
 * judged st (with top, the reply at reply); whole: nothing followed it
 * in its datagram (else it is malformed). Counts nils, checks --verify
 * and completes s.
 */
void bench_run_reply(struct bench_run *r, struct bench_slot *s,
		     enum bench_reply_status st, bool whole,
		     const char *reply, const struct bench_reply_top *top);

/* bench_run_count -- count one event of c (also this second's). */
static inline void
bench_run_count(struct bench_run *r, enum bench_counter c)
{
	r->c[c]++;
	r->sec_c[c]++;
}

/* bench_run_conn_error -- a connection failed or was lost: an error. */
static inline void
bench_run_conn_error(struct bench_run *r)
{
	bench_run_count(r, BENCH_C_conn_errors);
	bench_run_count(r, BENCH_C_errors);
}

/* bench_run_seconds -- measured seconds (start to last reply). */
double bench_run_seconds(const struct bench_run *r);

#endif /* RP_BENCH_RUN_H */
