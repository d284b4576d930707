/*
 * snapshot.c -- point-in-time snapshots of a shard without fork, in RDB.
 *
 * A snapshot cuts the shard at the log's last record S (pm_log_switch
 * sends later records to the region's other log) and then writes every
 * entry alive at the cut into <pmem-path>/redpoll-<N>.rdb, a file mapped
 * with libpmem, while the worker keeps serving: a bounded step per poll
 * iteration walks the tables, and before a command changes or removes an
 * entry the walk has not reached, kv_snap_guard writes that entry first
 * (copy before write). Entries carry the epoch of the snapshot that wrote
 * them; entries created after the cut get the current epoch and are left
 * out. The snapshot is complete when it has written as many entries as
 * were alive at the cut: the walk restarts a table whose rte_hash was
 * rebuilt, and makes another pass if entries moved behind it.
 *
 * Completion makes the file durable (one drain, or msync), renames it
 * into place and only then resets the log it covers (pm_log_reclaim):
 * recovery loads the snapshot and replays the records after S.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpmem.h>
#include <rte_hash.h>

#include "cmd_table.h"
#include "kv_private.h"
#include "pm.h"
#include "reply.h"

#define SNAP_STEP_SLOTS 256              /* table slots per step */
#define SNAP_STEP_BYTES (256u << 10)     /* file bytes per step */
#define SNAP_MIN_MAP    (16ULL << 20)    /* first mapping of the file */
#define SNAP_PATH_LEN   (PATH_MAX + 64)  /* pmem-path and a file name */

/* snap_path -- "<pmem-path>/redpoll-<core>.rdb" plus suffix. */
static void
snap_path(const struct kv_shard *s, char *buf, size_t len, const char *suffix)
{
	snprintf(buf, len, "%s/redpoll-%u.rdb%s", s->cfg->pmem_path, s->core,
		 suffix);
}

/* mono_ns -- a monotonic clock in ns. */
static uint64_t
mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/*
 * snap_map -- (re)map the temporary file with room for at least need
 * bytes, sparse: only what is written takes space.
 */
static int
snap_map(struct kv_shard *s, size_t need)
{
	struct kv_snap *sn = &s->snap;
	char tmp[SNAP_PATH_LEN];
	size_t len = sn->map_len ? sn->map_len : SNAP_MIN_MAP, mapped;
	int is_pmem;

	while (len < need)
		len *= 2;
	if (sn->map != NULL)
		pmem_unmap(sn->map, sn->map_len);
	snap_path(s, tmp, sizeof(tmp), ".tmp");
	sn->map = pmem_map_file(tmp, len, PMEM_FILE_CREATE | PMEM_FILE_SPARSE,
				0600, &mapped, &is_pmem);
	if (sn->map == NULL) {
		sn->map_len = 0;
		return errno ? -errno : -EIO;
	}
	sn->map_len = mapped;
	sn->is_pmem = is_pmem != 0;
	return 0;
}

/* snap_out -- kv_rdb_writer flush callback: bytes into the mapping. */
static int
snap_out(void *ctx, const void *p, size_t len)
{
	struct kv_shard *s = ctx;
	struct kv_snap *sn = &s->snap;
	int rc;

	if (sn->off + len > sn->map_len &&
	    (rc = snap_map(s, sn->off + len)) != 0)
		return rc;
	if (sn->is_pmem)
		pmem_memcpy_nodrain(sn->map + sn->off, p, len);
	else
		memcpy(sn->map + sn->off, p, len);
	sn->off += len;
	return 0;
}

void
kv_snap_write(struct kv_shard *s, unsigned db, struct kv_entry *e)
{
	struct kv_snap *sn = &s->snap;
	int rc = 0;

	e->snap = sn->epoch;
	sn->written++;
	sn->pass_written++;
	/* A key already expired at the cut would not be loaded anyway. */
	if (sn->err != 0 || (e->expire_ms != 0 &&
			     e->expire_ms <= sn->start_ms))
		return;
	if ((int)db != sn->sel_db) {
		rc = kv_rdb_writer_db(&sn->w, db, s->db[db].keys,
				      s->db[db].n_vol);
		sn->sel_db = (int)db;
	}
	if (rc == 0)
		rc = kv_rdb_writer_key(&sn->w, e);
	if (rc != 0)
		sn->err = rc;
	else
		sn->keys++;
}

/* write_chain -- write the entries of one digest chain still due. */
static void
write_chain(struct kv_shard *s, unsigned db, struct kv_entry *e)
{
	for (; e != NULL; e = e->next)
		if (e->snap != s->snap.epoch)
			kv_snap_write(s, db, e);
}

void
kv_snap_flush_db(struct kv_shard *s, unsigned db)
{
	const void *key;
	void *data;
	uint32_t pos = 0;

	if (!s->snap.running)
		return;
	while (rte_hash_iterate(s->db[db].h, &key, &data, &pos) >= 0)
		write_chain(s, db, data);
}

/*
 * mark_all -- give every entry the current epoch: after an abort, so that
 * entries it did not reach cannot pass for written when the epoch wraps.
 */
static void
mark_all(struct kv_shard *s)
{
	const void *key;
	void *data;

	for (unsigned db = 0; db < s->n_db; db++) {
		uint32_t pos = 0;
		while (rte_hash_iterate(s->db[db].h, &key, &data, &pos) >= 0)
			for (struct kv_entry *e = data; e != NULL; e = e->next)
				e->snap = s->snap.epoch;
	}
}

/* snap_end -- release the mapping and the writer. */
static void
snap_end(struct kv_shard *s)
{
	struct kv_snap *sn = &s->snap;

	if (sn->map != NULL)
		pmem_unmap(sn->map, sn->map_len);
	sn->map = NULL;
	sn->map_len = 0;
	kv_rdb_writer_fini(&sn->w);
	sn->running = false;
}

/* snap_abort -- give up the running snapshot; the log stays as it is. */
static void
snap_abort(struct kv_shard *s, const char *why)
{
	char tmp[SNAP_PATH_LEN];

	snap_end(s);
	snap_path(s, tmp, sizeof(tmp), ".tmp");
	unlink(tmp);
	mark_all(s);
	s->snap.last_ok = false;
	s->snap.n_failed++;
	rte_log(RTE_LOG_WARNING, kv_logtype, "worker %u: snapshot failed: "
		"%s\n", s->core, why);
}

/* sync_file -- make a file's size and its directory entry durable. */
static int
sync_file(const char *path, off_t size)
{
	int fd, rc = 0;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size) != 0 || fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc != 0 ? rc : pm_sync_dir(path);
}

/*
 * snap_finish -- end the file, make it durable, put it in place, then
 * reclaim the log it covers.
 */
static void
snap_finish(struct kv_shard *s)
{
	struct kv_snap *sn = &s->snap;
	char tmp[SNAP_PATH_LEN], path[SNAP_PATH_LEN];
	int rc = kv_rdb_writer_end(&sn->w);

	if (rc != 0) {
		snap_abort(s, strerror(-rc));
		return;
	}
	if (sn->is_pmem)
		pmem_drain();
	else
		pmem_msync(sn->map, sn->off);
	size_t size = sn->off;
	pmem_unmap(sn->map, sn->map_len);
	sn->map = NULL;
	snap_path(s, tmp, sizeof(tmp), ".tmp");
	snap_path(s, path, sizeof(path), "");
	if ((rc = sync_file(tmp, (off_t)size)) != 0 ||
	    (rename(tmp, path) != 0 && (rc = -errno) != 0) ||
	    (rc = sync_file(path, (off_t)size)) != 0) {
		snap_abort(s, strerror(-rc));
		return;
	}
	snap_end(s);
	if (s->log != NULL)
		pm_log_reclaim(s->log, sn->seq);
	sn->last_ok = true;
	sn->n_ok++;
	sn->last_ms = (mono_ns() - sn->start_ns) / 1000000;
	sn->last_bytes = size;
	sn->last_keys = sn->keys;
	sn->dirty -= sn->dirty < sn->dirty_at_start ? sn->dirty :
		     sn->dirty_at_start;
	s->lastsave = kv_now_refresh(s) / 1000;
	rte_log(RTE_LOG_NOTICE, kv_logtype, "worker %u: snapshot at record "
		"%llu done: %llu keys, %zu bytes in %llu ms\n", s->core,
		(unsigned long long)sn->seq, (unsigned long long)sn->keys,
		size, (unsigned long long)sn->last_ms);
}

int
kv_snapshot_start(struct kv_shard *s, char *err, size_t errlen)
{
	struct kv_snap *sn = &s->snap;
	char tmp[SNAP_PATH_LEN];
	int rc;

	if (sn->running || sn->start_pending) {
		snprintf(err, errlen, "a snapshot is already running");
		return -EALREADY;
	}
	if (s->txn_depth > 0 || s->tx_held > 0) {
		/* Inside EXEC: the transaction's record is not in the log
		 * yet, but part of its effects are in the keyspace. Or a
		 * cross-shard part applied here is still locked: a cut
		 * waits until it is durable on every participant. */
		sn->start_pending = true;
		return 0;
	}
	kv_now_refresh(s);
	sn->seq = 0;
	if (s->log != NULL)
		(void)pm_log_switch(s->log, &sn->seq);   /* -EBUSY: stays */
	sn->epoch++;
	sn->target = 0;
	for (unsigned db = 0; db < s->n_db; db++)
		sn->target += s->db[db].keys;
	sn->written = sn->keys = sn->pass_written = 0;
	sn->db = 0;
	sn->pos = 0;
	sn->gen = s->db[0].gen;
	sn->sel_db = -1;
	sn->err = 0;
	sn->off = 0;
	sn->start_ms = s->now_ms;
	sn->start_ns = mono_ns();
	sn->last_try_ms = s->now_ms;
	sn->dirty_at_start = sn->dirty;
	snap_path(s, tmp, sizeof(tmp), ".tmp");
	unlink(tmp);
	rc = kv_mkdir_p(s->cfg->pmem_path, 0700);
	if (rc == 0)
		rc = snap_map(s, (size_t)s->used_memory * 2);
	if (rc != 0) {
		snprintf(err, errlen, "cannot map %s: %s", tmp,
			 pmem_errormsg());
		sn->n_failed++;
		sn->last_ok = false;
		mark_all(s);
		return rc;
	}
	sn->w = (struct kv_rdb_writer){ .flush = snap_out, .ctx = s };
	sn->running = true;
	rc = kv_rdb_writer_begin(&sn->w, s->now_ms, s->used_memory);
	if (rc == 0)
		rc = kv_rdb_writer_aux(&sn->w, KV_RDB_AUX_SEQ,
				       (long long)sn->seq);
	/* The last cross-shard part of each origin applied before the cut
	 * (recovery: a counter up to it is a part this shard has). */
	for (unsigned o = 0; rc == 0 && o < KV_TX_MAX_SHARDS; o++) {
		char name[sizeof(KV_RDB_AUX_XTX) + 8];
		if (s->tx_hwm[o] == 0)
			continue;
		snprintf(name, sizeof(name), KV_RDB_AUX_XTX "%u", o);
		rc = kv_rdb_writer_aux(&sn->w, name, (long long)s->tx_hwm[o]);
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp,
			 strerror(-rc));
		snap_abort(s, err);
		return rc;
	}
	rte_log(RTE_LOG_NOTICE, kv_logtype, "worker %u: snapshot started at "
		"record %llu, %llu keys\n", s->core,
		(unsigned long long)sn->seq, (unsigned long long)sn->target);
	return 0;
}

void
kv_snapshot_hold(struct kv_shard *s, bool on)
{
	if (on) {
		s->tx_held++;
		return;
	}
	if (s->tx_held > 0 && --s->tx_held == 0 && s->txn_depth == 0)
		kv_snap_txn_end(s);      /* a cut that waited for it */
}

bool
kv_snapshot_cut_waiting(const struct kv_shard *s)
{
	return s->snap.start_pending && s->tx_held > 0;
}

void
kv_snap_txn_end(struct kv_shard *s)
{
	char err[256];

	if (!s->snap.start_pending || s->tx_held > 0)
		return;
	s->snap.start_pending = false;
	if (kv_snapshot_start(s, err, sizeof(err)) != 0)
		rte_log(RTE_LOG_WARNING, kv_logtype, "worker %u: cannot start "
			"a snapshot: %s\n", s->core, err);
}

bool
kv_snapshot_step(struct kv_shard *s)
{
	struct kv_snap *sn = &s->snap;
	uint64_t bytes0 = sn->w.written;
	unsigned slots = SNAP_STEP_SLOTS;
	const void *key;
	void *data;

	if (!sn->running)
		return false;
	while (sn->err == 0 && sn->written < sn->target && slots > 0 &&
	       sn->w.written - bytes0 < SNAP_STEP_BYTES) {
		if (sn->db >= s->n_db) {
			/*
			 * Entries moved behind the walk (a cuckoo move):
			 * another pass finds them. A pass that finds nothing
			 * means the count is off; end rather than spin.
			 */
			if (sn->pass_written == 0) {
				rte_log(RTE_LOG_WARNING, kv_logtype, "worker "
					"%u: snapshot: %llu of %llu entries "
					"not found\n", s->core,
					(unsigned long long)(sn->target -
							     sn->written),
					(unsigned long long)sn->target);
				sn->written = sn->target;
				break;
			}
			sn->db = 0;
			sn->pos = 0;
			sn->gen = s->db[0].gen;
			sn->pass_written = 0;
			continue;
		}
		struct kv_db *d = &s->db[sn->db];
		if (d->gen != sn->gen) {         /* the table was rebuilt */
			sn->pos = 0;
			sn->gen = d->gen;
		}
		if (rte_hash_iterate(d->h, &key, &data, &sn->pos) < 0) {
			sn->db++;
			sn->pos = 0;
			if (sn->db < s->n_db)
				sn->gen = s->db[sn->db].gen;
			continue;
		}
		slots--;
		write_chain(s, sn->db, data);
	}
	if (sn->err != 0) {
		snap_abort(s, strerror(-sn->err));
		return false;
	}
	if (sn->written >= sn->target) {
		snap_finish(s);
		return false;
	}
	return true;
}

int
kv_snapshot_run(struct kv_shard *s, char *err, size_t errlen)
{
	int rc;

	if (!s->snap.running && s->tx_held > 0) {
		snprintf(err, errlen, "a cross-shard write is in flight");
		return -EBUSY;
	}
	if (!s->snap.running && (rc = kv_snapshot_start(s, err, errlen)) != 0)
		return rc;
	while (kv_snapshot_step(s))
		;
	if (!s->snap.last_ok) {
		snprintf(err, errlen, "the snapshot failed (see the log)");
		return -EIO;
	}
	return 0;
}

bool
kv_snapshot_running(const struct kv_shard *s)
{
	return s->snap.running;
}

/*
 * save_due -- Redis's "save <seconds> <changes>" schedule: a point whose
 * seconds have passed since the last snapshot with that many changes.
 */
static bool
save_due(const struct kv_shard *s)
{
	const struct kv_snap *sn = &s->snap;
	uint64_t since = s->now_ms - sn->last_try_ms;
	const char *p = s->cfg->save;   /* "<s> <c> <s> <c>...", checked */
	char *end;

	while (*p != '\0') {
		unsigned long long secs = strtoull(p, &end, 10);
		unsigned long long changes = strtoull(end, &end, 10);
		if (sn->dirty >= changes && since >= secs * 1000ULL)
			return true;
		p = end;
	}
	return false;
}

void
kv_snapshot_cron(struct kv_shard *s)
{
	const struct rp_config *cfg = s->cfg;
	char err[256];

	if (s->snap.running || s->snap.start_pending || s->replaying)
		return;
	bool log_due = s->log != NULL && cfg->snapshot_log_percent != 0 &&
		pm_log_cur_used_bytes(s->log) * 100 >=
		pm_log_cur_size(s->log) * cfg->snapshot_log_percent;
	/* After a failure, wait 5 s before the next try (Redis does). */
	if (!s->snap.last_ok && s->snap.n_failed != 0 &&
	    s->now_ms - s->snap.last_try_ms < 5000)
		return;
	if ((log_due || save_due(s)) &&
	    kv_snapshot_start(s, err, sizeof(err)) != 0)
		rte_log(RTE_LOG_WARNING, kv_logtype, "worker %u: cannot start "
			"a snapshot: %s\n", s->core, err);
}

int
kv_snapshot_load(struct kv_shard *s, uint64_t *seq, char *err, size_t errlen)
{
	char path[SNAP_PATH_LEN], why[CFG_ERR_LEN];
	size_t len;
	int is_pmem, rc;
	uint64_t keys, t0 = mono_ns();

	*seq = 0;
	snap_path(s, path, sizeof(path), "");
	if (access(path, F_OK) != 0)
		return 0;
	void *p = pmem_map_file(path, 0, 0, 0, &len, &is_pmem);
	if (p == NULL) {
		snprintf(err, errlen, "%s: cannot map: %s", path,
			 pmem_errormsg());
		return -EIO;
	}
	rc = kv_rdb_load_snapshot(s, p, len, seq, &keys, why, sizeof(why));
	pmem_unmap(p, len);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return rc;
	}
	s->lastsave = kv_now_refresh(s) / 1000;
	rte_log(RTE_LOG_NOTICE, kv_logtype, "worker %u: loaded the snapshot "
		"at record %llu: %llu keys in %.3f s\n", s->core,
		(unsigned long long)*seq, (unsigned long long)keys,
		(double)(mono_ns() - t0) / 1e9);
	return 0;
}

void
kv_snapshot_fini(struct kv_shard *s)
{
	char tmp[SNAP_PATH_LEN];

	if (!s->snap.running)
		return;
	snap_end(s);
	snap_path(s, tmp, sizeof(tmp), ".tmp");
	unlink(tmp);
}

int
kv_save_export(const struct kv_shard *s, unsigned n_shards, char *err,
	       size_t errlen)
{
	const struct rp_config *cfg = s->cfg;
	char (*paths)[SNAP_PATH_LEN] = calloc(n_shards, SNAP_PATH_LEN);
	const char **list = calloc(n_shards, sizeof(*list));
	char out[2 * PATH_MAX];
	int rc = -ENOMEM;

	if (paths != NULL && list != NULL) {
		for (unsigned i = 0; i < n_shards; i++) {
			snprintf(paths[i], SNAP_PATH_LEN, "%s/redpoll-%u.rdb",
				 cfg->pmem_path, i);
			list[i] = paths[i];
		}
		snprintf(out, sizeof(out), "%s/%s", cfg->dir,
			 cfg->dbfilename);
		rc = kv_rdb_export(list, n_shards, out, err, errlen);
	} else {
		snprintf(err, errlen, "out of memory");
	}
	free(paths);
	free(list);
	return rc;
}

/* Commands. */

void
cmd_bgsave(struct kv_req *r)
{
	char err[256];

	if (r->argc > 2 || (r->argc == 2 && !kv_arg_is(&r->argv[1],
							 "schedule"))) {
		kv_reply_error(r->c, KV_ERR_SYNTAX);
		return;
	}
	/* SCHEDULE waits for an AOF rewrite in Redis; there is none. */
	if (r->s->snap.running || r->s->snap.start_pending) {
		kv_reply_error(r->c, "ERR Background save already in "
			       "progress");
		return;
	}
	if (kv_snapshot_start(r->s, err, sizeof(err)) != 0) {
		kv_reply_error(r->c, "ERR %s", err);
		return;
	}
	kv_reply_simple(r->c, "Background saving started");
}

void
cmd_save(struct kv_req *r)
{
	char err[PATH_MAX + 256];

	if (kv_snapshot_run(r->s, err, sizeof(err)) != 0) {
		kv_reply_error(r->c, "ERR %s", err);
		return;
	}
	/* One shard exports here; several, where their replies meet. */
	if (r->s->n_shards <= 1 &&
	    kv_save_export(r->s, 1, err, sizeof(err)) != 0) {
		kv_reply_error(r->c, "ERR %s", err);
		return;
	}
	kv_reply_ok(r->c);
}

void
cmd_lastsave(struct kv_req *r)
{
	kv_reply_int(r->c, (long long)r->s->lastsave);
}
