/*
 * udp.h -- RESP over UDP (docs/pktgen.md): one request per datagram to
 * the server's UDP port (directive udp-port), behind the 8-byte frame
 * header of udp_frame.h, executed like a TCP client's request (on this
 * worker's shard or routed to the owner of its keys); the reply leaves
 * in one datagram after the worker's group commit.
 *
 * One struct dp_udp per worker, owned by it; nothing here takes a lock.
 * mbuf ownership: the input function consumes the datagram; replies are
 * held by the instance until dp_udp_flush hands them to IPv4.
 */
#ifndef RP_UDP_H
#define RP_UDP_H

#include <stdint.h>

struct dp_worker;
struct dp_udp;

/*
 * The error that replaces a command that needs a connection (%s: the
 * command's name, upper case).
 */
#define DP_UDP_REFUSED_FMT "-ERR %s is not allowed over UDP, use TCP\r\n"

/*
 * dp_udp_create -- the UDP service of worker w on port (host order):
 * registers itself as w->net's UDP input and sets w->udp. The largest
 * reply is w->net.mtu - 36 bytes of RESP (IPv4, UDP and frame headers),
 * and at most what one mbuf of the worker's pool holds.
 * Returns the instance, or NULL without memory.
 */
struct dp_udp *dp_udp_create(struct dp_worker *w, uint16_t port);

/*
 * dp_udp_free -- unregister and free the instance with the replies it
 * still holds. NULL is a no-op.
 */
void dp_udp_free(struct dp_udp *u);

/*
 * dp_udp_flush -- hand the replies held since the last call to IPv4.
 * Call once per poll iteration after the group commit, so that a
 * write's reply leaves only once durable (as TCP replies do).
 */
void dp_udp_flush(struct dp_udp *u);

/* dp_udp_max_reply -- bytes of RESP a reply datagram may carry. */
uint32_t dp_udp_max_reply(const struct dp_udp *u);

/* dp_udp_pending -- requests routed to other workers, not yet back. */
unsigned dp_udp_pending(const struct dp_udp *u);

#endif /* RP_UDP_H */
