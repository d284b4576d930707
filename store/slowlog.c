/*
 * slowlog.c -- SLOWLOG: the last slowlog-max-len commands that took at
 * least slowlog-log-slower-than microseconds, as Redis keeps them: at
 * most 32 arguments (the last one saying how many more there were), each
 * at most 128 bytes (saying how many more bytes there were).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_table.h"
#include "kv_private.h"
#include "reply.h"

#define SLOWLOG_MAX_ARGC   32
#define SLOWLOG_MAX_STRING 128

/* entry_free -- release what an entry holds. */
static void
entry_free(struct kv_slowlog_entry *e)
{
	for (int i = 0; i < e->argc; i++)
		free(e->argv[i].ptr);
	free(e->argv);
	free(e->client_name);
	memset(e, 0, sizeof(*e));
}

/* copy_arg -- an argument as the slowlog keeps it; false without memory. */
static bool
copy_arg(struct kv_slowlog_arg *dst, const char *p, size_t len)
{
	char more[64];
	size_t n = len, extra = 0;

	if (len > SLOWLOG_MAX_STRING) {
		n = SLOWLOG_MAX_STRING;
		extra = (size_t)snprintf(more, sizeof(more),
					 "... (%zu more bytes)",
					 len - SLOWLOG_MAX_STRING);
	}
	dst->ptr = malloc(n + extra + 1);
	if (dst->ptr == NULL)
		return false;
	memcpy(dst->ptr, p, n);
	if (extra)
		memcpy(dst->ptr + n, more, extra);
	dst->len = n + extra;
	return true;
}

/* ring_trim -- hold at most max entries, dropping the oldest. */
static void
ring_trim(struct kv_shard *s, unsigned long max)
{
	while (s->slowlog_n > max) {
		unsigned long oldest = (s->slowlog_head + s->slowlog_cap -
					s->slowlog_n) % s->slowlog_cap;
		entry_free(&s->slowlog[oldest]);
		s->slowlog_n--;
	}
}

void
kv_slowlog_push(struct kv_shard *s, const struct kv_client *c, int argc,
		const struct kv_arg *argv, uint64_t us)
{
	long long limit = s->cfg->slowlog_slower_than;
	unsigned long max = s->cfg->slowlog_max_len;

	if (limit < 0 || us < (uint64_t)limit)
		return;
	if (max == 0) {
		ring_trim(s, 0);
		return;
	}
	ring_trim(s, max - 1);   /* room for this one (max may have shrunk) */
	if (s->slowlog_cap < max && s->slowlog_n == s->slowlog_cap) {
		/* Grow, keeping the order: oldest at 0. */
		unsigned long cap = s->slowlog_cap ? s->slowlog_cap * 2 : 16;
		if (cap > max)
			cap = max;
		struct kv_slowlog_entry *a = calloc(cap, sizeof(*a));
		if (a == NULL)
			return;
		for (unsigned long k = 0; k < s->slowlog_n; k++)
			a[k] = s->slowlog[(s->slowlog_head + s->slowlog_cap -
					   s->slowlog_n + k) % s->slowlog_cap];
		free(s->slowlog);
		s->slowlog = a;
		s->slowlog_head = s->slowlog_n % cap;
		s->slowlog_cap = cap;
	}
	struct kv_slowlog_entry *e = &s->slowlog[s->slowlog_head];
	if (s->slowlog_n == s->slowlog_cap)
		entry_free(e);     /* full: the oldest gives way */
	else
		s->slowlog_n++;
	s->slowlog_head = (s->slowlog_head + 1) % s->slowlog_cap;

	int n = argc > SLOWLOG_MAX_ARGC ? SLOWLOG_MAX_ARGC : argc;
	e->argv = calloc((size_t)n, sizeof(*e->argv));
	e->id = s->slowlog_next_id++;
	e->time = (long long)(s->now_ms / 1000);
	e->duration_us = (long long)us;
	snprintf(e->client_addr, sizeof(e->client_addr), "%s", c->addr);
	e->client_name = c->name != NULL ? strdup(c->name) : NULL;
	if (e->argv == NULL)
		return;
	for (int i = 0; i < n; i++) {
		bool ok;
		if (i == n - 1 && n < argc) {
			char more[64];
			int len = snprintf(more, sizeof(more),
					   "... (%d more arguments)",
					   argc - SLOWLOG_MAX_ARGC + 1);
			ok = copy_arg(&e->argv[i], more, (size_t)len);
		} else {
			ok = copy_arg(&e->argv[i], argv[i].ptr, argv[i].len);
		}
		if (!ok)
			break;
		e->argc = i + 1;
	}
}

void
kv_slowlog_free(struct kv_shard *s)
{
	ring_trim(s, 0);
	free(s->slowlog);
	s->slowlog = NULL;
	s->slowlog_cap = s->slowlog_head = 0;
}

/* cmd_slowlog_get -- SLOWLOG GET [count]: newest first (10 by default). */
void
cmd_slowlog_get(struct kv_req *r)
{
	long long count = 10;

	if (r->argc > 3) {
		kv_reply_subcommand_syntax(r);
		return;
	}
	if (r->argc == 3) {
		if (!kv_str2ll(r->argv[2].ptr, r->argv[2].len, &count) ||
		    count < -1) {
			kv_reply_error(r->c, "ERR count should be greater than "
				       "or equal to -1");
			return;
		}
		if (count == -1)
			count = (long long)r->s->slowlog_n;
	}
	ring_trim(r->s, r->s->cfg->slowlog_max_len);
	unsigned long n = (unsigned long)count < r->s->slowlog_n ?
			  (unsigned long)count : r->s->slowlog_n;
	kv_reply_array(r->c, (long long)n);
	for (unsigned long k = 0; k < n; k++) {
		const struct kv_slowlog_entry *e =
			&r->s->slowlog[(r->s->slowlog_head + r->s->slowlog_cap -
					1 - k) % r->s->slowlog_cap];
		kv_reply_array(r->c, 6);
		kv_reply_int(r->c, (long long)e->id);
		kv_reply_int(r->c, e->time);
		kv_reply_int(r->c, e->duration_us);
		kv_reply_array(r->c, e->argc);
		for (int i = 0; i < e->argc; i++)
			kv_reply_bulk(r->c, e->argv[i].ptr, e->argv[i].len);
		kv_reply_bulk_cstr(r->c, e->client_addr);
		kv_reply_bulk_cstr(r->c, e->client_name ? e->client_name : "");
	}
}

/* cmd_slowlog_len -- SLOWLOG LEN. */
void
cmd_slowlog_len(struct kv_req *r)
{
	ring_trim(r->s, r->s->cfg->slowlog_max_len);
	kv_reply_int(r->c, (long long)r->s->slowlog_n);
}

/* cmd_slowlog_reset -- SLOWLOG RESET: forget every entry. */
void
cmd_slowlog_reset(struct kv_req *r)
{
	ring_trim(r->s, 0);
	kv_reply_ok(r->c);
}

/* cmd_slowlog_help -- SLOWLOG HELP. */
void
cmd_slowlog_help(struct kv_req *r)
{
	static const char *const lines[] = {
		"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"GET [<count>]",
		"    The newest <count> entries (10 by default, -1 for all): id,",
		"    unix time, duration in microseconds, arguments, client",
		"    address and client name.",
		"LEN",
		"    How many entries there are.",
		"RESET",
		"    Forget every entry.",
		"HELP",
		"    Print this help.",
	};
	kv_reply_array(r->c, RTE_DIM(lines));
	for (unsigned i = 0; i < RTE_DIM(lines); i++)
		kv_reply_simple(r->c, lines[i]);
}
