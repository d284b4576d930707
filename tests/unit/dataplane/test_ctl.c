/*
 * test_ctl.c -- dataplane/ctl.c: requests from the control plane run on
 * the shard in order, their replies come back only after dp_ctl_reply
 * (after the group commit), a full request ring refuses with -ENOBUFS and
 * a reply ring that cannot take a burst keeps the rest for later.
 */
#include <rte_malloc.h>

#include "unit.h"

#include "cfg.h"
#include "ctl.h"
#include "kv.h"
#include "worker.h"

static struct rp_config cfg;
static struct dp_worker *w;

static int
setup(void **state)
{
	(void)state;
	cfg_init(&cfg);
	w = rte_zmalloc(NULL, sizeof(*w), 64);
	struct kv_shard_params sp = { .cfg = &cfg };
	w->shard = kv_shard_create(&sp);
	w->ctl = dp_ctl_create(0, 0);
	assert_non_null(w->shard);
	assert_non_null(w->ctl);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	dp_ctl_free(w->ctl);
	kv_shard_free(w->shard);
	rte_free(w);
	return 0;
}

/* A request with its own client and argument storage. */
struct call {
	struct kv_client client;
	struct dp_ctl_req req;
	struct kv_arg argv[4];
};

static void
call_init(struct call *c, const char *a0, const char *a1, const char *a2)
{
	const char *a[] = { a0, a1, a2 };
	memset(c, 0, sizeof(*c));
	dp_ctl_client_init(&c->client);
	c->req.client = &c->client;
	c->req.argv = c->argv;
	c->req.opaque = c;
	for (int i = 0; i < 3 && a[i] != NULL; i++) {
		c->argv[i].ptr = a[i];
		c->argv[i].len = strlen(a[i]);
		c->req.argc = i + 1;
	}
}

static void
call_fini(struct call *c)
{
	kv_client_fini(&c->client);
	free(c->req.reply);
}

static void
assert_reply(const struct dp_ctl_req *r, const char *want)
{
	assert_int_equal(r->oom, 0);
	assert_int_equal(r->reply_len, strlen(want));
	assert_memory_equal(r->reply, want, strlen(want));
}

static void
test_round_trip_in_order(void **state)
{
	static struct call c[3];
	struct dp_ctl_req *got[8];
	(void)state;

	call_init(&c[0], "SET", "k", "v1");
	call_init(&c[1], "GET", "k", NULL);
	call_init(&c[2], "NOSUCH", NULL, NULL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(dp_ctl_send(w->ctl, &c[i].req), 0);
	assert_int_equal(dp_ctl_recv(w->ctl, got, 8), 0);

	assert_int_equal(dp_ctl_execute(w), 3);
	/* Executed, but held until the commit of the iteration. */
	assert_int_equal(dp_ctl_recv(w->ctl, got, 8), 0);
	dp_ctl_reply(w);
	assert_int_equal(dp_ctl_recv(w->ctl, got, 8), 3);
	assert_ptr_equal(got[0], &c[0].req);
	assert_ptr_equal(got[1], &c[1].req);
	assert_ptr_equal(got[2], &c[2].req);
	assert_reply(got[0], "+OK\r\n");
	assert_reply(got[1], "$2\r\nv1\r\n");
	assert_reply(got[2], "-ERR unknown command 'NOSUCH', with args "
		     "beginning with: \r\n");

	/* A client's state (SELECT) lives across its requests, which go
	 * one at a time. */
	call_fini(&c[0]);
	call_fini(&c[1]);
	call_init(&c[0], "SELECT", "3", NULL);
	call_init(&c[1], "GET", "k", NULL);
	c[1].req.client = &c[0].client;
	assert_int_equal(dp_ctl_send(w->ctl, &c[0].req), 0);
	assert_int_equal(dp_ctl_execute(w), 1);
	dp_ctl_reply(w);
	assert_int_equal(dp_ctl_recv(w->ctl, got, 8), 1);
	assert_reply(got[0], "+OK\r\n");
	assert_int_equal(dp_ctl_send(w->ctl, &c[1].req), 0);
	assert_int_equal(dp_ctl_execute(w), 1);
	dp_ctl_reply(w);
	assert_int_equal(dp_ctl_recv(w->ctl, got, 8), 1);
	assert_reply(got[0], "$-1\r\n");
	assert_int_equal(c[0].client.db, 3);
	free(c[1].req.reply);   /* c[1] used c[0]'s client */
	c[1].req.reply = NULL;
	kv_client_fini(&c[1].client);
	call_fini(&c[0]);
	call_fini(&c[2]);
}

static void
test_backpressure(void **state)
{
	static struct call c[600];
	struct dp_ctl_req *got[64];
	unsigned sent = 0, recv = 0;
	(void)state;

	for (unsigned i = 0; i < 600; i++)
		call_init(&c[i], "INCR", "ctr", NULL);
	/* The request ring takes 255, then refuses. */
	while (sent < 600 && dp_ctl_send(w->ctl, &c[sent].req) == 0)
		sent++;
	assert_int_equal(sent, DP_CTL_RING_SIZE - 1);
	assert_int_equal(dp_ctl_send(w->ctl, &c[sent].req), -ENOBUFS);

	/* The worker runs bursts while nobody collects: once the reply ring
	 * is full, executed requests wait and nothing more is taken. */
	for (int i = 0; i < 20; i++) {
		dp_ctl_execute(w);
		dp_ctl_reply(w);
	}
	/* Collect everything, feeding the rest of the requests in. */
	while (recv < 600) {
		while (sent < 600 && dp_ctl_send(w->ctl, &c[sent].req) == 0)
			sent++;
		dp_ctl_execute(w);
		dp_ctl_reply(w);
		unsigned n = dp_ctl_recv(w->ctl, got, 64);
		for (unsigned i = 0; i < n; i++) {
			/* In order, each INCR sees the one before it. */
			assert_ptr_equal(got[i], &c[recv].req);
			char want[32];
			snprintf(want, sizeof(want), ":%u\r\n", recv + 1);
			assert_reply(got[i], want);
			recv++;
		}
	}
	for (unsigned i = 0; i < 600; i++)
		call_fini(&c[i]);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_round_trip_in_order, setup,
					teardown),
	cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
};

RP_TEST_MAIN(tests, true)
