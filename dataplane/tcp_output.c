/*
 * tcp_output.c -- segments out: data from the send queue by reference,
 * control segments, RSTs for segments that match no connection.
 *
 * A data segment is a header mbuf (TCP header written here, IPv4 and
 * Ethernet prepended by dp_ipv4_output) chained to indirect mbufs that
 * point into the send queue's data mbufs; the data stays queued until
 * acknowledged, so a retransmission sends the same bytes again. Ports
 * without multi-segment transmit get a copy in one mbuf instead.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "tcp_private.h"

/* now_ms32 -- the timestamp clock: milliseconds, wrapping. */
static uint32_t
now_ms32(const struct tcp_stack *ts)
{
	return (uint32_t)(ts->net->now_tsc * 1000 / ts->net->tsc_hz);
}

/*
 * rcv_window -- the window we advertise, already scaled down: rcv_wnd
 * less what the application holds, but never so small that the right
 * edge moves left of what was advertised before; remembered in rcv.adv.
 */
static uint16_t
rcv_window(struct tcp_conn *tc, bool syn)
{
	uint32_t full = tc->ts->p.rcv_wnd;
	uint32_t w = full > tc->rcv_held ? full - tc->rcv_held : 0;

	if (syn)
		return (uint16_t)(full > 65535 ? 65535 : full);
	if (seq_gt(tc->rcv.adv, tc->rcv.nxt + w) &&
	    seq_leq(tc->rcv.adv, tc->rcv.nxt + full))
		w = tc->rcv.adv - tc->rcv.nxt;
	w >>= tc->rcv.wscale;
	if (w > 65535)
		w = 65535;
	tc->rcv.adv = tc->rcv.nxt + (w << tc->rcv.wscale);
	return (uint16_t)w;
}

unsigned
tcp_sack_blocks(const struct tcp_conn *tc, uint32_t blk[][2], unsigned max)
{
	unsigned rank[TCP_SACK_RECENT + 1], n = 0;
	const struct rte_mbuf *m = tc->ooo_head;

	while (m != NULL) {
		/* One block: a run of contiguous queued segments. */
		uint32_t a = TCP_OOO_SEQ(m), b = a + m->data_len;
		for (m = m->next; m != NULL && TCP_OOO_SEQ(m) == b;
		     m = m->next)
			b += m->data_len;
		unsigned r = TCP_SACK_RECENT;
		for (unsigned i = 0; i < tc->n_sack_recent; i++) {
			if (seq_geq(tc->sack_recent[i], a) &&
			    seq_lt(tc->sack_recent[i], b)) {
				r = i;
				break;
			}
		}
		/* Lower rank first; equal ranks: the later block first. */
		unsigned pos = n;
		while (pos > 0 && rank[pos - 1] >= r)
			pos--;
		if (pos >= max)
			continue;
		if (n == max)
			n--;
		for (unsigned k = n; k > pos; k--) {
			blk[k][0] = blk[k - 1][0];
			blk[k][1] = blk[k - 1][1];
			rank[k] = rank[k - 1];
		}
		blk[pos][0] = a;
		blk[pos][1] = b;
		rank[pos] = r;
		n++;
	}
	return n;
}

/*
 * put_sack -- append NOP NOP SACK with the blocks of the out-of-order
 * queue that fit in room option bytes. Returns the bytes written.
 */
static unsigned
put_sack(struct tcp_conn *tc, uint8_t *p, unsigned room)
{
	uint32_t blk[4][2];

	if (room < 4 + 8)
		return 0;
	unsigned n = tcp_sack_blocks(tc, blk, RTE_MIN(4u, (room - 4) / 8));
	if (n == 0)
		return 0;
	p[0] = 1;
	p[1] = 1;
	p[2] = 5;   /* SACK */
	p[3] = (uint8_t)(2 + 8 * n);
	for (unsigned i = 0; i < n; i++) {
		uint32_t l = rte_cpu_to_be_32(blk[i][0]);
		uint32_t r = rte_cpu_to_be_32(blk[i][1]);
		memcpy(p + 4 + 8 * i, &l, 4);
		memcpy(p + 8 + 8 * i, &r, 4);
	}
	TCP_COUNT(tc->ts, sack_sent);
	return 4 + 8 * n;
}

/*
 * write_header -- prepend the TCP header (and options) to m, whose data
 * is the payload. SACK blocks go into what the options leave of 40
 * bytes and, with payload, of the segment size. Returns the header or
 * NULL if there is no room.
 */
static struct rte_tcp_hdr *
write_header(struct tcp_conn *tc, struct rte_mbuf *m, uint8_t flags,
	     uint32_t seq)
{
	uint8_t opts[40];
	unsigned olen = 0;
	bool syn = flags & TCP_FLAG_SYN;

	if (syn) {
		uint16_t mss = tc->ts->p.mss;
		opts[olen++] = 2;   /* MSS */
		opts[olen++] = 4;
		opts[olen++] = (uint8_t)(mss >> 8);
		opts[olen++] = (uint8_t)mss;
		if (tc->rcv.wscale != 0 || tc->snd.wscale != 0) {
			opts[olen++] = 1;   /* NOP */
			opts[olen++] = 3;   /* window scale */
			opts[olen++] = 3;
			opts[olen++] = tc->rcv.wscale;
		}
		if (tc->sack_ok) {
			opts[olen++] = 1;   /* NOP */
			opts[olen++] = 1;
			opts[olen++] = 4;   /* SACK-permitted */
			opts[olen++] = 2;
		}
	}
	if (tc->ts_ok && !(flags & TCP_FLAG_RST)) {
		uint32_t val = rte_cpu_to_be_32(now_ms32(tc->ts));
		uint32_t ecr = rte_cpu_to_be_32(tc->ts_recent);
		opts[olen++] = 1;
		opts[olen++] = 1;
		opts[olen++] = 8;   /* timestamps */
		opts[olen++] = 10;
		memcpy(opts + olen, &val, 4);
		memcpy(opts + olen + 4, &ecr, 4);
		olen += 8;
	}
	if (tc->sack_ok && tc->ooo_head != NULL && !syn &&
	    (flags & (TCP_FLAG_ACK | TCP_FLAG_RST)) == TCP_FLAG_ACK) {
		/* Payload and options share the peer's segment size. */
		uint32_t seg = tc->snd.mss + (tc->ts_ok ? TCP_OPT_TS_LEN : 0);
		uint32_t used = rte_pktmbuf_pkt_len(m) + olen;
		unsigned room = sizeof(opts) - olen;
		if (used >= seg)
			room = 0;
		else if (seg - used < room)
			room = seg - used;
		olen += put_sack(tc, opts + olen, room);
	}
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)
		rte_pktmbuf_prepend(m, (uint16_t)(TCP_HDR_LEN + olen));
	if (th == NULL)
		return NULL;
	th->src_port = tc->lport;
	th->dst_port = tc->rport;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32((flags & TCP_FLAG_ACK) ?
					tc->rcv.nxt : 0);
	th->data_off = (uint8_t)(((TCP_HDR_LEN + olen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(rcv_window(tc, syn));
	th->cksum = 0;
	th->tcp_urp = 0;
	memcpy(th + 1, opts, olen);
	return th;
}

/* pseudo_sum -- the IPv4 pseudo-header part of the TCP checksum. */
static uint32_t
pseudo_sum(uint32_t src, uint32_t dst, uint32_t len)
{
	uint32_t s = 0;

	s += (src & 0xffff) + (src >> 16);
	s += (dst & 0xffff) + (dst >> 16);
	s += rte_cpu_to_be_16(IPPROTO_TCP);
	s += rte_cpu_to_be_16((uint16_t)len);
	return s;
}

/*
 * raw_sum_chain -- the ones'-complement sum of the first len bytes of an
 * mbuf chain. DPDK 22.11's rte_raw_cksum_mbuf truncates a segment's
 * partial sum to 16 bits before swapping it for an odd offset, losing
 * its carries (a wrong checksum whenever a segment starts at an odd
 * offset in the packet, e.g. after a 5-byte "+OK\r\n" reply): each
 * partial sum is folded to 16 bits first here.
 */
static uint16_t
raw_sum_chain(const struct rte_mbuf *m, uint32_t len)
{
	uint32_t sum = 0, done = 0;

	for (; m != NULL && done < len; m = m->next) {
		uint32_t n = RTE_MIN((uint32_t)rte_pktmbuf_data_len(m),
				     len - done);
		uint32_t part = __rte_raw_cksum_reduce(
			__rte_raw_cksum(rte_pktmbuf_mtod(m, const void *), n, 0));
		if (done & 1)
			part = rte_bswap16((uint16_t)part);
		sum += part;
		done += n;
	}
	return __rte_raw_cksum_reduce(sum);
}

/* tcp_tso_piece -- payload bytes of each piece the port cuts. */
static uint32_t
tcp_tso_piece(const struct tcp_conn *tc)
{
	if (tc->ts->net->offloads & DP_OFF_TX_TSO_L2_MTU)
		return tc->snd.mss - RTE_ETHER_HDR_LEN;
	return tc->snd.mss;
}

/*
 * finish_tso -- a segment larger than one MSS goes to the port for
 * segmentation at segsz payload bytes: offload flags and header
 * lengths set, the TCP checksum field holding the pseudo-header sum
 * without the length (rte_ipv4_phdr_cksum's convention for TSO); the
 * port completes the IPv4 and TCP checksums of every piece. Consumes m.
 */
static void
finish_tso(struct tcp_stack *ts, struct rte_mbuf *m, struct rte_tcp_hdr *th,
	   uint32_t src, uint32_t dst, uint16_t segsz)
{
	uint32_t sum = pseudo_sum(src, dst, 0);

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	th->cksum = (uint16_t)sum;
	m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 |
		       RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = sizeof(struct rte_ipv4_hdr);
	m->l4_len = (th->data_off >> 4) * 4;
	m->tso_segsz = segsz;
	TCP_COUNT(ts, tso_segs_tx);
	TCP_COUNT(ts, segs_tx);
	dp_ipv4_output(ts->net, m, dst, IPPROTO_TCP);
}

/*
 * finish -- checksum the segment (header and chained payload) in
 * software and hand it to IPv4. Consumes m.
 */
static void
finish(struct tcp_stack *ts, struct rte_mbuf *m, struct rte_tcp_hdr *th,
       uint32_t src, uint32_t dst)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint32_t sum = raw_sum_chain(m, len) + pseudo_sum(src, dst, len);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	th->cksum = (uint16_t)~sum;
	if (th->cksum == 0)
		th->cksum = 0xffff;
	TCP_COUNT(ts, segs_tx);
	dp_ipv4_output(ts->net, m, dst, IPPROTO_TCP);
}

void
tcp_send_ctl(struct tcp_conn *tc, uint8_t flags, uint32_t seq)
{
	struct tcp_stack *ts = tc->ts;
	struct rte_mbuf *m = rte_pktmbuf_alloc(ts->net->pool);

	if (m == NULL)
		return;
	struct rte_tcp_hdr *th = write_header(tc, m, flags, seq);
	if (th == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	if (flags & TCP_FLAG_ACK)
		tc->ack_now = false;
	finish(ts, m, th, tc->laddr, tc->raddr);
}

void
tcp_send_rst_for(struct tcp_stack *ts, uint32_t raddr, uint16_t rport,
		 uint32_t laddr, uint16_t lport, uint32_t seq, uint32_t ack,
		 bool with_ack)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(ts->net->pool);

	if (m == NULL)
		return;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)
		rte_pktmbuf_prepend(m, TCP_HDR_LEN);
	th->src_port = lport;
	th->dst_port = rport;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(with_ack ? ack : 0);
	th->data_off = (TCP_HDR_LEN / 4) << 4;
	th->tcp_flags = TCP_FLAG_RST | (with_ack ? TCP_FLAG_ACK : 0);
	th->rx_win = 0;
	th->cksum = 0;
	th->tcp_urp = 0;
	TCP_COUNT(ts, resets_tx);
	finish(ts, m, th, laddr, raddr);
}

void
tcp_send_synack_for(struct tcp_stack *ts, uint32_t raddr, uint16_t rport,
		    uint32_t laddr, uint16_t lport, uint32_t iss, uint32_t ack,
		    uint16_t mss)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(ts->net->pool);

	if (m == NULL)
		return;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)
		rte_pktmbuf_prepend(m, TCP_HDR_LEN + 4);
	uint32_t w = ts->p.rcv_wnd;
	th->src_port = lport;
	th->dst_port = rport;
	th->sent_seq = rte_cpu_to_be_32(iss);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = ((TCP_HDR_LEN + 4) / 4) << 4;
	th->tcp_flags = TCP_FLAG_SYN | TCP_FLAG_ACK;
	th->rx_win = rte_cpu_to_be_16((uint16_t)(w > 65535 ? 65535 : w));
	th->cksum = 0;
	th->tcp_urp = 0;
	uint8_t *o = (uint8_t *)(th + 1);
	o[0] = 2;      /* MSS */
	o[1] = 4;
	o[2] = (uint8_t)(mss >> 8);
	o[3] = (uint8_t)mss;
	finish(ts, m, th, laddr, raddr);
}

/*
 * attach_payload -- chain len bytes of the send queue, from the send
 * cursor, to the header mbuf h (by reference or by copy). Advances the
 * cursor. Returns false when mbufs ran out.
 */
static bool
attach_payload(struct tcp_conn *tc, struct rte_mbuf *h, uint32_t len)
{
	struct tcp_stack *ts = tc->ts;
	bool by_ref = ts->net->offloads & DP_OFF_TX_MULTI_SEGS;

	while (len > 0) {
		struct rte_mbuf *d = tc->sq_cur;
		if (tc->sq_cur_off == d->data_len) {
			d = tc->sq_cur = d->next;
			tc->sq_cur_off = 0;
		}
		uint32_t n = d->data_len - tc->sq_cur_off;
		if (n > len)
			n = len;
		if (by_ref) {
			struct rte_mbuf *mi = rte_pktmbuf_alloc(ts->net->pool);
			if (mi == NULL)
				return false;
			rte_pktmbuf_attach(mi, d);
			mi->data_off = (uint16_t)(d->data_off + tc->sq_cur_off);
			mi->data_len = (uint16_t)n;
			mi->pkt_len = n;
			mi->next = NULL;
			if (rte_pktmbuf_chain(h, mi) != 0) {
				rte_pktmbuf_free(mi);
				return false;
			}
		} else {
			char *dst = rte_pktmbuf_append(h, (uint16_t)n);
			if (dst == NULL)
				return false;
			memcpy(dst, rte_pktmbuf_mtod_offset(d, char *,
							    tc->sq_cur_off), n);
		}
		tc->sq_cur_off += n;
		len -= n;
	}
	return true;
}

/* send_data -- one segment of len bytes at SND.NXT, maybe with FIN. */
static bool
send_data(struct tcp_conn *tc, uint32_t len, bool fin)
{
	struct tcp_stack *ts = tc->ts;
	struct rte_mbuf *h = rte_pktmbuf_alloc(ts->net->pool);
	/* The cursor is only moved once the segment is complete. */
	struct rte_mbuf *cur = tc->sq_cur;
	uint32_t cur_off = tc->sq_cur_off;

	if (h == NULL)
		return false;
	if (len > 0 && !attach_payload(tc, h, len)) {
		tc->sq_cur = cur;
		tc->sq_cur_off = cur_off;
		rte_pktmbuf_free(h);
		return false;
	}
	uint8_t flags = TCP_FLAG_ACK | (len ? TCP_FLAG_PSH : 0) |
			(fin ? TCP_FLAG_FIN : 0);
	struct rte_tcp_hdr *th = write_header(tc, h, flags, tc->snd.nxt);
	if (th == NULL) {
		tc->sq_cur = cur;
		tc->sq_cur_off = cur_off;
		rte_pktmbuf_free(h);
		return false;
	}
	bool retransmit = seq_lt(tc->snd.nxt, tc->snd.max);
	if (retransmit)
		TCP_COUNT(ts, retransmits);
	else if (tc->rtt_tsc == 0) {
		/* Karn: time only segments sent once. */
		tc->rtt_tsc = ts->net->now_tsc;
		tc->rtt_seq = tc->snd.nxt + len;
	}
	tc->snd.nxt += len + (fin ? 1 : 0);
	if (seq_gt(tc->snd.nxt, tc->snd.max))
		tc->snd.max = tc->snd.nxt;
	tc->ack_now = false;
	if (tc->rto_tsc == 0)
		tcp_arm_rto(tc);
	if (len > tc->snd.mss)
		finish_tso(ts, h, th, tc->laddr, tc->raddr, tcp_tso_piece(tc));
	else
		finish(ts, h, th, tc->laddr, tc->raddr);
	return true;
}

void
tcp_arm_rto(struct tcp_conn *tc)
{
	tc->rto_tsc = tc->ts->net->now_tsc + tcp_us_to_tsc(tc->ts, tc->rto_us);
}

void
tcp_output(struct tcp_conn *tc)
{
	if (tc->state & (TCPS(CLOSED) | TCPS(LISTEN) | TCPS(SYN_SENT) |
			 TCPS(SYN_RECEIVED) | TCPS(TIME_WAIT))) {
		if (tc->ack_now && (tc->state & TCPS(TIME_WAIT)))
			tcp_send_ctl(tc, TCP_FLAG_ACK, tc->snd.nxt);
		return;
	}
	uint32_t sent = tc->snd.nxt - tc->snd.una;
	if (tc->fin_sent && sent > 0)
		sent--;   /* an unacknowledged FIN's number is not data */
	uint32_t unsent = tc->sq_bytes - sent;
	/*
	 * Room: the peer's window counts from SND.UNA; the congestion
	 * window bounds what is in flight, which in SACK recovery is the
	 * pipe (SACKed data and holes taken as lost are not).
	 */
	uint32_t out = tc->snd.nxt - tc->snd.una;
	uint32_t pipe = tc->sack_recovery ? tcp_sack_pipe(tc) : out;
	uint32_t room = tc->snd.wnd > out ? tc->snd.wnd - out : 0;
	uint32_t cwnd = tc->cwnd;
	if (tc->dupacks > 0 && tc->dupacks < 3)
		cwnd += tc->dupacks * tc->snd.mss;   /* limited transmit */
	if (cwnd < pipe + room)
		room = cwnd > pipe ? cwnd - pipe : 0;

	/*
	 * With TSO, whole multiples of the piece size go out as one
	 * segment, starting at a data mbuf's first byte: every piece then
	 * spans chunks of even length (the MSS and the piece are even),
	 * which a port summing each chunk on its own (net_tap) needs for a
	 * right checksum. Until the send cursor is there, plain segments.
	 * Not while SACK blocks go out or SACK recovery runs.
	 */
	uint32_t piece = tcp_tso_piece(tc);
	bool tso = tc->ts->p.tso && tc->ooo_head == NULL &&
		   !tc->sack_recovery && (tc->snd.mss % 2) == 0 &&
		   (piece % 2) == 0;

	while (unsent > 0 && room > 0) {
		uint32_t seg_max = tc->snd.mss;
		if (tso) {
			struct rte_mbuf *d = tc->sq_cur;
			if (d == NULL || tc->sq_cur_off == 0 ||
			    tc->sq_cur_off == d->data_len)
				seg_max = TCP_TSO_MAX / piece * piece;
			else
				seg_max = RTE_MIN(tc->snd.mss,
						  d->data_len - tc->sq_cur_off);
		}
		uint32_t len = unsent < seg_max ? unsent : seg_max;
		if (len > room)
			len = room;
		if (len > piece && len % piece != 0 && len < unsent)
			len -= len % piece;         /* the tail: next time */
		bool fin = tc->fin_pending && !tc->fin_sent && len == unsent;
		if (!send_data(tc, len, fin))
			break;
		if (fin)
			tc->fin_sent = true;
		unsent -= len;
		room -= len;
	}
	if (tc->fin_pending && !tc->fin_sent && unsent == 0) {
		if (send_data(tc, 0, true))
			tc->fin_sent = true;
	}
	if (tc->fin_sent) {
		if (tc->state == TCPS(ESTABLISHED))
			tc->state = TCPS(FIN_WAIT_1);
		else if (tc->state == TCPS(CLOSE_WAIT))
			tc->state = TCPS(LAST_ACK);
	}
	if (tc->ack_now)
		tcp_send_ctl(tc, TCP_FLAG_ACK, tc->snd.nxt);
	/* Zero window with data waiting: the persist timer probes. */
	if (unsent > 0 && tc->snd.wnd == 0 && tc->rto_tsc == 0)
		tcp_arm_rto(tc);
}

void
tcp_sq_ack(struct tcp_conn *tc, uint32_t bytes)
{
	while (bytes > 0 && tc->sq_head != NULL) {
		struct rte_mbuf *m = tc->sq_head;
		uint32_t left = m->data_len - tc->sq_off;
		if (bytes < left || m == tc->sq_tail) {
			uint32_t n = bytes < left ? bytes : left;
			tc->sq_off += n;
			tc->sq_bytes -= n;
			bytes -= n;
			if (tc->sq_off == m->data_len && m == tc->sq_tail &&
			    tc->sq_cur == m && tc->sq_cur_off == m->data_len) {
				/* Everything acknowledged: empty queue. */
				tc->sq_head = tc->sq_tail = tc->sq_cur = NULL;
				tc->sq_off = tc->sq_cur_off = 0;
				rte_pktmbuf_free(m);
			}
			break;
		}
		tc->sq_head = m->next;
		if (tc->sq_cur == m) {
			tc->sq_cur = m->next;
			tc->sq_cur_off = 0;
		}
		m->next = NULL;
		rte_pktmbuf_free(m);
		tc->sq_off = 0;
		tc->sq_bytes -= left;
		bytes -= left;
	}
}

void
tcp_rewind(struct tcp_conn *tc)
{
	tc->snd.nxt = tc->snd.una;
	tc->sq_cur = tc->sq_head;
	tc->sq_cur_off = tc->sq_off;
	if (tc->fin_sent)
		tc->fin_sent = false;   /* resent after the data */
	tc->rtt_tsc = 0;
}

/* sq_seek -- put the send cursor off bytes past SND.UNA. */
static void
sq_seek(struct tcp_conn *tc, uint32_t off)
{
	struct rte_mbuf *m = tc->sq_head;
	uint32_t o = tc->sq_off + off;

	while (m != NULL && o > m->data_len && m->next != NULL) {
		o -= m->data_len;
		m = m->next;
	}
	tc->sq_cur = m;
	tc->sq_cur_off = o;
}

void
tcp_retransmit_range(struct tcp_conn *tc, uint32_t seq, uint32_t len)
{
	struct rte_mbuf *cur = tc->sq_cur;
	uint32_t cur_off = tc->sq_cur_off, nxt = tc->snd.nxt;
	uint32_t off = seq - tc->snd.una, data = tc->sq_bytes;
	bool fin_sent = tc->fin_sent;

	if (tc->snd.una == tc->snd.max || off > data)
		return;
	if (len > data - off)
		len = data - off;
	if (len > tc->snd.mss)
		len = tc->snd.mss;
	sq_seek(tc, off);
	tc->snd.nxt = seq;
	tc->fin_sent = false;
	tc->rtt_tsc = 0;        /* Karn: no sample across a resend */
	send_data(tc, len, fin_sent && off + len == data);
	tc->sq_cur = cur;
	tc->sq_cur_off = cur_off;
	tc->snd.nxt = nxt;
	tc->fin_sent = fin_sent;
}

void
tcp_retransmit_first(struct tcp_conn *tc)
{
	tcp_retransmit_range(tc, tc->snd.una, tc->snd.mss);
}
