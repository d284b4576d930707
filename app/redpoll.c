/*
 * redpoll.c -- the appliance: EAL and configuration, one port, one
 * worker lcore per shard, the main lcore as the control plane.
 *
 *   redpoll [EAL args] -- [--config FILE] [--<directive> <value>]...
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "admin.h"
#include "cfg.h"
#include "conn.h"
#include "ctl.h"
#include "impair.h"
#include "kv.h"
#include "log.h"
#include "net.h"
#include "pm.h"
#include "port.h"
#include "rdb.h"
#include "steer.h"
#include "tcp.h"
#include "telemetry.h"
#include "udp.h"
#include "worker.h"
#include "xcore.h"

#define RP_ERR_LEN 512
/*
 * Bytes a connection may hold in its TCP send queue (mbufs); the rest of
 * its output waits in heap memory (dataplane/conn.c, docs/tcp.md).
 */
#define RP_SEND_QUEUE_MAX (1u << 20)

static volatile bool quit;

/* on_signal -- SIGINT/SIGTERM: ask every loop to stop. */
static void
on_signal(int sig)
{
	(void)sig;
	quit = true;
}

/* usage -- the command-line synopsis. */
static void
usage(FILE *f)
{
	fprintf(f,
		"usage: redpoll [EAL args] -- [--config FILE] "
		"[--<directive> <value>]...\n"
		"       redpoll --help | --version\n\n"
		"EAL args select cores and the port, for example\n"
		"  -l 0-1 --vdev=net_tap0,iface=rp0      (a tap device)\n"
		"  -l 0-1 -a 0000:3b:00.0                (a PCI NIC)\n"
		"Every redpoll.conf directive can be given as --<directive> "
		"<value>;\nsee docs/configuration.md.\n");
}

/* daemonize -- detach from the terminal as Redis does. */
static int
daemonize(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid > 0)
		exit(0);
	if (setsid() < 0)
		return -errno;
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

/* open_logfile -- send stdout and stderr to the logfile, appending. */
static int
open_logfile(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);

	if (fd < 0)
		return -errno;
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	setvbuf(stdout, NULL, _IOLBF, 0);
	return 0;
}

/* write_pidfile -- the process id, for init systems. */
static int
write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -errno;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	return 0;
}


/*
 * logs_in -- how many worker logs (redpoll-<N>.pmem) a pmem-path holds:
 * keys belong to shards by hash slot, so a keyspace written by K workers
 * can only be recovered by K workers.
 */
static unsigned
logs_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0, idx;
	int end;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		/* Exactly redpoll-<N>.pmem (not a snapshot, not a .new). */
		end = -1;
		if (sscanf(e->d_name, "redpoll-%u.pmem%n", &idx, &end) == 1 &&
		    end > 0 && e->d_name[end] == '\0')
			n++;
	}
	closedir(d);
	return n;
}

/* info_buf_append -- printf-like append to buf[*n..len). */
static void __attribute__((format(printf, 4, 5)))
info_append(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int r = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	if (r > 0)
		*n = RTE_MIN(len, *n + (size_t)r);
}

/* info_network -- Ethernet/ARP/IP/ICMP and TCP counters of a worker. */
static void
info_network(const struct dp_worker *w, char *buf, size_t len, size_t *n)
{
	for (int i = 0; i < DP_NET__MAX; i++)
		info_append(buf, len, n, "net_%s:%" PRIu64 "\r\n",
			    dp_net_counter_name(i), w->net.counters[i]);
	const uint64_t *tc = tcp_counters(w->net.tcp);
	for (int i = 0; i < TCP__MAX; i++)
		info_append(buf, len, n, "tcp_%s:%" PRIu64 "\r\n",
			    tcp_counter_name(i), tc[i]);
	info_append(buf, len, n, "tcp_connections:%u\r\n"
		    "client_output_bytes:%" PRIu64 "\r\n"
		    "mbufs_in_use:%u\r\nmbufs_free:%u\r\n",
		    tcp_conns(w->net.tcp), dp_conn_output_bytes(w),
		    rte_mempool_in_use_count(w->net.pool),
		    rte_mempool_avail_count(w->net.pool));
	const uint64_t *ir = dp_impair_counters(w->net.impair_rx);
	const uint64_t *it = dp_impair_counters(w->net.impair_tx);
	for (int i = 0; i < DP_IMPAIR__MAX; i++)
		info_append(buf, len, n, "impair_rx_%s:%" PRIu64 "\r\n",
			    dp_impair_counter_name(i), ir[i]);
	for (int i = 0; i < DP_IMPAIR__MAX; i++)
		info_append(buf, len, n, "impair_tx_%s:%" PRIu64 "\r\n",
			    dp_impair_counter_name(i), it[i]);
}

/* info_workers -- a worker's own lines (INFO workers). */
static void
info_workers(const struct dp_worker *w, char *buf, size_t len, size_t *n)
{
	uint64_t keys = 0;

	for (unsigned db = 0; db < w->cfg->databases; db++)
		keys += kv_dbsize(w->shard, db);
	info_append(buf, len, n, "workers:%u\r\nworker%u_lcore:%u\r\n"
		    "worker%u_connections:%u\r\nworker%u_keys:%" PRIu64
		    "\r\nworker%u_used_memory:%" PRIu64 "\r\n"
		    "worker%u_ring_depth:%u\r\n",
		    w->n_workers, w->index, w->lcore, w->index, w->n_conns,
		    w->index, keys, w->index, kv_used_memory(w->shard),
		    w->index, dp_xc_depth(w));
	for (int i = 0; i < DP_W__MAX; i++)
		info_append(buf, len, n, "worker%u_%s:%" PRIu64 "\r\n",
			    w->index, dp_worker_counter_name(i),
			    w->counters[i]);
	/* Server CPU cost per request (docs/operations.md). */
	info_append(buf, len, n, "worker%u_tsc_hz:%" PRIu64 "\r\n"
		    "worker%u_cycles_per_request:%.1f\r\n"
		    "worker%u_commands_last_s:%" PRIu64 "\r\n"
		    "worker%u_cycles_per_request_last_s:%.1f\r\n"
		    "worker%u_cpu_share_last_s:%.3f\r\n",
		    w->index, w->net.tsc_hz, w->index,
		    dp_worker_cycles_per_request(w, false), w->index,
		    w->commands_last_s, w->index,
		    dp_worker_cycles_per_request(w, true), w->index,
		    w->cpu_share_last_s);
}

/*
 * info_port -- the port's lines of dp_port_stats_format as port_<name>
 * fields (its "# Port" header dropped), for INFO dataplane.
 */
static void
info_port(const struct dp_worker *w, char *buf, size_t len, size_t *n)
{
	char text[8192];
	size_t tl = dp_port_stats_format(w->port, text, sizeof(text));

	for (char *p = text, *e; p < text + tl; p = e + 2) {
		e = strstr(p, "\r\n");
		if (e == NULL)
			break;
		if (p[0] != '#')
			info_append(buf, len, n, "port_%.*s\r\n", (int)(e - p),
				    p);
	}
}

/* info_hook -- INFO sections owned by the dataplane. */
static size_t
info_hook(void *ctx, const char *section, char *buf, size_t len)
{
	struct dp_worker *w = ctx;
	size_t n = 0;

	if (strcmp(section, "clients") == 0) {
		info_append(buf, len, &n, "# Clients\r\nconnected_clients:%u"
			    "\r\nmaxclients:%u\r\n"
			    "client_recent_max_output_buffer:%" PRIu64 "\r\n",
			    w->n_conns, w->cfg->maxclients,
			    RTE_MAX(w->out_max, w->out_recent_max));
	} else if (strcmp(section, "stats") == 0) {
		/* Appended to the store's # Stats (Redis 7.2's names). */
		info_append(buf, len, &n,
			    "client_query_buffer_limit_disconnections:%" PRIu64
			    "\r\nclient_output_buffer_limit_disconnections:%"
			    PRIu64 "\r\n",
			    w->counters[DP_W_query_limit_closes],
			    w->counters[DP_W_output_limit_closes]);
	} else if (strcmp(section, "network") == 0) {
		info_append(buf, len, &n, "# Network\r\n");
		info_network(w, buf, len, &n);
	} else if (strcmp(section, "workers") == 0) {
		info_append(buf, len, &n, "# Workers\r\n");
		info_workers(w, buf, len, &n);
	} else if (strcmp(section, "dataplane") == 0) {
		/* Everything at once: the port, the stack, the worker. */
		info_append(buf, len, &n, "# Dataplane\r\n");
		info_port(w, buf, len, &n);
		info_network(w, buf, len, &n);
		info_workers(w, buf, len, &n);
	}
	return n;
}

/* client_kill_hook -- CLIENT KILL: close one of the worker's clients. */
static void
client_kill_hook(void *ctx, struct kv_client *c)
{
	dp_conn_kill(ctx, c);
}

/* shutdown_hook -- SHUTDOWN: the same graceful stop as SIGTERM. */
static void
shutdown_hook(void *ctx)
{
	(void)ctx;
	quit = true;
}

/*
 * config_set_hook -- CONFIG SET changed a directive: one log line (the
 * password is not written to the log) and loglevel applied to rte_log.
 * Runs on the worker lcore that executed the command.
 */
static void
config_set_hook(void *ctx, const char *name, const char *value)
{
	struct dp_worker *w = ctx;

	if (strcmp(name, "loglevel") == 0)
		rp_log_set_level(w->cfg->loglevel);
	if (strcmp(name, "requirepass") == 0)
		value = value[0] != '\0' ? "(set)" : "(none)";
	RP_LOG(NOTICE, app, "CONFIG SET %s %s", name, value);
}

/* client_foreach_hook -- CLIENT LIST: every client of the worker. */
static void
client_foreach_hook(void *ctx, void (*fn)(struct kv_client *c, void *arg),
		    void *arg)
{
	dp_conn_foreach(ctx, fn, arg);
}

/* worker_create -- one shard: net instance, TCP stack, log, keyspace. */
static struct dp_worker *
worker_create(struct rp_config *cfg, const struct dp_port *port,
	      unsigned index, unsigned n_workers, unsigned lcore, char *err,
	      size_t errlen)
{
	int socket = (int)rte_lcore_to_socket_id(lcore);
	struct dp_worker *w = rte_zmalloc_socket("dp_worker", sizeof(*w),
						 RTE_CACHE_LINE_SIZE, socket);
	if (w == NULL) {
		snprintf(err, errlen, "worker %u: out of memory", index);
		return NULL;
	}
	w->cfg = cfg;
	w->quit = &quit;
	w->index = index;
	w->port = port;
	w->n_workers = n_workers;
	w->lcore = lcore;

	uint32_t mask = cfg->prefix_len == 0 ? 0 :
			(uint32_t)(~0u << (32 - cfg->prefix_len));
	dp_net_init(&w->net, port->port_id, (uint16_t)index,
		    port->pools[index], &port->mac, rte_cpu_to_be_32(cfg->ip),
		    rte_cpu_to_be_32(mask), rte_cpu_to_be_32(cfg->gateway),
		    cfg->mtu, port->offloads);

	/* Test impairment of this worker's traffic (impair-rx/-tx). */
	struct cfg_impair ispec;
	if (cfg_impair_parse(cfg->impair_rx, &ispec, err, errlen) != 0)
		goto fail;
	w->net.impair_rx = dp_impair_create(&ispec, cfg->impair_seed +
					    2ull * index, port->pools[index],
					    w->net.tsc_hz);
	if (cfg_impair_parse(cfg->impair_tx, &ispec, err, errlen) != 0)
		goto fail;
	w->net.impair_tx = dp_impair_create(&ispec, cfg->impair_seed +
					    2ull * index + 1,
					    port->pools[index], w->net.tsc_hz);

	struct tcp_params tp = {
		.mss = (uint16_t)(cfg->mtu - 40),
		.rcv_wnd = 256 * 1024,
		.max_conns = cfg->maxclients + 64,
		.backlog = cfg->tcp_backlog,
		.keepalive_s = cfg->tcp_keepalive,
		.send_queue_max = RP_SEND_QUEUE_MAX,
		.tso = cfg->tcp_tso && (port->offloads & DP_OFF_TX_TCP_TSO),
	};
	w->net.tcp = tcp_stack_create(&w->net, &tp, &dp_conn_tcp_ops, w);
	if (w->net.tcp == NULL) {
		snprintf(err, errlen, "worker %u: cannot create the TCP stack",
			 index);
		goto fail;
	}
	if (tcp_listen(w->net.tcp, cfg->port) != 0) {
		snprintf(err, errlen, "worker %u: cannot listen on port %u",
			 index, cfg->port);
		goto fail;
	}
	if (cfg_udp_port(cfg) != 0 &&
	    dp_udp_create(w, cfg_udp_port(cfg)) == NULL) {
		snprintf(err, errlen, "worker %u: cannot create the UDP "
			 "service: out of memory", index);
		goto fail;
	}

	if (cfg->persistence != CFG_PERSIST_OFF) {
		char path[PATH_MAX + 32];
		int rc = kv_mkdir_p(cfg->pmem_path, 0700);
		if (rc != 0) {
			snprintf(err, errlen, "pmem-path %.400s: %s", cfg->pmem_path,
				 strerror(-rc));
			goto fail;
		}
		snprintf(path, sizeof(path), "%s/redpoll-%u.pmem",
			 cfg->pmem_path, index);
		w->log = pm_log_open(path, cfg->pmem_size, index, err, errlen);
		if (w->log == NULL)
			goto fail;
	}

	struct kv_shard_params sp = {
		.core = index,
		.socket_id = socket,
		.cfg = cfg,
		.log = w->log,
		.hooks = {
			.info = info_hook,
			.client_foreach = client_foreach_hook,
			.client_kill = client_kill_hook,
			.shutdown = shutdown_hook,
			.config_set = config_set_hook,
			.ctx = w,
		},
		.n_shards = n_workers,
	};
	w->shard = kv_shard_create(&sp);
	if (w->shard == NULL) {
		snprintf(err, errlen, "worker %u: cannot create the keyspace: "
			 "%s", index, strerror(errno));
		goto fail;
	}
	w->ctl = dp_ctl_create(index, socket);
	if (w->ctl == NULL) {
		snprintf(err, errlen, "worker %u: cannot create the control "
			 "channel: %s", index, rte_strerror(rte_errno));
		goto fail;
	}
	return w;

fail:
	kv_shard_free(w->shard);
	dp_udp_free(w->udp);
	if (w->net.tcp != NULL)
		tcp_stack_free(w->net.tcp);
	dp_impair_free(w->net.impair_rx);
	dp_impair_free(w->net.impair_tx);
	pm_log_close(w->log);
	rte_free(w);
	return NULL;
}

/* link_text -- "up, 10000 Mbps full-duplex" or "down". */
static const char *
link_text(const struct rte_eth_link *l, char *buf, size_t len)
{
	if (l->link_status != RTE_ETH_LINK_UP)
		return "down";
	if (l->link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ||
	    l->link_speed == RTE_ETH_SPEED_NUM_NONE)
		snprintf(buf, len, "up");
	else
		snprintf(buf, len, "up, %u Mbps %s-duplex", l->link_speed,
			 l->link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full" :
			 "half");
	return buf;
}

/*
 * link_watch -- read the port's link without waiting and log when it
 * went up or down since the last call (*up: -1 before the first one).
 * Called once a second from the main lcore, which works for every PMD,
 * with or without link-state interrupts.
 */
static void
link_watch(const struct dp_port *p, int *up)
{
	struct rte_eth_link link;
	char text[64];

	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(p->port_id, &link) != 0)
		return;
	if (link.link_status == *up)
		return;
	if (link.link_status == RTE_ETH_LINK_UP)
		RP_LOG(NOTICE, net, "port %s: link %s", p->name,
		       link_text(&link, text, sizeof(text)));
	else
		RP_LOG(WARNING, net, "port %s: link down", p->name);
	*up = link.link_status;
}

/* worker_free -- release a worker's shard, connections and log. */
static void
worker_free(struct dp_worker *w)
{
	dp_conn_fini(w);
	dp_udp_free(w->udp);
	dp_xc_free(w);
	dp_steer_free(w);
	dp_ctl_free(w->ctl);
	tcp_stack_free(w->net.tcp);
	dp_net_fini(&w->net);
	kv_shard_free(w->shard);
	pm_log_close(w->log);
	rte_free(w);
}

/* What the recovering workers share: the barrier between the scan and
 * the replay, and every shard (a replay reads the others' scans). */
struct recover_sync {
	unsigned n;
	unsigned arrived;          /* atomic */
	bool failed;               /* atomic */
	struct kv_shard *shards[DP_MAX_WORKERS];
};

/* One worker's recovery, run on its lcore (recover_one). */
struct recover_job {
	struct dp_worker *w;
	struct recover_sync *sync;
	bool repair;
	int rc;
	uint64_t skipped;          /* cross-shard parts not replayed */
	double seconds;
	char err[CFG_ERR_LEN];
};

/*
 * recover_one -- load a worker's snapshot and scan its log; once every
 * worker has (a barrier), replay it: a cross-shard part only if every
 * participant has its part.
 */
static int
recover_one(void *arg)
{
	struct recover_job *j = arg;
	struct recover_sync *sy = j->sync;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	j->rc = kv_recover_scan(j->w->shard, j->repair, j->err,
				sizeof(j->err));
	if (j->rc != 0)
		__atomic_store_n(&sy->failed, true, __ATOMIC_RELEASE);
	__atomic_add_fetch(&sy->arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&sy->arrived, __ATOMIC_ACQUIRE) < sy->n)
		rte_pause();
	if (j->rc == 0 && __atomic_load_n(&sy->failed, __ATOMIC_ACQUIRE)) {
		snprintf(j->err, sizeof(j->err), "another worker's recovery "
			 "failed");
		j->rc = -ECANCELED;
	}
	if (j->rc == 0)
		j->rc = kv_recover_replay(j->w->shard, sy->shards, sy->n,
					  &j->skipped, j->err,
					  sizeof(j->err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	j->seconds = (double)(t1.tv_sec - t0.tv_sec) +
		     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return j->rc;
}

int
main(int argc, char **argv)
{
	static struct rp_config cfg;
	char err[RP_ERR_LEN];
	struct dp_port port;
	struct dp_worker *workers[DP_MAX_WORKERS] = { NULL };
	unsigned n_workers, lcores[DP_MAX_WORKERS];
	int sep = cfg_eal_args_end(argc, argv);
	int rc, exit_code = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("redpoll %s\n", RP_VERSION);
			return 0;
		}
	}

	cfg_init(&cfg);
	if (sep < argc &&
	    cfg_parse_args(&cfg, argc - sep - 1, argv + sep + 1, err,
			   sizeof(err)) != 0) {
		fprintf(stderr, "redpoll: %s\n", err);
		return 1;
	}
	if (cfg.daemonize && daemonize() != 0) {
		fprintf(stderr, "redpoll: cannot daemonize: %s\n",
			strerror(errno));
		return 1;
	}
	if (cfg.logfile[0] != '\0' && (rc = open_logfile(cfg.logfile)) != 0) {
		fprintf(stderr, "redpoll: logfile %s: %s\n", cfg.logfile,
			strerror(-rc));
		return 1;
	}
	if (cfg.pidfile[0] != '\0' && (rc = write_pidfile(cfg.pidfile)) != 0) {
		fprintf(stderr, "redpoll: pidfile %s: %s\n", cfg.pidfile,
			strerror(-rc));
		return 1;
	}
	if ((rc = rp_log_init(STDOUT_FILENO, cfg.loglevel)) != 0) {
		fprintf(stderr, "redpoll: cannot set up the log: %s\n",
			strerror(-rc));
		return 1;
	}
	RP_LOG(NOTICE, app, "redpoll %s starting, pid %d, %s%s", RP_VERSION,
	       (int)getpid(), cfg.config_file[0] ? "config " :
	       "no config file", cfg.config_file);

	/* The EAL sees only the arguments before "--". */
	argv[sep] = argv[0];
	if (rte_eal_init(sep, argv) < 0) {
		RP_LOG(ERR, app, "EAL initialisation failed: %s",
		       rte_strerror(rte_errno));
		rp_log_fini();
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	unsigned avail = rte_lcore_count() - 1;
	n_workers = cfg.workers != 0 ? cfg.workers : avail;
	if (avail == 0 || n_workers > avail) {
		RP_LOG(ERR, app, "%u worker(s) need %u lcores (one main "
		       "lcore for the control plane plus one per worker); "
		       "the EAL has %u (give more with -l)",
		       RTE_MAX(n_workers, 1u), RTE_MAX(n_workers, 1u) + 1,
		       avail + 1);
		goto out_eal;
	}
	if (rte_eth_dev_count_avail() == 0) {
		RP_LOG(ERR, net, "no ethdev port: give one with --vdev "
		       "(e.g. --vdev=net_tap0,iface=rp0) or a PCI device");
		goto out_eal;
	}

	int sockets[DP_MAX_WORKERS];
	unsigned lc, k = 0;
	RTE_LCORE_FOREACH_WORKER(lc) {
		if (k == n_workers)
			break;
		lcores[k] = lc;
		sockets[k++] = (int)rte_lcore_to_socket_id(lc);
	}
	uint16_t port_id = 0;
	RTE_ETH_FOREACH_DEV(port_id)
		break;
	rc = dp_port_setup(&port, port_id, (uint16_t)n_workers,
			   (uint16_t)cfg.port_queues, sockets, cfg.rx_desc,
			   cfg.tx_desc, cfg.mbufs, cfg.mtu, err, sizeof(err));
	if (rc != 0) {
		RP_LOG(ERR, net, "%s", err);
		goto out_eal;
	}
	if (!dp_port_wait_link(&port, 3000))
		RP_LOG(WARNING, net, "port %s: link is down, serving anyway",
		       port.name);
	int link_up = -1;
	link_watch(&port, &link_up);

	unsigned logs = cfg.persistence != CFG_PERSIST_OFF ?
			logs_in(cfg.pmem_path) : 0;
	if (logs != 0 && logs != n_workers) {
		RP_LOG(ERR, pmem, "pmem-path %s holds the logs of %u "
		       "worker(s); keys are sharded by hash slot, so start "
		       "with --workers %u (changing the worker count of a "
		       "keyspace is not supported yet)", cfg.pmem_path, logs,
		       logs);
		goto out_workers;
	}
	for (unsigned i = 0; i < n_workers; i++) {
		workers[i] = worker_create(&cfg, &port, i, n_workers,
					   lcores[i], err, sizeof(err));
		if (workers[i] == NULL) {
			RP_LOG(ERR, app, "%s", err);
			goto out_workers;
		}
	}

	if (n_workers > 1 && (rc = dp_xc_setup(workers, n_workers)) != 0) {
		RP_LOG(ERR, app, "cannot create the rings between workers: "
		       "%s", strerror(-rc));
		goto out_workers;
	}
	if (port.n_queues < n_workers) {
		rc = dp_steer_setup(workers, n_workers, port.n_queues);
		if (rc != 0) {
			RP_LOG(ERR, net, "cannot create the steering rings: "
			       "%s", strerror(-rc));
			goto out_workers;
		}
		RP_LOG(NOTICE, net, "port %s: %u queue pair(s) for %u "
		       "workers: flows steered between workers in software",
		       port.name, port.n_queues, n_workers);
	} else if (port.n_queues > 1) {
		RP_LOG(NOTICE, net, "port %s: %u queue pairs, flows spread by "
		       "the device (%s)", port.name, port.n_queues,
		       port.rss_hf != 0 ? "RSS configured, symmetric key" :
		       "it offers no RSS");
	}

	/* Recovery: every worker loads its own snapshot and replays its own
	 * log, on its own lcore, all in parallel. */
	struct recover_job jobs[DP_MAX_WORKERS];
	static struct recover_sync rsync;
	for (unsigned i = 0; i < n_workers && workers[i]->log != NULL; i++) {
		rsync.shards[i] = workers[i]->shard;
		rsync.n = i + 1;
	}
	for (unsigned i = 0; i < n_workers && workers[i]->log != NULL; i++) {
		jobs[i] = (struct recover_job){ .w = workers[i],
						.sync = &rsync,
						.repair = cfg.pmem_repair };
		RP_LOG(NOTICE, pmem, "worker %u: recovering from %s/redpoll-%u"
		       ".pmem", i, cfg.pmem_path, i);
		rte_eal_remote_launch(recover_one, &jobs[i], lcores[i]);
	}
	bool recovered = true;
	for (unsigned i = 0; i < n_workers && workers[i]->log != NULL; i++)
		rte_eal_wait_lcore(lcores[i]);
	for (unsigned i = 0; i < n_workers && workers[i]->log != NULL; i++) {
		kv_recover_free(workers[i]->shard);
		if (jobs[i].rc != 0) {
			RP_LOG(ERR, pmem, "recovery of worker %u failed: %s",
			       i, jobs[i].err);
			recovered = false;
			continue;
		}
		RP_LOG(NOTICE, pmem, "worker %u recovered %" PRIu64 " keys in "
		       "%.3f s, %" PRIu64 " cross-shard parts skipped", i,
		       kv_dbsize(workers[i]->shard, 0), jobs[i].seconds,
		       jobs[i].skipped);
	}
	if (!recovered)
		goto out_workers;

	/* Migration: an RDB file into the empty keyspace, each key to the
	 * shard that owns its slot and to that shard's log. */
	if (cfg.import_rdb[0] != '\0') {
		struct kv_shard *shards[DP_MAX_WORKERS];
		struct timespec t0, t1;
		uint64_t keys;
		for (unsigned i = 0; i < n_workers; i++)
			shards[i] = workers[i]->shard;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (kv_rdb_import(shards, n_workers, cfg.import_rdb, &keys,
				  err, sizeof(err)) != 0) {
			fprintf(stderr, "redpoll: %s\n", err);
			goto out_workers;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		fprintf(stderr, "redpoll: imported %" PRIu64 " keys from %s "
			"in %.3f s\n", keys, cfg.import_rdb,
			(double)(t1.tv_sec - t0.tv_sec) +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	}

	struct adm *admin = adm_create(cfg.admin_socket,
				       (mode_t)cfg.admin_socket_perm,
				       workers[0]->ctl, &port, err,
				       sizeof(err));
	if (admin == NULL) {
		RP_LOG(ERR, app, "%s", err);
		goto out_workers;
	}

	if (rp_telemetry_register(workers, n_workers) != 0)
		RP_LOG(WARNING, app, "cannot register the telemetry commands; "
		       "going on without them");
	for (unsigned i = 0; i < n_workers; i++)
		rte_eal_remote_launch(dp_worker_main, workers[i], lcores[i]);

	uint32_t ip = cfg.ip;
	RP_LOG(NOTICE, app, "redpoll %s ready: %u.%u.%u.%u:%u on %s (%s), "
	       "%u worker(s), persistence %s", RP_VERSION, ip >> 24,
	       (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff, cfg.port,
	       port.name, port.driver, n_workers,
	       cfg.persistence == CFG_PERSIST_SYNC ? "sync" :
	       cfg.persistence == CFG_PERSIST_ASYNC ? "async" : "off");

	/* The control plane sleeps in epoll and watches the link once a
	 * second; workers poll. */
	time_t last_link = time(NULL);
	while (!quit) {
		adm_poll(admin, 100);
		if (time(NULL) != last_link) {
			last_link = time(NULL);
			link_watch(&port, &link_up);
		}
	}
	RP_LOG(NOTICE, app, "shutting down: draining clients");
	rte_eal_mp_wait_lcore();
	adm_free(admin);
	RP_LOG(NOTICE, app, "stopped, the log is durable");
	exit_code = 0;

out_workers:
	rp_telemetry_detach();
	for (unsigned i = 0; i < n_workers; i++)
		if (workers[i] != NULL)
			worker_free(workers[i]);
	dp_port_close(&port);
out_eal:
	rte_eal_cleanup();
	rp_log_fini();
	if (cfg.pidfile[0] != '\0')
		unlink(cfg.pidfile);
	return exit_code;
}
