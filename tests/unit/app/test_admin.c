/*
 * test_admin.c -- app/admin.c: the admin socket on a real Unix socket,
 * with the worker's side of the control channel run in the same thread
 * between polls: pipelined requests answered in order, ADMIN HELP/PORTS
 * on the main lcore, protocol errors, clients that vanish mid-request or
 * with a request in flight, socket permissions, stale and foreign files.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <rte_malloc.h>

#include "unit.h"

#include "admin.h"
#include "cfg.h"
#include "ctl.h"
#include "kv.h"
#include "port.h"
#include "worker.h"

static struct rp_config cfg;
static struct dp_worker *w;
static struct dp_port port;
static struct adm *adm;
static char dir[64], path[128];

/* The port lives for the whole group: a closed vdev cannot reopen. */
static int
group_setup(void **state)
{
	char err[256];
	int sockets[1] = { 0 };
	(void)state;

	return dp_port_setup(&port, 0, 1, 0, sockets, 256, 256, 2047, 1500, err,
			     sizeof(err));
}

static int
group_teardown(void **state)
{
	(void)state;
	dp_port_close(&port);
	return 0;
}

static int
setup(void **state)
{
	char err[256];
	(void)state;

	cfg_init(&cfg);
	w = rte_zmalloc(NULL, sizeof(*w), 64);
	struct kv_shard_params sp = { .cfg = &cfg };
	w->shard = kv_shard_create(&sp);
	w->ctl = dp_ctl_create(0, 0);
	snprintf(dir, sizeof(dir), "/tmp/rp-admin-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/admin.sock", dir);
	adm = adm_create(path, 0640, w->ctl, &port, err, sizeof(err));
	assert_non_null(adm);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	adm_free(adm);
	assert_int_equal(access(path, F_OK), -1);
	rmdir(dir);
	dp_ctl_free(w->ctl);
	kv_shard_free(w->shard);
	rte_free(w);
	return 0;
}

/* step -- one main-lcore poll and one worker iteration. */
static void
step(void)
{
	adm_poll(adm, 0);
	dp_ctl_execute(w);
	dp_ctl_reply(w);
	adm_poll(adm, 0);
}

static int
client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memcpy(sa.sun_path, path, strlen(path));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* exchange -- send req, step until want arrives whole (or time runs out);
 * the bytes received must be exactly want. */
static void
exchange(int fd, const char *req, size_t reqlen, const char *want,
	 size_t wantlen)
{
	char buf[8192];
	size_t got = 0;

	assert_int_equal(write(fd, req, reqlen), (ssize_t)reqlen);
	for (int i = 0; i < 2000 && got < wantlen; i++) {
		step();
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);
		if (n > 0)
			got += (size_t)n;
	}
	assert_int_equal(got, wantlen);
	assert_memory_equal(buf, want, wantlen);
}

#define EXCHANGE(fd, req, want) \
	exchange(fd, req, sizeof(req) - 1, want, sizeof(want) - 1)

static void
test_pipeline_and_admin_commands(void **state)
{
	(void)state;
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0640);

	int fd = client();
	EXCHANGE(fd, "PING\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
		 "INCR a\r\nADMIN HELP\r\nGET a\r\n",
		 "+PONG\r\n+OK\r\n:2\r\n*5\r\n"
		 "+ADMIN <subcommand> [<arg> [value] [opt] ...]. Subcommands "
		 "are:\r\n+PORTS\r\n+    Statistics of every ethdev port "
		 "(rte_eth_stats and xstats).\r\n+HELP\r\n"
		 "+    Print this help.\r\n$1\r\n2\r\n");
	EXCHANGE(fd, "ADMIN\r\n",
		 "-ERR wrong number of arguments for 'admin' command\r\n");
	EXCHANGE(fd, "ADMIN ports extra\r\n",
		 "-ERR unknown subcommand or wrong number of arguments for "
		 "'ports'. Try ADMIN HELP.\r\n");
	/* CLIENT LIST shows the admin client with Redis's Unix flag. */
	EXCHANGE(fd, "CLIENT ID\r\n", ":1\r\n");

	char req[] = "ADMIN PORTS\r\n", buf[16384];
	assert_int_equal(write(fd, req, sizeof(req) - 1),
			 (ssize_t)sizeof(req) - 1);
	size_t got = 0;
	for (int i = 0; i < 2000 && (got < 4 || !strstr(buf, "rx_nombuf"));
	     i++) {
		step();
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n > 0)
			got += (size_t)n;
		buf[got] = '\0';
	}
	assert_non_null(strstr(buf, "# Port 0\r\nname:net_ring0\r\n"));
	assert_non_null(strstr(buf, "\r\nlink:up\r\n"));
	close(fd);
	step();
}

static void
test_protocol_error_closes(void **state)
{
	(void)state;
	int fd = client();
	EXCHANGE(fd, "*1\r\n$abc\r\n",
		 "-ERR Protocol error: invalid bulk length\r\n");
	/* Then the socket is closed by the server. */
	char b;
	ssize_t n = -1;
	for (int i = 0; i < 100 && n != 0; i++) {
		step();
		n = read(fd, &b, 1);
	}
	assert_int_equal(n, 0);
	close(fd);
}

static void
test_clients_that_vanish(void **state)
{
	(void)state;
	/* Mid-request. */
	int fd = client();
	assert_int_equal(write(fd, "*2\r\n$3\r\nGET\r\n$5\r\nab", 20), 20);
	step();
	close(fd);
	step();
	/* With a request in flight: its reply is dropped, nothing leaks
	 * (the ASan build checks). */
	fd = client();
	assert_int_equal(write(fd, "SET gone 1\r\n", 12), 12);
	adm_poll(adm, 0);
	close(fd);
	step();
	step();
	/* Others are served as before, and the write happened. */
	fd = client();
	EXCHANGE(fd, "GET gone\r\n", "$1\r\n1\r\n");
	close(fd);
	step();
}

static void
test_path_rules(void **state)
{
	char err[256], other[160];
	(void)state;

	/* A live socket is not taken over. */
	assert_null(adm_create(path, 0600, w->ctl, &port, err, sizeof(err)));
	assert_non_null(strstr(err, "another process is serving it"));
	/* A regular file is not replaced. */
	snprintf(other, sizeof(other), "%s/file", dir);
	int fd = open(other, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_null(adm_create(other, 0600, w->ctl, &port, err, sizeof(err)));
	assert_non_null(strstr(err, "File exists"));
	assert_int_equal(access(other, F_OK), 0);
	unlink(other);
	/* Too long a path is named as such. */
	char longp[200];
	memset(longp, 'x', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_null(adm_create(longp, 0600, w->ctl, &port, err, sizeof(err)));
	assert_non_null(strstr(err, "path longer than"));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_pipeline_and_admin_commands,
					setup, teardown),
	cmocka_unit_test_setup_teardown(test_protocol_error_closes, setup,
					teardown),
	cmocka_unit_test_setup_teardown(test_clients_that_vanish, setup,
					teardown),
	cmocka_unit_test_setup_teardown(test_path_rules, setup, teardown),
};

int
main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	rp_test_eal_init_vdev(argv[0], "--vdev=net_ring0");
	int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	rte_eal_cleanup();
	return rc;
}
