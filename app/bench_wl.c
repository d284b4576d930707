/*
 * bench_wl.c -- options, command templates and request encoding of
 * redpoll-bench (bench_wl.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_wl.h"
#include "udp_frame.h"

/* The built-in commands of -t. */
static const struct {
	const char *name;
	const char *line;
} builtins[] = {
	{ "get", "GET key:__key__" },
	{ "set", "SET key:__key__ __data__" },
	{ "incr", "INCR counter:__key__" },
	{ "mget", "MGET key:__key__ key:__key1__ key:__key2__ key:__key3__" },
	{ "ping", "PING" },
};

static const char data_pattern[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
#define DATA_PERIOD (sizeof(data_pattern) - 1)

const char bench_opts_usage[] =
"usage: redpoll-bench [EAL args] -- --src-ip A.B.C.D/LEN --host A.B.C.D\n"
"                     [options]\n"
"  --host IP          server address (required)\n"
"  --port N           server port (6379)\n"
"  --src-ip IP/LEN    this generator's address on the port (required)\n"
"  --src-port N       UDP source port of client 0; client i uses N+i\n"
"                     (10000; TCP uses ephemeral ports)\n"
"  --mtu N            port MTU (1500)\n"
"  --udp              RESP over UDP, one request per datagram (default)\n"
"  --tcp              RESP over TCP (redpoll's stack), one connection per\n"
"                     client, -P requests in flight on each\n"
"  -t LIST            built-in commands: get,set,incr,mget,ping (get)\n"
"  --command TMPL     a command template (repeatable), named cmd1, ...;\n"
"                     placeholders __key__, __key1__..__key9__, __data__\n"
"  --ratio SPEC       mix weights: set:get=1:10, or 1:10 in the order the\n"
"                     commands were given (default: all equal)\n"
"  -r N               key space: keys 0..N-1 (100000)\n"
"  --distribution D   uniform, zipf or seq (uniform)\n"
"  --zipf S           Zipf key choice with exponent S (implies zipf)\n"
"  -d N | MIN-MAX     value size in bytes, fixed or uniform in a range (32)\n"
"  -c N               clients, virtual connections (16)\n"
"  -P N               pipeline: requests outstanding per client (1)\n"
"  -n N               measured requests (default: by --duration)\n"
"  --duration S       measured seconds (5)\n"
"  --rate R           open loop at R requests/s, latency from the intended\n"
"                     send time (default: closed loop)\n"
"  --warmup S         seconds run before measuring (0)\n"
"  --timeout-ms N     a request without reply after N ms is an error (1000)\n"
"  --seed N           random seed (1)\n"
"  --json FILE        write the result as JSON\n"
"  --csv FILE         write the result as a CSV header and row\n"
"  --verify           every bulk reply must be a value of -d (GET after a\n"
"                     SET run with the same -d): others count as errors\n"
"  -q, --quiet        no per-second progress lines\n"
"  -h, --help         this text\n";

/* fail -- format the reason into err; returns -EINVAL. */
static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* add_part -- append a piece to the argument being compiled. */
static int
add_part(struct bench_cmd *c, enum bench_part_kind kind, unsigned key,
	 size_t off, size_t len)
{
	if (c->n_parts == BENCH_MAX_PARTS)
		return -1;
	struct bench_part *p = &c->parts[c->n_parts++];
	p->kind = (uint8_t)kind;
	p->key = (uint8_t)key;
	p->off = (uint16_t)off;
	p->len = (uint16_t)len;
	c->arg_parts[c->argc]++;
	return 0;
}

/*
 * placeholder -- recognise a placeholder at s: its length, and its kind
 * and key; 0 when s does not start one.
 */
static size_t
placeholder(const char *s, enum bench_part_kind *kind, unsigned *key)
{
	if (strncmp(s, "__data__", 8) == 0) {
		*kind = BENCH_PART_DATA;
		*key = 0;
		return 8;
	}
	if (strncmp(s, "__key__", 7) == 0) {
		*kind = BENCH_PART_KEY;
		*key = 0;
		return 7;
	}
	if (strncmp(s, "__key", 5) == 0 && s[5] >= '1' && s[5] <= '9' &&
	    strncmp(s + 6, "__", 2) == 0) {
		*kind = BENCH_PART_KEY;
		*key = (unsigned)(s[5] - '0');
		return 8;
	}
	return 0;
}

int
bench_cmd_compile(struct bench_cmd *c, const char *name, const char *line,
		  char *err, size_t errlen)
{
	size_t text = 0;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->weight = 1;
	for (const char *s = line; *s != '\0';) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		if (c->argc == BENCH_MAX_ARGS)
			return fail(err, errlen, "command '%s': more than %d "
				    "arguments", line, BENCH_MAX_ARGS);
		size_t lit = text;
		while (*s != '\0' && *s != ' ' && *s != '\t') {
			enum bench_part_kind kind;
			unsigned key;
			size_t n = placeholder(s, &kind, &key);
			if (n == 0 && strncmp(s, "__", 2) == 0 &&
			    (strncmp(s, "__key", 5) == 0 ||
			     strncmp(s, "__data", 6) == 0))
				return fail(err, errlen, "command '%s': unknown "
					    "placeholder at '%s'", line, s);
			if (n == 0) {
				if (text == sizeof(c->text))
					return fail(err, errlen, "command '%s' "
						    "is too long", line);
				c->text[text++] = *s++;
				continue;
			}
			if ((text > lit &&
			     add_part(c, BENCH_PART_LIT, 0, lit,
				      text - lit) < 0) ||
			    add_part(c, kind, key, 0, 0) < 0)
				goto too_many;
			if (kind == BENCH_PART_KEY && key + 1 > c->n_keys)
				c->n_keys = key + 1;
			lit = text;
			s += n;
		}
		if ((text > lit || c->arg_parts[c->argc] == 0) &&
		    add_part(c, BENCH_PART_LIT, 0, lit, text - lit) < 0)
			goto too_many;
		c->argc++;
	}
	if (c->argc == 0)
		return fail(err, errlen, "command '%s' is empty", line);
	return 0;
too_many:
	return fail(err, errlen, "command '%s' has too many pieces", line);
}

/* parse_u64 -- a decimal in [min, max]; false otherwise. */
static bool
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* parse_double -- a finite number in [min, max]; false otherwise. */
static bool
parse_double(const char *s, double min, double max, double *out)
{
	char *end;

	if (s == NULL || *s == '\0')
		return false;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* parse_ip -- a dotted IPv4 address, network order. */
static bool
parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (s == NULL || inet_pton(AF_INET, s, &a) != 1)
		return false;
	*ip = a.s_addr;
	return true;
}

/* parse_cidr -- "A.B.C.D/LEN" into address and netmask, network order. */
static bool
parse_cidr(const char *s, uint32_t *ip, uint32_t *mask)
{
	char buf[32];
	const char *slash = s ? strchr(s, '/') : NULL;
	uint64_t len;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (!parse_ip(buf, ip) || !parse_u64(slash + 1, 1, 32, &len))
		return false;
	*mask = htonl((uint32_t)(0xffffffffull << (32 - len)));
	return true;
}

/* add_cmd -- compile a template into the next slot of o. */
static int
add_cmd(struct bench_opts *o, const char *name, const char *line, char *err,
	size_t errlen)
{
	for (unsigned i = 0; i < o->n_cmds; i++)
		if (strcmp(o->cmds[i].name, name) == 0)
			return fail(err, errlen, "command %s given twice", name);
	if (o->n_cmds == BENCH_MAX_CMDS)
		return fail(err, errlen, "more than %d commands",
			    BENCH_MAX_CMDS);
	int rc = bench_cmd_compile(&o->cmds[o->n_cmds], name, line, err,
				   errlen);
	if (rc == 0)
		o->n_cmds++;
	return rc;
}

/* add_builtins -- the commands of a -t list. */
static int
add_builtins(struct bench_opts *o, const char *list, char *err, size_t errlen)
{
	char buf[256];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		unsigned i;
		for (i = 0; i < (sizeof(builtins) / sizeof(builtins[0])); i++)
			if (strcasecmp(t, builtins[i].name) == 0)
				break;
		if (i == (sizeof(builtins) / sizeof(builtins[0])))
			return fail(err, errlen, "-t: unknown command '%s' "
				    "(get, set, incr, mget, ping)", t);
		int rc = add_cmd(o, builtins[i].name, builtins[i].line, err,
				 errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* apply_ratio -- "a:b=1:10" or "1:10" into the commands' weights. */
static int
apply_ratio(struct bench_opts *o, const char *spec, char *err, size_t errlen)
{
	char buf[256];
	char *names = NULL, *weights = buf, *save1 = NULL, *save2 = NULL;
	unsigned n = 0;

	snprintf(buf, sizeof(buf), "%s", spec);
	char *eq = strchr(buf, '=');
	if (eq != NULL) {
		*eq = '\0';
		names = buf;
		weights = eq + 1;
		for (unsigned i = 0; i < o->n_cmds; i++)
			o->cmds[i].weight = 0;
	}
	char *w = strtok_r(weights, ":", &save2);
	char *nm = names ? strtok_r(names, ":", &save1) : NULL;
	for (; w != NULL; w = strtok_r(NULL, ":", &save2), n++) {
		uint64_t v;
		if (!parse_u64(w, 0, 1000000, &v))
			return fail(err, errlen, "--ratio %s: bad weight '%s'",
				    spec, w);
		unsigned idx = n;
		if (names != NULL) {
			if (nm == NULL)
				return fail(err, errlen, "--ratio %s: more "
					    "weights than names", spec);
			for (idx = 0; idx < o->n_cmds; idx++)
				if (strcasecmp(o->cmds[idx].name, nm) == 0)
					break;
			if (idx == o->n_cmds)
				return fail(err, errlen, "--ratio %s: '%s' is "
					    "not a command of -t or --command",
					    spec, nm);
			nm = strtok_r(NULL, ":", &save1);
		} else if (idx >= o->n_cmds) {
			return fail(err, errlen, "--ratio %s: more weights "
				    "than commands", spec);
		}
		o->cmds[idx].weight = (unsigned)v;
	}
	if (nm != NULL || (names == NULL && n != o->n_cmds))
		return fail(err, errlen, "--ratio %s: names and weights do "
			    "not match the commands", spec);
	unsigned sum = 0;
	for (unsigned i = 0; i < o->n_cmds; i++)
		sum += o->cmds[i].weight;
	if (sum == 0)
		return fail(err, errlen, "--ratio %s: all weights are 0", spec);
	return 0;
}

/* opts_defaults -- everything not given on the command line. */
static void
opts_defaults(struct bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->transport = BENCH_TP_UDP;
	o->port = 6379;
	o->src_port = 10000;
	o->mtu = 1500;
	o->key_space = 100000;
	o->dist = BENCH_DIST_UNIFORM;
	o->zipf_s = 0.99;
	o->data_min = o->data_max = 32;
	o->clients = 16;
	o->pipeline = 1;
	o->duration = 5;
	o->timeout_ms = 1000;
	o->seed = 1;
}

/* opts_check -- the consistency of the options as a whole. */
static int
opts_check(struct bench_opts *o, const char *ratio, char *err, size_t errlen)
{
	int rc;

	if (o->host == 0)
		return fail(err, errlen, "--host is required");
	if (o->src_ip == 0)
		return fail(err, errlen, "--src-ip is required");
	if (o->n_cmds == 0 && (rc = add_builtins(o, "get", err, errlen)) != 0)
		return rc;
	if (ratio != NULL && (rc = apply_ratio(o, ratio, err, errlen)) != 0)
		return rc;
	if ((uint64_t)o->clients * o->pipeline > 65536)
		return fail(err, errlen, "-c times -P is above 65536");
	if ((uint32_t)o->src_port + o->clients > 65536)
		return fail(err, errlen, "--src-port plus -c passes 65535");
	size_t room = (size_t)o->mtu - 20 - 8 - DP_UDP_FRAME_LEN;
	for (unsigned i = 0; i < o->n_cmds; i++) {
		size_t need = bench_cmd_max_len(&o->cmds[i], o->key_space,
						o->data_max);
		if (o->transport == BENCH_TP_UDP && o->cmds[i].weight > 0 &&
		    need > room)
			return fail(err, errlen, "%s: a request of up to %zu "
				    "bytes does not fit a datagram of the MTU "
				    "(%zu bytes of RESP)", o->cmds[i].name,
				    need, room);
	}
	return 0;
}

int
bench_opts_parse(struct bench_opts *o, int argc, char **argv, char *err,
		 size_t errlen)
{
	const char *ratio = NULL;
	unsigned n_templates = 0;
	uint64_t u;
	int rc;

	opts_defaults(o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool used = true;       /* the option takes v */

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(bench_opts_usage, stdout);
			return 1;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			o->quiet = 1;
			used = false;
		} else if (strcmp(a, "--verify") == 0) {
			o->verify = 1;
			used = false;
		} else if (strcmp(a, "--udp") == 0) {
			o->transport = BENCH_TP_UDP;
			used = false;
		} else if (strcmp(a, "--tcp") == 0) {
			o->transport = BENCH_TP_TCP;
			used = false;
		} else if (strcmp(a, "--host") == 0) {
			if (!parse_ip(v, &o->host))
				goto bad;
		} else if (strcmp(a, "--src-ip") == 0) {
			if (!parse_cidr(v, &o->src_ip, &o->src_mask))
				goto bad;
		} else if (strcmp(a, "--port") == 0) {
			if (!parse_u64(v, 1, 65535, &u))
				goto bad;
			o->port = (uint16_t)u;
		} else if (strcmp(a, "--src-port") == 0) {
			if (!parse_u64(v, 1, 65535, &u))
				goto bad;
			o->src_port = (uint16_t)u;
		} else if (strcmp(a, "--mtu") == 0) {
			if (!parse_u64(v, 576, 9000, &u))
				goto bad;
			o->mtu = (uint16_t)u;
		} else if (strcmp(a, "-t") == 0) {
			if (v == NULL)
				goto bad;
			if ((rc = add_builtins(o, v, err, errlen)) != 0)
				return rc;
		} else if (strcmp(a, "--command") == 0) {
			char name[16];
			if (v == NULL)
				goto bad;
			snprintf(name, sizeof(name), "cmd%u", ++n_templates);
			if ((rc = add_cmd(o, name, v, err, errlen)) != 0)
				return rc;
		} else if (strcmp(a, "--ratio") == 0) {
			if (v == NULL)
				goto bad;
			ratio = v;
		} else if (strcmp(a, "-r") == 0) {
			if (!parse_u64(v, 1, UINT64_MAX / 2, &o->key_space))
				goto bad;
		} else if (strcmp(a, "--distribution") == 0) {
			if (v != NULL && strcmp(v, "uniform") == 0)
				o->dist = BENCH_DIST_UNIFORM;
			else if (v != NULL && strcmp(v, "zipf") == 0)
				o->dist = BENCH_DIST_ZIPF;
			else if (v != NULL && strcmp(v, "seq") == 0)
				o->dist = BENCH_DIST_SEQ;
			else
				goto bad;
		} else if (strcmp(a, "--zipf") == 0) {
			if (!parse_double(v, 1e-6, 100, &o->zipf_s))
				goto bad;
			o->dist = BENCH_DIST_ZIPF;
		} else if (strcmp(a, "-d") == 0) {
			const char *dash = v ? strchr(v, '-') : NULL;
			uint64_t lo, hi;
			char buf[32];
			if (dash == NULL) {
				if (!parse_u64(v, 0, 1 << 20, &lo))
					goto bad;
				hi = lo;
			} else {
				snprintf(buf, sizeof(buf), "%.*s",
					 (int)(dash - v), v);
				if (!parse_u64(buf, 0, 1 << 20, &lo) ||
				    !parse_u64(dash + 1, lo, 1 << 20, &hi))
					goto bad;
			}
			o->data_min = (uint32_t)lo;
			o->data_max = (uint32_t)hi;
		} else if (strcmp(a, "-c") == 0) {
			if (!parse_u64(v, 1, 65536, &u))
				goto bad;
			o->clients = (unsigned)u;
		} else if (strcmp(a, "-P") == 0) {
			if (!parse_u64(v, 1, 4096, &u))
				goto bad;
			o->pipeline = (unsigned)u;
		} else if (strcmp(a, "-n") == 0) {
			if (!parse_u64(v, 1, UINT64_MAX / 2, &o->requests))
				goto bad;
		} else if (strcmp(a, "--duration") == 0) {
			if (!parse_double(v, 0.001, 1e6, &o->duration))
				goto bad;
		} else if (strcmp(a, "--rate") == 0) {
			if (!parse_double(v, 1, 1e9, &o->rate))
				goto bad;
		} else if (strcmp(a, "--warmup") == 0) {
			if (!parse_double(v, 0, 1e6, &o->warmup))
				goto bad;
		} else if (strcmp(a, "--timeout-ms") == 0) {
			if (!parse_u64(v, 1, 3600000, &u))
				goto bad;
			o->timeout_ms = (unsigned)u;
		} else if (strcmp(a, "--seed") == 0) {
			if (!parse_u64(v, 0, UINT64_MAX, &o->seed))
				goto bad;
		} else if (strcmp(a, "--json") == 0) {
			if (v == NULL)
				goto bad;
			o->json = v;
		} else if (strcmp(a, "--csv") == 0) {
			if (v == NULL)
				goto bad;
			o->csv = v;
		} else {
			return fail(err, errlen, "unknown option '%s' (see "
				    "--help)", a);
		}
		if (used)
			i++;
		continue;
bad:
		return fail(err, errlen, "%s: %s value '%s'", a,
			    v ? "bad" : "missing", v ? v : "");
	}
	return opts_check(o, ratio, err, errlen);
}

/* digits -- decimal digits of v. */
static unsigned
digits(uint64_t v)
{
	unsigned n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* arg_len -- bytes of the argument made of pieces p[0..n) for req. */
static size_t
arg_len(const struct bench_part *p, unsigned n, const struct bench_req *req)
{
	size_t len = 0;

	for (unsigned k = 0; k < n; k++) {
		if (p[k].kind == BENCH_PART_LIT)
			len += p[k].len;
		else if (p[k].kind == BENCH_PART_KEY)
			len += digits(req->keys[p[k].key]);
		else
			len += req->data_len;
	}
	return len;
}

size_t
bench_cmd_max_len(const struct bench_cmd *c, uint64_t key_space,
		  uint32_t data_max)
{
	struct bench_req req;

	memset(&req, 0, sizeof(req));
	for (unsigned k = 0; k < BENCH_MAX_KEYS; k++)
		req.keys[k] = key_space - 1;
	req.data_len = data_max;
	/* "*argc\r\n", then "$len\r\n" arg "\r\n" per argument */
	size_t len = 3 + digits(c->argc);
	const struct bench_part *p = c->parts;
	for (unsigned a = 0; a < c->argc; a++) {
		size_t al = arg_len(p, c->arg_parts[a], &req);
		len += 5 + digits(al) + al;
		p += c->arg_parts[a];
	}
	return len;
}

void
bench_data_fill(char *buf, size_t len)
{
	while (len > 0) {
		size_t n = len < DATA_PERIOD ? len : DATA_PERIOD;
		memcpy(buf, data_pattern, n);
		buf += n;
		len -= n;
	}
}

int
bench_data_check(const struct bench_opts *o, const char *buf, size_t len)
{
	if (len < o->data_min || len > o->data_max)
		return 0;
	for (size_t i = 0; i < len; i += DATA_PERIOD) {
		size_t n = len - i < DATA_PERIOD ? len - i : DATA_PERIOD;
		if (memcmp(buf + i, data_pattern, n) != 0)
			return 0;
	}
	return 1;
}

/* put_u64 -- write v in decimal at buf; returns its length. */
static size_t
put_u64(char *buf, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

int
bench_cmd_encode(const struct bench_cmd *c, const struct bench_req *req,
		 char *buf, size_t cap)
{
	const struct bench_part *p = c->parts;
	size_t pos = 0;

	if (cap < 24)
		return -ENOSPC;
	buf[pos++] = '*';
	pos += put_u64(buf + pos, c->argc);
	buf[pos++] = '\r';
	buf[pos++] = '\n';
	for (unsigned a = 0; a < c->argc; a++) {
		unsigned n = c->arg_parts[a];
		size_t al = arg_len(p, n, req);
		if (pos + 25 + al > cap)
			return -ENOSPC;
		buf[pos++] = '$';
		pos += put_u64(buf + pos, al);
		buf[pos++] = '\r';
		buf[pos++] = '\n';
		for (unsigned k = 0; k < n; k++) {
			if (p[k].kind == BENCH_PART_LIT) {
				memcpy(buf + pos, c->text + p[k].off, p[k].len);
				pos += p[k].len;
			} else if (p[k].kind == BENCH_PART_KEY) {
				pos += put_u64(buf + pos, req->keys[p[k].key]);
			} else {
				bench_data_fill(buf + pos, req->data_len);
				pos += req->data_len;
			}
		}
		buf[pos++] = '\r';
		buf[pos++] = '\n';
		p += n;
	}
	return (int)pos;
}

int
bench_wl_init(struct bench_wl *w, const struct bench_opts *o, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	w->o = o;
	bench_rng_seed(&w->rng, seed);
	if (o->dist == BENCH_DIST_ZIPF)
		bench_zipf_init(&w->zipf, o->key_space, o->zipf_s);
	for (unsigned i = 0; i < o->n_cmds; i++)
		w->weight_sum += o->cmds[i].weight;
	return 0;
}

/* next_key -- a key number in [0, key_space). */
static uint64_t
next_key(struct bench_wl *w)
{
	const struct bench_opts *o = w->o;

	switch (o->dist) {
	case BENCH_DIST_ZIPF:
		return bench_zipf_next(&w->zipf, &w->rng) - 1;
	case BENCH_DIST_SEQ: {
		uint64_t k = w->next_seq++;
		if (w->next_seq == o->key_space)
			w->next_seq = 0;
		return k;
	}
	default:
		return bench_rng_below(&w->rng, o->key_space);
	}
}

void
bench_wl_next(struct bench_wl *w, struct bench_req *req)
{
	const struct bench_opts *o = w->o;
	unsigned pick = (unsigned)bench_rng_below(&w->rng, w->weight_sum);
	unsigned i = 0;

	while (pick >= o->cmds[i].weight) {
		pick -= o->cmds[i].weight;
		i++;
	}
	req->cmd = i;
	for (unsigned k = 0; k < o->cmds[i].n_keys; k++)
		req->keys[k] = next_key(w);
	req->data_len = o->data_min;
	if (o->data_max > o->data_min)
		req->data_len += (uint32_t)bench_rng_below(&w->rng,
				o->data_max - o->data_min + 1);
}
