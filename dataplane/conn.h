/*
 * conn.h -- client connections: TCP payload in, RESP requests parsed and
 * executed against the worker's shard, replies out through tcp_send.
 */
#ifndef RP_CONN_H
#define RP_CONN_H

#include <stddef.h>

#include "cfg.h"
#include "kv.h"
#include "tcp.h"

struct dp_worker;

/* The upcalls a worker's TCP stack makes into the connection layer. */
extern const struct tcp_ops dp_conn_tcp_ops;

/*
 * dp_conn_service -- run the closes deferred while a burst was processed
 * and, once a second, close clients idle longer than the "timeout"
 * directive. Call once per poll iteration, before tcp_flush.
 */
void dp_conn_service(struct dp_worker *w);

/*
 * dp_conn_close_all -- graceful shutdown: every connection stops reading
 * requests and closes (FIN) once the replies already queued are sent.
 */
void dp_conn_close_all(struct dp_worker *w);

/*
 * dp_conn_kill -- CLIENT KILL of a client dp_conn_foreach gave: the
 * connection stops reading and closes once its replies are out.
 */
void dp_conn_kill(struct dp_worker *w, struct kv_client *c);

/*
 * dp_conn_obuf_check -- client-output-buffer-limit for a client with
 * pending output bytes (queued, not yet acknowledged) under the limits
 * of its class, at now_tsc; *since_tsc is when it reached the soft limit
 * (0: not), kept up to date. As Redis: reaching the hard limit closes;
 * reaching the soft limit starts a clock, and still being at or over it
 * more than soft_seconds later closes. Returns true to close.
 */
bool dp_conn_obuf_check(const struct cfg_obuf_limit *lim, uint64_t pending,
			uint64_t now_tsc, uint64_t tsc_hz,
			uint64_t *since_tsc);

/*
 * dp_conn_output_bytes -- the pending output of all the worker's
 * clients: TCP send queues plus output buffers (INFO).
 */
uint64_t dp_conn_output_bytes(const struct dp_worker *w);

/* dp_conn_fini -- free every connection struct of a worker (at exit). */
void dp_conn_fini(struct dp_worker *w);

/*
 * dp_conn_foreach -- call fn for the kv_client of every live connection
 * that is not closing (CLIENT LIST, CLIENT KILL).
 */
void dp_conn_foreach(struct dp_worker *w,
		     void (*fn)(struct kv_client *c, void *arg), void *arg);

#endif /* RP_CONN_H */
