/*
 * intset.h -- a set of integers as one sorted array, for sets whose
 * members are all integers (Redis's intset).
 *
 * The array stores every member with one width, the smallest of 16, 32
 * and 64 bits that holds them all; adding a member that needs a wider
 * type rewrites the array at that width (it never narrows again).
 * Lookups are binary searches, O(log n); adds and deletes move the tail,
 * O(n), which stays cheap because sets leave this encoding after
 * set-max-intset-entries members. The allocation is exactly the header
 * and the array, resized on every add and delete; every byte is added to
 * the caller's counter and subtracted when freed.
 *
 * Not thread-safe: one owner (the shard's lcore) per intset.
 */
#ifndef RP_INTSET_H
#define RP_INTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kv_intset;

/*
 * kv_intset_create -- an empty intset (16-bit members).
 *   acct: the counter its bytes are added to, or NULL
 * Returns NULL when out of memory.
 */
struct kv_intset *kv_intset_create(uint64_t *acct);

/* kv_intset_free -- free an intset (NULL is fine). */
void kv_intset_free(struct kv_intset *is, uint64_t *acct);

/* kv_intset_len -- number of members. */
uint32_t kv_intset_len(const struct kv_intset *is);

/* kv_intset_width -- bytes per member: 2, 4 or 8. */
unsigned kv_intset_width(const struct kv_intset *is);

/* kv_intset_bytes -- bytes allocated for the intset. */
size_t kv_intset_bytes(const struct kv_intset *is);

/* kv_intset_get -- the member at position i (< len), in ascending order. */
int64_t kv_intset_get(const struct kv_intset *is, uint32_t i);

/* kv_intset_find -- whether v is a member. */
bool kv_intset_find(const struct kv_intset *is, int64_t v);

/*
 * kv_intset_add -- add v (the intset may move: *isp is updated).
 * Returns 1 if added, 0 if it was already a member, -ENOMEM (nothing
 * changed).
 */
int kv_intset_add(struct kv_intset **isp, int64_t v, uint64_t *acct);

/*
 * kv_intset_del -- remove v (the intset may move: *isp is updated).
 * Returns true if it was a member.
 */
bool kv_intset_del(struct kv_intset **isp, int64_t v, uint64_t *acct);

/*
 * kv_intset_check -- verify the invariants: members strictly ascending,
 * the width the smallest that holds the extremes or wider (it never
 * narrows). Returns 0 or -EINVAL. For tests.
 */
int kv_intset_check(const struct kv_intset *is);

#endif /* RP_INTSET_H */
