/*
 * bench_run.c -- the poll loop of redpoll-bench: credits, request slots,
 * closed and open loop, timeouts, warm-up, per-second progress
 * (bench_run.h).
 *
 * Closed loop: every client keeps -P requests in flight; a reply returns
 * the client's credit and the next request leaves at once, its latency
 * measured from that moment. Open loop (--rate): request k is due at
 * start + k / rate whatever happened before; it leaves as soon as it is
 * due and a client has a credit, and its latency is measured from when
 * it was due, so a stalled server is charged for the requests it kept
 * waiting (no coordinated omission).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "bench_run.h"

static const char *const counter_names[] = {
#define BENCH_NAME(n) #n,
	BENCH_COUNTERS(BENCH_NAME)
#undef BENCH_NAME
};

const char *
bench_counter_name(enum bench_counter c)
{
	return c < BENCH_C__MAX ? counter_names[c] : "?";
}

/* ready_push -- give client i one more credit. */
static void
ready_push(struct bench_run *r, uint32_t i)
{
	r->ready[(r->ready_head + r->ready_n) % r->ready_cap] = i;
	r->ready_n++;
}

/* ready_pop -- take the credit of the client that waited longest. */
static uint32_t
ready_pop(struct bench_run *r)
{
	uint32_t i = r->ready[r->ready_head];

	r->ready_head = (r->ready_head + 1) % r->ready_cap;
	r->ready_n--;
	return i;
}

int
bench_run_init(struct bench_run *r, const struct bench_opts *o,
	       const struct bench_tp *tp)
{
	char err[128];
	uint64_t window = (uint64_t)o->clients * o->pipeline;
	uint32_t n_slots = 64;

	memset((char *)r + sizeof(r->net), 0, sizeof(*r) - sizeof(r->net));
	r->o = o;
	r->tp = tp;
	while (n_slots < 2 * window)
		n_slots *= 2;
	r->slot_mask = n_slots - 1;
	r->slots = calloc(n_slots, sizeof(*r->slots));
	r->clients = calloc(o->clients, sizeof(*r->clients));
	r->ready_cap = (uint32_t)window + 1;
	r->ready = calloc(r->ready_cap, sizeof(*r->ready));
	r->hist = malloc(sizeof(*r->hist));
	r->sec_hist = malloc(sizeof(*r->sec_hist));
	if (r->slots == NULL || r->clients == NULL || r->ready == NULL ||
	    r->hist == NULL || r->sec_hist == NULL) {
		bench_run_fini(r);
		return -ENOMEM;
	}
	bench_hist_init(r->hist);
	bench_hist_init(r->sec_hist);
	for (unsigned i = 0; i < o->clients; i++) {
		r->clients[i].index = (uint16_t)i;
		r->clients[i].sport = (uint16_t)(o->src_port + i);
	}
	/* Credits interleaved: each client's first request, then seconds. */
	for (unsigned k = 0; k < o->pipeline; k++)
		for (unsigned i = 0; i < o->clients; i++)
			ready_push(r, i);
	bench_wl_init(&r->wl, o, o->seed);
	bench_cmd_compile(&r->probe, "ping", "PING", err, sizeof(err));
	r->tsc_hz = rte_get_tsc_hz();
	r->timeout_tsc = r->tsc_hz * o->timeout_ms / 1000;
	r->next_id = r->oldest_id = 1;
	int rc = tp->attach(r);
	if (rc != 0)
		bench_run_fini(r);
	return rc;
}

void
bench_run_fini(struct bench_run *r)
{
	if (r->tp != NULL && r->tp->detach != NULL)
		r->tp->detach(r);
	r->tp = NULL;
	free(r->slots);
	free(r->clients);
	free(r->ready);
	free(r->hist);
	free(r->sec_hist);
	free(r->seconds);
	r->slots = NULL;
	r->clients = NULL;
	r->ready = NULL;
	r->hist = r->sec_hist = NULL;
	r->seconds = NULL;
}

/* slot_alloc -- a free slot under a fresh id. */
static struct bench_slot *
slot_alloc(struct bench_run *r)
{
	/* At most half the slots are busy, so this ends quickly. */
	while (r->slots[r->next_id & r->slot_mask].busy || r->next_id == 0)
		r->next_id++;
	struct bench_slot *s = &r->slots[r->next_id & r->slot_mask];
	s->id = r->next_id++;
	return s;
}

/*
 * send_one -- one request of client ci with the given intended time;
 * false when the transport could not send it (the credit is returned).
 */
static bool
send_one(struct bench_run *r, uint32_t ci, const struct bench_cmd *cmd,
	 const struct bench_req *req, uint64_t intended, bool measured)
{
	struct bench_client *c = &r->clients[ci];
	struct bench_slot *s = slot_alloc(r);

	s->client = (uint16_t)ci;
	s->measured = measured;
	s->intended_tsc = intended;
	s->sent_tsc = r->net.now_tsc;
	int rc = r->tp->send(r, c, s, cmd, req);
	if (rc != 0) {
		bench_run_count(r, BENCH_C_tx_fail);
		if (rc != -ENOTCONN)
			ready_push(r, ci);
		return false;
	}
	s->busy = 1;
	c->in_flight++;
	r->in_flight++;
	if (measured) {
		bench_run_count(r, BENCH_C_sent);
		r->per_cmd[req->cmd]++;
	}
	return true;
}

/* send_next -- draw the next request of the mix and send it. */
static bool
send_next(struct bench_run *r, uint64_t intended)
{
	struct bench_req req;

	bench_wl_next(&r->wl, &req);
	return send_one(r, ready_pop(r), &r->o->cmds[req.cmd], &req,
			intended, r->measuring);
}

void
bench_run_complete(struct bench_run *r, struct bench_slot *s,
		   enum bench_outcome outcome)
{
	struct bench_client *c = &r->clients[s->client];
	uint64_t now = r->net.now_tsc;

	s->busy = 0;
	c->in_flight--;
	r->in_flight--;
	ready_push(r, s->client);
	if (!s->measured) {
		if (outcome != BENCH_TIMEOUT)
			r->warmup_replies++;
		return;
	}
	r->end_tsc = now;
	switch (outcome) {
	case BENCH_OK:
		bench_run_count(r, BENCH_C_ok);
		break;
	case BENCH_ERROR_REPLY:
		bench_run_count(r, BENCH_C_error_replies);
		break;
	case BENCH_TOOBIG:
		bench_run_count(r, BENCH_C_toobig);
		break;
	case BENCH_BAD_REPLY:
		bench_run_count(r, BENCH_C_bad_replies);
		bench_run_count(r, BENCH_C_errors);
		break;
	case BENCH_BAD_VALUE:
		bench_run_count(r, BENCH_C_bad_values);
		bench_run_count(r, BENCH_C_errors);
		break;
	case BENCH_ABORTED:
		bench_run_count(r, BENCH_C_aborted);
		bench_run_count(r, BENCH_C_errors);
		return;
	case BENCH_TIMEOUT:
		bench_run_count(r, BENCH_C_timeouts);
		bench_run_count(r, BENCH_C_errors);
		return;
	}
	bench_run_count(r, BENCH_C_replies);
	uint64_t cyc = now > s->intended_tsc ? now - s->intended_tsc : 0;
	uint64_t ns = (uint64_t)((double)cyc * 1e9 / (double)r->tsc_hz);
	bench_hist_record(r->hist, ns);
	bench_hist_record(r->sec_hist, ns);
}

void
bench_run_reply(struct bench_run *r, struct bench_slot *s,
		enum bench_reply_status st, bool whole, const char *reply,
		const struct bench_reply_top *top)
{
	switch (st) {
	case BENCH_REPLY_OK:
		if (!whole) {
			bench_run_complete(r, s, BENCH_BAD_REPLY);
			break;
		}
		if (top->nil && s->measured)
			bench_run_count(r, BENCH_C_nil_replies);
		if (r->o->verify && top->type == '$' && !top->nil &&
		    !bench_data_check(r->o, reply + top->off, top->len))
			bench_run_complete(r, s, BENCH_BAD_VALUE);
		else
			bench_run_complete(r, s, BENCH_OK);
		break;
	case BENCH_REPLY_ERROR:
		bench_run_complete(r, s, whole ? BENCH_ERROR_REPLY :
				   BENCH_BAD_REPLY);
		break;
	default:
		bench_run_complete(r, s, BENCH_BAD_REPLY);
		break;
	}
}

/* expire -- time out the requests in flight for too long. */
static void
expire(struct bench_run *r)
{
	uint64_t now = r->net.now_tsc;

	while (r->oldest_id != r->next_id) {
		struct bench_slot *s = bench_run_slot(r, r->oldest_id);
		if (s != NULL) {
			if (now - s->sent_tsc < r->timeout_tsc)
				break;
			bench_run_complete(r, s, BENCH_TIMEOUT);
		}
		r->oldest_id++;
	}
}

/* poll_rx -- one burst from the port, to the transport. */
static void
poll_rx(struct bench_run *r)
{
	struct rte_mbuf *pkts[DP_MAX_BURST];

	r->net.now_tsc = rte_rdtsc();
	uint16_t n = rte_eth_rx_burst(r->net.port_id, r->net.queue_id, pkts,
				      DP_MAX_BURST);
	if (n > 0)
		r->tp->input(r, pkts, n);
}

/* poll_tx -- the transport's output of this iteration, to the port. */
static void
poll_tx(struct bench_run *r)
{
	if (r->tp->flush != NULL)
		r->tp->flush(r);
	if (r->net.n_tx > 0)
		dp_net_tx_flush(&r->net);
}

int
bench_run_probe(struct bench_run *r, unsigned timeout_ms,
		const volatile bool *quit)
{
	uint64_t hz = r->tsc_hz, t0 = rte_rdtsc();
	uint64_t deadline = t0 + hz * timeout_ms / 1000, next = t0;
	struct bench_req req;

	memset(&req, 0, sizeof(req));
	while (r->tp->opening != NULL && r->tp->opening(r) > 0 && !*quit) {
		poll_rx(r);
		if (r->net.now_tsc >= deadline)
			return -ETIMEDOUT;
		poll_tx(r);
		if (r->net.now_tsc >= next) {
			dp_net_timer(&r->net);
			next = r->net.now_tsc + hz / 1000;
		}
	}
	next = rte_rdtsc();
	while (r->warmup_replies == 0 && !*quit) {
		poll_rx(r);
		uint64_t now = r->net.now_tsc;
		if (now >= deadline)
			return -ETIMEDOUT;
		if (now >= next && r->clients[0].in_flight == 0) {
			/* take client 0's credit out of turn */
			uint32_t k;
			for (k = 0; k < r->ready_n; k++)
				if (r->ready[(r->ready_head + k) %
					     r->ready_cap] == 0)
					break;
			if (k < r->ready_n) {
				uint32_t *a = &r->ready[(r->ready_head + k) %
							r->ready_cap];
				uint32_t *h = &r->ready[r->ready_head];
				uint32_t t = *a;
				*a = *h;
				*h = t;
				send_one(r, ready_pop(r), &r->probe, &req,
					 now, false);
			} else {
				/* client 0 lost every credit: no connection */
				return -ENOTCONN;
			}
			next = now + hz / 5;
		}
		poll_tx(r);
		if (now - t0 > hz / 100) {
			dp_net_timer(&r->net);
			expire(r);
		}
	}
	return r->warmup_replies > 0 ? 0 : -ETIMEDOUT;
}

/* second -- close one second of progress: keep it, print it, reset. */
static void
second(struct bench_run *r)
{
	const struct bench_opts *o = r->o;
	struct bench_second sec = {
		.t = (double)(r->net.now_tsc - r->start_tsc) / (double)r->tsc_hz,
		.replies = r->sec_c[BENCH_C_replies],
		.errors = r->sec_c[BENCH_C_errors],
		.p50_ns = bench_hist_percentile(r->sec_hist, 50),
		.p99_ns = bench_hist_percentile(r->sec_hist, 99),
	};

	if (r->n_seconds == r->cap_seconds) {
		unsigned cap = r->cap_seconds ? 2 * r->cap_seconds : 64;
		struct bench_second *n = realloc(r->seconds,
						 cap * sizeof(*n));
		if (n != NULL) {
			r->seconds = n;
			r->cap_seconds = cap;
		}
	}
	if (r->n_seconds < r->cap_seconds)
		r->seconds[r->n_seconds++] = sec;
	if (!o->quiet)
		fprintf(stderr, "[%5.1fs] %10" PRIu64 " replies/s  p50 %8.1f us"
			"  p99 %8.1f us  errors %" PRIu64 "  error replies %"
			PRIu64 "  in flight %" PRIu64 "\n", sec.t, sec.replies,
			(double)sec.p50_ns / 1e3, (double)sec.p99_ns / 1e3,
			sec.errors, r->sec_c[BENCH_C_error_replies],
			r->in_flight);
	memset(r->sec_c, 0, sizeof(r->sec_c));
	bench_hist_init(r->sec_hist);
}

/* tick -- every millisecond: phases, timeouts, ARP, progress. */
static void
tick(struct bench_run *r, const volatile bool *quit)
{
	const struct bench_opts *o = r->o;
	uint64_t now = r->net.now_tsc;

	if (!r->measuring && now >= r->start_tsc) {
		r->measuring = true;
		r->end_tsc = now;
		memset(r->sec_c, 0, sizeof(r->sec_c));
		bench_hist_init(r->sec_hist);
		r->next_second_tsc = now + r->tsc_hz;
		if (o->requests == 0)
			r->stop_tsc = now + (uint64_t)(o->duration *
						       (double)r->tsc_hz);
	}
	/* no credit and nothing in flight: every client lost its link */
	if (r->ready_n == 0 && r->in_flight == 0)
		r->sending = false;
	if (r->sending && (*quit ||
	    (r->measuring && (o->requests ?
	     r->c[BENCH_C_sent] >= o->requests : now >= r->stop_tsc))))
		r->sending = false;
	expire(r);
	dp_net_timer(&r->net);
	if (r->measuring && now >= r->next_second_tsc) {
		second(r);
		r->next_second_tsc += r->tsc_hz;
	}
}

void
bench_run_loop(struct bench_run *r, const volatile bool *quit)
{
	const struct bench_opts *o = r->o;
	uint64_t ms = r->tsc_hz / 1000;

	r->net.now_tsc = rte_rdtsc();
	r->start_tsc = r->net.now_tsc + (uint64_t)(o->warmup *
						   (double)r->tsc_hz);
	r->measuring = false;
	r->sending = true;
	r->period_tsc = o->rate > 0 ?
		(uint64_t)((double)r->tsc_hz / o->rate) : 0;
	if (r->period_tsc == 0 && o->rate > 0)
		r->period_tsc = 1;
	r->next_send_tsc = r->net.now_tsc;
	r->next_tick_tsc = r->net.now_tsc;
	tick(r, quit);

	while (r->sending || r->in_flight > 0) {
		poll_rx(r);
		uint64_t now = r->net.now_tsc;
		for (unsigned k = 0; r->sending && r->ready_n > 0 &&
		     k < DP_MAX_BURST; k++) {
			if (o->requests && r->measuring &&
			    r->c[BENCH_C_sent] >= o->requests)
				break;
			if (r->period_tsc == 0) {
				if (!send_next(r, now))
					break;
			} else {
				if (r->next_send_tsc > now)
					break;
				if (!send_next(r, r->next_send_tsc))
					break;
				r->next_send_tsc += r->period_tsc;
			}
		}
		poll_tx(r);
		if (now >= r->next_tick_tsc) {
			tick(r, quit);
			r->next_tick_tsc = now + ms;
		}
	}
	/* The last partial second is in the totals, not in the progress. */
}

double
bench_run_seconds(const struct bench_run *r)
{
	if (!r->measuring || r->end_tsc <= r->start_tsc)
		return 0;
	return (double)(r->end_tsc - r->start_tsc) / (double)r->tsc_hz;
}
