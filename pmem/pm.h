/*
 * pm.h -- per-core durable regions on persistent memory (libpmem).
 *
 * One region per worker: a header (magic, version, layout, core,
 * generation), then a log of checksummed records. Records are opaque bytes
 * to this layer: the store decides what they mean and replays them through
 * a callback. Persistence follows PMDK's order: copy without drain, persist
 * the range, then update and persist the 8-byte commit field; one drain per
 * poll iteration (group commit).
 *
 * Functions return 0 or a negative errno; constructors return NULL and
 * write a reason into the caller's error buffer.
 */
#ifndef RP_PM_H
#define RP_PM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pm_log;

/* What recovery found (pm_log_replay). */
struct pm_replay_stats {
	uint64_t records;       /* intact records handed to the callback */
	uint64_t bytes;         /* their payload bytes */
	uint64_t last_seq;      /* sequence number of the last intact record */
	uint64_t torn_bytes;    /* bytes discarded at the tail (torn/corrupt) */
	double seconds;         /* wall time of the scan */
};

/*
 * pm_log_open -- map (creating if needed) the region file and validate its
 * header.
 *   path:  region file (created with size bytes if absent).
 *   size:  bytes; an existing file keeps its own size.
 *   core:  worker index recorded in (and checked against) the header.
 *   err:   reason on failure ("path: not a redpoll region", ...).
 * Logs whether the mapping is real pmem (cache-line flushes) or not
 * (msync). Returns the log, or NULL.
 */
struct pm_log *pm_log_open(const char *path, uint64_t size, unsigned core,
			   char *err, size_t errlen);

/* pm_log_close -- drain and unmap. NULL is a no-op. */
void pm_log_close(struct pm_log *log);

/*
 * pm_log_append -- copy one record into the log and flush it, without
 * draining: the record becomes durable at the next pm_log_commit.
 * Returns 0, -ENOSPC if the log has no room, -EINVAL for len 0.
 */
int pm_log_append(struct pm_log *log, const void *rec, uint32_t len);

/*
 * pm_log_commit -- make every record appended since the last commit
 * durable: one drain, then persist the commit field. Cheap when nothing
 * was appended.
 */
void pm_log_commit(struct pm_log *log);

/* pm_log_pending -- whether records were appended since the last commit. */
bool pm_log_pending(const struct pm_log *log);

/* pm_log_free_bytes -- payload bytes that can still be appended. */
uint64_t pm_log_free_bytes(const struct pm_log *log);

/* pm_log_used_bytes -- bytes of committed log, headers included. */
uint64_t pm_log_used_bytes(const struct pm_log *log);

/* pm_log_records -- records in the log (committed). */
uint64_t pm_log_records(const struct pm_log *log);

/* pm_log_is_pmem -- whether the mapping is real persistent memory. */
bool pm_log_is_pmem(const struct pm_log *log);

/*
 * pm_log_replay -- scan the log from the start and hand every intact
 * record to cb in order. A torn or corrupt record at the tail ends the
 * scan: it and everything after it is discarded (the tail is reset so new
 * appends follow the intact prefix) and counted in stats->torn_bytes.
 * A corrupt record followed by intact ones is corruption in the middle:
 * -EBADMSG with the offset in err, unless repair is true, in which case
 * the log is truncated there.
 * cb returns 0 to go on or a negative errno to stop (returned as is).
 * Must be called once after pm_log_open, before any append.
 */
int pm_log_replay(struct pm_log *log,
		  int (*cb)(void *ctx, uint64_t seq, const void *rec,
			    uint32_t len),
		  void *ctx, bool repair, struct pm_replay_stats *stats,
		  char *err, size_t errlen);

/*
 * pm_log_reset -- drop every record (FLUSHALL in sync with the keyspace,
 * or after a snapshot that covers the whole log); bumps the generation.
 */
void pm_log_reset(struct pm_log *log);

/* pm_crc32c -- CRC32C (Castagnoli) of buf, continuing from crc. */
uint32_t pm_crc32c(uint32_t crc, const void *buf, size_t len);

#endif /* RP_PM_H */
