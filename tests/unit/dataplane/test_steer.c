/*
 * test_steer.c -- dataplane/steer.c: the flow hash is symmetric and
 * spreads flows over N workers; a frame's owner comes from its 5-tuple
 * (addresses only without ports, every worker for ARP); on a one-queue
 * ring-backed port (net_ring) shared by two workers, frames reach their
 * owner through the rings, ARP copies teach the other worker without a
 * second answer, the queue-less worker's TX leaves through the other's
 * queue, a full ring drops and counts without leaking mbufs, and the
 * drain state says who must keep polling.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_random.h>

#include "unit.h"

#include "frames.h"
#include "port.h"
#include "steer.h"
#include "worker.h"

/* test_hash_symmetric -- both directions of a flow hash the same. */
static void
test_hash_symmetric(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 10000; i++) {
		uint32_t a = (uint32_t)rte_rand(), b = (uint32_t)rte_rand();
		uint16_t pa = (uint16_t)rte_rand(), pb = (uint16_t)rte_rand();
		assert_int_equal(dp_steer_hash(a, b, pa, pb),
				 dp_steer_hash(b, a, pb, pa));
	}
	/* Not a constant: other flows hash elsewhere. */
	assert_int_not_equal(dp_steer_hash(1, 2, 3, 4),
			     dp_steer_hash(1, 2, 3, 5));
	assert_int_not_equal(dp_steer_hash(1, 2, 3, 4),
			     dp_steer_hash(1, 3, 3, 4));
}

/*
 * test_hash_spread -- 6000 connections of one client to port 6379 from
 * consecutive ports, as a kernel picks them: each of N workers owns its
 * share within 10%; the owner is always below N.
 */
static void
test_hash_spread(void **state)
{
	const uint32_t client = rte_cpu_to_be_32(PEER_IP);
	const uint32_t server = rte_cpu_to_be_32(US_IP);
	(void)state;

	for (unsigned n = 2; n <= 8; n++) {
		unsigned count[8] = { 0 };
		const unsigned flows = 6000;
		for (unsigned p = 0; p < flows; p++) {
			uint16_t sport = rte_cpu_to_be_16(
				(uint16_t)(40000 + p));
			unsigned o = dp_steer_owner(
				dp_steer_hash(client, server, sport,
					      rte_cpu_to_be_16(6379)), n);
			assert_true(o < n);
			count[o]++;
		}
		for (unsigned w = 0; w < n; w++) {
			assert_true(count[w] * 10 >= flows / n * 9);
			assert_true(count[w] * 10 <= flows / n * 11);
		}
	}
	assert_int_equal(dp_steer_owner(UINT32_MAX, 3), 2);
	assert_int_equal(dp_steer_owner(0, 3), 0);
	assert_int_equal(dp_steer_owner(UINT32_MAX, 1), 0);
}

/* reverse -- turn a frame from the peer into the same flow's reply. */
static void
reverse(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
		struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	uint16_t *ports = (uint16_t *)(ip + 1);
	uint32_t a = ip->src_addr;
	uint16_t p = ports[0];

	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	ports[0] = ports[1];
	ports[1] = p;
}

/* owner_of -- the owner among n of the flow peer:pport <-> us:lport. */
static unsigned
owner_of(uint16_t pport, uint16_t lport, unsigned n)
{
	return dp_steer_owner(dp_steer_hash(rte_cpu_to_be_32(PEER_IP),
					    rte_cpu_to_be_32(US_IP),
					    rte_cpu_to_be_16(pport),
					    rte_cpu_to_be_16(lport)), n);
}

/*
 * test_frame_owner -- TCP and UDP by their 5-tuple in both directions,
 * ICMP and fragments by the addresses, ARP to everyone, the rest (other
 * ethertypes, truncated headers) to the receiving worker.
 */
static void
test_frame_owner(void **state)
{
	unsigned seen[4] = { 0 };
	(void)state;

	for (uint16_t p = 50000; p < 50200; p++) {
		struct rte_mbuf *m = tcp_frame(p, 0x02, 1, 0, 1000, NULL, 0,
					       NULL, 0);
		uint32_t o = dp_steer_frame_owner(m, 9, 4);
		assert_int_equal(o, owner_of(p, 6379, 4));
		seen[o]++;
		reverse(m);
		assert_int_equal(dp_steer_frame_owner(m, 9, 4), o);
		rte_pktmbuf_free(m);

		m = udp_frame(p, 6379, "x", 1);
		assert_int_equal(dp_steer_frame_owner(m, 9, 4),
				 owner_of(p, 6379, 4));
		rte_pktmbuf_free(m);
	}
	for (unsigned w = 0; w < 4; w++)
		assert_true(seen[w] > 20);

	/* ICMP echo: no ports; a fragment: its ports are not read. */
	uint8_t echo[8] = { 8, 0, 0, 0, 0, 1, 0, 1 }, pkt[64];
	size_t len = ipv4(pkt, IPPROTO_ICMP, echo, sizeof(echo));
	struct rte_mbuf *m = frame(&us_mac, RTE_ETHER_TYPE_IPV4, pkt, len);
	assert_int_equal(dp_steer_frame_owner(m, 9, 4), owner_of(0, 0, 4));
	rte_pktmbuf_free(m);
	m = tcp_frame(50001, 0x10, 1, 1, 1000, NULL, 0, "abc", 3);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
		struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	assert_int_equal(dp_steer_frame_owner(m, 9, 4), owner_of(0, 0, 4));
	/* Header length below 20: not IPv4 we read, the receiver's. */
	ip->version_ihl = 0x44;
	assert_int_equal(dp_steer_frame_owner(m, 9, 4), 9);
	rte_pktmbuf_free(m);

	m = arp_frame(RTE_ARP_OP_REQUEST, PEER_IP, US_IP);
	assert_int_equal(dp_steer_frame_owner(m, 9, 4), DP_STEER_ALL);
	rte_pktmbuf_free(m);
	m = frame(&us_mac, RTE_ETHER_TYPE_IPV6, pkt, 40);
	assert_int_equal(dp_steer_frame_owner(m, 9, 4), 9);
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - 10));
	assert_int_equal(dp_steer_frame_owner(m, 9, 4), 9);
	rte_pktmbuf_free(m);
	m = frame(&us_mac, RTE_ETHER_TYPE_IPV4, pkt, 10);
	assert_int_equal(dp_steer_frame_owner(m, 9, 4), 9);
	rte_pktmbuf_free(m);
}

/* new_worker -- a worker with a network instance and no TCP stack. */
static struct dp_worker *
new_worker(const struct dp_port *port, unsigned index, unsigned n)
{
	struct dp_worker *w = rte_zmalloc(NULL, sizeof(*w), 64);

	assert_non_null(w);
	dp_net_init(&w->net, port->port_id, (uint16_t)index,
		    port->pools[index], &us_mac, rte_cpu_to_be_32(US_IP),
		    rte_cpu_to_be_32(0xffffff00), 0, 1500, 0);
	w->index = index;
	w->n_workers = n;
	w->lcore = rte_lcore_id();
	w->port = port;
	return w;
}

/* avail -- free mbufs of every pool of the port. */
static unsigned
avail(const struct dp_port *port)
{
	unsigned n = 0;

	for (unsigned i = 0; i < port->n_workers; i++)
		n += rte_mempool_avail_count(port->pools[i]);
	return n;
}

/* drain_port -- free whatever waits on the port's RX side. */
static void
drain_port(void)
{
	struct rte_mbuf *in[64];
	uint16_t n;

	while ((n = rte_eth_rx_burst(0, 0, in, RTE_DIM(in))) > 0)
		rte_pktmbuf_free_bulk(in, n);
}

/*
 * test_two_workers_one_queue -- worker 0 polls the port's only queue,
 * worker 1 has none.
 */
static void
test_two_workers_one_queue(void **state)
{
	struct dp_port port;
	char err[256];
	int sockets[2] = { 0, 0 };
	struct rte_mbuf *pkts[2 * DP_MAX_BURST];
	(void)state;

	assert_int_equal(dp_port_setup(&port, 0, 2, 1, sockets, 256, 256,
				       8191, 1500, err, sizeof(err)), 0);
	assert_int_equal(port.n_queues, 1);
	struct rte_mempool *frames_pool = tb_pool;
	tb_pool = port.pools[0];
	unsigned before = avail(&port);
	struct dp_worker *w[2] = { new_worker(&port, 0, 2),
				   new_worker(&port, 1, 2) };
	assert_int_equal(dp_steer_setup(w, 2, 2), -EINVAL);
	assert_int_equal(dp_steer_setup(w, 2, 1), 0);

	/* 24 flows and an ARP request arrive on the queue. */
	struct rte_mbuf *in[25];
	unsigned mine[2] = { 0 };
	for (unsigned i = 0; i < 24; i++) {
		in[i] = tcp_frame((uint16_t)(41000 + i), 0x02, i, 0, 1000,
				  NULL, 0, NULL, 0);
		mine[owner_of((uint16_t)(41000 + i), 6379, 2)]++;
	}
	assert_true(mine[0] > 0 && mine[1] > 0);
	in[24] = arp_frame(RTE_ARP_OP_REQUEST, PEER_IP, US_IP);
	assert_int_equal(rte_eth_tx_burst(0, 0, in, 25), 25);

	/* Worker 0 keeps its flows and the ARP, sends the rest. */
	uint16_t n = dp_steer_rx(w[0], pkts, RTE_DIM(pkts));
	assert_int_equal(n, mine[0] + 1);
	assert_int_equal(w[0]->counters[DP_W_steered_out], mine[1] + 1);
	for (uint16_t i = 0; i < n; i++)
		assert_true(dp_steer_frame_owner(pkts[i], 0, 2) != 1);
	rte_pktmbuf_free_bulk(pkts, n);

	/* Worker 1 gets its flows in order and learns from the copy. */
	n = dp_steer_rx(w[1], pkts, RTE_DIM(pkts));
	assert_int_equal(n, mine[1]);
	assert_int_equal(w[1]->counters[DP_W_steered_in], mine[1] + 1);
	uint32_t last = 0;
	for (uint16_t i = 0; i < n; i++) {
		assert_int_equal(dp_steer_frame_owner(pkts[i], 1, 2), 1);
		struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(pkts[i],
			struct rte_tcp_hdr *, sizeof(struct rte_ether_hdr) +
			sizeof(struct rte_ipv4_hdr));
		uint32_t seq = rte_be_to_cpu_32(th->sent_seq);
		assert_true(i == 0 || seq > last);
		last = seq;
	}
	rte_pktmbuf_free_bulk(pkts, n);
	assert_int_equal(w[1]->net.counters[DP_NET_arp_requests_rx], 1);
	assert_int_equal(w[1]->net.counters[DP_NET_arp_replies_tx], 0);
	bool learned = false;
	for (unsigned i = 0; i < DP_ARP_SLOTS; i++)
		learned |= w[1]->net.arp[i].ip == rte_cpu_to_be_32(PEER_IP) &&
			   w[1]->net.arp[i].resolved;
	assert_true(learned);
	assert_int_equal(dp_steer_rx(w[1], pkts, RTE_DIM(pkts)), 0);

	/* Worker 1's frames leave through worker 0's queue. */
	struct rte_mbuf *m = frame(&peer_mac, 0x88b5, "steered", 7);
	dp_net_tx(&w[1]->net, m);
	dp_net_tx_flush(&w[1]->net);
	assert_int_equal(w[1]->counters[DP_W_tx_handoff], 1);
	assert_int_equal(rte_eth_rx_burst(0, 0, in, 4), 0);
	assert_int_equal(dp_steer_tx(w[0]), 1);
	assert_int_equal(rte_eth_rx_burst(0, 0, in, 4), 1);
	assert_memory_equal(rte_pktmbuf_mtod_offset(in[0], char *,
			    sizeof(struct rte_ether_hdr)), "steered", 7);
	rte_pktmbuf_free(in[0]);

	/* A full hand-off ring: dropped and counted, nothing waits. */
	for (unsigned i = 0; i < DP_STEER_RING_SIZE + 100; i++)
		dp_net_tx(&w[1]->net, frame(&peer_mac, 0x88b5, "x", 1));
	dp_net_tx_flush(&w[1]->net);
	assert_int_equal(w[1]->counters[DP_W_steer_drops], 101);
	assert_int_equal(w[1]->counters[DP_W_tx_handoff],
			 1 + DP_STEER_RING_SIZE - 1);
	unsigned sent = 0;
	for (unsigned k; (k = dp_steer_tx(w[0])) > 0; drain_port())
		sent += k;
	assert_int_equal(sent, DP_STEER_RING_SIZE - 1);

	/* Draining: worker 0 polls on until worker 1 is done. */
	assert_true(dp_steer_serving(w[0]));
	assert_false(dp_steer_serving(w[1]));
	dp_steer_drained(w[0]);
	assert_true(dp_steer_serving(w[0]));
	dp_steer_drained(w[1]);
	dp_steer_drained(w[1]);
	assert_false(dp_steer_serving(w[0]));

	/* Frames left in a ring are freed with it. */
	uint16_t to1 = 41000;
	while (owner_of(to1, 6379, 2) != 1)
		to1++;
	m = tcp_frame(to1, 0x02, 1, 0, 1000, NULL, 0, NULL, 0);
	assert_int_equal(rte_eth_tx_burst(0, 0, &m, 1), 1);
	assert_int_equal(dp_steer_rx(w[0], pkts, RTE_DIM(pkts)), 0);
	for (unsigned i = 0; i < 2; i++) {
		dp_steer_free(w[i]);
		assert_null(w[i]->steer);
		assert_null(w[i]->net.tx_burst);
		dp_net_fini(&w[i]->net);
		rte_free(w[i]);
	}
	drain_port();
	assert_int_equal(avail(&port), before);
	assert_int_equal(rte_eth_dev_stop(0), 0);
	for (unsigned i = 0; i < 2; i++)
		rte_mempool_free(port.pools[i]);
	tb_pool = frames_pool;
}

/*
 * test_cost -- bursts of 32 frames of 32 flows through the port, once
 * received plainly and once steered between two workers (classified by
 * worker 0, the other half through the ring to worker 1): every frame
 * arrives once; the extra cycles per frame are printed (docs/
 * architecture.md quotes them).
 */
static void
test_cost(void **state)
{
	struct dp_port port;
	char err[256];
	int sockets[2] = { 0, 0 };
	struct rte_mbuf *burst[DP_MAX_BURST], *pkts[2 * DP_MAX_BURST];
	const unsigned rounds = 20000;
	(void)state;

	assert_int_equal(dp_port_setup(&port, 0, 2, 1, sockets, 256, 256,
				       2047, 1500, err, sizeof(err)), 0);
	struct dp_worker *w[2] = { new_worker(&port, 0, 2),
				   new_worker(&port, 1, 2) };
	assert_int_equal(dp_steer_setup(w, 2, 1), 0);
	for (unsigned i = 0; i < DP_MAX_BURST; i++)
		burst[i] = tcp_frame((uint16_t)(43000 + i), 0x10, 1, 1, 1000,
				     NULL, 0, "GET k\r\n", 7);

	uint64_t cycles[2] = { 0, 0 };
	for (unsigned steer = 0; steer < 2; steer++) {
		for (unsigned r = 0; r < rounds; r++) {
			assert_int_equal(rte_eth_tx_burst(0, 0, burst,
							  DP_MAX_BURST),
					 DP_MAX_BURST);
			uint64_t t0 = rte_rdtsc();
			uint16_t n;
			if (steer) {
				n = dp_steer_rx(w[0], pkts, RTE_DIM(pkts));
				n += dp_steer_rx(w[1], pkts + n,
						 (uint16_t)(RTE_DIM(pkts) - n));
			} else {
				n = rte_eth_rx_burst(0, 0, pkts, DP_MAX_BURST);
			}
			cycles[steer] += rte_rdtsc() - t0;
			assert_int_equal(n, DP_MAX_BURST);
		}
	}
	print_message("steering: %.1f cycles per frame (plain rx %.1f, "
		      "steered rx %.1f), %.0f%% of frames moved\n",
		      (double)(cycles[1] - cycles[0]) / rounds / DP_MAX_BURST,
		      (double)cycles[0] / rounds / DP_MAX_BURST,
		      (double)cycles[1] / rounds / DP_MAX_BURST,
		      100.0 * (double)w[1]->counters[DP_W_steered_in] /
		      rounds / DP_MAX_BURST);
	assert_true(w[1]->counters[DP_W_steered_in] > 0);
	assert_int_equal(w[0]->counters[DP_W_steer_drops], 0);
	rte_pktmbuf_free_bulk(burst, DP_MAX_BURST);
	for (unsigned i = 0; i < 2; i++) {
		dp_steer_free(w[i]);
		dp_net_fini(&w[i]->net);
		rte_free(w[i]);
	}
	assert_int_equal(rte_eth_dev_stop(0), 0);
	for (unsigned i = 0; i < 2; i++)
		rte_mempool_free(port.pools[i]);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_hash_symmetric),
	cmocka_unit_test(test_hash_spread),
	cmocka_unit_test(test_frame_owner),
	cmocka_unit_test(test_two_workers_one_queue),
	cmocka_unit_test(test_cost),
};

int
main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	rp_test_eal_init_vdev(argv[0], "--vdev=net_ring0");
	tb_pool = rte_pktmbuf_pool_create("tb", 4095, 0, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
