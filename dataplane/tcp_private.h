/*
 * tcp_private.h -- the TCP stack's connection and stack structures,
 * shared by tcp.c (table, API), tcp_input.c, tcp_output.c, tcp_timer.c.
 * Names follow RFC 9293: snd.una/nxt/wnd/wl1/wl2, iss; rcv.nxt/wnd, irs.
 */
#ifndef RP_TCP_PRIVATE_H
#define RP_TCP_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "net.h"
#include "tcp.h"

/* States as bit flags, so that code can test a set of states. */
#define TCP_STATES(X)                                                   \
	X(CLOSED) X(LISTEN) X(SYN_SENT) X(SYN_RECEIVED) X(ESTABLISHED)   \
	X(FIN_WAIT_1) X(FIN_WAIT_2) X(CLOSE_WAIT) X(CLOSING)             \
	X(LAST_ACK) X(TIME_WAIT)

enum {
#define TCP_STATE_BIT(s) TCP_BIT_##s,
	TCP_STATES(TCP_STATE_BIT)
#undef TCP_STATE_BIT
};
#define TCPS(s) (1u << TCP_BIT_##s)
/* States in which data from the peer is accepted. */
#define TCPS_RECV_DATA (TCPS(ESTABLISHED) | TCPS(FIN_WAIT_1) | TCPS(FIN_WAIT_2))
/* States in which we may still send data. */
#define TCPS_SEND_DATA (TCPS(ESTABLISHED) | TCPS(CLOSE_WAIT))

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_ACK 0x10

#define TCP_HDR_LEN      20
#define TCP_OPT_TS_LEN   12      /* NOP NOP TS(10) */
#define TCP_RCV_WSCALE   7
#define TCP_RTO_MIN_US   200000
#define TCP_RTO_MAX_US   60000000
#define TCP_RTO_INIT_US  1000000
#define TCP_MAX_RETRIES  12
#define TCP_SYNACK_RETRIES 5
#define TCP_SYN_RETRIES  6
#define TCP_RTO_SYN_US   3000000 /* RFC 6298 5.7: after a lost SYN */
#define TCP_TIME_WAIT_US 2000000 /* 2MSL, short for an appliance */
#define TCP_LISTEN_MAX   8
#define TCP_SACK_RECENT  4       /* most recent OOO arrivals remembered */
#define TCP_SACK_SCORE   8       /* SACKed ranges the sender remembers */
#define TCP_OOO_STACK_MAX (16u << 20)
/* payload of one TSO segment at most (IPv4 length field, headers) */
#define TCP_TSO_MAX      (65535 - 20 - 60)
/* tcp_send_some leaves this share of the pool (1/N) to RX and headers */
#define TCP_POOL_RESERVE_DIV 4
/* appends needing fewer new mbufs than this skip the pool check */
#define TCP_POOL_CHECK_MIN 32

/* Sequence number of a segment in the out-of-order queue. */
#define TCP_OOO_SEQ(m)   ((m)->hash.usr)

/* Sequence comparisons on signed differences (RFC 1982 style). */
static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

struct tcp_conn {
	struct tcp_conn *hnext;         /* hash chain */
	struct tcp_conn *prev, *next;   /* ts->active: every used conn */
	struct tcp_conn *flush_next;    /* ts->flush list */
	struct tcp_stack *ts;
	void *app;

	uint32_t raddr, laddr;          /* network order */
	uint16_t rport, lport;          /* network order */
	uint32_t state;                 /* TCPS(...) */
	bool accepted;                  /* the app knows it */
	bool active;                    /* opened by tcp_connect */
	bool in_flush;
	bool ack_now;                   /* an ACK must go out */
	bool fin_pending;               /* app closed: FIN after the data */
	bool fin_sent;

	struct {
		uint32_t una, nxt, max, wnd, wl1, wl2, iss;
		uint32_t max_wnd;       /* largest window seen (RFC 5961) */
		uint8_t wscale;         /* peer's shift */
		uint16_t mss;           /* payload bytes per segment */
	} snd;
	struct {
		uint32_t nxt, wnd, irs;
		uint32_t adv;           /* right edge advertised (RCV.NXT +
					 * the window last sent) */
		uint8_t wscale;         /* our shift */
	} rcv;
	/* received bytes the application holds unprocessed: taken from the
	 * advertised window (tcp_conn_rcv_hold) */
	uint32_t rcv_held;

	/* timestamps option (RFC 7323) */
	bool ts_ok;
	uint32_t ts_recent;
	/* SACK-permitted was offered by the peer (RFC 2018) */
	bool sack_ok;

	/*
	 * Out-of-order queue: segments beyond RCV.NXT, payload-only mbufs
	 * (single segment) sorted by sequence (TCP_OOO_SEQ), chained
	 * through ->next, never overlapping. ooo_mem counts their buffer
	 * sizes. A FIN seen beyond RCV.NXT is remembered in ooo_fin_seq.
	 */
	struct rte_mbuf *ooo_head;
	uint32_t ooo_mem;
	bool ooo_fin;
	uint32_t ooo_fin_seq;
	/* starts of the latest OOO arrivals, newest first (SACK order) */
	uint32_t sack_recent[TCP_SACK_RECENT];
	uint8_t n_sack_recent;

	/* congestion control (NewReno-style) */
	uint32_t cwnd, ssthresh;
	uint32_t dupacks;
	uint32_t recover;               /* snd.max at fast retransmit */

	/*
	 * Sender-side SACK scoreboard (tcp_sack.c): ranges above SND.UNA
	 * the peer reported holding, sorted, disjoint, not touching; the
	 * lowest TCP_SACK_SCORE are kept. In SACK recovery, rxt_nxt is
	 * how far the holes below the highest SACKed byte were resent.
	 */
	uint32_t score[TCP_SACK_SCORE][2];
	uint8_t n_score;
	bool sack_recovery;
	uint32_t rxt_nxt;
	uint32_t rxt_mark;              /* SND.MAX at the last resend */

	/* RTO (RFC 6298), in microseconds */
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t rtt_seq;               /* timed segment's end (Karn) */
	uint64_t rtt_tsc;               /* when it was sent, 0 = none */
	uint64_t rto_tsc;               /* deadline, 0 = not armed */
	uint64_t tw_tsc;                /* TIME_WAIT deadline */
	uint64_t idle_tsc;              /* last segment from the peer */
	uint32_t retries;
	uint32_t probes;                /* keepalive probes sent */

	/*
	 * Send queue: single-segment data mbufs chained through ->next.
	 * Byte sq_off of the head mbuf is SND.UNA; cur/cur_off is SND.NXT.
	 */
	struct rte_mbuf *sq_head, *sq_tail, *sq_cur;
	uint32_t sq_off, sq_cur_off;
	uint32_t sq_bytes;              /* from SND.UNA to the tail */
};

struct tcp_stack {
	struct dp_net *net;
	struct tcp_params p;
	const struct tcp_ops *ops;
	void *ctx;

	struct tcp_conn *pool;          /* max_conns structs */
	struct tcp_conn *free_list;
	struct tcp_conn **hash;
	uint32_t hash_mask;
	struct tcp_conn *active;        /* every conn in use */
	struct tcp_conn *flush;         /* conns with output to send */
	unsigned n_conns, n_syn;
	uint32_t ooo_mem;               /* every conn's ooo_mem */

	uint16_t listen[TCP_LISTEN_MAX];   /* network order */
	unsigned n_listen;

	uint64_t secret;                /* ISN key */
	uint16_t next_port;             /* tcp_connect's search start */
	/* the port's RSS (tcp_set_rss); reta_size 0 = none */
	uint8_t rss_key[52] __rte_aligned(4); /* read as words by rte_softrss */
	uint16_t *reta;
	unsigned reta_size;
	uint16_t queue;
	/* software steering (tcp_set_steer); steer_n < 2 = none */
	unsigned steer_n, steer_self;
	uint64_t next_timer_tsc;
	uint64_t counters[TCP__MAX];
};

#define TCP_COUNT(ts, name) ((ts)->counters[TCP_##name]++)

/* tcp.c */
struct tcp_conn *tcp_conn_lookup(struct tcp_stack *ts, uint32_t raddr,
				 uint16_t rport, uint32_t laddr,
				 uint16_t lport);
struct tcp_conn *tcp_conn_new(struct tcp_stack *ts, uint32_t raddr,
			      uint16_t rport, uint32_t laddr, uint16_t lport);
/* tcp_conn_destroy -- free a conn; the closed upcall if it was accepted. */
void tcp_conn_destroy(struct tcp_conn *tc);
bool tcp_is_listening(const struct tcp_stack *ts, uint16_t port);
uint32_t tcp_isn(struct tcp_stack *ts, const struct tcp_conn *tc);
/* tcp_mark_flush -- put a conn on the list tcp_flush walks. */
void tcp_mark_flush(struct tcp_conn *tc);
uint64_t tcp_us_to_tsc(const struct tcp_stack *ts, uint64_t us);

/* tcp_input.c */
/* tcp_ooo_free -- free a connection's out-of-order queue. */
void tcp_ooo_free(struct tcp_conn *tc);

/*
 * tcp_rss_queue -- the queue the port's RSS sends a peer's segment to
 * (addresses and ports in network order, as in the segment).
 */
uint16_t tcp_rss_queue(const struct tcp_stack *ts, uint32_t src,
		       uint16_t sport, uint32_t dst, uint16_t dport);

/* tcp_output.c */
/* tcp_output -- send what the windows allow, or an ACK if one is due. */
void tcp_output(struct tcp_conn *tc);
/*
 * tcp_send_synack_for -- a SYN-ACK that belongs to no connection (a SYN
 * cookie): sequence iss, acknowledging ack, MSS option only.
 */
void tcp_send_synack_for(struct tcp_stack *ts, uint32_t raddr,
			 uint16_t rport, uint32_t laddr, uint16_t lport,
			 uint32_t iss, uint32_t ack, uint16_t mss);

/* tcp_send_ctl -- a segment without data (SYN-ACK, ACK, FIN, RST). */
void tcp_send_ctl(struct tcp_conn *tc, uint8_t flags, uint32_t seq);
/* tcp_send_rst_for -- a RST answering a segment with no connection. */
void tcp_send_rst_for(struct tcp_stack *ts, uint32_t raddr, uint16_t rport,
		      uint32_t laddr, uint16_t lport, uint32_t seq,
		      uint32_t ack, bool with_ack);
/* tcp_sq_ack -- free acknowledged bytes from the send queue. */
void tcp_sq_ack(struct tcp_conn *tc, uint32_t bytes);
/* tcp_rewind -- go back to SND.UNA for a retransmission. */
void tcp_rewind(struct tcp_conn *tc);
/*
 * tcp_retransmit_first -- resend the segment at SND.UNA (fast
 * retransmit), then go on from where sending was.
 */
void tcp_retransmit_first(struct tcp_conn *tc);
/*
 * tcp_sack_blocks -- the SACK blocks describing the out-of-order queue
 * (RFC 2018 4: the block holding the latest arrival first, then those of
 * the arrivals before it, then the others from the highest sequence),
 * at most max; blk[i][0] is the left edge, blk[i][1] the right.
 * Returns the count.
 */
unsigned tcp_sack_blocks(const struct tcp_conn *tc, uint32_t blk[][2],
			 unsigned max);
/* tcp_arm_rto -- (re)start the retransmission timer. */
void tcp_arm_rto(struct tcp_conn *tc);
/*
 * tcp_retransmit_range -- resend the segment of at most len bytes (and
 * one MSS) starting at seq, SND.UNA <= seq < SND.MAX, with the FIN if it
 * reaches it; then go on from where sending was.
 */
void tcp_retransmit_range(struct tcp_conn *tc, uint32_t seq, uint32_t len);

/* tcp_sack.c */
/*
 * tcp_sack_update -- add the peer's SACK blocks (blk[i][0] left edge,
 * blk[i][1] right) to the scoreboard; those outside (lo, SND.MAX] and
 * D-SACKs are ignored, the rest clipped to [lo, end of data). lo is the
 * segment's ACK if it advances SND.UNA, else SND.UNA. Returns whether
 * they SACKed bytes not SACKed before (RFC 6675's DupAck).
 */
bool tcp_sack_update(struct tcp_conn *tc, uint32_t lo,
		     const uint32_t blk[][2], unsigned n);
/* tcp_sack_bytes -- bytes the scoreboard holds. */
uint32_t tcp_sack_bytes(const struct tcp_conn *tc);
/* tcp_sack_trim -- drop what SND.UNA has passed from the scoreboard. */
void tcp_sack_trim(struct tcp_conn *tc);
/* tcp_sack_clear -- forget the scoreboard and leave SACK recovery. */
void tcp_sack_clear(struct tcp_conn *tc);
/*
 * tcp_sack_pipe -- bytes estimated in the network during SACK recovery
 * (RFC 6675's pipe, with every hole below the highest SACKed byte taken
 * as lost): what was sent above that byte, plus the holes resent and not
 * SACKed since.
 */
uint32_t tcp_sack_pipe(const struct tcp_conn *tc);
/*
 * tcp_sack_recover -- in SACK recovery, resend holes below the highest
 * SACKed byte, lowest first, each once, while the pipe leaves room in
 * the congestion window (entry: the first one in any case, RFC 6675
 * 5, step 4.3); new data may follow (tcp_output). Once data sent after
 * the last resend is SACKed while resent holes are still holes, those
 * resends count as lost and the holes are resent again.
 */
void tcp_sack_recover(struct tcp_conn *tc, bool entry);

#endif /* RP_TCP_PRIVATE_H */
