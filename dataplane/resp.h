/*
 * resp.h -- resumable RESP2 request parser (multibulk and inline).
 *
 * The parser knows nothing of sockets or TCP: the connection owns a
 * struct resp_parser and feeds it the bytes of the current request from
 * their start, in one contiguous buffer that may grow between calls (the
 * connection's query buffer, or an mbuf's payload when a request sits in
 * one segment). The parser remembers how far it validated, so feeding a
 * request byte by byte costs linear time, and it keeps arguments as
 * offsets, so the buffer may move between calls.
 *
 * Hard caps follow Redis 7.0: INT_MAX arguments (the argument array
 * grows as bulks arrive, never from the count alone), proto-max-bulk-len
 * (512 MiB) per bulk, 64 KiB for an inline request or a count line.
 * Like Redis, a line end is searched with C-string semantics: a NUL byte
 * before it hides it.
 */
#ifndef RP_RESP_H
#define RP_RESP_H

#include <stddef.h>
#include <stdint.h>

#define RESP_MAX_MULTIBULK INT32_MAX
#define RESP_MAX_BULK      (512ULL * 1024 * 1024)
#define RESP_MAX_INLINE    (64 * 1024)

enum resp_status {
	RESP_NEED_MORE = 0, /* the request is not complete yet */
	RESP_DONE,          /* a complete request: see resp_cmd */
	RESP_EMPTY,         /* bytes consumed but no request ("\r\n", "*0") */
	RESP_ERROR,         /* protocol error: see resp_parser.err */
};

/* One argument, as an offset into the buffer passed to resp_parse. */
struct resp_slice {
	uint32_t off;
	uint32_t len;
};

/* Parser state, kept in the connection between calls. */
struct resp_parser {
	int state;               /* private */
	int64_t multibulk;       /* arguments still expected */
	int64_t bulk;            /* length of the bulk being read, -1 none */
	size_t pos;              /* bytes of the request validated so far */
	size_t scan;             /* where the search for a line end resumes */
	uint32_t argc;           /* arguments complete so far */
	uint32_t cap;            /* capacity of argv */
	struct resp_slice *argv; /* grown on demand (malloc) */
	const char *err;         /* protocol error text on RESP_ERROR */
	char errbuf[48];         /* storage for err when it quotes a byte */
};

/* resp_parser_init -- empty parser ready for the first request. */
void resp_parser_init(struct resp_parser *p);

/* resp_parser_fini -- free the argument array. */
void resp_parser_fini(struct resp_parser *p);

/*
 * resp_parse -- continue parsing the request that starts at buf[0].
 *   buf, len:  every byte received since the request started; the bytes
 *              already passed in earlier calls must be unchanged (inline
 *              requests are unquoted in place, hence non-const).
 *   consumed:  on RESP_DONE/RESP_EMPTY/RESP_ERROR, the bytes of buf that
 *              belong to this request.
 * On RESP_DONE, p->argc and p->argv describe the request (offsets into
 * buf); call resp_parser_reset before parsing the next one from
 * buf + *consumed. On RESP_ERROR, p->err holds Redis's exact text
 * ("Protocol error: invalid multibulk length", ...) without the "-ERR "
 * prefix; the connection replies with it and closes.
 */
enum resp_status resp_parse(struct resp_parser *p, char *buf, size_t len,
			    size_t *consumed);

/* resp_parser_reset -- forget the request just completed; keep argv. */
void resp_parser_reset(struct resp_parser *p);

#endif /* RP_RESP_H */
