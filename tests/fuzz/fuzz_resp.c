/*
 * fuzz_resp.c -- the RESP parser on arbitrary bytes, as a stream of
 * requests: parsed whole, then again delivered in fragments whose sizes
 * come from the input into a query buffer that moves on every delivery.
 * Offsets must stay inside the request, consumed inside the buffer, and
 * both runs must see the same requests and the same error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

/* check -- abort with a message when an invariant does not hold. */
#define check(cond)                                                     \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "fuzz_resp: %s:%d: %s\n",       \
				__FILE__, __LINE__, #cond);             \
			abort();                                        \
		}                                                       \
	} while (0)

/* What a run saw: a FNV-1a digest of the requests, and the error. */
struct outcome {
	uint64_t digest;
	uint64_t requests;
	char err[64];
};

/* mix -- fold n bytes into the digest. */
static void
mix(struct outcome *o, const void *s, size_t n)
{
	const uint8_t *b = s;
	for (size_t i = 0; i < n; i++)
		o->digest = (o->digest ^ b[i]) * 1099511628211ULL;
}

/*
 * parse_all -- parse the requests complete in q[0..*qlen), checking the
 * invariants; keep the unfinished one at the start. Returns -1 after a
 * protocol error.
 */
static int
parse_all(struct resp_parser *p, char *q, size_t *qlen, struct outcome *o)
{
	size_t off = 0;
	int rc = 0;

	while (off < *qlen) {
		size_t used = ~(size_t)0;
		char *req = q + off;
		enum resp_status st = resp_parse(p, req, *qlen - off, &used);
		check(p->scan <= *qlen - off && p->pos <= *qlen - off);
		if (st == RESP_NEED_MORE)
			break;
		check(used > 0 && used <= *qlen - off);
		if (st == RESP_ERROR) {
			check(p->err != NULL &&
			      strlen(p->err) < sizeof(o->err));
			strcpy(o->err, p->err);
			rc = -1;
			off = *qlen;
			break;
		}
		check(st == RESP_DONE ? p->argc > 0 : p->argc == 0);
		check(p->argc <= p->cap);
		for (uint32_t i = 0; i < p->argc; i++) {
			const struct resp_slice *a = &p->argv[i];
			check((size_t)a->off + a->len <= used);
			mix(o, &a->len, sizeof(a->len));
			mix(o, req + a->off, a->len);
		}
		mix(o, "|", 1);
		o->requests++;
		resp_parser_reset(p);
		off += used;
	}
	memmove(q, q + off, *qlen - off);
	*qlen -= off;
	return rc;
}

/*
 * run -- deliver data[0..size): all at once if sizes is NULL, else in
 * fragments of 1 + sizes[i % nsizes] % 97 bytes.
 */
static void
run(const uint8_t *data, size_t size, const uint8_t *sizes, size_t nsizes,
    struct outcome *o)
{
	struct resp_parser p;
	char *q = NULL;
	size_t qlen = 0, pos = 0;

	memset(o, 0, sizeof(*o));
	o->digest = 1469598103934665603ULL;
	resp_parser_init(&p);
	for (size_t i = 0; pos < size; i++) {
		size_t k = sizes == NULL ? size :
			   1 + (size_t)sizes[i % nsizes] % 97;
		if (k > size - pos)
			k = size - pos;
		/* A new buffer each time: the old address must not be used. */
		char *nq = malloc(qlen + k);
		check(nq != NULL);
		if (qlen > 0)
			memcpy(nq, q, qlen);
		memcpy(nq + qlen, data + pos, k);
		free(q);
		q = nq;
		qlen += k;
		pos += k;
		if (parse_all(&p, q, &qlen, o) != 0)
			break;
	}
	resp_parser_fini(&p);
	free(q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, pieces;

	run(data, size, NULL, 0, &whole);
	if (size == 0)
		return 0;
	/* The fragment sizes come from the input's last bytes. */
	size_t nsizes = size < 8 ? size : 8;
	run(data, size, data + size - nsizes, nsizes, &pieces);
	/*
	 * Past 64 KiB, whether a line end arrives before the size check
	 * depends on the fragments, in Redis too: compare only below.
	 */
	if (size <= RESP_MAX_INLINE) {
		check(whole.requests == pieces.requests);
		check(whole.digest == pieces.digest);
		check(strcmp(whole.err, pieces.err) == 0);
	}
	return 0;
}
