/*
 * bench_wl.h -- redpoll-bench's options and workload: the command mix
 * and its ratios, command templates, key choice, value sizes, and the
 * encoding of one request as a RESP multibulk.
 *
 * A template is a command line split at spaces into arguments, in which
 * placeholders are replaced for every request:
 *   __key__          a key number drawn from the key space (0 .. -r - 1);
 *                    every __key__ of one request is the same number
 *   __key1__ .. __key9__  further keys drawn independently (MGET)
 *   __data__         a value of -d bytes (or a size drawn in MIN-MAX):
 *                    the first bytes of "abc...zABC...Z0..9" repeated
 * The built-in commands of -t are templates too:
 *   get   GET key:__key__           set   SET key:__key__ __data__
 *   incr  INCR counter:__key__      mget  MGET key:__key__ .. key:__key3__
 *   ping  PING
 * Templates given with --command are named cmd1, cmd2, ... in --ratio.
 *
 * Nothing here touches DPDK, so the unit tests run without an EAL.
 */
#ifndef RP_BENCH_WL_H
#define RP_BENCH_WL_H

#include <stddef.h>
#include <stdint.h>

#include "bench_zipf.h"

#define BENCH_MAX_CMDS   16
#define BENCH_MAX_ARGS   32
#define BENCH_MAX_KEYS   10     /* __key__ and __key1__ .. __key9__ */
#define BENCH_MAX_PARTS  96     /* literal and placeholder pieces */
#define BENCH_TMPL_TEXT  512    /* literal bytes of one template */

enum bench_dist {
	BENCH_DIST_UNIFORM,
	BENCH_DIST_ZIPF,
	BENCH_DIST_SEQ,         /* 0, 1, 2, ... wrapping: fills a key space */
};

enum bench_transport {
	BENCH_TP_UDP,           /* one request per datagram (udp_frame.h) */
	BENCH_TP_TCP,           /* redpoll's TCP stack, active open */
};

/* One piece of an argument: literal bytes, a key or the value. */
enum bench_part_kind { BENCH_PART_LIT, BENCH_PART_KEY, BENCH_PART_DATA };

struct bench_part {
	uint8_t kind;           /* enum bench_part_kind */
	uint8_t key;            /* BENCH_PART_KEY: 0 .. BENCH_MAX_KEYS - 1 */
	uint16_t off, len;      /* BENCH_PART_LIT: bytes of text */
};

/* A compiled template. */
struct bench_cmd {
	char name[16];                  /* "get", "cmd1", ... */
	unsigned weight;                /* share of the mix (--ratio) */
	unsigned argc;
	unsigned n_keys;                /* key draws: highest __keyN__ + 1 */
	unsigned n_parts;
	uint8_t arg_parts[BENCH_MAX_ARGS];      /* pieces of each argument */
	struct bench_part parts[BENCH_MAX_PARTS];
	char text[BENCH_TMPL_TEXT];
};

struct bench_opts {
	/* where */
	enum bench_transport transport;
	uint32_t src_ip, src_mask;      /* network order */
	uint32_t host;                  /* network order */
	uint16_t port;
	uint16_t src_port;              /* first client's; client i: +i */
	uint16_t mtu;
	/* what */
	unsigned n_cmds;
	struct bench_cmd cmds[BENCH_MAX_CMDS];
	uint64_t key_space;             /* -r */
	enum bench_dist dist;
	double zipf_s;
	uint32_t data_min, data_max;    /* -d */
	/* how much, how fast */
	unsigned clients;               /* -c */
	unsigned pipeline;              /* -P */
	uint64_t requests;              /* -n, 0 = by duration */
	double duration;                /* seconds, when requests is 0 */
	double rate;                    /* req/s, 0 = closed loop */
	double warmup;                  /* seconds not measured */
	unsigned timeout_ms;
	uint64_t seed;
	/* output */
	const char *json, *csv;
	int quiet;                      /* no per-second lines */
	int verify;                     /* bulk replies must be our values */
};

/*
 * bench_opts_parse -- fill o from the program's arguments (those after
 * the EAL's "--"); argv[0] is skipped. Defaults apply to everything not
 * given. Returns 0, 1 for --help (usage printed to stdout), or -EINVAL
 * with the reason in err.
 */
int bench_opts_parse(struct bench_opts *o, int argc, char **argv, char *err,
		     size_t errlen);

/* bench_opts_usage -- the option summary. */
extern const char bench_opts_usage[];

/*
 * bench_cmd_compile -- compile template line under name with weight 1.
 * Returns 0 or -EINVAL (empty, too many arguments or pieces, unknown
 * __placeholder__ ...) with the reason in err.
 */
int bench_cmd_compile(struct bench_cmd *c, const char *name,
		      const char *line, char *err, size_t errlen);

/* One request about to be encoded. */
struct bench_req {
	unsigned cmd;                   /* index in opts->cmds */
	uint32_t data_len;
	uint64_t keys[BENCH_MAX_KEYS];
};

/* Per-generator state of the workload (the sequential key). */
struct bench_wl {
	const struct bench_opts *o;
	struct bench_zipf zipf;
	struct bench_rng rng;
	uint64_t next_seq;
	unsigned weight_sum;
};

/* bench_wl_init -- a generator of o's mix seeded with seed. Returns 0. */
int bench_wl_init(struct bench_wl *w, const struct bench_opts *o,
		  uint64_t seed);

/* bench_wl_next -- draw the command, keys and value size of a request. */
void bench_wl_next(struct bench_wl *w, struct bench_req *req);

/*
 * bench_cmd_encode -- write request req of c as a RESP multibulk in
 * buf[0..cap). Returns its length, or -ENOSPC when it does not fit.
 */
int bench_cmd_encode(const struct bench_cmd *c, const struct bench_req *req,
		     char *buf, size_t cap);

/*
 * bench_cmd_max_len -- the longest encoding of c with keys below
 * key_space and values of at most data_max bytes.
 */
size_t bench_cmd_max_len(const struct bench_cmd *c, uint64_t key_space,
			 uint32_t data_max);

/* bench_data_fill -- the value bytes of __data__ (len bytes at buf). */
void bench_data_fill(char *buf, size_t len);

/*
 * bench_data_check -- whether buf[0..len) is a value bench_data_fill
 * writes, of a length within [o->data_min, o->data_max].
 */
int bench_data_check(const struct bench_opts *o, const char *buf,
		     size_t len);

#endif /* RP_BENCH_WL_H */
