/*
 * port.h -- set-up of the ethdev port that redpoll serves: one RX/TX
 * queue pair and one mbuf pool per worker, offloads chosen from what the
 * port offers. Runs on the main lcore before the workers start.
 */
#ifndef RP_PORT_H
#define RP_PORT_H

#include <stddef.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mempool.h>

#define DP_MAX_WORKERS 128

struct dp_port {
	uint16_t port_id;
	uint16_t n_queues;                 /* queue pairs, <= n_workers */
	uint16_t n_workers;                /* pools */
	uint16_t mtu;
	uint32_t offloads;                 /* DP_OFF_* (net.h) */
	uint64_t rss_hf;                   /* hardware RSS flow types, or 0 */
	struct rte_ether_addr mac;
	char name[RTE_ETH_NAME_MAX_LEN];   /* device name */
	char driver[32];
	struct rte_mempool *pools[DP_MAX_WORKERS]; /* one per worker */
};

/*
 * dp_port_setup -- configure and start a port for n_workers workers.
 *   port_id:     ethdev port.
 *   n_workers:   worker count; each worker gets its own pool on its
 *                socket (sockets[w]).
 *   queues:      queue pairs wanted, 0 = one per worker; fewer are set
 *                up when the device offers fewer (p->n_queues says how
 *                many: queue q is worker q's).
 *   rx_desc, tx_desc, mbufs, mtu: from the configuration.
 *   err:         reason on failure.
 * Returns 0 or a negative errno.
 */
int dp_port_setup(struct dp_port *p, uint16_t port_id, uint16_t n_workers,
		  uint16_t queues, const int *sockets, unsigned rx_desc,
		  unsigned tx_desc, unsigned mbufs, uint16_t mtu, char *err,
		  size_t errlen);

/*
 * dp_port_rss_conf -- hardware RSS in conf when the device offers it
 * for IPv4/TCP/UDP and there are n_queues >= 2: the Toeplitz key key
 * (room for key_cap bytes) filled with 0x6d5a repeated, whose 16-bit
 * period makes the hash symmetric (a flow and its reverse, addresses
 * and ports swapped, land on one queue). Returns the flow types
 * asked for, 0 when RSS is not used.
 */
uint64_t dp_port_rss_conf(const struct rte_eth_dev_info *info,
			  uint16_t n_queues, struct rte_eth_conf *conf,
			  uint8_t *key, size_t key_cap);

/*
 * dp_port_rss -- the port's receive-side scaling, for tcp_set_rss: the
 * hash key (at most *key_len bytes; its length is returned there) and the
 * redirection table (at most *reta_size entries; the count returned).
 * Returns 0, or -ENOTSUP when the port spreads nothing by a Toeplitz
 * hash (one queue, RSS off or not reported).
 */
int dp_port_rss(const struct dp_port *p, uint8_t *key, unsigned *key_len,
		uint16_t *reta, unsigned *reta_size);

/* dp_port_close -- stop and close the port, free the pools. */
void dp_port_close(struct dp_port *p);

/* dp_port_wait_link -- wait up to timeout_ms for link up; 1 if up. */
int dp_port_wait_link(const struct dp_port *p, unsigned timeout_ms);

/*
 * dp_port_stats_format -- the port's identity, link and counters
 * (rte_eth_stats, then every non-zero xstat) as "name:value\r\n" lines
 * in INFO's style, truncated to len. Returns the bytes written. Safe to
 * call from the main lcore while workers poll.
 */
size_t dp_port_stats_format(const struct dp_port *p, char *buf, size_t len);

#endif /* RP_PORT_H */
