/*
 * steer.h -- software flow steering, for a port with fewer queue pairs
 * than workers (net_memif, net_ring, net_af_packet, a one-queue tap, or
 * the port-queues directive).
 *
 * Worker q < n_queues polls queue q. Every frame it receives gets an
 * owner from a symmetric hash of its IPv4 flow (dp_steer_hash: both
 * directions of a flow give the same owner); a frame owned by another
 * worker travels to it through a single-producer/single-consumer
 * rte_ring per ordered pair of workers (mbuf pointers, one burst per
 * destination and iteration), and the owner processes it as if it came
 * from its own queue. ARP frames are processed by the worker that
 * received them (which answers requests) and a copy goes to every other
 * worker, which only learns from it, so that every worker's ARP cache
 * resolves. A worker without a queue of its own hands the frames it
 * transmits to worker (self % n_queues), which sends them on its queue.
 * A full ring is never waited for: what does not fit is freed and
 * counted (steer_drops); TCP retransmits.
 *
 * mbuf ownership: the functions below consume the mbufs handed to them
 * (dp_steer_rx returns the ones the caller must process).
 */
#ifndef RP_STEER_H
#define RP_STEER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

struct dp_worker;

#define DP_STEER_RING_SIZE 2048 /* slots of each ring */
#define DP_STEER_ALL UINT32_MAX /* dp_steer_frame_owner: every worker */

/*
 * dp_steer_hash -- symmetric hash of an IPv4 flow: addresses a, b and
 * ports pa, pb as they appear in the headers (any byte order, the same
 * for both directions); swapping (a, pa) with (b, pb) gives the same
 * value. Ports 0 for a protocol without ports.
 */
static inline uint32_t
dp_steer_hash(uint32_t a, uint32_t b, uint16_t pa, uint16_t pb)
{
	uint32_t x = (a ^ b) + (uint32_t)(pa ^ pb) * 0x9e3779b1u;

	/* MurmurHash3's finaliser: every input bit reaches every output
	 * bit, so that the owner below spreads consecutive ports. */
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return x;
}

/* dp_steer_owner -- the worker (0..n-1) that owns flow hash h. */
static inline unsigned
dp_steer_owner(uint32_t h, unsigned n)
{
	return (unsigned)(((uint64_t)h * n) >> 32);
}

/*
 * dp_steer_frame_owner -- the owner of a received frame (data at the
 * Ethernet header) among n workers: by the 5-tuple for TCP and UDP, by
 * the addresses for other IPv4 (and fragments); DP_STEER_ALL for ARP;
 * self for anything else (the receiving worker drops and counts it).
 */
uint32_t dp_steer_frame_owner(const struct rte_mbuf *m, unsigned self,
			      unsigned n);

/*
 * dp_steer_setup -- attach software steering to n workers of a port
 * with n_queues (1 <= n_queues < n) queue pairs: creates the rings,
 * sends the TX of workers without a queue through them, and makes the
 * TCP stacks' active opens pick ports that hash back to their worker.
 * Returns 0 or a negative errno (ENOMEM, or the ring's error).
 */
int dp_steer_setup(struct dp_worker *const *workers, unsigned n,
		   unsigned n_queues);

/*
 * dp_steer_free -- free a worker's end (the rings it receives on and
 * the frames still in them). Main lcore, workers stopped.
 */
void dp_steer_free(struct dp_worker *w);

/*
 * dp_steer_rx -- receive for a steered worker: a burst from its queue
 * (if it has one), frames of other workers sent to them, then the frames
 * other workers steered here. Writes at most max (>= 2 * DP_MAX_BURST)
 * frames for the caller to process to pkts and returns their count.
 */
uint16_t dp_steer_rx(struct dp_worker *w, struct rte_mbuf **pkts,
		     uint16_t max);

/*
 * dp_steer_tx -- transmit on this worker's queue the frames that workers
 * without a queue handed to it. Returns the frames sent.
 */
unsigned dp_steer_tx(struct dp_worker *w);

/*
 * dp_steer_drained -- this stopping worker has closed its connections;
 * dp_steer_serving -- whether it must keep polling because its queue
 * carries the frames of a worker that has not.
 */
void dp_steer_drained(struct dp_worker *w);
bool dp_steer_serving(const struct dp_worker *w);

#endif /* RP_STEER_H */
