/*
 * tcp_input.c -- segment arrival (RFC 9293, 3.10.7), with the RFC's
 * step numbers. ESTABLISHED has no separate fast path yet: it is the
 * common case of the same steps.
 *
 * Segments beyond RCV.NXT within the window wait in the connection's
 * out-of-order queue (trimmed against what it holds, bounded per
 * connection and per stack) and are delivered as soon as the gap before
 * them fills; each such arrival is answered at once by a duplicate ACK
 * (with SACK blocks when the peer allows them), so that the peer's fast
 * retransmit starts.
 *
 * mbuf ownership: tcp_input consumes the segment (frees it, or keeps it
 * in the out-of-order queue); payload handed to the application points
 * into an mbuf and is valid only during the upcall.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "tcp_private.h"

/* What the options of a segment said. */
struct tcp_opts {
	uint16_t mss;           /* 0 = absent */
	int wscale;             /* -1 = absent */
	bool ts;
	uint32_t tsval, tsecr;
	bool sack_ok;           /* SACK-permitted */
	uint8_t n_sack;         /* SACK blocks */
	uint32_t sack[4][2];
};

/* rd32 -- a big-endian 32-bit value. */
static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * parse_options -- decode MSS, window scale, SACK-permitted, SACK
 * blocks and timestamps.
 */
static void
parse_options(const uint8_t *p, unsigned len, struct tcp_opts *o)
{
	o->mss = 0;
	o->wscale = -1;
	o->ts = false;
	o->tsval = o->tsecr = 0;
	o->sack_ok = false;
	o->n_sack = 0;
	for (unsigned i = 0; i < len;) {
		uint8_t kind = p[i];
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || p[i + 1] < 2 || i + p[i + 1] > len)
			break;
		uint8_t olen = p[i + 1];
		if (kind == 2 && olen == 4)
			o->mss = (uint16_t)(p[i + 2] << 8 | p[i + 3]);
		else if (kind == 4 && olen == 2)
			o->sack_ok = true;
		else if (kind == 3 && olen == 3)
			o->wscale = p[i + 2] > 14 ? 14 : p[i + 2];
		else if (kind == 8 && olen == 10) {
			o->ts = true;
			o->tsval = rd32(p + i + 2);
			o->tsecr = rd32(p + i + 6);
		} else if (kind == 5 && olen >= 10 && (olen - 2) % 8 == 0) {
			unsigned n = RTE_MIN((olen - 2) / 8u, 4u);
			for (unsigned b = 0; b < n; b++) {
				o->sack[b][0] = rd32(p + i + 2 + 8 * b);
				o->sack[b][1] = rd32(p + i + 6 + 8 * b);
			}
			o->n_sack = (uint8_t)n;
		}
		i += olen;
	}
}

/* cksum_ok -- verify the TCP checksum with the pseudo-header. */
static bool
cksum_ok(const void *seg, uint32_t len, uint32_t src, uint32_t dst)
{
	uint32_t s = rte_raw_cksum(seg, len);

	s += (src & 0xffff) + (src >> 16) + (dst & 0xffff) + (dst >> 16);
	s += rte_cpu_to_be_16(IPPROTO_TCP) + rte_cpu_to_be_16((uint16_t)len);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/*
 * SYN cookies: when the SYN backlog is full, the SYN-ACK's ISN carries
 * what the connection needs and no state is kept: 5 bits of a 64 s
 * clock, 2 bits of MSS class, 25 bits of a keyed hash of the 4-tuple,
 * the clock and the client's ISN. The ACK that completes the handshake
 * is checked against it (this clock or the previous one) and the
 * connection created then, without window scaling or timestamps (the
 * cookie cannot carry them).
 */
static const uint16_t cookie_mss[4] = { 536, 1220, 1440, 1460 };

/* cookie_clock -- the 5-bit, 64-second clock of the cookies. */
static uint32_t
cookie_clock(const struct tcp_stack *ts)
{
	return (uint32_t)(ts->net->now_tsc / ts->net->tsc_hz / 64) & 0x1f;
}

/* cookie_hash -- 25 bits keyed on the stack's secret. */
static uint32_t
cookie_hash(const struct tcp_stack *ts, uint32_t src, uint16_t sport,
	    uint32_t dst, uint16_t dport, uint32_t t, uint32_t cisn)
{
	uint64_t k = ts->secret ^ 0x9e3779b97f4a7c15ULL;
	const uint64_t in[3] = {
		(uint64_t)src << 32 | dst,
		(uint64_t)sport << 48 | (uint64_t)dport << 32 | cisn,
		t,
	};
	for (int i = 0; i < 3; i++) {
		k ^= in[i];
		k *= 0xff51afd7ed558ccdULL;
		k ^= k >> 33;
		k *= 0xc4ceb9fe1a85ec53ULL;
		k ^= k >> 29;
	}
	return (uint32_t)k & 0x1ffffff;
}

/* cookie_send -- answer a SYN with a cookie SYN-ACK. */
static void
cookie_send(struct tcp_stack *ts, uint32_t src, uint32_t dst,
	    const struct rte_tcp_hdr *th, const struct tcp_opts *o)
{
	uint16_t want = o->mss ? o->mss : 536;
	uint32_t idx = 0, t = cookie_clock(ts);
	uint32_t cisn = rte_be_to_cpu_32(th->sent_seq);

	if (want > ts->p.mss)
		want = ts->p.mss;
	while (idx < 3 && cookie_mss[idx + 1] <= want)
		idx++;
	uint32_t iss = t << 27 | idx << 25 |
		       cookie_hash(ts, src, th->src_port, dst, th->dst_port, t,
				   cisn);
	TCP_COUNT(ts, syncookies_sent);
	tcp_send_synack_for(ts, src, th->src_port, dst, th->dst_port, iss,
			    cisn + 1, cookie_mss[idx]);
}

/* cookie_check -- whether an ACK completes a cookie handshake. */
static bool
cookie_check(struct tcp_stack *ts, uint32_t src, uint32_t dst,
	     const struct rte_tcp_hdr *th)
{
	uint32_t iss = rte_be_to_cpu_32(th->recv_ack) - 1;
	uint32_t cisn = rte_be_to_cpu_32(th->sent_seq) - 1;
	uint32_t t = iss >> 27, now = cookie_clock(ts);

	return ((now - t) & 0x1f) <= 1 &&
	       (iss & 0x1ffffff) == cookie_hash(ts, src, th->src_port, dst,
						th->dst_port, t, cisn);
}

/*
 * cookie_establish -- make tc the connection a valid cookie ACK
 * describes: ESTABLISHED, the cookie's ISN and MSS, no window scaling,
 * no timestamps, no SACK; the application is told. Returns false (tc aborted)
 * if the application refuses it.
 */
static bool
cookie_establish(struct tcp_conn *tc, const struct rte_tcp_hdr *th)
{
	struct tcp_stack *ts = tc->ts;
	uint32_t iss = rte_be_to_cpu_32(th->recv_ack) - 1;
	uint32_t cisn = rte_be_to_cpu_32(th->sent_seq) - 1;
	uint16_t mss = cookie_mss[(iss >> 25) & 3];

	TCP_COUNT(ts, syncookies_ok);
	tc->state = TCPS(ESTABLISHED);
	tc->rcv.irs = cisn;
	tc->rcv.nxt = cisn + 1;
	tc->rcv.wscale = 0;
	tc->snd.wscale = 0;
	tc->ts_ok = false;
	tc->sack_ok = false;
	tc->snd.iss = iss;
	tc->snd.una = iss + 1;
	tc->snd.nxt = iss + 1;
	tc->snd.max = iss + 1;
	tc->snd.wnd = rte_be_to_cpu_16(th->rx_win);
	tc->snd.max_wnd = tc->snd.wnd;
	tc->snd.wl1 = cisn + 1;
	tc->snd.wl2 = iss + 1;
	tc->snd.mss = mss;
	tc->cwnd = 10u * mss;
	tc->ssthresh = UINT32_MAX;
	tc->rto_tsc = 0;
	tc->retries = 0;
	TCP_COUNT(ts, established);
	void *app = ts->ops->accept(ts->ctx, tc);
	if (app == NULL) {
		TCP_COUNT(ts, accepts_refused);
		tcp_abort(tc);
		return false;
	}
	tc->app = app;
	tc->accepted = true;
	return true;
}

/*
 * cookie_accept -- an ACK for no connection on a listening port: if it
 * completes a cookie handshake, the connection, ESTABLISHED; else NULL.
 */
static struct tcp_conn *
cookie_accept(struct tcp_stack *ts, uint32_t src, uint32_t dst,
	      const struct rte_tcp_hdr *th)
{
	if (!cookie_check(ts, src, dst, th)) {
		TCP_COUNT(ts, syncookies_failed);
		return NULL;
	}
	struct tcp_conn *tc = tcp_conn_new(ts, src, th->src_port, dst,
					   th->dst_port);
	if (tc == NULL)
		return NULL;
	TCP_COUNT(ts, passive_opens);
	return cookie_establish(tc, th) ? tc : NULL;
}

/*
 * syn_options -- take what the peer's SYN (or SYN-ACK) says: its
 * initial sequence number and window, and the options both sides use:
 * window scaling only if both offered it (we always do), SACK and
 * timestamps if the peer offered them (in a SYN-ACK: accepted ours),
 * the MSS (536 if absent). Sets the initial congestion window.
 */
static void
syn_options(struct tcp_conn *tc, const struct rte_tcp_hdr *th,
	    const struct tcp_opts *o)
{
	tc->rcv.irs = rte_be_to_cpu_32(th->sent_seq);
	tc->rcv.nxt = tc->rcv.irs + 1;
	tc->snd.wnd = rte_be_to_cpu_16(th->rx_win);   /* not scaled in SYN */
	tc->snd.max_wnd = tc->snd.wnd;
	tc->snd.wl1 = tc->rcv.irs;
	if (o->wscale >= 0) {
		tc->snd.wscale = (uint8_t)o->wscale;
		tc->rcv.wscale = TCP_RCV_WSCALE;
	} else {
		tc->snd.wscale = 0;
		tc->rcv.wscale = 0;
	}
	tc->ts_ok = o->ts;
	tc->ts_recent = o->tsval;
	tc->sack_ok = o->sack_ok;
	uint16_t mss = o->mss ? o->mss : 536;
	if (mss > tc->ts->p.mss)
		mss = tc->ts->p.mss;
	if (tc->ts_ok)
		mss -= TCP_OPT_TS_LEN;
	tc->snd.mss = mss;
	tc->cwnd = 10u * mss;                  /* RFC 6928 */
	tc->ssthresh = UINT32_MAX;
}

/* listen_input -- a SYN for a listening port: SYN-RECEIVED. */
static void
listen_input(struct tcp_stack *ts, uint32_t src, uint32_t dst,
	     const struct rte_tcp_hdr *th, const struct tcp_opts *o)
{
	if (ts->n_syn >= ts->p.backlog) {
		cookie_send(ts, src, dst, th, o);
		return;
	}
	struct tcp_conn *tc = tcp_conn_new(ts, src, th->src_port, dst,
					   th->dst_port);
	if (tc == NULL) {
		TCP_COUNT(ts, syn_dropped);
		return;
	}
	TCP_COUNT(ts, passive_opens);
	ts->n_syn++;
	tc->state = TCPS(SYN_RECEIVED);
	tc->snd.iss = tcp_isn(ts, tc);
	tc->snd.una = tc->snd.iss;
	tc->snd.nxt = tc->snd.iss + 1;
	tc->snd.max = tc->snd.nxt;
	syn_options(tc, th, o);
	tcp_send_ctl(tc, TCP_FLAG_SYN | TCP_FLAG_ACK, tc->snd.iss);
	tcp_arm_rto(tc);
}

/* rtt_sample -- RFC 6298 estimator update from one measurement. */
static void
rtt_sample(struct tcp_conn *tc, uint32_t rtt_us)
{
	if (tc->srtt_us == 0) {
		tc->srtt_us = rtt_us;
		tc->rttvar_us = rtt_us / 2;
	} else {
		uint32_t d = tc->srtt_us > rtt_us ? tc->srtt_us - rtt_us :
			     rtt_us - tc->srtt_us;
		tc->rttvar_us = (3 * tc->rttvar_us + d) / 4;
		tc->srtt_us = (7 * tc->srtt_us + rtt_us) / 8;
	}
	uint32_t rto = tc->srtt_us + (4 * tc->rttvar_us > 1000 ?
				      4 * tc->rttvar_us : 1000);
	tc->rto_us = rto < TCP_RTO_MIN_US ? TCP_RTO_MIN_US :
		     rto > TCP_RTO_MAX_US ? TCP_RTO_MAX_US : rto;
}

/*
 * syn_sent_input -- a segment for a connection in SYN-SENT (RFC 9293,
 * section 3.10.7, "SYN-SENT STATE"): an unacceptable ACK is answered
 * by a RST (unless it is one); a RST counts only with an acceptable ACK
 * and fails the open; a SYN-ACK makes the connection ESTABLISHED (ACK
 * sent, connected upcall); a SYN
 * alone is a simultaneous open: SYN-RECEIVED and our SYN-ACK. Returns
 * true if the connection is ESTABLISHED and the segment's text and FIN
 * (after the SYN) remain to be processed.
 */
static bool
syn_sent_input(struct tcp_conn *tc, uint32_t src, uint32_t dst,
	       const struct rte_tcp_hdr *th, const struct tcp_opts *o)
{
	struct tcp_stack *ts = tc->ts;
	uint8_t flags = th->tcp_flags;
	uint32_t ack = rte_be_to_cpu_32(th->recv_ack);

	/* First: the ACK, which must acknowledge our SYN and no more. */
	if ((flags & TCP_FLAG_ACK) &&
	    (seq_leq(ack, tc->snd.iss) || seq_gt(ack, tc->snd.nxt))) {
		if (!(flags & TCP_FLAG_RST))
			tcp_send_rst_for(ts, src, th->src_port, dst,
					 th->dst_port, ack, 0, false);
		return false;
	}
	/* Second: a RST with an acceptable ACK: connection refused. */
	if (flags & TCP_FLAG_RST) {
		if (flags & TCP_FLAG_ACK) {
			TCP_COUNT(ts, resets_rx);
			TCP_COUNT(ts, connect_refused);
			tcp_conn_destroy(tc);
		}
		return false;
	}
	/* Fourth: the SYN. Neither SYN nor RST: drop. */
	if (!(flags & TCP_FLAG_SYN))
		return false;
	syn_options(tc, th, o);
	if (!(flags & TCP_FLAG_ACK)) {
		/* Simultaneous open: our SYN crossed the peer's. */
		ts->n_syn++;
		tc->state = TCPS(SYN_RECEIVED);
		tc->rtt_tsc = 0;
		tcp_send_ctl(tc, TCP_FLAG_SYN | TCP_FLAG_ACK, tc->snd.iss);
		tcp_arm_rto(tc);
		return false;
	}
	tc->snd.una = ack;
	tc->snd.wl2 = ack;
	if (tc->retries == 0 && tc->rtt_tsc != 0) {
		uint64_t d = ts->net->now_tsc - tc->rtt_tsc;
		rtt_sample(tc, (uint32_t)(d * 1000000 / ts->net->tsc_hz));
	} else if (tc->retries > 0) {
		tc->rto_us = TCP_RTO_SYN_US;   /* RFC 6298 5.7 */
	}
	tc->rtt_tsc = 0;
	tc->rto_tsc = 0;
	tc->retries = 0;
	tc->state = TCPS(ESTABLISHED);
	TCP_COUNT(ts, established);
	tc->ack_now = true;     /* the ACK rides on data sent at once */
	tcp_mark_flush(tc);
	ts->ops->connected(tc->app, tc);
	return tc->state != TCPS(CLOSED);
}

/*
 * early_loss -- whether fewer than three duplicate ACKs (tc->dupacks)
 * already show the segment at SND.UNA lost: three segments SACKed above
 * it (RFC 6675 IsLost), or, with fewer than four segments outstanding
 * and nothing new to send, a duplicate for each outstanding segment but
 * one (RFC 5827 early retransmit).
 */
static bool
early_loss(const struct tcp_conn *tc)
{
	uint32_t mss = tc->snd.mss, out = tc->snd.max - tc->snd.una;
	uint32_t data_out = out - (tc->fin_sent ? 1 : 0);
	uint32_t oseg = (data_out + mss - 1) / mss;

	if (tc->n_score > 0 && tcp_sack_bytes(tc) >= 3u * mss)
		return true;
	return oseg >= 2 && oseg < 4 && tc->sq_bytes <= data_out &&
	       tc->dupacks >= oseg - 1;
}

/*
 * ack_input -- step 5 for an acceptable ACK in a synchronized state; o
 * carries its SACK blocks.
 */
static void
ack_input(struct tcp_conn *tc, uint32_t seq, uint32_t ack, uint32_t wnd,
	  uint32_t len, const struct tcp_opts *o)
{
	struct tcp_stack *ts = tc->ts;
	bool sacked_new = false;

	if (tc->sack_ok && o->n_sack > 0)
		sacked_new = tcp_sack_update(tc, seq_gt(ack, tc->snd.una) ?
					     ack : tc->snd.una, o->sack,
					     o->n_sack);
	if (seq_gt(ack, tc->snd.una)) {
		uint32_t acked = ack - tc->snd.una;
		uint32_t data = acked;
		bool fin_acked = tc->fin_sent && ack == tc->snd.max;
		if (fin_acked)
			data--;
		if (data > tc->sq_bytes)
			data = tc->sq_bytes;
		tcp_sq_ack(tc, data);
		tc->snd.una = ack;
		tcp_sack_trim(tc);
		if (seq_lt(tc->snd.nxt, ack)) {
			/*
			 * After a rewind (RTO) the peer acknowledged data
			 * sent before it: sending resumes at the new
			 * SND.UNA, and so does the send queue's cursor.
			 */
			tc->snd.nxt = ack;
			tc->sq_cur = tc->sq_head;
			tc->sq_cur_off = tc->sq_off;
		}
		if (tc->rtt_tsc != 0 && seq_geq(ack, tc->rtt_seq)) {
			uint64_t d = ts->net->now_tsc - tc->rtt_tsc;
			rtt_sample(tc, (uint32_t)(d * 1000000 /
						  ts->net->tsc_hz));
			tc->rtt_tsc = 0;
		}
		/* Congestion window: slow start, then avoidance. */
		if (tc->dupacks >= 3 && seq_lt(ack, tc->recover)) {
			/* Partial ACK: resend the next holes (SACK), or
			 * the next one (NewReno). */
			if (tc->sack_recovery)
				tcp_sack_recover(tc, false);
			else
				tcp_retransmit_first(tc);
		} else if (tc->dupacks >= 3) {
			tc->cwnd = tc->ssthresh;
			tc->sack_recovery = false;
		} else if (tc->cwnd < tc->ssthresh) {
			tc->cwnd += acked < tc->snd.mss ? acked : tc->snd.mss;
		} else {
			tc->cwnd += tc->snd.mss * tc->snd.mss / tc->cwnd + 1;
		}
		if (!(tc->dupacks >= 3 && seq_lt(ack, tc->recover)))
			tc->dupacks = 0;
		tc->retries = 0;
		if (tc->snd.una == tc->snd.max)
			tc->rto_tsc = 0;
		else
			tcp_arm_rto(tc);
		tcp_mark_flush(tc);
	} else if (ack == tc->snd.una && len == 0 &&
		   tc->snd.una != tc->snd.max &&
		   (wnd == tc->snd.wnd || sacked_new)) {
		/*
		 * A duplicate ACK (RFC 5681: same window; RFC 6675: or
		 * SACKing new data). Three of them, or an earlier sign of
		 * loss, start recovery.
		 */
		TCP_COUNT(ts, dup_acks);
		if (++tc->dupacks < 3 && early_loss(tc))
			tc->dupacks = 3;
		if (tc->dupacks < 3) {
			/* Limited transmit (RFC 3042): tcp_output lets a
			 * new segment go for each of the first two. */
			tcp_mark_flush(tc);
		} else if (tc->dupacks == 3) {
			/* Fast retransmit and recovery. */
			uint32_t flight = tc->snd.max - tc->snd.una;
			tc->ssthresh = flight / 2 > 2u * tc->snd.mss ?
				       flight / 2 : 2u * tc->snd.mss;
			tc->recover = tc->snd.max;
			if (tc->n_score > 0) {
				/* SACK recovery: no window inflation. */
				tc->sack_recovery = true;
				tc->cwnd = tc->ssthresh;
				tc->rxt_nxt = tc->snd.una;
				tcp_sack_recover(tc, true);
			} else {
				tc->cwnd = tc->ssthresh + 3u * tc->snd.mss;
				tcp_retransmit_first(tc);
			}
		} else if (tc->dupacks > 3 && tc->sack_recovery) {
			tcp_sack_recover(tc, false);
		} else if (tc->dupacks > 3) {
			tc->cwnd += tc->snd.mss;
			tcp_mark_flush(tc);
		}
	}
	/* Window update (RFC 9293 3.10.7, "Other States", step 5: the SND.WL1/WL2 rule). */
	if (seq_lt(tc->snd.wl1, seq) ||
	    (tc->snd.wl1 == seq && seq_leq(tc->snd.wl2, ack))) {
		if (wnd > tc->snd.wnd)
			tcp_mark_flush(tc);
		tc->snd.wnd = wnd;
		if (wnd > tc->snd.max_wnd)
			tc->snd.max_wnd = wnd;
		tc->snd.wl1 = seq;
		tc->snd.wl2 = ack;
	}
}

void
tcp_ooo_free(struct tcp_conn *tc)
{
	struct rte_mbuf *m = tc->ooo_head;

	while (m != NULL) {
		struct rte_mbuf *n = m->next;
		m->next = NULL;
		rte_pktmbuf_free(m);
		m = n;
	}
	tc->ooo_head = NULL;
	tc->ts->ooo_mem -= tc->ooo_mem;
	tc->ooo_mem = 0;
}

/* ooo_unlink -- take m (after *pp) out of the queue; the caller frees. */
static void
ooo_unlink(struct tcp_conn *tc, struct rte_mbuf **pp, struct rte_mbuf *m)
{
	*pp = m->next;
	m->next = NULL;
	tc->ooo_mem -= m->buf_len;
	tc->ts->ooo_mem -= m->buf_len;
}

/* sack_note -- remember seq as the start of the latest OOO arrival. */
static void
sack_note(struct tcp_conn *tc, uint32_t seq)
{
	unsigned n = tc->n_sack_recent;

	if (n == TCP_SACK_RECENT)
		n--;
	memmove(tc->sack_recent + 1, tc->sack_recent,
		n * sizeof(tc->sack_recent[0]));
	tc->sack_recent[0] = seq;
	tc->n_sack_recent = (uint8_t)(n + 1);
}

/*
 * ooo_add -- keep a segment that starts beyond RCV.NXT: m's data is the
 * TCP header (hlen bytes) and len bytes of payload starting at seq. The
 * payload is trimmed to the window and to what the queue does not hold
 * yet (segments it covers entirely are replaced). Consumes m.
 */
static void
ooo_add(struct tcp_conn *tc, struct rte_mbuf *m, uint32_t seq, uint32_t len,
	unsigned hlen)
{
	struct tcp_stack *ts = tc->ts;
	uint32_t wend = tc->rcv.nxt + ts->p.rcv_wnd;

	/* The newest segment is the one dropped beyond a bound. */
	if (tc->ooo_mem + m->buf_len > ts->p.ooo_conn_max ||
	    ts->ooo_mem + m->buf_len > ts->p.ooo_max) {
		TCP_COUNT(ts, ooo_dropped);
		goto drop;
	}
	rte_pktmbuf_adj(m, (uint16_t)hlen);
	if (seq_gt(seq + len, wend)) {
		rte_pktmbuf_trim(m, (uint16_t)(seq + len - wend));
		len = wend - seq;
	}
	struct rte_mbuf **pp = &tc->ooo_head;
	while (*pp != NULL) {
		struct rte_mbuf *q = *pp;
		uint32_t qs = TCP_OOO_SEQ(q), qe = qs + q->data_len;
		if (seq_leq(qe, seq)) {                 /* wholly before */
			pp = &q->next;
			continue;
		}
		if (seq_leq(qs, seq)) {
			if (seq_geq(qe, seq + len)) {   /* nothing new */
				TCP_COUNT(ts, ooo_duplicates);
				goto drop;
			}
			/* q holds our start: keep the part after it. */
			rte_pktmbuf_adj(m, (uint16_t)(qe - seq));
			len -= qe - seq;
			seq = qe;
			pp = &q->next;
			continue;
		}
		if (seq_geq(qs, seq + len))             /* wholly after */
			break;
		if (seq_leq(qe, seq + len)) {           /* we cover q */
			ooo_unlink(tc, pp, q);
			rte_pktmbuf_free(q);
			continue;
		}
		/* q holds our end: keep the part before it. */
		rte_pktmbuf_trim(m, (uint16_t)(seq + len - qs));
		len = qs - seq;
		break;
	}
	TCP_OOO_SEQ(m) = seq;
	m->next = *pp;
	*pp = m;
	tc->ooo_mem += m->buf_len;
	ts->ooo_mem += m->buf_len;
	sack_note(tc, seq);
	return;
drop:
	if (m != NULL)
		rte_pktmbuf_free(m);
}

/*
 * ooo_deliver -- hand the application the queued segments that RCV.NXT
 * has reached. Returns false if the application closed the connection.
 */
static bool
ooo_deliver(struct tcp_conn *tc)
{
	struct rte_mbuf *m;

	while ((m = tc->ooo_head) != NULL &&
	       seq_leq(TCP_OOO_SEQ(m), tc->rcv.nxt)) {
		uint32_t end = TCP_OOO_SEQ(m) + m->data_len;
		ooo_unlink(tc, &tc->ooo_head, m);
		if (seq_gt(end, tc->rcv.nxt)) {
			uint32_t skip = tc->rcv.nxt - TCP_OOO_SEQ(m);
			tc->rcv.nxt = end;
			tc->ts->ops->recv(tc->app,
					  rte_pktmbuf_mtod_offset(m, uint8_t *,
								  skip),
					  m->data_len - skip);
		}
		rte_pktmbuf_free(m);
		if (tc->state == TCPS(CLOSED))
			return false;
	}
	return true;
}

/* enter_time_wait -- TIME-WAIT: keep the 4-tuple for 2MSL. */
static void
enter_time_wait(struct tcp_conn *tc)
{
	tc->state = TCPS(TIME_WAIT);
	tc->rto_tsc = 0;
	tc->tw_tsc = tc->ts->net->now_tsc +
		     tcp_us_to_tsc(tc->ts, TCP_TIME_WAIT_US);
	tcp_sq_ack(tc, tc->sq_bytes);
}

void
tcp_input(struct tcp_stack *ts, struct rte_mbuf *m, uint32_t src,
	  uint32_t dst, uint16_t l4_len, bool cksum_good)
{
	struct rte_tcp_hdr *th;
	struct tcp_opts o;

	TCP_COUNT(ts, segs_rx);
	if (l4_len < TCP_HDR_LEN || rte_pktmbuf_data_len(m) < l4_len) {
		TCP_COUNT(ts, bad_segments);
		goto drop;
	}
	th = rte_pktmbuf_mtod(m, struct rte_tcp_hdr *);
	unsigned hlen = (unsigned)(th->data_off >> 4) * 4;
	if (hlen < TCP_HDR_LEN || hlen > l4_len) {
		TCP_COUNT(ts, bad_segments);
		goto drop;
	}
	if (!cksum_good && !cksum_ok(th, l4_len, src, dst)) {
		TCP_COUNT(ts, bad_checksums);
		goto drop;
	}
	parse_options((const uint8_t *)(th + 1), hlen - TCP_HDR_LEN, &o);

	uint8_t flags = th->tcp_flags;
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq);
	uint32_t ack = rte_be_to_cpu_32(th->recv_ack);
	const uint8_t *data = (const uint8_t *)th + hlen;
	uint32_t len = l4_len - hlen;
	struct tcp_conn *tc = tcp_conn_lookup(ts, src, th->src_port, dst,
					      th->dst_port);

	if (tc == NULL) {
		/* CLOSED or LISTEN (RFC 9293 3.10.7, first two cases). */
		if (flags & TCP_FLAG_RST)
			goto drop;
		if ((flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN &&
		    tcp_is_listening(ts, th->dst_port)) {
			listen_input(ts, src, dst, th, &o);
			goto drop;
		}
		if ((flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_FIN)) ==
		    TCP_FLAG_ACK && tcp_is_listening(ts, th->dst_port) &&
		    (tc = cookie_accept(ts, src, dst, th)) != NULL)
			goto established;
		TCP_COUNT(ts, no_conn);
		if (flags & TCP_FLAG_ACK)
			tcp_send_rst_for(ts, src, th->src_port, dst,
					 th->dst_port, ack, 0, false);
		else
			tcp_send_rst_for(ts, src, th->src_port, dst,
					 th->dst_port, 0, seq + len +
					 ((flags & TCP_FLAG_SYN) ? 1 : 0) +
					 ((flags & TCP_FLAG_FIN) ? 1 : 0),
					 true);
		goto drop;
	}
established:
	tc->idle_tsc = ts->net->now_tsc;
	tc->probes = 0;

	if (tc->state == TCPS(SYN_SENT)) {
		if (!syn_sent_input(tc, src, dst, th, &o) ||
		    (len == 0 && !(flags & TCP_FLAG_FIN)))
			goto drop;
		/* Text or FIN in the SYN-ACK: on from step 7. */
		seq++;
		if (o.ts)
			tc->ts_recent = o.tsval;
		goto text;
	}
	if (tc->state == TCPS(SYN_RECEIVED)) {
		if (flags & TCP_FLAG_RST) {
			TCP_COUNT(ts, resets_rx);
			if (tc->active)
				TCP_COUNT(ts, connect_refused);
			tcp_conn_destroy(tc);
			goto drop;
		}
		bool synack = tc->active && (flags & TCP_FLAG_ACK) &&
			      ack == tc->snd.iss + 1;
		if ((flags & TCP_FLAG_SYN) && seq == tc->rcv.irs && !synack) {
			/* Our SYN-ACK was lost: send it again. */
			tcp_send_ctl(tc, TCP_FLAG_SYN | TCP_FLAG_ACK,
				     tc->snd.iss);
			goto drop;
		}
		if (synack && (flags & TCP_FLAG_SYN)) {
			/*
			 * Simultaneous open, the peer's SYN-ACK: it
			 * acknowledges our SYN, like the ACK that would
			 * complete the handshake; ours acknowledges it.
			 */
			flags &= (uint8_t)~TCP_FLAG_SYN;
			seq++;
			tc->ack_now = true;
			tcp_mark_flush(tc);
		}
		if (!(flags & TCP_FLAG_ACK))
			goto drop;
		if (ack != tc->snd.iss + 1) {
			/*
			 * The peer may be completing an earlier cookie
			 * handshake: its first SYN got a cookie, a
			 * retransmitted one this connection, and the cookie
			 * SYN-ACK arrived first. Adopt the cookie's.
			 */
			if (cookie_check(ts, src, dst, th)) {
				ts->n_syn--;
				if (!cookie_establish(tc, th))
					goto drop;
				goto synchronized;
			}
			tcp_send_rst_for(ts, src, th->src_port, dst,
					 th->dst_port, ack, 0, false);
			goto drop;
		}
		/* Handshake complete: ESTABLISHED, then tell the app. */
		ts->n_syn--;
		tc->state = TCPS(ESTABLISHED);
		tc->snd.una = ack;
		tc->snd.wnd = (uint32_t)rte_be_to_cpu_16(th->rx_win) <<
			      tc->snd.wscale;
		tc->snd.max_wnd = tc->snd.wnd;
		tc->snd.wl1 = seq;
		tc->snd.wl2 = ack;
		tc->rto_tsc = 0;
		tc->retries = 0;
		TCP_COUNT(ts, established);
		if (tc->active) {
			ts->ops->connected(tc->app, tc);
			if (tc->state == TCPS(CLOSED))
				goto drop;
		} else {
			void *app = ts->ops->accept(ts->ctx, tc);
			if (app == NULL) {
				TCP_COUNT(ts, accepts_refused);
				tcp_abort(tc);
				goto drop;
			}
			tc->app = app;
			tc->accepted = true;
		}
	}

synchronized:;
	/* "Other States", step 1: is the segment acceptable? */
	uint32_t wnd = ts->p.rcv_wnd;
	bool ok;
	if (len == 0)
		ok = seq == tc->rcv.nxt ||
		     (seq_geq(seq, tc->rcv.nxt) &&
		      seq_lt(seq, tc->rcv.nxt + wnd));
	else
		ok = (seq_geq(seq, tc->rcv.nxt) &&
		      seq_lt(seq, tc->rcv.nxt + wnd)) ||
		     (seq_geq(seq + len - 1, tc->rcv.nxt) &&
		      seq_lt(seq + len - 1, tc->rcv.nxt + wnd));
	if (!ok) {
		if (!(flags & TCP_FLAG_RST)) {
			tc->ack_now = true;   /* old duplicate: re-ACK */
			tcp_mark_flush(tc);
		}
		goto drop;
	}
	/* Step 2: RST, exactly in sequence (RFC 5961 3.2). */
	if (flags & TCP_FLAG_RST) {
		if (seq == tc->rcv.nxt) {
			TCP_COUNT(ts, resets_rx);
			tcp_conn_destroy(tc);
		} else {
			TCP_COUNT(ts, challenge_acks);
			tc->ack_now = true;   /* challenge ACK */
			tcp_mark_flush(tc);
		}
		goto drop;
	}
	/* Step 4: SYN in a synchronized state: challenge ACK (RFC 5961). */
	if (flags & TCP_FLAG_SYN) {
		TCP_COUNT(ts, challenge_acks);
		tc->ack_now = true;
		tcp_mark_flush(tc);
		goto drop;
	}
	/* Step 5: ACK. */
	if (!(flags & TCP_FLAG_ACK))
		goto drop;
	/* RFC 5961 5.2: an ACK for data never sent, or older than the
	 * largest window we had, is a blind injection attempt: challenge
	 * ACK, drop. */
	if (seq_gt(ack, tc->snd.max) ||
	    seq_lt(ack, tc->snd.una - tc->snd.max_wnd)) {
		TCP_COUNT(ts, challenge_acks);
		tc->ack_now = true;
		tcp_mark_flush(tc);
		goto drop;
	}
	if (o.ts && seq_leq(seq, tc->rcv.nxt))
		tc->ts_recent = o.tsval;
	uint32_t swnd = (uint32_t)rte_be_to_cpu_16(th->rx_win) <<
			tc->snd.wscale;
	ack_input(tc, seq, ack, swnd, len, &o);
	bool fin_acked = tc->fin_sent && tc->snd.una == tc->snd.max;
	switch (tc->state) {
	case TCPS(FIN_WAIT_1):
		if (fin_acked)
			tc->state = TCPS(FIN_WAIT_2);
		break;
	case TCPS(CLOSING):
		if (fin_acked)
			enter_time_wait(tc);
		break;
	case TCPS(LAST_ACK):
		if (fin_acked) {
			tcp_conn_destroy(tc);
			goto drop;
		}
		break;
	case TCPS(TIME_WAIT):
		if (flags & TCP_FLAG_FIN) {
			tc->ack_now = true;
			tc->tw_tsc = ts->net->now_tsc +
				     tcp_us_to_tsc(ts, TCP_TIME_WAIT_US);
			tcp_mark_flush(tc);
		}
		goto drop;
	}

text:
	/* Step 7: segment text. */
	if ((tc->state & TCPS_RECV_DATA) && seq_gt(seq, tc->rcv.nxt) &&
	    (len > 0 || (flags & TCP_FLAG_FIN))) {
		/* Out of order: queued, and a duplicate ACK at once. */
		TCP_COUNT(ts, ooo_segments);
		if (flags & TCP_FLAG_FIN) {
			tc->ooo_fin = true;
			tc->ooo_fin_seq = seq + len;
		}
		if (len > 0) {
			ooo_add(tc, m, seq, len, hlen);
			m = NULL;
		}
		tcp_send_ctl(tc, TCP_FLAG_ACK, tc->snd.nxt);
		goto drop;
	}
	if (len > 0 && (tc->state & TCPS_RECV_DATA)) {
		uint32_t skip = tc->rcv.nxt - seq;   /* already received */
		if (skip < len) {
			tc->rcv.nxt += len - skip;
			tcp_mark_flush(tc);   /* ACK rides on the reply */
			tc->ack_now = true;
			ts->ops->recv(tc->app, data + skip, len - skip);
			/* The app may have aborted the connection. */
			if (tc->state == TCPS(CLOSED))
				goto drop;
			if (tc->ooo_head != NULL &&
			    seq_leq(TCP_OOO_SEQ(tc->ooo_head), tc->rcv.nxt)) {
				/* A gap filled: deliver what waited. */
				TCP_COUNT(ts, ooo_filled);
				if (!ooo_deliver(tc))
					goto drop;
			}
		}
	}
	/* Step 8: FIN, in this segment or waiting past a filled gap. */
	bool fin = (flags & TCP_FLAG_FIN) && seq + len == tc->rcv.nxt;
	if (!fin && tc->ooo_fin && tc->ooo_fin_seq == tc->rcv.nxt)
		fin = true;
	if (fin && (tc->state & (TCPS_RECV_DATA))) {
		tc->ooo_fin = false;
		tcp_ooo_free(tc);   /* nothing can come after the FIN */
		tc->rcv.nxt++;
		tc->ack_now = true;
		tcp_mark_flush(tc);
		if (tc->state == TCPS(ESTABLISHED)) {
			tc->state = TCPS(CLOSE_WAIT);
			ts->ops->peer_closed(tc->app);
		} else if (tc->state == TCPS(FIN_WAIT_1)) {
			tc->state = TCPS(CLOSING);
		} else if (tc->state == TCPS(FIN_WAIT_2)) {
			enter_time_wait(tc);
		}
	}
drop:
	if (m != NULL)
		rte_pktmbuf_free(m);
}
