/*
 * tcp_connect.c -- end-to-end test helper of the active open: a DPDK
 * program that brings up a port (net_tap in the tests), runs redpoll's
 * network stack on one lcore and opens connections to a kernel TCP
 * server with tcp_connect. Driven by tests/e2e/test_tcp_connect.py.
 *
 *   tcp_connect [EAL args] -- --ip A.B.C.D/LEN --peer A.B.C.D --port P
 *       [--mode echo|refused|timeout] [--conns N] [--bytes B]
 *       [--syn-retries R] [--time-limit S]
 *
 * echo:    N connections to an echo server; connection i sends B bytes
 *          (printable, random) and checks that they come back. Even i:
 *          we close first once the echo is complete (active close, so
 *          TIME-WAIT: the closed upcall comes 2 s later). Odd i: the
 *          payload ends with "\nBYE\n", after which the server closes
 *          first (passive close: CLOSE-WAIT, LAST-ACK).
 * refused: one connection to a port nothing listens on: the kernel's
 *          RST fails it (closed without connected).
 * timeout: one connection whose SYNs are dropped: closed after the SYN
 *          retries (--syn-retries).
 *
 * Prints one line of key=value results (and the stack's counters) and
 * exits 0 if the mode's expectations hold, 1 otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_random.h>

#include "net.h"
#include "port.h"
#include "tcp.h"

#define MAX_CONNS 256
#define BYE       "\nBYE\n"

/* One test connection. */
struct tconn {
	struct tcp_conn *tc;
	unsigned idx;
	char *data;                 /* what we send, the echo expected */
	size_t len;                 /* bytes of data (with BYE if passive) */
	size_t echoed;              /* bytes that came back, matching */
	bool passive;               /* the server closes first */
	bool connected, mismatch, closed, close_sent;
	bool peer_fin;              /* FIN in ESTABLISHED: passive close */
	uint64_t close_tsc;         /* when we called tcp_close */
	double closed_after_s;      /* closed upcall, seconds after that */
};

static struct tconn conns[MAX_CONNS];
static struct dp_net net;
static unsigned n_conns = 1, n_closed;
static size_t n_bytes = 4096;

/* t_accept -- nothing listens here. */
static void *
t_accept(void *ctx, struct tcp_conn *tc)
{
	(void)ctx;
	(void)tc;
	return NULL;
}

/* t_connected -- handshake done: send the whole payload. */
static void
t_connected(void *app, struct tcp_conn *tc)
{
	struct tconn *c = app;

	c->connected = true;
	if (c->len > 0 && tcp_send(tc, c->data, c->len) != 0) {
		fprintf(stderr, "conn %u: tcp_send failed\n", c->idx);
		c->mismatch = true;
	}
}

/* t_recv -- compare the echo with what was sent. */
static void
t_recv(void *app, const uint8_t *data, uint32_t len)
{
	struct tconn *c = app;

	if (c->echoed + len > c->len ||
	    memcmp(c->data + c->echoed, data, len) != 0) {
		c->mismatch = true;
		return;
	}
	c->echoed += len;
	if (c->echoed == c->len && !c->passive && !c->close_sent) {
		c->close_sent = true;
		c->close_tsc = rte_rdtsc();
		tcp_close(c->tc);
	}
}

/* t_peer_closed -- the server closed: so do we. */
static void
t_peer_closed(void *app)
{
	struct tconn *c = app;

	c->peer_fin = true;
	if (!c->close_sent) {
		c->close_sent = true;
		c->close_tsc = rte_rdtsc();
		tcp_close(c->tc);
	}
}

/* t_closed -- the connection is gone. */
static void
t_closed(void *app)
{
	struct tconn *c = app;

	c->closed = true;
	c->tc = NULL;
	if (c->close_sent)
		c->closed_after_s = (double)(rte_rdtsc() - c->close_tsc) /
				    (double)rte_get_tsc_hz();
	n_closed++;
}

static const struct tcp_ops ops = {
	.accept = t_accept, .connected = t_connected, .recv = t_recv,
	.peer_closed = t_peer_closed, .closed = t_closed,
};

/* open_conn -- tcp_connect for conns[i]; false on failure. */
static bool
open_conn(struct tcp_stack *ts, unsigned i, uint32_t peer, uint16_t port)
{
	int rc = tcp_connect(ts, peer, rte_cpu_to_be_16(port), &conns[i],
			     &conns[i].tc);

	if (rc != 0) {
		fprintf(stderr, "tcp_connect: %s\n", strerror(-rc));
		return false;
	}
	return true;
}

/* make_payload -- conns[i]'s bytes: random letters, BYE if passive. */
static void
make_payload(struct tconn *c, unsigned i, bool echo)
{
	c->idx = i;
	if (!echo)
		return;
	c->passive = i % 2 == 1;
	c->len = n_bytes + (c->passive ? strlen(BYE) : 0);
	c->data = malloc(c->len);
	if (c->data == NULL)
		rte_exit(1, "out of memory\n");
	for (size_t k = 0; k < n_bytes; k++)
		c->data[k] = (char)('a' + rte_rand_max(26));
	if (c->passive)
		memcpy(c->data + n_bytes, BYE, strlen(BYE));
}

/* parse_cidr -- "A.B.C.D/LEN" into address and netmask (network order). */
static int
parse_cidr(const char *s, uint32_t *ip, uint32_t *mask)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	int len = slash != NULL ? atoi(slash + 1) : 32;
	struct in_addr a;

	snprintf(buf, sizeof(buf), "%.*s", slash != NULL ?
		 (int)(slash - s) : (int)strlen(s), s);
	if (inet_pton(AF_INET, buf, &a) != 1 || len < 0 || len > 32)
		return -1;
	*ip = a.s_addr;
	*mask = htonl(len == 0 ? 0 : ~0u << (32 - len));
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "ip", required_argument, NULL, 'i' },
		{ "peer", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'P' },
		{ "mode", required_argument, NULL, 'm' },
		{ "conns", required_argument, NULL, 'n' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "syn-retries", required_argument, NULL, 'r' },
		{ "time-limit", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t ip = 0, mask = 0, peer = 0;
	uint16_t port = 0;
	const char *mode = "echo";
	unsigned syn_retries = 0, time_limit = 30;
	char err[256];
	int opt, ret = 1;

	int n = rte_eal_init(argc, argv);
	if (n < 0)
		rte_exit(1, "EAL initialisation failed\n");
	argc -= n;
	argv += n;
	while ((opt = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		struct in_addr a;
		switch (opt) {
		case 'i':
			if (parse_cidr(optarg, &ip, &mask) != 0)
				rte_exit(2, "bad --ip\n");
			break;
		case 'p':
			if (inet_pton(AF_INET, optarg, &a) != 1)
				rte_exit(2, "bad --peer\n");
			peer = a.s_addr;
			break;
		case 'P':
			port = (uint16_t)atoi(optarg);
			break;
		case 'm':
			mode = optarg;
			break;
		case 'n':
			n_conns = (unsigned)atoi(optarg);
			break;
		case 'b':
			n_bytes = (size_t)atol(optarg);
			break;
		case 'r':
			syn_retries = (unsigned)atoi(optarg);
			break;
		case 't':
			time_limit = (unsigned)atoi(optarg);
			break;
		default:
			rte_exit(2, "usage: see tcp_connect.c\n");
		}
	}
	bool echo = strcmp(mode, "echo") == 0;
	if (ip == 0 || peer == 0 || port == 0 || n_conns == 0 ||
	    n_conns > MAX_CONNS || (!echo && n_conns != 1) ||
	    (!echo && strcmp(mode, "refused") != 0 &&
	     strcmp(mode, "timeout") != 0))
		rte_exit(2, "bad arguments\n");

	struct dp_port dport;
	int sockets[1] = { (int)rte_socket_id() };
	if (dp_port_setup(&dport, 0, 1, 0, sockets, 512, 512, 16383, 1500, err,
			  sizeof(err)) != 0)
		rte_exit(1, "%s\n", err);
	if (!dp_port_wait_link(&dport, 3000))
		rte_exit(1, "link down\n");
	dp_net_init(&net, dport.port_id, 0, dport.pools[0], &dport.mac, ip,
		    mask, 0, 1500, dport.offloads);
	struct tcp_params tp = {
		.mss = 1460, .rcv_wnd = 256 * 1024, .max_conns = 1024,
		.backlog = 64, .send_queue_max = 16u << 20,
		.syn_retries = syn_retries,
	};
	struct tcp_stack *ts = net.tcp = tcp_stack_create(&net, &tp, &ops,
							   NULL);
	if (ts == NULL)
		rte_exit(1, "cannot create the TCP stack\n");
	/* A multi-queue port with RSS: ports that come back to queue 0. */
	uint8_t key[64];
	uint16_t reta[512];
	unsigned key_len = sizeof(key), reta_size = RTE_DIM(reta);
	bool rss = dp_port_rss(&dport, key, &key_len, reta, &reta_size) == 0;
	if (rss)
		tcp_set_rss(ts, key, key_len, reta, reta_size, 0);

	for (unsigned i = 0; i < n_conns; i++)
		make_payload(&conns[i], i, echo);

	uint64_t hz = rte_get_tsc_hz(), start = rte_rdtsc();
	uint64_t deadline = start + time_limit * hz, next_ms = 0;
	net.now_tsc = start;
	dp_arp_announce(&net);
	/* The first connection resolves the peer's MAC; then the rest. */
	unsigned opened = open_conn(ts, 0, peer, port) ? 1 : 0;
	bool failed = opened == 0;
	while (!failed && n_closed < opened && rte_rdtsc() < deadline) {
		struct rte_mbuf *pkts[DP_MAX_BURST];
		net.now_tsc = rte_rdtsc();
		uint16_t k = rte_eth_rx_burst(net.port_id, net.queue_id, pkts,
					      DP_MAX_BURST);
		if (k > 0)
			dp_net_input(&net, pkts, k);
		if (opened < n_conns && conns[0].connected) {
			while (opened < n_conns && !failed)
				failed = !open_conn(ts, opened++, peer, port);
		}
		tcp_flush(ts);
		tcp_timer(ts);
		if (net.now_tsc >= next_ms) {
			next_ms = net.now_tsc + hz / 1000;
			dp_net_timer(&net);
		}
		dp_net_tx_flush(&net);
	}
	double secs = (double)(rte_rdtsc() - start) / (double)hz;

	unsigned connected = 0, echoed = 0, peer_fins = 0, time_waits = 0;
	unsigned mismatches = 0, closed = 0;
	for (unsigned i = 0; i < n_conns; i++) {
		struct tconn *c = &conns[i];
		connected += c->connected;
		echoed += c->connected && c->echoed == c->len;
		mismatches += c->mismatch;
		peer_fins += c->peer_fin;
		closed += c->closed;
		/* Our FIN first: TIME-WAIT (2 s) before the closed upcall. */
		time_waits += c->closed && !c->passive &&
			      c->closed_after_s >= 1.5;
	}
	const uint64_t *tc = tcp_counters(ts);
	printf("mode=%s conns=%u connected=%u echoed=%u mismatches=%u "
	       "closed=%u peer_fins=%u time_waits=%u rss=%d seconds=%.3f",
	       mode, n_conns, connected, echoed, mismatches, closed, peer_fins,
	       time_waits, rss, secs);
	for (unsigned i = 0; i < TCP__MAX; i++)
		printf(" tcp_%s=%" PRIu64, tcp_counter_name(i), tc[i]);
	printf("\n");
	fflush(stdout);

	if (echo)
		ret = !(connected == n_conns && echoed == n_conns &&
			mismatches == 0 && closed == n_conns &&
			peer_fins == n_conns / 2 &&
			time_waits == (n_conns + 1) / 2 &&
			tcp_conns(ts) == 0);
	else if (strcmp(mode, "refused") == 0)
		ret = !(connected == 0 && closed == 1 &&
			tc[TCP_connect_refused] == 1);
	else
		ret = !(connected == 0 && closed == 1 &&
			tc[TCP_connect_timeouts] == 1);

	tcp_stack_free(ts);
	net.tcp = NULL;
	dp_net_fini(&net);
	dp_port_close(&dport);
	for (unsigned i = 0; i < n_conns; i++)
		free(conns[i].data);
	rte_eal_cleanup();
	return ret;
}
