/*
 * pm_log.c -- a per-core log of checksummed records on persistent memory.
 *
 * Region layout (fixed-width little-endian fields; docs/persistence.md):
 *
 *   0     header: magic, version, layout, core, size, the start of each
 *         of the two logs, the first sequence number of each
 *   64    commit word of log 0, alone on its cache line: bits 0-47 the
 *         offset of the end of its committed records, bits 48-63 its
 *         generation
 *   128   commit word of log 1, likewise
 *   4096  log 0, then log 1 from its start to the end of the region:
 *         records { u32 len, u32 crc, u64 seq, payload, pad to 8 }
 *
 * Records are appended to one log at a time, the current one. A snapshot
 * switches appends to the other (empty) log; once the snapshot is
 * durable, the log it covers is reset (pm_log_reclaim). Sequence numbers
 * run on across both logs, so recovery replays the older log, then the
 * newer.
 *
 * A record's CRC32C covers its seq, len and payload and is seeded with the
 * CRC of the record before it (the first record of a generation: a value
 * derived from the generation). Records thus form a chain: bytes left
 * from an earlier generation, or from a tail that recovery discarded,
 * cannot pass for the successor of a current record.
 *
 * Order of persistence (PMDK's): records are copied without a drain, one
 * drain makes a group durable, and only then does the commit word move.
 * Generation and tail share that one 8-byte word so that a reset is a
 * single atomic store.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpmem.h>

#include "pm.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the region layout is little-endian: add byte swaps");

#define PM_MAGIC      0x31474f4c4d505052ULL /* "RPPMLOG1" */
#define PM_VERSION    3
#define PM_LAYOUT     2                     /* header + two logs */
#define PM_LOGS       2
#define PM_LOG_START  4096ULL
#define PM_MIN_SIZE   (PM_LOG_START + 4096)
#define PM_REC_HDR    16ULL
#define PM_OFF_BITS   48
#define PM_OFF_MASK   ((1ULL << PM_OFF_BITS) - 1)
#define PM_CHAIN_SEED 0x52504c47u           /* xor the generation */
#define PM_ALIGN8(x)  (((uint64_t)(x) + 7) & ~7ULL)

struct pm_header {
	uint64_t magic;
	uint32_t version;
	uint32_t layout;
	uint32_t core;
	uint32_t reserved0;
	uint64_t size;          /* bytes of the region file */
	uint64_t log_start[PM_LOGS];  /* offset of each log's first record */
	uint64_t first_seq[PM_LOGS];  /* sequence number after its reset */
	struct {
		uint64_t word;  /* tail offset | generation << 48 */
		uint64_t pad[7];
	} commit[PM_LOGS];
};

_Static_assert(offsetof(struct pm_header, commit) == 64,
	       "each commit word starts its own cache line");
_Static_assert(sizeof(struct pm_header) == 192, "header is three lines");

struct pm_rec {
	uint32_t len;
	uint32_t crc;
	uint64_t seq;
};

_Static_assert(sizeof(struct pm_rec) == PM_REC_HDR, "record header");

/* How bytes reach the media, chosen once at open. */
struct pm_ops {
	/* copy into the mapping, flushed where that applies, not drained */
	void *(*copy)(void *dst, const void *src, size_t len);
	/* make what copy wrote in [addr, addr + len) durable */
	void (*sync)(const void *addr, size_t len);
	/* make a small field just stored durable */
	void (*persist)(const void *addr, size_t len);
	const char *name;
};

/* One of the two logs of a region. */
struct pm_half {
	unsigned idx;           /* 0 or 1: its header fields */
	uint64_t start, end;    /* its bytes in the region */
	uint64_t tail;          /* end of the appended records */
	uint64_t committed;     /* tail offset in the commit word */
	uint64_t n_tail;        /* records up to tail */
	uint64_t n_committed;   /* records up to committed */
	uint64_t last_seq;      /* sequence number of its last record */
	uint32_t prev_crc;      /* seed of the next record's CRC */
	uint16_t gen;
};

struct pm_log {
	char *base;
	uint64_t size;
	struct pm_half half[PM_LOGS];
	struct pm_half *cur;    /* the log appends go to */
	uint64_t next_seq;
	uint64_t drains;        /* commits that made records durable */
	bool replayed;
	struct pm_ops ops;
	struct pm_header *hdr;
	bool is_pmem;
	char *path;
};

/* drain_range -- pmem: the copies were flushed; wait for them. */
static void
drain_range(const void *addr, size_t len)
{
	(void)addr;
	(void)len;
	pmem_drain();
}

/*
 * msync_range -- file mapping: write the range back. pmem_msync fails
 * only for ranges outside the mapping, which callers never pass.
 */
static void
msync_range(const void *addr, size_t len)
{
	pmem_msync(addr, len);
}

static const struct pm_ops pm_ops_pmem = {
	.copy = pmem_memcpy_nodrain,
	.sync = drain_range,
	.persist = pmem_persist,
	.name = "cache lines",
};

static const struct pm_ops pm_ops_msync = {
	.copy = memcpy,
	.sync = msync_range,
	.persist = msync_range,
	.name = "msync",
};

/* commit_word -- pack a tail offset and a generation. */
static inline uint64_t
commit_word(uint64_t off, uint16_t gen)
{
	return off | (uint64_t)gen << PM_OFF_BITS;
}

/* gen_seed -- CRC seed of the first record of a generation. */
static inline uint32_t
gen_seed(uint16_t gen)
{
	return PM_CHAIN_SEED ^ gen;
}

/* rec_crc -- CRC32C of seq, len and payload, seeded with seed. */
static inline uint32_t
rec_crc(uint32_t seed, uint64_t seq, uint32_t len, const void *payload)
{
	uint32_t crc = pm_crc32c(seed, &seq, sizeof(seq));

	crc = pm_crc32c(crc, &len, sizeof(len));
	return pm_crc32c(crc, payload, len);
}

/* rec_size -- bytes a record of len payload bytes takes in the log. */
static inline uint64_t
rec_size(uint32_t len)
{
	return PM_REC_HDR + PM_ALIGN8(len);
}

/* set_commit -- store and persist a log's commit word. */
static void
set_commit(struct pm_log *log, struct pm_half *h, uint64_t off)
{
	uint64_t *w = &log->hdr->commit[h->idx].word;

	*w = commit_word(off, h->gen);
	log->ops.persist(w, sizeof(*w));
}

/* zero_rec_header -- durably clear the record header at off, if any. */
static void
zero_rec_header(struct pm_log *log, const struct pm_half *h, uint64_t off)
{
	if (h->end - off < PM_REC_HDR)
		return;
	memset(log->base + off, 0, PM_REC_HDR);
	log->ops.persist(log->base + off, PM_REC_HDR);
}

/* sync_dir -- fsync the directory holding path (after a rename). */
static int
sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* second_start -- where the second log of a region of size bytes starts. */
static uint64_t
second_start(uint64_t size)
{
	return PM_LOG_START + ((size - PM_LOG_START) / 2 & ~4095ULL);
}

/*
 * region_create -- write a new, empty region at path. It is built under
 * "path.new" and renamed into place, so that a file at path is always a
 * whole region (or not ours): open never has to guess whether a zero
 * header is a half-made region or foreign data.
 */
static int
region_create(const char *path, uint64_t size, unsigned core, char *err,
	      size_t errlen)
{
	char tmp[PATH_MAX];
	struct pm_header *h;
	size_t mapped;
	int is_pmem, rc;

	if (size < PM_MIN_SIZE || size > PM_OFF_MASK) {
		snprintf(err, errlen, "%s: pmem size %llu out of range "
			 "(%llu bytes to 256 TiB)", path,
			 (unsigned long long)size,
			 (unsigned long long)PM_MIN_SIZE);
		return -EINVAL;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >=
	    sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	unlink(tmp);
	h = pmem_map_file(tmp, size, PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0600,
			  &mapped, &is_pmem);
	if (h == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot create: %s", tmp,
			 pmem_errormsg());
		return rc;
	}
	/* The new file reads as zeros: an empty log, a zero first header. */
	h->version = PM_VERSION;
	h->layout = PM_LAYOUT;
	h->core = core;
	h->size = mapped;
	h->log_start[0] = PM_LOG_START;
	h->log_start[1] = second_start(mapped);
	for (unsigned i = 0; i < PM_LOGS; i++) {
		h->first_seq[i] = 1;
		h->commit[i].word = commit_word(h->log_start[i], 0);
	}
	h->magic = PM_MAGIC;
	(is_pmem ? pm_ops_pmem : pm_ops_msync).persist(h, sizeof(*h));
	pmem_unmap(h, mapped);
	if (rename(tmp, path) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot rename %s: %s", path, tmp,
			 strerror(errno));
		unlink(tmp);
		return rc;
	}
	rc = sync_dir(path);
	if (rc != 0)
		snprintf(err, errlen, "%s: cannot sync its directory: %s",
			 path, strerror(-rc));
	return rc;
}

/* header_check -- validate a mapped region's header against core. */
static int
header_check(const struct pm_log *log, unsigned core, char *err,
	     size_t errlen)
{
	const struct pm_header *h = log->hdr;
	const char *path = log->path;

	if (log->size < sizeof(*h)) {
		snprintf(err, errlen, "%s: not a redpoll region (%llu bytes)",
			 path, (unsigned long long)log->size);
		return -EINVAL;
	}
	if (h->magic != PM_MAGIC) {
		snprintf(err, errlen, "%s: not a redpoll region (bad magic)",
			 path);
		return -EINVAL;
	}
	if (h->version != PM_VERSION || h->layout != PM_LAYOUT) {
		snprintf(err, errlen, "%s: region format version %u layout "
			 "%u, this redpoll reads version %u layout %u", path,
			 h->version, h->layout, PM_VERSION, PM_LAYOUT);
		return -EINVAL;
	}
	if (h->core != core) {
		snprintf(err, errlen, "%s: region belongs to core %u, not %u",
			 path, h->core, core);
		return -EINVAL;
	}
	for (unsigned i = 0; i < PM_LOGS; i++) {
		uint64_t start = i == 0 ? PM_LOG_START :
				 second_start(log->size);
		uint64_t end = i == 0 ? start + (second_start(log->size) -
						 PM_LOG_START) : log->size;
		uint64_t tail = h->commit[i].word & PM_OFF_MASK;

		if (h->size == log->size && h->log_start[i] == start &&
		    tail >= start && tail <= end && tail % 8 == 0)
			continue;
		snprintf(err, errlen, "%s: header offsets out of bounds (size "
			 "%llu, file %llu, log %u start %llu, commit %llu)",
			 path, (unsigned long long)h->size,
			 (unsigned long long)log->size, i,
			 (unsigned long long)h->log_start[i],
			 (unsigned long long)tail);
		return -EINVAL;
	}
	return 0;
}

struct pm_log *
pm_log_open(const char *path, uint64_t size, unsigned core, char *err,
	    size_t errlen)
{
	struct pm_log *log = NULL;
	size_t mapped;
	int is_pmem;
	char *base;

	/* An existing region keeps its size: map it whole (len 0). */
	base = pmem_map_file(path, 0, 0, 0, &mapped, &is_pmem);
	if (base == NULL && errno == ENOENT) {
		if (region_create(path, size, core, err, errlen) != 0)
			return NULL;
		base = pmem_map_file(path, 0, 0, 0, &mapped, &is_pmem);
	}
	if (base == NULL) {
		snprintf(err, errlen, "%s: cannot map: %s", path,
			 pmem_errormsg());
		return NULL;
	}
	log = calloc(1, sizeof(*log));
	if (log == NULL || (log->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	log->base = base;
	log->size = mapped;
	log->hdr = (struct pm_header *)base;
	/* is_pmem is pmem_is_pmem()'s verdict on the whole mapping. */
	log->is_pmem = is_pmem != 0;
	log->ops = is_pmem ? pm_ops_pmem : pm_ops_msync;
	if (header_check(log, core, err, errlen) != 0)
		goto fail;
	for (unsigned i = 0; i < PM_LOGS; i++) {
		struct pm_half *hf = &log->half[i];
		uint64_t w = log->hdr->commit[i].word;

		hf->idx = i;
		hf->start = log->hdr->log_start[i];
		hf->end = i + 1 < PM_LOGS ? log->hdr->log_start[i + 1] :
			  log->size;
		hf->committed = hf->tail = w & PM_OFF_MASK;
		hf->gen = (uint16_t)(w >> PM_OFF_BITS);
	}
	log->cur = &log->half[0];
	fprintf(stderr, "pmem: %s mapped %zu bytes, real pmem: %s (flush: "
		"%s)\n", path, mapped, is_pmem ? "yes" : "no", log->ops.name);
	return log;

fail:
	if (log != NULL)
		free(log->path);
	free(log);
	pmem_unmap(base, mapped);
	return NULL;
}

void
pm_log_close(struct pm_log *log)
{
	if (log == NULL)
		return;
	pm_log_commit(log);
	pmem_unmap(log->base, log->size);
	free(log->path);
	free(log);
}

int
pm_log_append(struct pm_log *log, const void *rec, uint32_t len)
{
	struct pm_half *hf = log->cur;
	uint64_t need = rec_size(len);
	struct pm_rec h;
	char *dst;

	if (len == 0)
		return -EINVAL;
	if (!log->replayed)
		return -EBUSY;
	if (need > hf->end - hf->tail)
		return -ENOSPC;
	h.len = len;
	h.seq = log->next_seq;
	h.crc = rec_crc(hf->prev_crc, h.seq, len, rec);
	dst = log->base + hf->tail;
	log->ops.copy(dst + PM_REC_HDR, rec, len);
	log->ops.copy(dst, &h, sizeof(h));
	hf->tail += need;
	hf->last_seq = h.seq;
	log->next_seq++;
	hf->prev_crc = h.crc;
	hf->n_tail++;
	return 0;
}

void
pm_log_commit(struct pm_log *log)
{
	static const uint8_t zero[PM_REC_HDR];
	struct pm_half *hf = log->cur;
	uint64_t end = hf->tail;

	if (hf->tail == hf->committed)
		return;
	/*
	 * A zero header after the last record marks the clean end of the
	 * log, so that recovery tells a torn tail from an ended one.
	 */
	if (hf->end - hf->tail >= PM_REC_HDR) {
		log->ops.copy(log->base + hf->tail, zero, PM_REC_HDR);
		end += PM_REC_HDR;
	}
	log->ops.sync(log->base + hf->committed, end - hf->committed);
	set_commit(log, hf, hf->tail);
	hf->committed = hf->tail;
	hf->n_committed = hf->n_tail;
	log->drains++;
}

uint64_t
pm_log_drains(const struct pm_log *log)
{
	return log->drains;
}

bool
pm_log_pending(const struct pm_log *log)
{
	return log->cur->tail != log->cur->committed;
}

uint64_t
pm_log_free_bytes(const struct pm_log *log)
{
	uint64_t room = log->cur->end - log->cur->tail;

	return room > PM_REC_HDR ? (room - PM_REC_HDR) & ~7ULL : 0;
}

uint64_t
pm_log_used_bytes(const struct pm_log *log)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < PM_LOGS; i++)
		n += log->half[i].committed - log->half[i].start;
	return n;
}

uint64_t
pm_log_cur_used_bytes(const struct pm_log *log)
{
	return log->cur->tail - log->cur->start;
}

uint64_t
pm_log_cur_size(const struct pm_log *log)
{
	return log->cur->end - log->cur->start;
}

uint64_t
pm_log_records(const struct pm_log *log)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < PM_LOGS; i++)
		n += log->half[i].n_committed;
	return n;
}

uint64_t
pm_log_last_seq(const struct pm_log *log)
{
	return log->next_seq - 1;
}

bool
pm_log_is_pmem(const struct pm_log *log)
{
	return log->is_pmem;
}

/*
 * rec_at -- the record at off of a log if it is intact: its length
 * inside the log, its sequence number want_seq (any for the first record),
 * its CRC right under seed. NULL otherwise.
 */
static const struct pm_rec *
rec_at(const struct pm_log *log, const struct pm_half *hf, uint64_t off,
       uint32_t seed, bool first, uint64_t want_seq)
{
	const struct pm_rec *r;

	if (hf->end - off < PM_REC_HDR)
		return NULL;
	r = (const struct pm_rec *)(log->base + off);
	if (r->len == 0 || rec_size(r->len) > hf->end - off)
		return NULL;
	if (!first && r->seq != want_seq)
		return NULL;
	if (r->crc != rec_crc(seed, r->seq, r->len, r + 1))
		return NULL;
	return r;
}

/*
 * bad_extent -- bytes of the non-intact record at off: 0 for a clean end
 * (a zero header, or no room for one), its length if that is plausible,
 * else its header.
 */
static uint64_t
bad_extent(const struct pm_log *log, const struct pm_half *hf, uint64_t off)
{
	static const uint8_t zero[PM_REC_HDR];
	const struct pm_rec *r = (const struct pm_rec *)(log->base + off);

	if (hf->end - off < PM_REC_HDR ||
	    memcmp(r, zero, PM_REC_HDR) == 0)
		return 0;
	if (r->len != 0 && rec_size(r->len) <= hf->end - off)
		return rec_size(r->len);
	return PM_REC_HDR;
}

/* elapsed -- seconds since t0. */
static double
elapsed(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * first_seq_of -- the sequence number of a log's first record, or 0 when
 * the log holds no intact first record.
 */
static uint64_t
first_seq_of(const struct pm_log *log, const struct pm_half *hf)
{
	const struct pm_rec *r = rec_at(log, hf, hf->start, gen_seed(hf->gen),
					true, 0);

	return r != NULL ? r->seq : 0;
}

/* What replaying one log found, and where it continues. */
struct replay_state {
	uint64_t records, bytes, last_seq, torn;
};

/*
 * replay_half -- follow one log's chain, hand its records to cb, then
 * settle its end: the corrupt-in-the-middle check against its commit
 * word, the torn tail, the new commit word. want_first is the sequence
 * number its first record must carry (0: any).
 */
static int
replay_half(struct pm_log *log, struct pm_half *hf, uint64_t want_first,
	    int (*cb)(void *ctx, uint64_t seq, const void *rec, uint32_t len),
	    void *ctx, bool repair, struct replay_state *st, char *err,
	    size_t errlen)
{
	uint64_t commit = hf->committed, off = hf->start, n = 0;
	uint64_t bytes = 0, last_seq = want_first ? want_first - 1 : 0, torn;
	uint32_t seed = gen_seed(hf->gen);
	const struct pm_rec *r;
	int rc;

	/*
	 * Follow the chain as far as it is intact, past the commit point
	 * too: records there were written in full before a crash and may
	 * have been durable.
	 */
	while ((r = rec_at(log, hf, off, seed, n == 0 && want_first == 0,
			   last_seq + 1)) != NULL) {
		if (cb != NULL) {
			rc = cb(ctx, r->seq, r + 1, r->len);
			if (rc != 0)
				return rc;
		}
		n++;
		bytes += r->len;
		last_seq = r->seq;
		seed = r->crc;
		off += rec_size(r->len);
	}
	torn = bad_extent(log, hf, off);
	if (off < commit) {
		/* Committed records are persisted before the commit word
		 * moves: a bad one there is damage, not a torn write. */
		if (!repair) {
			snprintf(err, errlen, "%s: corrupt record at offset "
				 "%llu (record %llu of log %u) in the middle "
				 "of the log, committed up to offset %llu; "
				 "start with pmem-repair to truncate it there",
				 log->path, (unsigned long long)off,
				 (unsigned long long)n + 1, hf->idx,
				 (unsigned long long)commit);
			return -EBADMSG;
		}
		if (off + torn < commit)
			torn = commit - off;
		fprintf(stderr, "pmem: %s: repair: log %u truncated at offset "
			"%llu, %llu bytes dropped\n", log->path, hf->idx,
			(unsigned long long)off, (unsigned long long)torn);
	} else {
		if (torn != 0)
			fprintf(stderr, "pmem: %s: discarded a torn tail of "
				"%llu bytes at offset %llu\n", log->path,
				(unsigned long long)torn,
				(unsigned long long)off);
		if (off > commit)
			log->ops.sync(log->base + commit, off - commit);
	}
	/* The new end first, then clear the bad header after it: a crash
	 * in between leaves a torn tail past the commit point, which the
	 * next recovery discards the same way. */
	if (off != commit)
		set_commit(log, hf, off);
	if (torn != 0)
		zero_rec_header(log, hf, off);
	hf->tail = hf->committed = off;
	hf->n_tail = hf->n_committed = n;
	hf->last_seq = n != 0 ? last_seq : 0;
	hf->prev_crc = seed;
	st->records += n;
	st->bytes += bytes;
	st->torn += torn;
	if (n != 0)
		st->last_seq = last_seq;
	return 0;
}

/*
 * half_reset -- drop every record of one log: bump its generation in the
 * one atomic store of its commit word (docs/persistence.md, "Reclaim").
 */
static void
half_reset(struct pm_log *log, struct pm_half *hf)
{
	uint64_t *first = &log->hdr->first_seq[hf->idx];

	/*
	 * first_seq only keeps sequence numbers growing across resets; it
	 * is written before the switch and not read while the log holds
	 * records. The commit word (start offset, next generation) is the
	 * atomic step: before it the log is whole, after it its old first
	 * record fails the new generation's seed and so does every record
	 * chained to it. Clearing the old first header afterwards only
	 * spares the next recovery a torn tail report.
	 */
	*first = log->next_seq;
	log->ops.persist(first, sizeof(*first));
	hf->gen++;
	set_commit(log, hf, hf->start);
	zero_rec_header(log, hf, hf->start);
	hf->tail = hf->committed = hf->start;
	hf->n_tail = hf->n_committed = 0;
	hf->last_seq = 0;
	hf->prev_crc = gen_seed(hf->gen);
}

int
pm_log_replay(struct pm_log *log,
	      int (*cb)(void *ctx, uint64_t seq, const void *rec,
			uint32_t len),
	      void *ctx, bool repair, struct pm_replay_stats *stats,
	      char *err, size_t errlen)
{
	struct pm_half *older = &log->half[0], *newer = &log->half[1];
	uint64_t s0 = first_seq_of(log, older), s1 = first_seq_of(log, newer);
	struct replay_state st = { 0 };
	bool drop_newer = false;
	struct timespec t0;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Sequence numbers run on across the logs: the older one first. */
	if (s1 != 0 && (s0 == 0 || s1 < s0)) {
		older = &log->half[1];
		newer = &log->half[0];
		s1 = s0;
	}
	rc = replay_half(log, older, 0, cb, ctx, repair, &st, err, errlen);
	if (rc != 0)
		return rc;
	if (s1 != 0 && older->n_committed != 0 &&
	    s1 != older->last_seq + 1) {
		if (!repair) {
			snprintf(err, errlen, "%s: log %u starts at record "
				 "%llu but log %u ends at record %llu: records "
				 "are missing between them; start with "
				 "pmem-repair to drop log %u", log->path,
				 newer->idx, (unsigned long long)s1,
				 older->idx,
				 (unsigned long long)older->last_seq,
				 newer->idx);
			return -EBADMSG;
		}
		fprintf(stderr, "pmem: %s: repair: log %u dropped (it does not "
			"follow log %u)\n", log->path, newer->idx, older->idx);
		drop_newer = true;
	} else {
		rc = replay_half(log, newer, older->n_committed != 0 ?
				 older->last_seq + 1 : 0, cb, ctx, repair,
				 &st, err, errlen);
		if (rc != 0)
			return rc;
	}
	log->replayed = true;
	/* A record follows its predecessor's number; an empty region goes
	 * on from the numbers its resets recorded. */
	log->next_seq = 1;
	if (st.records != 0)
		log->next_seq = st.last_seq + 1;
	else
		for (unsigned i = 0; i < PM_LOGS; i++)
			if (log->hdr->first_seq[i] > log->next_seq)
				log->next_seq = log->hdr->first_seq[i];
	if (drop_newer)
		half_reset(log, newer);
	log->cur = newer->n_committed != 0 ? newer : older;
	stats->records = st.records;
	stats->bytes = st.bytes;
	stats->last_seq = st.last_seq;
	stats->torn_bytes = st.torn;
	stats->seconds = elapsed(&t0);
	return 0;
}

int
pm_log_switch(struct pm_log *log, uint64_t *last_seq)
{
	struct pm_half *other = &log->half[log->cur == &log->half[0]];

	if (!log->replayed)
		return -EBUSY;
	pm_log_commit(log);
	*last_seq = log->next_seq - 1;
	if (other->tail != other->start)
		return -EBUSY;
	log->cur = other;
	return 0;
}

bool
pm_log_both_in_use(const struct pm_log *log)
{
	return log->half[0].tail != log->half[0].start &&
	       log->half[1].tail != log->half[1].start;
}

void
pm_log_reclaim(struct pm_log *log, uint64_t upto_seq)
{
	for (unsigned i = 0; i < PM_LOGS; i++) {
		struct pm_half *hf = &log->half[i];
		if (hf->tail != hf->start && hf->last_seq <= upto_seq)
			half_reset(log, hf);
	}
}
