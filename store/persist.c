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
 *
 * The part of a cross-shard transaction a shard applies is one record
 * KV_REC_TX: that byte, the tag (origin 2 bytes, nrec 2, counter 8, the
 * participants' bitmask 16, little-endian), then the effects framed as
 * in KV_REC_MULTI (none at all is valid). Recovery replays it only if
 * every participant has its part (docs/architecture.md, "Crash
 * atomicity"): kv_recover_scan collects each shard's tags, and
 * kv_recover_replay decides with every shard's tags in hand.
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
#define KV_REC_TX    0xfe
#define KV_TX_HDR    (1 + 2 + 2 + 8 + 8 * KV_TX_MASK_WORDS)

_Static_assert(CFG_MAX_DATABASES < KV_REC_TX, "record tag");

/* A transaction part found in a log by the recovery scan. */
struct kv_txpart {
	uint64_t counter;
	uint16_t origin;
	uint16_t nrec;             /* records the part needs */
	uint16_t seen;             /* records the log holds */
};

/* What kv_recover_scan found: read by every shard's kv_recover_replay. */
struct kv_recovery {
	uint64_t snap_seq;         /* the snapshot covers records up to it */
	bool repair;
	bool failed;
	uint64_t hwm[KV_TX_MAX_SHARDS];    /* the snapshot's, per origin */
	struct kv_txpart *parts;   /* sorted by (origin, counter) */
	size_t n_parts, cap_parts;
};

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
	/* A tagged part: its header is filled in at kv_tx_end. */
	s->txn_buf[0] = (char)(s->txn_tagged ? KV_REC_TX : KV_REC_MULTI);
	s->txn_len = s->txn_tagged ? KV_TX_HDR : 1;
}

/* put_le -- n bytes of v, little-endian, at p. */
static void
put_le(char *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (char)(v >> (8 * i));
}

/* get_le -- n bytes little-endian at p. */
static uint64_t
get_le(const char *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)(unsigned char)p[i] << (8 * i);
	return v;
}

/* tag_put -- a part's tag into a KV_REC_TX header. */
static void
tag_put(char *p, const struct kv_txtag *t)
{
	put_le(p + 1, t->origin, 2);
	put_le(p + 3, t->nrec, 2);
	put_le(p + 5, t->counter, 8);
	for (unsigned i = 0; i < KV_TX_MASK_WORDS; i++)
		put_le(p + 13 + 8 * i, t->mask[i], 8);
}

/* tag_get -- the tag of a KV_REC_TX record; false if it is malformed. */
static bool
tag_get(const char *p, size_t len, struct kv_txtag *t)
{
	if (len < KV_TX_HDR || (unsigned char)p[0] != KV_REC_TX)
		return false;
	t->origin = (uint16_t)get_le(p + 1, 2);
	t->nrec = (uint16_t)get_le(p + 3, 2);
	t->counter = get_le(p + 5, 8);
	for (unsigned i = 0; i < KV_TX_MASK_WORDS; i++)
		t->mask[i] = get_le(p + 13 + 8 * i, 8);
	return t->origin < KV_TX_MAX_SHARDS && t->nrec != 0 &&
	       t->counter != 0;
}

void
kv_propagate_end(struct kv_shard *s)
{
	if (s->txn_depth == 0 || --s->txn_depth > 0)
		return;
	if (s->txn_oom) {
		s->stats.log_full_errors++;
	} else if (s->txn_tag != NULL) {
		/* Always written: it says this shard has its part. */
		tag_put(s->txn_buf, s->txn_tag);
		log_append(s, s->txn_buf, s->txn_len);
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
kv_tx_begin(struct kv_shard *s)
{
	s->txn_tagged = s->txn_depth == 0;
	kv_propagate_begin(s);
}

void
kv_tx_end(struct kv_shard *s, const struct kv_txtag *t)
{
	bool open = s->txn_tagged && s->txn_depth == 1 && s->log != NULL &&
		    !s->replaying && !s->txn_oom;

	if (open && t == NULL) {
		/* No transaction after all: a plain record, or none. */
		memmove(s->txn_buf + 1, s->txn_buf + KV_TX_HDR,
			s->txn_len - KV_TX_HDR);
		s->txn_buf[0] = (char)KV_REC_MULTI;
		s->txn_len -= KV_TX_HDR - 1;
	}
	s->txn_tag = open && t != NULL && t->origin < KV_TX_MAX_SHARDS ? t :
		     NULL;
	kv_propagate_end(s);
	s->txn_tag = NULL;
	s->txn_tagged = false;
	/* Applied here, logged or not (out of memory, log full): a later
	 * cut takes it into the snapshot, whose mark must then cover it. */
	if (t != NULL && t->origin < KV_TX_MAX_SHARDS &&
	    t->counter > s->tx_hwm[t->origin])
		s->tx_hwm[t->origin] = t->counter;
}

uint64_t
kv_tx_id(struct kv_shard *s)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	uint64_t ns = (uint64_t)now.tv_sec * 1000000000ULL +
		      (uint64_t)now.tv_nsec;
	s->tx_last = ns > s->tx_last ? ns : s->tx_last + 1;
	return s->tx_last;
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
	uint64_t tx_skipped;    /* transaction parts some participant lacks */
	struct kv_shard *const *peers;     /* shard i is peers[i] */
	unsigned n_peers;
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
 * replay_multi -- a transaction record whose effects start hdr bytes in:
 * check every effect (at least min), then apply them all. Returns 0 or
 * -1.
 */
static int
replay_multi(struct replay_ctx *x, const char *rec, size_t len, size_t hdr,
	     unsigned min)
{
	const char *p, *end = rec + len, *part;
	size_t plen;
	unsigned db, n = 0;
	bool bad;
	int argc;

	for (p = rec + hdr; multi_next(&p, end, &part, &plen, &bad); n++)
		if (parse_effect(x, part, plen, &db, &argc) == NULL)
			return -1;
	if (bad || n < min)
		return -1;
	for (p = rec + hdr; multi_next(&p, end, &part, &plen, &bad);) {
		struct kv_arg *argv = parse_effect(x, part, plen, &db, &argc);
		if (kv_replay_command(x->s, db, argc, argv) != 0)
			return -1;
	}
	return 0;
}

static bool tx_complete(const struct replay_ctx *x, const struct kv_txtag *t);

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
		if (replay_multi(x, p, len, 1, 2) != 0)
			goto bad;
	} else if (len >= 1 && (unsigned char)p[0] == KV_REC_TX) {
		struct kv_txtag t;
		if (!tag_get(p, len, &t))
			goto bad;
		if (!tx_complete(x, &t)) {
			x->tx_skipped++;
			return 0;
		}
		if (replay_multi(x, p, len, KV_TX_HDR, 0) != 0)
			goto bad;
		if (t.counter > x->s->tx_hwm[t.origin])
			x->s->tx_hwm[t.origin] = t.counter;
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

/* part_cmp -- qsort/bsearch order of parts: origin, then counter. */
static int
part_cmp(const void *a, const void *b)
{
	const struct kv_txpart *x = a, *y = b;

	if (x->origin != y->origin)
		return x->origin < y->origin ? -1 : 1;
	return x->counter < y->counter ? -1 : x->counter > y->counter;
}

/* scan_one -- pm_log_replay callback of the scan: note tagged parts. */
static int
scan_one(void *arg, uint64_t seq, const void *rec, uint32_t len)
{
	struct kv_recovery *r = arg;
	struct kv_txtag t;

	if (seq <= r->snap_seq || len < 1 ||
	    *(const unsigned char *)rec != KV_REC_TX)
		return 0;
	if (!tag_get(rec, len, &t))
		return 0;          /* the replay refuses it, with its number */
	if (r->n_parts == r->cap_parts) {
		size_t cap = r->cap_parts ? r->cap_parts * 2 : 64;
		struct kv_txpart *p = realloc(r->parts, cap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		r->parts = p;
		r->cap_parts = cap;
	}
	r->parts[r->n_parts++] = (struct kv_txpart){
		.counter = t.counter, .origin = t.origin, .nrec = t.nrec,
		.seen = 1 };
	return 0;
}

int
kv_recover_scan(struct kv_shard *s, bool repair, char *err, size_t errlen)
{
	struct kv_recovery *r;
	struct pm_replay_stats st;
	int rc;

	kv_recover_free(s);
	if (s->log == NULL)
		return 0;
	r = s->rec = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->repair = repair;
	r->failed = true;
	rc = kv_snapshot_load(s, &r->snap_seq, err, errlen);
	if (rc != 0)
		return rc;
	rc = pm_log_replay(s->log, scan_one, r, repair, &st, err, errlen);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (rc != 0)
		return rc;
	/* One entry per part, with how many of its records are here. */
	if (r->n_parts > 1)
		qsort(r->parts, r->n_parts, sizeof(*r->parts), part_cmp);
	size_t n = 0;
	for (size_t i = 0; i < r->n_parts; i++) {
		if (n > 0 && part_cmp(&r->parts[n - 1], &r->parts[i]) == 0)
			r->parts[n - 1].seen++;
		else
			r->parts[n++] = r->parts[i];
	}
	r->n_parts = n;
	memcpy(r->hwm, s->tx_hwm, sizeof(r->hwm));
	r->failed = false;
	return 0;
}

/*
 * has_part -- whether shard p has its whole part of transaction t: all
 * its records in its log, or the counter covered by its snapshot (parts
 * from one origin reach a shard in counter order, and none is held
 * locked across a cut).
 */
static bool
has_part(const struct kv_shard *p, const struct kv_txtag *t)
{
	const struct kv_recovery *r = p != NULL ? p->rec : NULL;

	if (r == NULL || r->failed)
		return false;
	if (t->counter <= r->hwm[t->origin])
		return true;
	struct kv_txpart key = { .origin = t->origin, .counter = t->counter };
	const struct kv_txpart *f = r->n_parts == 0 ? NULL :
		bsearch(&key, r->parts, r->n_parts, sizeof(*r->parts),
			part_cmp);
	return f != NULL && f->seen >= f->nrec;
}

/* tx_complete -- whether every participant of t has its part. */
static bool
tx_complete(const struct replay_ctx *x, const struct kv_txtag *t)
{
	for (unsigned i = 0; i < KV_TX_MAX_SHARDS; i++) {
		if (!kv_txtag_has(t, i))
			continue;
		if (i >= x->n_peers || !has_part(x->peers[i], t))
			return false;
	}
	return true;
}

/*
 * origin_floor -- the highest counter of origin o any shard knows of: the
 * next one this shard gives as an origin must be above it.
 */
static uint64_t
origin_floor(struct kv_shard *const *peers, unsigned n, unsigned o)
{
	uint64_t m = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct kv_recovery *r = peers[i] ? peers[i]->rec : NULL;
		if (r == NULL)
			continue;
		m = RTE_MAX(m, r->hwm[o]);
		for (size_t j = 0; j < r->n_parts; j++)
			if (r->parts[j].origin == o)
				m = RTE_MAX(m, r->parts[j].counter);
	}
	return m;
}

int
kv_recover_replay(struct kv_shard *s, struct kv_shard *const *peers,
		  unsigned n, uint64_t *skipped, char *err, size_t errlen)
{
	struct replay_ctx *x;
	struct pm_replay_stats st;
	int rc;

	*skipped = 0;
	if (s->log == NULL)
		return 0;
	if (s->rec == NULL || s->rec->failed) {
		snprintf(err, errlen, "the log was not scanned");
		return -EINVAL;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	x->s = s;
	x->peers = peers;
	x->n_peers = n;
	x->snap_seq = s->rec->snap_seq;
	clock_gettime(CLOCK_MONOTONIC, &x->start);
	if (s->core < KV_TX_MAX_SHARDS)
		s->tx_last = RTE_MAX(s->tx_last,
				     origin_floor(peers, n, s->core));
	s->replaying = true;
	kv_now_refresh(s);
	rc = pm_log_replay(s->log, replay_one, x, s->rec->repair, &st, err,
			   errlen);
	s->replaying = false;
	if (rc == -EPROTO)
		snprintf(err, errlen, "log record %llu is not a valid effect",
			 (unsigned long long)x->bad_seq);
	else if (rc == 0)
		rte_log(RTE_LOG_NOTICE, kv_logtype, "worker %u replayed %llu "
			"records (%llu bytes, %llu already in the snapshot, "
			"%llu parts of cross-shard transactions skipped: a "
			"participant lacks its part) in %.3f s, %llu torn "
			"bytes discarded\n",
			s->core, (unsigned long long)st.records,
			(unsigned long long)st.bytes,
			(unsigned long long)x->skipped,
			(unsigned long long)x->tx_skipped, st.seconds,
			(unsigned long long)st.torn_bytes);
	/*
	 * A snapshot cut the log but did not complete (both logs hold
	 * records), or the log ends before the snapshot (a repair dropped
	 * records), or parts were skipped (they must never be judged
	 * again, when the other shards' logs have moved on): a new
	 * snapshot of what was recovered starts clean.
	 */
	if (rc == 0 && (pm_log_both_in_use(s->log) ||
			pm_log_last_seq(s->log) < x->snap_seq ||
			x->tx_skipped != 0))
		rc = kv_snapshot_run(s, err, errlen);
	*skipped = x->tx_skipped;
	free(x->big);
	free(x);
	return rc;
}

void
kv_recover_free(struct kv_shard *s)
{
	if (s->rec == NULL)
		return;
	free(s->rec->parts);
	free(s->rec);
	s->rec = NULL;
}

int
kv_recover(struct kv_shard *s, bool repair, char *err, size_t errlen)
{
	struct kv_shard *peers[KV_TX_MAX_SHARDS] = { NULL };
	uint64_t skipped;
	int rc = kv_recover_scan(s, repair, err, errlen);

	if (s->core < KV_TX_MAX_SHARDS)
		peers[s->core] = s;
	if (rc == 0)
		rc = kv_recover_replay(s, peers, s->core < KV_TX_MAX_SHARDS ?
				       s->core + 1 : 0, &skipped, err, errlen);
	kv_recover_free(s);
	return rc;
}
