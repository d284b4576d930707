/*
 * test_rdb.c -- store/rdb.c: CRC-64 against its definition and check
 * value, LZF, DUMP payloads byte for byte as redis-server 7.0 writes
 * them, RESTORE of redis-server's payloads (LZF-compressed string too)
 * and of hand-built older encodings (ziplist, quicklist, zipmap,
 * plain LIST and HASH), sets and sorted sets (a score -0 kept or made
 * 0 as Redis does), RESTORE's errors, round trips of large values,
 * whole files written and loaded back (expiries, databases, checksum,
 * unsupported types), SAVE and import, memory accounting, and replay of
 * RESTORE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#include "rdb.h"
#include "store_test.h"

/* runv -- execute a command with binary arguments. */
static void
runv(int argc, const struct kv_arg *argv)
{
	st_len = 0;
	kv_execute(st_shard, &st_client, argc, argv);
}

/* unhex -- decode a hex string into buf; returns the length. */
static size_t
unhex(const char *h, unsigned char *buf)
{
	size_t n = 0;

	for (; h[0] && h[1]; h += 2) {
		unsigned v;
		sscanf(h, "%2x", &v);
		buf[n++] = (unsigned char)v;
	}
	return n;
}

/* restore -- RESTORE key 0 <payload> [extra]; the reply is in st_out. */
static void
restore(const char *key, const void *p, size_t len, const char *extra)
{
	struct kv_arg a[5] = { { "RESTORE", 7 }, { key, strlen(key) },
			       { "0", 1 }, { p, len },
			       { extra, extra ? strlen(extra) : 0 } };

	runv(extra ? 5 : 4, a);
}

/* dump_of -- DUMP key into buf (payload without the bulk header). */
static size_t
dump_of(const char *key, unsigned char *buf)
{
	struct kv_arg a[2] = { { "DUMP", 4 }, { key, strlen(key) } };
	char *p;

	runv(2, a);
	assert_true(st_out[0] == '$');
	size_t n = strtoul(st_out + 1, &p, 10);
	memcpy(buf, p + 2, n);
	return n;
}

/* Payloads DUMP gave on redis-server 7.0.15. */
static const struct {
	const char *key, *setup, *hex;
} redis_dumps[] = {
	{ "s", "SET s hello", "000568656c6c6f0a006372df766534200a" },
	{ "i", "SET i 12345", "00c139300a009d94ea2793fc08b9" },
	{ "n", "SET n -7", "00c0f90a005e26d130d7a242ab" },
	{ "big", "SET big 123456789012",
	  "000c3132333435363738393031320a00911001b1d116e7ac" },
	{ "h", "HSET h f1 v1 f2 100",
	  "1015150000000400826631038276310382663203640"
	  "1ff0a00d6c981a26e1cdba6" },
};

/* The list above with "hello world" as one element (a space cannot be
 * given to run()). */
#define REDIS_LIST "120102212100000005008161020101ded402f27011010" \
	"48b68656c6c6f20776f726c640cff0a00916f5aae1bc9b5d7"
#define REDIS_LZF "00c3094064017878e057000178780a005db7f663bb08625f"

static void
test_crc64(void **state)
{
	(void)state;
	assert_true(kv_rdb_crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9caULL);
	/* Every byte against the bitwise definition (reflected Jones). */
	for (unsigned b = 0; b < 256; b++) {
		uint64_t c = b;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x95ac9329ac4bc9b5ULL : c >> 1;
		unsigned char x = (unsigned char)b;
		assert_true(kv_rdb_crc64(0, &x, 1) == c);
	}
	/* Incremental == at once. */
	assert_true(kv_rdb_crc64(kv_rdb_crc64(0, "1234", 4), "56789", 5) ==
		    0xe9c6d914c4b8d9caULL);
}

static void
test_lzf(void **state)
{
	unsigned char out[128];
	/* "xx" literal, then a back reference of 96 at distance 1, then a
	 * literal "xx" (from redis-server's DUMP of 100 x). */
	const unsigned char in[] = { 0x01, 'x', 'x', 0xe0, 0x57, 0x00, 0x01,
				     'x', 'x' };
	(void)state;
	assert_int_equal(kv_rdb_lzf_decompress(in, sizeof(in), out, 100), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(out[i], 'x');
	/* wrong output size, truncated input, reference before the start */
	assert_int_equal(kv_rdb_lzf_decompress(in, sizeof(in), out, 99),
			 -EINVAL);
	assert_int_equal(kv_rdb_lzf_decompress(in, 5, out, 100), -EINVAL);
	const unsigned char bad[] = { 0x00, 'a', 0x20, 0x05 };
	assert_int_equal(kv_rdb_lzf_decompress(bad, sizeof(bad), out, 4),
			 -EINVAL);
	const unsigned char trunc[] = { 0x05, 'a' };
	assert_int_equal(kv_rdb_lzf_decompress(trunc, 2, out, 6), -EINVAL);
}

static void
test_dump_like_redis(void **state)
{
	unsigned char want[256], got[256];
	(void)state;

	for (size_t i = 0; i < sizeof(redis_dumps) / sizeof(redis_dumps[0]);
	     i++) {
		run(redis_dumps[i].setup);
		size_t n = unhex(redis_dumps[i].hex, want);
		size_t m = dump_of(redis_dumps[i].key, got);
		assert_int_equal(m, n);
		assert_memory_equal(got, want, n);
	}
	struct kv_arg a[7] = { { "RPUSH", 5 }, { "l", 1 }, { "a", 1 },
			       { "1", 1 }, { "-300", 4 }, { "70000", 5 },
			       { "hello world", 11 } };
	runv(7, a);
	size_t n = unhex(REDIS_LIST, want);
	size_t m = dump_of("l", got);
	assert_int_equal(m, n);
	assert_memory_equal(got, want, n);
	rx("DUMP nosuchkey", "$-1\r\n");
}

static void
test_restore_redis_payloads(void **state)
{
	unsigned char p[256];
	size_t n;
	(void)state;

	n = unhex(REDIS_LIST, p);
	restore("l", p, n, NULL);
	expect("+OK\r\n");
	rx("LRANGE l 0 -1", "*5\r\n$1\r\na\r\n$1\r\n1\r\n$4\r\n-300\r\n"
	   "$5\r\n70000\r\n$11\r\nhello world\r\n");
	n = unhex(REDIS_LZF, p);
	restore("lz", p, n, NULL);
	expect("+OK\r\n");
	rx("STRLEN lz", ":100\r\n");
	rx("GETRANGE lz 95 -1", "$5\r\nxxxxx\r\n");
	for (size_t i = 0; i < sizeof(redis_dumps) / sizeof(redis_dumps[0]);
	     i++) {
		n = unhex(redis_dumps[i].hex, p);
		restore("x", p, n, "REPLACE");
		expect("+OK\r\n");
	}
	rx("HGETALL x", "*4\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n"
	   "$3\r\n100\r\n");
}

static void
test_restore_errors(void **state)
{
	unsigned char p[256];
	size_t n = unhex(redis_dumps[0].hex, p);
	(void)state;

	restore("s", p, n, NULL);
	expect("+OK\r\n");
	restore("s", p, n, NULL);
	expect("-BUSYKEY Target key name already exists.\r\n");
	restore("s", p, n, "REPLACE");
	expect("+OK\r\n");
	restore("s", p, n, "bogus");
	expect("-ERR syntax error\r\n");
	restore("t", p, n, "IDLETIME");
	expect("-ERR syntax error\r\n");
	p[3] ^= 1;   /* checksum */
	restore("t", p, n, NULL);
	expect("-ERR DUMP payload version or checksum are wrong\r\n");
	p[3] ^= 1;
	p[n - 10] = 11;   /* version 11 */
	restore("t", p, n, NULL);
	expect("-ERR DUMP payload version or checksum are wrong\r\n");
	restore("t", "abc", 3, NULL);
	expect("-ERR DUMP payload version or checksum are wrong\r\n");
	/* A good checksum over bad data: an unknown type, a short string. */
	unsigned char bad[32] = { 42, 0x03, 'a', 'b', 'c', 10, 0 };
	uint64_t crc = kv_rdb_crc64(0, bad, 7);
	for (int i = 0; i < 8; i++)
		bad[7 + i] = (unsigned char)(crc >> (8 * i));
	restore("t", bad, 15, NULL);
	expect("-ERR Bad data format\r\n");
	bad[0] = 0;
	bad[1] = 0x05;   /* 5 bytes announced, 3 given */
	crc = kv_rdb_crc64(0, bad, 7);
	for (int i = 0; i < 8; i++)
		bad[7 + i] = (unsigned char)(crc >> (8 * i));
	restore("t", bad, 15, NULL);
	expect("-ERR Bad data format\r\n");
	/* TTL and option values */
	struct kv_arg a[6] = { { "RESTORE", 7 }, { "t", 1 }, { "-1", 2 },
			       { (char *)p, n } };
	n = unhex(redis_dumps[0].hex, p);
	runv(4, a);
	expect("-ERR Invalid TTL value, must be >= 0\r\n");
	a[2] = (struct kv_arg){ "x", 1 };
	runv(4, a);
	expect("-ERR value is not an integer or out of range\r\n");
	a[2] = (struct kv_arg){ "0", 1 };
	a[4] = (struct kv_arg){ "IDLETIME", 8 };
	a[5] = (struct kv_arg){ "-1", 2 };
	runv(6, a);
	expect("-ERR Invalid IDLETIME value, must be >= 0\r\n");
	a[4] = (struct kv_arg){ "FREQ", 4 };
	a[5] = (struct kv_arg){ "256", 3 };
	runv(6, a);
	expect("-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n");
	a[5] = (struct kv_arg){ "x", 1 };
	runv(6, a);
	expect("-ERR value is not an integer or out of range\r\n");
	a[5] = (struct kv_arg){ "255", 3 };
	runv(6, a);
	expect("+OK\r\n");
	rx("GET t", "$5\r\nhello\r\n");
	rx("RESTORE t", "-ERR wrong number of arguments for 'restore' "
	   "command\r\n");
}

static void
test_restore_ttl(void **state)
{
	unsigned char p[256];
	size_t n = unhex(redis_dumps[0].hex, p);
	char ms[32];
	(void)state;

	struct kv_arg a[5] = { { "RESTORE", 7 }, { "k", 1 }, { "5000", 4 },
			       { (char *)p, n } };
	runv(4, a);
	expect("+OK\r\n");
	run("PTTL k");
	long long ttl = strtoll(st_out + 1, NULL, 10);
	assert_true(ttl > 4000 && ttl <= 5000);
	/* ABSTTL in the past: OK, nothing created, REPLACE deletes. */
	rx("SET old v", "+OK\r\n");
	a[1] = (struct kv_arg){ "old", 3 };
	a[2] = (struct kv_arg){ "1000", 4 };
	a[4] = (struct kv_arg){ "ABSTTL", 6 };
	struct kv_arg b[6] = { a[0], a[1], a[2], a[3], a[4],
			       { "REPLACE", 7 } };
	runv(6, b);
	expect("+OK\r\n");
	rx("EXISTS old", ":0\r\n");
	snprintf(ms, sizeof(ms), "%llu",
		 (unsigned long long)st_shard->now_ms + 100000);
	a[2] = (struct kv_arg){ ms, strlen(ms) };
	runv(5, a);
	expect("+OK\r\n");
	run("PTTL old");
	ttl = strtoll(st_out + 1, NULL, 10);
	assert_true(ttl > 90000 && ttl <= 100000);
	/* A relative TTL that wraps past LLONG_MAX: expired, as in Redis. */
	a[1] = (struct kv_arg){ "huge", 4 };
	a[2] = (struct kv_arg){ "9223372036854775807", 19 };
	runv(4, a);
	expect("+OK\r\n");
	rx("EXISTS huge", ":0\r\n");
}

/* Hand-built payloads of the encodings Redis no longer writes. */

/* payload -- type, the blob as an RDB string, version 10 and CRC. */
static size_t
payload(unsigned char *out, int type, const unsigned char *blob, size_t n)
{
	size_t len = 0;

	out[len++] = (unsigned char)type;
	if (type == KV_RDB_TYPE_LIST_QUICKLIST)
		out[len++] = 1;   /* one node */
	out[len++] = (unsigned char)n;   /* n < 64 */
	memcpy(out + len, blob, n);
	len += n;
	out[len++] = 10;
	out[len++] = 0;
	uint64_t crc = kv_rdb_crc64(0, out, len);
	for (int i = 0; i < 8; i++)
		out[len++] = (unsigned char)(crc >> (8 * i));
	return len;
}

/* A ziplist of "a", 5 (immediate), 1000 (int16), "xyz". */
static const unsigned char ziplist[] = {
	25, 0, 0, 0, 19, 0, 0, 0, 4, 0,
	0x00, 0x01, 'a',
	0x03, 0xF6,
	0x02, 0xC0, 0xE8, 0x03,
	0x04, 0x03, 'x', 'y', 'z',
	0xFF,
};

/* A zipmap of f -> "v1", ggg -> "" with 2 free bytes. */
static const unsigned char zipmap[] = {
	2, 1, 'f', 2, 0, 'v', '1', 3, 'g', 'g', 'g', 0, 2, 'x', 'x', 0xFF,
};

static void
test_restore_old_encodings(void **state)
{
	unsigned char p[128];
	size_t n;
	(void)state;

	n = payload(p, KV_RDB_TYPE_LIST_QUICKLIST, ziplist, sizeof(ziplist));
	restore("q", p, n, NULL);
	expect("+OK\r\n");
	rx("LRANGE q 0 -1", "*4\r\n$1\r\na\r\n$1\r\n5\r\n$4\r\n1000\r\n"
	   "$3\r\nxyz\r\n");
	n = payload(p, KV_RDB_TYPE_LIST_ZIPLIST, ziplist, sizeof(ziplist));
	restore("z", p, n, NULL);
	expect("+OK\r\n");
	rx("LLEN z", ":4\r\n");
	n = payload(p, KV_RDB_TYPE_HASH_ZIPLIST, ziplist, sizeof(ziplist));
	restore("hz", p, n, NULL);
	expect("+OK\r\n");
	rx("HGET hz a", "$1\r\n5\r\n");
	rx("HGET hz 1000", "$3\r\nxyz\r\n");
	n = payload(p, KV_RDB_TYPE_HASH_ZIPMAP, zipmap, sizeof(zipmap));
	restore("hm", p, n, NULL);
	expect("+OK\r\n");
	rx("HGETALL hm", "*4\r\n$1\r\nf\r\n$2\r\nv1\r\n$3\r\nggg\r\n$0\r\n"
	   "\r\n");
	/* Plain LIST and HASH: counts then strings. */
	const unsigned char list[] = { 2, 0x01, 'a', 0xC0, 0x07 };
	const unsigned char hash[] = { 1, 0x01, 'f', 0x01, 'v' };
	unsigned char q[64];
	q[0] = KV_RDB_TYPE_LIST;
	memcpy(q + 1, list, sizeof(list));
	n = 1 + sizeof(list);
	q[n++] = 10, q[n++] = 0;
	uint64_t crc = kv_rdb_crc64(0, q, n);
	for (int i = 0; i < 8; i++)
		q[n++] = (unsigned char)(crc >> (8 * i));
	restore("pl", q, n, NULL);
	expect("+OK\r\n");
	rx("LRANGE pl 0 -1", "*2\r\n$1\r\na\r\n$1\r\n7\r\n");
	q[0] = KV_RDB_TYPE_HASH;
	memcpy(q + 1, hash, sizeof(hash));
	n = 1 + sizeof(hash);
	q[n++] = 10, q[n++] = 0;
	crc = kv_rdb_crc64(0, q, n);
	for (int i = 0; i < 8; i++)
		q[n++] = (unsigned char)(crc >> (8 * i));
	restore("ph", q, n, NULL);
	expect("+OK\r\n");
	rx("HGET ph f", "$1\r\nv\r\n");
	/* A corrupt ziplist (count says 5) is bad data. */
	unsigned char zl[sizeof(ziplist)];
	memcpy(zl, ziplist, sizeof(zl));
	zl[8] = 5;
	n = payload(p, KV_RDB_TYPE_LIST_ZIPLIST, zl, sizeof(zl));
	restore("bad", p, n, NULL);
	expect("-ERR Bad data format\r\n");
	/* An empty listpack hash is an empty key: bad data for RESTORE. */
	const unsigned char empty_lp[] = { 7, 0, 0, 0, 0, 0, 0xFF };
	n = payload(p, KV_RDB_TYPE_HASH_LISTPACK, empty_lp, sizeof(empty_lp));
	restore("bad", p, n, NULL);
	expect("-ERR Bad data format\r\n");
	rx("EXISTS bad", ":0\r\n");
}

/* Round trips of values too large for one node or a listpack. */
static void
test_round_trip_large(void **state)
{
	static unsigned char p[1 << 20];
	char cmd[256];
	(void)state;

	for (int i = 0; i < 3000; i++) {
		snprintf(cmd, sizeof(cmd), "RPUSH l %d elem-%d-%0*d", i, i,
			 i % 50, 0);
		run(cmd);
	}
	for (int i = 0; i < 300; i++) {
		snprintf(cmd, sizeof(cmd), "HSET h field%d %d", i, i * 7);
		run(cmd);
	}
	uint64_t before = kv_used_memory(st_shard);
	size_t n = dump_of("l", p);
	restore("l2", p, n, NULL);
	expect("+OK\r\n");
	n = dump_of("h", p);
	assert_int_equal(p[0], KV_RDB_TYPE_HASH);
	restore("h2", p, n, NULL);
	expect("+OK\r\n");
	rx("LLEN l2", ":6000\r\n");
	for (int i = 0; i < 6000; i += 499) {
		char a[256], b[256];
		snprintf(cmd, sizeof(cmd), "LINDEX l %d", i);
		run(cmd);
		memcpy(a, st_out, st_len);
		size_t al = st_len;
		snprintf(cmd, sizeof(cmd), "LINDEX l2 %d", i);
		run(cmd);
		memcpy(b, st_out, st_len);
		assert_int_equal(al, st_len);
		assert_memory_equal(a, b, al);
	}
	rx("HLEN h2", ":300\r\n");
	rx("HGET h2 field299", "$4\r\n2093\r\n");
	/* A big string (LZF not written: stays raw). */
	static char big[70000];
	memset(big, 'q', sizeof(big));
	struct kv_arg a[3] = { { "SET", 3 }, { "bs", 2 },
			       { big, sizeof(big) } };
	runv(3, a);
	n = dump_of("bs", p);
	restore("bs2", p, n, NULL);
	expect("+OK\r\n");
	rx("STRLEN bs2", ":70000\r\n");
	rx("DEL l2 h2 bs2", ":3\r\n");
	/* Memory of the restored values given back exactly. */
	rx("DEL bs", ":1\r\n");
	assert_int_equal(kv_used_memory(st_shard), before);
}

/* A file written into memory. */
struct membuf {
	struct kv_rdb_buf b;
};

static int
mem_flush(void *ctx, const void *p, size_t len)
{
	struct kv_rdb_buf *b = ctx;

	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	return 0;
}

struct load_ctx {
	struct kv_shard *s;
	int keys;
};

static struct kv_shard *
one_shard(void *ctx, const char *key, size_t klen)
{
	(void)key, (void)klen;
	return ((struct load_ctx *)ctx)->s;
}

static int
install(void *ctx, struct kv_shard *s, unsigned db, const char *key,
	size_t klen, struct kv_entry *v, uint64_t expire_ms, char *err,
	size_t errlen)
{
	(void)ctx, (void)err, (void)errlen;
	struct kv_entry *e = kv_create(s, db, key, klen);
	assert_non_null(e);
	e->type = v->type;
	e->encoding = v->encoding;
	e->v = v->v;
	if (expire_ms)
		kv_set_expire(s, db, e, expire_ms);
	return 0;
}

static bool
save_key(struct kv_entry *e, void *ctx)
{
	assert_int_equal(kv_rdb_writer_key(ctx, e), 0);
	return true;
}

/* write_file -- the shard's keyspace as an RDB file in memory. */
static void
write_file(struct kv_rdb_buf *out)
{
	struct kv_rdb_writer w = { .flush = mem_flush, .ctx = out };

	assert_int_equal(kv_rdb_writer_begin(&w, 1700000000000ULL, 123), 0);
	for (unsigned db = 0; db < st_shard->n_db; db++) {
		uint32_t pos = 0;
		if (kv_dbsize(st_shard, db) == 0)
			continue;
		assert_int_equal(kv_rdb_writer_db(&w, db, kv_dbsize(st_shard,
				 db), kv_expires(st_shard, db)), 0);
		while (kv_iterate(st_shard, db, &pos, save_key, &w, 64))
			;
	}
	assert_int_equal(kv_rdb_writer_end(&w), 0);
	kv_rdb_writer_fini(&w);
}

static void
test_file(void **state)
{
	struct kv_rdb_buf f = { 0 };
	char err[512];
	(void)state;

	rx("SET s hello", "+OK\r\n");
	rx("SET n 42", "+OK\r\n");
	rx("RPUSH l a b c", ":3\r\n");
	rx("HSET h f v", ":1\r\n");
	rx("PEXPIRE s 100000", ":1\r\n");
	rx("SELECT 3", "+OK\r\n");
	rx("SET other 3", "+OK\r\n");
	write_file(&f);
	assert_memory_equal(f.p, "REDIS0010", 9);

	/* Load into a new shard and compare. */
	struct kv_shard *orig = st_shard;
	struct kv_shard_params sp = { .core = 1, .cfg = &st_cfg };
	struct kv_shard *s2 = kv_shard_create(&sp);
	assert_non_null(s2);
	struct load_ctx lc = { s2, 0 };
	struct kv_rdb_loader ld = { .shard = one_shard, .key = install,
				    .ctx = &lc, .n_db = 16,
				    .now_ms = kv_now_refresh(s2) };
	assert_int_equal(kv_rdb_load(f.p, f.len, &ld, err, sizeof(err)), 0);
	assert_int_equal(ld.keys, 5);
	st_shard = s2;
	st_client.db = 0;
	rx("GET s", "$5\r\nhello\r\n");
	rx("GET n", "$2\r\n42\r\n");
	rx("LRANGE l 0 -1", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
	rx("HGET h f", "$1\r\nv\r\n");
	run("PTTL s");
	assert_true(strtoll(st_out + 1, NULL, 10) > 90000);
	rx("PTTL l", ":-1\r\n");
	rx("SELECT 3", "+OK\r\n");
	rx("GET other", "$1\r\n3\r\n");
	st_shard = orig;
	kv_shard_free(s2);

	/* A flipped byte breaks the checksum; a zero checksum is accepted. */
	f.p[20] ^= 0x01;
	sp.cfg = &st_cfg;
	s2 = kv_shard_create(&sp);
	lc.s = s2;
	ld.keys = 0;
	int rc = kv_rdb_load(f.p, f.len, &ld, err, sizeof(err));
	assert_true(rc != 0);
	f.p[20] ^= 0x01;
	memset(f.p + f.len - 8, 0, 8);
	kv_shard_free(s2);
	s2 = kv_shard_create(&sp);
	lc.s = s2;
	assert_int_equal(kv_rdb_load(f.p, f.len, &ld, err, sizeof(err)), 0);
	kv_shard_free(s2);

	/* Fewer databases than the file uses. */
	s2 = kv_shard_create(&sp);
	lc.s = s2;
	ld.n_db = 2;
	assert_int_equal(kv_rdb_load(f.p, f.len, &ld, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "database 3"));
	kv_shard_free(s2);

	/* Truncated anywhere: an error, never a crash. */
	ld.n_db = 16;
	for (size_t cut = 0; cut < f.len; cut += 3) {
		s2 = kv_shard_create(&sp);
		lc.s = s2;
		assert_true(kv_rdb_load(f.p, cut, &ld, err, sizeof(err)) != 0);
		kv_shard_free(s2);
	}
	kv_rdb_buf_free(&f);
}

static void
test_file_unsupported(void **state)
{
	/* A set (type 2) named "myset": the error names both. */
	unsigned char f[64];
	size_t n = 0;
	char err[512];
	(void)state;

	memcpy(f, "REDIS0010", 9);
	n = 9;
	f[n++] = KV_RDB_OP_SELECTDB, f[n++] = 0;
	f[n++] = KV_RDB_TYPE_STREAM_LISTPACKS;
	f[n++] = 5;
	memcpy(f + n, "myset", 5);
	n += 5;
	f[n++] = 1, f[n++] = 1, f[n++] = 'a';
	f[n++] = KV_RDB_OP_EOF;
	memset(f + n, 0, 8);
	n += 8;
	struct load_ctx lc = { st_shard, 0 };
	struct kv_rdb_loader ld = { .shard = one_shard, .key = install,
				    .ctx = &lc, .n_db = 16 };
	assert_int_equal(kv_rdb_load(f, n, &ld, err, sizeof(err)), -ENOTSUP);
	assert_non_null(strstr(err, "myset"));
	assert_non_null(strstr(err, "type 15"));
	assert_int_equal(kv_rdb_load("REDIS0011", 9, &ld, err, sizeof(err)),
			 -ENOTSUP);
	assert_int_equal(kv_rdb_load("RODIS0010", 9, &ld, err, sizeof(err)),
			 -EBADMSG);
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static void
test_save_lastsave(void **state)
{
	char dir[64], cmd[128], err[256];
	(void)state;

	snprintf(dir, sizeof(dir), "/tmp/rptest-rdb-%d", (int)getpid());
	snprintf(st_cfg.dir, sizeof(st_cfg.dir), "%s/sub", dir);
	rx("RPUSH l x y", ":2\r\n");
	rx("SET k v", "+OK\r\n");
	run("LASTSAVE");
	assert_true(st_out[0] == ':');
	rx("SAVE", "+OK\r\n");
	run("LASTSAVE");
	char want[64];
	snprintf(want, sizeof(want), "rdb_last_save_time:%.*s\r\n",
		 (int)(st_len - 3), st_out + 1);
	run("INFO persistence");
	st_out[st_len] = '\0';
	assert_non_null(strstr(st_out, want));
	snprintf(cmd, sizeof(cmd), "%s/sub/dump.rdb", dir);
	/* Import it into two fresh shards split by slot. */
	struct kv_shard_params sp = { .core = 1, .cfg = &st_cfg,
				      .n_shards = 2 };
	struct kv_shard *sh[2];
	sh[0] = kv_shard_create(&sp);
	sp.core = 2;
	sh[1] = kv_shard_create(&sp);
	assert_non_null(sh[0]);
	assert_non_null(sh[1]);
	uint64_t keys;
	assert_int_equal(kv_rdb_import(sh, 2, cmd, &keys, err, sizeof(err)),
			 0);
	assert_int_equal(keys, 2);
	assert_int_equal(kv_dbsize(sh[kv_key_shard("l", 1, 2)], 0), 1);
	assert_int_equal(kv_dbsize(sh[kv_key_shard("k", 1, 2)], 0), 1);
	assert_int_equal(kv_dbsize(sh[0], 0) + kv_dbsize(sh[1], 0), 2);
	/* Not into a keyspace with keys. */
	assert_int_equal(kv_rdb_import(sh, 2, cmd, &keys, err, sizeof(err)),
			 -EEXIST);
	kv_shard_free(sh[0]);
	kv_shard_free(sh[1]);
	/* One of several shards snapshots only: the export is made where
	 * the shards' replies meet. */
	unlink(cmd);
	st_shard->n_shards = 2;
	rx("SAVE", "+OK\r\n");
	assert_int_equal(access(cmd, F_OK), -1);
	st_shard->n_shards = 1;
	snprintf(cmd, sizeof(cmd), "%s/sub", dir);
	rmdir(cmd);
	rmdir(dir);
	st_cfg_init();
}

static char path[64];

/* RESTORE replays from the log; an import is logged too. */
static void
test_replay(void **state)
{
	unsigned char p[256];
	char err[256];
	size_t n;
	(void)state;

	unlink(path);
	struct pm_log *log = pm_log_open(path, 8 << 20, 0, err, sizeof(err));
	assert_non_null(log);
	st_close();
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	n = unhex(REDIS_LIST, p);
	struct kv_arg a[4] = { { "RESTORE", 7 }, { "l", 1 }, { "100000", 6 },
			       { (char *)p, n } };
	runv(4, a);
	expect("+OK\r\n");
	n = unhex(redis_dumps[4].hex, p);
	restore("h", p, n, NULL);
	expect("+OK\r\n");
	rx("SET old v", "+OK\r\n");
	restore("old", p, n, "REPLACE");
	expect("+OK\r\n");
	kv_commit(st_shard);
	st_close();
	pm_log_close(log);

	log = pm_log_open(path, 8 << 20, 0, err, sizeof(err));
	assert_non_null(log);
	st_open(log);
	assert_int_equal(kv_recover(st_shard, false, err, sizeof(err)), 0);
	rx("LLEN l", ":5\r\n");
	run("PTTL l");
	long long ttl = strtoll(st_out + 1, NULL, 10);
	assert_true(ttl > 90000 && ttl <= 100000);
	rx("HGET h f2", "$3\r\n100\r\n");
	rx("HGET old f1", "$2\r\nv1\r\n");
	st_close();
	pm_log_close(log);
	unlink(path);
	st_open(NULL);
}

static int
replay_setup(void **state)
{
	setenv("PMEM_IS_PMEM_FORCE", "1", 1);
	snprintf(path, sizeof(path), "/dev/shm/rptest-rdb-%d", (int)getpid());
	return st_setup(state);
}

/* Sets and sorted sets: payloads DUMP gave on redis-server 7.0.15. */
static const struct {
	const char *key, *setup, *hex;
} redis_set_dumps[] = {
	{ "si", "SADD si 1 2 3 -5 1000",
	  "0b120200000005000000fbff010002000300e8030a00805c6555f45f05cf" },
	{ "si64", "SADD si64 1 1099511627776",
	  "0b18080000000200000001000000000000000000000000010000"
	  "0a003122f06df542c0b4" },
	{ "zs", "ZADD zs 1 a -2 b",
	  "1112120000000400816202dffe028161020101ff0a00045d49d6ac735459" },
	{ "zf", "ZADD zf 0.5 a",
	  "110f0f000000020081610283302e3504ff0a00fae36cfa66d3d4fa" },
};

/* A set of a, b, c in a dict; a listpack sorted set (LZF-compressed by
 * Redis) with scores 1, 2.5, -3, 1e300 and inf; a ZSET_2 whose 100-byte
 * member is LZF-compressed. */
#define REDIS_SET "02030163016101620a00d51bc2f0968e69c3"
#define REDIS_ZSET_LZF "11c3353e1f3e0000000a00816302dffd02816102010181" \
	"620283322e350481640297312e30e005000f31652b3330301881650283696e66" \
	"04ff0a0016b66931474b1bb0"
#define REDIS_ZSET2 "050201790000000000000040c3094064017878e05700017878" \
	"000000000000f03f0a00f19cd866895aeb8b"

/*
 * A score -0 through DUMP and RESTORE, payloads as redis-server 7.0.15
 * DUMPs them: a listpack of x "-0" (text: Redis keeps it) and y 1; a
 * ZSET_2 of x -0 and y -1, which a RESTORE makes a listpack of x 0 when
 * small (NEG0_Z2_LP) and keeps as it is when large; the listpack
 * restored as a skiplist (NEG0_LP_Z2).
 */
#define NEG0_LP "1113130000000400817802822d30038179020101ff0a00bec69fb1" \
	"dd906fb8"
#define NEG0_Z2 "0502017800000000000000800179000000000000f0bf0a007a005e" \
	"91c0c93330"
#define NEG0_Z2_LP "1112120000000400817902dfff028178020001ff0a002399dcab" \
	"ed8421a5"
#define NEG0_LP_Z2 "05020179000000000000f03f017800000000000000800a003cd5" \
	"b42f4392bb21"

/* restore_dumps -- RESTORE key of hex in, then its DUMP is hex out. */
static void
restore_dumps(const char *key, const char *in, const char *out)
{
	unsigned char p[128], want[128], got[128];
	size_t n = unhex(in, p), w = unhex(out, want);

	restore(key, p, n, NULL);
	expect("+OK\r\n");
	assert_int_equal(dump_of(key, got), w);
	assert_memory_equal(got, want, w);
}

/*
 * restore_both -- RESTORE key's DUMP as key-plain (its encoding then is
 * plain) and, with kv_set_restore_exact, as key-exact (a hashtable).
 */
static void
restore_both(const char *key, const char *plain)
{
	unsigned char p[256];
	char name[32];
	size_t n = dump_of(key, p);

	for (int ex = 0; ex < 2; ex++) {
		snprintf(name, sizeof(name), "%s-%s", key,
			 ex ? "exact" : "plain");
		kv_set_restore_exact(st_shard, ex == 1);
		restore(name, p, n, NULL);
		expect("+OK\r\n");
		kv_set_restore_exact(st_shard, false);
		char line[64];
		snprintf(line, sizeof(line), "OBJECT ENCODING %s", name);
		rx(line, ex ? "$9\r\nhashtable\r\n" : plain);
	}
}

/*
 * test_restore_exact -- with kv_set_restore_exact (a gathered copy or
 * put-back) a payload that names the large encoding keeps it however
 * small: a ZSET_2 stays a skiplist with its -0, a HASH and a SET stay
 * hashtables; without it RESTORE converts them as Redis does.
 */
static void
test_restore_exact(void **state)
{
	(void)state;
	kv_set_restore_exact(st_shard, true);
	restore_dumps("z2x", NEG0_Z2, NEG0_Z2);
	rx("OBJECT ENCODING z2x", "$8\r\nskiplist\r\n");
	rx("ZSCORE z2x x", "$2\r\n-0\r\n");
	kv_set_restore_exact(st_shard, false);

	/* HASH and SET payloads: made with the limits at 1. */
	st_cfg.hash_lp_entries = 1;
	st_cfg.set_max_intset_entries = 1;
	rx("HSET h a 1 b 2", ":2\r\n");
	rx("SADD s 1 2", ":2\r\n");
	rx("OBJECT ENCODING h", "$9\r\nhashtable\r\n");
	rx("OBJECT ENCODING s", "$9\r\nhashtable\r\n");
	st_cfg.hash_lp_entries = 128;
	st_cfg.set_max_intset_entries = 512;
	restore_both("h", "$8\r\nlistpack\r\n");
	rx("HGET h-exact b", "$1\r\n2\r\n");
	restore_both("s", "$6\r\nintset\r\n");
	rx("SISMEMBER s-exact 2", ":1\r\n");
}

static void
test_neg_zero(void **state)
{
	(void)state;
	restore_dumps("lp", NEG0_LP, NEG0_LP);
	rx("OBJECT ENCODING lp", "$8\r\nlistpack\r\n");
	rx("ZSCORE lp x", "$2\r\n-0\r\n");
	restore_dumps("z2", NEG0_Z2, NEG0_Z2_LP);
	rx("OBJECT ENCODING z2", "$8\r\nlistpack\r\n");
	rx("ZSCORE z2 x", "$1\r\n0\r\n");
	st_cfg.zset_lp_entries = 1;
	restore_dumps("z2s", NEG0_Z2, NEG0_Z2);
	rx("OBJECT ENCODING z2s", "$8\r\nskiplist\r\n");
	rx("ZSCORE z2s x", "$2\r\n-0\r\n");
	restore_dumps("lps", NEG0_LP, NEG0_LP_Z2);
	rx("OBJECT ENCODING lps", "$8\r\nskiplist\r\n");
	rx("ZSCORE lps x", "$2\r\n-0\r\n");

	/* A file: loaded as Redis loads it, with the limits of the time */
	struct kv_rdb_buf f = { 0 };
	char err[256];
	write_file(&f);
	struct kv_shard *orig = st_shard;
	struct kv_shard_params sp = { .core = 1, .cfg = &st_cfg };
	for (int entries = 1; entries <= 128; entries += 127) {
		st_cfg.zset_lp_entries = (unsigned long)entries;
		struct kv_shard *s2 = kv_shard_create(&sp);
		assert_non_null(s2);
		struct load_ctx lc = { s2, 0 };
		struct kv_rdb_loader ld = { .shard = one_shard, .key = install,
					    .ctx = &lc, .n_db = 16,
					    .now_ms = kv_now_refresh(s2) };
		assert_int_equal(kv_rdb_load(f.p, f.len, &ld, err,
					     sizeof(err)), 0);
		st_shard = s2;
		rx("ZSCORE lp x", "$2\r\n-0\r\n");
		rx("ZSCORE z2 x", "$1\r\n0\r\n");
		rx("ZSCORE lps x", entries == 1 ? "$2\r\n-0\r\n"
						: "$1\r\n0\r\n");
		rx("OBJECT ENCODING lps", entries == 1 ?
		   "$8\r\nskiplist\r\n" : "$8\r\nlistpack\r\n");
		st_shard = orig;
		kv_shard_free(s2);
	}
	kv_rdb_buf_free(&f);
	st_cfg.zset_lp_entries = 128;
	rx("DEL lp z2 z2s lps", ":4\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static void
test_sets_zsets(void **state)
{
	unsigned char want[256], got[256];
	static unsigned char p[1 << 16];
	char cmd[128];
	size_t n, m;
	(void)state;

	for (size_t i = 0; i < sizeof(redis_set_dumps) /
	     sizeof(redis_set_dumps[0]); i++) {
		run(redis_set_dumps[i].setup);
		n = unhex(redis_set_dumps[i].hex, want);
		m = dump_of(redis_set_dumps[i].key, got);
		assert_int_equal(m, n);
		assert_memory_equal(got, want, n);
		restore("copy", want, n, "REPLACE");
		expect("+OK\r\n");
	}
	rx("ZRANGE copy 0 -1 WITHSCORES", "*2\r\n$1\r\na\r\n$3\r\n0.5\r\n");
	n = unhex(REDIS_SET, p);
	restore("s", p, n, NULL);
	expect("+OK\r\n");
	rx("SCARD s", ":3\r\n");
	rx("SISMEMBER s b", ":1\r\n");
	n = unhex(REDIS_ZSET_LZF, p);
	restore("z", p, n, NULL);
	expect("+OK\r\n");
	rx("ZRANGE z 0 -1 WITHSCORES", "*10\r\n$1\r\nc\r\n$2\r\n-3\r\n"
	   "$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n"
	   "$1\r\nd\r\n$23\r\n1.0000000000000001e+300\r\n"
	   "$1\r\ne\r\n$3\r\ninf\r\n");
	n = unhex(REDIS_ZSET2, p);
	restore("z2", p, n, NULL);
	expect("+OK\r\n");
	rx("ZSCORE z2 y", "$1\r\n2\r\n");
	rx("ZCARD z2", ":2\r\n");
	/* Large: a set in a dict, a sorted set in a skiplist. */
	for (int i = 0; i < 600; i++) {
		snprintf(cmd, sizeof(cmd), "SADD bs m%d", i);
		run(cmd);
		snprintf(cmd, sizeof(cmd), "ZADD bz %d.25 member%d", i % 37, i);
		run(cmd);
	}
	n = dump_of("bs", p);
	assert_int_equal(p[0], KV_RDB_TYPE_SET);
	restore("bs2", p, n, NULL);
	expect("+OK\r\n");
	rx("SCARD bs2", ":600\r\n");
	rx("SISMEMBER bs2 m599", ":1\r\n");
	n = dump_of("bz", p);
	assert_int_equal(p[0], KV_RDB_TYPE_ZSET_2);
	restore("bz2", p, n, NULL);
	expect("+OK\r\n");
	run("ZRANGE bz 0 -1 WITHSCORES");
	static char a[1 << 16];
	size_t al = st_len;
	memcpy(a, st_out, st_len);
	run("ZRANGE bz2 0 -1 WITHSCORES");
	assert_int_equal(al, st_len);
	assert_memory_equal(a, st_out, al);
	/* A NaN score and a duplicate member are bad data. */
	unsigned char z[64] = { KV_RDB_TYPE_ZSET_2, 1, 1, 'a' };
	uint64_t nan_bits = 0x7ff8000000000000ULL, crc;
	for (int i = 0; i < 8; i++)
		z[4 + i] = (unsigned char)(nan_bits >> (8 * i));
	z[12] = 10, z[13] = 0;
	crc = kv_rdb_crc64(0, z, 14);
	for (int i = 0; i < 8; i++)
		z[14 + i] = (unsigned char)(crc >> (8 * i));
	restore("bad", z, 22, NULL);
	expect("-ERR Bad data format\r\n");
	const unsigned char dup[] = { KV_RDB_TYPE_SET, 2, 1, 'a', 1, 'a',
				      10, 0 };
	memcpy(z, dup, sizeof(dup));
	crc = kv_rdb_crc64(0, z, sizeof(dup));
	for (int i = 0; i < 8; i++)
		z[sizeof(dup) + i] = (unsigned char)(crc >> (8 * i));
	restore("bad", z, sizeof(dup) + 8, NULL);
	expect("-ERR Bad data format\r\n");
	rx("EXISTS bad", ":0\r\n");
	rx("DEL bs bs2 bz bz2 s z z2 copy si si64 zs zf", ":12\r\n");
	assert_int_equal(kv_used_memory(st_shard), 0);
}

static const struct CMUnitTest tests[] = {
	ST_TEST(test_sets_zsets),
	ST_TEST(test_neg_zero),
	ST_TEST(test_restore_exact),
	ST_TEST(test_crc64),
	ST_TEST(test_lzf),
	ST_TEST(test_dump_like_redis),
	ST_TEST(test_restore_redis_payloads),
	ST_TEST(test_restore_errors),
	ST_TEST(test_restore_ttl),
	ST_TEST(test_restore_old_encodings),
	ST_TEST(test_round_trip_large),
	ST_TEST(test_file),
	ST_TEST(test_file_unsupported),
	ST_TEST(test_save_lastsave),
	cmocka_unit_test_setup_teardown(test_replay, replay_setup,
					st_teardown),
};

RP_TEST_MAIN(tests, 1)
