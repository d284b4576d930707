/*
 * telemetry.c -- /redpoll/... commands of DPDK telemetry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_telemetry.h>

#include "tcp.h"
#include "telemetry.h"
#include "worker.h"

static struct dp_worker *const *tel_workers;
static unsigned tel_n;

/* worker_param -- the worker a command's parameter names (default 0). */
static const struct dp_worker *
worker_param(const char *params)
{
	char *end;
	unsigned long i = 0;

	if (params != NULL && *params != '\0') {
		i = strtoul(params, &end, 10);
		if (*end != '\0')
			return NULL;
	}
	return i < __atomic_load_n(&tel_n, __ATOMIC_ACQUIRE) ?
	       tel_workers[i] : NULL;
}

/* tel_info -- /redpoll/info: version and workers. */
static int
tel_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "version", RP_VERSION);
	rte_tel_data_add_dict_u64(d, "workers",
				  __atomic_load_n(&tel_n, __ATOMIC_ACQUIRE));
	return 0;
}

/* tel_workers -- /redpoll/workers,N: poll-loop and connection counters. */
static int
tel_worker(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct dp_worker *w = worker_param(params);

	(void)cmd;
	if (w == NULL)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "lcore", w->lcore);
	rte_tel_data_add_dict_u64(d, "connections", w->n_conns);
	for (int i = 0; i < DP_W__MAX; i++)
		rte_tel_data_add_dict_u64(d, dp_worker_counter_name(i),
					  w->counters[i]);
	/* Cost per request: busy_cycles / commands, over the run or the
	 * last whole second (docs/operations.md). */
	rte_tel_data_add_dict_u64(d, "tsc_hz", w->net.tsc_hz);
	rte_tel_data_add_dict_u64(d, "busy_cycles_last_s", w->busy_last_s);
	rte_tel_data_add_dict_u64(d, "commands_last_s", w->commands_last_s);
	return 0;
}

/* tel_net -- /redpoll/net,N: Ethernet/ARP/IP/ICMP and TCP counters. */
static int
tel_net(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct dp_worker *w = worker_param(params);
	char name[64];

	(void)cmd;
	if (w == NULL)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	for (int i = 0; i < DP_NET__MAX; i++) {
		snprintf(name, sizeof(name), "net_%s", dp_net_counter_name(i));
		rte_tel_data_add_dict_u64(d, name, w->net.counters[i]);
	}
	const uint64_t *tc = tcp_counters(w->net.tcp);
	for (int i = 0; i < TCP__MAX; i++) {
		snprintf(name, sizeof(name), "tcp_%s", tcp_counter_name(i));
		rte_tel_data_add_dict_u64(d, name, tc[i]);
	}
	rte_tel_data_add_dict_u64(d, "tcp_connections", tcp_conns(w->net.tcp));
	return 0;
}

int
rp_telemetry_register(struct dp_worker *const *workers, unsigned n)
{
	int rc;

	tel_workers = workers;
	__atomic_store_n(&tel_n, n, __ATOMIC_RELEASE);
	rc = rte_telemetry_register_cmd("/redpoll/info", tel_info,
		"redpoll's version and worker count. Takes no parameters");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/redpoll/workers", tel_worker,
			"A worker's poll-loop and connection counters. "
			"Parameters: int worker");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/redpoll/net", tel_net,
			"A worker's Ethernet, ARP, IPv4, ICMP and TCP counters. "
			"Parameters: int worker");
	return rc;
}

void
rp_telemetry_detach(void)
{
	__atomic_store_n(&tel_n, 0, __ATOMIC_RELEASE);
}
