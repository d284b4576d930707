/*
 * dict.h -- a hash table of binary-safe fields, for the members of hashes,
 * sets and sorted sets.
 *
 * Chaining over power-of-two tables, with Redis's incremental rehash: a
 * growing or shrinking dict keeps two tables and every add, delete and
 * lookup moves a few buckets from the old to the new one, so no single
 * operation pays for the whole move. kv_dict_scan walks the buckets with
 * Redis's reverse-binary cursor: an element present for the whole of a
 * scan is returned at least once even if the table is resized between
 * calls.
 *
 * Every byte the dict allocates (tables, entries, values) is added to
 * its own byte count and to the caller's counter (the shard's
 * used_memory), and subtracted when freed.
 *
 * Not thread-safe: one owner (the shard's lcore) per dict.
 */
#ifndef RP_DICT_H
#define RP_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kv_dict;

/*
 * One element. The value depends on the container: bytes for a hash
 * field (owned by the dict, set with kv_dict_set_value), nothing for a
 * set member, a score for a sorted set member.
 */
struct kv_dict_entry {
	struct kv_dict_entry *next;   /* same bucket */
	union {
		struct {
			char *ptr;
			size_t len;
		} s;
		double score;
	} v;
	uint32_t flen;
	char field[];
};

/*
 * kv_dict_create -- an empty dict.
 *   seed: the hash seed (a different one per dict is fine)
 *   byte_values: entries own a byte value (hashes); false for sets and
 *         sorted sets, whose v is unused or a score
 *   acct: a counter every allocation is added to and every free
 *         subtracted from, or NULL
 * Returns NULL when out of memory.
 */
struct kv_dict *kv_dict_create(uint64_t seed, bool byte_values,
			       uint64_t *acct);

/* kv_dict_free -- free a dict, its entries and their values. */
void kv_dict_free(struct kv_dict *d);

/* kv_dict_size -- number of elements. */
uint64_t kv_dict_size(const struct kv_dict *d);

/* kv_dict_bytes -- bytes currently allocated by the dict. */
uint64_t kv_dict_bytes(const struct kv_dict *d);

/* kv_dict_buckets -- buckets of both tables (tests, OBJECT-like stats). */
uint64_t kv_dict_buckets(const struct kv_dict *d);

/* kv_dict_is_rehashing -- whether an incremental rehash is under way. */
bool kv_dict_is_rehashing(const struct kv_dict *d);

/* kv_dict_lookup -- the entry of a field, or NULL. */
struct kv_dict_entry *kv_dict_lookup(struct kv_dict *d, const char *field,
				     size_t flen);

/*
 * kv_dict_add -- the entry of a field, added (with an empty value) if it
 * was not there. *created tells which. Returns NULL when out of memory.
 */
struct kv_dict_entry *kv_dict_add(struct kv_dict *d, const char *field,
				  size_t flen, bool *created);

/*
 * kv_dict_set_value -- replace the byte value of an entry with a copy of
 * p[0..len). Returns 0, or -ENOMEM (the old value is kept).
 */
int kv_dict_set_value(struct kv_dict *d, struct kv_dict_entry *e,
		      const char *p, size_t len);

/*
 * kv_dict_del -- remove a field and free its entry and value. A dict
 * less than 1/8 full starts shrinking. Returns 0 or -ENOENT.
 */
int kv_dict_del(struct kv_dict *d, const char *field, size_t flen);

/* Callback of kv_dict_scan and kv_dict_foreach. */
typedef void (*kv_dict_visit_fn)(void *ctx, const struct kv_dict_entry *e);

/*
 * kv_dict_scan -- visit the elements of one bucket group (one bucket of
 * the smaller table and the buckets it expands to in the larger one) and
 * return the next cursor; 0 when the walk is complete. Start with 0.
 * fn must not modify the dict.
 */
uint64_t kv_dict_scan(struct kv_dict *d, uint64_t cursor, kv_dict_visit_fn fn,
		      void *ctx);

/* kv_dict_foreach -- visit every element once (fn must not modify d). */
void kv_dict_foreach(const struct kv_dict *d, kv_dict_visit_fn fn, void *ctx);

/*
 * kv_dict_random -- a random element (NULL if empty): a random non-empty
 * bucket, then a random element of its chain.
 *   rnd: 64 random bits per call, from the caller's generator
 */
struct kv_dict_entry *kv_dict_random(struct kv_dict *d,
				     uint64_t (*rnd)(void *ctx), void *ctx);

/*
 * kv_dict_check -- verify the invariants (every element in the bucket
 * its hash names, counts, rehash index, byte count). Returns 0 or
 * -EINVAL. For tests and debug builds.
 */
int kv_dict_check(const struct kv_dict *d);

/* kv_dict_hash -- the seeded hash (SipHash-1-3) of bytes. */
uint64_t kv_dict_hash(uint64_t k0, uint64_t k1, const char *p, size_t len);

#endif /* RP_DICT_H */
