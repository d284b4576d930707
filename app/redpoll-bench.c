/*
 * redpoll-bench.c -- a DPDK load generator for redpoll: its own port
 * and IPv4 address (dataplane's dp_net: ARP, IPv4 output), a mix of
 * RESP commands over a transport (UDP datagrams, or TCP connections over
 * redpoll's own stack with --tcp), closed or open loop, and
 * a report of throughput and latency percentiles (bench_run.h).
 *
 *   redpoll-bench [EAL args] -- --src-ip A.B.C.D/LEN --host A.B.C.D [...]
 *
 * The poll loop runs on the main lcore; one lcore is enough to drive
 * many virtual clients (-c) with deep pipelines (-P).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "bench_run.h"
#include "bench_wl.h"
#include "cfg.h"
#include "net.h"
#include "port.h"

#define BENCH_RX_DESC   1024
#define BENCH_TX_DESC   1024
#define BENCH_MBUFS     16383
#define BENCH_PROBE_MS  10000
#define BENCH_LINGER_MS 200

static volatile bool quit;

/* on_signal -- SIGINT/SIGTERM: end the send phase, then report. */
static void
on_signal(int sig)
{
	(void)sig;
	quit = true;
}

/* The percentiles of the report, and their names. */
static const double pcts[] = { 50, 90, 99, 99.9, 99.99, 100 };
static const char *const pct_names[] = {
	"p50", "p90", "p99", "p99.9", "p99.99", "max"
};

/* mix_string -- "get:10,set:1" for the report. */
static void
mix_string(const struct bench_opts *o, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < o->n_cmds && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s:%u",
				      i ? "," : "", o->cmds[i].name,
				      o->cmds[i].weight);
}

/* dist_name -- the key distribution, for the report. */
static const char *
dist_name(const struct bench_opts *o)
{
	return o->dist == BENCH_DIST_ZIPF ? "zipf" :
		o->dist == BENCH_DIST_SEQ ? "seq" : "uniform";
}

/* report_text -- the human summary on stdout. */
static void
report_text(const struct bench_run *r)
{
	const struct bench_opts *o = r->o;
	double secs = bench_run_seconds(r);
	char mix[256];

	mix_string(o, mix, sizeof(mix));
	printf("redpoll-bench: %s, %s, %u clients, pipeline %u, %s loop, "
	       "keys %" PRIu64 " %s, values %u-%u bytes\n", r->tp->name, mix,
	       o->clients, o->pipeline, o->rate > 0 ? "open" : "closed",
	       o->key_space, dist_name(o), o->data_min, o->data_max);
	printf("%.3f s, %" PRIu64 " requests, %.0f requests/s\n", secs,
	       r->c[BENCH_C_replies],
	       secs > 0 ? (double)r->c[BENCH_C_replies] / secs : 0.0);
	printf("latency us (histogram relative error <= %.2f%%):",
	       100 * BENCH_HIST_REL_ERR);
	for (unsigned i = 0; i < RTE_DIM(pcts); i++)
		printf(" %s %.2f", pct_names[i],
		       (double)bench_hist_percentile(r->hist, pcts[i]) / 1e3);
	printf(" mean %.2f\n", bench_hist_mean(r->hist) / 1e3);
	for (unsigned i = 0; i < BENCH_C__MAX; i++)
		printf("%s%s %" PRIu64, i ? ", " : "",
		       bench_counter_name(i), r->c[i]);
	printf("\n");
}

/* report_json -- the result as one JSON object. Returns 0 or -errno. */
static int
report_json(const struct bench_run *r, const char *path)
{
	const struct bench_opts *o = r->o;
	double secs = bench_run_seconds(r);
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -errno;
	fprintf(f, "{\n  \"transport\": \"%s\",\n  \"commands\": {",
		r->tp->name);
	for (unsigned i = 0; i < o->n_cmds; i++)
		fprintf(f, "%s\"%s\": {\"weight\": %u, \"sent\": %" PRIu64 "}",
			i ? ", " : "", o->cmds[i].name, o->cmds[i].weight,
			r->per_cmd[i]);
	fprintf(f, "},\n  \"clients\": %u,\n  \"pipeline\": %u,\n"
		"  \"loop\": \"%s\",\n  \"rate\": %.0f,\n"
		"  \"key_space\": %" PRIu64 ",\n  \"distribution\": \"%s\",\n"
		"  \"zipf_s\": %g,\n  \"data_min\": %u,\n  \"data_max\": %u,\n"
		"  \"warmup_s\": %g,\n  \"seconds\": %.6f,\n"
		"  \"requests_per_second\": %.1f,\n",
		o->clients, o->pipeline, o->rate > 0 ? "open" : "closed",
		o->rate, o->key_space, dist_name(o),
		o->dist == BENCH_DIST_ZIPF ? o->zipf_s : 0.0, o->data_min,
		o->data_max, o->warmup, secs,
		secs > 0 ? (double)r->c[BENCH_C_replies] / secs : 0.0);
	for (unsigned i = 0; i < BENCH_C__MAX; i++)
		fprintf(f, "  \"%s\": %" PRIu64 ",\n", bench_counter_name(i),
			r->c[i]);
	fprintf(f, "  \"latency_us\": {");
	for (unsigned i = 0; i < RTE_DIM(pcts); i++)
		fprintf(f, "\"%s\": %.3f, ", pct_names[i],
			(double)bench_hist_percentile(r->hist, pcts[i]) / 1e3);
	fprintf(f, "\"min\": %.3f, \"mean\": %.3f},\n",
		r->hist->count ? (double)r->hist->min / 1e3 : 0.0,
		bench_hist_mean(r->hist) / 1e3);
	fprintf(f, "  \"histogram_relative_error\": %g,\n  \"per_second\": [",
		BENCH_HIST_REL_ERR);
	for (unsigned i = 0; i < r->n_seconds; i++) {
		const struct bench_second *s = &r->seconds[i];
		fprintf(f, "%s\n    {\"t\": %.3f, \"replies\": %" PRIu64
			", \"errors\": %" PRIu64 ", \"p50_us\": %.3f, "
			"\"p99_us\": %.3f}", i ? "," : "", s->t, s->replies,
			s->errors, (double)s->p50_ns / 1e3,
			(double)s->p99_ns / 1e3);
	}
	fprintf(f, "\n  ]\n}\n");
	return fclose(f) == 0 ? 0 : -errno;
}

/* report_csv -- a header line and one row. Returns 0 or -errno. */
static int
report_csv(const struct bench_run *r, const char *path)
{
	const struct bench_opts *o = r->o;
	double secs = bench_run_seconds(r);
	char mix[256];
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -errno;
	mix_string(o, mix, sizeof(mix));
	fprintf(f, "transport,mix,clients,pipeline,loop,rate,key_space,"
		"distribution,data_min,data_max,seconds,requests_per_second");
	for (unsigned i = 0; i < BENCH_C__MAX; i++)
		fprintf(f, ",%s", bench_counter_name(i));
	for (unsigned i = 0; i < RTE_DIM(pcts); i++)
		fprintf(f, ",%s_us", pct_names[i]);
	fprintf(f, ",mean_us\n");
	fprintf(f, "%s,\"%s\",%u,%u,%s,%.0f,%" PRIu64 ",%s,%u,%u,%.6f,%.1f",
		r->tp->name, mix, o->clients, o->pipeline,
		o->rate > 0 ? "open" : "closed", o->rate, o->key_space,
		dist_name(o), o->data_min, o->data_max, secs,
		secs > 0 ? (double)r->c[BENCH_C_replies] / secs : 0.0);
	for (unsigned i = 0; i < BENCH_C__MAX; i++)
		fprintf(f, ",%" PRIu64, r->c[i]);
	for (unsigned i = 0; i < RTE_DIM(pcts); i++)
		fprintf(f, ",%.3f",
			(double)bench_hist_percentile(r->hist, pcts[i]) / 1e3);
	fprintf(f, ",%.3f\n", bench_hist_mean(r->hist) / 1e3);
	return fclose(f) == 0 ? 0 : -errno;
}

int
main(int argc, char **argv)
{
	struct bench_opts *o = calloc(1, sizeof(*o));
	struct bench_run *r = NULL;
	struct dp_port port;
	char err[256];
	int sep = cfg_eal_args_end(argc, argv), rc, status = 1;
	bool port_open = false, run_init = false;

	if (o == NULL)
		return 1;
	if (sep == argc) {
		/* no EAL arguments: only --help makes sense */
		rc = bench_opts_parse(o, argc, argv, err, sizeof(err));
		if (rc == 1) {
			free(o);
			return 0;
		}
		fprintf(stderr, "redpoll-bench: give EAL arguments, then --, "
			"then options\n%s", bench_opts_usage);
		free(o);
		return 2;
	}
	argv[sep] = argv[0];
	rc = bench_opts_parse(o, argc - sep, argv + sep, err, sizeof(err));
	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "redpoll-bench: %s\n", err);
		free(o);
		return rc == 1 ? 0 : 2;
	}
	argv[sep] = (char *)"--";
	if (rte_eal_init(sep, argv) < 0) {
		fprintf(stderr, "redpoll-bench: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		free(o);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	uint16_t port_id = RTE_MAX_ETHPORTS, pid;
	RTE_ETH_FOREACH_DEV(pid) {
		port_id = pid;
		break;
	}
	int socket = (int)rte_socket_id();
	rc = dp_port_setup(&port, port_id, 1, 0, &socket, BENCH_RX_DESC,
			   BENCH_TX_DESC, BENCH_MBUFS, o->mtu, err,
			   sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "redpoll-bench: %s\n", err);
		goto out;
	}
	port_open = true;
	if (!dp_port_wait_link(&port, 3000))
		fprintf(stderr, "redpoll-bench: port %s: link down, "
			"trying anyway\n", port.name);
	r = rte_zmalloc("bench_run", sizeof(*r), RTE_CACHE_LINE_SIZE);
	if (r == NULL) {
		fprintf(stderr, "redpoll-bench: out of memory\n");
		goto out;
	}
	dp_net_init(&r->net, port.port_id, 0, port.pools[0], &port.mac,
		    o->src_ip, o->src_mask, 0, o->mtu, port.offloads);
	if (bench_run_init(r, o, o->transport == BENCH_TP_TCP ?
			   &bench_tcp_transport : &bench_udp_transport) != 0) {
		fprintf(stderr, "redpoll-bench: out of memory\n");
		goto out;
	}
	run_init = true;
	dp_arp_announce(&r->net);
	rc = bench_run_probe(r, BENCH_PROBE_MS, &quit);
	if (rc == -ENOTCONN) {
		fprintf(stderr, "redpoll-bench: cannot connect to the server "
			"(connection errors %" PRIu64 ")\n",
			r->c[BENCH_C_conn_errors]);
		goto out;
	}
	if (rc != 0) {
		fprintf(stderr, "redpoll-bench: no reply to PING from the "
			"server in %u ms (connection errors %" PRIu64 ")\n",
			BENCH_PROBE_MS, r->c[BENCH_C_conn_errors]);
		goto out;
	}
	r->warmup_replies = 0;
	bench_run_loop(r, &quit);
	report_text(r);
	if (o->json != NULL && (rc = report_json(r, o->json)) != 0) {
		fprintf(stderr, "redpoll-bench: %s: %s\n", o->json,
			strerror(-rc));
		goto out;
	}
	if (o->csv != NULL && (rc = report_csv(r, o->csv)) != 0) {
		fprintf(stderr, "redpoll-bench: %s: %s\n", o->csv,
			strerror(-rc));
		goto out;
	}
	status = r->c[BENCH_C_errors] == 0 ? 0 : 3;
out:
	/* TCP: the connections are reset here, before the quiet time */
	if (run_init)
		bench_run_fini(r);
	/*
	 * Leave the link quiet before closing it: DPDK 22.11's memif unmaps
	 * the shared region on the peer when we disconnect, and a peer
	 * whose poll loop is inside a burst at that instant faults. A peer
	 * that saw no traffic for a while is likely asleep (redpoll's
	 * worker-idle-sleep-us), which narrows that window.
	 */
	if (port_open)
		rte_delay_us_sleep(BENCH_LINGER_MS * 1000);
	if (r != NULL) {
		dp_net_fini(&r->net);
		rte_free(r);
	}
	if (port_open)
		dp_port_close(&port);
	rte_eal_cleanup();
	free(o);
	return status;
}
