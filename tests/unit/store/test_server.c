/*
 * test_server.c -- store/server.c: PING ECHO QUIT SELECT HELLO AUTH
 * CLIENT COMMAND CONFIG INFO DBSIZE TIME.
 */
#include "unit.h"

#include "store_test.h"

/* runz -- run, and end the reply with a NUL for strstr. */
static void
runz(const char *line)
{
	run(line);
	st_out[st_len] = '\0';
}

static void
test_ping_echo_quit(void **state)
{
	(void)state;
	rx("PING", "+PONG\r\n");
	rx("PING hi", "$2\r\nhi\r\n");
	rx("PING a b", "-ERR wrong number of arguments for 'ping' command\r\n");
	rx("ECHO x", "$1\r\nx\r\n");
	rx("QUIT", "+OK\r\n");
	assert_true(st_client.flags & KV_CLIENT_CLOSE_AFTER_REPLY);
}

static int shutdowns;

static void
count_shutdown(void *ctx)
{
	(void)ctx;
	shutdowns++;
}

static void
test_shutdown(void **state)
{
	(void)state;
	/* Without an upper layer to stop, SHUTDOWN fails as Redis's does
	 * when it cannot stop. */
	rx("SHUTDOWN", "-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
	rx("SHUTDOWN SAVE NOSAVE", "-ERR syntax error\r\n");
	rx("SHUTDOWN ABORT NOW", "-ERR syntax error\r\n");
	rx("SHUTDOWN LATER", "-ERR syntax error\r\n");
	rx("SHUTDOWN ABORT", "-ERR No shutdown in progress.\r\n");
	assert_false(st_client.flags & KV_CLIENT_CLOSE_AFTER_REPLY);

	st_shard->hooks.shutdown = count_shutdown;
	shutdowns = 0;
	rx("SHUTDOWN ABORT", "-ERR No shutdown in progress.\r\n");
	assert_int_equal(shutdowns, 0);
	/* Accepted: no reply, the connection closes, the server stops. */
	rx("shutdown nosave now force", "");
	assert_int_equal(shutdowns, 1);
	assert_true(st_client.flags & KV_CLIENT_CLOSE_AFTER_REPLY);
}

static void
test_select(void **state)
{
	(void)state;
	rx("SELECT 15", "+OK\r\n");
	assert_int_equal(st_client.db, 15);
	rx("SELECT 16", "-ERR DB index is out of range\r\n");
	rx("SELECT -1", "-ERR DB index is out of range\r\n");
	rx("SELECT x", "-ERR value is not an integer or out of range\r\n");
	rx("SELECT 2147483648", "-ERR value is out of range, value must "
	   "between -2147483648 and 2147483647\r\n");
	st_cfg.databases = 4;
	st_close();
	st_open(NULL);
	rx("SELECT 4", "-ERR DB index is out of range\r\n");
	rx("SELECT 3", "+OK\r\n");
	rx("SET k v", "+OK\r\n");
	rx("DBSIZE", ":1\r\n");
	rx("SELECT 0", "+OK\r\n");
	rx("DBSIZE", ":0\r\n");
}

static void
test_hello_auth(void **state)
{
	(void)state;
	runz("HELLO");
	assert_memory_equal(st_out, "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n", 28);
	rx("HELLO 4", "-NOPROTO unsupported protocol version\r\n");
	rx("HELLO 3", "-NOPROTO unsupported protocol version\r\n");
	rx("HELLO abc", "-ERR Protocol version is not an integer or out of "
	   "range\r\n");
	rx("HELLO 2 FOO", "-ERR Syntax error in HELLO option 'FOO'\r\n");
	rx("HELLO 2 SETNAME", "-ERR Syntax error in HELLO option "
	   "'SETNAME'\r\n");
	runz("HELLO 2 SETNAME me");
	assert_string_equal(st_client.name, "me");
	rx("AUTH x", "-ERR AUTH <password> called without any password "
	   "configured for the default user. Are you sure your configuration "
	   "is correct?\r\n");
	/* Without requirepass, "default" takes any password (nopass). */
	rx("AUTH default anything", "+OK\r\n");
	rx("AUTH DEFAULT anything", "-WRONGPASS invalid username-password "
	   "pair or user is disabled.\r\n");
	rx("AUTH a b c", "-ERR syntax error\r\n");
	st_client.flags &= ~KV_CLIENT_AUTHENTICATED;
	snprintf(st_cfg.requirepass, sizeof(st_cfg.requirepass), "secret");
	rx("GET k", "-NOAUTH Authentication required.\r\n");
	rx("AUTH wrong", "-WRONGPASS invalid username-password pair or user "
	   "is disabled.\r\n");
	rx("HELLO", "-NOAUTH HELLO must be called with the client already "
	   "authenticated, otherwise the HELLO <proto> AUTH <user> <pass> "
	   "option can be used to authenticate the client and select the RESP "
	   "protocol version at the same time\r\n");
	rx("HELLO 2 AUTH default wrong", "-WRONGPASS invalid "
	   "username-password pair or user is disabled.\r\n");
	rx("AUTH secret", "+OK\r\n");
	st_client.flags &= ~KV_CLIENT_AUTHENTICATED;
	runz("HELLO 2 AUTH default secret");
	assert_memory_equal(st_out, "*14\r\n", 5);
	st_client.flags &= ~KV_CLIENT_AUTHENTICATED;
	rx("AUTH default secret", "+OK\r\n");
	rx("GET k", "$-1\r\n");
}

static void
test_client(void **state)
{
	(void)state;
	char want[64];
	snprintf(want, sizeof(want), ":%llu\r\n",
		 (unsigned long long)st_client.id);
	rx("CLIENT ID", want);
	rx("CLIENT GETNAME", "$-1\r\n");
	rx("CLIENT SETNAME me", "+OK\r\n");
	rx("CLIENT GETNAME", "$2\r\nme\r\n");
	rx("CLIENT SETNAME a\nb", "-ERR Client names cannot contain spaces, "
	   "newlines or special characters.\r\n");
	rx("CLIENT", "-ERR wrong number of arguments for 'client' command\r\n");
	rx("CLIENT NOSUCH", "-ERR unknown subcommand 'NOSUCH'. Try CLIENT "
	   "HELP.\r\n");
	rx("CLIENT SETNAME a b", "-ERR wrong number of arguments for "
	   "'client|setname' command\r\n");
	runz("CLIENT INFO");
	assert_non_null(strstr(st_out, " name=me "));
	runz("CLIENT LIST");
	assert_non_null(strstr(st_out, " name=me "));
}

static void
test_command(void **state)
{
	(void)state;
	char want[32];
	snprintf(want, sizeof(want), ":%u\r\n", kv_cmd_table_len);
	rx("COMMAND COUNT", want);
	/* Redis 7.0.15's bytes. */
	rx("COMMAND INFO get", "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n"
	   "+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n"
	   "+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n"
	   "+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n"
	   "$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n"
	   "$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n"
	   "$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n"
	   ":1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n");
	rx("COMMAND INFO CLIENT|ID", "*1\r\n*10\r\n$9\r\nclient|id\r\n:2\r\n"
	   "*3\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n"
	   "*2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n");
	/* DOCS: Redis's facts, redpoll's own summary (summaries.txt). */
	rx("COMMAND DOCS client|getname nosuch", "*2\r\n$14\r\n"
	   "client|getname\r\n*8\r\n$7\r\nsummary\r\n$36\r\n"
	   "The name this connection set, if any\r\n$5\r\nsince\r\n$5\r\n"
	   "2.6.9\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n$10\r\n"
	   "complexity\r\n$4\r\nO(1)\r\n");
	runz("COMMAND INFO get nosuch client|nosuch");
	assert_memory_equal(st_out, "*3\r\n*10\r\n$3\r\nget\r\n:2\r\n", 22);
	assert_memory_equal(st_out + st_len - 10, "$-1\r\n$-1\r\n", 10);
	runz("COMMAND DOCS getset");
	assert_non_null(strstr(st_out, "$9\r\ndoc_flags\r\n*1\r\n+deprecated"
			       "\r\n$16\r\ndeprecated_since\r\n$5\r\n6.2.0"));
	rx("COMMAND DOCS nosuch", "*0\r\n");
	runz("COMMAND");
	snprintf(want, sizeof(want), "*%u\r\n", kv_cmd_table_len);
	assert_memory_equal(st_out, want, strlen(want));
	rx("COMMAND LIST FILTERBY PATTERN config|g*", "*1\r\n$10\r\n"
	   "config|get\r\n");
	rx("COMMAND LIST FILTERBY pattern CLIENT|I*", "*2\r\n$9\r\nclient|id"
	   "\r\n$11\r\nclient|info\r\n");
	runz("COMMAND LIST FILTERBY ACLCAT Admin");
	assert_non_null(strstr(st_out, "$10\r\nconfig|set\r\n"));
	assert_null(strstr(st_out, "$3\r\nget\r\n"));
	rx("COMMAND LIST FILTERBY ACLCAT nosuch", "*0\r\n");
	rx("COMMAND LIST FILTERBY MODULE x", "*0\r\n");
	rx("COMMAND LIST FILTERBY NOSUCH x", "-ERR syntax error\r\n");
	rx("COMMAND LIST x", "-ERR syntax error\r\n");
	runz("COMMAND LIST");
	assert_non_null(strstr(st_out, "$13\r\ncommand|count\r\n"));
	rx("COMMAND NOSUCH", "-ERR unknown subcommand 'NOSUCH'. Try COMMAND "
	   "HELP.\r\n");
}

static void
test_config(void **state)
{
	(void)state;
	rx("CONFIG GET maxmemory", "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
	rx("CONFIG GET nosuch", "*0\r\n");
	/* A plain name is answered as written, each directive once. */
	rx("CONFIG GET MAXMEMORY maxmemory", "*2\r\n$9\r\nMAXMEMORY\r\n"
	   "$1\r\n0\r\n");
	rx("CONFIG GET max*ory maxmemory", "*2\r\n$9\r\nmaxmemory\r\n"
	   "$1\r\n0\r\n");
	rx("CONFIG GET tim[e]out", "*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n");
	rx("CONFIG SET maxmemory 1mb", "+OK\r\n");
	rx("CONFIG GET maxmemory", "*2\r\n$9\r\nmaxmemory\r\n$7\r\n1048576\r\n");
	rx("CONFIG SET nosuch 1", "-ERR Unknown option or number of arguments "
	   "for CONFIG SET - 'nosuch'\r\n");
	rx("CONFIG SET maxmemory abc", "-ERR CONFIG SET failed (possibly related "
	   "to argument 'maxmemory') - argument must be a memory value\r\n");
	rx("CONFIG SET port 7000", "-ERR CONFIG SET failed (possibly related to "
	   "argument 'port') - can't set immutable config\r\n");
	/* All or nothing: the valid half is not applied either. */
	rx("CONFIG SET timeout 5 maxmemory abc", "-ERR CONFIG SET failed "
	   "(possibly related to argument 'maxmemory') - argument must be a "
	   "memory value\r\n");
	assert_int_equal(st_cfg.timeout, 0);
	rx("CONFIG SET a", "-ERR wrong number of arguments for 'config|set' "
	   "command\r\n");
	rx("CONFIG SET timeout 1 maxmemory", "-ERR syntax error\r\n");
	/* The value error names the directive, not the spelling. */
	rx("CONFIG SET MAXMEMORY abc", "-ERR CONFIG SET failed (possibly "
	   "related to argument 'maxmemory') - argument must be a memory "
	   "value\r\n");
	/* An unknown name wins over any other error. */
	rx("CONFIG SET maxmemory abc nosuch 1", "-ERR Unknown option or number "
	   "of arguments for CONFIG SET - 'nosuch'\r\n");
	rx("CONFIG SET timeout 1 TIMEOUT 2", "-ERR CONFIG SET failed (possibly "
	   "related to argument 'TIMEOUT') - duplicate parameter\r\n");
	rx("CONFIG SET timeout 1 Port 2", "-ERR CONFIG SET failed (possibly "
	   "related to argument 'Port') - can't set immutable config\r\n");
	assert_int_equal(st_cfg.timeout, 0);
	rx("CONFIG SET timeout 7 maxmemory 2mb", "+OK\r\n");
	assert_int_equal(st_cfg.timeout, 7);
	assert_int_equal(st_cfg.maxmemory, 2 << 20);
	/* This shard has no log: only "off" is accepted. */
	rx("CONFIG SET persistence sync", "-ERR CONFIG SET failed (possibly "
	   "related to argument 'persistence') - switching persistence on or "
	   "off needs a restart (sync and async switch at run time)\r\n");
	rx("CONFIG SET persistence off", "+OK\r\n");
}

/* What the config_set hook was told. */
static char hook_seen[512];

static void
record_config_set(void *ctx, const char *name, const char *value)
{
	size_t n = strlen(hook_seen);

	(void)ctx;
	snprintf(hook_seen + n, sizeof(hook_seen) - n, "%s=%s;", name, value);
}

/* test_config_set_hook -- the upper layers hear of every directive a
 * successful CONFIG SET changed (lower-case name, CONFIG GET's value),
 * and of nothing when it fails. */
static void
test_config_set_hook(void **state)
{
	(void)state;
	st_shard->hooks.config_set = record_config_set;
	hook_seen[0] = '\0';
	rx("CONFIG SET Timeout 5 maxmemory 1mb", "+OK\r\n");
	assert_string_equal(hook_seen, "timeout=5;maxmemory=1048576;");
	hook_seen[0] = '\0';
	rx("CONFIG SET timeout 6 maxmemory abc", "-ERR CONFIG SET failed "
	   "(possibly related to argument 'maxmemory') - argument must be a "
	   "memory value\r\n");
	rx("CONFIG SET port 1", "-ERR CONFIG SET failed (possibly related to "
	   "argument 'port') - can't set immutable config\r\n");
	assert_string_equal(hook_seen, "");
	rx("CONFIG SET loglevel WARNING", "+OK\r\n");
	assert_string_equal(hook_seen, "loglevel=warning;");
}

/* test_config_rewrite -- CONFIG REWRITE writes the file the server was
 * started with (config/cfg.c's cfg_rewrite does the file's work). */
static void
test_config_rewrite(void **state)
{
	char dir[] = "/tmp/rpsrv.XXXXXX", want[PATH_MAX + 32];
	(void)state;

	rx("CONFIG REWRITE", "-ERR The server is running without a config "
	   "file\r\n");
	rx("CONFIG REWRITE now", "-ERR wrong number of arguments for "
	   "'config|rewrite' command\r\n");
	assert_non_null(mkdtemp(dir));
	snprintf(st_cfg.config_file, sizeof(st_cfg.config_file),
		 "%s/redpoll.conf", dir);
	FILE *f = fopen(st_cfg.config_file, "w");
	assert_non_null(f);
	fputs("# mine\nmaxmemory 0\n", f);
	fclose(f);
	/* Only the directives set below differ from the defaults (the
	 * test's own pmem-path is put back right after). */
	char pmem[sizeof(st_cfg.pmem_path)];
	memcpy(pmem, st_cfg.pmem_path, sizeof(pmem));
	snprintf(st_cfg.pmem_path, sizeof(st_cfg.pmem_path), "%s",
		 "/dev/shm/redpoll");
	snprintf(st_cfg.dir, sizeof(st_cfg.dir), "%s", "/var/lib/redpoll");
	rx("CONFIG SET maxmemory 2mb timeout 9", "+OK\r\n");
	rx("CONFIG REWRITE", "+OK\r\n");
	memcpy(st_cfg.pmem_path, pmem, sizeof(pmem));
	memcpy(st_cfg.dir, pmem, sizeof(pmem));
	f = fopen(st_cfg.config_file, "r");
	assert_non_null(f);
	char text[256] = "";
	assert_true(fread(text, 1, sizeof(text) - 1, f) > 0);
	fclose(f);
	assert_string_equal(text, "# mine\nmaxmemory 2mb\n"
			    "# Generated by CONFIG REWRITE\ntimeout 9\n");
	/* INFO server names the file. */
	st_len = 0;
	kv_execute(st_shard, &st_client, 2, (struct kv_arg[]){
		{ "INFO", 4 }, { "server", 6 } });
	snprintf(want, sizeof(want), "config_file:%s\r\n",
		 st_cfg.config_file);
	st_out[st_len] = '\0';
	assert_non_null(strstr(st_out, want));
	unlink(st_cfg.config_file);
	/* A folder that went away: Redis's error text. */
	assert_int_equal(rmdir(dir), 0);
	rx("CONFIG REWRITE", "-ERR Rewriting config file: No such file or "
	   "directory\r\n");
}

static void
test_info_dbsize_time(void **state)
{
	(void)state;
	rx("INFO keyspace", "$12\r\n# Keyspace\r\n\r\n");
	rx("INFO nosuch", "$0\r\n\r\n");
	rx("SET k v EX 100", "+OK\r\n");
	rx("GET k", "$1\r\nv\r\n");
	rx("GET nosuch", "$-1\r\n");
	rx("DBSIZE", ":1\r\n");
	runz("INFO");
	assert_non_null(strstr(st_out, "# Server\r\nredis_version:7.0.15\r\n"
			       "redpoll_version:"));
	assert_non_null(strstr(st_out, "\r\n\r\n# Keyspace\r\n"
			       "db0:keys=1,expires=1,avg_ttl=0\r\n\r\n"));
	assert_non_null(strstr(st_out, "total_commands_processed:6\r\n"));
	assert_non_null(strstr(st_out, "keyspace_hits:1\r\n"
			       "keyspace_misses:1\r\n"));
	assert_non_null(strstr(st_out, "# Memory\r\nused_memory:"));
	assert_non_null(strstr(st_out, "# Replication\r\nrole:master\r\n"));
	assert_null(strstr(st_out, "# Network"));
	/* Redis's order whatever the order asked, each section once. */
	runz("INFO keyspace SERVER keyspace");
	assert_memory_equal(strchr(st_out, '\n') + 1, "# Server\r\n", 10);
	assert_non_null(strstr(st_out, "config_file:\r\n\r\n# Keyspace\r\n"));
	assert_null(strstr(strstr(st_out, "# Keyspace") + 1, "# Keyspace"));
	runz("INFO default");
	assert_non_null(strstr(st_out, "# CPU\r\nused_cpu_sys:"));
	rx("CONFIG RESETSTAT", "+OK\r\n");
	runz("INFO stats");
	assert_non_null(strstr(st_out, "total_commands_processed:1\r\n"));
	assert_non_null(strstr(st_out, "keyspace_hits:0\r\n"));
	runz("TIME");
	assert_memory_equal(st_out, "*2\r\n$10\r\n", 9);
}

static void
test_ops_per_sec(void **state)
{
	(void)state;
	struct kv_shard *s = st_shard;

	s->now_ms = 1000;
	kv_ops_sample(s);          /* first sample: a starting point */
	s->stats.commands += 50;
	s->now_ms = 1050;
	kv_ops_sample(s);          /* too soon: ignored */
	assert_int_equal(kv_ops_per_sec(s), 0);
	s->now_ms = 1100;
	kv_ops_sample(s);          /* 50 in 100 ms: 500/s */
	assert_int_equal(kv_ops_per_sec(s), 500 / KV_OPS_SAMPLES);
	for (int i = 0; i < KV_OPS_SAMPLES; i++) {
		s->stats.commands += 160;
		s->now_ms += 200;
		kv_ops_sample(s);  /* 160 in 200 ms: 800/s */
	}
	assert_int_equal(kv_ops_per_sec(s), 800);
}

static char mon_out[4096];
static size_t mon_len;

static void
mon_sink(void *ctx, const void *b, size_t n)
{
	(void)ctx;
	assert_true(mon_len + n < sizeof(mon_out));
	memcpy(mon_out + mon_len, b, n);
	mon_len += n;
}

static void
test_monitor(void **state)
{
	struct kv_client mon;
	struct kv_arg m[1] = { { "MONITOR", 7 } };
	(void)state;

	kv_client_init(&mon, mon_sink, NULL);
	kv_execute(st_shard, &mon, 1, m);
	assert_int_equal(mon_len, 5);
	assert_memory_equal(mon_out, "+OK\r\n", 5);
	mon_len = 0;
	snprintf(st_client.addr, sizeof(st_client.addr), "198.18.0.2:5000");
	run("SET k a\"b");
	run("CONFIG GET port");             /* admin: not fed */
	run("SELECT 2");
	mon_out[mon_len] = '\0';
	const char *l2 = strstr(mon_out, "\r\n+");
	assert_non_null(l2);
	assert_non_null(strstr(mon_out, " [0 198.18.0.2:5000] \"SET\" \"k\" "
			       "\"a\\\"b\"\r\n"));
	assert_non_null(strstr(l2, " [2 198.18.0.2:5000] \"SELECT\" "
			       "\"2\"\r\n"));
	assert_null(strstr(mon_out, "CONFIG"));
	/* The monitor's own commands are not fed back to it. */
	size_t before = mon_len;
	struct kv_arg ping[1] = { { "PING", 4 } };
	kv_execute(st_shard, &mon, 1, ping);
	assert_int_equal(mon_len, before + 7);     /* +PONG only */
	/* Gone: nothing more is written to it. */
	kv_client_fini(&mon);
	before = mon_len;
	run("GET k");
	assert_int_equal(mon_len, before);
}

static void
test_client_kill(void **state)
{
	(void)state;
	/* Without the dataplane the only client is the caller. */
	rx("CLIENT KILL 198.18.9.4:5", "-ERR No such client\r\n");
	rx("CLIENT KILL id 0", "-ERR client-id should be greater than 0\r\n");
	rx("CLIENT KILL id x", "-ERR client-id should be greater than 0\r\n");
	rx("CLIENT KILL type nope", "-ERR Unknown client type 'nope'\r\n");
	rx("CLIENT KILL user nobody", "-ERR No such user 'nobody'\r\n");
	rx("CLIENT KILL skipme maybe", "-ERR syntax error\r\n");
	rx("CLIENT KILL id 5 id", "-ERR syntax error\r\n");
	rx("CLIENT KILL type master", ":0\r\n");
	/* SKIPME yes (the default) spares the caller, no does not. */
	rx("CLIENT KILL type normal", ":0\r\n");
	assert_false(st_client.flags & KV_CLIENT_CLOSE_AFTER_REPLY);
	rx("CLIENT KILL type normal skipme no", ":1\r\n");
	assert_true(st_client.flags & KV_CLIENT_CLOSE_AFTER_REPLY);
}

static void
test_info_merge(void **state)
{
	const char *a =
		"# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:5\r\n"
		"\r\n# Clients\r\nconnected_clients:2\r\nmaxclients:100\r\n"
		"\r\n# Stats\r\ntotal_commands_processed:10\r\n"
		"\r\n# Commandstats\r\ncmdstat_get:calls=2,usec=10,"
		"usec_per_call=5.00,rejected_calls=0,failed_calls=0\r\n"
		"\r\n# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\n"
		"\r\n# Workers\r\nworkers:2\r\nworker0_commands:7\r\n";
	const char *b =
		"# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:6\r\n"
		"\r\n# Clients\r\nconnected_clients:1\r\nmaxclients:100\r\n"
		"\r\n# Stats\r\ntotal_commands_processed:5\r\n"
		"\r\n# Commandstats\r\ncmdstat_get:calls=3,usec=50,"
		"usec_per_call=16.67,rejected_calls=1,failed_calls=0\r\n"
		"cmdstat_set:calls=1,usec=4,usec_per_call=4.00,"
		"rejected_calls=0,failed_calls=0\r\n"
		"\r\n# Keyspace\r\ndb0:keys=4,expires=0,avg_ttl=0\r\n"
		"db2:keys=1,expires=0,avg_ttl=0\r\n"
		"\r\n# Workers\r\nworkers:2\r\nworker1_commands:9\r\n";
	const char *texts[2] = { a, b };
	size_t lens[2] = { strlen(a), strlen(b) };
	char *out = NULL;
	(void)state;

	size_t n = kv_info_merge(texts, lens, 2, &out);
	assert_non_null(out);
	assert_int_equal(n, strlen(
		"# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:5\r\n"
		"\r\n# Clients\r\nconnected_clients:3\r\nmaxclients:100\r\n"
		"\r\n# Stats\r\ntotal_commands_processed:15\r\n"
		"\r\n# Commandstats\r\ncmdstat_get:calls=5,usec=60,"
		"usec_per_call=12.00,rejected_calls=1,failed_calls=0\r\n"
		"cmdstat_set:calls=1,usec=4,usec_per_call=4.00,"
		"rejected_calls=0,failed_calls=0\r\n"
		"\r\n# Keyspace\r\ndb0:keys=7,expires=1,avg_ttl=0\r\n"
		"db2:keys=1,expires=0,avg_ttl=0\r\n"
		"\r\n# Workers\r\nworkers:2\r\nworker0_commands:7\r\n"
		"worker1_commands:9\r\n"));
	assert_memory_equal(out,
		"# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:5\r\n"
		"\r\n# Clients\r\nconnected_clients:3\r\nmaxclients:100\r\n"
		"\r\n# Stats\r\ntotal_commands_processed:15\r\n"
		"\r\n# Commandstats\r\ncmdstat_get:calls=5,usec=60,"
		"usec_per_call=12.00,rejected_calls=1,failed_calls=0\r\n"
		"cmdstat_set:calls=1,usec=4,usec_per_call=4.00,"
		"rejected_calls=0,failed_calls=0\r\n"
		"\r\n# Keyspace\r\ndb0:keys=7,expires=1,avg_ttl=0\r\n"
		"db2:keys=1,expires=0,avg_ttl=0\r\n"
		"\r\n# Workers\r\nworkers:2\r\nworker0_commands:7\r\n"
		"worker1_commands:9\r\n", n);
	free(out);
}

/* Errors added up over the shards come out by name, as Redis lists them,
 * whichever shard saw one first. */
static void
test_info_merge_errorstats(void **state)
{
	const char *a = "# Errorstats\r\nerrorstat_WRONGTYPE:count=1\r\n";
	const char *b = "# Errorstats\r\nerrorstat_ERR:count=2\r\n"
			"errorstat_BUSYKEY:count=1\r\n"
			"errorstat_WRONGTYPE:count=2\r\n";
	const char *texts[2] = { a, b };
	size_t lens[2] = { strlen(a), strlen(b) };
	const char *want = "# Errorstats\r\nerrorstat_BUSYKEY:count=1\r\n"
			   "errorstat_ERR:count=2\r\n"
			   "errorstat_WRONGTYPE:count=3\r\n";
	char *out = NULL;
	(void)state;

	size_t n = kv_info_merge(texts, lens, 2, &out);
	assert_non_null(out);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
	free(out);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_ping_echo_quit),
	ST_TEST(test_select),
	ST_TEST(test_shutdown),
	ST_TEST(test_info_merge),
	ST_TEST(test_info_merge_errorstats),
	ST_TEST(test_client_kill),
	ST_TEST(test_monitor),
	ST_TEST(test_hello_auth),
	ST_TEST(test_client),
	ST_TEST(test_command),
	ST_TEST(test_config),
	ST_TEST(test_config_set_hook),
	ST_TEST(test_config_rewrite),
	ST_TEST(test_info_dbsize_time),
	ST_TEST(test_ops_per_sec),
};

RP_TEST_MAIN(tests, 1)
