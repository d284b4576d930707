/*
 * pm.h -- per-core durable regions on persistent memory (libpmem).
 *
 * One region per worker: a header (magic, version, layout, core, size,
 * and per log its start and a commit word holding its tail and
 * generation), then two logs of checksummed, chained records
 * (docs/persistence.md). Appends go to one log, the current one; a
 * snapshot switches them to the other, and the log it covers is then
 * reset whole, so the region's space is reclaimed without ever moving a
 * record.
 * Records are opaque bytes to this layer: the store decides what they mean
 * and replays them through a callback. Persistence follows PMDK's order:
 * copy without drain, persist the range, then update and persist the
 * 8-byte commit word; one drain per poll iteration (group commit).
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
 *   path:  region file (created with size bytes if absent, by way of
 *          "path.new" renamed into place).
 *   size:  bytes; an existing file keeps its own size.
 *   core:  worker index recorded in (and checked against) the header.
 *   err:   reason on failure ("path: not a redpoll region", ...).
 * Logs whether the mapping is real pmem (cache-line flushes) or not
 * (msync). Returns the log, or NULL.
 */
struct pm_log *pm_log_open(const char *path, uint64_t size, unsigned core,
			   char *err, size_t errlen);

/* pm_log_close -- commit what is pending, unmap. NULL is a no-op. */
void pm_log_close(struct pm_log *log);

/*
 * pm_log_append -- copy one record into the log and flush it, without
 * draining: the record becomes durable at the next pm_log_commit.
 * Returns 0, -ENOSPC if the log has no room, -EINVAL for len 0, -EBUSY
 * before pm_log_replay has run.
 */
int pm_log_append(struct pm_log *log, const void *rec, uint32_t len);

/*
 * pm_log_commit -- make every record appended since the last commit
 * durable: one drain, then persist the commit field. Cheap when nothing
 * was appended.
 */
void pm_log_commit(struct pm_log *log);

/* pm_log_drains -- commits that made records durable since the open. */
uint64_t pm_log_drains(const struct pm_log *log);

/* pm_log_pending -- whether records were appended since the last commit. */
bool pm_log_pending(const struct pm_log *log);

/* pm_log_free_bytes -- payload bytes that can still be appended. */
uint64_t pm_log_free_bytes(const struct pm_log *log);

/* pm_log_used_bytes -- bytes of committed records in both logs. */
uint64_t pm_log_used_bytes(const struct pm_log *log);

/* pm_log_records -- records in the log (committed). */
uint64_t pm_log_records(const struct pm_log *log);

/* pm_log_is_pmem -- whether the mapping is real persistent memory. */
bool pm_log_is_pmem(const struct pm_log *log);

/*
 * pm_log_replay -- scan the log from the start and hand every intact
 * record to cb (NULL: just scan) in order.
 * Every record before the commit point must be intact: a bad one there is
 * corruption in the middle of committed data: -EBADMSG with the offset in
 * err (the log is left as it is; cb has seen the records before it),
 * unless repair is true, in which case the log is truncated there.
 * Past the commit point, records are replayed while they are intact
 * (length, CRC, sequence number the previous one plus one): they may have
 * been durable. The first one that is not ends the log: it and what
 * follows is the torn tail, discarded and counted in stats->torn_bytes;
 * the commit word moves to the end of what was replayed, and appends
 * follow it.
 * cb returns 0 to go on or a negative errno to stop (returned as is, the
 * log untouched). Must be called after pm_log_open, before any append;
 * it may be called again before the first append (the store scans, then
 * replays): the second call sees the records the first one kept.
 */
int pm_log_replay(struct pm_log *log,
		  int (*cb)(void *ctx, uint64_t seq, const void *rec,
			    uint32_t len),
		  void *ctx, bool repair, struct pm_replay_stats *stats,
		  char *err, size_t errlen);

/*
 * pm_log_switch -- start a snapshot's cut: commit what is pending, give
 * the sequence number of the last record in *last_seq (what the snapshot
 * covers), and send later appends to the other log. Returns 0, or -EBUSY
 * when the other log still holds records (an earlier snapshot did not
 * complete): appends then stay in the current log, and *last_seq is
 * still the cut.
 */
int pm_log_switch(struct pm_log *log, uint64_t *last_seq);

/*
 * pm_log_reclaim -- a snapshot covering every record up to upto_seq is
 * durable: reset each log whose records all have sequence numbers up to
 * it. A reset is one atomic store (the log's commit word with a new
 * generation): a crash finds the log whole or empty.
 */
void pm_log_reclaim(struct pm_log *log, uint64_t upto_seq);

/* pm_log_both_in_use -- both logs hold records (a snapshot was cut). */
bool pm_log_both_in_use(const struct pm_log *log);

/* pm_log_last_seq -- sequence number of the last appended record. */
uint64_t pm_log_last_seq(const struct pm_log *log);

/* pm_log_cur_used_bytes / pm_log_cur_size -- fill of the current log. */
uint64_t pm_log_cur_used_bytes(const struct pm_log *log);
uint64_t pm_log_cur_size(const struct pm_log *log);

/*
 * pm_sync_dir -- fsync the directory holding path, so that a rename into
 * it is durable. Returns 0 or a negative errno.
 */
int pm_sync_dir(const char *path);

/* pm_crc32c -- CRC32C (Castagnoli) of buf, continuing from crc. */
uint32_t pm_crc32c(uint32_t crc, const void *buf, size_t len);

#endif /* RP_PM_H */
