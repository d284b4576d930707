/*
 * net_private.h -- functions shared by net.c, arp.c and icmp.c.
 * mbuf ownership: each consumes the mbuf it is given.
 */
#ifndef RP_NET_PRIVATE_H
#define RP_NET_PRIVATE_H

#include "net.h"

/* dp_arp_input -- an ARP frame (data at the Ethernet header). */
void dp_arp_input(struct dp_net *net, struct rte_mbuf *m);

/*
 * dp_arp_learn -- an ARP frame another worker received and answered
 * (software steering, steer.c): learn from it as dp_arp_input does,
 * answer nothing.
 */
void dp_arp_learn(struct dp_net *net, struct rte_mbuf *m);

/*
 * dp_arp_output -- prepend the Ethernet header of an IPv4 packet for
 * next hop hop (network order) and queue it, or hold it while the
 * address is resolved.
 */
void dp_arp_output(struct dp_net *net, struct rte_mbuf *m, uint32_t hop);

/* dp_icmp_input -- an ICMP message (data at the IPv4 header). */
void dp_icmp_input(struct dp_net *net, struct rte_mbuf *m, uint32_t hlen);

#endif /* RP_NET_PRIVATE_H */
