/*
 * rdb.h -- Redis 7.0's RDB format (version 10): one value for DUMP and
 * RESTORE, whole files for snapshots, SAVE's export and for importing a
 * dump.rdb at start.
 *
 * Encoding writes what Redis 7.0 writes (strings raw or as small
 * integers, lists as QUICKLIST_2 of listpack nodes, small hashes as
 * HASH_LISTPACK and others as HASH, intsets as SET_INTSET and other sets
 * as SET, small sorted sets as ZSET_LISTPACK and others as ZSET_2),
 * never compressed. Decoding also reads the older encodings Redis loads
 * (plain LIST, QUICKLIST of ziplists, LIST_ZIPLIST, HASH_ZIPLIST,
 * HASH_ZIPMAP, ZSET, ZSET_ZIPLIST) and LZF-compressed strings; streams
 * and modules are refused with the type's number.
 * Every input is untrusted: the decoder checks every length against the
 * bytes left, never allocates more than a bounded multiple of its input
 * and fails with a message instead of crashing.
 *
 * A file is written key by key through struct kv_rdb_writer: each call
 * appends one key to a buffer and hands full buffers to a flush
 * callback, so a snapshot writer can spread a keyspace over many calls
 * with work proportional to the keys it writes.
 *
 * Functions return 0 or a negative errno.
 */
#ifndef RP_RDB_H
#define RP_RDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kv_shard;
struct kv_entry;

#define KV_RDB_VERSION 10

/* Value types: the byte before a key (and the first byte of DUMP). */
enum kv_rdb_type {
	KV_RDB_TYPE_STRING = 0,
	KV_RDB_TYPE_LIST = 1,
	KV_RDB_TYPE_SET = 2,
	KV_RDB_TYPE_ZSET = 3,
	KV_RDB_TYPE_HASH = 4,
	KV_RDB_TYPE_ZSET_2 = 5,
	KV_RDB_TYPE_MODULE_2 = 7,
	KV_RDB_TYPE_HASH_ZIPMAP = 9,
	KV_RDB_TYPE_LIST_ZIPLIST = 10,
	KV_RDB_TYPE_SET_INTSET = 11,
	KV_RDB_TYPE_ZSET_ZIPLIST = 12,
	KV_RDB_TYPE_HASH_ZIPLIST = 13,
	KV_RDB_TYPE_LIST_QUICKLIST = 14,
	KV_RDB_TYPE_STREAM_LISTPACKS = 15,
	KV_RDB_TYPE_HASH_LISTPACK = 16,
	KV_RDB_TYPE_ZSET_LISTPACK = 17,
	KV_RDB_TYPE_LIST_QUICKLIST_2 = 18,
	KV_RDB_TYPE_STREAM_LISTPACKS_2 = 19,
};

/* Opcodes between keys of a file. */
enum kv_rdb_opcode {
	KV_RDB_OP_FUNCTION2 = 245,
	KV_RDB_OP_MODULE_AUX = 247,
	KV_RDB_OP_IDLE = 248,
	KV_RDB_OP_FREQ = 249,
	KV_RDB_OP_AUX = 250,
	KV_RDB_OP_RESIZEDB = 251,
	KV_RDB_OP_EXPIRETIME_MS = 252,
	KV_RDB_OP_EXPIRETIME = 253,
	KV_RDB_OP_SELECTDB = 254,
	KV_RDB_OP_EOF = 255,
};

/* A growing output buffer. */
struct kv_rdb_buf {
	unsigned char *p;
	size_t len, cap;
	bool oom;                  /* an append failed: the bytes are cut */
};

/* kv_rdb_buf_free -- free the bytes of a buffer and empty it. */
void kv_rdb_buf_free(struct kv_rdb_buf *b);

/*
 * kv_rdb_crc64 -- Redis's CRC-64 (Jones polynomial 0xad93d23594c935a9,
 * reflected, initial value crc, no final xor) of len bytes.
 */
uint64_t kv_rdb_crc64(uint64_t crc, const void *p, size_t len);

/*
 * kv_rdb_lzf_decompress -- expand LZF data (liblzf's format) into out,
 * which must receive exactly outlen bytes. Returns 0 or -EINVAL.
 */
int kv_rdb_lzf_decompress(const void *in, size_t inlen, void *out,
			  size_t outlen);

/*
 * kv_rdb_encode_value -- append the type byte and the encoding of a
 * value to b. Returns 0, -ENOMEM, or -ENOTSUP for a type RDB cannot hold.
 */
int kv_rdb_encode_value(struct kv_rdb_buf *b, const struct kv_entry *e);

/*
 * kv_rdb_decode_value -- decode a value of type (the type byte, already
 * read) from p[0..len) into v, a detached entry (not in any database)
 * whose value it sets; allocations are counted in s. *used receives the
 * bytes consumed. On failure v holds an empty string and err a reason.
 * Returns 0, -EBADMSG (malformed), -ENOTSUP (type not supported),
 * -ENODATA (a collection without elements) or -ENOMEM.
 */
int kv_rdb_decode_value(struct kv_shard *s, int type, const void *p,
			size_t len, struct kv_entry *v, size_t *used,
			char *err, size_t errlen);

/*
 * kv_rdb_dump -- DUMP's payload: the value, the RDB version (2 bytes)
 * and the CRC-64 of both (8 bytes), little-endian.
 */
int kv_rdb_dump(struct kv_rdb_buf *b, const struct kv_entry *e);

/*
 * kv_rdb_restore -- decode a DUMP payload into the detached entry v.
 * Returns 0, -EPROTO (version or checksum wrong), or what
 * kv_rdb_decode_value returns.
 */
int kv_rdb_restore(struct kv_shard *s, const void *p, size_t len,
		   struct kv_entry *v, char *err, size_t errlen);

/*
 * Writing a file: kv_rdb_writer_begin (header and AUX fields), then per
 * database kv_rdb_writer_db and kv_rdb_writer_key for each of its keys,
 * and kv_rdb_writer_end (EOF and checksum). Each call may flush; flush
 * returns 0 or a negative errno, which the call returns.
 */
struct kv_rdb_writer {
	struct kv_rdb_buf b;
	uint64_t crc;              /* of the bytes flushed so far */
	uint64_t written;          /* bytes flushed */
	int (*flush)(void *ctx, const void *p, size_t len);
	void *ctx;
};

int kv_rdb_writer_begin(struct kv_rdb_writer *w, uint64_t now_ms,
			uint64_t used_mem);
/* kv_rdb_writer_aux -- an AUX field with a number (after begin). */
int kv_rdb_writer_aux(struct kv_rdb_writer *w, const char *key, long long v);
/* kv_rdb_writer_raw -- bytes already in RDB form (another file's keys). */
int kv_rdb_writer_raw(struct kv_rdb_writer *w, const void *p, size_t len);
int kv_rdb_writer_db(struct kv_rdb_writer *w, unsigned db, uint64_t keys,
		     uint64_t expires);
int kv_rdb_writer_key(struct kv_rdb_writer *w, const struct kv_entry *e);
int kv_rdb_writer_end(struct kv_rdb_writer *w);
/* kv_rdb_writer_fini -- free the writer's buffer. */
void kv_rdb_writer_fini(struct kv_rdb_writer *w);

/*
 * What a file's loader does with each key: shard picks the shard that
 * decodes and owns the key; key receives the decoded value (a detached
 * entry the callback takes over, or frees with kv_value_free) with its
 * absolute expire time in ms (0: none) and returns 0 or a negative errno
 * (which stops the load; the callback sets the message).
 */
struct kv_rdb_loader {
	struct kv_shard *(*shard)(void *ctx, const char *key, size_t klen);
	int (*key)(void *ctx, struct kv_shard *s, unsigned db,
		   const char *key, size_t klen, struct kv_entry *v,
		   uint64_t expire_ms, char *err, size_t errlen);
	/* aux: an AUX field (NULL: skipped); returns 0 or a negative errno */
	int (*aux)(void *ctx, const char *k, size_t klen, const char *v,
		   size_t vlen);
	void *ctx;
	unsigned n_db;             /* databases: a higher SELECTDB fails */
	uint64_t now_ms;           /* keys expired before this are skipped */
	uint64_t keys, expired, empty;  /* out: loaded, skipped */
};

/*
 * kv_rdb_load -- parse a whole RDB file in memory (header, opcodes, keys,
 * EOF, checksum) and hand each key to ld. Returns 0, -EBADMSG, -ENOTSUP,
 * -ENOMEM or the callback's error, with a reason in err.
 */
int kv_rdb_load(const void *p, size_t len, struct kv_rdb_loader *ld,
		char *err, size_t errlen);

/*
 * kv_rdb_import -- load the RDB file at path into the shards of a
 * keyspace split over n shards (each key to kv_key_shard's), logging
 * every key to its shard's pmem log as a RESTORE ... ABSTTL. Call before
 * the workers run. Refuses (-EEXIST) a keyspace that is not empty.
 * Returns 0 or a negative errno with a reason in err; *keys receives the
 * keys imported.
 */
int kv_rdb_import(struct kv_shard **shards, unsigned n, const char *path,
		  uint64_t *keys, char *err, size_t errlen);

/*
 * The AUX field of a redpoll snapshot naming the last log record it
 * covers (recovery replays the records after it).
 */
#define KV_RDB_AUX_SEQ "redpoll-log-seq"

/*
 * kv_rdb_load_snapshot -- load a shard's own snapshot file (in memory)
 * into its empty keyspace, nothing logged; *seq receives the log position
 * it covers, *keys the keys loaded. Returns 0 or a negative errno with a
 * reason in err.
 */
int kv_rdb_load_snapshot(struct kv_shard *s, const void *p, size_t len,
			 uint64_t *seq, uint64_t *keys, char *err,
			 size_t errlen);

/*
 * kv_rdb_export -- write one RDB file at path (through path.tmp-PID,
 * fsync'ed, renamed) holding the keys of n snapshot files (one per
 * shard), each checked whole first. Returns 0 or a negative errno with a
 * reason in err.
 */
int kv_rdb_export(const char *const *snapshots, unsigned n, const char *path,
		  char *err, size_t errlen);

#endif /* RP_RDB_H */
