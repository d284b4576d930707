/*
 * steer.c -- software flow steering between workers (steer.h).
 *
 * Rings: in[i] carries the frames worker i (one with a queue) steered to
 * this worker; tx_in[] the frames that workers without a queue hand to
 * this one for transmission; tx_out this worker's own hand-off when it
 * has no queue. Every ring has one producer and one consumer lcore and
 * lives on the consumer's socket.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "net.h"
#include "net_private.h"
#include "port.h"
#include "steer.h"
#include "tcp.h"
#include "worker.h"

/* Shared by the workers of one port: how many have not drained yet. */
struct steer_group {
	uint32_t undrained;             /* atomic */
	unsigned ends;                  /* workers attached (main lcore) */
};

struct dp_steer {
	unsigned self;                  /* worker index */
	unsigned n;                     /* workers */
	unsigned n_queues;              /* queue pairs of the port */
	unsigned next_in;               /* ring polled first, for fairness */
	bool drained;
	struct steer_group *group;
	struct rte_ring *in[DP_MAX_WORKERS];    /* from worker i */
	struct rte_ring *out[DP_MAX_WORKERS];   /* to worker j */
	struct rte_ring *tx_in[DP_MAX_WORKERS]; /* TX of queue-less workers */
	unsigned n_tx_in;
	struct rte_ring *tx_out;        /* own TX hand-off; NULL: own queue */
	/* frames for each worker gathered in one receive burst */
	uint16_t n_batch[DP_MAX_WORKERS];
	struct rte_mbuf *batch[DP_MAX_WORKERS][DP_MAX_BURST];
} __rte_cache_aligned;

uint32_t
dp_steer_frame_owner(const struct rte_mbuf *m, unsigned self, unsigned n)
{
	uint32_t len = rte_pktmbuf_data_len(m);
	const struct rte_ether_hdr *eh;
	const struct rte_ipv4_hdr *ip;
	uint16_t sport = 0, dport = 0;

	if (len < sizeof(*eh))
		return self;
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP))
		return DP_STEER_ALL;
	if (eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    len < sizeof(*eh) + sizeof(*ip))
		return self;
	ip = (const struct rte_ipv4_hdr *)(eh + 1);
	uint32_t hlen = (uint32_t)(ip->version_ihl & 0x0f) * 4;
	if (hlen < sizeof(*ip) || len < sizeof(*eh) + hlen)
		return self;
	bool frag = (ip->fragment_offset &
		     RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		    != 0;
	if (!frag && (ip->next_proto_id == IPPROTO_TCP ||
		      ip->next_proto_id == IPPROTO_UDP) &&
	    len >= sizeof(*eh) + hlen + 4) {
		/* TCP and UDP both start with the two ports. */
		const uint16_t *ports = (const uint16_t *)
			((const uint8_t *)ip + hlen);
		sport = ports[0];
		dport = ports[1];
	}
	return dp_steer_owner(dp_steer_hash(ip->src_addr, ip->dst_addr, sport,
					    dport), n);
}

/*
 * steer_tx_handoff -- the tx_burst of a worker without a queue: its
 * frames go to the worker that transmits for it. Consumes all n (what
 * the ring refuses is freed and counted).
 */
static uint16_t
steer_tx_handoff(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_worker *w = ctx;
	unsigned sent = rte_ring_enqueue_burst(w->steer->tx_out,
					       (void **)pkts, n, NULL);

	w->counters[DP_W_tx_handoff] += sent;
	if (unlikely(sent < n)) {
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		w->counters[DP_W_steer_drops] += n - sent;
	}
	return n;
}

/* steer_ring -- a single-producer/single-consumer ring on a socket. */
static struct rte_ring *
steer_ring(const char *fmt, unsigned a, unsigned b, int socket)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), fmt, a, b);
	return rte_ring_create(name, DP_STEER_RING_SIZE, socket,
			       RING_F_SP_ENQ | RING_F_SC_DEQ);
}

int
dp_steer_setup(struct dp_worker *const *workers, unsigned n,
	       unsigned n_queues)
{
	struct steer_group *g;

	if (n_queues == 0 || n_queues >= n || n > DP_MAX_WORKERS)
		return -EINVAL;
	g = rte_zmalloc("dp_steer_group", sizeof(*g), RTE_CACHE_LINE_SIZE);
	if (g == NULL)
		return -ENOMEM;
	g->undrained = n;
	for (unsigned j = 0; j < n; j++) {
		struct dp_worker *w = workers[j];
		int socket = (int)rte_lcore_to_socket_id(w->lcore);
		w->steer = rte_zmalloc_socket("dp_steer", sizeof(*w->steer),
					      RTE_CACHE_LINE_SIZE, socket);
		if (w->steer == NULL) {
			if (g->ends == 0)
				rte_free(g);
			return -ENOMEM;
		}
		w->steer->self = j;
		w->steer->n = n;
		w->steer->n_queues = n_queues;
		w->steer->group = g;
		g->ends++;
		/* Rings from every worker with a queue. */
		for (unsigned i = 0; i < n_queues; i++) {
			if (i == j)
				continue;
			w->steer->in[i] = steer_ring("st_%u_%u", i, j, socket);
			if (w->steer->in[i] == NULL)
				return -rte_errno;
		}
		/* Hand-offs of the workers this one transmits for. */
		for (unsigned i = n_queues + j; j < n_queues && i < n;
		     i += n_queues) {
			struct rte_ring *r = steer_ring("stx_%u_%u", i, j,
							socket);
			if (r == NULL)
				return -rte_errno;
			w->steer->tx_in[w->steer->n_tx_in++] = r;
		}
	}
	for (unsigned i = 0; i < n_queues; i++)
		for (unsigned j = 0; j < n; j++)
			if (i != j)
				workers[i]->steer->out[j] =
					workers[j]->steer->in[i];
	for (unsigned j = n_queues; j < n; j++) {
		struct dp_worker *w = workers[j];
		struct dp_steer *tx = workers[j % n_queues]->steer;
		w->steer->tx_out = tx->tx_in[j / n_queues - 1];
		w->net.tx_burst = steer_tx_handoff;
		w->net.tx_ctx = w;
	}
	for (unsigned j = 0; j < n; j++)
		if (workers[j]->net.tcp != NULL)
			tcp_set_steer(workers[j]->net.tcp, n, j);
	return 0;
}

/* steer_ring_free -- free a ring and the frames left in it. */
static void
steer_ring_free(struct rte_ring *r)
{
	struct rte_mbuf *m;

	if (r == NULL)
		return;
	while (rte_ring_dequeue(r, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

void
dp_steer_free(struct dp_worker *w)
{
	struct dp_steer *s = w->steer;

	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->n; i++) {
		steer_ring_free(s->in[i]);
		rte_pktmbuf_free_bulk(s->batch[i], s->n_batch[i]);
	}
	for (unsigned i = 0; i < s->n_tx_in; i++)
		steer_ring_free(s->tx_in[i]);
	if (s->group != NULL && --s->group->ends == 0)
		rte_free(s->group);
	if (w->net.tx_burst == steer_tx_handoff) {
		w->net.tx_burst = NULL;
		w->net.tx_ctx = NULL;
	}
	rte_free(s);
	w->steer = NULL;
}

/* steer_send -- the gathered frames to their owners, one burst each. */
static void
steer_send(struct dp_worker *w)
{
	struct dp_steer *s = w->steer;

	for (unsigned j = 0; j < s->n; j++) {
		unsigned nb = s->n_batch[j];
		if (nb == 0)
			continue;
		unsigned sent = rte_ring_enqueue_burst(s->out[j],
						       (void **)s->batch[j],
						       nb, NULL);
		w->counters[DP_W_steered_out] += sent;
		if (unlikely(sent < nb)) {
			rte_pktmbuf_free_bulk(s->batch[j] + sent, nb - sent);
			w->counters[DP_W_steer_drops] += nb - sent;
		}
		s->n_batch[j] = 0;
	}
}

/* steer_copy_all -- a copy of an ARP frame for every other worker. */
static void
steer_copy_all(struct dp_worker *w, const struct rte_mbuf *m)
{
	struct dp_steer *s = w->steer;

	for (unsigned j = 0; j < s->n; j++) {
		if (j == s->self)
			continue;
		struct rte_mbuf *c = rte_pktmbuf_copy(m, w->net.pool, 0,
						      UINT32_MAX);
		if (c == NULL) {
			DP_COUNT(&w->net, drop_no_mbuf);
			continue;
		}
		s->batch[j][s->n_batch[j]++] = c;
	}
}

/* steer_classify -- keep the own frames of a burst, gather the others. */
static uint16_t
steer_classify(struct dp_worker *w, struct rte_mbuf **rx, uint16_t n,
	       struct rte_mbuf **pkts)
{
	struct dp_steer *s = w->steer;
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = rx[i];
		uint32_t o = dp_steer_frame_owner(m, s->self, s->n);
		if (o == s->self) {
			pkts[k++] = m;
		} else if (o == DP_STEER_ALL) {
			steer_copy_all(w, m);
			pkts[k++] = m;
		} else {
			s->batch[o][s->n_batch[o]++] = m;
		}
	}
	steer_send(w);
	return k;
}

uint16_t
dp_steer_rx(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t max)
{
	struct dp_steer *s = w->steer;
	uint16_t k = 0;

	if (s->self < s->n_queues) {
		struct rte_mbuf *rx[DP_MAX_BURST];
		uint16_t n = rte_eth_rx_burst(w->net.port_id, w->net.queue_id,
					      rx, DP_MAX_BURST);
		if (n > 0)
			k = steer_classify(w, rx, n, pkts);
	}
	/* Then what the workers with a queue steered here, a fair share
	 * of each ring by turns. */
	for (unsigned t = 0; t < s->n_queues && k < max; t++) {
		unsigned i = (s->next_in + t) % s->n_queues;
		if (s->in[i] == NULL)
			continue;
		unsigned got = rte_ring_dequeue_burst(s->in[i],
						      (void **)(pkts + k),
						      max - k, NULL);
		w->counters[DP_W_steered_in] += got;
		/* ARP frames here are copies that the receiving worker has
		 * answered: learn from them; keep the others in order. */
		uint16_t base = k;
		for (unsigned x = 0; x < got; x++) {
			struct rte_mbuf *m = pkts[base + x];
			const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m,
				const struct rte_ether_hdr *);
			if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP))
				dp_arp_learn(&w->net, m);
			else
				pkts[k++] = m;
		}
	}
	s->next_in++;
	return k;
}

unsigned
dp_steer_tx(struct dp_worker *w)
{
	struct dp_steer *s = w->steer;
	struct rte_mbuf *pkts[2 * DP_MAX_BURST];
	unsigned total = 0;

	for (unsigned r = 0; r < s->n_tx_in; r++) {
		/* At most a ring's worth per call: the others wait little. */
		for (unsigned got, left = DP_STEER_RING_SIZE; left > 0;
		     left -= got) {
			got = rte_ring_dequeue_burst(s->tx_in[r],
						     (void **)pkts,
						     RTE_DIM(pkts), NULL);
			if (got == 0)
				break;
			dp_net_tx_burst(&w->net, pkts, (uint16_t)got);
			total += got;
		}
	}
	return total;
}

void
dp_steer_drained(struct dp_worker *w)
{
	struct dp_steer *s = w->steer;

	if (s == NULL || s->drained)
		return;
	s->drained = true;
	__atomic_fetch_sub(&s->group->undrained, 1, __ATOMIC_RELEASE);
}

bool
dp_steer_serving(const struct dp_worker *w)
{
	const struct dp_steer *s = w->steer;

	return s != NULL && s->self < s->n_queues &&
	       __atomic_load_n(&s->group->undrained, __ATOMIC_ACQUIRE) > 0;
}
