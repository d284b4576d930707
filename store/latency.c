/*
 * latency.c -- what each command costs: per-command call statistics
 * (INFO commandstats), error replies by prefix (INFO errorstats),
 * latency histograms (INFO latencystats, LATENCY HISTOGRAM), and the
 * latency monitor (LATENCY LATEST/HISTORY/RESET/DOCTOR).
 *
 * The histograms are log-linear: a power-of-two range of nanoseconds is
 * split into 2^KV_HIST_SUB_BITS equal buckets, so any recorded value is
 * known within 1/32 (3.1%) of itself, from 1 ns to 2^KV_HIST_MAX_BITS ns
 * (about 18 minutes); 20 KiB per command, allocated at its first call.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "cmd_table.h"
#include "kv_private.h"
#include "reply.h"

/* bucket_of -- the histogram bucket of a value in ns. */
static unsigned
bucket_of(uint64_t ns)
{
	if (ns < KV_HIST_SUB)
		return (unsigned)ns;
	unsigned msb = 63u - (unsigned)__builtin_clzll(ns);
	if (msb >= KV_HIST_MAX_BITS)
		return KV_HIST_BUCKETS - 1;
	unsigned shift = msb - KV_HIST_SUB_BITS;
	return (shift + 1) * KV_HIST_SUB +
	       (unsigned)((ns >> shift) & (KV_HIST_SUB - 1));
}

/* bucket_high -- the highest value (ns) that falls in bucket b. */
static uint64_t
bucket_high(unsigned b)
{
	if (b < KV_HIST_SUB)
		return b;
	unsigned shift = b / KV_HIST_SUB - 1;
	uint64_t base = (uint64_t)(KV_HIST_SUB + b % KV_HIST_SUB) << shift;
	return base + ((uint64_t)1 << shift) - 1;
}

void
kv_hist_record(struct kv_hist *h, uint64_t ns)
{
	h->counts[bucket_of(ns)]++;
	h->total++;
	if (ns > h->max)
		h->max = ns;
}

uint64_t
kv_hist_percentile(const struct kv_hist *h, double pct)
{
	if (h->total == 0)
		return 0;
	uint64_t want = (uint64_t)ceil(pct / 100.0 * (double)h->total);
	uint64_t seen = 0;

	if (want == 0)
		want = 1;
	for (unsigned b = 0; b < KV_HIST_BUCKETS; b++) {
		seen += h->counts[b];
		if (seen >= want)
			return b == KV_HIST_BUCKETS - 1 ? h->max :
			       RTE_MIN(bucket_high(b), h->max);
	}
	return h->max;
}

int
kv_stats_init(struct kv_shard *s)
{
	s->cmdstats = calloc(KV_CMD_COUNT, sizeof(*s->cmdstats));
	s->tsc_hz = rte_get_tsc_hz();
	if (s->tsc_hz == 0)
		s->tsc_hz = 1000000000;   /* no EAL: count cycles as ns */
	return s->cmdstats != NULL ? 0 : -1;
}

void
kv_stats_reset(struct kv_shard *s)
{
	for (unsigned i = 0; i < KV_CMD_COUNT && s->cmdstats != NULL; i++) {
		struct kv_hist *h = s->cmdstats[i].hist;
		memset(&s->cmdstats[i], 0, sizeof(s->cmdstats[i]));
		if (h != NULL) {
			memset(h, 0, sizeof(*h));
			s->cmdstats[i].hist = h;
		}
	}
	s->n_errstats = 0;
	s->error_replies = 0;
}

void
kv_stats_fini(struct kv_shard *s)
{
	for (unsigned i = 0; i < KV_CMD_COUNT && s->cmdstats != NULL; i++)
		free(s->cmdstats[i].hist);
	free(s->cmdstats);
	s->cmdstats = NULL;
}

/* count_error -- an error reply with this prefix ("ERR", "WRONGTYPE"). */
static void
count_error(struct kv_shard *s, const char *prefix)
{
	s->error_replies++;
	for (unsigned i = 0; i < s->n_errstats; i++) {
		if (strcmp(s->errstats[i].name, prefix) == 0) {
			s->errstats[i].count++;
			return;
		}
	}
	/* As Redis, a bounded table: prefixes past the limit are counted
	 * in total_error_replies only. */
	if (s->n_errstats == KV_ERRSTATS_MAX)
		return;
	unsigned i = s->n_errstats++;
	snprintf(s->errstats[i].name, sizeof(s->errstats[i].name), "%s",
		 prefix);
	s->errstats[i].count = 1;
}

void
kv_stats_errors(struct kv_shard *s, struct kv_client *c, uint64_t before)
{
	if (c->error_replies != before)
		count_error(s, c->err_prefix);
}

/* monitor_sample -- the latency monitor's record of one slow event. */
static void
monitor_sample(struct kv_shard *s, unsigned ev, uint64_t ms)
{
	struct kv_latency_event *e = &s->latency_events[ev];
	uint32_t now = (uint32_t)(s->now_ms / 1000);
	unsigned prev = (e->idx + KV_LATENCY_SAMPLES - 1) % KV_LATENCY_SAMPLES;

	if (e->max < ms)
		e->max = ms;
	/* Several events in one second make one sample: the worst. */
	if (e->n > 0 && e->samples[prev].time == now) {
		if (e->samples[prev].latency < ms)
			e->samples[prev].latency = ms;
		return;
	}
	e->samples[e->idx].time = now;
	e->samples[e->idx].latency = ms;
	e->idx = (e->idx + 1) % KV_LATENCY_SAMPLES;
	if (e->n < KV_LATENCY_SAMPLES)
		e->n++;
}

void
kv_stats_call(struct kv_shard *s, const struct kv_cmd *cmd,
	      struct kv_client *c, int argc, const struct kv_arg *argv,
	      uint64_t cycles, bool failed)
{
	struct kv_cmdstat *st = &s->cmdstats[cmd->id];
	uint64_t ns = cycles * 1000000000ull / s->tsc_hz;

	st->calls++;
	st->ns += ns;
	if (failed)
		st->failed++;
	if (s->cfg->latency_tracking) {
		if (st->hist == NULL)
			st->hist = calloc(1, sizeof(*st->hist));
		if (st->hist != NULL)
			kv_hist_record(st->hist, ns);
	}
	if (!(cmd->flags & KV_CMD_FLAG(SKIP_SLOWLOG)))
		kv_slowlog_push(s, c, argc, argv, ns / 1000);
	uint64_t ms = ns / 1000000;
	if (s->cfg->latency_threshold_ms != 0 &&
	    ms >= s->cfg->latency_threshold_ms)
		monitor_sample(s, (cmd->flags & KV_CMD_FAST) ?
			       KV_LAT_FAST_COMMAND : KV_LAT_COMMAND, ms);
}

void
kv_stats_rejected(struct kv_shard *s, const struct kv_cmd *cmd)
{
	s->stats.rejected_calls++;
	if (cmd != NULL)
		s->cmdstats[cmd->id].rejected++;
}

/* each_cmd -- call fn for every command and subcommand of the table. */
static void
each_cmd(void (*fn)(const struct kv_cmd *cmd, void *ctx), void *ctx)
{
	for (unsigned i = 0; i < kv_cmd_table_len; i++) {
		const struct kv_cmd *t = &kv_cmd_table[i];
		if (t->fn != NULL || t->n_subcmds == 0)
			fn(t, ctx);
		for (unsigned j = 0; j < t->n_subcmds; j++)
			fn(&t->subcmds[j], ctx);
	}
}

struct info_ctx {
	struct kv_shard *s;
	void (*add)(void *b, const char *fmt, ...);
	void *b;
};

static void
info_cmdstat(const struct kv_cmd *cmd, void *arg)
{
	struct info_ctx *x = arg;
	const struct kv_cmdstat *st = &x->s->cmdstats[cmd->id];

	if (st->calls == 0 && st->failed == 0 && st->rejected == 0)
		return;
	uint64_t us = st->ns / 1000;
	x->add(x->b, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,"
	       "rejected_calls=%llu,failed_calls=%llu\r\n", cmd->name,
	       (unsigned long long)st->calls, (unsigned long long)us,
	       st->calls ? (double)us / (double)st->calls : 0.0,
	       (unsigned long long)st->rejected,
	       (unsigned long long)st->failed);
}

static void
info_latency(const struct kv_cmd *cmd, void *arg)
{
	struct info_ctx *x = arg;
	const struct kv_hist *h = x->s->cmdstats[cmd->id].hist;

	if (h == NULL || h->total == 0)
		return;
	x->add(x->b, "latency_percentiles_usec_%s:p50=%.3f,p99=%.3f,"
	       "p99.9=%.3f\r\n", cmd->name,
	       (double)kv_hist_percentile(h, 50) / 1000.0,
	       (double)kv_hist_percentile(h, 99) / 1000.0,
	       (double)kv_hist_percentile(h, 99.9) / 1000.0);
}

/* errstat_cmp -- errorstats in name order, as Redis lists them. */
static int
errstat_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv_errstat *)a)->name,
		      ((const struct kv_errstat *)b)->name);
}

void
kv_stats_info(struct kv_shard *s, const char *section,
	      void (*add)(void *b, const char *fmt, ...), void *b)
{
	struct info_ctx x = { s, add, b };

	if (strcmp(section, "commandstats") == 0) {
		add(b, "# Commandstats\r\n");
		each_cmd(info_cmdstat, &x);
	} else if (strcmp(section, "latencystats") == 0) {
		add(b, "# Latencystats\r\n");
		each_cmd(info_latency, &x);
	} else if (strcmp(section, "errorstats") == 0) {
		add(b, "# Errorstats\r\n");
		qsort(s->errstats, s->n_errstats, sizeof(s->errstats[0]),
		      errstat_cmp);
		for (unsigned i = 0; i < s->n_errstats; i++)
			add(b, "errorstat_%s:count=%llu\r\n", s->errstats[i].name,
			    (unsigned long long)s->errstats[i].count);
	}
}

/* LATENCY --------------------------------------------------------------- */

static const char *const latency_event_names[KV_LAT__MAX] = {
	[KV_LAT_COMMAND] = "command",
	[KV_LAT_FAST_COMMAND] = "fast-command",
};

/* cmd_latency_latest -- LATENCY LATEST: [event, time, latest, max]. */
void
cmd_latency_latest(struct kv_req *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < KV_LAT__MAX; i++)
		n += r->s->latency_events[i].n > 0;
	kv_reply_array(r->c, n);
	for (unsigned i = 0; i < KV_LAT__MAX; i++) {
		const struct kv_latency_event *e = &r->s->latency_events[i];
		if (e->n == 0)
			continue;
		unsigned last = (e->idx + KV_LATENCY_SAMPLES - 1) %
				KV_LATENCY_SAMPLES;
		kv_reply_array(r->c, 4);
		kv_reply_bulk_cstr(r->c, latency_event_names[i]);
		kv_reply_int(r->c, e->samples[last].time);
		kv_reply_int(r->c, (long long)e->samples[last].latency);
		kv_reply_int(r->c, (long long)e->max);
	}
}

/* event_index -- the event called a, or -1. */
static int
event_index(const struct kv_arg *a)
{
	for (int i = 0; i < KV_LAT__MAX; i++)
		if (kv_arg_is(a, latency_event_names[i]))
			return i;
	return -1;
}

/* cmd_latency_history -- LATENCY HISTORY event: [time, latency]... */
void
cmd_latency_history(struct kv_req *r)
{
	int ev = event_index(&r->argv[2]);

	if (ev < 0) {
		kv_reply_array(r->c, 0);
		return;
	}
	const struct kv_latency_event *e = &r->s->latency_events[ev];
	unsigned first = (e->idx + KV_LATENCY_SAMPLES - e->n) %
			 KV_LATENCY_SAMPLES;
	kv_reply_array(r->c, e->n);
	for (unsigned k = 0; k < e->n; k++) {
		unsigned i = (first + k) % KV_LATENCY_SAMPLES;
		kv_reply_array(r->c, 2);
		kv_reply_int(r->c, e->samples[i].time);
		kv_reply_int(r->c, (long long)e->samples[i].latency);
	}
}

/* cmd_latency_reset -- LATENCY RESET [event ...]: events reset. */
void
cmd_latency_reset(struct kv_req *r)
{
	long long n = 0;

	for (int i = 0; i < KV_LAT__MAX; i++) {
		bool want = r->argc == 2;
		for (int a = 2; a < r->argc && !want; a++)
			want = event_index(&r->argv[a]) == i;
		if (!want || r->s->latency_events[i].n == 0)
			continue;
		memset(&r->s->latency_events[i], 0,
		       sizeof(r->s->latency_events[i]));
		n++;
	}
	kv_reply_int(r->c, n);
}

/* cmd_latency_doctor -- LATENCY DOCTOR: a short report in words. */
void
cmd_latency_doctor(struct kv_req *r)
{
	char buf[2048];
	size_t n = 0;
	unsigned events = 0;

	if (r->s->cfg->latency_threshold_ms == 0)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			"The latency monitor is off: set "
			"latency-monitor-threshold to a number of "
			"milliseconds to record slow commands.\n");
	for (unsigned i = 0; i < KV_LAT__MAX && n < sizeof(buf); i++) {
		const struct kv_latency_event *e = &r->s->latency_events[i];
		if (e->n == 0)
			continue;
		uint64_t sum = 0;
		for (unsigned k = 0; k < e->n; k++)
			sum += e->samples[(e->idx + KV_LATENCY_SAMPLES - 1 - k) %
					  KV_LATENCY_SAMPLES].latency;
		events++;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			"%u. %s: %u latency spikes (average %llums, worst "
			"%llums). %s\n", events, latency_event_names[i], e->n,
			(unsigned long long)(sum / e->n),
			(unsigned long long)e->max,
			i == KV_LAT_FAST_COMMAND ?
			"O(1) commands this slow mean the worker lost its "
			"CPU: give redpoll dedicated cores "
			"(worker-idle-sleep-us 0 on isolated lcores)." :
			"Look at SLOWLOG GET for the commands and avoid "
			"O(N) commands on large values.");
	}
	if (events == 0 && n < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			"No latency spike has been recorded.\n");
	kv_reply_bulk(r->c, buf, RTE_MIN(n, sizeof(buf) - 1));
}

/* cmd_latency_help -- LATENCY HELP. */
void
cmd_latency_help(struct kv_req *r)
{
	static const char *const lines[] = {
		"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"LATEST",
		"    Per event: name, time of the latest spike, its latency and "
		"the worst one (ms).",
		"HISTORY <event>",
		"    The event's spikes: time and latency (ms), oldest first.",
		"RESET [<event> ...]",
		"    Forget the spikes of the events (all by default).",
		"DOCTOR",
		"    A short report on the spikes recorded.",
		"HISTOGRAM [<command> ...]",
		"    Per command: calls and the cumulative latency histogram "
		"(microseconds, powers of two).",
		"HELP",
		"    Print this help.",
	};
	kv_reply_array(r->c, RTE_DIM(lines));
	for (unsigned i = 0; i < RTE_DIM(lines); i++)
		kv_reply_simple(r->c, lines[i]);
}

/* histogram_one -- "name" then {calls, histogram_usec {bucket: count}}. */
static void
histogram_one(struct kv_client *c, const struct kv_cmd *cmd,
	      const struct kv_hist *h)
{
	long long bucket_us[KV_HIST_MAX_BITS], cum[KV_HIST_MAX_BITS];
	unsigned n = 0;
	uint64_t prev = 0;

	/* Cumulative counts at 1024 ns, 2048 ns, ... (Redis's buckets),
	 * shown in microseconds; a bucket is listed when it adds calls. */
	for (unsigned k = 10; k < KV_HIST_MAX_BITS; k++) {
		uint64_t limit = 1ull << k, seen = 0;
		for (unsigned b = 0; b < KV_HIST_BUCKETS &&
		     bucket_high(b) < limit; b++)
			seen += h->counts[b];
		if (k == KV_HIST_MAX_BITS - 1)
			seen = h->total;
		if (seen > prev) {
			bucket_us[n] = (long long)(limit / 1000);
			cum[n++] = (long long)seen;
		}
		prev = seen;
		if (seen == h->total)
			break;
	}
	kv_reply_bulk_cstr(c, cmd->name);
	kv_reply_array(c, 4);
	kv_reply_bulk_cstr(c, "calls");
	kv_reply_int(c, (long long)h->total);
	kv_reply_bulk_cstr(c, "histogram_usec");
	kv_reply_array(c, 2 * n);
	for (unsigned i = 0; i < n; i++) {
		kv_reply_int(c, bucket_us[i]);
		kv_reply_int(c, cum[i]);
	}
}

struct hist_ctx {
	struct kv_req *r;
	bool count_only;
	unsigned n;
};

static void
histogram_cmd(const struct kv_cmd *cmd, void *arg)
{
	struct hist_ctx *x = arg;
	const struct kv_hist *h = x->r->s->cmdstats[cmd->id].hist;

	if (h == NULL || h->total == 0)
		return;
	if (x->count_only)
		x->n++;
	else
		histogram_one(x->r->c, cmd, h);
}

/* named -- the command (or container: all its subcommands) called a. */
static void
named(const struct kv_arg *a, void (*fn)(const struct kv_cmd *, void *),
      void *ctx)
{
	for (unsigned i = 0; i < kv_cmd_table_len; i++) {
		const struct kv_cmd *t = &kv_cmd_table[i];
		if (strlen(t->name) == a->len &&
		    strncasecmp(t->name, a->ptr, a->len) == 0) {
			if (t->fn != NULL || t->n_subcmds == 0)
				fn(t, ctx);
			for (unsigned j = 0; j < t->n_subcmds; j++)
				fn(&t->subcmds[j], ctx);
			return;
		}
		for (unsigned j = 0; j < t->n_subcmds; j++) {
			const struct kv_cmd *sc = &t->subcmds[j];
			if (strlen(sc->name) == a->len &&
			    strncasecmp(sc->name, a->ptr, a->len) == 0) {
				fn(sc, ctx);
				return;
			}
		}
	}
}

/*
 * cmd_latency_histogram -- LATENCY HISTOGRAM [command ...]: a map of
 * command -> {calls, histogram_usec}; commands never called are left out.
 */
void
cmd_latency_histogram(struct kv_req *r)
{
	struct hist_ctx x = { .r = r, .count_only = true };

	for (int pass = 0; pass < 2; pass++) {
		if (r->argc == 2)
			each_cmd(histogram_cmd, &x);
		for (int a = 2; a < r->argc; a++)
			named(&r->argv[a], histogram_cmd, &x);
		if (pass == 0)
			kv_reply_array(r->c, 2 * x.n);
		x.count_only = false;
	}
}
