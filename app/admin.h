/*
 * admin.h -- the admin socket: a Unix socket served by the main lcore
 * that speaks RESP, so `redis-cli -s PATH` and redpollctl are clients.
 *
 * Every Redis command sent there runs on the shard through the worker's
 * control channel (dataplane/ctl.h), exactly as it would from the data
 * port; admin commands (ADMIN ...) run on the main lcore itself. Clients
 * of the socket are authenticated by the socket's permissions
 * (admin-socket-perm), not by requirepass. The socket does not depend on
 * the data network: it keeps working when the port is down.
 */
#ifndef RP_ADMIN_H
#define RP_ADMIN_H

#include <stdint.h>
#include <sys/types.h>

struct adm;
struct dp_ctl;
struct dp_port;

/*
 * adm_create -- listen on the Unix socket path (a stale socket file is
 * replaced) with permission bits perm; requests go to the worker behind
 * ctl, ADMIN PORTS reports port. Returns NULL with a reason in err.
 */
struct adm *adm_create(const char *path, mode_t perm, struct dp_ctl *ctl,
		       const struct dp_port *port, char *err, size_t errlen);

/*
 * adm_poll -- serve the socket for at most timeout_ms (less when replies
 * are due): accept, read, route requests, write replies.
 */
void adm_poll(struct adm *a, int timeout_ms);

/*
 * adm_free -- close every client and the socket and remove its file.
 * Call after the workers stopped: replies still in flight are collected
 * and dropped.
 */
void adm_free(struct adm *a);

#endif /* RP_ADMIN_H */
