/*
 * tcp_timer.c -- retransmission (RFC 6298 with exponential backoff),
 * SYN retries (tcp_connect's, up to syn_retries) and SYN-ACK retries,
 * zero-window probes, TIME_WAIT expiry and keepalive.
 *
 * The timers are deadlines in each connection, checked by a walk over
 * the connections at most once a millisecond.
 */
#include <rte_cycles.h>

#include "tcp_private.h"

/* rto_expired -- the retransmission (or persist) timer fired. */
static void
rto_expired(struct tcp_conn *tc)
{
	struct tcp_stack *ts = tc->ts;

	tc->rto_tsc = 0;
	unsigned limit = tc->state == TCPS(SYN_SENT) ? ts->p.syn_retries :
			 tc->state == TCPS(SYN_RECEIVED) ? TCP_SYNACK_RETRIES :
			 TCP_MAX_RETRIES;
	if (++tc->retries > limit) {
		/* The peer is gone (or never answered). */
		if (tc->active && (tc->state & (TCPS(SYN_SENT) |
						TCPS(SYN_RECEIVED))))
			TCP_COUNT(ts, connect_timeouts);
		else if (!(tc->state & (TCPS(SYN_SENT) | TCPS(SYN_RECEIVED))))
			tcp_send_ctl(tc, TCP_FLAG_RST | TCP_FLAG_ACK,
				     tc->snd.nxt);
		tcp_conn_destroy(tc);
		return;
	}
	TCP_COUNT(ts, rto_timeouts);
	tc->rto_us = tc->rto_us * 2 > TCP_RTO_MAX_US ? TCP_RTO_MAX_US :
		     tc->rto_us * 2;
	if (tc->state == TCPS(SYN_SENT)) {
		/* Our SYN, same options, exponential backoff. */
		tcp_send_ctl(tc, TCP_FLAG_SYN, tc->snd.iss);
		TCP_COUNT(ts, retransmits);
		tcp_arm_rto(tc);
		return;
	}
	if (tc->state == TCPS(SYN_RECEIVED)) {
		tcp_send_ctl(tc, TCP_FLAG_SYN | TCP_FLAG_ACK, tc->snd.iss);
		TCP_COUNT(ts, retransmits);
		tcp_arm_rto(tc);
		return;
	}
	if (tc->snd.una == tc->snd.max && tc->snd.wnd == 0 &&
	    tc->sq_bytes > 0) {
		/* Zero-window probe: one byte past the window. */
		uint32_t saved = tc->snd.wnd;
		tc->snd.wnd = 1;
		tcp_output(tc);
		tc->snd.wnd = saved;
		tcp_arm_rto(tc);
		return;
	}
	/* Loss: back to one segment, resend from SND.UNA. */
	uint32_t flight = tc->snd.max - tc->snd.una;
	tc->ssthresh = flight / 2 > 2u * tc->snd.mss ? flight / 2 :
		       2u * tc->snd.mss;
	tc->cwnd = tc->snd.mss;
	tc->dupacks = 0;
	tcp_sack_clear(tc);     /* SACK is advisory: resend it all */
	tcp_rewind(tc);
	tcp_output(tc);
	tcp_arm_rto(tc);
}

/* keepalive -- probe an idle peer; drop it after 9 unanswered probes. */
static void
keepalive(struct tcp_conn *tc)
{
	struct tcp_stack *ts = tc->ts;
	uint64_t idle = tcp_us_to_tsc(ts, (uint64_t)ts->p.keepalive_s *
				      1000000);
	uint64_t interval = tcp_us_to_tsc(ts, 75ULL * 1000000);

	if (ts->net->now_tsc - tc->idle_tsc < idle + tc->probes * interval)
		return;
	if (tc->probes >= 9) {
		tcp_send_ctl(tc, TCP_FLAG_RST | TCP_FLAG_ACK, tc->snd.nxt);
		tcp_conn_destroy(tc);
		return;
	}
	tc->probes++;
	TCP_COUNT(ts, keepalive_probes);
	/* SEG.SEQ = SND.NXT - 1: the peer answers with an ACK. */
	tcp_send_ctl(tc, TCP_FLAG_ACK, tc->snd.nxt - 1);
}

void
tcp_timer(struct tcp_stack *ts)
{
	uint64_t now = ts->net->now_tsc;

	if (now < ts->next_timer_tsc)
		return;
	ts->next_timer_tsc = now + ts->net->tsc_hz / 1000;
	for (struct tcp_conn *tc = ts->active, *next; tc != NULL; tc = next) {
		next = tc->next;
		if (tc->state == TCPS(TIME_WAIT)) {
			if (now >= tc->tw_tsc)
				tcp_conn_destroy(tc);
			continue;
		}
		if (tc->rto_tsc != 0 && now >= tc->rto_tsc) {
			rto_expired(tc);
			continue;
		}
		if (ts->p.keepalive_s != 0 &&
		    (tc->state & (TCPS_SEND_DATA | TCPS(FIN_WAIT_2))) &&
		    tc->snd.una == tc->snd.max)
			keepalive(tc);
	}
}
