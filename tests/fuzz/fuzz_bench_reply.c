/*
 * fuzz_bench_reply.c -- redpoll-bench's reply check on arbitrary bytes
 * (what a server, or anyone, may send to its UDP ports): a complete
 * reply's length stays in the buffer and checking exactly those bytes
 * gives the same answer; a cut-short prefix of it is PARTIAL; bytes
 * after a complete reply never change the verdict. And the same bytes as
 * a TCP stream (bench_reply_stream) cut into pieces of a size taken from
 * the first byte: the replies taken are those that checking the whole
 * buffer one reply after another finds, and it stops where that does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_reply.h"

/* check -- abort with a message when an invariant does not hold. */
#define check(cond)                                                     \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "fuzz_bench_reply: %s:%d: %s\n",\
				__FILE__, __LINE__, #cond);             \
			abort();                                        \
		}                                                       \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * stream -- feed buf to a reply stream in pieces of step bytes; every
 * reply taken must be the next one of checking buf in sequence.
 */
static void
stream(const char *buf, size_t size, size_t step)
{
	struct bench_reply_stream s;
	struct bench_reply_top top;
	const char *reply;
	size_t rlen, pos = 0, used;
	enum bench_reply_status st = BENCH_REPLY_PARTIAL, want;

	bench_reply_stream_init(&s, size + 1);
	for (size_t off = 0; off < size && st != BENCH_REPLY_BAD;
	     off += step) {
		size_t k = size - off < step ? size - off : step;
		check(bench_reply_stream_append(&s, buf + off, k) == 0);
		for (;;) {
			st = bench_reply_stream_next(&s, &reply, &rlen, &top);
			want = bench_reply_check(buf + pos, off + k - pos,
						 &used, NULL);
			check(st == want);
			if (st == BENCH_REPLY_PARTIAL || st == BENCH_REPLY_BAD)
				break;
			check(rlen == used && memcmp(reply, buf + pos,
						     rlen) == 0);
			pos += rlen;
		}
	}
	if (st != BENCH_REPLY_BAD)
		check(bench_reply_stream_pending(&s) == size - pos);
	bench_reply_stream_fini(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so ASan sees any overread. */
	char *buf = malloc(size ? size : 1);
	size_t used = 0, used2 = 0;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	struct bench_reply_top top;
	enum bench_reply_status st = bench_reply_check(buf, size, &used, &top);
	if (st == BENCH_REPLY_OK || st == BENCH_REPLY_ERROR) {
		check(used > 0 && used <= size);
		check(top.type == buf[0]);
		if (top.type == '$' && !top.nil)
			check(top.off + top.len + 2 == used);
		check(bench_reply_check(buf, used, &used2, NULL) == st);
		check(used2 == used);
		/* prefixes: a sample of cut points, all when short */
		size_t step = used > 256 ? used / 64 : 1;
		for (size_t k = 0; k < used; k += step)
			check(bench_reply_check(buf, k, &used2, NULL) ==
			      BENCH_REPLY_PARTIAL);
	} else if (st == BENCH_REPLY_PARTIAL && size > 0) {
		/* a prefix of a partial reply is partial too */
		check(bench_reply_check(buf, size / 2, &used2, NULL) ==
		      BENCH_REPLY_PARTIAL);
	}
	if (size > 0)
		stream(buf, size, (size_t)(uint8_t)buf[0] % 64 + 1);
	free(buf);
	return 0;
}
