/*
 * ctl.h -- the control plane's channel to a worker.
 *
 * The main lcore never touches a shard: it hands requests (admin socket
 * clients' commands) to the worker that owns the shard through a pair of
 * single-producer/single-consumer rte_rings, and gets them back with the
 * reply attached. A request and the kv_client it names belong to the
 * worker from dp_ctl_send until the main lcore dequeues it again with
 * dp_ctl_recv; the rings' release/acquire ordering publishes every write
 * made on either side.
 *
 * On the worker, dp_ctl_execute runs the requests of one poll iteration
 * before the group commit and dp_ctl_reply returns them after it, so a
 * write's reply is released only once its effect is durable, as for TCP
 * clients.
 */
#ifndef RP_CTL_H
#define RP_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "kv.h"

#define DP_CTL_RING_SIZE 256   /* ring slots (255 usable) per direction */
#define DP_CTL_BURST     32    /* requests executed per poll iteration */

struct dp_ctl;
struct dp_worker;

/* One request in flight and, once executed, its reply. */
struct dp_ctl_req {
	struct kv_client *client;  /* the caller's client (write, db, auth) */
	int argc;
	struct kv_arg *argv;       /* argc arguments, owned by the caller */
	char *reply;               /* RESP reply bytes (malloc), NULL if none */
	size_t reply_len, reply_cap;
	int oom;                   /* the reply could not be stored whole */
	void *opaque;              /* the caller's */
};

/*
 * dp_ctl_create -- the channel of worker index on NUMA socket socket.
 * Returns NULL with rte_errno set.
 */
struct dp_ctl *dp_ctl_create(unsigned index, int socket);

/* dp_ctl_free -- free a channel (no request may be in flight). */
void dp_ctl_free(struct dp_ctl *ctl);

/*
 * dp_ctl_client_init -- initialise a client whose replies the worker
 * appends to the dp_ctl_req it is executing.
 */
void dp_ctl_client_init(struct kv_client *c);

/*
 * dp_ctl_send -- main lcore: hand req to the worker (req->client must
 * come from dp_ctl_client_init, with no other request of that client in
 * flight: its replies go to the request last sent). Returns 0, or -ENOBUFS when the
 * request ring is full (the worker is behind).
 */
int dp_ctl_send(struct dp_ctl *ctl, struct dp_ctl_req *req);

/*
 * dp_ctl_recv -- main lcore: up to n executed requests, in the order
 * they were sent. Returns how many were stored in reqs.
 */
unsigned dp_ctl_recv(struct dp_ctl *ctl, struct dp_ctl_req **reqs,
		     unsigned n);

/*
 * dp_ctl_execute -- worker: run up to DP_CTL_BURST waiting requests
 * against the worker's shard. Returns how many ran.
 */
unsigned dp_ctl_execute(struct dp_worker *w);

/* dp_ctl_reply -- worker: return the requests executed since last call. */
void dp_ctl_reply(struct dp_worker *w);

#endif /* RP_CTL_H */
