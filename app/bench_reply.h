/*
 * bench_reply.h -- check one RESP2 reply, as redpoll-bench receives it
 * in a datagram: complete, well formed, and whether it is an error; and
 * split a byte stream (TCP) into replies, resuming across segments.
 *
 * The bytes come from the network and are not trusted: lengths and
 * counts are bounded by the buffer, nesting by BENCH_REPLY_MAX_DEPTH,
 * and nothing is allocated.
 */
#ifndef RP_BENCH_REPLY_H
#define RP_BENCH_REPLY_H

#include <stddef.h>

#define BENCH_REPLY_MAX_DEPTH 8

enum bench_reply_status {
	BENCH_REPLY_OK,         /* a complete reply that is not an error */
	BENCH_REPLY_ERROR,      /* a complete error reply ("-ERR ...") */
	BENCH_REPLY_PARTIAL,    /* well formed so far, but cut short */
	BENCH_REPLY_BAD,        /* not RESP2, or nested too deep */
};

/* What the outermost reply is, for counting nils and checking values. */
struct bench_reply_top {
	char type;              /* '+', '-', ':', '$' or '*' */
	int nil;                /* "$-1" or "*-1" */
	size_t off, len;        /* '$': the bulk's bytes in buf */
};

/*
 * bench_reply_check -- the status of the reply at buf[0..len); on OK or
 * ERROR, *used is its length (bytes after it are the caller's to judge)
 * and, if top is not NULL, *top describes it.
 * An error nested in an array makes the whole reply OK, as in EXEC.
 */
enum bench_reply_status bench_reply_check(const char *buf, size_t len,
					  size_t *used,
					  struct bench_reply_top *top);

/*
 * A reply stream: the bytes of one connection, appended as segments
 * arrive, taken off one complete reply at a time. At most max bytes
 * (a partial reply) are held; the buffer grows up to that.
 */
struct bench_reply_stream {
	char *buf;
	size_t head;            /* first byte not yet taken */
	size_t len;             /* bytes in buf */
	size_t cap, max;
};

/* bench_reply_stream_init -- an empty stream holding at most max bytes. */
void bench_reply_stream_init(struct bench_reply_stream *s, size_t max);

/* bench_reply_stream_fini -- free the buffer (the stream is then empty). */
void bench_reply_stream_fini(struct bench_reply_stream *s);

/*
 * bench_reply_stream_append -- add len received bytes. Returns 0, or
 * -ENOSPC when the bytes held would pass max, -ENOMEM (nothing added).
 * Pointers from bench_reply_stream_next are invalid afterwards.
 */
int bench_reply_stream_append(struct bench_reply_stream *s, const void *data,
			      size_t len);

/*
 * bench_reply_stream_next -- take the next complete reply: OK or ERROR
 * with *reply and *rlen set (valid until the next append) and *top as
 * bench_reply_check's; PARTIAL when more bytes are needed (nothing is
 * taken); BAD when the stream is not RESP2 (it stays BAD).
 */
enum bench_reply_status bench_reply_stream_next(struct bench_reply_stream *s,
						const char **reply,
						size_t *rlen,
						struct bench_reply_top *top);

/* bench_reply_stream_pending -- bytes held that are not yet a reply. */
static inline size_t
bench_reply_stream_pending(const struct bench_reply_stream *s)
{
	return s->len - s->head;
}

#endif /* RP_BENCH_REPLY_H */
