/*
 * ctl.c -- the control plane's channel to a worker: two SPSC rings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "ctl.h"
#include "worker.h"
#include "xcore.h"

struct dp_ctl {
	struct rte_ring *in;       /* main -> worker */
	struct rte_ring *out;      /* worker -> main */
	/* Worker side: executed, waiting for the group commit. */
	struct dp_ctl_req *done[DP_CTL_BURST];
	unsigned n_done;
	unsigned n_routed;         /* running on other workers */
} __rte_cache_aligned;

struct dp_ctl *
dp_ctl_create(unsigned index, int socket)
{
	char name[RTE_RING_NAMESIZE];
	struct dp_ctl *ctl = rte_zmalloc_socket("dp_ctl", sizeof(*ctl),
						RTE_CACHE_LINE_SIZE, socket);

	if (ctl == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	snprintf(name, sizeof(name), "ctl_in_%u", index);
	ctl->in = rte_ring_create(name, DP_CTL_RING_SIZE, socket,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "ctl_out_%u", index);
	ctl->out = rte_ring_create(name, DP_CTL_RING_SIZE, socket,
				   RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (ctl->in == NULL || ctl->out == NULL) {
		int e = rte_errno;
		dp_ctl_free(ctl);
		rte_errno = e;
		return NULL;
	}
	return ctl;
}

void
dp_ctl_free(struct dp_ctl *ctl)
{
	if (ctl == NULL)
		return;
	rte_ring_free(ctl->in);
	rte_ring_free(ctl->out);
	rte_free(ctl);
}

/*
 * ctl_write -- kv_client write function: append to the reply of the
 * request being executed (the client's sink). A reply that cannot grow
 * is marked oom; the caller answers with an error instead.
 */
static void
ctl_write(void *sink, const void *buf, size_t len)
{
	struct dp_ctl_req *req = sink;

	if (req->oom)
		return;
	if (req->reply_len + len > req->reply_cap) {
		size_t cap = req->reply_cap ? req->reply_cap : 256;
		while (cap < req->reply_len + len)
			cap *= 2;
		char *p = realloc(req->reply, cap);
		if (p == NULL) {
			req->oom = 1;
			return;
		}
		req->reply = p;
		req->reply_cap = cap;
	}
	memcpy(req->reply + req->reply_len, buf, len);
	req->reply_len += len;
}

void
dp_ctl_client_init(struct kv_client *c)
{
	/* The sink is set to the request in flight by dp_ctl_send. */
	kv_client_init(c, ctl_write, NULL);
}

int
dp_ctl_send(struct dp_ctl *ctl, struct dp_ctl_req *req)
{
	req->reply_len = 0;
	req->oom = 0;
	req->client->sink = req;
	return rte_ring_sp_enqueue(ctl->in, req) == 0 ? 0 : -ENOBUFS;
}

unsigned
dp_ctl_recv(struct dp_ctl *ctl, struct dp_ctl_req **reqs, unsigned n)
{
	return rte_ring_sc_dequeue_burst(ctl->out, (void **)reqs, n, NULL);
}

/* routed_done -- a request that ran on other workers is answered. */
static void
routed_done(struct dp_worker *w, void *owner, const char *reply,
	    size_t len)
{
	struct dp_ctl *ctl = w->ctl;
	struct dp_ctl_req *req = owner;

	req->client->write(req->client->sink, reply, len);
	ctl->n_routed--;
	ctl->done[ctl->n_done++] = req;
}

unsigned
dp_ctl_execute(struct dp_worker *w)
{
	struct dp_ctl *ctl = w->ctl;
	struct dp_ctl_req *in[DP_CTL_BURST];

	if (ctl == NULL || ctl->n_done + ctl->n_routed >= DP_CTL_BURST)
		return 0;
	/* Room for every request taken, whenever it completes. */
	unsigned n = rte_ring_sc_dequeue_burst(ctl->in, (void **)in,
			DP_CTL_BURST - ctl->n_done - ctl->n_routed, NULL);
	for (unsigned i = 0; i < n; i++) {
		struct dp_xc_owner o = { routed_done, in[i] };
		if (dp_xc_execute(w, in[i]->client, in[i]->argc, in[i]->argv,
				  &o))
			ctl->done[ctl->n_done++] = in[i];
		else
			ctl->n_routed++;
	}
	return n;
}

void
dp_ctl_reply(struct dp_worker *w)
{
	struct dp_ctl *ctl = w->ctl;

	if (ctl == NULL || ctl->n_done == 0)
		return;
	/* What the reply ring cannot take now stays for the next call. */
	unsigned n = rte_ring_sp_enqueue_burst(ctl->out, (void **)ctl->done,
					       ctl->n_done, NULL);
	memmove(ctl->done, ctl->done + n,
		(ctl->n_done - n) * sizeof(ctl->done[0]));
	ctl->n_done -= n;
}
