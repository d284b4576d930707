/*
 * admin.c -- the admin socket, served by the main lcore with epoll.
 *
 * A client has at most one request in flight to the worker; the requests
 * it pipelines wait in its query buffer, so replies leave in request
 * order. The main lcore sleeps in epoll_wait when nothing is in flight
 * and checks the reply ring every millisecond while something is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>

#include "admin.h"
#include "ctl.h"
#include "kv.h"
#include "port.h"
#include "resp.h"

#define ADM_READ_CHUNK  (64 * 1024)
#define ADM_MAX_EVENTS  64
#define ADM_PORT_TEXT   (16 * 1024)

struct adm_client {
	int fd;
	struct kv_client kc;
	struct resp_parser parser;
	char *qbuf;                   /* received, not yet executed */
	size_t qlen, qcap;
	char *obuf;                   /* replies not yet written */
	size_t olen, ocap, ooff;
	struct dp_ctl_req req;        /* the request in flight */
	bool in_flight;
	bool eof;                     /* the peer closed its side */
	bool closing;                 /* close once obuf is written */
	uint32_t events;              /* epoll events registered */
	struct adm_client *prev, *next;
};

struct adm {
	int lfd, epfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct dp_ctl *ctl;
	const struct dp_port *port;
	unsigned in_flight;
	struct adm_client *clients;
};

/* grow -- make *buf (capacity *cap) hold need bytes; 0 or -ENOMEM. */
static int
grow(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 1024;
	while (c < need)
		c *= 2;
	char *p = realloc(*buf, c);
	if (p == NULL)
		return -ENOMEM;
	*buf = p;
	*cap = c;
	return 0;
}

/* out -- queue reply bytes for a client (dropped if memory runs out). */
static void
out(struct adm_client *c, const void *p, size_t n)
{
	if (n == 0)
		return;             /* SHUTDOWN has no reply at all */
	if (grow(&c->obuf, &c->ocap, c->olen + n) != 0) {
		c->closing = true;
		return;
	}
	memcpy(c->obuf + c->olen, p, n);
	c->olen += n;
}

/* out_fmt -- queue a formatted reply line. */
static void __attribute__((format(printf, 2, 3)))
out_fmt(struct adm_client *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		out(c, line, RTE_MIN((size_t)n, sizeof(line) - 1));
}

/* out_bulk -- queue a bulk string. */
static void
out_bulk(struct adm_client *c, const char *p, size_t n)
{
	out_fmt(c, "$%zu\r\n", n);
	out(c, p, n);
	out(c, "\r\n", 2);
}

/* client_events -- (re)register a client's epoll interest. */
static void
client_events(struct adm *a, struct adm_client *c)
{
	uint32_t want = (c->eof ? 0 : EPOLLIN | EPOLLRDHUP) |
			(c->olen > c->ooff ? EPOLLOUT : 0);

	if (want == c->events)
		return;
	struct epoll_event ev = { .events = want, .data.ptr = c };
	epoll_ctl(a->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->events = want;
}

/* client_free -- unlink and free a client with nothing in flight. */
static void
client_free(struct adm *a, struct adm_client *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		a->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	kv_client_fini(&c->kc);
	resp_parser_fini(&c->parser);
	free(c->req.argv);
	free(c->req.reply);
	free(c->qbuf);
	free(c->obuf);
	free(c);
}

/*
 * client_flush -- write what the socket takes; free the client once it
 * is closing (or gone) and nothing is left to write or in flight.
 * Returns false if the client was freed.
 */
static bool
client_flush(struct adm *a, struct adm_client *c)
{
	while (c->ooff < c->olen) {
		ssize_t n = send(c->fd, c->obuf + c->ooff, c->olen - c->ooff,
				 MSG_NOSIGNAL);
		if (n > 0) {
			c->ooff += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		c->closing = true;          /* the peer is gone */
		c->ooff = c->olen;
	}
	if (c->ooff == c->olen)
		c->ooff = c->olen = 0;
	/* At EOF, what is left of the query buffer is an unfinished
	 * request: complete ones were all executed. */
	if ((c->closing || c->eof) && c->olen == 0 && !c->in_flight) {
		client_free(a, c);
		return false;
	}
	client_events(a, c);
	return true;
}

/* admin_help -- ADMIN HELP, in the shape of Redis's HELP replies. */
static void
admin_help(struct adm_client *c)
{
	static const char *const lines[] = {
		"ADMIN <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"PORTS",
		"    Statistics of every ethdev port (rte_eth_stats and xstats).",
		"HELP",
		"    Print this help.",
	};
	size_t n = sizeof(lines) / sizeof(lines[0]);

	out_fmt(c, "*%zu\r\n", n);
	for (size_t i = 0; i < n; i++)
		out_fmt(c, "+%s\r\n", lines[i]);
}

/* admin_command -- run an ADMIN request on the main lcore. */
static void
admin_command(struct adm *a, struct adm_client *c, int argc,
	      const struct kv_arg *argv)
{
	if (argc < 2) {
		out_fmt(c, "-ERR wrong number of arguments for 'admin' "
			"command\r\n");
		return;
	}
	if (argv[1].len == 4 && strncasecmp(argv[1].ptr, "help", 4) == 0) {
		admin_help(c);
	} else if (argv[1].len == 5 &&
		   strncasecmp(argv[1].ptr, "ports", 5) == 0 && argc == 2) {
		char *text = malloc(ADM_PORT_TEXT);
		if (text == NULL) {
			out_fmt(c, "-ERR out of memory\r\n");
			return;
		}
		size_t n = dp_port_stats_format(a->port, text, ADM_PORT_TEXT);
		out_bulk(c, text, n);
		free(text);
	} else {
		out_fmt(c, "-ERR unknown subcommand or wrong number of "
			"arguments for '%.*s'. Try ADMIN HELP.\r\n",
			(int)RTE_MIN(argv[1].len, (size_t)128), argv[1].ptr);
	}
}

/*
 * client_process -- execute the complete requests of the query buffer
 * until one goes to the worker (it then waits for the reply).
 */
static void
client_process(struct adm *a, struct adm_client *c)
{
	size_t off = 0;

	while (!c->in_flight && !c->closing && off < c->qlen) {
		size_t used = 0;
		enum resp_status st = resp_parse(&c->parser, c->qbuf + off,
						 c->qlen - off, &used);
		if (st == RESP_NEED_MORE)
			break;
		if (st == RESP_ERROR) {
			out_fmt(c, "-ERR %s\r\n", c->parser.err);
			c->closing = true;
			break;
		}
		if (st == RESP_DONE) {
			const struct resp_parser *p = &c->parser;
			const char *base = c->qbuf + off;
			size_t bytes = 0;
			for (uint32_t i = 0; i < p->argc; i++)
				bytes += p->argv[i].len;
			/* One block: the argument array, then the bytes. */
			struct kv_arg *argv = malloc(p->argc * sizeof(*argv) +
						     bytes + 1);
			if (argv == NULL) {
				out_fmt(c, "-ERR out of memory\r\n");
				c->closing = true;
				break;
			}
			char *dst = (char *)(argv + p->argc);
			for (uint32_t i = 0; i < p->argc; i++) {
				memcpy(dst, base + p->argv[i].off,
				       p->argv[i].len);
				argv[i].ptr = dst;
				argv[i].len = p->argv[i].len;
				dst += p->argv[i].len;
			}
			if (argv[0].len == 5 &&
			    strncasecmp(argv[0].ptr, "admin", 5) == 0) {
				admin_command(a, c, (int)p->argc, argv);
				free(argv);
			} else {
				free(c->req.argv);
				c->req.argv = argv;
				c->req.argc = (int)p->argc;
				if (dp_ctl_send(a->ctl, &c->req) != 0) {
					out_fmt(c, "-ERR the worker is busy, "
						"try again\r\n");
				} else {
					c->in_flight = true;
					a->in_flight++;
				}
			}
		}
		resp_parser_reset(&c->parser);
		off += used;
	}
	if (off > 0) {
		memmove(c->qbuf, c->qbuf + off, c->qlen - off);
		c->qlen -= off;
	}
}

/* client_read -- take what the socket has; false if the client is gone. */
static bool
client_read(struct adm *a, struct adm_client *c)
{
	for (;;) {
		if (grow(&c->qbuf, &c->qcap, c->qlen + ADM_READ_CHUNK) != 0) {
			c->closing = true;
			break;
		}
		ssize_t n = read(c->fd, c->qbuf + c->qlen, ADM_READ_CHUNK);
		if (n > 0) {
			c->qlen += (size_t)n;
			client_process(a, c);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		c->eof = true;              /* EOF or a hard error */
		if (n < 0)
			c->closing = true;
		break;
	}
	return client_flush(a, c);
}

/* accept_clients -- every pending connection on the listening socket. */
static void
accept_clients(struct adm *a)
{
	for (;;) {
		int fd = accept4(a->lfd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct adm_client *c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		resp_parser_init(&c->parser);
		dp_ctl_client_init(&c->kc);
		c->kc.flags |= KV_CLIENT_ADMIN | KV_CLIENT_AUTHENTICATED;
		/* As Redis shows Unix socket clients: "path:0". */
		int w = (int)sizeof(c->kc.addr) - 3;
		snprintf(c->kc.addr, sizeof(c->kc.addr), "%.*s:0", w, a->path);
		snprintf(c->kc.laddr, sizeof(c->kc.laddr), "%.*s:0", w,
			 a->path);
		c->req.client = &c->kc;
		c->req.opaque = c;
		c->events = EPOLLIN | EPOLLRDHUP;
		struct epoll_event ev = { .events = c->events, .data.ptr = c };
		if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			resp_parser_fini(&c->parser);
			free(c);
			close(fd);
			continue;
		}
		c->next = a->clients;
		if (a->clients != NULL)
			a->clients->prev = c;
		a->clients = c;
	}
}

/* collect_replies -- the worker's replies, to their clients. */
static void
collect_replies(struct adm *a)
{
	struct dp_ctl_req *done[DP_CTL_BURST];
	unsigned n;

	while ((n = dp_ctl_recv(a->ctl, done, DP_CTL_BURST)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct adm_client *c = done[i]->opaque;
			c->in_flight = false;
			a->in_flight--;
			if (c->req.oom)
				out_fmt(c, "-ERR out of memory\r\n");
			else
				out(c, c->req.reply, c->req.reply_len);
			if (c->kc.flags & KV_CLIENT_CLOSE_AFTER_REPLY)
				c->closing = true;
			client_process(a, c);
			client_flush(a, c);
		}
	}
}

/* socket_alive -- whether a process accepts connections at sa. */
static bool
socket_alive(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	bool alive = connect(fd, (const struct sockaddr *)sa,
			     sizeof(*sa)) == 0;
	close(fd);
	return alive;
}

struct adm *
adm_create(const char *path, mode_t perm, struct dp_ctl *ctl,
	   const struct dp_port *port, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	bool bound = false;
	struct adm *a;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "admin-socket %s: path longer than %zu "
			 "bytes", path, sizeof(sa.sun_path) - 1);
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(err, errlen, "admin socket: out of memory");
		return NULL;
	}
	a->ctl = ctl;
	a->port = port;
	a->lfd = a->epfd = -1;
	snprintf(a->path, sizeof(a->path), "%s", path);
	memcpy(sa.sun_path, path, strlen(path));

	a->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (a->lfd < 0)
		goto fail;
	/* A socket file left by a crash is replaced; a live one or any
	 * other file is not. */
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			goto fail;
		}
		if (socket_alive(&sa)) {
			snprintf(err, errlen, "admin-socket %s: another process "
				 "is serving it", path);
			close(a->lfd);
			free(a);
			return NULL;
		}
		unlink(path);
	}
	/* Created with no permission at all, then opened up to perm: no
	 * window in which others could connect. */
	mode_t old = umask(0777);
	int rc = bind(a->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0)
		goto fail;
	bound = true;
	if (chmod(path, perm) != 0 || listen(a->lfd, 128) != 0)
		goto fail;
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->epfd < 0)
		goto fail;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->lfd, &ev) != 0)
		goto fail;
	return a;

fail:
	snprintf(err, errlen, "admin-socket %s: %s", path, strerror(errno));
	if (a->lfd >= 0)
		close(a->lfd);
	if (bound)
		unlink(path);
	if (a->epfd >= 0)
		close(a->epfd);
	free(a);
	return NULL;
}

void
adm_poll(struct adm *a, int timeout_ms)
{
	struct epoll_event evs[ADM_MAX_EVENTS];

	collect_replies(a);
	if (a->in_flight > 0 && timeout_ms > 1)
		timeout_ms = 1;
	int n = epoll_wait(a->epfd, evs, ADM_MAX_EVENTS, timeout_ms);
	for (int i = 0; i < n; i++) {
		struct adm_client *c = evs[i].data.ptr;
		if (c == NULL) {
			accept_clients(a);
			continue;
		}
		if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP |
				     EPOLLERR)) {
			if (!client_read(a, c))
				continue;
		}
		if (evs[i].events & EPOLLOUT)
			client_flush(a, c);
	}
	collect_replies(a);
}

void
adm_free(struct adm *a)
{
	if (a == NULL)
		return;
	collect_replies(a);
	while (a->clients != NULL) {
		a->clients->in_flight = false;
		client_free(a, a->clients);
	}
	close(a->epfd);
	close(a->lfd);
	unlink(a->path);
	free(a);
}
