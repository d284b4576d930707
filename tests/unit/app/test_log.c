/*
 * test_log.c -- app/log.c: the loglevel to rte_log level mapping, Redis's
 * level characters and line prefix, and the stream end to end: rte_log
 * messages of redpoll's types written to a file with the prefix, lines of
 * a multi-line message prefixed each, levels below loglevel dropped, and
 * CONFIG SET loglevel's run-time change applied to every redpoll.* type.
 * No EAL: rte_log works before rte_eal_init, as redpoll uses it.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "unit.h"

#include "log.h"

static void
test_level_mapping(void **state)
{
	(void)state;
	assert_int_equal(rp_log_rte_level(CFG_LOG_DEBUG), RTE_LOG_DEBUG);
	assert_int_equal(rp_log_rte_level(CFG_LOG_VERBOSE), RTE_LOG_INFO);
	assert_int_equal(rp_log_rte_level(CFG_LOG_NOTICE), RTE_LOG_NOTICE);
	assert_int_equal(rp_log_rte_level(CFG_LOG_WARNING), RTE_LOG_WARNING);
	/* Redis's characters; everything above warning is '#'. */
	assert_int_equal(rp_log_level_char(RTE_LOG_DEBUG), '.');
	assert_int_equal(rp_log_level_char(RTE_LOG_INFO), '-');
	assert_int_equal(rp_log_level_char(RTE_LOG_NOTICE), '*');
	assert_int_equal(rp_log_level_char(RTE_LOG_WARNING), '#');
	assert_int_equal(rp_log_level_char(RTE_LOG_ERR), '#');
	assert_int_equal(rp_log_level_char(RTE_LOG_EMERG), '#');
}

static void
test_prefix_format(void **state)
{
	struct timeval tv = { .tv_sec = 1700000000, .tv_usec = 123999 };
	char buf[64];
	(void)state;

	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(rp_log_format_prefix(buf, sizeof(buf), 4242, 'M', &tv,
					      RTE_LOG_NOTICE),
			 strlen("4242:M 14 Nov 2023 22:13:20.123 * "));
	assert_string_equal(buf, "4242:M 14 Nov 2023 22:13:20.123 * ");
	tv.tv_sec = 1704067199; /* 31 Dec 2023 23:59:59 */
	tv.tv_usec = 7000;
	rp_log_format_prefix(buf, sizeof(buf), 1, 'W', &tv, RTE_LOG_DEBUG);
	assert_string_equal(buf, "1:W 31 Dec 2023 23:59:59.007 . ");
	rp_log_format_prefix(buf, sizeof(buf), 1, 'M', &tv, RTE_LOG_INFO);
	assert_string_equal(buf, "1:M 31 Dec 2023 23:59:59.007 - ");
	rp_log_format_prefix(buf, sizeof(buf), 1, 'M', &tv, RTE_LOG_ERR);
	assert_string_equal(buf, "1:M 31 Dec 2023 23:59:59.007 # ");
	/* Too short a buffer: nothing. */
	assert_int_equal(rp_log_format_prefix(buf, 10, 1, 'M', &tv,
					      RTE_LOG_ERR), 0);
}

/* read_all -- the file's content (static buffer). */
static const char *
read_all(const char *path)
{
	static char text[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

/* count_lines -- lines of text. */
static int
count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* assert_prefixed -- every line starts with "<pid>:M dd Mon yyyy hh:mm:ss.mmm ". */
static void
assert_prefixed(const char *text)
{
	char want[32];
	int n = snprintf(want, sizeof(want), "%d:M ", (int)getpid());

	for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
		assert_memory_equal(l, want, (size_t)n);
		/* "14 Nov 2023 22:13:20.123 c " */
		assert_int_equal(l[n + 2], ' ');
		assert_int_equal(l[n + 6], ' ');
		assert_int_equal(l[n + 11], ' ');
		assert_int_equal(l[n + 14], ':');
		assert_int_equal(l[n + 17], ':');
		assert_int_equal(l[n + 20], '.');
		assert_int_equal(l[n + 24], ' ');
		assert_int_equal(l[n + 26], ' ');
	}
}

static void
test_stream(void **state)
{
	char path[] = "/tmp/rp_test_log_XXXXXX";
	int fd = mkstemp(path);
	const char *text;
	(void)state;

	assert_true(fd >= 0);
	/* A type registered by another layer before the init (the store's
	 * redpoll.store is registered by a constructor) follows loglevel. */
	int other = rte_log_register_type_and_pick_level("redpoll.other",
							 RTE_LOG_DEBUG);
	assert_true(other >= 0);
	assert_int_equal(rp_log_init(fd, CFG_LOG_NOTICE), 0);
	assert_int_equal(rte_log_get_level(other), RTE_LOG_NOTICE);
	assert_int_equal(rte_log_get_level(rp_logtype_app), RTE_LOG_NOTICE);
	assert_int_equal(rte_log_get_global_level(), RTE_LOG_NOTICE);

	RP_LOG(NOTICE, app, "started %d", 1);
	RP_LOG(INFO, app, "verbose, hidden at notice");
	RP_LOG(DEBUG, net, "debug, hidden at notice");
	RP_LOG(WARNING, net, "first\nsecond");
	rte_log(RTE_LOG_NOTICE, other, "other type\n");
	rp_log_set_level(CFG_LOG_WARNING);
	assert_int_equal(rte_log_get_level(other), RTE_LOG_WARNING);
	/* The global level caps DPDK's own types (EAL at INFO) as well. */
	rte_log(RTE_LOG_INFO, RTE_LOGTYPE_EAL, "EAL info, hidden\n");
	rte_log(RTE_LOG_ERR, RTE_LOGTYPE_EAL, "EAL error\n");
	RP_LOG(NOTICE, pmem, "notice, hidden at warning");
	RP_LOG(ERR, pmem, "an error");
	rp_log_set_level(CFG_LOG_DEBUG);
	RP_LOG(DEBUG, app, "debug now");
	rp_log_set_level(CFG_LOG_VERBOSE);
	RP_LOG(INFO, app, "verbose now");
	RP_LOG(DEBUG, app, "debug hidden again");
	/* Without a trailing newline, the line is ended anyway. */
	rte_log(RTE_LOG_NOTICE, rp_logtype_app, "no newline");
	rp_log_fini();

	text = read_all(path);
	assert_int_equal(count_lines(text), 9);
	assert_prefixed(text);
	assert_non_null(strstr(text, " * started 1\n"));
	assert_non_null(strstr(text, " # first\n"));
	assert_non_null(strstr(text, " # second\n"));
	assert_non_null(strstr(text, " * other type\n"));
	assert_non_null(strstr(text, " # an error\n"));
	assert_non_null(strstr(text, " # EAL error\n"));
	assert_non_null(strstr(text, " . debug now\n"));
	assert_non_null(strstr(text, " - verbose now\n"));
	assert_non_null(strstr(text, " * no newline\n"));
	assert_null(strstr(text, "hidden"));
	close(fd);
	unlink(path);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_level_mapping),
	cmocka_unit_test(test_prefix_format),
	cmocka_unit_test(test_stream),
};

int
main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
