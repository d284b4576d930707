/*
 * tcp_sack.c -- the sender side of SACK (RFC 2018), with loss recovery
 * in the spirit of RFC 6675.
 *
 * The scoreboard is the list of ranges above SND.UNA that the peer's
 * SACK blocks reported, merged. During recovery (entered on the third
 * duplicate ACK when the scoreboard is not empty) every hole below the
 * highest SACKed byte is taken as lost (FACK-like, simpler than RFC
 * 6675's IsLost) and resent once, lowest first, as far as the pipe
 * (bytes still in the network) leaves room in the congestion window,
 * which is ssthresh during recovery, without inflation. A resend is
 * taken as lost when data sent after it is SACKed first. NewReno's
 * one-hole-per-round-trip is what remains when the peer sends no SACK.
 */
#include "tcp_private.h"

/* score_add -- merge [l, r) into the scoreboard, keeping it sorted. */
static void
score_add(struct tcp_conn *tc, uint32_t l, uint32_t r)
{
	uint32_t out[TCP_SACK_SCORE + 1][2];
	unsigned k = 0;
	bool placed = false;

	for (unsigned i = 0; i < tc->n_score; i++) {
		uint32_t a = tc->score[i][0], b = tc->score[i][1];
		if (seq_lt(b, l)) {                     /* wholly before */
			out[k][0] = a;
			out[k++][1] = b;
		} else if (seq_lt(r, a)) {              /* wholly after */
			if (!placed) {
				out[k][0] = l;
				out[k++][1] = r;
				placed = true;
			}
			out[k][0] = a;
			out[k++][1] = b;
		} else {                                /* overlaps: merge */
			if (seq_lt(a, l))
				l = a;
			if (seq_gt(b, r))
				r = b;
		}
	}
	if (!placed) {
		out[k][0] = l;
		out[k++][1] = r;
	}
	/* The lowest ranges matter most: the highest is dropped. */
	if (k > TCP_SACK_SCORE)
		k = TCP_SACK_SCORE;
	for (unsigned i = 0; i < k; i++) {
		tc->score[i][0] = out[i][0];
		tc->score[i][1] = out[i][1];
	}
	tc->n_score = (uint8_t)k;
}

uint32_t
tcp_sack_bytes(const struct tcp_conn *tc)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < tc->n_score; i++)
		n += tc->score[i][1] - tc->score[i][0];
	return n;
}

bool
tcp_sack_update(struct tcp_conn *tc, uint32_t lo, const uint32_t blk[][2],
		unsigned n)
{
	uint32_t end = tc->snd.una + tc->sq_bytes;   /* end of the data */
	uint32_t before = tcp_sack_bytes(tc);

	for (unsigned i = 0; i < n; i++) {
		uint32_t l = blk[i][0], r = blk[i][1];
		if (!seq_lt(l, r) || seq_leq(r, lo) ||
		    seq_gt(r, tc->snd.max))
			continue;               /* bogus, old or a D-SACK */
		if (seq_lt(l, lo))
			l = lo;
		if (seq_gt(r, end))
			r = end;
		if (seq_lt(l, r))
			score_add(tc, l, r);
	}
	return tcp_sack_bytes(tc) > before;
}

void
tcp_sack_trim(struct tcp_conn *tc)
{
	unsigned k = 0;

	for (unsigned i = 0; i < tc->n_score; i++) {
		if (seq_leq(tc->score[i][1], tc->snd.una))
			continue;
		tc->score[k][0] = seq_lt(tc->score[i][0], tc->snd.una) ?
				  tc->snd.una : tc->score[i][0];
		tc->score[k][1] = tc->score[i][1];
		k++;
	}
	tc->n_score = (uint8_t)k;
}

void
tcp_sack_clear(struct tcp_conn *tc)
{
	tc->n_score = 0;
	tc->sack_recovery = false;
	tc->rxt_nxt = tc->snd.una;
}

/* fack -- the highest SACKed byte (its end), or SND.UNA. */
static uint32_t
fack(const struct tcp_conn *tc)
{
	return tc->n_score > 0 ? tc->score[tc->n_score - 1][1] : tc->snd.una;
}

/* resent_holes -- bytes resent in this recovery and not SACKed since. */
static uint32_t
resent_holes(const struct tcp_conn *tc, uint32_t f)
{
	uint32_t hi = seq_lt(tc->rxt_nxt, f) ? tc->rxt_nxt : f, n;

	if (!seq_gt(hi, tc->snd.una))
		return 0;
	n = hi - tc->snd.una;
	for (unsigned i = 0; i < tc->n_score; i++) {
		uint32_t a = tc->score[i][0], b = tc->score[i][1];
		if (seq_geq(a, hi))
			break;
		n -= (seq_lt(b, hi) ? b : hi) - a;
	}
	return n;
}

uint32_t
tcp_sack_pipe(const struct tcp_conn *tc)
{
	uint32_t f = fack(tc);

	return tc->snd.max - f + resent_holes(tc, f);
}

void
tcp_sack_recover(struct tcp_conn *tc, bool entry)
{
	uint32_t f = fack(tc);
	uint32_t pipe;

	if (seq_lt(tc->rxt_nxt, tc->snd.una))
		tc->rxt_nxt = tc->snd.una;
	if (tc->n_score == 0) {
		/* A partial ACK and nothing SACKed above it: the segment
		 * at SND.UNA is lost (NewReno's inference). */
		uint32_t out = tc->snd.max - tc->snd.una;
		f = tc->snd.una + (out < tc->snd.mss ? out : tc->snd.mss);
	} else if (!entry && seq_gt(f, tc->rxt_mark) &&
		   resent_holes(tc, f) > 0) {
		/* Sent after our last resend, SACKed before it: the
		 * resends still missing were lost. */
		tc->rxt_nxt = tc->snd.una;
	}
	pipe = tcp_sack_pipe(tc);
	while (entry || pipe < tc->cwnd) {
		/* The next hole at or after rxt_nxt: [s, e). */
		uint32_t s = tc->rxt_nxt, e = f;
		for (unsigned i = 0; i < tc->n_score; i++) {
			if (seq_leq(tc->score[i][1], s))
				continue;
			if (seq_leq(tc->score[i][0], s)) {
				s = tc->score[i][1];
				continue;
			}
			e = tc->score[i][0];
			break;
		}
		if (!seq_lt(s, f))
			break;                  /* no hole left below fack */
		uint32_t len = e - s < tc->snd.mss ? e - s : tc->snd.mss;
		tcp_retransmit_range(tc, s, len);
		TCP_COUNT(tc->ts, sack_rexmits);
		tc->rxt_nxt = s + len;
		tc->rxt_mark = tc->snd.max;
		pipe += len;
		entry = false;
	}
	tcp_mark_flush(tc);     /* new data, if the pipe allows */
}
