/*
 * test_crc32c.c -- pmem/crc32c.c: the standard check value and RFC 3720
 * vectors, both paths (instruction and table) agreeing at every length
 * and alignment, and continuation across buffers.
 */
#include "unit.h"

#include "../../../pmem/crc32c.c"

/* sw -- the table path with pm_crc32c's inversions. */
static uint32_t
sw(uint32_t crc, const void *buf, size_t len)
{
	return ~crc32c_sw(~crc, buf, len);
}

static void
test_check_value(void **state)
{
	(void)state;
	assert_int_equal(pm_crc32c(0, "123456789", 9), 0xE3069283);
	assert_int_equal(sw(0, "123456789", 9), 0xE3069283);
	assert_int_equal(pm_crc32c(0, "", 0), 0);
}

/* test_rfc3720 -- the iSCSI test vectors (RFC 3720, B.4). */
static void
test_rfc3720(void **state)
{
	uint8_t buf[32];
	(void)state;

	memset(buf, 0, sizeof(buf));
	assert_int_equal(pm_crc32c(0, buf, 32), 0x8A9136AA);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(pm_crc32c(0, buf, 32), 0x62A8AB43);
	for (unsigned i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	assert_int_equal(pm_crc32c(0, buf, 32), 0x46DD794E);
	for (unsigned i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	assert_int_equal(pm_crc32c(0, buf, 32), 0x113FDB5C);
}

/* test_paths_agree -- every length 0..300 at every alignment 0..7. */
static void
test_paths_agree(void **state)
{
	uint8_t buf[320];
	(void)state;

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 167 + 13);
	for (unsigned a = 0; a < 8; a++)
		for (unsigned n = 0; n <= 300; n++)
			assert_int_equal(pm_crc32c(0x1234567u, buf + a, n),
					 sw(0x1234567u, buf + a, n));
}

/* test_continuation -- crc(a || b) == crc(crc(a), b) at every split. */
static void
test_continuation(void **state)
{
	uint8_t buf[100];
	(void)state;

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i ^ 0x5a);
	uint32_t whole = pm_crc32c(0, buf, sizeof(buf));
	for (unsigned k = 0; k <= sizeof(buf); k++)
		assert_int_equal(pm_crc32c(pm_crc32c(0, buf, k), buf + k,
					   sizeof(buf) - k), whole);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_check_value),
	cmocka_unit_test(test_rfc3720),
	cmocka_unit_test(test_paths_agree),
	cmocka_unit_test(test_continuation),
};

RP_TEST_MAIN(tests, 0)
