/*
 * bench_reply.h -- check one RESP2 reply, as redpoll-bench receives it
 * in a datagram: complete, well formed, and whether it is an error.
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

#endif /* RP_BENCH_REPLY_H */
