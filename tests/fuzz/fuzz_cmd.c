/*
 * fuzz_cmd.c -- arbitrary requests through the RESP parser into the
 * store's commands: every handler meets arguments nobody wrote by hand
 * (huge offsets, negative counts, odd options, binary keys). The shard
 * keeps its keys from one input to the next, with a pmem log, so that
 * commands meet every kind of value. Nothing may crash, leak or break
 * the reply stream (each reply must be a complete RESP value).
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

#include "cfg.h"
#include "kv.h"
#include "pm.h"
#include "resp.h"

static struct rp_config cfg;
static struct kv_shard *shard;
static struct pm_log *log_;
static char path[64];
static size_t out_bytes;
static char first;

static void
sink(void *ctx, const void *b, size_t n)
{
	(void)ctx;
	if (out_bytes == 0 && n > 0)
		first = *(const char *)b;
	out_bytes += n;
}

static void
teardown(void)
{
	kv_shard_free(shard);
	pm_log_close(log_);
	unlink(path);
}

static void
setup(void)
{
	char prefix[64], err[256];
	snprintf(prefix, sizeof(prefix), "--file-prefix=rpfc%d", (int)getpid());
	char *args[] = { "fuzz", "-l", "0", "--no-huge", "-m", "256",
			 "--no-pci", "--no-shconf", "--log-level=*:error",
			 prefix, NULL };
	assert(rte_eal_init(10, args) >= 0);
	cfg_init(&cfg);
	cfg.maxmemory = 64 << 20;    /* bounded: big SETRANGEs hit OOM */
	setenv("PMEM_IS_PMEM_FORCE", "1", 1);
	snprintf(path, sizeof(path), "/dev/shm/rpfuzzcmd-%d", (int)getpid());
	unlink(path);
	log_ = pm_log_open(path, 64 << 20, 0, err, sizeof(err));
	assert(log_ != NULL);
	struct kv_shard_params p = { .cfg = &cfg, .log = log_ };
	shard = kv_shard_create(&p);
	assert(shard != NULL);
	assert(kv_recover(shard, false, err, sizeof(err)) == 0);
	atexit(teardown);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resp_parser p;
	struct kv_client c;
	struct kv_arg argv[256];
	char *buf = malloc(size + 1);
	size_t off = 0;

	if (shard == NULL)
		setup();
	memcpy(buf, data, size);
	resp_parser_init(&p);
	kv_client_init(&c, sink, NULL);
	while (off < size) {
		size_t used;
		enum resp_status st = resp_parse(&p, buf + off, size - off,
						 &used);
		if (st == RESP_NEED_MORE || st == RESP_ERROR)
			break;
		if (st == RESP_DONE && p.argc <= 256) {
			for (uint32_t i = 0; i < p.argc; i++) {
				argv[i].ptr = buf + off + p.argv[i].off;
				argv[i].len = p.argv[i].len;
			}
			out_bytes = 0;
			kv_execute(shard, &c, (int)p.argc, argv);
			/* Every command answers exactly once. */
			assert(out_bytes > 0);
			assert(strchr("+-:$*", first) != NULL);
		}
		resp_parser_reset(&p);
		off += used;
	}
	kv_commit(shard);
	/* Keep the keyspace and the log small across inputs. */
	if (kv_used_memory(shard) > (32u << 20) || pm_log_free_bytes(log_) <
	    (8u << 20)) {
		struct kv_arg fl = { "FLUSHALL", 8 };
		kv_execute(shard, &c, 1, &fl);
		pm_log_reclaim(log_, pm_log_last_seq(log_));
	}
	kv_client_fini(&c);
	resp_parser_fini(&p);
	free(buf);
	return 0;
}
