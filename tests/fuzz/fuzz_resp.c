/*
 * fuzz_resp.c -- the RESP parser on arbitrary bytes: parsed whole and
 * again in fragments whose sizes come from the input; both must agree,
 * offsets must stay inside the buffer, nothing may crash or loop.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

/* run -- parse data delivered in fragments; returns a digest of what
 * was parsed (argument lengths and bytes) and the error if any. */
static uint64_t
run(const uint8_t *data, size_t size, size_t frag, const char **err)
{
	struct resp_parser p;
	char *buf = malloc(size + 1);
	size_t have = 0, len = 0, pos = 0;
	uint64_t h = 1469598103934665603ULL;

	resp_parser_init(&p);
	*err = NULL;
	while (pos < size && *err == NULL) {
		size_t k = frag == 0 || size - pos < frag ? size - pos : frag;
		memcpy(buf + len, data + pos, k);
		len += k;
		pos += k;
		have = len;
		for (;;) {
			size_t used = 0;
			enum resp_status st = resp_parse(&p, buf, len, &used);
			if (st == RESP_NEED_MORE)
				break;
			if (st == RESP_ERROR) {
				*err = p.err;
				break;
			}
			assert(used > 0 && used <= len);
			for (uint32_t i = 0; st == RESP_DONE && i < p.argc; i++) {
				assert((size_t)p.argv[i].off + p.argv[i].len <= used);
				h = (h ^ p.argv[i].len) * 1099511628211ULL;
				for (uint32_t j = 0; j < p.argv[i].len; j++)
					h = (h ^ (uint8_t)buf[p.argv[i].off + j]) *
					    1099511628211ULL;
			}
			resp_parser_reset(&p);
			memmove(buf, buf + used, len - used);
			len -= used;
		}
	}
	(void)have;
	resp_parser_fini(&p);
	free(buf);
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *e1, *e2;
	uint64_t whole = run(data, size, 0, &e1);
	size_t frag = size ? 1 + data[0] % 7 : 1;
	uint64_t pieces = run(data, size, frag, &e2);

	/* Same requests whatever the fragmentation (errors aside: a
	 * too-big line is detected at a size boundary either way). */
	if (e1 == NULL && e2 == NULL)
		assert(whole == pieces);
	return 0;
}
