/*
 * net.h -- per-core network instance: Ethernet, ARP, IPv4, ICMP and the
 * hand-off of TCP segments to the core's TCP stack.
 *
 * One struct dp_net per worker lcore, passed first to every function; it
 * owns one RX/TX queue pair of one port, an ARP cache, the TX buffer and
 * the counters. Nothing here takes a lock.
 *
 * mbuf ownership: functions that take an mbuf consume it (free it or hand
 * it on), whatever they return.
 */
#ifndef RP_NET_H
#define RP_NET_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#define DP_MAX_BURST 32
#define DP_TX_BUF    256      /* mbufs queued before a forced flush */
#define DP_ARP_SLOTS 256      /* ARP cache entries (power of two) */
#define DP_ARP_HOLD  8        /* packets held per unresolved entry */

/* Drop and event counters; X-macro so that names come with the enum. */
#define DP_NET_COUNTERS(X)                                              \
	X(rx_packets)  X(rx_bytes)  X(tx_packets)  X(tx_bytes)           \
	X(tx_full)          /* tx ring full: dropped after retries */      \
	X(drop_short)       /* truncated Ethernet/IP/L4 header */          \
	X(drop_ethertype)   /* neither ARP nor IPv4 */                     \
	X(drop_not_for_us)  /* wrong MAC or IP destination */              \
	X(drop_ip_version)  /* IPv4 version/IHL invalid */                 \
	X(drop_ip_cksum)    /* IPv4 header checksum wrong */               \
	X(drop_ip_len)      /* total length inconsistent with frame */     \
	X(drop_ip_frag)     /* IPv4 fragments are not reassembled */       \
	X(drop_ip_proto)    /* protocol other than ICMP/UDP/TCP */         \
	X(drop_l4_cksum)    /* ICMP/UDP/TCP checksum wrong */              \
	X(drop_no_mbuf)     /* mbuf pool empty */                          \
	X(drop_arp_hold)    /* held packet dropped: ARP unresolved */      \
	X(drop_no_route)    /* off-subnet destination and no gateway */    \
	X(drop_arp)         /* malformed or foreign ARP */                 \
	X(drop_icmp)        /* ICMP other than echo request */             \
	X(arp_requests_rx)  X(arp_replies_rx)  X(arp_requests_tx)          \
	X(arp_replies_tx)   X(icmp_echo_rx)  X(icmp_echo_tx)              \
	X(udp_rx)           /* UDP datagrams for our address */            \
	X(udp_no_port)      /* to a port without UDP service: dropped */   \
	X(udp_bad_cksum)    /* UDP checksum wrong: dropped */              \
	X(udp_bad_frames)   /* bad UDP length, shorter than the frame      \
			     * header, or a reply: dropped */              \
	X(udp_requests)     /* requests received (one per datagram) */     \
	X(udp_replies)      /* reply datagrams sent */                     \
	X(udp_toobig)       /* replies replaced by the too-big error */    \
	X(udp_refused)      /* commands refused: they need TCP */          \
	X(udp_protocol_errors) /* not exactly one whole RESP request */

enum dp_net_counter {
#define DP_NET_ENUM(n) DP_NET_##n,
	DP_NET_COUNTERS(DP_NET_ENUM)
#undef DP_NET_ENUM
	DP_NET__MAX
};

/* dp_net_counter_name -- name of a counter, for INFO and the admin CLI. */
const char *dp_net_counter_name(enum dp_net_counter c);

struct tcp_stack;
struct dp_impair;

/* Offloads the port offers, decided once at port set-up. */
#define DP_OFF_RX_IPV4_CKSUM (1u << 0)
#define DP_OFF_RX_L4_CKSUM   (1u << 1)
#define DP_OFF_TX_IPV4_CKSUM (1u << 2)
#define DP_OFF_TX_TCP_CKSUM  (1u << 3)
#define DP_OFF_TX_UDP_CKSUM  (1u << 4)
#define DP_OFF_TX_MULTI_SEGS (1u << 5)
#define DP_OFF_TX_TCP_TSO    (1u << 6)  /* with IPv4/TCP cksum, chains */
/* The port's TSO wants tso_segsz + every header, Ethernet's included,
 * within the MTU (net_tap of DPDK 22.11): pieces 14 bytes short. */
#define DP_OFF_TX_TSO_L2_MTU (1u << 7)

struct dp_arp_entry {
	uint32_t ip;                    /* network order, 0 = free */
	struct rte_ether_addr mac;
	uint8_t resolved;
	uint8_t n_hold;
	uint8_t tries;                  /* requests sent while unresolved */
	uint64_t expire_tsc;            /* re-resolve after this */
	uint64_t retry_tsc;             /* next request while unresolved */
	struct rte_mbuf *hold[DP_ARP_HOLD];
};

struct dp_net {
	/* the port and queue this core owns */
	uint16_t port_id;
	uint16_t queue_id;
	struct rte_mempool *pool;
	struct rte_ether_addr mac;
	uint32_t ip;                    /* network order */
	uint32_t netmask;               /* network order */
	uint32_t gateway;               /* network order, 0 = none */
	uint16_t mtu;
	uint16_t ip_id;                 /* next IPv4 identification */
	uint32_t offloads;              /* DP_OFF_* */

	/* time, refreshed once per poll iteration */
	uint64_t now_tsc;
	uint64_t tsc_hz;

	/* transport */
	struct tcp_stack *tcp;
	/*
	 * UDP input (udp.c registers it), NULL: datagrams are counted and
	 * dropped. Called with the data at the IPv4 header (hlen bytes),
	 * trimmed to the IP packet; l4_good: the port verified the UDP
	 * checksum. Consumes m.
	 */
	void (*udp_input)(void *ctx, struct rte_mbuf *m, uint32_t hlen,
			  bool l4_good);
	void *udp_ctx;

	/* test impairment (impair.h), owned here; NULL = off */
	struct dp_impair *impair_rx;    /* applied by the worker's poll */
	struct dp_impair *impair_tx;    /* applied by dp_net_tx_flush */

	/* transmit buffer, drained by dp_net_tx_flush */
	uint16_t n_tx;
	struct rte_mbuf *tx[DP_TX_BUF];

	struct dp_arp_entry arp[DP_ARP_SLOTS];

	/* tx_burst override for tests without a port; NULL = ethdev */
	uint16_t (*tx_burst)(void *ctx, struct rte_mbuf **pkts, uint16_t n);
	void *tx_ctx;

	uint64_t counters[DP_NET__MAX];
} __rte_cache_aligned;

#define DP_COUNT(net, name) ((net)->counters[DP_NET_##name]++)

/*
 * dp_net_init -- initialise a per-core instance (ARP cache empty, no TCP
 * stack: the caller attaches one to net->tcp).
 *   ip, netmask, gateway: network byte order.
 * Returns 0.
 */
int dp_net_init(struct dp_net *net, uint16_t port_id, uint16_t queue_id,
		struct rte_mempool *pool, const struct rte_ether_addr *mac,
		uint32_t ip, uint32_t netmask, uint32_t gateway, uint16_t mtu,
		uint32_t offloads);

/* dp_net_fini -- free held packets and the impairments. */
void dp_net_fini(struct dp_net *net);

/*
 * dp_net_input -- process a burst of received frames (Ethernet and up).
 * Consumes every mbuf. TCP segments go to net->tcp.
 */
void dp_net_input(struct dp_net *net, struct rte_mbuf **pkts, uint16_t n);

/*
 * dp_net_tx -- queue one complete frame for transmission; flushes when
 * the buffer is full. Consumes m.
 */
void dp_net_tx(struct dp_net *net, struct rte_mbuf *m);

/*
 * dp_net_tx_burst -- hand n complete frames to the port now (through
 * tx_burst if set), with a few retries; frees and counts (tx_full) what
 * it does not take. Not counted in tx_packets: for frames already
 * counted where they were queued. Consumes the n mbufs.
 */
void dp_net_tx_burst(struct dp_net *net, struct rte_mbuf **pkts, uint16_t n);

/*
 * dp_net_tx_flush -- hand every queued frame to the port; frames the port
 * does not accept after a few retries are freed and counted (tx_full).
 * With impair_tx set, the frames (and those it held that are due) pass
 * through it first.
 */
void dp_net_tx_flush(struct dp_net *net);

/*
 * dp_ipv4_output -- send an IPv4 packet whose L4 header and payload start
 * at the mbuf's data: prepends the IPv4 and Ethernet headers, fills the
 * IPv4 checksum (or requests the offload), resolves the next hop through
 * ARP (holding the packet while a request is outstanding) and queues it.
 *   dst: network order.  proto: IPPROTO_*.
 * The L4 checksum is the caller's. Consumes m.
 */
void dp_ipv4_output(struct dp_net *net, struct rte_mbuf *m, uint32_t dst,
		    uint8_t proto);

struct rte_ipv4_hdr;
struct rte_udp_hdr;

/*
 * dp_udp_cksum -- fill the checksum of a UDP datagram to dst (network
 * order) whose UDP header uh starts the data of m (m->pkt_len bytes of
 * UDP header and payload), before dp_ipv4_output: the pseudo-header
 * sum with the port's offload request (DP_OFF_TX_UDP_CKSUM), or the
 * whole checksum in software.
 */
void dp_udp_cksum(struct dp_net *net, struct rte_mbuf *m,
		  struct rte_udp_hdr *uh, uint32_t dst);

/*
 * dp_udp_cksum_ok -- whether the checksum of a received UDP datagram is
 * right: uh and its len bytes (header and payload), with the
 * pseudo-header of ip. A zero checksum (none computed) is the caller's
 * to accept.
 */
bool dp_udp_cksum_ok(const struct rte_ipv4_hdr *ip,
		     const struct rte_udp_hdr *uh, uint32_t len);

/* dp_arp_announce -- send a gratuitous ARP for our address. */
void dp_arp_announce(struct dp_net *net);

/*
 * dp_net_timer -- periodic ARP work: retry or fail unresolved entries.
 * Bounded work per call.
 */
void dp_net_timer(struct dp_net *net);

#endif /* RP_NET_H */
