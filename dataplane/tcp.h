/*
 * tcp.h -- per-core TCP stack (RFC 9293): passive open on listening ports,
 * active open by tcp_connect.
 *
 * One struct tcp_stack per worker lcore, attached to its dp_net. The stack
 * hands in-order payload to the application (the connection layer, conn.c)
 * through upcalls, and takes the application's output as bytes appended to
 * a connection's send queue of mbufs; segments are sent from that queue by
 * reference (indirect mbufs) and stay there until acknowledged, which is
 * what retransmission resends.
 *
 * Functions return 0 or a negative errno. Nothing here takes a lock.
 */
#ifndef RP_TCP_H
#define RP_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

struct dp_net;
struct tcp_stack;
struct tcp_conn;

/* Counters of the stack; X-macro for names. */
#define TCP_COUNTERS(X)                                                 \
	X(active_opens) X(passive_opens) X(accepts_refused)              \
	X(established) X(closed) X(resets_rx) X(resets_tx)               \
	X(segs_rx) X(segs_tx) X(retransmits) X(rto_timeouts)             \
	X(dup_acks) X(ooo_segments) X(ooo_dropped) X(ooo_duplicates)    \
	X(ooo_filled) X(sack_sent) X(syn_dropped)                        \
	X(bad_segments) X(bad_checksums) X(no_conn) X(send_queue_full)    \
	X(keepalive_probes) X(syncookies_sent) X(syncookies_ok)           \
	X(syncookies_failed) X(challenge_acks)                            \
	X(connect_refused) X(connect_timeouts) X(sack_rexmits)           \
	X(tso_segs_tx)

enum tcp_counter {
#define TCP_ENUM(n) TCP_##n,
	TCP_COUNTERS(TCP_ENUM)
#undef TCP_ENUM
	TCP__MAX
};

const char *tcp_counter_name(enum tcp_counter c);

/* Upcalls into the application; all run on the stack's lcore. */
struct tcp_ops {
	/*
	 * accept -- a connection reached ESTABLISHED on a listening port.
	 * Returns the application's handle for it, or NULL to refuse (the
	 * stack resets the connection).
	 */
	void *(*accept)(void *ctx, struct tcp_conn *tc);
	/*
	 * connected -- a connection opened by tcp_connect reached
	 * ESTABLISHED; app is the handle given to tcp_connect. The
	 * application may send from now on. May be NULL in a stack that
	 * never calls tcp_connect (tcp_connect then fails).
	 */
	void (*connected)(void *app, struct tcp_conn *tc);
	/*
	 * recv -- in-order payload. data is valid only during the call (it
	 * points into an mbuf the stack frees afterwards).
	 */
	void (*recv)(void *app, const uint8_t *data, uint32_t len);
	/*
	 * peer_closed -- the peer sent FIN: no more data will come.
	 */
	void (*peer_closed)(void *app);
	/*
	 * closed -- the connection is gone (closed, reset or timed out); the
	 * application must not use tc after this returns. For a connection
	 * opened by tcp_connect this also reports a failed open (RST from
	 * the peer: counter connect_refused; no answer to the SYN after
	 * syn_retries retransmissions: connect_timeouts), without a
	 * connected upcall before it.
	 */
	void (*closed)(void *app);
};

struct tcp_params {
	uint16_t mss;            /* our MSS: mtu - 40 */
	uint32_t rcv_wnd;        /* receive window we advertise, bytes */
	unsigned max_conns;      /* connection table size */
	unsigned backlog;        /* half-open connections per listener */
	unsigned keepalive_s;    /* 0 = off */
	uint32_t send_queue_max; /* bytes a connection may queue unsent */
	/*
	 * TSO: the port segments (net->offloads has DP_OFF_TX_TCP_TSO and
	 * the configuration wants it); data goes out in segments of up to
	 * TCP_TSO_MAX bytes that the port cuts at the MSS.
	 */
	bool tso;
	/*
	 * Out-of-order queue bounds, in mbuf buffer bytes (what the queue
	 * really holds): per connection and for the whole stack; 0 picks
	 * 2 * rcv_wnd and 16 MiB. A segment beyond a bound is dropped.
	 */
	uint32_t ooo_conn_max;
	uint32_t ooo_max;
	/*
	 * SYN retransmissions of tcp_connect before it gives up, as
	 * Linux's tcp_syn_retries: the RTO starts at 1 s and doubles (at
	 * most 60 s), and the open fails one RTO after the last one: 6
	 * (the default, picked by 0) gives up after 123 s, 2 after 7 s.
	 */
	unsigned syn_retries;
};

/* Ephemeral ports of tcp_connect (IANA's dynamic range). */
#define TCP_EPHEMERAL_MIN 49152
#define TCP_EPHEMERAL_MAX 65535

/*
 * tcp_stack_create -- create a stack for net (the caller stores it in
 * net->tcp). Returns NULL on failure.
 */
struct tcp_stack *tcp_stack_create(struct dp_net *net,
				   const struct tcp_params *p,
				   const struct tcp_ops *ops, void *ctx);

/* tcp_stack_free -- abort every connection (no upcalls) and free. */
void tcp_stack_free(struct tcp_stack *ts);

/* tcp_listen -- accept connections on a local port. */
int tcp_listen(struct tcp_stack *ts, uint16_t port);

/*
 * tcp_unlisten -- stop accepting on a port (a SYN then gets a RST);
 * established connections are not affected. Returns 0 or -ENOENT.
 */
int tcp_unlisten(struct tcp_stack *ts, uint16_t port);

/*
 * tcp_set_rss -- describe the port's receive-side scaling to the stack,
 * so that tcp_connect picks source ports whose return traffic the NIC
 * delivers to this stack's queue: the Toeplitz key (at least 16 bytes)
 * and redirection table of the port, and the queue of this stack. Not
 * called (or reta_size 0): any free port will do (single-queue port).
 * Returns 0, -EINVAL or -ENOMEM.
 */
int tcp_set_rss(struct tcp_stack *ts, const uint8_t *key, unsigned key_len,
		const uint16_t *reta, unsigned reta_size, uint16_t queue);

/*
 * tcp_set_steer -- the port's frames are steered in software (steer.h)
 * among n_workers, this stack being worker self's: tcp_connect picks
 * source ports whose return traffic dp_steer_hash gives to self.
 * n_workers 0 or 1: no steering.
 */
void tcp_set_steer(struct tcp_stack *ts, unsigned n_workers, unsigned self);

/*
 * tcp_connect -- active open to dst_ip:dst_port (network order) from the
 * stack's address and an ephemeral port (see tcp_set_rss and
 * tcp_set_steer): sends a SYN offering MSS, window scaling, SACK and
 * timestamps, and retransmits it with exponential backoff. app is the
 * application's handle from now on: the connected upcall follows on
 * success, closed on failure.
 * Returns 0 and the connection in *out, -ENOTSUP if the stack has no
 * connected upcall, -EADDRNOTAVAIL if no source port is free, -ENOMEM if
 * the connection table is full. No upcall runs during the call.
 */
int tcp_connect(struct tcp_stack *ts, uint32_t dst_ip, uint16_t dst_port,
		void *app, struct tcp_conn **out);

/*
 * tcp_input -- process one received segment. The mbuf's data starts at
 * the TCP header; src/dst are the IPv4 addresses (network order) from the
 * IP header, already validated; l4_len is the TCP header+payload length;
 * cksum_ok tells whether the port already verified the checksum.
 * Consumes m.
 */
void tcp_input(struct tcp_stack *ts, struct rte_mbuf *m, uint32_t src,
	       uint32_t dst, uint16_t l4_len, bool cksum_ok);

/*
 * tcp_send -- append bytes to a connection's send queue (copied into
 * mbufs). They are transmitted by tcp_flush. Returns 0, -ENOBUFS if the
 * mbuf pool is empty or the queue is over send_queue_max, -EPIPE if the
 * connection can no longer send.
 */
int tcp_send(struct tcp_conn *tc, const void *data, size_t len);

/*
 * tcp_send_some -- append as many of len bytes as the send queue takes
 * now: up to send_queue_max queued bytes, and only while the mbuf pool
 * keeps a quarter of its mbufs free (for RX, headers and the other
 * connections). Returns the bytes appended (0..len), or -EPIPE if the
 * connection can no longer send. The caller keeps the rest and tries
 * again once acknowledgements have freed the queue.
 */
long tcp_send_some(struct tcp_conn *tc, const void *data, size_t len);

/*
 * tcp_conn_rcv_hold -- the application holds held received bytes it
 * does not process yet (execution paused): the advertised window is
 * rcv_wnd minus held, never moving its right edge left; when it opens
 * again by at least two segments or half the window, a window update
 * is sent.
 */
void tcp_conn_rcv_hold(struct tcp_conn *tc, uint32_t held);

/*
 * tcp_close -- the application is done: send what is queued, then FIN.
 * The closed upcall follows when the connection is gone (at once for a
 * connection still in SYN-SENT, which is dropped without a segment).
 */
void tcp_close(struct tcp_conn *tc);

/* tcp_abort -- send RST and drop the connection now (closed upcall). */
void tcp_abort(struct tcp_conn *tc);

/* tcp_conn_set_app -- change the application handle of a connection. */
void tcp_conn_set_app(struct tcp_conn *tc, void *app);

/* tcp_conn_addrs -- peer and local addresses (network order). */
void tcp_conn_addrs(const struct tcp_conn *tc, uint32_t *raddr,
		    uint16_t *rport, uint32_t *laddr, uint16_t *lport);

/* tcp_conn_unsent -- bytes queued and not yet acknowledged. */
uint32_t tcp_conn_unsent(const struct tcp_conn *tc);

/*
 * tcp_flush -- transmit what every connection with new data or a pending
 * ACK may send now (window and congestion permitting). Call once per poll
 * iteration, after the group commit.
 */
void tcp_flush(struct tcp_stack *ts);

/*
 * tcp_timer -- advance retransmission, delayed-ACK, TIME_WAIT and
 * keepalive timers with bounded work. Call once per iteration.
 */
void tcp_timer(struct tcp_stack *ts);

/* tcp_conns -- connections in the table (any state). */
unsigned tcp_conns(const struct tcp_stack *ts);

/* tcp_counters -- the stack's counters, TCP__MAX entries. */
const uint64_t *tcp_counters(const struct tcp_stack *ts);

#endif /* RP_TCP_H */
