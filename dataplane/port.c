/*
 * port.c -- ethdev port and queue set-up.
 *
 * Every worker owns one RX/TX queue pair and an mbuf pool on its socket,
 * so that nothing on the packet path is shared between cores; a port
 * with fewer queue pairs than workers gets as many as it has, and
 * software steering (steer.c) shares them. Checksum
 * offloads and multi-segment transmit are enabled when the port offers
 * them; the stack does the work in software otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "net.h"
#include "port.h"

#define DP_MBUF_CACHE 256
#define DP_MBUF_DATA  RTE_MBUF_DEFAULT_BUF_SIZE

/* choose_offloads -- enable what the port offers and the stack uses. */
static uint32_t
choose_offloads(const struct rte_eth_dev_info *info,
		struct rte_eth_conf *conf)
{
	uint32_t off = 0;
	uint64_t rx = info->rx_offload_capa, tx = info->tx_offload_capa;

	if (rx & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) {
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
		off |= DP_OFF_RX_IPV4_CKSUM;
	}
	if ((rx & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) &&
	    (rx & RTE_ETH_RX_OFFLOAD_UDP_CKSUM)) {
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
					 RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
		off |= DP_OFF_RX_L4_CKSUM;
	}
	if (tx & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
		off |= DP_OFF_TX_IPV4_CKSUM;
	}
	if (tx & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) {
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
		off |= DP_OFF_TX_TCP_CKSUM;
	}
	if (tx & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) {
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
		off |= DP_OFF_TX_UDP_CKSUM;
	}
	if (tx & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) {
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		off |= DP_OFF_TX_MULTI_SEGS;
	}
	/* TSO needs the checksums it implies and chained payload. */
	uint32_t tso_needs = DP_OFF_TX_IPV4_CKSUM | DP_OFF_TX_TCP_CKSUM |
			     DP_OFF_TX_MULTI_SEGS;
	if ((tx & RTE_ETH_TX_OFFLOAD_TCP_TSO) &&
	    (off & tso_needs) == tso_needs) {
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
		off |= DP_OFF_TX_TCP_TSO;
	}
	return off;
}

uint64_t
dp_port_rss_conf(const struct rte_eth_dev_info *info, uint16_t n_queues,
		 struct rte_eth_conf *conf, uint8_t *key, size_t key_cap)
{
	uint64_t hf = info->flow_type_rss_offloads &
		      (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	size_t len = info->hash_key_size;

	if (n_queues < 2 || hf == 0 || len == 0 || len > key_cap)
		return 0;
	for (size_t i = 0; i < len; i++)
		key[i] = i % 2 == 0 ? 0x6d : 0x5a;
	conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf->rx_adv_conf.rss_conf.rss_key = key;
	conf->rx_adv_conf.rss_conf.rss_key_len = (uint8_t)len;
	conf->rx_adv_conf.rss_conf.rss_hf = hf;
	return hf;
}

int
dp_port_setup(struct dp_port *p, uint16_t port_id, uint16_t n_workers,
	      uint16_t queues, const int *sockets, unsigned rx_desc,
	      unsigned tx_desc, unsigned mbufs, uint16_t mtu, char *err,
	      size_t errlen)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t nb_rx = rx_desc, nb_tx = tx_desc;
	int rc;

	memset(p, 0, sizeof(*p));
	p->port_id = port_id;
	p->mtu = mtu;
	if (n_workers == 0 || n_workers > DP_MAX_WORKERS) {
		snprintf(err, errlen, "port %u: %u workers: 1..%u supported",
			 port_id, n_workers, DP_MAX_WORKERS);
		return -EINVAL;
	}

	if (!rte_eth_dev_is_valid_port(port_id)) {
		snprintf(err, errlen, "port %u: no such ethdev port (give one "
			 "with --vdev or a PCI address in the EAL arguments)",
			 port_id);
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %u: cannot get device info: %s",
			 port_id, rte_strerror(-rc));
		return rc;
	}
	rte_eth_dev_get_name_by_port(port_id, p->name);
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	uint16_t n_queues = queues == 0 ? n_workers :
			    RTE_MIN(queues, n_workers);
	n_queues = RTE_MIN(n_queues, RTE_MIN(info.max_rx_queues,
					     info.max_tx_queues));
	if (n_queues == 0) {
		snprintf(err, errlen, "port %s: the device offers no queue "
			 "pair", p->name);
		return -EINVAL;
	}
	p->n_queues = n_queues;
	p->n_workers = n_workers;

	memset(&conf, 0, sizeof(conf));
	p->offloads = choose_offloads(&info, &conf);
	if ((p->offloads & DP_OFF_TX_TCP_TSO) &&
	    strcmp(info.driver_name, "net_tap") == 0)
		p->offloads |= DP_OFF_TX_TSO_L2_MTU;
	uint8_t rss_key[64];
	p->rss_hf = dp_port_rss_conf(&info, n_queues, &conf, rss_key,
				     sizeof(rss_key));
	rc = rte_eth_dev_configure(port_id, n_queues, n_queues, &conf);
	if (rc != 0 && p->rss_hf != 0) {
		/* Offered but refused as asked: spread without it. */
		p->rss_hf = 0;
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
		memset(&conf.rx_adv_conf.rss_conf, 0,
		       sizeof(conf.rx_adv_conf.rss_conf));
		rc = rte_eth_dev_configure(port_id, n_queues, n_queues, &conf);
	}
	if (rc != 0) {
		snprintf(err, errlen, "port %s: configure failed: %s", p->name,
			 rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rx, &nb_tx);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: descriptor counts refused: %s",
			 p->name, rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_set_mtu(port_id, mtu);
	if (rc != 0 && rc != -ENOTSUP) {
		snprintf(err, errlen, "port %s: cannot set mtu %u: %s", p->name,
			 mtu, rte_strerror(-rc));
		return rc;
	}

	for (uint16_t q = 0; q < n_workers; q++) {
		char name[RTE_MEMPOOL_NAMESIZE];
		struct rte_eth_rxconf rxq = info.default_rxconf;
		struct rte_eth_txconf txq = info.default_txconf;

		snprintf(name, sizeof(name), "rp_p%u_q%u", port_id, q);
		p->pools[q] = rte_pktmbuf_pool_create(name, mbufs,
						      DP_MBUF_CACHE, 0,
						      DP_MBUF_DATA, sockets[q]);
		if (p->pools[q] == NULL) {
			snprintf(err, errlen, "port %s: cannot create a pool "
				 "of %u mbufs for worker %u: %s (try fewer "
				 "'mbufs' or more hugepages)", p->name, mbufs,
				 q, rte_strerror(rte_errno));
			rc = -ENOMEM;
			goto fail;
		}
		if (q >= n_queues)
			continue;
		rxq.offloads = conf.rxmode.offloads;
		txq.offloads = conf.txmode.offloads;
		rc = rte_eth_rx_queue_setup(port_id, q, nb_rx, sockets[q], &rxq,
					    p->pools[q]);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port_id, q, nb_tx,
						    sockets[q], &txq);
		if (rc != 0) {
			snprintf(err, errlen, "port %s: queue %u set-up failed: "
				 "%s", p->name, q, rte_strerror(-rc));
			goto fail;
		}
	}

	rc = rte_eth_macaddr_get(port_id, &p->mac);
	if (rc == 0)
		rc = rte_eth_dev_start(port_id);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: start failed: %s", p->name,
			 rte_strerror(-rc));
		goto fail;
	}
	/* Frames to our MAC and broadcast are all we need; ARP relies on
	 * broadcast, so make sure it is not filtered. */
	rte_eth_allmulticast_enable(port_id);
	return 0;

fail:
	for (uint16_t q = 0; q < n_workers; q++) {
		rte_mempool_free(p->pools[q]);
		p->pools[q] = NULL;
	}
	return rc;
}

int
dp_port_rss(const struct dp_port *p, uint8_t *key, unsigned *key_len,
	    uint16_t *reta, unsigned *reta_size)
{
	struct rte_eth_dev_info info;
	struct rte_eth_rss_conf rss;
	struct rte_eth_rss_reta_entry64 conf[RTE_ETH_RSS_RETA_SIZE_512 /
					     RTE_ETH_RETA_GROUP_SIZE];

	if (p->n_queues < 2 || rte_eth_dev_info_get(p->port_id, &info) != 0 ||
	    info.reta_size == 0 || info.reta_size > *reta_size ||
	    info.reta_size > RTE_ETH_RSS_RETA_SIZE_512 ||
	    info.hash_key_size == 0 || info.hash_key_size > *key_len)
		return -ENOTSUP;
	memset(&rss, 0, sizeof(rss));
	rss.rss_key = key;
	rss.rss_key_len = info.hash_key_size;
	if (rte_eth_dev_rss_hash_conf_get(p->port_id, &rss) != 0 ||
	    rss.rss_hf == 0)
		return -ENOTSUP;
	memset(conf, 0, sizeof(conf));
	for (unsigned i = 0; i < info.reta_size / RTE_ETH_RETA_GROUP_SIZE; i++)
		conf[i].mask = UINT64_MAX;
	if (rte_eth_dev_rss_reta_query(p->port_id, conf, info.reta_size) != 0)
		return -ENOTSUP;
	for (unsigned i = 0; i < info.reta_size; i++)
		reta[i] = conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[
			i % RTE_ETH_RETA_GROUP_SIZE];
	*key_len = rss.rss_key_len;
	*reta_size = info.reta_size;
	return 0;
}

void
dp_port_close(struct dp_port *p)
{
	rte_eth_dev_stop(p->port_id);
	rte_eth_dev_close(p->port_id);
	for (uint16_t q = 0; q < p->n_workers; q++) {
		rte_mempool_free(p->pools[q]);
		p->pools[q] = NULL;
	}
}

int
dp_port_wait_link(const struct dp_port *p, unsigned timeout_ms)
{
	struct rte_eth_link link;

	for (unsigned t = 0; t <= timeout_ms; t += 10) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(p->port_id, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			return 1;
		rte_delay_ms(10);
	}
	return 0;
}

size_t
dp_port_stats_format(const struct dp_port *p, char *buf, size_t len)
{
	struct rte_eth_link link;
	struct rte_eth_stats st;
	size_t n = 0;

#define APPEND(...)                                                     \
	do {                                                             \
		int r_ = snprintf(buf + n, len - n, __VA_ARGS__);        \
		if (r_ > 0)                                              \
			n = RTE_MIN(len - 1, n + (size_t)r_);            \
	} while (0)

	if (len == 0)
		return 0;
	buf[0] = '\0';
	memset(&link, 0, sizeof(link));
	rte_eth_link_get_nowait(p->port_id, &link);
	APPEND("# Port %u\r\nname:%s\r\ndriver:%s\r\n"
	       "mac:" RTE_ETHER_ADDR_PRT_FMT "\r\nmtu:%u\r\nqueues:%u\r\n"
	       "link:%s\r\nspeed_mbps:%u\r\nduplex:%s\r\n",
	       p->port_id, p->name, p->driver, RTE_ETHER_ADDR_BYTES(&p->mac),
	       p->mtu, p->n_queues, link.link_status ? "up" : "down",
	       link.link_speed, link.link_duplex ? "full" : "half");
	APPEND("tx_offloads:%s%s%s%s\r\n",
	       p->offloads & DP_OFF_TX_IPV4_CKSUM ? " ipv4_cksum" : "",
	       p->offloads & DP_OFF_TX_TCP_CKSUM ? " tcp_cksum" : "",
	       p->offloads & DP_OFF_TX_MULTI_SEGS ? " multi_segs" : "",
	       p->offloads & DP_OFF_TX_TCP_TSO ? " tcp_tso" : "");
	if (rte_eth_stats_get(p->port_id, &st) == 0)
		APPEND("rx_packets:%" PRIu64 "\r\ntx_packets:%" PRIu64 "\r\n"
		       "rx_bytes:%" PRIu64 "\r\ntx_bytes:%" PRIu64 "\r\n"
		       "rx_missed:%" PRIu64 "\r\nrx_errors:%" PRIu64 "\r\n"
		       "tx_errors:%" PRIu64 "\r\nrx_nombuf:%" PRIu64 "\r\n",
		       st.ipackets, st.opackets, st.ibytes, st.obytes,
		       st.imissed, st.ierrors, st.oerrors, st.rx_nombuf);

	int nx = rte_eth_xstats_get(p->port_id, NULL, 0);
	if (nx > 0) {
		struct rte_eth_xstat *xs = calloc((size_t)nx, sizeof(*xs));
		struct rte_eth_xstat_name *names = calloc((size_t)nx,
							  sizeof(*names));
		if (xs != NULL && names != NULL &&
		    rte_eth_xstats_get_names(p->port_id, names, nx) == nx &&
		    rte_eth_xstats_get(p->port_id, xs, nx) == nx) {
			for (int i = 0; i < nx; i++)
				if (xs[i].value != 0 && xs[i].id < (uint64_t)nx)
					APPEND("x_%s:%" PRIu64 "\r\n",
					       names[xs[i].id].name, xs[i].value);
		}
		free(xs);
		free(names);
	}
#undef APPEND
	return n;
}
