/*
 * fuzz_cfg.c -- fuzz target of the configuration parser: the input is
 * written to a file of this process under /dev/shm and loaded with
 * cfg_load_file. A load that succeeds must round-trip: every value
 * CONFIG GET shows, written back as a configuration file, loads into
 * the same configuration.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"

/* A configuration being rebuilt from CONFIG GET values. */
struct rebuild {
	const struct rp_config *c;
	FILE *f;
};

/* write_input -- replace the file at path by data; 0 or -1. */
static int
write_input(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	size_t n = fwrite(data, 1, size, f);
	return (fclose(f) == 0 && n == size) ? 0 : -1;
}

/*
 * emit -- cfg_foreach callback: the directive and the value shown, in
 * double quotes, escaping only '"', '\\' and line ends: at most two
 * bytes a byte, so that even a PATH_MAX value fits in one line.
 */
static void
emit(const char *name, void *ctx)
{
	struct rebuild *r = ctx;
	char val[4200];
	int n = cfg_get(r->c, name, val, sizeof(val));

	if (n < 0 || (size_t)n != strlen(val))
		abort();
	fprintf(r->f, "%s \"", name);
	for (int i = 0; i < n; i++) {
		if (val[i] == '"' || val[i] == '\\')
			fputc('\\', r->f);
		if (val[i] == '\n')
			fputs("\\n", r->f);
		else if (val[i] == '\r')
			fputs("\\r", r->f);
		else
			fputc(val[i], r->f);
	}
	fputs("\"\n", r->f);
}

/* round_trip -- c, shown and loaded back from path2, must not change. */
static void
round_trip(const struct rp_config *c, const char *path2)
{
	struct rebuild r = { .c = c, .f = fopen(path2, "w") };
	struct rp_config back;
	char err[CFG_ERR_LEN];

	if (r.f == NULL)
		return;
	cfg_foreach(emit, &r);
	if (fclose(r.f) != 0)
		return;
	cfg_init(&back);
	if (cfg_load_file(&back, path2, err, sizeof(err)) != 0 ||
	    memcmp(&back, c, sizeof(back)) != 0) {
		fprintf(stderr, "fuzz_cfg: round trip failed: %s\n", err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64], path2[64];
	struct rp_config c;
	char err[CFG_ERR_LEN];

	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "/dev/shm/rp-fuzz-cfg-%d.conf",
			 (int)getpid());
		snprintf(path2, sizeof(path2), "/dev/shm/rp-fuzz-cfg-%d.back",
			 (int)getpid());
	}
	if (write_input(path, data, size) != 0)
		return 0;
	cfg_init(&c);
	err[0] = '\0';
	if (cfg_load_file(&c, path, err, sizeof(err)) == 0)
		round_trip(&c, path2);
	else if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL)
		abort();  /* a failure always says why */
	unlink(path);
	unlink(path2);
	return 0;
}
