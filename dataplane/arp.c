/*
 * arp.c -- ARP: answer requests for our address, learn peers, resolve
 * next hops (holding packets meanwhile), announce ourselves.
 *
 * The cache is a fixed open-addressed table in the per-core dp_net: no
 * allocation, no lock. Entries expire after DP_ARP_TTL_S and are then
 * resolved again on use.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>

#include "net.h"
#include "net_private.h"

#define DP_ARP_TTL_S     300
#define DP_ARP_RETRY_MS  500
#define DP_ARP_RETRIES   6
#define DP_ARP_PROBES    8

/* arp_slot -- the entry for ip, or a free/evictable one if create. */
static struct dp_arp_entry *
arp_slot(struct dp_net *net, uint32_t ip, bool create)
{
	uint32_t h = rte_be_to_cpu_32(ip) * 2654435761u;
	struct dp_arp_entry *victim = NULL;

	for (unsigned i = 0; i < DP_ARP_PROBES; i++) {
		struct dp_arp_entry *e =
			&net->arp[(h + i) & (DP_ARP_SLOTS - 1)];
		if (e->ip == ip)
			return e;
		if (victim == NULL && (e->ip == 0 ||
				       (e->resolved &&
					e->expire_tsc < net->now_tsc)))
			victim = e;
	}
	if (!create)
		return NULL;
	if (victim == NULL)     /* all busy: take the first probe */
		victim = &net->arp[h & (DP_ARP_SLOTS - 1)];
	for (unsigned k = 0; k < victim->n_hold; k++) {
		rte_pktmbuf_free(victim->hold[k]);
		DP_COUNT(net, drop_arp_hold);
	}
	memset(victim, 0, sizeof(*victim));
	victim->ip = ip;
	return victim;
}

/* arp_send -- an ARP request or reply built in a new mbuf. */
static void
arp_send(struct dp_net *net, uint16_t op, const struct rte_ether_addr *tha,
	 uint32_t tip, const struct rte_ether_addr *eth_dst)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(net->pool);

	if (m == NULL) {
		DP_COUNT(net, drop_no_mbuf);
		return;
	}
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)
		rte_pktmbuf_append(m, sizeof(*eh) + sizeof(struct rte_arp_hdr));
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eh + 1);
	eh->dst_addr = *eth_dst;
	eh->src_addr = net->mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	a->arp_data.arp_sha = net->mac;
	a->arp_data.arp_sip = net->ip;
	a->arp_data.arp_tha = *tha;
	a->arp_data.arp_tip = tip;
	if (op == RTE_ARP_OP_REQUEST)
		DP_COUNT(net, arp_requests_tx);
	else
		DP_COUNT(net, arp_replies_tx);
	dp_net_tx(net, m);
}

/* arp_release -- send the packets held for a now resolved entry. */
static void
arp_release(struct dp_net *net, struct dp_arp_entry *e)
{
	for (unsigned k = 0; k < e->n_hold; k++) {
		struct rte_mbuf *m = e->hold[k];
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m,
						struct rte_ether_hdr *);
		eh->dst_addr = e->mac;
		dp_net_tx(net, m);
	}
	e->n_hold = 0;
}

/* arp_learn -- remember (or refresh) a peer's MAC address. */
static void
arp_learn(struct dp_net *net, uint32_t ip, const struct rte_ether_addr *mac,
	  bool create)
{
	struct dp_arp_entry *e = arp_slot(net, ip, create);

	if (e == NULL)
		return;
	e->mac = *mac;
	e->resolved = 1;
	e->expire_tsc = net->now_tsc + DP_ARP_TTL_S * net->tsc_hz;
	arp_release(net, e);
}

/*
 * arp_process -- an ARP frame (data at the Ethernet header): learn the
 * sender, and answer a request for our address if answer. Consumes m.
 */
static void
arp_process(struct dp_net *net, struct rte_mbuf *m, bool answer)
{
	struct rte_arp_hdr *a;

	if (rte_pktmbuf_data_len(m) <
	    sizeof(struct rte_ether_hdr) + sizeof(*a)) {
		DP_COUNT(net, drop_short);
		goto out;
	}
	a = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *,
				    sizeof(struct rte_ether_hdr));
	if (a->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    a->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    a->arp_hlen != RTE_ETHER_ADDR_LEN || a->arp_plen != 4) {
		DP_COUNT(net, drop_arp);
		goto out;
	}
	uint16_t op = rte_be_to_cpu_16(a->arp_opcode);
	uint32_t sip = a->arp_data.arp_sip, tip = a->arp_data.arp_tip;
	bool for_us = tip == net->ip;

	/* RFC 826: update a known sender; add it if the ARP is for us. */
	if (sip != 0 && sip != net->ip)
		arp_learn(net, sip, &a->arp_data.arp_sha, for_us);
	if (op == RTE_ARP_OP_REQUEST) {
		DP_COUNT(net, arp_requests_rx);
		if (answer && for_us && sip != net->ip)
			arp_send(net, RTE_ARP_OP_REPLY, &a->arp_data.arp_sha,
				 sip, &a->arp_data.arp_sha);
	} else if (op == RTE_ARP_OP_REPLY) {
		DP_COUNT(net, arp_replies_rx);
	} else {
		DP_COUNT(net, drop_arp);
	}
out:
	rte_pktmbuf_free(m);
}

void
dp_arp_input(struct dp_net *net, struct rte_mbuf *m)
{
	arp_process(net, m, true);
}

void
dp_arp_learn(struct dp_net *net, struct rte_mbuf *m)
{
	arp_process(net, m, false);
}

void
dp_arp_output(struct dp_net *net, struct rte_mbuf *m, uint32_t hop)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)
		rte_pktmbuf_prepend(m, sizeof(*eh));
	struct dp_arp_entry *e;

	if (eh == NULL) {
		DP_COUNT(net, drop_no_mbuf);
		rte_pktmbuf_free(m);
		return;
	}
	eh->src_addr = net->mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	e = arp_slot(net, hop, true);
	if (e->resolved && e->expire_tsc >= net->now_tsc) {
		eh->dst_addr = e->mac;
		dp_net_tx(net, m);
		return;
	}
	if (e->resolved) {
		/* Expired: keep using it while asking again. */
		eh->dst_addr = e->mac;
		dp_net_tx(net, m);
		if (e->retry_tsc < net->now_tsc) {
			e->retry_tsc = net->now_tsc +
				DP_ARP_RETRY_MS * net->tsc_hz / 1000;
			arp_send(net, RTE_ARP_OP_REQUEST, &(struct rte_ether_addr){{0}},
				 hop, &(struct rte_ether_addr){
					 {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}});
		}
		return;
	}
	if (e->n_hold == DP_ARP_HOLD) {
		DP_COUNT(net, drop_arp_hold);
		rte_pktmbuf_free(m);
	} else {
		e->hold[e->n_hold++] = m;
	}
	if (e->retry_tsc == 0) {
		e->retry_tsc = net->now_tsc +
			DP_ARP_RETRY_MS * net->tsc_hz / 1000;
		arp_send(net, RTE_ARP_OP_REQUEST, &(struct rte_ether_addr){{0}},
			 hop, &(struct rte_ether_addr){
				 {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}});
	}
}

void
dp_arp_announce(struct dp_net *net)
{
	static const struct rte_ether_addr bcast = {
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

	/* A gratuitous ARP: a request for our own address. */
	arp_send(net, RTE_ARP_OP_REQUEST, &(struct rte_ether_addr){{0}},
		 net->ip, &bcast);
}

void
dp_net_timer(struct dp_net *net)
{
	static const struct rte_ether_addr bcast = {
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

	/* Retry unresolved entries; give up after DP_ARP_RETRIES. */
	for (unsigned i = 0; i < DP_ARP_SLOTS; i++) {
		struct dp_arp_entry *e = &net->arp[i];
		if (e->ip == 0 || e->resolved || e->retry_tsc > net->now_tsc)
			continue;
		if (++e->tries > DP_ARP_RETRIES) {
			for (unsigned k = 0; k < e->n_hold; k++) {
				rte_pktmbuf_free(e->hold[k]);
				DP_COUNT(net, drop_arp_hold);
			}
			memset(e, 0, sizeof(*e));
			continue;
		}
		e->retry_tsc = net->now_tsc +
			DP_ARP_RETRY_MS * net->tsc_hz / 1000;
		arp_send(net, RTE_ARP_OP_REQUEST, &(struct rte_ether_addr){{0}},
			 e->ip, &bcast);
	}
}
