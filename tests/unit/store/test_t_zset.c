/*
 * test_t_zset.c -- store/t_zset.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#include "store_test.h"

static void
test_placeholder(void **state)
{
	(void)state;
	rx("ZADD z 1 a", ":1\r\n");
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_placeholder),
};

RP_TEST_MAIN(tests, 1)
