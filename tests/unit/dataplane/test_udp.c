/*
 * test_udp.c -- dataplane/udp.c between crafted Ethernet/IPv4/UDP frames
 * and a real store shard: the reply datagram's bytes (addresses, ports,
 * checksum, frame header echo and flags, RESP), replies held until the
 * flush, bad checksums, short datagrams, trailing and unfinished
 * requests, the too-big reply at its exact limit, refused commands, and
 * requests routed to a second worker.
 */
#include "unit.h"

#include "cfg.h"
#include "frames.h"
#include "kv.h"
#include "udp.h"
#include "udp_frame.h"
#include "worker.h"
#include "xcore.h"

#define PPORT 40000

static int setup(void **state);
static int teardown(void **state);

static struct rp_config cfg;
static struct dp_worker *w;
static volatile bool quit;

static uint64_t
count(enum dp_net_counter c)
{
	return w->net.counters[c];
}

/* send_raw -- one datagram of len bytes to dport; no iteration end. */
static void
send_raw(uint16_t dport, const void *data, size_t len)
{
	struct rte_mbuf *m = udp_frame(PPORT, dport, data, len);
	dp_net_input(&w->net, &m, 1);
}

/* end_of_iteration -- what the worker does after its RX burst. */
static void
end_of_iteration(void)
{
	kv_commit(w->shard);
	dp_udp_flush(w->udp);
	dp_net_tx_flush(&w->net);
}

/* send_req -- a request datagram with header (id, seq, count, flags). */
static void
send_req(uint32_t id, uint16_t seq, uint8_t cnt, uint8_t flags,
	 const char *resp, size_t len)
{
	uint8_t buf[2048];
	struct dp_udp_frame f = { id, seq, cnt, flags };

	dp_udp_frame_encode(&f, buf);
	memcpy(buf + DP_UDP_FRAME_LEN, resp, len);
	send_raw(6379, buf, DP_UDP_FRAME_LEN + len);
}

/* request -- send_req with id, seq 0, count 1, then end the iteration. */
static void
request(uint32_t id, const char *resp)
{
	send_req(id, 0, 1, 0, resp, strlen(resp));
	end_of_iteration();
}

static struct rte_udp_hdr *
cap_udp(unsigned i)
{
	return (struct rte_udp_hdr *)(cap_ip(i) + 1);
}

/*
 * expect_reply -- captured frame i is a reply to us from the server's
 * port with a valid checksum, header (id, seq, cnt, flags) and RESP want.
 */
static void
expect_reply(unsigned i, uint32_t id, uint16_t seq, uint8_t cnt,
	     uint8_t flags, const char *want)
{
	assert_true(i < n_captured);
	struct rte_ipv4_hdr *ip = cap_ip(i);
	struct rte_udp_hdr *uh = cap_udp(i);
	size_t ulen = rte_be_to_cpu_16(uh->dgram_len);

	assert_int_equal(ip->next_proto_id, IPPROTO_UDP);
	assert_int_equal(ip->src_addr, rte_cpu_to_be_32(US_IP));
	assert_int_equal(ip->dst_addr, rte_cpu_to_be_32(PEER_IP));
	assert_int_equal(rte_be_to_cpu_16(ip->total_length), 20 + ulen);
	assert_int_equal(uh->src_port, rte_cpu_to_be_16(6379));
	assert_int_equal(uh->dst_port, rte_cpu_to_be_16(PPORT));
	assert_tcp_cksums(i);   /* the same sum covers UDP */
	assert_int_not_equal(uh->dgram_cksum, 0);

	struct dp_udp_frame f;
	const uint8_t *p = (const uint8_t *)(uh + 1);
	assert_true(dp_udp_frame_decode(p, ulen - 8, &f));
	assert_int_equal(f.id, id);
	assert_int_equal(f.seq, seq);
	assert_int_equal(f.count, cnt);
	assert_int_equal(f.flags, flags);
	assert_int_equal(ulen - 8 - DP_UDP_FRAME_LEN, strlen(want));
	assert_memory_equal(p + DP_UDP_FRAME_LEN, want, strlen(want));
}

static void
test_set_get(void **state)
{
	(void)state;
	request(7, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\n");
	request(0xfffffffe, "GET k\r\n");
	request(9, "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n");
	assert_int_equal(n_captured, 3);
	expect_reply(0, 7, 0, 1, DP_UDP_F_REPLY, "+OK\r\n");
	expect_reply(1, 0xfffffffe, 0, 1, DP_UDP_F_REPLY, "$2\r\nv1\r\n");
	expect_reply(2, 9, 0, 1, DP_UDP_F_REPLY, ":1\r\n");
	assert_int_equal(count(DP_NET_udp_rx), 3);
	assert_int_equal(count(DP_NET_udp_requests), 3);
	assert_int_equal(count(DP_NET_udp_replies), 3);
	assert_int_equal(w->counters[DP_W_commands], 3);
}

/* test_header_echo -- id, sequence and count come back as sent. */
static void
test_header_echo(void **state)
{
	(void)state;
	send_req(0x01020304, 0xabcd, 3, 0, "PING\r\n", 6);
	end_of_iteration();
	expect_reply(0, 0x01020304, 0xabcd, 3, DP_UDP_F_REPLY, "+PONG\r\n");
	/* The bytes on the wire: big-endian id and sequence. */
	const uint8_t *p = (const uint8_t *)(cap_udp(0) + 1);
	static const uint8_t want[8] = { 1, 2, 3, 4, 0xab, 0xcd, 3, 1 };
	assert_memory_equal(p, want, 8);
}

/* test_held_until_flush -- replies wait for the flush after the commit. */
static void
test_held_until_flush(void **state)
{
	(void)state;
	send_req(1, 0, 1, 0, "SET a 1\r\n", 9);
	send_req(2, 0, 1, 0, "GET a\r\n", 7);
	dp_net_tx_flush(&w->net);
	assert_int_equal(n_captured, 0);
	kv_commit(w->shard);
	dp_udp_flush(w->udp);
	dp_net_tx_flush(&w->net);
	assert_int_equal(n_captured, 2);
	expect_reply(0, 1, 0, 1, DP_UDP_F_REPLY, "+OK\r\n");
	expect_reply(1, 2, 0, 1, DP_UDP_F_REPLY, "$1\r\n1\r\n");
}

static void
test_bad_checksum(void **state)
{
	(void)state;
	uint8_t buf[32] = { 0, 0, 0, 1, 0, 0, 1, 0 };
	memcpy(buf + 8, "PING\r\n", 6);
	struct rte_mbuf *m = udp_frame(PPORT, 6379, buf, 14);
	struct rte_udp_hdr *uh = rte_pktmbuf_mtod_offset(
		m, struct rte_udp_hdr *, 14 + 20);
	uh->dgram_cksum ^= 0x0101;
	dp_net_input(&w->net, &m, 1);
	end_of_iteration();
	assert_int_equal(n_captured, 0);
	assert_int_equal(count(DP_NET_udp_bad_cksum), 1);

	/* No checksum at all (0) is allowed over IPv4. */
	m = udp_frame(PPORT, 6379, buf, 14);
	uh = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, 14 + 20);
	uh->dgram_cksum = 0;
	dp_net_input(&w->net, &m, 1);
	end_of_iteration();
	expect_reply(0, 1, 0, 1, DP_UDP_F_REPLY, "+PONG\r\n");
	assert_int_equal(count(DP_NET_udp_bad_cksum), 1);
}

/* test_port_offload -- the port computes the sum: only the pseudo
 * header's is written. */
static void
test_port_offload(void **state)
{
	(void)state;
	w->net.offloads |= DP_OFF_TX_UDP_CKSUM;
	request(3, "PING\r\n");
	assert_int_equal(n_captured, 1);
	assert_int_equal(cap_udp(0)->dgram_cksum,
			 rte_ipv4_phdr_cksum(cap_ip(0), 0));
}

static void
test_short_and_bad_frames(void **state)
{
	(void)state;
	send_raw(6379, "\0\0\0\1\0\0\1", 7);          /* header cut short */
	send_raw(6379, "", 0);
	uint8_t reply[14] = { 0, 0, 0, 1, 0, 0, 1, DP_UDP_F_REPLY };
	memcpy(reply + 8, "PING\r\n", 6);
	send_raw(6379, reply, sizeof(reply));          /* a reply: never */
	end_of_iteration();
	assert_int_equal(n_captured, 0);
	assert_int_equal(count(DP_NET_udp_bad_frames), 3);
	assert_int_equal(count(DP_NET_udp_requests), 0);

	/* UDP length beyond the IP packet. */
	struct rte_mbuf *m = udp_frame(PPORT, 6379, reply, 8);
	struct rte_udp_hdr *uh = rte_pktmbuf_mtod_offset(
		m, struct rte_udp_hdr *, 14 + 20);
	uh->dgram_len = rte_cpu_to_be_16(40);
	dp_net_input(&w->net, &m, 1);
	assert_int_equal(count(DP_NET_udp_bad_frames), 4);

	/* Another port: not ours. */
	send_raw(6380, reply, sizeof(reply));
	end_of_iteration();
	assert_int_equal(count(DP_NET_udp_no_port), 1);
	assert_int_equal(n_captured, 0);
	assert_int_equal(count(DP_NET_udp_rx), 5);
}

static void
test_not_one_request(void **state)
{
	(void)state;
	request(1, "PING\r\nPING\r\n");
	request(2, "*2\r\n$3\r\nGET\r\n");
	request(3, "*1\r\nxx\r\n");
	request(4, "\r\n");
	request(5, "");
	assert_int_equal(n_captured, 5);
	expect_reply(0, 1, 0, 1, DP_UDP_F_REPLY, "-ERR Protocol error: 6 "
		     "bytes after the request (one request per datagram)\r\n");
	expect_reply(1, 2, 0, 1, DP_UDP_F_REPLY, "-ERR Protocol error: "
		     "unfinished request (a UDP datagram carries one whole "
		     "request)\r\n");
	expect_reply(2, 3, 0, 1, DP_UDP_F_REPLY,
		     "-ERR Protocol error: expected '$', got 'x'\r\n");
	expect_reply(3, 4, 0, 1, DP_UDP_F_REPLY,
		     "-ERR Protocol error: no request in the datagram\r\n");
	expect_reply(4, 5, 0, 1, DP_UDP_F_REPLY, "-ERR Protocol error: "
		     "unfinished request (a UDP datagram carries one whole "
		     "request)\r\n");
	assert_int_equal(count(DP_NET_udp_protocol_errors), 5);
	assert_int_equal(w->counters[DP_W_commands], 0);
}

/* set_len -- SET key to a value of n bytes 'x'. */
static void
set_len(const char *key, size_t n)
{
	char req[2048];
	int h = snprintf(req, sizeof(req), "*3\r\n$3\r\nSET\r\n$%zu\r\n%s\r\n"
			 "$%zu\r\n", strlen(key), key, n);
	memset(req + h, 'x', n);
	memcpy(req + h + n, "\r\n", 2);
	send_req(100, 0, 1, 0, req, (size_t)h + n + 2);
	end_of_iteration();
	expect_reply(0, 100, 0, 1, DP_UDP_F_REPLY, "+OK\r\n");
	clear_captured();
}

static void
test_too_big(void **state)
{
	(void)state;
	/* mtu 1500: 1464 bytes of RESP; "$1455\r\n" + 1455 + "\r\n" fits. */
	assert_int_equal(dp_udp_max_reply(w->udp), 1464);
	set_len("fits", 1455);
	set_len("big", 1456);
	request(1, "GET fits\r\n");
	request(2, "GET big\r\n");
	assert_int_equal(n_captured, 2);
	assert_int_equal(rte_be_to_cpu_16(cap_udp(0)->dgram_len),
			 8 + 8 + 1464);
	assert_int_equal(rte_be_to_cpu_16(cap_ip(0)->total_length), 1500);
	expect_reply(1, 2, 0, 1, DP_UDP_F_REPLY | DP_UDP_F_TOOBIG,
		     "-ERR reply of 1465 bytes does not fit in a UDP datagram "
		     "(at most 1464), use TCP\r\n");
	assert_int_equal(count(DP_NET_udp_toobig), 1);
	/* The next reply is whole again. */
	clear_captured();
	request(3, "STRLEN big\r\n");
	expect_reply(0, 3, 0, 1, DP_UDP_F_REPLY, ":1456\r\n");
}

static void
test_refused(void **state)
{
	(void)state;
	request(1, "MULTI\r\n");
	request(2, "*2\r\n$6\r\nselect\r\n$1\r\n1\r\n");
	request(3, "client id\r\n");
	request(4, "blpop l 0\r\n");
	request(5, "shutdown\r\n");
	request(6, "SET after 1\r\n");
	assert_int_equal(n_captured, 6);
	expect_reply(0, 1, 0, 1, DP_UDP_F_REPLY,
		     "-ERR MULTI is not allowed over UDP, use TCP\r\n");
	expect_reply(1, 2, 0, 1, DP_UDP_F_REPLY,
		     "-ERR SELECT is not allowed over UDP, use TCP\r\n");
	expect_reply(2, 3, 0, 1, DP_UDP_F_REPLY,
		     "-ERR CLIENT is not allowed over UDP, use TCP\r\n");
	expect_reply(3, 4, 0, 1, DP_UDP_F_REPLY,
		     "-ERR BLPOP is not allowed over UDP, use TCP\r\n");
	expect_reply(4, 5, 0, 1, DP_UDP_F_REPLY,
		     "-ERR SHUTDOWN is not allowed over UDP, use TCP\r\n");
	expect_reply(5, 6, 0, 1, DP_UDP_F_REPLY, "+OK\r\n");
	assert_int_equal(count(DP_NET_udp_refused), 5);
	assert_false(quit);
}

/* test_db0 -- UDP requests run in database 0 (no SELECT over UDP). */
static void
test_db0(void **state)
{
	(void)state;
	request(1, "SET k v\r\n");
	assert_int_equal(kv_dbsize(w->shard, 0), 1);
	assert_int_equal(kv_dbsize(w->shard, 1), 0);
	request(2, "UNKNOWNCMD x\r\n");
	expect_reply(1, 2, 0, 1, DP_UDP_F_REPLY, "-ERR unknown command "
		     "'UNKNOWNCMD', with args beginning with: 'x' \r\n");
}

/* test_requirepass -- UDP cannot authenticate: NOAUTH. */
static void
test_requirepass(void **state)
{
	(void)state;
	snprintf(cfg.requirepass, sizeof(cfg.requirepass), "pw");
	request(1, "GET k\r\n");
	expect_reply(0, 1, 0, 1, DP_UDP_F_REPLY,
		     "-NOAUTH Authentication required.\r\n");
}

/* A second worker, for requests routed to the owner of their keys. */
static struct dp_worker *w1;

/* exchange -- worker 0 sends, worker 1 runs and (after its group
 * commit) returns, worker 0 receives: one round trip of the rings. */
static void
exchange(void)
{
	dp_xc_flush(w);
	dp_xc_poll(w1);
	kv_commit(w1->shard);
	dp_xc_flush(w1);
	dp_xc_poll(w);
}

/* test_routed -- keys of the other worker: the reply comes back from
 * it, matched to its request, while a local one answers at once. */
static void
test_routed(void **state)
{
	(void)state;
	/* "bar" is worker 0's, "foo" worker 1's (test_xcore.c). */
	send_req(1, 0, 1, 0, "SET foo 1\r\n", 11);
	send_req(2, 0, 1, 0, "SET bar 2\r\n", 11);
	end_of_iteration();
	assert_int_equal(n_captured, 1);
	expect_reply(0, 2, 0, 1, DP_UDP_F_REPLY, "+OK\r\n");
	assert_int_equal(dp_udp_pending(w->udp), 1);
	clear_captured();
	exchange();
	assert_int_equal(n_captured, 0);          /* held until the flush */
	end_of_iteration();
	assert_int_equal(n_captured, 1);
	expect_reply(0, 1, 0, 1, DP_UDP_F_REPLY, "+OK\r\n");
	assert_int_equal(dp_udp_pending(w->udp), 0);
	assert_int_equal(kv_dbsize(w1->shard, 0), 1);
	assert_int_equal(w->counters[DP_W_requests_remote], 1);

	/* A split request over both shards, merged in the keys' order. */
	clear_captured();
	request(3, "MGET foo nokey bar\r\n");
	exchange();
	end_of_iteration();
	expect_reply(0, 3, 0, 1, DP_UDP_F_REPLY,
		     "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n");

	/* A routed reply too big for a datagram. */
	clear_captured();
	char big[1600];
	int h = snprintf(big, sizeof(big), "SET foo ");
	memset(big + h, 'y', 1500);
	memcpy(big + h + 1500, "\r\n", 2);
	send_req(4, 0, 1, 0, big, (size_t)h + 1502);
	end_of_iteration();
	exchange();
	end_of_iteration();
	clear_captured();
	request(5, "GET foo\r\n");
	exchange();
	end_of_iteration();
	expect_reply(0, 5, 0, 1, DP_UDP_F_REPLY | DP_UDP_F_TOOBIG,
		     "-ERR reply of 1509 bytes does not fit in a UDP datagram "
		     "(at most 1464), use TCP\r\n");
}

static int
setup_routed(void **state)
{
	setup(state);
	w->n_workers = 2;
	w1 = rte_zmalloc(NULL, sizeof(*w1), 64);
	w1->index = 1;
	w1->n_workers = 2;
	w1->cfg = &cfg;
	struct kv_shard_params sp = { .core = 1, .cfg = &cfg };
	w1->shard = kv_shard_create(&sp);
	assert_non_null(w1->shard);
	struct dp_worker *both[2] = { w, w1 };
	assert_int_equal(dp_xc_setup(both, 2), 0);
	return 0;
}

static int
teardown_routed(void **state)
{
	dp_xc_free(w1);
	kv_shard_free(w1->shard);
	rte_free(w1);
	dp_xc_free(w);
	return teardown(state);
}

static int
setup(void **state)
{
	(void)state;
	cfg_init(&cfg);
	quit = false;
	w = rte_zmalloc(NULL, sizeof(*w), 64);
	bench_net_init(&w->net, 0);
	net = &w->net;
	w->cfg = &cfg;
	w->quit = &quit;
	struct kv_shard_params sp = { .cfg = &cfg };
	w->shard = kv_shard_create(&sp);
	assert_non_null(w->shard);
	assert_non_null(dp_udp_create(w, 6379));
	assert_ptr_equal(w->net.udp_ctx, w->udp);
	learn_peer();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	dp_udp_free(w->udp);
	assert_null(w->udp);
	assert_null(w->net.udp_input);
	kv_shard_free(w->shard);
	clear_captured();
	dp_net_fini(&w->net);
	rte_free(w);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
static const struct CMUnitTest tests[] = {
	T(test_set_get),
	T(test_header_echo),
	T(test_held_until_flush),
	T(test_bad_checksum),
	T(test_port_offload),
	T(test_short_and_bad_frames),
	T(test_not_one_request),
	T(test_too_big),
	T(test_refused),
	T(test_db0),
	T(test_requirepass),
	cmocka_unit_test_setup_teardown(test_routed, setup_routed,
					teardown_routed),
};

RP_TEST_MAIN(tests, 1)
