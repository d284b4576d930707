/*
 * test_latency.c -- store/latency.c: histogram buckets and percentiles
 * within their stated error, INFO commandstats/errorstats/latencystats
 * counts, CONFIG RESETSTAT, the latency monitor (LATEST, HISTORY, RESET,
 * DOCTOR) fed with calls of known duration, LATENCY HISTOGRAM's shape.
 */
#include <rte_cycles.h>

#include "unit.h"

#include "cmd.h"
#include "store_test.h"

/* cycles -- TSC cycles of a duration in ns, for kv_stats_call. */
static uint64_t
cycles(uint64_t ns)
{
	return (uint64_t)((double)ns * (double)st_shard->tsc_hz / 1e9) + 1;
}

static void
test_histogram(void **state)
{
	static struct kv_hist h;
	(void)state;

	memset(&h, 0, sizeof(h));
	assert_int_equal(kv_hist_percentile(&h, 50), 0);
	/* 1..100000 ns: each percentile within 1/32 of the exact one. */
	for (uint64_t v = 1; v <= 100000; v++)
		kv_hist_record(&h, v);
	assert_int_equal(h.total, 100000);
	assert_int_equal(h.max, 100000);
	const double pcts[] = { 1, 10, 50, 90, 99, 99.9, 100 };
	for (unsigned i = 0; i < RTE_DIM(pcts); i++) {
		double exact = pcts[i] * 1000;
		double got = (double)kv_hist_percentile(&h, pcts[i]);
		assert_true(got >= exact);
		assert_true(got <= exact * (1 + 1.0 / 32) + 1);
	}
	/* Small values are exact, huge ones land in the last bucket. */
	memset(&h, 0, sizeof(h));
	kv_hist_record(&h, 7);
	assert_int_equal(kv_hist_percentile(&h, 50), 7);
	kv_hist_record(&h, UINT64_MAX);
	assert_int_equal(kv_hist_percentile(&h, 100), UINT64_MAX);
}

static void
test_commandstats_errorstats(void **state)
{
	(void)state;
	run("SET k v");
	run("GET k");
	run("GET");                  /* rejected: arity */
	run("LPUSH k x");            /* failed: WRONGTYPE */
	run("NOSUCH");               /* unknown: only errorstats */
	run("INFO commandstats");
	st_out[st_len] = '\0';
	assert_non_null(strstr(st_out, "# Commandstats\r\n"));
	assert_non_null(strstr(st_out, "cmdstat_set:calls=1,"));
	assert_non_null(strstr(st_out, "cmdstat_get:calls=1,"));
	assert_non_null(strstr(st_out, ",rejected_calls=1,failed_calls=0\r\n"));
	assert_non_null(strstr(st_out, "cmdstat_lpush:calls=1,"));
	assert_non_null(strstr(st_out, ",rejected_calls=0,failed_calls=1\r\n"));
	assert_null(strstr(st_out, "nosuch"));
	rx("INFO errorstats", "$66\r\n# Errorstats\r\nerrorstat_ERR:count=2\r\n"
	   "errorstat_WRONGTYPE:count=1\r\n\r\n");
	run("INFO stats");
	st_out[st_len] = '\0';
	assert_non_null(strstr(st_out, "total_error_replies:3\r\n"));
	assert_non_null(strstr(st_out, "rejected_calls:2\r\n"));
	run("INFO latencystats");
	st_out[st_len] = '\0';
	assert_non_null(strstr(st_out, "latency_percentiles_usec_set:p50="));

	rx("CONFIG RESETSTAT", "+OK\r\n");
	rx("INFO errorstats", "$14\r\n# Errorstats\r\n\r\n");
	run("INFO commandstats");
	st_out[st_len] = '\0';
	/* Only CONFIG RESETSTAT and the INFO that ran after the reset. */
	assert_null(strstr(st_out, "cmdstat_set"));
	assert_non_null(strstr(st_out, "cmdstat_info:calls=1,"));

	/* latency-tracking no: calls counted, no histogram. */
	rx("CONFIG SET latency-tracking no", "+OK\r\n");
	rx("CONFIG RESETSTAT", "+OK\r\n");
	run("PING");
	rx("LATENCY HISTOGRAM ping", "*0\r\n");
}

static void
test_latency_monitor(void **state)
{
	const struct kv_cmd *set = kv_cmd_lookup("set", 3);
	const struct kv_cmd *get = kv_cmd_lookup("get", 3);
	struct kv_arg argv[2] = { { "GET", 3 }, { "k", 1 } };
	(void)state;

	/* Off by default: a 50 ms call records nothing. */
	kv_stats_call(st_shard, set, &st_client, 2, argv, cycles(50000000),
		      false);
	rx("LATENCY LATEST", "*0\r\n");
	rx("CONFIG SET latency-monitor-threshold 10", "+OK\r\n");
	kv_stats_call(st_shard, set, &st_client, 2, argv, cycles(5000000),
		      false);
	rx("LATENCY LATEST", "*0\r\n");    /* 5 ms < 10 ms */
	kv_stats_call(st_shard, set, &st_client, 2, argv, cycles(20000000),
		      false);
	kv_stats_call(st_shard, set, &st_client, 2, argv, cycles(30000000),
		      false);   /* same second: one sample, the worst */
	kv_stats_call(st_shard, get, &st_client, 2, argv, cycles(12000000),
		      false);
	char want[256];
	long long now = (long long)(st_shard->now_ms / 1000);
	snprintf(want, sizeof(want), "*2\r\n*4\r\n$7\r\ncommand\r\n:%lld\r\n"
		 ":30\r\n:30\r\n*4\r\n$12\r\nfast-command\r\n:%lld\r\n:12\r\n"
		 ":12\r\n", now, now);
	rx("LATENCY LATEST", want);
	snprintf(want, sizeof(want), "*1\r\n*2\r\n:%lld\r\n:30\r\n", now);
	rx("LATENCY HISTORY command", want);
	rx("LATENCY HISTORY nosuch", "*0\r\n");
	run("LATENCY DOCTOR");
	st_out[st_len] = '\0';
	assert_non_null(strstr(st_out, "1. command: 1 latency spikes "
			       "(average 30ms, worst 30ms)"));
	assert_non_null(strstr(st_out, "2. fast-command:"));
	rx("LATENCY RESET fast-command nosuch", ":1\r\n");
	rx("LATENCY RESET", ":1\r\n");
	rx("LATENCY RESET", ":0\r\n");
	rx("LATENCY LATEST", "*0\r\n");
	run("LATENCY DOCTOR");
	st_out[st_len] = '\0';
	assert_non_null(strstr(st_out, "No latency spike has been recorded"));
}

static void
test_histogram_reply(void **state)
{
	const struct kv_cmd *get = kv_cmd_lookup("get", 3);
	struct kv_arg argv[2] = { { "GET", 3 }, { "k", 1 } };
	(void)state;

	rx("LATENCY HISTOGRAM get", "*0\r\n");
	/* 3 calls under 1 us, 1 at ~3 us, 1 at ~100 us. */
	for (int i = 0; i < 3; i++)
		kv_stats_call(st_shard, get, &st_client, 2, argv, cycles(500),
			      false);
	kv_stats_call(st_shard, get, &st_client, 2, argv, cycles(3000),
		      false);
	kv_stats_call(st_shard, get, &st_client, 2, argv, cycles(100000),
		      false);
	rx("LATENCY HISTOGRAM GET nosuch", "*2\r\n$3\r\nget\r\n*4\r\n"
	   "$5\r\ncalls\r\n:5\r\n$14\r\nhistogram_usec\r\n*6\r\n"
	   ":1\r\n:3\r\n:4\r\n:4\r\n:131\r\n:5\r\n");
	/* A container names all its subcommands; "config|get" one. */
	run("CONFIG GET port");
	run("LATENCY HISTOGRAM config");
	st_out[st_len] = '\0';
	assert_non_null(strstr(st_out, "$10\r\nconfig|get\r\n"));
	run("LATENCY HISTOGRAM");
	st_out[st_len] = '\0';
	assert_true(strncmp(st_out, "*6\r\n", 4) == 0);   /* get, config|get,
							     latency|histogram */
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_histogram),
	ST_TEST(test_commandstats_errorstats),
	ST_TEST(test_latency_monitor),
	ST_TEST(test_histogram_reply),
};

RP_TEST_MAIN(tests, true)
