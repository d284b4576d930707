/*
 * zskiplist.h -- the ordered half of a large sorted set: a skiplist of
 * (score, member) with a span per forward link, as Redis's zskiplist.
 *
 * Elements are ordered by score, then by member bytes (memcmp, a prefix
 * first). Each link counts the level-0 nodes it jumps over, so the rank
 * of an element and the element of a rank are found in O(log n); a
 * backward pointer at level 0 walks in reverse.
 *
 * The skiplist does not own the member bytes: a node points to them and
 * they must outlive it (in a sorted set they are the kv_dict entry's).
 * Every byte allocated is added to the caller's counter and subtracted
 * when freed. Not thread-safe: one owner per skiplist.
 */
#ifndef RP_ZSKIPLIST_H
#define RP_ZSKIPLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZSL_MAXLEVEL 32     /* enough for 2^64 elements at p = 1/4 */

struct zsl_node {
	const char *ele;            /* member bytes, not owned */
	uint32_t len;
	uint32_t nlevel;            /* links in level[] */
	double score;
	struct zsl_node *backward;  /* previous at level 0, NULL: first */
	struct zsl_level {
		struct zsl_node *forward;
		uint64_t span;      /* level-0 nodes this link passes */
	} level[];
};

struct zsl {
	struct zsl_node *header;    /* sentinel with ZSL_MAXLEVEL links */
	struct zsl_node *tail;
	uint64_t length;
	int level;
	uint64_t rng;               /* xorshift state of the levels */
	uint64_t *acct;             /* byte counter, or NULL */
};

/*
 * zsl_create -- an empty skiplist.
 *   seed: seeds the random levels (any value)
 *   acct: counter of allocated bytes, or NULL
 * Returns NULL when out of memory.
 */
struct zsl *zsl_create(uint64_t seed, uint64_t *acct);

/* zsl_free -- free a skiplist and its nodes (not the member bytes). */
void zsl_free(struct zsl *zsl);

/*
 * zsl_insert -- add an element the caller knows is absent. Returns its
 * node, or NULL when out of memory.
 */
struct zsl_node *zsl_insert(struct zsl *zsl, double score, const char *ele,
			    uint32_t len);

/* zsl_delete -- remove an element; 0 or -ENOENT. */
int zsl_delete(struct zsl *zsl, double score, const char *ele, uint32_t len);

/*
 * zsl_update_score -- move an element from score cur to score nscore
 * (in place when its neighbours allow). Returns its node, or NULL when
 * out of memory or absent.
 */
struct zsl_node *zsl_update_score(struct zsl *zsl, double cur,
				  const char *ele, uint32_t len,
				  double nscore);

/* zsl_rank -- the 1-based rank of an element, 0 if absent. */
uint64_t zsl_rank(const struct zsl *zsl, double score, const char *ele,
		  uint32_t len);

/* zsl_by_rank -- the node of a 1-based rank, NULL if out of range. */
struct zsl_node *zsl_by_rank(const struct zsl *zsl, uint64_t rank);

/*
 * Predicate of zsl_count_while: true for a prefix of the order (every
 * element before one it is true for makes it true too).
 */
typedef bool (*zsl_pred_fn)(const void *ctx, double score, const char *ele,
			    uint32_t len);

/* zsl_count_while -- the length of the prefix pred holds for, O(log n). */
uint64_t zsl_count_while(const struct zsl *zsl, zsl_pred_fn pred,
			 const void *ctx);

/*
 * zsl_cmp -- order of (s1, e1) against (s2, e2): negative, 0, positive.
 */
int zsl_cmp(double s1, const char *e1, uint32_t l1, double s2,
	    const char *e2, uint32_t l2);

/* zsl_lexcmp -- memcmp order of two members, a prefix first. */
int zsl_lexcmp(const char *a, uint32_t la, const char *b, uint32_t lb);

/*
 * zsl_check -- verify order, spans, backward links and length. Returns
 * 0 or -EINVAL. For tests.
 */
int zsl_check(const struct zsl *zsl);

#endif /* RP_ZSKIPLIST_H */
