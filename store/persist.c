/*
 * persist.c -- the effects of writes in the pmem log, and their replay.
 *
 * A record is one byte of database number followed by the effect as a
 * RESP multibulk, the way Redis propagates it to its AOF (SET ... EX as
 * SET ... PXAT, EXPIRE as PEXPIREAT, INCRBYFLOAT as SET ... KEEPTTL,
 * lazy expiry as DEL). Replay parses its own records strictly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_log.h>

#include "kv_private.h"
#include "pm.h"

#define KV_REC_STACK 4096
#define KV_REPLAY_ARGS 1024       /* arguments of the usual record */
#define KV_REPLAY_PROGRESS_MASK 0xffffu /* clock read every 65536 records */

/* The store's log type; the application formats and filters its lines. */
RTE_LOG_REGISTER(kv_logtype, redpoll.store, NOTICE);

bool
kv_log_has_room(const struct kv_shard *s, size_t bytes)
{
	return s->log == NULL || pm_log_free_bytes(s->log) >= bytes + 64;
}

void
kv_propagate(struct kv_shard *s, unsigned db, int argc,
	     const struct kv_arg *argv)
{
	char stack[KV_REC_STACK], *buf = stack;
	size_t need = 1 + 16, n;

	if (s->log == NULL || s->replaying || s->nolog)
		return;
	for (int i = 0; i < argc; i++)
		need += argv[i].len + 24;
	if (need > sizeof(stack)) {
		buf = malloc(need);
		if (buf == NULL)
			return;
	}
	buf[0] = (char)db;
	n = 1 + (size_t)snprintf(buf + 1, need - 1, "*%d\r\n", argc);
	for (int i = 0; i < argc; i++) {
		n += (size_t)snprintf(buf + n, need - n, "$%zu\r\n",
				      argv[i].len);
		memcpy(buf + n, argv[i].ptr, argv[i].len);
		n += argv[i].len;
		buf[n++] = '\r';
		buf[n++] = '\n';
	}
	if (pm_log_append(s->log, buf, (uint32_t)n) == 0)
		s->stats.log_records++;
	else
		s->stats.log_full_errors++;
	if (buf != stack)
		free(buf);
}

void
kv_commit(struct kv_shard *s)
{
	if (s->log != NULL)
		pm_log_commit(s->log);
}

/* read_num -- "<prefix><digits>\r\n" at *p; advances *p. */
static bool
read_num(const char **p, const char *end, char prefix, long long *v)
{
	const char *q = *p;

	if (q >= end || *q != prefix)
		return false;
	q++;
	const char *start = q;
	while (q < end && *q != '\r')
		q++;
	if (q + 1 >= end || q[1] != '\n' || !kv_str2ll(start,
						       (size_t)(q - start), v))
		return false;
	*p = q + 2;
	return true;
}

struct replay_ctx {
	struct kv_shard *s;
	struct kv_arg argv[KV_REPLAY_ARGS];
	struct kv_arg *big;        /* a record with more arguments */
	size_t big_cap;
	uint64_t bad_seq;
	uint64_t records;       /* replayed so far */
	struct timespec start;  /* when the replay began */
	time_t last_report;     /* seconds since start of the last report */
};

/*
 * replay_progress -- a line per second of a long replay, so that an
 * operator watching a slow start sees it move.
 */
static void
replay_progress(struct replay_ctx *x)
{
	struct timespec now;
	time_t el;

	if ((++x->records & KV_REPLAY_PROGRESS_MASK) != 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	el = now.tv_sec - x->start.tv_sec;
	if (el <= x->last_report)
		return;
	x->last_report = el;
	rte_log(RTE_LOG_NOTICE, kv_logtype, "worker %u: replaying the log: "
		"%llu records in %lld s\n", x->s->core,
		(unsigned long long)x->records, (long long)el);
}

/* replay_one -- pm_log_replay callback: parse and apply one record. */
static int
replay_one(void *arg, uint64_t seq, const void *rec, uint32_t len)
{
	struct replay_ctx *x = arg;
	const char *p = rec, *end = p + len;
	long long argc, l;

	if (len < 1 || (unsigned char)p[0] >= x->s->n_db)
		goto bad;
	unsigned db = (unsigned char)*p++;
	/* Each argument takes at least 6 bytes ("$0\r\n\r\n"). */
	if (!read_num(&p, end, '*', &argc) || argc < 1 ||
	    argc > (end - p) / 6)
		goto bad;
	struct kv_arg *argv = x->argv;
	if (argc > KV_REPLAY_ARGS) {
		/* SADD, HSET... of many members, as a client sent them. */
		if ((size_t)argc > x->big_cap) {
			struct kv_arg *b = realloc(x->big,
						   (size_t)argc * sizeof(*b));
			if (b == NULL)
				goto bad;
			x->big = b;
			x->big_cap = (size_t)argc;
		}
		argv = x->big;
	}
	for (long long i = 0; i < argc; i++) {
		if (!read_num(&p, end, '$', &l) || l < 0 || end - p < l + 2)
			goto bad;
		argv[i].ptr = p;
		argv[i].len = (size_t)l;
		p += l + 2;
	}
	if (p != end || kv_replay_command(x->s, db, (int)argc, argv) != 0)
		goto bad;
	replay_progress(x);
	return 0;
bad:
	x->bad_seq = seq;
	return -EPROTO;
}

int
kv_recover(struct kv_shard *s, bool repair, char *err, size_t errlen)
{
	struct replay_ctx *x;
	struct pm_replay_stats st;
	int rc;

	if (s->log == NULL)
		return 0;
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	x->s = s;
	clock_gettime(CLOCK_MONOTONIC, &x->start);
	s->replaying = true;
	kv_now_refresh(s);
	rc = pm_log_replay(s->log, replay_one, x, repair, &st, err, errlen);
	s->replaying = false;
	if (rc == -EPROTO)
		snprintf(err, errlen, "log record %llu is not a valid effect",
			 (unsigned long long)x->bad_seq);
	else if (rc == 0)
		rte_log(RTE_LOG_NOTICE, kv_logtype, "worker %u replayed %llu "
			"records (%llu bytes) in %.3f s, %llu torn bytes "
			"discarded\n",
			s->core, (unsigned long long)st.records,
			(unsigned long long)st.bytes, st.seconds,
			(unsigned long long)st.torn_bytes);
	free(x->big);
	free(x);
	return rc;
}
