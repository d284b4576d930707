/*
 * standalone.c -- deterministic driver for the fuzz targets when libFuzzer
 * is not linked: runs every file of the seed corpus directory given as
 * argv[1], then RP_FUZZ_ITERS (default 20000) mutations of them, seeded
 * by RP_FUZZ_SEED (default 1), so a failure reproduces exactly.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEEDS 256
#define FUZZ_MAX_INPUT 65536

static uint8_t *seeds[MAX_SEEDS];
static size_t seed_len[MAX_SEEDS];
static unsigned n_seeds;

/* xorshift64 -- small reproducible PRNG. */
static uint64_t
xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* load_corpus -- read every regular file of dir as a seed. */
static void
load_corpus(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n_seeds < MAX_SEEDS) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		if (f == NULL)
			continue;
		uint8_t *buf = malloc(FUZZ_MAX_INPUT);
		size_t n = fread(buf, 1, FUZZ_MAX_INPUT, f);
		fclose(f);
		seeds[n_seeds] = buf;
		seed_len[n_seeds++] = n;
	}
	closedir(d);
}

/* mutate -- flip, insert, delete, splice or repeat bytes of a seed. */
static size_t
mutate(uint64_t *rng, uint8_t *out, const uint8_t *in, size_t len)
{
	size_t n = len < FUZZ_MAX_INPUT ? len : FUZZ_MAX_INPUT;
	memcpy(out, in, n);
	unsigned rounds = 1 + xorshift64(rng) % 8;
	for (unsigned r = 0; r < rounds; r++) {
		uint64_t v = xorshift64(rng);
		size_t pos = n ? v % n : 0;
		switch ((v >> 32) % 6) {
		case 0: /* flip a bit */
			if (n)
				out[pos] ^= (uint8_t)(1u << ((v >> 40) % 8));
			break;
		case 1: /* set a byte to an interesting value */
			if (n) {
				static const uint8_t interesting[] = {
					'\r', '\n', '*', '$', '-', '0', '9',
					'"', '\'', '\\', ' ', 0, 0xff };
				out[pos] = interesting[(v >> 40) %
						       sizeof(interesting)];
			}
			break;
		case 2: /* delete a range */
			if (n) {
				size_t k = 1 + (v >> 40) % 16;
				if (pos + k > n)
					k = n - pos;
				memmove(out + pos, out + pos + k, n - pos - k);
				n -= k;
			}
			break;
		case 3: /* insert a random byte */
			if (n < FUZZ_MAX_INPUT) {
				memmove(out + pos + 1, out + pos, n - pos);
				out[pos] = (uint8_t)(v >> 40);
				n++;
			}
			break;
		case 4: /* truncate */
			n = pos;
			break;
		case 5: /* append another seed's bytes */
			if (n_seeds) {
				unsigned s = (v >> 40) % n_seeds;
				size_t k = seed_len[s];
				if (n + k > FUZZ_MAX_INPUT)
					k = FUZZ_MAX_INPUT - n;
				memcpy(out + n, seeds[s], k);
				n += k;
			}
			break;
		}
	}
	return n;
}

int
main(int argc, char **argv)
{
	if (argc > 1)
		load_corpus(argv[1]);
	const char *it = getenv("RP_FUZZ_ITERS");
	const char *sd = getenv("RP_FUZZ_SEED");
	unsigned long iters = it ? strtoul(it, NULL, 10) : 20000;
	uint64_t rng = sd ? strtoull(sd, NULL, 10) : 1;
	if (rng == 0)
		rng = 1;

	for (unsigned i = 0; i < n_seeds; i++)
		LLVMFuzzerTestOneInput(seeds[i], seed_len[i]);
	uint8_t *buf = malloc(FUZZ_MAX_INPUT);
	static const uint8_t empty[1];
	for (unsigned long i = 0; i < iters; i++) {
		const uint8_t *src = empty;
		size_t len = 0;
		if (n_seeds) {
			unsigned s = xorshift64(&rng) % n_seeds;
			src = seeds[s];
			len = seed_len[s];
		}
		size_t n = mutate(&rng, buf, src, len);
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("fuzz: %u seeds, %lu mutations, no failure\n", n_seeds, iters);
	free(buf);
	for (unsigned i = 0; i < n_seeds; i++)
		free(seeds[i]);
	return 0;
}
