/*
 * persist.c -- the effects of writes in the pmem log, and their replay.
 *
 * A record is one byte of database number followed by the effect as a
 * RESP multibulk, the way Redis propagates it to its AOF (SET ... EX as
 * SET ... PXAT, EXPIRE as PEXPIREAT, INCRBYFLOAT as SET ... KEEPTTL,
 * lazy expiry as DEL). Replay parses its own records strictly.
 *
 * The effects of an EXEC (or of one command that logs several) are
 * gathered while they happen and appended as one record: the byte
 * KV_REC_MULTI (never a database number) then each effect as a 4-byte
 * little-endian length and the effect's own record. The log checksums a
 * record whole, so a crash while it is written loses all of it; replay
 * checks every part before it applies the first.
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
#define KV_REC_MULTI 0xff

_Static_assert(CFG_MAX_DATABASES < KV_REC_MULTI, "record tag");

/* The store's log type; the application formats and filters its lines. */
RTE_LOG_REGISTER(kv_logtype, redpoll.store, NOTICE);

bool
kv_log_has_room(const struct kv_shard *s, size_t bytes)
{
	return s->log == NULL || pm_log_free_bytes(s->log) >= bytes + 64;
}

/* txn_add -- gather one effect of a transaction; false when out of memory. */
static bool
txn_add(struct kv_shard *s, const char *rec, size_t len)
{
	size_t need = s->txn_len + 4 + len;

	if (s->txn_oom)
		return false;
	if (need > s->txn_cap) {
		size_t cap = s->txn_cap ? s->txn_cap : 1024;
		while (cap < need)
			cap *= 2;
		char *p = realloc(s->txn_buf, cap);
		if (p == NULL) {
			s->txn_oom = true;
			return false;
		}
		s->txn_buf = p;
		s->txn_cap = cap;
	}
	uint32_t l = (uint32_t)len;
	for (int i = 0; i < 4; i++)
		s->txn_buf[s->txn_len++] = (char)(l >> (8 * i));
	memcpy(s->txn_buf + s->txn_len, rec, len);
	s->txn_len += len;
	s->txn_records++;
	return true;
}

/* log_append -- append one record to the log, counting the outcome. */
static void
log_append(struct kv_shard *s, const char *rec, size_t len)
{
	if (len <= UINT32_MAX && pm_log_append(s->log, rec, (uint32_t)len) == 0)
		s->stats.log_records++;
	else
		s->stats.log_full_errors++;
}

void
kv_propagate_begin(struct kv_shard *s)
{
	if (s->txn_depth++ > 0 || s->log == NULL || s->replaying)
		return;
	s->txn_len = 0;
	s->txn_records = 0;
	s->txn_oom = false;
	if (s->txn_cap == 0) {
		s->txn_buf = malloc(1024);
		if (s->txn_buf == NULL) {
			s->txn_oom = true;
			return;
		}
		s->txn_cap = 1024;
	}
	s->txn_buf[s->txn_len++] = (char)KV_REC_MULTI;
}

void
kv_propagate_end(struct kv_shard *s)
{
	if (s->txn_depth == 0 || --s->txn_depth > 0)
		return;
	if (s->txn_oom) {
		s->stats.log_full_errors++;
	} else if (s->txn_records == 1) {
		/* One effect needs no wrapping: [tag][len][record]. */
		log_append(s, s->txn_buf + 5, s->txn_len - 5);
	} else if (s->txn_records > 1) {
		log_append(s, s->txn_buf, s->txn_len);
	}
	s->txn_records = 0;
	s->txn_len = 0;
	kv_snap_txn_end(s);
	/* A large transaction does not keep its buffer. */
	if (s->txn_cap > (1u << 16)) {
		free(s->txn_buf);
		s->txn_buf = NULL;
		s->txn_cap = 0;
	}
}

void
kv_propagate(struct kv_shard *s, unsigned db, int argc,
	     const struct kv_arg *argv)
{
	if (s->replaying)
		return;
	s->snap.dirty++;
	kv_touch_effect(s, db, argc, argv);
	kv_log_effect(s, db, argc, argv);
}

void
kv_log_effect(struct kv_shard *s, unsigned db, int argc,
	      const struct kv_arg *argv)
{
	char stack[KV_REC_STACK], *buf = stack;
	size_t need = 1 + 16, n;

	if (s->replaying || s->log == NULL || s->nolog)
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
	if (s->txn_depth > 0)
		txn_add(s, buf, n);
	else
		log_append(s, buf, n);
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
	uint64_t snap_seq;      /* records up to this one are in the snapshot */
	uint64_t skipped;       /* records the snapshot already covered */
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

/*
 * parse_effect -- parse one effect record; returns its arguments (in
 * x->argv, or x->big for a record of many) and their count in *argc, or
 * NULL if the record is malformed.
 */
static struct kv_arg *
parse_effect(struct replay_ctx *x, const char *p, size_t len, unsigned *db,
	     int *argc_out)
{
	const char *end = p + len;
	long long argc, l;

	if (len < 1 || (unsigned char)p[0] >= x->s->n_db)
		return NULL;
	*db = (unsigned char)*p++;
	/* Each argument takes at least 6 bytes ("$0\r\n\r\n"). */
	if (!read_num(&p, end, '*', &argc) || argc < 1 ||
	    argc > (end - p) / 6)
		return NULL;
	struct kv_arg *argv = x->argv;
	if (argc > KV_REPLAY_ARGS) {
		/* SADD, HSET... of many members, as a client sent them. */
		if ((size_t)argc > x->big_cap) {
			struct kv_arg *b = realloc(x->big,
						   (size_t)argc * sizeof(*b));
			if (b == NULL)
				return NULL;
			x->big = b;
			x->big_cap = (size_t)argc;
		}
		argv = x->big;
	}
	for (long long i = 0; i < argc; i++) {
		if (!read_num(&p, end, '$', &l) || l < 0 || end - p < l + 2)
			return NULL;
		argv[i].ptr = p;
		argv[i].len = (size_t)l;
		p += l + 2;
	}
	if (p != end)
		return NULL;
	*argc_out = (int)argc;
	return argv;
}

/*
 * multi_next -- the next part of a transaction record at *p: its bytes
 * and length; false at the end or if the framing is broken (*bad).
 */
static bool
multi_next(const char **p, const char *end, const char **part,
	   size_t *plen, bool *bad)
{
	const unsigned char *q = (const unsigned char *)*p;

	*bad = false;
	if (*p == end)
		return false;
	if (end - *p < 4) {
		*bad = true;
		return false;
	}
	uint32_t l = (uint32_t)q[0] | (uint32_t)q[1] << 8 |
		     (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
	if ((size_t)(end - *p) - 4 < l) {
		*bad = true;
		return false;
	}
	*part = *p + 4;
	*plen = l;
	*p += 4 + (size_t)l;
	return true;
}

/*
 * replay_multi -- a transaction record: check every effect, then apply
 * them all. Returns 0 or -1.
 */
static int
replay_multi(struct replay_ctx *x, const char *rec, size_t len)
{
	const char *p, *end = rec + len, *part;
	size_t plen;
	unsigned db, n = 0;
	bool bad;
	int argc;

	for (p = rec + 1; multi_next(&p, end, &part, &plen, &bad); n++)
		if (parse_effect(x, part, plen, &db, &argc) == NULL)
			return -1;
	if (bad || n < 2)
		return -1;
	for (p = rec + 1; multi_next(&p, end, &part, &plen, &bad);) {
		struct kv_arg *argv = parse_effect(x, part, plen, &db, &argc);
		if (kv_replay_command(x->s, db, argc, argv) != 0)
			return -1;
	}
	return 0;
}

/* replay_one -- pm_log_replay callback: parse and apply one record. */
static int
replay_one(void *arg, uint64_t seq, const void *rec, uint32_t len)
{
	struct replay_ctx *x = arg;
	const char *p = rec;
	struct kv_arg *argv;
	unsigned db;
	int argc;

	if (seq <= x->snap_seq) {
		x->skipped++;
		return 0;
	}
	if (len >= 1 && (unsigned char)p[0] == KV_REC_MULTI) {
		if (replay_multi(x, p, len) != 0)
			goto bad;
	} else {
		argv = parse_effect(x, p, len, &db, &argc);
		if (argv == NULL ||
		    kv_replay_command(x->s, db, argc, argv) != 0)
			goto bad;
	}
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
	rc = kv_snapshot_load(s, &x->snap_seq, err, errlen);
	if (rc != 0) {
		free(x);
		return rc;
	}
	s->replaying = true;
	kv_now_refresh(s);
	rc = pm_log_replay(s->log, replay_one, x, repair, &st, err, errlen);
	s->replaying = false;
	if (rc == -EPROTO)
		snprintf(err, errlen, "log record %llu is not a valid effect",
			 (unsigned long long)x->bad_seq);
	else if (rc == 0)
		rte_log(RTE_LOG_NOTICE, kv_logtype, "worker %u replayed %llu "
			"records (%llu bytes, %llu already in the snapshot) "
			"in %.3f s, %llu torn bytes discarded\n",
			s->core, (unsigned long long)st.records,
			(unsigned long long)st.bytes,
			(unsigned long long)x->skipped, st.seconds,
			(unsigned long long)st.torn_bytes);
	/*
	 * A snapshot cut the log but did not complete (both logs hold
	 * records), or the log ends before the snapshot (a repair dropped
	 * records): a new snapshot of what was recovered starts clean.
	 */
	if (rc == 0 && (pm_log_both_in_use(s->log) ||
			pm_log_last_seq(s->log) < x->snap_seq))
		rc = kv_snapshot_run(s, err, errlen);
	free(x->big);
	free(x);
	return rc;
}
