/*
 * zskiplist.c -- the skiplist of large sorted sets (see zskiplist.h):
 * Pugh's skiplist with p = 1/4, spans per link for ranks, backward links
 * at level 0, as Redis's zskiplist.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zskiplist.h"

/* node_size -- bytes of a node with level links. */
static size_t
node_size(int level)
{
	return sizeof(struct zsl_node) + (size_t)level *
	       sizeof(struct zsl_level);
}

/* node_create -- a node of level links; NULL when out of memory. */
static struct zsl_node *
node_create(struct zsl *zsl, int level, double score, const char *ele,
	    uint32_t len)
{
	struct zsl_node *x = malloc(node_size(level));

	if (x == NULL)
		return NULL;
	if (zsl->acct != NULL)
		*zsl->acct += node_size(level);
	x->ele = ele;
	x->len = len;
	x->nlevel = (uint32_t)level;
	x->score = score;
	x->backward = NULL;
	return x;
}

/* node_free -- free a node. */
static void
node_free(struct zsl *zsl, struct zsl_node *x)
{
	if (zsl->acct != NULL)
		*zsl->acct -= node_size((int)x->nlevel);
	free(x);
}

/* random_level -- 1 + the number of successes at p = 1/4. */
static int
random_level(struct zsl *zsl)
{
	int level = 1;

	for (;;) {
		zsl->rng ^= zsl->rng << 13;
		zsl->rng ^= zsl->rng >> 7;
		zsl->rng ^= zsl->rng << 17;
		uint64_t r = zsl->rng >> 32;   /* 16 draws of two bits */
		for (int i = 0; i < 16; i++, r >>= 2) {
			if ((r & 3) != 0 || level == ZSL_MAXLEVEL)
				return level;
			level++;
		}
	}
}

int
zsl_lexcmp(const char *a, uint32_t la, const char *b, uint32_t lb)
{
	int c = memcmp(a, b, la < lb ? la : lb);

	if (c != 0)
		return c;
	return la < lb ? -1 : la > lb ? 1 : 0;
}

int
zsl_cmp(double s1, const char *e1, uint32_t l1, double s2, const char *e2,
	uint32_t l2)
{
	if (s1 < s2)
		return -1;
	if (s1 > s2)
		return 1;
	return zsl_lexcmp(e1, l1, e2, l2);
}

/* before -- whether node x sorts before (score, ele). */
static bool
before(const struct zsl_node *x, double score, const char *ele, uint32_t len)
{
	return zsl_cmp(x->score, x->ele, x->len, score, ele, len) < 0;
}

struct zsl *
zsl_create(uint64_t seed, uint64_t *acct)
{
	struct zsl *zsl = malloc(sizeof(*zsl));

	if (zsl == NULL)
		return NULL;
	zsl->acct = acct;
	zsl->rng = seed != 0 ? seed : 0x9e3779b97f4a7c15ULL;
	zsl->header = node_create(zsl, ZSL_MAXLEVEL, 0, NULL, 0);
	if (zsl->header == NULL) {
		free(zsl);
		return NULL;
	}
	if (acct != NULL)
		*acct += sizeof(*zsl);
	for (int i = 0; i < ZSL_MAXLEVEL; i++) {
		zsl->header->level[i].forward = NULL;
		zsl->header->level[i].span = 0;
	}
	zsl->tail = NULL;
	zsl->length = 0;
	zsl->level = 1;
	return zsl;
}

void
zsl_free(struct zsl *zsl)
{
	if (zsl == NULL)
		return;
	struct zsl_node *x = zsl->header->level[0].forward;
	while (x != NULL) {
		struct zsl_node *next = x->level[0].forward;
		node_free(zsl, x);
		x = next;
	}
	node_free(zsl, zsl->header);
	if (zsl->acct != NULL)
		*zsl->acct -= sizeof(*zsl);
	free(zsl);
}

struct zsl_node *
zsl_insert(struct zsl *zsl, double score, const char *ele, uint32_t len)
{
	struct zsl_node *update[ZSL_MAXLEVEL], *x = zsl->header;
	uint64_t rank[ZSL_MAXLEVEL];
	int level, i;

	/* The last node of each level before the new one, and its rank. */
	for (i = zsl->level - 1; i >= 0; i--) {
		rank[i] = i == zsl->level - 1 ? 0 : rank[i + 1];
		while (x->level[i].forward != NULL &&
		       before(x->level[i].forward, score, ele, len)) {
			rank[i] += x->level[i].span;
			x = x->level[i].forward;
		}
		update[i] = x;
	}
	level = random_level(zsl);
	if (level > zsl->level) {
		for (i = zsl->level; i < level; i++) {
			rank[i] = 0;
			update[i] = zsl->header;
			update[i]->level[i].span = zsl->length;
		}
		zsl->level = level;
	}
	x = node_create(zsl, level, score, ele, len);
	if (x == NULL)
		return NULL;
	for (i = 0; i < level; i++) {
		x->level[i].forward = update[i]->level[i].forward;
		update[i]->level[i].forward = x;
		/* rank[0] - rank[i] nodes lie between update[i] and x */
		x->level[i].span = update[i]->level[i].span -
				   (rank[0] - rank[i]);
		update[i]->level[i].span = rank[0] - rank[i] + 1;
	}
	/* Links above the new node's level now pass one more node. */
	for (i = level; i < zsl->level; i++)
		update[i]->level[i].span++;
	x->backward = update[0] == zsl->header ? NULL : update[0];
	if (x->level[0].forward != NULL)
		x->level[0].forward->backward = x;
	else
		zsl->tail = x;
	zsl->length++;
	return x;
}

/* unlink_node -- take x out of every level (update: its predecessors). */
static void
unlink_node(struct zsl *zsl, struct zsl_node *x, struct zsl_node **update)
{
	for (int i = 0; i < zsl->level; i++) {
		if (update[i]->level[i].forward == x) {
			update[i]->level[i].span += x->level[i].span - 1;
			update[i]->level[i].forward = x->level[i].forward;
		} else {
			update[i]->level[i].span -= 1;
		}
	}
	if (x->level[0].forward != NULL)
		x->level[0].forward->backward = x->backward;
	else
		zsl->tail = x->backward;
	while (zsl->level > 1 &&
	       zsl->header->level[zsl->level - 1].forward == NULL)
		zsl->level--;
	zsl->length--;
}

/*
 * find_update -- fill update with the last node before (score, ele) at
 * each level; returns the node of (score, ele) or NULL.
 */
static struct zsl_node *
find_update(struct zsl *zsl, double score, const char *ele, uint32_t len,
	    struct zsl_node **update)
{
	struct zsl_node *x = zsl->header;

	for (int i = zsl->level - 1; i >= 0; i--) {
		while (x->level[i].forward != NULL &&
		       before(x->level[i].forward, score, ele, len))
			x = x->level[i].forward;
		update[i] = x;
	}
	x = x->level[0].forward;
	if (x != NULL && zsl_cmp(x->score, x->ele, x->len, score, ele,
				 len) == 0)
		return x;
	return NULL;
}

int
zsl_delete(struct zsl *zsl, double score, const char *ele, uint32_t len)
{
	struct zsl_node *update[ZSL_MAXLEVEL];
	struct zsl_node *x = find_update(zsl, score, ele, len, update);

	if (x == NULL)
		return -ENOENT;
	unlink_node(zsl, x, update);
	node_free(zsl, x);
	return 0;
}

struct zsl_node *
zsl_update_score(struct zsl *zsl, double cur, const char *ele, uint32_t len,
		 double nscore)
{
	struct zsl_node *update[ZSL_MAXLEVEL];
	struct zsl_node *x = find_update(zsl, cur, ele, len, update);

	if (x == NULL)
		return NULL;
	/* Still between its neighbours: change the score in place. */
	if (nscore == cur ||
	    ((x->backward == NULL || x->backward->score < nscore) &&
	     (x->level[0].forward == NULL ||
	      x->level[0].forward->score > nscore))) {
		x->score = nscore;
		return x;
	}
	/* Insert the new place first: out of memory leaves x as it was. */
	struct zsl_node *n = zsl_insert(zsl, nscore, ele, len);
	if (n == NULL)
		return NULL;
	zsl_delete(zsl, cur, ele, len);
	return n;
}

uint64_t
zsl_rank(const struct zsl *zsl, double score, const char *ele, uint32_t len)
{
	const struct zsl_node *x = zsl->header;
	uint64_t rank = 0;

	for (int i = zsl->level - 1; i >= 0; i--) {
		while (x->level[i].forward != NULL &&
		       zsl_cmp(x->level[i].forward->score,
			       x->level[i].forward->ele,
			       x->level[i].forward->len, score, ele, len) <= 0) {
			rank += x->level[i].span;
			x = x->level[i].forward;
		}
		if (x != zsl->header && x->len == len &&
		    memcmp(x->ele, ele, len) == 0 && x->score == score)
			return rank;
	}
	return 0;
}

struct zsl_node *
zsl_by_rank(const struct zsl *zsl, uint64_t rank)
{
	struct zsl_node *x = zsl->header;
	uint64_t traversed = 0;

	if (rank == 0 || rank > zsl->length)
		return NULL;
	for (int i = zsl->level - 1; i >= 0; i--) {
		while (x->level[i].forward != NULL &&
		       traversed + x->level[i].span <= rank) {
			traversed += x->level[i].span;
			x = x->level[i].forward;
		}
		if (traversed == rank)
			return x;
	}
	return NULL;
}

uint64_t
zsl_count_while(const struct zsl *zsl, zsl_pred_fn pred, const void *ctx)
{
	const struct zsl_node *x = zsl->header;
	uint64_t n = 0;

	for (int i = zsl->level - 1; i >= 0; i--) {
		while (x->level[i].forward != NULL &&
		       pred(ctx, x->level[i].forward->score,
			    x->level[i].forward->ele,
			    x->level[i].forward->len)) {
			n += x->level[i].span;
			x = x->level[i].forward;
		}
	}
	return n;
}

int
zsl_check(const struct zsl *zsl)
{
	const struct zsl_node *x, *prev = NULL;
	uint64_t n = 0;

	for (x = zsl->header->level[0].forward; x != NULL;
	     prev = x, x = x->level[0].forward) {
		n++;
		if (x->backward != prev)
			return -EINVAL;
		if (prev != NULL && zsl_cmp(prev->score, prev->ele, prev->len,
					    x->score, x->ele, x->len) >= 0)
			return -EINVAL;
		if (x->nlevel < 1 || x->nlevel > (uint32_t)zsl->level)
			return -EINVAL;
	}
	if (n != zsl->length || zsl->tail != prev)
		return -EINVAL;
	/* Every link's span is the distance in level-0 positions. */
	for (int i = 0; i < zsl->level; i++) {
		uint64_t pos = 0;
		x = zsl->header;
		while (x != NULL) {
			const struct zsl_node *f = x->level[i].forward;
			uint64_t span = x->level[i].span;
			if (f == NULL)
				break;
			uint64_t fpos = zsl_rank(zsl, f->score, f->ele, f->len);
			if (fpos - pos != span)
				return -EINVAL;
			pos = fpos;
			x = f;
		}
	}
	return 0;
}
