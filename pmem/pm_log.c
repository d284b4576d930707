/*
 * pm_log.c -- a per-core log of checksummed records on persistent memory.
 *
 * Layout of a region (all fields little-endian, fixed width):
 *
 *   0     header: magic, version, layout, core, generation, size,
 *         log start, first sequence number
 *   64    commit field: offset of the end of the committed log (8 bytes,
 *         alone on its cache line, updated only after the records before
 *         it are persistent)
 *   4096  records: { u32 len, u32 crc, u64 seq, payload, pad to 8 }
 *
 * The CRC32C covers seq, len and the payload and is seeded with the
 * generation, so that records left over from before a reset never pass
 * for current ones. Order of persistence follows PMDK: copy without
 * drain, then one drain per group commit, then the commit field.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpmem.h>

#ifdef __SSE4_2__
#include <nmmintrin.h>
#endif

#include "pm.h"

#define PM_MAGIC      0x31474f4c4d505052ULL /* "RPPMLOG1" */
#define PM_VERSION    1
#define PM_LAYOUT     1
#define PM_LOG_START  4096
#define PM_REC_HDR    16
#define PM_ALIGN(x)   (((x) + 7) & ~(uint64_t)7)

struct pm_header {
	uint64_t magic;
	uint32_t version;
	uint32_t layout;
	uint32_t core;
	uint32_t reserved;
	uint64_t generation;
	uint64_t size;
	uint64_t log_start;
	uint64_t first_seq;
	uint8_t pad[64 - 56];
	uint64_t commit;              /* offset 64: its own cache line */
};

struct pm_rec {
	uint32_t len;
	uint32_t crc;
	uint64_t seq;
};

struct pm_log {
	char *base;
	size_t size;
	int is_pmem;
	struct pm_header *hdr;
	uint64_t tail;          /* end of the appended records */
	uint64_t committed;     /* = hdr->commit */
	uint64_t next_seq;
	uint64_t records;
	int replayed;
	void (*persist)(const void *addr, size_t len);
	void (*flush)(const void *addr, size_t len);
	void (*drain)(void);
};

/* persist/flush/drain pairs chosen once at open. */
static void
msync_persist(const void *addr, size_t len)
{
	pmem_msync(addr, len);
}

static void
no_flush(const void *addr, size_t len)
{
	(void)addr;
	(void)len;
}

static void
no_drain(void)
{
}

static uint32_t crc_table[256];

/* crc_table_init -- the reflected CRC32C table (polynomial 0x82F63B78). */
static void
crc_table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[i] = c;
	}
}

/* crc32c_sw -- table-driven CRC32C, without pre/post inversion. */
static uint32_t
crc32c_sw(uint32_t crc, const uint8_t *p, size_t len)
{
	if (crc_table[1] == 0)
		crc_table_init();
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

uint32_t
pm_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	crc = ~crc;
#ifdef __SSE4_2__
	while (len >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		crc = (uint32_t)_mm_crc32_u64(crc, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = _mm_crc32_u8(crc, *p++);
#else
	crc = crc32c_sw(crc, p, len);
#endif
	return ~crc;
}

/* pm_crc32c_sw -- the portable path, for tests that compare both. */
uint32_t pm_crc32c_sw(uint32_t crc, const void *buf, size_t len);
uint32_t
pm_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	return ~crc32c_sw(~crc, buf, len);
}

/* rec_crc -- checksum of a record, seeded with the generation. */
static uint32_t
rec_crc(uint64_t gen, uint64_t seq, uint32_t len, const void *payload)
{
	uint32_t crc = pm_crc32c((uint32_t)gen ^ (uint32_t)(gen >> 32), &seq,
				 sizeof(seq));
	crc = pm_crc32c(crc, &len, sizeof(len));
	return pm_crc32c(crc, payload, len);
}

struct pm_log *
pm_log_open(const char *path, uint64_t size, unsigned core, char *err,
	    size_t errlen)
{
	struct pm_log *log = calloc(1, sizeof(*log));
	size_t mapped = 0;
	int is_pmem = 0;

	if (log == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	log->base = pmem_map_file(path, size, PMEM_FILE_CREATE, 0600, &mapped,
				  &is_pmem);
	if (log->base == NULL) {
		snprintf(err, errlen, "%s: cannot map: %s", path,
			 pmem_errormsg());
		free(log);
		return NULL;
	}
	log->size = mapped;
	log->is_pmem = is_pmem;
	if (is_pmem) {
		log->persist = pmem_persist;
		log->flush = pmem_flush;
		log->drain = pmem_drain;
	} else {
		log->persist = msync_persist;
		log->flush = no_flush;
		log->drain = no_drain;
	}
	log->hdr = (struct pm_header *)log->base;
	struct pm_header *h = log->hdr;

	if (mapped < PM_LOG_START + 4096) {
		snprintf(err, errlen, "%s: region of %zu bytes is too small",
			 path, mapped);
		goto fail;
	}
	if (h->magic == 0) {
		/* A new region: header first, magic last. */
		memset(h, 0, sizeof(*h));
		h->version = PM_VERSION;
		h->layout = PM_LAYOUT;
		h->core = core;
		h->generation = 1;
		h->size = mapped;
		h->log_start = PM_LOG_START;
		h->first_seq = 1;
		h->commit = PM_LOG_START;
		memset(log->base + PM_LOG_START, 0, PM_REC_HDR);
		log->persist(log->base + PM_LOG_START, PM_REC_HDR);
		log->persist(h, sizeof(*h));
		h->magic = PM_MAGIC;
		log->persist(&h->magic, sizeof(h->magic));
	} else if (h->magic != PM_MAGIC) {
		snprintf(err, errlen, "%s: not a redpoll region (bad magic)",
			 path);
		goto fail;
	}
	if (h->version != PM_VERSION || h->layout != PM_LAYOUT) {
		snprintf(err, errlen, "%s: region version %u layout %u, this "
			 "redpoll reads version %u layout %u", path, h->version,
			 h->layout, PM_VERSION, PM_LAYOUT);
		goto fail;
	}
	if (h->core != core) {
		snprintf(err, errlen, "%s: region belongs to worker %u, not %u",
			 path, h->core, core);
		goto fail;
	}
	if (h->size != mapped || h->log_start != PM_LOG_START ||
	    h->commit < h->log_start || h->commit > h->size) {
		snprintf(err, errlen, "%s: header offsets out of bounds (size "
			 "%llu, mapped %zu, commit %llu)", path,
			 (unsigned long long)h->size, mapped,
			 (unsigned long long)h->commit);
		goto fail;
	}
	log->tail = log->committed = h->commit;
	log->next_seq = h->first_seq;
	fprintf(stderr, "pmem: %s mapped %zu bytes, real pmem: %s (flush: "
		"%s)\n", path, mapped, is_pmem ? "yes" : "no",
		is_pmem ? "cache lines" : "msync");
	return log;

fail:
	pmem_unmap(log->base, mapped);
	free(log);
	return NULL;
}

void
pm_log_close(struct pm_log *log)
{
	if (log == NULL)
		return;
	pm_log_commit(log);
	pmem_unmap(log->base, log->size);
	free(log);
}

int
pm_log_append(struct pm_log *log, const void *rec, uint32_t len)
{
	uint64_t need = PM_REC_HDR + PM_ALIGN(len);

	if (len == 0)
		return -EINVAL;
	if (log->tail + need > log->size)
		return -ENOSPC;
	struct pm_rec h = {
		.len = len,
		.seq = log->next_seq,
		.crc = rec_crc(log->hdr->generation, log->next_seq, len, rec),
	};
	char *dst = log->base + log->tail;
	if (log->is_pmem) {
		pmem_memcpy_nodrain(dst, &h, sizeof(h));
		pmem_memcpy_nodrain(dst + PM_REC_HDR, rec, len);
	} else {
		memcpy(dst, &h, sizeof(h));
		memcpy(dst + PM_REC_HDR, rec, len);
	}
	log->tail += need;
	log->next_seq++;
	log->records++;
	return 0;
}

void
pm_log_commit(struct pm_log *log)
{
	if (log->tail == log->committed)
		return;
	if (log->is_pmem)
		log->drain();
	else
		log->persist(log->base + log->committed,
			     log->tail - log->committed);
	log->hdr->commit = log->tail;
	log->persist(&log->hdr->commit, sizeof(log->hdr->commit));
	log->committed = log->tail;
}

bool
pm_log_pending(const struct pm_log *log)
{
	return log->tail != log->committed;
}

uint64_t
pm_log_free_bytes(const struct pm_log *log)
{
	uint64_t room = log->size - log->tail;

	return room > PM_REC_HDR ? room - PM_REC_HDR : 0;
}

uint64_t
pm_log_used_bytes(const struct pm_log *log)
{
	return log->committed - PM_LOG_START;
}

uint64_t
pm_log_records(const struct pm_log *log)
{
	return log->records;
}

bool
pm_log_is_pmem(const struct pm_log *log)
{
	return log->is_pmem != 0;
}

/*
 * rec_valid -- whether a record at off is intact: sane length, CRC, and
 * (if want_seq != 0) the expected sequence number.
 */
static bool
rec_valid(const struct pm_log *log, uint64_t off, uint64_t want_seq,
	  const struct pm_rec **out)
{
	if (off + PM_REC_HDR > log->size)
		return false;
	const struct pm_rec *r = (const struct pm_rec *)(log->base + off);
	if (r->len == 0 || r->len > log->size - off - PM_REC_HDR)
		return false;
	if (want_seq != 0 && r->seq != want_seq)
		return false;
	if (r->crc != rec_crc(log->hdr->generation, r->seq, r->len,
			      log->base + off + PM_REC_HDR))
		return false;
	*out = r;
	return true;
}

/*
 * intact_after -- whether any intact record with a later sequence number
 * follows off (before limit): then a bad record at off is corruption in
 * the middle, not a torn tail.
 */
static bool
intact_after(const struct pm_log *log, uint64_t off, uint64_t limit,
	     uint64_t after_seq)
{
	const struct pm_rec *r;

	for (uint64_t o = off + 8; o + PM_REC_HDR <= limit; o += 8)
		if (rec_valid(log, o, 0, &r) && r->seq > after_seq)
			return true;
	return false;
}

/* truncate_at -- make off the end of the log, durably. */
static void
truncate_at(struct pm_log *log, uint64_t off)
{
	if (off + PM_REC_HDR <= log->size) {
		memset(log->base + off, 0, PM_REC_HDR);
		log->persist(log->base + off, PM_REC_HDR);
	}
	log->hdr->commit = off;
	log->persist(&log->hdr->commit, sizeof(log->hdr->commit));
	log->tail = log->committed = off;
}

int
pm_log_replay(struct pm_log *log,
	      int (*cb)(void *ctx, uint64_t seq, const void *rec,
			uint32_t len),
	      void *ctx, bool repair, struct pm_replay_stats *stats,
	      char *err, size_t errlen)
{
	struct timespec t0, t1;
	uint64_t off = PM_LOG_START, seq = log->hdr->first_seq;
	uint64_t commit = log->hdr->commit;
	const struct pm_rec *r;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(stats, 0, sizeof(*stats));
	log->records = 0;
	while (rec_valid(log, off, seq, &r)) {
		rc = cb(ctx, r->seq, log->base + off + PM_REC_HDR, r->len);
		if (rc != 0)
			return rc;
		stats->records++;
		stats->bytes += r->len;
		stats->last_seq = r->seq;
		off += PM_REC_HDR + PM_ALIGN(r->len);
		seq++;
	}
	/*
	 * off is the first record that is not intact. If an intact record
	 * with a later number exists before the commit point, the damage is
	 * in the middle of acknowledged data: refuse unless repairing.
	 */
	if (off < commit && intact_after(log, off, commit, seq - 1)) {
		if (!repair) {
			snprintf(err, errlen, "corrupt record at offset %llu "
				 "(sequence %llu) in the middle of the log; "
				 "restart with repair to truncate there",
				 (unsigned long long)off,
				 (unsigned long long)seq);
			return -EBADMSG;
		}
		fprintf(stderr, "pmem: repair: log truncated at offset %llu, "
			"%llu committed bytes dropped\n",
			(unsigned long long)off,
			(unsigned long long)(commit - off));
	}
	stats->torn_bytes = commit > off ? commit - off : 0;
	if (stats->torn_bytes == 0 && !rec_valid(log, off, 0, &r) &&
	    off + PM_REC_HDR <= log->size &&
	    ((const struct pm_rec *)(log->base + off))->len != 0) {
		/* A torn record past the commit point. */
		uint32_t len = ((const struct pm_rec *)(log->base + off))->len;
		uint64_t end = off + PM_REC_HDR + PM_ALIGN(len);
		stats->torn_bytes = (end <= log->size ? end : log->size) - off;
	}
	if (off != commit || stats->torn_bytes != 0) {
		if (stats->torn_bytes != 0)
			fprintf(stderr, "pmem: discarded a torn record at the "
				"tail: %llu bytes at offset %llu\n",
				(unsigned long long)stats->torn_bytes,
				(unsigned long long)off);
		truncate_at(log, off);
	}
	log->tail = log->committed = off;
	log->next_seq = seq;
	log->records = stats->records;
	log->replayed = 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	stats->seconds = (double)(t1.tv_sec - t0.tv_sec) +
			 (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return 0;
}

void
pm_log_reset(struct pm_log *log)
{
	struct pm_header *h = log->hdr;

	/*
	 * Empty first (first record header zeroed, commit at the start):
	 * a crash after this step finds an empty log. Then the new
	 * generation and first sequence number, so that old records can
	 * never pass for new ones even where they were not overwritten.
	 */
	pm_log_commit(log);
	truncate_at(log, PM_LOG_START);
	h->first_seq = log->next_seq;
	h->generation++;
	log->persist(h, sizeof(*h));
	log->records = 0;
}
