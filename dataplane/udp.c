/*
 * udp.c -- RESP over UDP (see udp.h and docs/pktgen.md).
 *
 * A datagram to the UDP port is checked (UDP length, checksum unless the
 * port verified it), its frame header decoded and its payload parsed as
 * exactly one RESP request with the connection's parser (resp.c). The
 * request runs as a TCP client's does, through dp_xc_execute, on the
 * worker's one UDP client (database 0, no connection state): here when
 * its keys are this worker's, on their owner otherwise. A request that
 * runs here writes its reply straight into the reply mbuf; a routed one
 * comes back through udp_routed_done. Either way the reply datagram is
 * held until dp_udp_flush, which the worker calls after its group
 * commit, so no write is acknowledged before it is durable.
 *
 * Commands that need a connection (transactions, SELECT, AUTH, blocking
 * and publish/subscribe commands, ...) are refused, and so is SHUTDOWN:
 * a datagram's source can be forged, so it must not stop the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "kv.h"
#include "resp.h"
#include "udp.h"
#include "udp_frame.h"
#include "worker.h"
#include "xcore.h"

#define UDP_HDR_LEN   ((uint32_t)sizeof(struct rte_udp_hdr))
#define IP_HDR_LEN    ((uint32_t)sizeof(struct rte_ipv4_hdr))
/* Headers in front of the RESP bytes of a datagram, from IPv4 on. */
#define UDP_OVERHEAD  (IP_HDR_LEN + UDP_HDR_LEN + DP_UDP_FRAME_LEN)

/* A reply waiting for the group commit. */
struct udp_held {
	struct rte_mbuf *m;          /* data at the UDP header */
	uint32_t dst;                /* network order */
};

/* A request out on another worker: where its reply goes. */
struct udp_pend {
	struct udp_pend *next;       /* free list */
	struct dp_udp *u;
	uint32_t peer;               /* network order */
	uint16_t peer_port;          /* network order */
	struct dp_udp_frame f;       /* the request's header */
};

struct dp_udp {
	struct dp_worker *w;
	uint16_t port;               /* network order */
	uint32_t max_resp;           /* RESP bytes a reply may carry */
	struct kv_client client;     /* every UDP request runs as it */
	struct resp_parser parser;
	struct kv_arg *argv;         /* arguments of the current request */
	uint32_t argv_cap;
	struct rte_mbuf *out;        /* the reply being written, or a spare */
	size_t out_len;              /* RESP bytes written (also past max) */
	struct udp_held *held;       /* replies until dp_udp_flush */
	unsigned n_held, cap_held;
	struct udp_pend *free_pend;  /* recycled */
	unsigned n_pend;             /* routed requests out */
};

/*
 * Commands that need a connection, or that a forged datagram must not
 * reach (SHUTDOWN): refused with DP_UDP_REFUSED_FMT. Container commands
 * (CLIENT) are refused with every subcommand.
 */
static const char *const refused[] = {
	"AUTH", "HELLO", "CLIENT", "SELECT", "RESET", "QUIT",
	"MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "MONITOR",
	"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE",
	"PUNSUBSCRIBE", "SUNSUBSCRIBE",
	"BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN",
	"BZPOPMAX", "BZMPOP", "WAIT", "SYNC", "PSYNC", "REPLCONF",
	"READONLY", "READWRITE", "SHUTDOWN",
};

/* refused_name -- the refused command argv[0] names, or NULL. */
static const char *
refused_name(const struct kv_arg *name)
{
	for (unsigned i = 0; i < RTE_DIM(refused); i++)
		if (strlen(refused[i]) == name->len &&
		    strncasecmp(refused[i], name->ptr, name->len) == 0)
			return refused[i];
	return NULL;
}

/* udp_write -- the UDP client's write function: into the reply mbuf. */
static void
udp_write(void *sink, const void *buf, size_t len)
{
	struct dp_udp *u = sink;

	if (u->out == NULL)
		return;
	if (u->out_len + len <= u->max_resp) {
		char *p = rte_pktmbuf_append(u->out, (uint16_t)len);
		if (p != NULL)
			memcpy(p, buf, len);
	}
	u->out_len += len;
}

/*
 * reply_begin -- make u->out an empty reply (room for the frame header)
 * for the next request. Returns false when the pool is empty.
 */
static bool
reply_begin(struct dp_udp *u)
{
	if (u->out == NULL) {
		u->out = rte_pktmbuf_alloc(u->w->net.pool);
		if (u->out == NULL) {
			DP_COUNT(&u->w->net, drop_no_mbuf);
			return false;
		}
	} else {
		rte_pktmbuf_reset(u->out);
	}
	rte_pktmbuf_append(u->out, DP_UDP_FRAME_LEN);
	u->out_len = 0;
	return true;
}

/*
 * reply_hold -- finish reply m (frame header first, resp_len bytes of
 * RESP written, fewer kept when past max_resp) to the request of header
 * req from peer:pport: the too-big error if it did not fit, the frame
 * header, the UDP header and checksum. Held until dp_udp_flush.
 * Consumes m.
 */
static void
reply_hold(struct dp_udp *u, struct rte_mbuf *m, size_t resp_len,
	   uint32_t peer, uint16_t pport, const struct dp_udp_frame *req)
{
	struct dp_net *net = &u->w->net;
	struct dp_udp_frame f = { .id = req->id, .seq = req->seq,
				  .count = req->count,
				  .flags = DP_UDP_F_REPLY };

	if (resp_len > u->max_resp) {
		char text[160];
		int n = snprintf(text, sizeof(text), "-ERR reply of %zu bytes "
				 "does not fit in a UDP datagram (at most %u), "
				 "use TCP\r\n", resp_len, u->max_resp);
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - DP_UDP_FRAME_LEN));
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), text, (size_t)n);
		f.flags |= DP_UDP_F_TOOBIG;
		DP_COUNT(net, udp_toobig);
	}
	dp_udp_frame_encode(&f, rte_pktmbuf_mtod(m, uint8_t *));

	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)
		rte_pktmbuf_prepend(m, UDP_HDR_LEN);
	if (uh == NULL) {
		DP_COUNT(net, drop_no_mbuf);
		rte_pktmbuf_free(m);
		return;
	}
	uh->src_port = u->port;
	uh->dst_port = pport;
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)m->pkt_len);
	dp_udp_cksum(net, m, uh, peer);

	if (u->n_held == u->cap_held) {
		unsigned cap = u->cap_held ? 2 * u->cap_held : 64;
		struct udp_held *h = realloc(u->held, cap * sizeof(*h));
		if (h == NULL) {
			DP_COUNT(net, drop_no_mbuf);
			rte_pktmbuf_free(m);
			return;
		}
		u->held = h;
		u->cap_held = cap;
	}
	u->held[u->n_held++] = (struct udp_held){ m, peer };
}

/*
 * udp_routed_done -- the reply of a request that ran on another worker
 * (durable there): into a reply datagram, held like the others.
 */
static void
udp_routed_done(struct dp_worker *w, void *owner, const char *reply,
		size_t len)
{
	struct udp_pend *p = owner;
	struct dp_udp *u = p->u;
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->net.pool);

	u->n_pend--;
	if (m != NULL) {
		rte_pktmbuf_append(m, DP_UDP_FRAME_LEN);
		if (len <= u->max_resp)
			memcpy(rte_pktmbuf_append(m, (uint16_t)len), reply,
			       len);
		reply_hold(u, m, len, p->peer, p->peer_port, &p->f);
	} else {
		DP_COUNT(&w->net, drop_no_mbuf);
	}
	p->next = u->free_pend;
	u->free_pend = p;
}

/* argv_reserve -- room for n arguments. */
static bool
argv_reserve(struct dp_udp *u, uint32_t n)
{
	if (n <= u->argv_cap)
		return true;
	uint32_t cap = u->argv_cap ? u->argv_cap : 16;
	while (cap < n)
		cap *= 2;
	struct kv_arg *a = realloc(u->argv, cap * sizeof(*a));
	if (a == NULL)
		return false;
	u->argv = a;
	u->argv_cap = cap;
	return true;
}

/*
 * udp_protocol_error -- the reply to a payload that is not exactly one
 * whole request: "-ERR " and why (a "Protocol error: ..." text).
 */
static void
udp_protocol_error(struct dp_udp *u, const char *why)
{
	char text[160];
	int n = snprintf(text, sizeof(text), "-ERR %s\r\n", why);

	DP_COUNT(&u->w->net, udp_protocol_errors);
	udp_write(u, text, (size_t)n);
}

/*
 * udp_execute -- run the request of body[0..len) (parsed: argc
 * arguments) and hold its reply, or route it; the reply to a request
 * that runs here is in u->out.
 * Returns false when the request went to another worker (u->out is then
 * untouched and stays the spare).
 */
static bool
udp_execute(struct dp_udp *u, char *body, uint32_t peer, uint16_t pport,
	    const struct dp_udp_frame *f)
{
	struct dp_worker *w = u->w;
	const struct resp_parser *ps = &u->parser;

	w->counters[DP_W_commands]++;
	if (!argv_reserve(u, ps->argc)) {
		udp_write(u, "-ERR out of memory\r\n", 20);
		return true;
	}
	for (uint32_t i = 0; i < ps->argc; i++) {
		u->argv[i].ptr = body + ps->argv[i].off;
		u->argv[i].len = ps->argv[i].len;
	}
	const char *no = refused_name(&u->argv[0]);
	if (no != NULL) {
		char text[96];
		int n = snprintf(text, sizeof(text), DP_UDP_REFUSED_FMT, no);
		DP_COUNT(&w->net, udp_refused);
		udp_write(u, text, (size_t)n);
		return true;
	}
	struct udp_pend *p = u->free_pend;
	if (p != NULL) {
		u->free_pend = p->next;
	} else if ((p = malloc(sizeof(*p))) == NULL) {
		udp_write(u, "-ERR out of memory\r\n", 20);
		return true;
	}
	*p = (struct udp_pend){ .u = u, .peer = peer, .peer_port = pport,
				.f = *f };
	struct dp_xc_owner o = { udp_routed_done, p };
	/* No connection state: database 0 whatever ran before. */
	u->client.db = 0;
	if (dp_xc_execute(w, &u->client, (int)ps->argc, u->argv, &o)) {
		p->next = u->free_pend;
		u->free_pend = p;
		return true;
	}
	u->n_pend++;
	return false;
}

/* udp_input -- net->udp_input: a datagram (data at the IPv4 header). */
static void
udp_input(void *ctx, struct rte_mbuf *m, uint32_t hlen, bool l4_good)
{
	struct dp_udp *u = ctx;
	struct dp_net *net = &u->w->net;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint32_t len = rte_pktmbuf_data_len(m) - hlen;
	struct rte_udp_hdr *uh;

	if (len < UDP_HDR_LEN) {
		DP_COUNT(net, drop_short);
		goto drop;
	}
	uh = (struct rte_udp_hdr *)((char *)ip + hlen);
	if (uh->dst_port != u->port) {
		DP_COUNT(net, udp_no_port);
		goto drop;
	}
	if (rte_be_to_cpu_16(uh->dgram_len) != len) {
		DP_COUNT(net, udp_bad_frames);
		goto drop;
	}
	/* A zero checksum: the sender computed none (IPv4 allows it). */
	if (!l4_good && uh->dgram_cksum != 0 && !dp_udp_cksum_ok(ip, uh, len)) {
		DP_COUNT(net, udp_bad_cksum);
		goto drop;
	}
	struct dp_udp_frame f;
	uint8_t *payload = (uint8_t *)(uh + 1);
	if (!dp_udp_frame_decode(payload, len - UDP_HDR_LEN, &f) ||
	    (f.flags & DP_UDP_F_REPLY)) {
		/* Too short, or a reply (never answer one: no loops). */
		DP_COUNT(net, udp_bad_frames);
		goto drop;
	}
	DP_COUNT(net, udp_requests);
	if (!reply_begin(u))
		goto drop;

	uint32_t peer = ip->src_addr;
	uint16_t pport = uh->src_port;
	char *body = (char *)payload + DP_UDP_FRAME_LEN;
	size_t blen = len - UDP_HDR_LEN - DP_UDP_FRAME_LEN, used = 0;
	char why[96];
	resp_parser_reset(&u->parser);
	enum resp_status st = resp_parse(&u->parser, body, blen, &used);
	if (st == RESP_ERROR) {
		udp_protocol_error(u, u->parser.err);
	} else if (st == RESP_NEED_MORE) {
		udp_protocol_error(u, "Protocol error: unfinished request (a "
				   "UDP datagram carries one whole request)");
	} else if (st == RESP_EMPTY) {
		udp_protocol_error(u, "Protocol error: no request in the "
				   "datagram");
	} else if (used < blen) {
		snprintf(why, sizeof(why), "Protocol error: %zu bytes after "
			 "the request (one request per datagram)",
			 blen - used);
		udp_protocol_error(u, why);
	} else if (!udp_execute(u, body, peer, pport, &f)) {
		goto drop;      /* routed: its reply comes back later */
	}
	reply_hold(u, u->out, u->out_len, peer, pport, &f);
	u->out = NULL;
drop:
	rte_pktmbuf_free(m);
}

struct dp_udp *
dp_udp_create(struct dp_worker *w, uint16_t port)
{
	struct dp_udp *u = rte_zmalloc_socket("dp_udp", sizeof(*u),
					      RTE_CACHE_LINE_SIZE,
					      (int)rte_lcore_to_socket_id(
						      w->lcore));
	if (u == NULL)
		return NULL;
	u->w = w;
	u->port = rte_cpu_to_be_16(port);
	/* One mbuf per reply: what its data room holds past the headroom,
	 * and what the MTU lets through. */
	uint32_t room = rte_pktmbuf_data_room_size(w->net.pool) -
			RTE_PKTMBUF_HEADROOM - DP_UDP_FRAME_LEN;
	uint32_t mtu = w->net.mtu > UDP_OVERHEAD ? w->net.mtu - UDP_OVERHEAD :
		       0;
	u->max_resp = RTE_MIN(room, mtu);
	kv_client_init(&u->client, udp_write, u);
	snprintf(u->client.addr, sizeof(u->client.addr), "udp");
	resp_parser_init(&u->parser);
	w->udp = u;
	w->net.udp_input = udp_input;
	w->net.udp_ctx = u;
	return u;
}

void
dp_udp_flush(struct dp_udp *u)
{
	if (u == NULL)
		return;
	for (unsigned i = 0; i < u->n_held; i++) {
		DP_COUNT(&u->w->net, udp_replies);
		dp_ipv4_output(&u->w->net, u->held[i].m, u->held[i].dst,
			       IPPROTO_UDP);
	}
	u->n_held = 0;
}

void
dp_udp_free(struct dp_udp *u)
{
	if (u == NULL)
		return;
	if (u->w->net.udp_ctx == u) {
		u->w->net.udp_input = NULL;
		u->w->net.udp_ctx = NULL;
	}
	if (u->w->udp == u)
		u->w->udp = NULL;
	for (unsigned i = 0; i < u->n_held; i++)
		rte_pktmbuf_free(u->held[i].m);
	free(u->held);
	rte_pktmbuf_free(u->out);
	while (u->free_pend != NULL) {
		struct udp_pend *p = u->free_pend;
		u->free_pend = p->next;
		free(p);
	}
	kv_client_fini(&u->client);
	resp_parser_fini(&u->parser);
	free(u->argv);
	rte_free(u);
}

uint32_t
dp_udp_max_reply(const struct dp_udp *u)
{
	return u->max_resp;
}

unsigned
dp_udp_pending(const struct dp_udp *u)
{
	return u != NULL ? u->n_pend : 0;
}
