/*
 * crc32c.c -- CRC32C (Castagnoli), the checksum of pmem log records.
 *
 * With SSE4.2 (the build uses -march=native) the crc32 instruction does
 * eight bytes per step; otherwise a byte-at-a-time table does the work.
 * The table path is compiled in both cases so that the unit test can
 * check that the two agree.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE4_2__
#include <nmmintrin.h>
#endif

#include "pm.h"

#define CRC32C_POLY 0x82f63b78u     /* 0x1EDC6F41, bit-reflected */

static uint32_t crc32c_table[256];

/* crc32c_table_init -- fill the table once, before main. */
__attribute__((constructor)) static void
crc32c_table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc32c_table[i] = c;
	}
}

/* crc32c_sw -- table-driven CRC32C on a raw (not inverted) value. */
__attribute__((unused)) static uint32_t
crc32c_sw(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len-- > 0)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#ifdef __SSE4_2__
/* crc32c_hw -- CRC32C with the SSE4.2 crc32 instruction, 8 bytes a step. */
static uint32_t
crc32c_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;

	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v;

		memcpy(&v, p, sizeof(v));
		c = _mm_crc32_u64(c, v);
	}
	crc = (uint32_t)c;
	while (len-- > 0)
		crc = _mm_crc32_u8(crc, *p++);
	return crc;
}
#endif

uint32_t
pm_crc32c(uint32_t crc, const void *buf, size_t len)
{
#ifdef __SSE4_2__
	return ~crc32c_hw(~crc, buf, len);
#else
	return ~crc32c_sw(~crc, buf, len);
#endif
}
