/*
 * xcore.h -- requests between workers: every worker owns the keys of
 * its hash slots (store/route.c); a request whose keys live on another
 * worker travels there and its reply comes back, through one
 * single-producer/single-consumer rte_ring per ordered pair of workers.
 *
 * The origin (the worker of the client) copies the request into a
 * message, the owner executes it on its shard with a proxy client that
 * carries the client's database and flags, holds it until its group
 * commit (a write's reply leaves only once durable) and sends it back;
 * the origin merges the parts of a split or whole-keyspace request and
 * hands the reply to whoever asked (a TCP connection, the control
 * channel). Messages that find a ring full wait in a per-target backlog:
 * nothing is refused and nothing spins.
 */
#ifndef RP_XCORE_H
#define RP_XCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "kv.h"

struct dp_worker;
struct dp_xcore;

#define DP_XC_RING_SIZE 1024    /* slots per ordered pair of workers */

/*
 * Who waits for a routed request: done() gets the whole reply. barrier
 * is set by dp_xc_execute: the client must not run its next request
 * before this reply (a transaction across shards, a WATCH of other
 * shards' keys).
 */
struct dp_xc_owner {
	void (*done)(struct dp_worker *w, void *owner, const char *reply,
		     size_t len);
	void *owner;
	bool barrier;
};

/*
 * dp_xc_setup -- create the rings between n workers and attach each
 * worker's end. Returns 0 or a negative errno.
 */
int dp_xc_setup(struct dp_worker *const *workers, unsigned n);

/* dp_xc_free -- free a worker's end (the rings it receives on). */
void dp_xc_free(struct dp_worker *w);

/*
 * dp_xc_execute -- run a request of client c (of this worker) where its
 * keys live. Returns true when it ran here and its reply was written
 * through c->write; false when the reply will come through o->done (a
 * later poll iteration; c must not run another request meanwhile).
 */
bool dp_xc_execute(struct dp_worker *w, struct kv_client *c, int argc,
		   const struct kv_arg *argv, struct dp_xc_owner *o);

/*
 * dp_xc_poll -- receive: run the requests other workers sent, complete
 * the parts they answered. Returns the messages handled.
 */
unsigned dp_xc_poll(struct dp_worker *w);

/*
 * dp_xc_flush -- after the group commit: return the executed requests
 * and send what waits in the backlogs.
 */
void dp_xc_flush(struct dp_worker *w);

/*
 * dp_xc_depth -- messages waiting for this worker: in its inbound rings
 * and its lock FIFO (INFO workers' ring_depth). Any lcore may read it.
 */
unsigned dp_xc_depth(const struct dp_worker *w);

/* dp_xc_pending -- requests of this worker still waiting for parts. */
unsigned dp_xc_pending(const struct dp_worker *w);

#endif /* RP_XCORE_H */
