/*
 * unit.h -- shared pieces of the cmocka unit tests: an EAL start-up for
 * tests that need DPDK memory, and a main with a name filter.
 *
 * Usage, at the end of a test file:
 *     RP_TEST_MAIN(tests, eal_needed)
 * Run one test by name: ./test_kv get_set (a cmocka glob pattern), or set
 * RP_TEST_FILTER.
 */
#ifndef RP_UNIT_H
#define RP_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>

/*
 * rp_test_eal_init_vdev -- start an EAL with no hugepages, no PCI and no
 * files; vdev, if not NULL, is a "--vdev=..." argument (net_ring ports).
 */
static inline void
rp_test_eal_init_vdev(const char *prog, const char *vdev)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=rpt%d", (int)getpid());
	char *args[] = {
		(char *)prog, "-l", "0", "--no-huge", "-m", "512", "--no-pci",
		"--no-shconf", "--log-level=lib.*:error", prefix,
		(char *)vdev, NULL,
	};
	int argc = (int)(sizeof(args) / sizeof(args[0])) - 1;
	if (vdev == NULL)
		argc--;
	if (rte_eal_init(argc, args) < 0) {
		fprintf(stderr, "%s: rte_eal_init failed\n", prog);
		exit(1);
	}
}

/* rp_test_eal_init -- start an EAL without devices. */
static inline void
rp_test_eal_init(const char *prog)
{
	rp_test_eal_init_vdev(prog, NULL);
}

#define RP_TEST_MAIN(tests, need_eal)                                   \
	int main(int argc, char **argv)                                  \
	{                                                                \
		const char *filter = getenv("RP_TEST_FILTER");           \
		if (argc > 1)                                            \
			filter = argv[1];                                \
		if (filter != NULL)                                      \
			cmocka_set_test_filter(filter);                  \
		if (need_eal)                                            \
			rp_test_eal_init(argv[0]);                       \
		int rc = cmocka_run_group_tests(tests, NULL, NULL);      \
		if (need_eal)                                            \
			rte_eal_cleanup();                               \
		return rc;                                               \
	}

#endif /* RP_UNIT_H */
