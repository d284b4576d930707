/*
 * udp_frame.h -- the frame header of RESP over UDP (docs/pktgen.md).
 *
 * A datagram to redpoll's port carries this 8-byte header, then exactly
 * one RESP request (multibulk or inline). The reply datagram carries the
 * same header with DP_UDP_F_REPLY set, then the RESP reply. A reply that
 * does not fit one datagram is replaced by an error telling the client to
 * use TCP. All fields are in network byte order.
 *
 *   offset 0  u32  request id: chosen by the client, echoed in the reply
 *   offset 4  u16  sequence: datagram number in the message (always 0)
 *   offset 6  u8   count: datagrams in the message (always 1)
 *   offset 7  u8   flags: DP_UDP_F_*
 *
 * Shared by the server (dataplane) and the load generator (app/), so both
 * encode and decode the same bytes.
 */
#ifndef RP_UDP_FRAME_H
#define RP_UDP_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>

#define DP_UDP_FRAME_LEN 8

/* Flags of the frame header. */
#define DP_UDP_F_REPLY   0x01 /* set by the server on every reply */
#define DP_UDP_F_TOOBIG  0x02 /* the reply was replaced by an error */

struct dp_udp_frame {
	uint32_t id;    /* request id, echoed */
	uint16_t seq;   /* datagram number in the message */
	uint8_t count;  /* datagrams in the message */
	uint8_t flags;  /* DP_UDP_F_* */
};

/* dp_udp_frame_encode -- write f's 8 bytes at buf. */
static inline void
dp_udp_frame_encode(const struct dp_udp_frame *f, uint8_t *buf)
{
	rte_be32_t id = rte_cpu_to_be_32(f->id);
	rte_be16_t seq = rte_cpu_to_be_16(f->seq);

	__builtin_memcpy(buf, &id, 4);
	__builtin_memcpy(buf + 4, &seq, 2);
	buf[6] = f->count;
	buf[7] = f->flags;
}

/*
 * dp_udp_frame_decode -- read a header from the first len bytes of buf.
 * Returns false when len is shorter than the header.
 */
static inline bool
dp_udp_frame_decode(const uint8_t *buf, size_t len, struct dp_udp_frame *f)
{
	rte_be32_t id;
	rte_be16_t seq;

	if (len < DP_UDP_FRAME_LEN)
		return false;
	__builtin_memcpy(&id, buf, 4);
	__builtin_memcpy(&seq, buf + 4, 2);
	f->id = rte_be_to_cpu_32(id);
	f->seq = rte_be_to_cpu_16(seq);
	f->count = buf[6];
	f->flags = buf[7];
	return true;
}

#endif /* RP_UDP_FRAME_H */
