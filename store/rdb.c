/*
 * rdb.c -- Redis 7.0's RDB format: values (DUMP, RESTORE) and files
 * (SAVE, import at start).
 *
 * The layout, as Redis's rdb.c, listpack.c and ziplist.c define it:
 *   length   00xxxxxx (6 bits) | 01xxxxxx xxxxxxxx (14 bits, big-endian)
 *            | 0x80 + 4 bytes BE | 0x81 + 8 bytes BE
 *            | 11xxxxxx: a special string encoding (INT8/16/32, LZF)
 *   string   length + bytes, or 0xC0/0xC1/0xC2 + a little-endian integer,
 *            or 0xC3 + compressed length + length + LZF data
 *   file     "REDIS0010", then opcodes (AUX, SELECTDB, RESIZEDB,
 *            EXPIRETIME_MS, ...) and [type][key][value] triples, EOF
 *            (0xFF) and the CRC-64 of everything before it, little-endian
 *   listpack total bytes (LE32), count (LE16), entries, 0xFF; an entry
 *            is an encoding byte, its data and its own length backwards
 *   ziplist  total bytes (LE32), tail offset (LE32), count (LE16),
 *            entries (previous entry's length, encoding, data), 0xFF
 *   intset   member width (LE32: 2, 4 or 8), count (LE32), members LE
 *
 * One encode and one decode function per value type (enc_*, dec_*): a
 * new type adds its pair and a case in each of the two switches.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "intset.h"
#include "kv_private.h"
#include "pm.h"
#include "rdb.h"

#define RDB_ENC_INT8 0
#define RDB_ENC_INT16 1
#define RDB_ENC_INT32 2
#define RDB_ENC_LZF 3
#define RDB_LEN_32BIT 0x80
#define RDB_LEN_64BIT 0x81
#define RDB_QUICKLIST_PLAIN 1
#define RDB_QUICKLIST_PACKED 2
#define RDB_LP_NODE_BYTES 8192      /* list-max-listpack-size -2 */
#define RDB_LZF_MAX_RATIO 88        /* a 3-byte back reference: 264 bytes */
#define RDB_FLUSH_BYTES (64 * 1024)
#define RDB_REDIS_VER "7.0.0"

/* CRC-64/Jones, reflected: table[i] is byte i run through the 8 steps
 * "shift right, xor 0x95ac9329ac4bc9b5 (the reversed polynomial) if the
 * bit that fell out was 1" (test_rdb.c rebuilds it that way). */
static const uint64_t crc64_table[256] = {
	0x0000000000000000ULL, 0x7ad870c830358979ULL,
	0xf5b0e190606b12f2ULL, 0x8f689158505e9b8bULL,
	0xc038e5739841b68fULL, 0xbae095bba8743ff6ULL,
	0x358804e3f82aa47dULL, 0x4f50742bc81f2d04ULL,
	0xab28ecb46814fe75ULL, 0xd1f09c7c5821770cULL,
	0x5e980d24087fec87ULL, 0x24407dec384a65feULL,
	0x6b1009c7f05548faULL, 0x11c8790fc060c183ULL,
	0x9ea0e857903e5a08ULL, 0xe478989fa00bd371ULL,
	0x7d08ff3b88be6f81ULL, 0x07d08ff3b88be6f8ULL,
	0x88b81eabe8d57d73ULL, 0xf2606e63d8e0f40aULL,
	0xbd301a4810ffd90eULL, 0xc7e86a8020ca5077ULL,
	0x4880fbd87094cbfcULL, 0x32588b1040a14285ULL,
	0xd620138fe0aa91f4ULL, 0xacf86347d09f188dULL,
	0x2390f21f80c18306ULL, 0x594882d7b0f40a7fULL,
	0x1618f6fc78eb277bULL, 0x6cc0863448deae02ULL,
	0xe3a8176c18803589ULL, 0x997067a428b5bcf0ULL,
	0xfa11fe77117cdf02ULL, 0x80c98ebf2149567bULL,
	0x0fa11fe77117cdf0ULL, 0x75796f2f41224489ULL,
	0x3a291b04893d698dULL, 0x40f16bccb908e0f4ULL,
	0xcf99fa94e9567b7fULL, 0xb5418a5cd963f206ULL,
	0x513912c379682177ULL, 0x2be1620b495da80eULL,
	0xa489f35319033385ULL, 0xde51839b2936bafcULL,
	0x9101f7b0e12997f8ULL, 0xebd98778d11c1e81ULL,
	0x64b116208142850aULL, 0x1e6966e8b1770c73ULL,
	0x8719014c99c2b083ULL, 0xfdc17184a9f739faULL,
	0x72a9e0dcf9a9a271ULL, 0x08719014c99c2b08ULL,
	0x4721e43f0183060cULL, 0x3df994f731b68f75ULL,
	0xb29105af61e814feULL, 0xc849756751dd9d87ULL,
	0x2c31edf8f1d64ef6ULL, 0x56e99d30c1e3c78fULL,
	0xd9810c6891bd5c04ULL, 0xa3597ca0a188d57dULL,
	0xec09088b6997f879ULL, 0x96d1784359a27100ULL,
	0x19b9e91b09fcea8bULL, 0x636199d339c963f2ULL,
	0xdf7adabd7a6e2d6fULL, 0xa5a2aa754a5ba416ULL,
	0x2aca3b2d1a053f9dULL, 0x50124be52a30b6e4ULL,
	0x1f423fcee22f9be0ULL, 0x659a4f06d21a1299ULL,
	0xeaf2de5e82448912ULL, 0x902aae96b271006bULL,
	0x74523609127ad31aULL, 0x0e8a46c1224f5a63ULL,
	0x81e2d7997211c1e8ULL, 0xfb3aa75142244891ULL,
	0xb46ad37a8a3b6595ULL, 0xceb2a3b2ba0eececULL,
	0x41da32eaea507767ULL, 0x3b024222da65fe1eULL,
	0xa2722586f2d042eeULL, 0xd8aa554ec2e5cb97ULL,
	0x57c2c41692bb501cULL, 0x2d1ab4dea28ed965ULL,
	0x624ac0f56a91f461ULL, 0x1892b03d5aa47d18ULL,
	0x97fa21650afae693ULL, 0xed2251ad3acf6feaULL,
	0x095ac9329ac4bc9bULL, 0x7382b9faaaf135e2ULL,
	0xfcea28a2faafae69ULL, 0x8632586aca9a2710ULL,
	0xc9622c4102850a14ULL, 0xb3ba5c8932b0836dULL,
	0x3cd2cdd162ee18e6ULL, 0x460abd1952db919fULL,
	0x256b24ca6b12f26dULL, 0x5fb354025b277b14ULL,
	0xd0dbc55a0b79e09fULL, 0xaa03b5923b4c69e6ULL,
	0xe553c1b9f35344e2ULL, 0x9f8bb171c366cd9bULL,
	0x10e3202993385610ULL, 0x6a3b50e1a30ddf69ULL,
	0x8e43c87e03060c18ULL, 0xf49bb8b633338561ULL,
	0x7bf329ee636d1eeaULL, 0x012b592653589793ULL,
	0x4e7b2d0d9b47ba97ULL, 0x34a35dc5ab7233eeULL,
	0xbbcbcc9dfb2ca865ULL, 0xc113bc55cb19211cULL,
	0x5863dbf1e3ac9decULL, 0x22bbab39d3991495ULL,
	0xadd33a6183c78f1eULL, 0xd70b4aa9b3f20667ULL,
	0x985b3e827bed2b63ULL, 0xe2834e4a4bd8a21aULL,
	0x6debdf121b863991ULL, 0x1733afda2bb3b0e8ULL,
	0xf34b37458bb86399ULL, 0x8993478dbb8deae0ULL,
	0x06fbd6d5ebd3716bULL, 0x7c23a61ddbe6f812ULL,
	0x3373d23613f9d516ULL, 0x49aba2fe23cc5c6fULL,
	0xc6c333a67392c7e4ULL, 0xbc1b436e43a74e9dULL,
	0x95ac9329ac4bc9b5ULL, 0xef74e3e19c7e40ccULL,
	0x601c72b9cc20db47ULL, 0x1ac40271fc15523eULL,
	0x5594765a340a7f3aULL, 0x2f4c0692043ff643ULL,
	0xa02497ca54616dc8ULL, 0xdafce7026454e4b1ULL,
	0x3e847f9dc45f37c0ULL, 0x445c0f55f46abeb9ULL,
	0xcb349e0da4342532ULL, 0xb1eceec59401ac4bULL,
	0xfebc9aee5c1e814fULL, 0x8464ea266c2b0836ULL,
	0x0b0c7b7e3c7593bdULL, 0x71d40bb60c401ac4ULL,
	0xe8a46c1224f5a634ULL, 0x927c1cda14c02f4dULL,
	0x1d148d82449eb4c6ULL, 0x67ccfd4a74ab3dbfULL,
	0x289c8961bcb410bbULL, 0x5244f9a98c8199c2ULL,
	0xdd2c68f1dcdf0249ULL, 0xa7f41839ecea8b30ULL,
	0x438c80a64ce15841ULL, 0x3954f06e7cd4d138ULL,
	0xb63c61362c8a4ab3ULL, 0xcce411fe1cbfc3caULL,
	0x83b465d5d4a0eeceULL, 0xf96c151de49567b7ULL,
	0x76048445b4cbfc3cULL, 0x0cdcf48d84fe7545ULL,
	0x6fbd6d5ebd3716b7ULL, 0x15651d968d029fceULL,
	0x9a0d8ccedd5c0445ULL, 0xe0d5fc06ed698d3cULL,
	0xaf85882d2576a038ULL, 0xd55df8e515432941ULL,
	0x5a3569bd451db2caULL, 0x20ed197575283bb3ULL,
	0xc49581ead523e8c2ULL, 0xbe4df122e51661bbULL,
	0x3125607ab548fa30ULL, 0x4bfd10b2857d7349ULL,
	0x04ad64994d625e4dULL, 0x7e7514517d57d734ULL,
	0xf11d85092d094cbfULL, 0x8bc5f5c11d3cc5c6ULL,
	0x12b5926535897936ULL, 0x686de2ad05bcf04fULL,
	0xe70573f555e26bc4ULL, 0x9ddd033d65d7e2bdULL,
	0xd28d7716adc8cfb9ULL, 0xa85507de9dfd46c0ULL,
	0x273d9686cda3dd4bULL, 0x5de5e64efd965432ULL,
	0xb99d7ed15d9d8743ULL, 0xc3450e196da80e3aULL,
	0x4c2d9f413df695b1ULL, 0x36f5ef890dc31cc8ULL,
	0x79a59ba2c5dc31ccULL, 0x037deb6af5e9b8b5ULL,
	0x8c157a32a5b7233eULL, 0xf6cd0afa9582aa47ULL,
	0x4ad64994d625e4daULL, 0x300e395ce6106da3ULL,
	0xbf66a804b64ef628ULL, 0xc5bed8cc867b7f51ULL,
	0x8aeeace74e645255ULL, 0xf036dc2f7e51db2cULL,
	0x7f5e4d772e0f40a7ULL, 0x05863dbf1e3ac9deULL,
	0xe1fea520be311aafULL, 0x9b26d5e88e0493d6ULL,
	0x144e44b0de5a085dULL, 0x6e963478ee6f8124ULL,
	0x21c640532670ac20ULL, 0x5b1e309b16452559ULL,
	0xd476a1c3461bbed2ULL, 0xaeaed10b762e37abULL,
	0x37deb6af5e9b8b5bULL, 0x4d06c6676eae0222ULL,
	0xc26e573f3ef099a9ULL, 0xb8b627f70ec510d0ULL,
	0xf7e653dcc6da3dd4ULL, 0x8d3e2314f6efb4adULL,
	0x0256b24ca6b12f26ULL, 0x788ec2849684a65fULL,
	0x9cf65a1b368f752eULL, 0xe62e2ad306bafc57ULL,
	0x6946bb8b56e467dcULL, 0x139ecb4366d1eea5ULL,
	0x5ccebf68aecec3a1ULL, 0x2616cfa09efb4ad8ULL,
	0xa97e5ef8cea5d153ULL, 0xd3a62e30fe90582aULL,
	0xb0c7b7e3c7593bd8ULL, 0xca1fc72bf76cb2a1ULL,
	0x45775673a732292aULL, 0x3faf26bb9707a053ULL,
	0x70ff52905f188d57ULL, 0x0a2722586f2d042eULL,
	0x854fb3003f739fa5ULL, 0xff97c3c80f4616dcULL,
	0x1bef5b57af4dc5adULL, 0x61372b9f9f784cd4ULL,
	0xee5fbac7cf26d75fULL, 0x9487ca0fff135e26ULL,
	0xdbd7be24370c7322ULL, 0xa10fceec0739fa5bULL,
	0x2e675fb4576761d0ULL, 0x54bf2f7c6752e8a9ULL,
	0xcdcf48d84fe75459ULL, 0xb71738107fd2dd20ULL,
	0x387fa9482f8c46abULL, 0x42a7d9801fb9cfd2ULL,
	0x0df7adabd7a6e2d6ULL, 0x772fdd63e7936bafULL,
	0xf8474c3bb7cdf024ULL, 0x829f3cf387f8795dULL,
	0x66e7a46c27f3aa2cULL, 0x1c3fd4a417c62355ULL,
	0x935745fc4798b8deULL, 0xe98f353477ad31a7ULL,
	0xa6df411fbfb21ca3ULL, 0xdc0731d78f8795daULL,
	0x536fa08fdfd90e51ULL, 0x29b7d047efec8728ULL,
};

uint64_t
kv_rdb_crc64(uint64_t crc, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		crc = crc64_table[(crc ^ b[i]) & 0xff] ^ (crc >> 8);
	return crc;
}

int
kv_rdb_lzf_decompress(const void *in, size_t inlen, void *out,
		      size_t outlen)
{
	const unsigned char *ip = in, *iend = ip + inlen;
	unsigned char *op = out, *oend = op + outlen;

	while (ip < iend) {
		unsigned ctrl = *ip++;
		if (ctrl < 32) {
			/* A literal run of ctrl + 1 bytes. */
			size_t n = ctrl + 1;
			if ((size_t)(iend - ip) < n || (size_t)(oend - op) < n)
				return -EINVAL;
			memcpy(op, ip, n);
			op += n;
			ip += n;
			continue;
		}
		/* A back reference: length (3 bits, 7 = more in a byte),
		 * distance - 1 (13 bits). */
		size_t n = ctrl >> 5;
		if (n == 7) {
			if (ip >= iend)
				return -EINVAL;
			n += *ip++;
		}
		if (ip >= iend)
			return -EINVAL;
		size_t dist = ((size_t)(ctrl & 0x1f) << 8) + *ip++ + 1;
		n += 2;
		if (dist > (size_t)(op - (unsigned char *)out) ||
		    (size_t)(oend - op) < n)
			return -EINVAL;
		const unsigned char *ref = op - dist;
		for (size_t i = 0; i < n; i++)   /* may overlap: byte by byte */
			*op++ = *ref++;
	}
	return op == oend ? 0 : -EINVAL;
}

/* Output. */

void
kv_rdb_buf_free(struct kv_rdb_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* buf_put -- append bytes; on failure the buffer is marked oom. */
static void
buf_put(struct kv_rdb_buf *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		unsigned char *q = realloc(b->p, cap);
		if (q == NULL) {
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	if (n != 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
buf_u8(struct kv_rdb_buf *b, unsigned v)
{
	unsigned char c = (unsigned char)v;

	buf_put(b, &c, 1);
}

/* buf_le -- an unsigned integer of n bytes, little-endian. */
static void
buf_le(struct kv_rdb_buf *b, uint64_t v, unsigned n)
{
	unsigned char t[8];

	for (unsigned i = 0; i < n; i++)
		t[i] = (unsigned char)(v >> (8 * i));
	buf_put(b, t, n);
}

/* put_len -- an RDB length. */
static void
put_len(struct kv_rdb_buf *b, uint64_t v)
{
	unsigned char t[9];

	if (v < 64) {
		buf_u8(b, (unsigned)v);
	} else if (v < 16384) {
		t[0] = (unsigned char)(0x40 | (v >> 8));
		t[1] = (unsigned char)v;
		buf_put(b, t, 2);
	} else {
		unsigned n = v <= UINT32_MAX ? 4 : 8;
		t[0] = n == 4 ? RDB_LEN_32BIT : RDB_LEN_64BIT;
		for (unsigned i = 0; i < n; i++)
			t[1 + i] = (unsigned char)(v >> (8 * (n - 1 - i)));
		buf_put(b, t, 1 + n);
	}
}

/*
 * put_string -- an RDB string: a canonical integer of at most 11
 * characters that fits 32 bits as INT8/16/32 (as Redis does), anything
 * else as its length and bytes.
 */
static void
put_string(struct kv_rdb_buf *b, const char *p, size_t len)
{
	long long v;

	if (len <= 11 && kv_str2ll(p, len, &v) && v >= INT32_MIN &&
	    v <= INT32_MAX) {
		if (v >= INT8_MIN && v <= INT8_MAX) {
			buf_u8(b, 0xC0 | RDB_ENC_INT8);
			buf_le(b, (uint64_t)v, 1);
		} else if (v >= INT16_MIN && v <= INT16_MAX) {
			buf_u8(b, 0xC0 | RDB_ENC_INT16);
			buf_le(b, (uint64_t)v, 2);
		} else {
			buf_u8(b, 0xC0 | RDB_ENC_INT32);
			buf_le(b, (uint64_t)v, 4);
		}
		return;
	}
	put_len(b, len);
	buf_put(b, p, len);
}

/* Listpacks (writing). */

/* lp_backlen_size -- bytes of the backwards length of an entry of l. */
static unsigned
lp_backlen_size(uint64_t l)
{
	return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 :
	       l < 268435455 ? 4 : 5;
}

/*
 * lp_entry -- the encoding and data of one element in t (at most 9
 * bytes: the header and an integer; a string's bytes follow it) and the
 * size of encoding + data. Canonical integers are stored as integers.
 */
static unsigned
lp_entry(const char *p, size_t len, unsigned char *t, uint64_t *size)
{
	long long v;

	if (len <= 20 && kv_str2ll(p, len, &v)) {
		unsigned n;
		if (v >= 0 && v <= 127) {
			t[0] = (unsigned char)v;
			n = 1;
		} else if (v >= -4096 && v <= 4095) {
			uint64_t u = (uint64_t)v & 0x1fff;
			t[0] = (unsigned char)(0xC0 | (u >> 8));
			t[1] = (unsigned char)u;
			n = 2;
		} else {
			unsigned w = v >= INT16_MIN && v <= INT16_MAX ? 2 :
				     v >= -(1 << 23) && v < (1 << 23) ? 3 :
				     v >= INT32_MIN && v <= INT32_MAX ? 4 : 8;
			t[0] = w == 2 ? 0xF1 : w == 3 ? 0xF2 : w == 4 ? 0xF3 :
			       0xF4;
			for (unsigned i = 0; i < w; i++)
				t[1 + i] = (unsigned char)((uint64_t)v >>
							   (8 * i));
			n = 1 + w;
		}
		*size = n;
		return n;
	}
	unsigned n;
	if (len < 64) {
		t[0] = (unsigned char)(0x80 | len);
		n = 1;
	} else if (len < 4096) {
		t[0] = (unsigned char)(0xE0 | (len >> 8));
		t[1] = (unsigned char)len;
		n = 2;
	} else {
		t[0] = 0xF0;
		for (unsigned i = 0; i < 4; i++)
			t[1 + i] = (unsigned char)(len >> (8 * i));
		n = 5;
	}
	*size = n + len;
	return n;
}

/* lp_entry_bytes -- the bytes an element takes in a listpack. */
static uint64_t
lp_entry_bytes(const char *p, size_t len)
{
	unsigned char t[9];
	uint64_t size;

	lp_entry(p, len, t, &size);
	return size + lp_backlen_size(size);
}

/* lp_begin -- start a listpack in an empty buffer: room for the header. */
static void
lp_begin(struct kv_rdb_buf *b)
{
	b->len = 0;
	buf_le(b, 0, 6);
}

/* lp_add -- append one element to the listpack in b. */
static void
lp_add(struct kv_rdb_buf *b, const char *p, size_t len)
{
	unsigned char t[9], bl[5];
	uint64_t size;
	unsigned n = lp_entry(p, len, t, &size);
	unsigned k = lp_backlen_size(size);

	buf_put(b, t, n);
	if (size > n)
		buf_put(b, p, len);
	/* Most significant 7 bits first; every byte after the first has
	 * its high bit set, so a backwards reader knows where it stops. */
	for (unsigned i = 0; i < k; i++) {
		bl[i] = (unsigned char)((size >> (7 * (k - 1 - i))) & 127);
		if (i != 0)
			bl[i] |= 128;
	}
	buf_put(b, bl, k);
}

/* lp_end -- terminate the listpack in b holding n elements. */
static void
lp_end(struct kv_rdb_buf *b, uint64_t n)
{
	buf_u8(b, 0xFF);
	if (b->oom)
		return;
	for (unsigned i = 0; i < 4; i++)
		b->p[i] = (unsigned char)(b->len >> (8 * i));
	uint16_t c = n < 65535 ? (uint16_t)n : 65535;
	b->p[4] = (unsigned char)c;
	b->p[5] = (unsigned char)(c >> 8);
}

/* Encoders, one per type: the payload after the type byte. */

/* enc_string -- a string: one RDB string. */
static void
enc_string(struct kv_rdb_buf *b, const struct kv_entry *e)
{
	char num[32];
	size_t len;
	const char *p = kv_str_get(e, num, &len);

	put_string(b, p, len);
}

/*
 * What enc_list_elem needs: the payload, the node being built, its
 * bytes and elements so far, and the nodes done (counted only, with no
 * payload).
 */
struct enc_list_ctx {
	struct kv_rdb_buf *b;
	struct kv_rdb_buf lp;
	uint64_t bytes, n, nodes;
};

/* enc_list_flush -- close the node being built (if any). */
static void
enc_list_flush(struct enc_list_ctx *x)
{
	if (x->n == 0)
		return;
	x->nodes++;
	if (x->b != NULL) {
		lp_end(&x->lp, x->n);
		if (x->lp.oom) {
			x->b->oom = true;
		} else {
			put_len(x->b, RDB_QUICKLIST_PACKED);
			put_string(x->b, (const char *)x->lp.p, x->lp.len);
		}
	}
	x->bytes = 7;   /* header and terminator */
	x->n = 0;
}

/* enc_list_elem -- kv_list_foreach callback: an element into a node of
 * at most 8 KB (a larger element alone). */
static void
enc_list_elem(void *ctx, const char *p, size_t len)
{
	struct enc_list_ctx *x = ctx;
	uint64_t add = lp_entry_bytes(p, len);

	if (x->n > 0 && x->bytes + add > RDB_LP_NODE_BYTES)
		enc_list_flush(x);
	if (x->n == 0 && x->b != NULL)
		lp_begin(&x->lp);
	x->bytes += add;
	x->n++;
	if (x->b != NULL)
		lp_add(&x->lp, p, len);
}

/*
 * enc_list -- QUICKLIST_2 as Redis 7.0 writes it: the node count, then
 * per node PACKED and a listpack of at most 8 KB (a larger element alone).
 */
static void
enc_list(struct kv_rdb_buf *b, const struct kv_entry *e)
{
	struct enc_list_ctx x = { .bytes = 7 };
	uint32_t n = kv_list_len(e);

	kv_list_foreach(e, 0, n, false, enc_list_elem, &x);
	enc_list_flush(&x);
	put_len(b, x.nodes);
	x = (struct enc_list_ctx){ .b = b, .bytes = 7 };
	kv_list_foreach(e, 0, n, false, enc_list_elem, &x);
	enc_list_flush(&x);
	kv_rdb_buf_free(&x.lp);
}

/* hash_lp_pair -- kv_hash_foreach callback: a pair into a listpack. */
static void
hash_lp_pair(void *ctx, const char *f, size_t flen, const char *v,
	     size_t vlen)
{
	lp_add(ctx, f, flen);
	lp_add(ctx, v, vlen);
}

/* hash_rdb_pair -- kv_hash_foreach callback: a pair as two strings. */
static void
hash_rdb_pair(void *ctx, const char *f, size_t flen, const char *v,
	      size_t vlen)
{
	put_string(ctx, f, flen);
	put_string(ctx, v, vlen);
}

/* enc_hash_listpack -- HASH_LISTPACK: one listpack of field, value... */
static void
enc_hash_listpack(struct kv_rdb_buf *b, const struct kv_entry *e)
{
	struct kv_rdb_buf lp = { 0 };

	lp_begin(&lp);
	kv_hash_foreach(e, hash_lp_pair, &lp);
	lp_end(&lp, kv_hash_len(e) * 2);
	if (lp.oom)
		b->oom = true;
	else
		put_string(b, (const char *)lp.p, lp.len);
	kv_rdb_buf_free(&lp);
}

/* enc_hash -- HASH: the pair count, then field and value strings. */
static void
enc_hash(struct kv_rdb_buf *b, const struct kv_entry *e)
{
	put_len(b, kv_hash_len(e));
	kv_hash_foreach(e, hash_rdb_pair, b);
}

/* enc_set_intset -- SET_INTSET: Redis's intset (width, count, members,
 * little-endian) as one string. */
static void
enc_set_intset(struct kv_rdb_buf *b, const struct kv_entry *e)
{
	struct kv_rdb_buf blob = { 0 };
	unsigned w = kv_intset_width(e->v.is);
	uint32_t n = kv_intset_len(e->v.is);

	buf_le(&blob, w, 4);
	buf_le(&blob, n, 4);
	for (uint32_t i = 0; i < n; i++)
		buf_le(&blob, (uint64_t)kv_intset_get(e->v.is, i), w);
	if (blob.oom)
		b->oom = true;
	else
		put_string(b, (const char *)blob.p, blob.len);
	kv_rdb_buf_free(&blob);
}

/* set_member -- kv_set_foreach callback: a member as a string. */
static void
set_member(void *ctx, const char *p, size_t len)
{
	put_string(ctx, p, len);
}

/* enc_set -- SET: the member count, then the members as strings. */
static void
enc_set(struct kv_rdb_buf *b, const struct kv_entry *e)
{
	put_len(b, kv_set_len(e));
	/* kv_set_foreach only reads the set. */
	kv_set_foreach((struct kv_entry *)(uintptr_t)e, set_member, b);
}

/* zset_lp_elem -- kv_zset_foreach callback: member, score to a listpack. */
static void
zset_lp_elem(void *ctx, const char *m, size_t len, double score)
{
	char num[64];
	int n = kv_zset_fmt_lp_score(num, sizeof(num), score);

	lp_add(ctx, m, len);
	lp_add(ctx, num, (size_t)n);
}

/* zset_rdb_elem -- kv_zset_foreach callback: member, binary double. */
static void
zset_rdb_elem(void *ctx, const char *m, size_t len, double score)
{
	uint64_t bits;

	memcpy(&bits, &score, sizeof(bits));
	put_string(ctx, m, len);
	buf_le(ctx, bits, 8);
}

/* enc_zset_listpack -- ZSET_LISTPACK: member, score... by rank. */
static void
enc_zset_listpack(struct kv_rdb_buf *b, const struct kv_entry *e)
{
	struct kv_rdb_buf lp = { 0 };

	lp_begin(&lp);
	kv_zset_foreach(e, false, zset_lp_elem, &lp);
	lp_end(&lp, kv_zset_len(e) * 2);
	if (lp.oom)
		b->oom = true;
	else
		put_string(b, (const char *)lp.p, lp.len);
	kv_rdb_buf_free(&lp);
}

/*
 * enc_zset -- ZSET_2: the count, then member and score (8 bytes) from
 * the highest rank down, as Redis writes them (its loader then inserts
 * each at the head of its skiplist).
 */
static void
enc_zset(struct kv_rdb_buf *b, const struct kv_entry *e)
{
	put_len(b, kv_zset_len(e));
	kv_zset_foreach(e, true, zset_rdb_elem, b);
}

/* rdb_type -- the RDB type a value is written as, or -1. */
static int
rdb_type(const struct kv_entry *e)
{
	switch (e->type) {
	case KV_TYPE_STRING:
		return KV_RDB_TYPE_STRING;
	case KV_TYPE_LIST:
		return KV_RDB_TYPE_LIST_QUICKLIST_2;
	case KV_TYPE_HASH:
		return e->encoding == KV_ENC_LISTPACK ?
		       KV_RDB_TYPE_HASH_LISTPACK : KV_RDB_TYPE_HASH;
	case KV_TYPE_SET:
		return e->encoding == KV_ENC_INTSET ?
		       KV_RDB_TYPE_SET_INTSET : KV_RDB_TYPE_SET;
	case KV_TYPE_ZSET:
		return e->encoding == KV_ENC_LISTPACK ?
		       KV_RDB_TYPE_ZSET_LISTPACK : KV_RDB_TYPE_ZSET_2;
	}
	return -1;
}

/* enc_payload -- the value of e as type (rdb_type's) is written. */
static void
enc_payload(struct kv_rdb_buf *b, const struct kv_entry *e, int type)
{
	switch (type) {
	case KV_RDB_TYPE_STRING:
		enc_string(b, e);
		break;
	case KV_RDB_TYPE_LIST_QUICKLIST_2:
		enc_list(b, e);
		break;
	case KV_RDB_TYPE_HASH_LISTPACK:
		enc_hash_listpack(b, e);
		break;
	case KV_RDB_TYPE_HASH:
		enc_hash(b, e);
		break;
	case KV_RDB_TYPE_SET_INTSET:
		enc_set_intset(b, e);
		break;
	case KV_RDB_TYPE_SET:
		enc_set(b, e);
		break;
	case KV_RDB_TYPE_ZSET_LISTPACK:
		enc_zset_listpack(b, e);
		break;
	case KV_RDB_TYPE_ZSET_2:
		enc_zset(b, e);
		break;
	}
}

int
kv_rdb_encode_value(struct kv_rdb_buf *b, const struct kv_entry *e)
{
	int type = rdb_type(e);

	if (type < 0)
		return -ENOTSUP;
	buf_u8(b, (unsigned)type);
	enc_payload(b, e, type);
	return b->oom ? -ENOMEM : 0;
}

int
kv_rdb_dump(struct kv_rdb_buf *b, const struct kv_entry *e)
{
	size_t start = b->len;
	int rc = kv_rdb_encode_value(b, e);

	if (rc != 0)
		return rc;
	buf_le(b, KV_RDB_VERSION, 2);
	if (b->oom)
		return -ENOMEM;
	buf_le(b, kv_rdb_crc64(0, b->p + start, b->len - start), 8);
	return b->oom ? -ENOMEM : 0;
}

/* Input. */

/* A bounded reader of untrusted bytes; errors go to err. */
struct rd {
	const unsigned char *p;
	size_t len, pos;
	char *err;
	size_t errlen;
};

/* rd_fail -- write a reason and return rc. */
static int __attribute__((format(printf, 3, 4)))
rd_fail(struct rd *r, int rc, const char *fmt, ...)
{
	va_list ap;

	if (r->errlen != 0) {
		va_start(ap, fmt);
		vsnprintf(r->err, r->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* rd_bytes -- the next n bytes, or -EBADMSG past the end. */
static int
rd_bytes(struct rd *r, size_t n, const unsigned char **p)
{
	*p = r->p + r->pos;
	if (r->len - r->pos < n)
		return rd_fail(r, -EBADMSG, "unexpected end of data at "
			       "offset %zu", r->pos);
	*p = r->p + r->pos;
	r->pos += n;
	return 0;
}

/* get_le -- an unsigned little-endian integer of n bytes. */
static uint64_t
get_le(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* get_sle -- a signed little-endian integer of n bytes. */
static int64_t
get_sle(const unsigned char *p, unsigned n)
{
	uint64_t v = get_le(p, n);

	if (n < 8 && (v >> (8 * n - 1)) & 1)
		v |= ~0ULL << (8 * n);
	return (int64_t)v;
}

static int
rd_le(struct rd *r, unsigned n, uint64_t *v)
{
	const unsigned char *p;
	int rc = rd_bytes(r, n, &p);

	if (rc == 0)
		*v = get_le(p, n);
	return rc;
}

/* rd_len -- an RDB length; *special: the 6 bits of a string encoding. */
static int
rd_len_or_enc(struct rd *r, uint64_t *v, int *special)
{
	const unsigned char *p;
	int rc;

	*special = -1;
	*v = 0;
	if ((rc = rd_bytes(r, 1, &p)) != 0)
		return rc;
	switch (p[0] >> 6) {
	case 0:
		*v = p[0] & 0x3f;
		return 0;
	case 1:
		if ((rc = rd_bytes(r, 1, &p)) != 0)
			return rc;
		*v = ((uint64_t)(p[-1] & 0x3f) << 8) | p[0];
		return 0;
	case 3:
		*special = p[0] & 0x3f;
		*v = 0;
		return 0;
	}
	if (p[0] != RDB_LEN_32BIT && p[0] != RDB_LEN_64BIT)
		return rd_fail(r, -EBADMSG, "bad length byte 0x%02x at offset "
			       "%zu", p[0], r->pos - 1);
	unsigned n = p[0] == RDB_LEN_32BIT ? 4 : 8;
	if ((rc = rd_bytes(r, n, &p)) != 0)
		return rc;
	*v = 0;
	for (unsigned i = 0; i < n; i++)
		*v = (*v << 8) | p[i];
	return 0;
}

/* rd_len -- a plain RDB length (no string encoding allowed). */
static int
rd_len(struct rd *r, uint64_t *v)
{
	int special, rc = rd_len_or_enc(r, v, &special);

	if (rc == 0 && special >= 0)
		return rd_fail(r, -EBADMSG, "string encoding where a length "
			       "was expected at offset %zu", r->pos - 1);
	return rc;
}

/* A decoded string: bytes in the input, in num, or in heap. */
struct rstr {
	const char *p;
	size_t len;
	char *heap;
	char num[24];
};

static void
rstr_free(struct rstr *s)
{
	free(s->heap);
	s->heap = NULL;
}

/* rd_string -- an RDB string in any of its encodings. */
static int
rd_string(struct rd *r, struct rstr *s)
{
	const unsigned char *p;
	uint64_t len, clen;
	int special, rc;

	s->heap = NULL;
	if ((rc = rd_len_or_enc(r, &len, &special)) != 0)
		return rc;
	if (special < 0) {
		if ((rc = rd_bytes(r, len, &p)) != 0)
			return rc;
		s->p = (const char *)p;
		s->len = len;
		return 0;
	}
	if (special <= RDB_ENC_INT32) {
		unsigned n = 1u << special;
		if ((rc = rd_bytes(r, n, &p)) != 0)
			return rc;
		s->len = (size_t)kv_ll2str(s->num, sizeof(s->num),
					   get_sle(p, n));
		s->p = s->num;
		return 0;
	}
	if (special != RDB_ENC_LZF)
		return rd_fail(r, -EBADMSG, "unknown string encoding %d at "
			       "offset %zu", special, r->pos - 1);
	if ((rc = rd_len(r, &clen)) != 0 || (rc = rd_len(r, &len)) != 0)
		return rc;
	if ((rc = rd_bytes(r, clen, &p)) != 0)
		return rc;
	if (len == 0 || clen == 0 || len / RDB_LZF_MAX_RATIO > clen)
		return rd_fail(r, -EBADMSG, "bad LZF lengths (%llu from %llu "
			       "bytes)", (unsigned long long)len,
			       (unsigned long long)clen);
	if ((s->heap = malloc(len)) == NULL)
		return rd_fail(r, -ENOMEM, "out of memory");
	if (kv_rdb_lzf_decompress(p, clen, s->heap, len) != 0) {
		rstr_free(s);
		return rd_fail(r, -EBADMSG, "corrupt LZF data");
	}
	s->p = s->heap;
	s->len = len;
	return 0;
}

/* Elements of the packed encodings, visited in order. */
typedef int (*elem_fn)(void *ctx, const char *p, size_t len);

/*
 * An element that is an integer is formatted in one of two buffers,
 * alternately, so that the previous element stays valid while the next
 * one is visited (a hash's field while its value is added).
 */
struct walk {
	struct rd *r;
	elem_fn fn;
	void *ctx;
	char num[2][24];
	uint64_t n;
};

/* walk_int -- visit an integer element. */
static int
walk_int(struct walk *w, long long v)
{
	char *b = w->num[w->n & 1];
	int len = kv_ll2str(b, sizeof(w->num[0]), v);

	return w->fn(w->ctx, b, (size_t)len);
}

/* lp_walk -- check a listpack and visit its elements. */
static int
lp_walk(struct walk *w, const unsigned char *lp, size_t len)
{
	struct rd *r = w->r;

	if (len < 7 || get_le(lp, 4) != len || lp[len - 1] != 0xFF)
		return rd_fail(r, -EBADMSG, "bad listpack header");
	size_t pos = 6, end = len - 1;
	while (pos < end) {
		const unsigned char *e = lp + pos;
		size_t left = end - pos, hdr, slen = 0;
		bool is_int = false;
		long long v = 0;
		unsigned b = e[0];

		if ((b & 0x80) == 0) {
			is_int = true, v = b, hdr = 1;
		} else if ((b & 0xC0) == 0x80) {
			slen = b & 0x3f, hdr = 1;
		} else if ((b & 0xE0) == 0xC0) {
			if (left < 2)
				goto bad;
			uint64_t u = ((uint64_t)(b & 0x1f) << 8) | e[1];
			is_int = true, hdr = 2;
			v = u >= 4096 ? (long long)u - 8192 : (long long)u;
		} else if ((b & 0xF0) == 0xE0) {
			if (left < 2)
				goto bad;
			slen = ((size_t)(b & 0x0f) << 8) | e[1], hdr = 2;
		} else if (b == 0xF0) {
			if (left < 5)
				goto bad;
			slen = get_le(e + 1, 4), hdr = 5;
		} else if (b >= 0xF1 && b <= 0xF4) {
			unsigned n = b == 0xF1 ? 2 : b == 0xF2 ? 3 :
				     b == 0xF3 ? 4 : 8;
			if (left < 1 + n)
				goto bad;
			is_int = true, hdr = 1 + n;
			v = get_sle(e + 1, n);
		} else {
			goto bad;
		}
		if (left - hdr < slen)
			goto bad;
		uint64_t size = hdr + slen;
		unsigned k = lp_backlen_size(size);
		if (left - size < k)
			goto bad;
		/* The backwards length must say size. */
		uint64_t back = 0;
		for (unsigned i = 0; i < k; i++) {
			unsigned c = e[size + i];
			if ((i != 0) != ((c & 128) != 0))
				goto bad;
			back = (back << 7) | (c & 127);
		}
		if (back != size)
			goto bad;
		int rc = is_int ? walk_int(w, v) :
			 w->fn(w->ctx, (const char *)e + hdr, slen);
		if (rc != 0)
			return rc;
		w->n++;
		pos += size + k;
	}
	uint64_t count = get_le(lp + 4, 2);
	if (count != 65535 && count != w->n)
		return rd_fail(r, -EBADMSG, "listpack count %llu, %llu "
			       "elements", (unsigned long long)count,
			       (unsigned long long)w->n);
	return 0;
bad:
	return rd_fail(r, -EBADMSG, "corrupt listpack entry at offset %zu",
		       pos);
}

/* zl_walk -- check a ziplist and visit its elements. */
static int
zl_walk(struct walk *w, const unsigned char *zl, size_t len)
{
	struct rd *r = w->r;

	if (len < 11 || get_le(zl, 4) != len || get_le(zl + 4, 4) >= len ||
	    zl[len - 1] != 0xFF)
		return rd_fail(r, -EBADMSG, "bad ziplist header");
	size_t pos = 10, end = len - 1;
	while (pos < end) {
		const unsigned char *e = zl + pos;
		size_t left = end - pos, hdr, slen = 0;
		bool is_int = false;
		long long v = 0;

		/* previous entry length: 1 byte, or 0xFE + 4 bytes */
		size_t pl = e[0] < 254 ? 1 : 5;
		if (e[0] == 255 || left < pl + 1)
			goto bad;
		e += pl, left -= pl;
		unsigned b = e[0];
		switch (b >> 6) {
		case 0:
			slen = b & 0x3f, hdr = 1;
			break;
		case 1:
			if (left < 2)
				goto bad;
			slen = ((size_t)(b & 0x3f) << 8) | e[1], hdr = 2;
			break;
		case 2:
			if (b != 0x80 || left < 5)
				goto bad;
			slen = ((size_t)e[1] << 24) | ((size_t)e[2] << 16) |
			       ((size_t)e[3] << 8) | e[4];
			hdr = 5;
			break;
		default: {
			unsigned n = b == 0xC0 ? 2 : b == 0xD0 ? 4 :
				     b == 0xE0 ? 8 : b == 0xF0 ? 3 :
				     b == 0xFE ? 1 : 0;
			is_int = true;
			if (n == 0) {
				/* 1111xxxx: an immediate 0..12 */
				if (b < 0xF1 || b > 0xFD)
					goto bad;
				v = (long long)(b & 0x0f) - 1;
				hdr = 1;
			} else {
				if (left < 1 + n)
					goto bad;
				v = get_sle(e + 1, n);
				hdr = 1 + n;
			}
		}
		}
		if (left - hdr < slen)
			goto bad;
		int rc = is_int ? walk_int(w, v) :
			 w->fn(w->ctx, (const char *)e + hdr, slen);
		if (rc != 0)
			return rc;
		w->n++;
		pos += pl + hdr + slen;
	}
	uint64_t count = get_le(zl + 8, 2);
	if (count != 65535 && count != w->n)
		return rd_fail(r, -EBADMSG, "ziplist count mismatch");
	return 0;
bad:
	return rd_fail(r, -EBADMSG, "corrupt ziplist entry at offset %zu",
		       pos);
}

/* zm_len -- a zipmap length at *pos: 1 byte, or 254 + 4 bytes. */
static bool
zm_len(const unsigned char *zm, size_t end, size_t *pos, size_t *v)
{
	if (*pos >= end || zm[*pos] == 255)
		return false;
	if (zm[*pos] < 254) {
		*v = zm[(*pos)++];
		return true;
	}
	if (end - *pos < 5)
		return false;
	*v = get_le(zm + *pos + 1, 4);
	*pos += 5;
	return true;
}

/* zm_walk -- check a zipmap (Redis < 2.6 hashes) and visit key, value... */
static int
zm_walk(struct walk *w, const unsigned char *zm, size_t len)
{
	size_t pos = 1, end = len - 1, klen, vlen;
	int rc;

	if (len < 2 || zm[len - 1] != 0xFF)
		return rd_fail(w->r, -EBADMSG, "bad zipmap");
	while (pos < end) {
		if (!zm_len(zm, end, &pos, &klen) || end - pos < klen)
			goto bad;
		const char *k = (const char *)zm + pos;
		pos += klen;
		if (!zm_len(zm, end, &pos, &vlen) || pos >= end)
			goto bad;
		size_t free_bytes = zm[pos++];
		if (end - pos < vlen || end - pos - vlen < free_bytes)
			goto bad;
		if ((rc = w->fn(w->ctx, k, klen)) != 0)
			return rc;
		w->n++;
		if ((rc = w->fn(w->ctx, (const char *)zm + pos, vlen)) != 0)
			return rc;
		w->n++;
		pos += vlen + free_bytes;
	}
	return 0;
bad:
	return rd_fail(w->r, -EBADMSG, "corrupt zipmap at offset %zu", pos);
}

/* Decoders, one per type. */

/* What a decoder works with: the shard that owns the value, the input. */
struct dec {
	struct kv_shard *s;
	struct rd *r;
	struct kv_entry *v;
	/* a hash being filled from packed elements */
	const char *field;
	size_t flen;
};

/*
 * exact -- with kv_set_restore_exact, a value whose payload names the
 * large encoding (ZSET_2, HASH, SET) keeps it however small it is.
 */
static int
exact(struct dec *d, int (*to_large)(struct kv_shard *, struct kv_entry *))
{
	if (!d->s->restore_exact || to_large(d->s, d->v) == 0)
		return 0;
	return rd_fail(d->r, -ENOMEM, "out of memory");
}

/* dec_string -- STRING. */
static int
dec_string(struct dec *d)
{
	struct rstr x;
	int rc = rd_string(d->r, &x);

	if (rc != 0)
		return rc;
	rc = kv_str_set(d->s, d->v, x.p, x.len);
	rstr_free(&x);
	return rc == 0 ? 0 : rd_fail(d->r, -ENOMEM, "out of memory");
}

/* list_elem_add -- an element at the tail of the list being decoded. */
static int
list_elem_add(void *ctx, const char *p, size_t len)
{
	struct dec *d = ctx;

	if (kv_list_append(d->s, d->v, p, len) != 0)
		return rd_fail(d->r, -ENOMEM, "out of memory");
	return 0;
}

/* rd_blob -- a string holding a packed encoding, walked by fn. */
static int
rd_blob(struct dec *d, int (*walk)(struct walk *, const unsigned char *,
				   size_t), elem_fn fn, uint64_t *n)
{
	struct walk w = { .r = d->r, .fn = fn, .ctx = d };
	struct rstr x;
	int rc = rd_string(d->r, &x);

	if (rc != 0)
		return rc;
	rc = walk(&w, (const unsigned char *)x.p, x.len);
	rstr_free(&x);
	if (n != NULL)
		*n = w.n;
	return rc;
}

/* dec_list -- LIST: a count, then the elements as strings. */
static int
dec_list(struct dec *d)
{
	uint64_t n;
	int rc;

	kv_list_init(d->v);
	if ((rc = rd_len(d->r, &n)) != 0)
		return rc;
	for (uint64_t i = 0; i < n; i++) {
		struct rstr x;
		if ((rc = rd_string(d->r, &x)) != 0)
			return rc;
		rc = list_elem_add(d, x.p, x.len);
		rstr_free(&x);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* dec_list_ziplist -- LIST_ZIPLIST: one ziplist. */
static int
dec_list_ziplist(struct dec *d)
{
	kv_list_init(d->v);
	return rd_blob(d, zl_walk, list_elem_add, NULL);
}

/* dec_list_quicklist -- QUICKLIST (ziplist nodes) and QUICKLIST_2. */
static int
dec_list_quicklist(struct dec *d, bool v2)
{
	uint64_t nodes, container = RDB_QUICKLIST_PACKED;
	int rc;

	kv_list_init(d->v);
	if ((rc = rd_len(d->r, &nodes)) != 0)
		return rc;
	for (uint64_t i = 0; i < nodes; i++) {
		if (v2 && (rc = rd_len(d->r, &container)) != 0)
			return rc;
		if (container == RDB_QUICKLIST_PLAIN) {
			struct rstr x;
			if ((rc = rd_string(d->r, &x)) != 0)
				return rc;
			rc = list_elem_add(d, x.p, x.len);
			rstr_free(&x);
		} else if (container == RDB_QUICKLIST_PACKED) {
			rc = rd_blob(d, v2 ? lp_walk : zl_walk, list_elem_add,
				     NULL);
		} else {
			rc = rd_fail(d->r, -EBADMSG, "bad quicklist container "
				     "%llu", (unsigned long long)container);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* hash_add -- a field and its value into the hash being decoded. */
static int
hash_add(struct dec *d, const char *f, size_t flen, const char *v,
	 size_t vlen)
{
	int rc = kv_hash_set(d->s, d->v, f, flen, v, vlen);

	if (rc < 0)
		return rd_fail(d->r, -ENOMEM, "out of memory");
	if (rc == 0)
		return rd_fail(d->r, -EBADMSG, "duplicate hash field");
	return 0;
}

/* hash_elem_add -- packed elements alternate field, value. */
static int
hash_elem_add(void *ctx, const char *p, size_t len)
{
	struct dec *d = ctx;

	if (d->field == NULL) {
		d->field = p;
		d->flen = len;
		return 0;
	}
	int rc = hash_add(d, d->field, d->flen, p, len);
	d->field = NULL;
	return rc;
}

/* dec_hash_packed -- HASH_ZIPLIST, HASH_LISTPACK, HASH_ZIPMAP. */
static int
dec_hash_packed(struct dec *d, int (*walk)(struct walk *,
					   const unsigned char *, size_t))
{
	uint64_t n;
	int rc;

	kv_hash_init(d->v);
	d->field = NULL;
	if ((rc = rd_blob(d, walk, hash_elem_add, &n)) != 0)
		return rc;
	if (n % 2 != 0)
		return rd_fail(d->r, -EBADMSG, "odd number of hash elements");
	return 0;
}

/* dec_hash -- HASH: a count, then field and value strings. */
static int
dec_hash(struct dec *d)
{
	uint64_t n;
	int rc;

	kv_hash_init(d->v);
	if ((rc = rd_len(d->r, &n)) != 0)
		return rc;
	for (uint64_t i = 0; i < n; i++) {
		struct rstr f, v;
		if ((rc = rd_string(d->r, &f)) != 0)
			return rc;
		if ((rc = rd_string(d->r, &v)) != 0) {
			rstr_free(&f);
			return rc;
		}
		rc = hash_add(d, f.p, f.len, v.p, v.len);
		rstr_free(&f);
		rstr_free(&v);
		if (rc != 0)
			return rc;
	}
	return exact(d, kv_hash_to_dict);
}

/* set_add -- a member into the set being decoded. */
static int
set_add(struct dec *d, const char *p, size_t len)
{
	int rc = kv_set_add(d->s, d->v, p, len);

	if (rc < 0)
		return rd_fail(d->r, -ENOMEM, "out of memory");
	if (rc == 0)
		return rd_fail(d->r, -EBADMSG, "duplicate set member");
	return 0;
}

/* set_init_or_fail -- make the value an empty set. */
static int
set_init_or_fail(struct dec *d)
{
	if (kv_set_init(d->s, d->v) != 0)
		return rd_fail(d->r, -ENOMEM, "out of memory");
	return 0;
}

/* dec_set -- SET: a count, then the members as strings. */
static int
dec_set(struct dec *d)
{
	uint64_t n;
	int rc;

	if ((rc = set_init_or_fail(d)) != 0 || (rc = rd_len(d->r, &n)) != 0)
		return rc;
	for (uint64_t i = 0; i < n; i++) {
		struct rstr x;
		if ((rc = rd_string(d->r, &x)) != 0)
			return rc;
		rc = set_add(d, x.p, x.len);
		rstr_free(&x);
		if (rc != 0)
			return rc;
	}
	return exact(d, kv_set_to_dict);
}

/* dec_set_intset -- SET_INTSET: width, count and members in a string. */
static int
dec_set_intset(struct dec *d)
{
	struct rstr x;
	char num[24];
	int rc;

	if ((rc = set_init_or_fail(d)) != 0 || (rc = rd_string(d->r, &x)) != 0)
		return rc;
	const unsigned char *p = (const unsigned char *)x.p;
	uint64_t w = x.len >= 8 ? get_le(p, 4) : 0;
	uint64_t n = x.len >= 8 ? get_le(p + 4, 4) : 0;
	if ((w != 2 && w != 4 && w != 8) || n == 0 || (x.len - 8) / w != n ||
	    (x.len - 8) % w != 0) {
		rstr_free(&x);
		return rd_fail(d->r, -EBADMSG, "bad intset");
	}
	for (uint64_t i = 0; i < n && rc == 0; i++) {
		int len = kv_ll2str(num, sizeof(num),
				    get_sle(p + 8 + i * w, (unsigned)w));
		rc = set_add(d, num, (size_t)len);
	}
	rstr_free(&x);
	return rc;
}

/* zset_add -- a member and its score into the sorted set being decoded. */
static int
zset_add(struct dec *d, const char *m, size_t len, double score)
{
	if (isnan(score))
		return rd_fail(d->r, -EBADMSG, "sorted set score is NaN");
	int rc = kv_zset_add(d->s, d->v, m, len, score);
	if (rc < 0)
		return rd_fail(d->r, -ENOMEM, "out of memory");
	if (rc == 0)
		return rd_fail(d->r, -EBADMSG, "duplicate sorted set member");
	return 0;
}

/* parse_score -- a whole string as a double; false if it is not one. */
static bool
parse_score(const char *p, size_t len, double *v)
{
	char buf[128], *end;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	*v = strtod(buf, &end);
	return end == buf + len && !isnan(*v);
}

/* zset_elem_add -- packed elements alternate member, score (as text). */
static int
zset_elem_add(void *ctx, const char *p, size_t len)
{
	struct dec *d = ctx;
	double score;

	if (d->field == NULL) {
		d->field = p;
		d->flen = len;
		return 0;
	}
	if (!parse_score(p, len, &score))
		return rd_fail(d->r, -EBADMSG, "bad sorted set score");
	int rc = zset_add(d, d->field, d->flen, score);
	d->field = NULL;
	return rc;
}

/* dec_zset_packed -- ZSET_ZIPLIST and ZSET_LISTPACK. */
static int
dec_zset_packed(struct dec *d, int (*walk)(struct walk *,
					   const unsigned char *, size_t))
{
	uint64_t n;
	int rc;

	kv_zset_init(d->v);
	d->field = NULL;
	if ((rc = rd_blob(d, walk, zset_elem_add, &n)) != 0)
		return rc;
	if (n % 2 != 0)
		return rd_fail(d->r, -EBADMSG, "odd number of sorted set "
			       "elements");
	return 0;
}

/*
 * rd_score -- a score: 8 bytes little-endian (ZSET_2), or (ZSET) a
 * length byte and text, 253/254/255 meaning NaN/+inf/-inf.
 */
static int
rd_score(struct rd *r, bool binary, double *v)
{
	const unsigned char *p;
	int rc;

	if (binary) {
		uint64_t bits;
		if ((rc = rd_le(r, 8, &bits)) == 0)
			memcpy(v, &bits, sizeof(*v));
		return rc;
	}
	if ((rc = rd_bytes(r, 1, &p)) != 0)
		return rc;
	switch (p[0]) {
	case 253:
		*v = NAN;
		return 0;
	case 254:
		*v = INFINITY;
		return 0;
	case 255:
		*v = -INFINITY;
		return 0;
	}
	size_t len = p[0];
	if ((rc = rd_bytes(r, len, &p)) != 0)
		return rc;
	if (!parse_score((const char *)p, len, v))
		return rd_fail(r, -EBADMSG, "bad sorted set score");
	return 0;
}

/* dec_zset -- ZSET and ZSET_2: a count, then members and scores. */
static int
dec_zset(struct dec *d, bool binary)
{
	uint64_t n;
	double score;
	int rc;

	kv_zset_init(d->v);
	if ((rc = rd_len(d->r, &n)) != 0)
		return rc;
	for (uint64_t i = 0; i < n; i++) {
		struct rstr x;
		if ((rc = rd_string(d->r, &x)) != 0)
			return rc;
		rc = rd_score(d->r, binary, &score);
		if (rc == 0)
			rc = zset_add(d, x.p, x.len, score);
		rstr_free(&x);
		if (rc != 0)
			return rc;
	}
	if (d->s->restore_exact)
		return exact(d, kv_zset_to_skiplist);
	/* Redis loads a skiplist, then converts a small one. */
	kv_zset_lp_canon(d->v);
	return 0;
}

/* value_is_empty -- a collection left without elements. */
static bool
value_is_empty(const struct kv_entry *v)
{
	switch (v->type) {
	case KV_TYPE_LIST:
		return kv_list_len(v) == 0;
	case KV_TYPE_HASH:
		return kv_hash_len(v) == 0;
	case KV_TYPE_SET:
		return kv_set_len(v) == 0;
	case KV_TYPE_ZSET:
		return kv_zset_len(v) == 0;
	}
	return false;
}

/* decode -- the value of a type at the reader's position into d->v. */
static int
decode(struct dec *d, int type)
{
	switch (type) {
	case KV_RDB_TYPE_STRING:
		return dec_string(d);
	case KV_RDB_TYPE_LIST:
		return dec_list(d);
	case KV_RDB_TYPE_LIST_ZIPLIST:
		return dec_list_ziplist(d);
	case KV_RDB_TYPE_LIST_QUICKLIST:
		return dec_list_quicklist(d, false);
	case KV_RDB_TYPE_LIST_QUICKLIST_2:
		return dec_list_quicklist(d, true);
	case KV_RDB_TYPE_HASH:
		return dec_hash(d);
	case KV_RDB_TYPE_HASH_ZIPLIST:
		return dec_hash_packed(d, zl_walk);
	case KV_RDB_TYPE_HASH_LISTPACK:
		return dec_hash_packed(d, lp_walk);
	case KV_RDB_TYPE_HASH_ZIPMAP:
		return dec_hash_packed(d, zm_walk);
	case KV_RDB_TYPE_SET:
		return dec_set(d);
	case KV_RDB_TYPE_SET_INTSET:
		return dec_set_intset(d);
	case KV_RDB_TYPE_ZSET:
		return dec_zset(d, false);
	case KV_RDB_TYPE_ZSET_2:
		return dec_zset(d, true);
	case KV_RDB_TYPE_ZSET_ZIPLIST:
		return dec_zset_packed(d, zl_walk);
	case KV_RDB_TYPE_ZSET_LISTPACK:
		return dec_zset_packed(d, lp_walk);
	}
	return rd_fail(d->r, -ENOTSUP, "unsupported value type %d", type);
}

/* detached_init -- an entry in no database holding an empty string. */
static void
detached_init(struct kv_entry *v)
{
	memset(v, 0, sizeof(*v));
	v->type = KV_TYPE_STRING;
	v->encoding = KV_ENC_RAW;
	v->vol_idx = KV_NO_VOLATILE;
}

/* decode_at -- decode_value on a reader. */
static int
decode_at(struct kv_shard *s, struct rd *r, int type, struct kv_entry *v)
{
	struct dec d = { .s = s, .r = r, .v = v };
	int rc;

	detached_init(v);
	rc = decode(&d, type);
	if (rc == 0 && value_is_empty(v))
		rc = rd_fail(r, -ENODATA, "empty value");
	if (rc != 0)
		kv_value_free(s, v);
	return rc;
}

int
kv_rdb_decode_value(struct kv_shard *s, int type, const void *p,
		    size_t len, struct kv_entry *v, size_t *used, char *err,
		    size_t errlen)
{
	struct rd r = { p, len, 0, err, errlen };
	int rc = decode_at(s, &r, type, v);

	*used = r.pos;
	return rc;
}

int
kv_rdb_restore(struct kv_shard *s, const void *p, size_t len,
	       struct kv_entry *v, char *err, size_t errlen)
{
	const unsigned char *b = p;
	size_t used;

	detached_init(v);
	if (len < 10 || get_le(b + len - 10, 2) > KV_RDB_VERSION ||
	    kv_rdb_crc64(0, b, len - 8) != get_le(b + len - 8, 8)) {
		snprintf(err, errlen, "version or checksum wrong");
		return -EPROTO;
	}
	if (len == 10) {
		snprintf(err, errlen, "no value");
		return -EBADMSG;
	}
	return kv_rdb_decode_value(s, b[0], b + 1, len - 11, v, &used, err,
				   errlen);
}

/* Files. */

/* writer_flush -- hand the buffer to the flush callback. */
static int
writer_flush(struct kv_rdb_writer *w)
{
	if (w->b.oom)
		return -ENOMEM;
	if (w->b.len == 0)
		return 0;
	w->crc = kv_rdb_crc64(w->crc, w->b.p, w->b.len);
	int rc = w->flush(w->ctx, w->b.p, w->b.len);
	w->written += w->b.len;
	w->b.len = 0;
	return rc;
}

/* writer_maybe_flush -- flush once enough bytes are buffered. */
static int
writer_maybe_flush(struct kv_rdb_writer *w)
{
	if (w->b.oom)
		return -ENOMEM;
	return w->b.len >= RDB_FLUSH_BYTES ? writer_flush(w) : 0;
}

/* put_aux -- an AUX field with a string value. */
static void
put_aux(struct kv_rdb_buf *b, const char *key, const char *val)
{
	buf_u8(b, KV_RDB_OP_AUX);
	put_string(b, key, strlen(key));
	put_string(b, val, strlen(val));
}

/* put_aux_ll -- an AUX field with a number. */
static void
put_aux_ll(struct kv_rdb_buf *b, const char *key, long long v)
{
	char num[24];

	kv_ll2str(num, sizeof(num), v);
	put_aux(b, key, num);
}

int
kv_rdb_writer_begin(struct kv_rdb_writer *w, uint64_t now_ms,
		    uint64_t used_mem)
{
	char magic[16];

	w->crc = 0;
	w->written = 0;
	w->b.len = 0;
	snprintf(magic, sizeof(magic), "REDIS%04d", KV_RDB_VERSION);
	buf_put(&w->b, magic, 9);
	put_aux(&w->b, "redis-ver", RDB_REDIS_VER);
	put_aux_ll(&w->b, "redis-bits", (long long)sizeof(void *) * 8);
	put_aux_ll(&w->b, "ctime", (long long)(now_ms / 1000));
	put_aux_ll(&w->b, "used-mem", (long long)used_mem);
	put_aux_ll(&w->b, "aof-base", 0);
	return writer_maybe_flush(w);
}

int
kv_rdb_writer_aux(struct kv_rdb_writer *w, const char *key, long long v)
{
	put_aux_ll(&w->b, key, v);
	return writer_maybe_flush(w);
}

int
kv_rdb_writer_raw(struct kv_rdb_writer *w, const void *p, size_t len)
{
	int rc = writer_flush(w);

	if (rc != 0 || len == 0)
		return rc;
	w->crc = kv_rdb_crc64(w->crc, p, len);
	w->written += len;
	return w->flush(w->ctx, p, len);
}

int
kv_rdb_writer_db(struct kv_rdb_writer *w, unsigned db, uint64_t keys,
		 uint64_t expires)
{
	buf_u8(&w->b, KV_RDB_OP_SELECTDB);
	put_len(&w->b, db);
	buf_u8(&w->b, KV_RDB_OP_RESIZEDB);
	put_len(&w->b, keys);
	put_len(&w->b, expires);
	return writer_maybe_flush(w);
}

int
kv_rdb_writer_key(struct kv_rdb_writer *w, const struct kv_entry *e)
{
	int type = rdb_type(e);

	if (type < 0)
		return -ENOTSUP;
	if (e->expire_ms != 0) {
		buf_u8(&w->b, KV_RDB_OP_EXPIRETIME_MS);
		buf_le(&w->b, e->expire_ms, 8);
	}
	buf_u8(&w->b, (unsigned)type);
	put_string(&w->b, e->key, e->klen);
	enc_payload(&w->b, e, type);
	return writer_maybe_flush(w);
}

int
kv_rdb_writer_end(struct kv_rdb_writer *w)
{
	int rc;

	buf_u8(&w->b, KV_RDB_OP_EOF);
	if (w->b.oom)
		return -ENOMEM;
	uint64_t crc = kv_rdb_crc64(w->crc, w->b.p, w->b.len);
	buf_le(&w->b, crc, 8);
	if (w->b.oom)
		return -ENOMEM;
	/* The checksum covers what comes before it only. */
	w->crc = crc;
	rc = w->flush(w->ctx, w->b.p, w->b.len);
	w->written += w->b.len;
	w->b.len = 0;
	return rc;
}

void
kv_rdb_writer_fini(struct kv_rdb_writer *w)
{
	kv_rdb_buf_free(&w->b);
}

/* skip_string -- read a string that is not kept (AUX fields). */
static int
skip_string(struct rd *r)
{
	struct rstr x;
	int rc = rd_string(r, &x);

	rstr_free(&x);
	return rc;
}

/* load_aux -- an AUX field: handed to ld->aux if there is one. */
static int
load_aux(struct rd *r, struct kv_rdb_loader *ld)
{
	struct rstr k, v;
	int rc;

	if (ld->aux == NULL)
		return (rc = skip_string(r)) != 0 ? rc : skip_string(r);
	if ((rc = rd_string(r, &k)) != 0)
		return rc;
	if ((rc = rd_string(r, &v)) == 0) {
		rc = ld->aux(ld->ctx, k.p, k.len, v.p, v.len);
		rstr_free(&v);
	}
	rstr_free(&k);
	return rc;
}

/* load_key -- a [type][key][value] triple; type was read. */
static int
load_key(struct rd *r, struct kv_rdb_loader *ld, int type, unsigned db,
	 uint64_t expire_ms)
{
	struct kv_entry v;
	struct rstr key;
	int rc;

	if ((rc = rd_string(r, &key)) != 0)
		return rc;
	/* The key is needed after the value's reads; keep a copy. */
	char *k = malloc(key.len ? key.len : 1);
	if (k == NULL) {
		rstr_free(&key);
		return rd_fail(r, -ENOMEM, "out of memory");
	}
	memcpy(k, key.p, key.len);
	size_t klen = key.len;
	rstr_free(&key);

	struct kv_shard *s = ld->shard(ld->ctx, k, klen);
	size_t at = r->pos;
	rc = decode_at(s, r, type, &v);
	if (rc == -ENODATA) {
		ld->empty++;
		rc = 0;
	} else if (rc != 0) {
		char why[256];
		snprintf(why, sizeof(why), "%s", r->err);
		rd_fail(r, rc, "key '%.*s' (db %u, value type %d at offset "
			"%zu): %s", (int)(klen < 128 ? klen : 128), k, db,
			type, at, why);
	} else if (expire_ms != 0 && expire_ms < ld->now_ms) {
		kv_value_free(s, &v);
		ld->expired++;
	} else {
		rc = ld->key(ld->ctx, s, db, k, klen, &v, expire_ms, r->err,
			     r->errlen);
		if (rc == 0)
			ld->keys++;
	}
	free(k);
	return rc;
}

int
kv_rdb_load(const void *p, size_t len, struct kv_rdb_loader *ld,
	    char *err, size_t errlen)
{
	struct rd r = { p, len, 0, err, errlen };
	const unsigned char *b;
	uint64_t expire_ms = 0, v, v2;
	unsigned db = 0;
	int rc, version = 0;

	if ((rc = rd_bytes(&r, 9, &b)) != 0 || memcmp(b, "REDIS", 5) != 0)
		return rd_fail(&r, -EBADMSG, "not an RDB file");
	for (int i = 5; i < 9; i++) {
		if (b[i] < '0' || b[i] > '9')
			return rd_fail(&r, -EBADMSG, "not an RDB file");
		version = version * 10 + (b[i] - '0');
	}
	if (version < 1 || version > KV_RDB_VERSION)
		return rd_fail(&r, -ENOTSUP, "RDB version %d is not supported "
			       "(1 to %d are)", version, KV_RDB_VERSION);
	for (;;) {
		if ((rc = rd_bytes(&r, 1, &b)) != 0)
			return rc;
		int type = b[0];
		switch (type) {
		case KV_RDB_OP_EXPIRETIME_MS:
			if ((rc = rd_le(&r, 8, &expire_ms)) != 0)
				return rc;
			continue;
		case KV_RDB_OP_EXPIRETIME:
			if ((rc = rd_le(&r, 4, &v)) != 0)
				return rc;
			expire_ms = v * 1000;
			continue;
		case KV_RDB_OP_FREQ:
			if ((rc = rd_bytes(&r, 1, &b)) != 0)
				return rc;
			continue;
		case KV_RDB_OP_IDLE:
			if ((rc = rd_len(&r, &v)) != 0)
				return rc;
			continue;
		case KV_RDB_OP_SELECTDB:
			if ((rc = rd_len(&r, &v)) != 0)
				return rc;
			if (v >= ld->n_db)
				return rd_fail(&r, -EBADMSG, "database %llu "
					       "out of range (databases is "
					       "%u)", (unsigned long long)v,
					       ld->n_db);
			db = (unsigned)v;
			continue;
		case KV_RDB_OP_RESIZEDB:
			if ((rc = rd_len(&r, &v)) != 0 ||
			    (rc = rd_len(&r, &v2)) != 0)
				return rc;
			continue;
		case KV_RDB_OP_AUX:
			if ((rc = load_aux(&r, ld)) != 0)
				return rc;
			continue;
		case KV_RDB_OP_MODULE_AUX:
			return rd_fail(&r, -ENOTSUP, "module data (opcode "
				       "247) is not supported");
		case KV_RDB_OP_FUNCTION2:
			return rd_fail(&r, -ENOTSUP, "functions (opcode 245) "
				       "are not supported");
		case KV_RDB_OP_EOF:
			break;
		default:
			if ((rc = load_key(&r, ld, type, db, expire_ms)) != 0)
				return rc;
			expire_ms = 0;
			continue;
		}
		break;
	}
	if (version >= 5) {
		size_t end = r.pos;
		if ((rc = rd_le(&r, 8, &v)) != 0)
			return rc;
		if (v != 0 && v != kv_rdb_crc64(0, p, end))
			return rd_fail(&r, -EBADMSG, "wrong checksum");
	}
	return 0;
}

/* Import (at start) and SAVE. */

/* write_all -- kv_rdb_writer flush callback: ctx points at an fd. */
static int
write_all(void *ctx, const void *p, size_t len)
{
	int fd = *(int *)ctx;
	const char *b = p;

	while (len > 0) {
		ssize_t n = write(fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}



struct import_ctx {
	struct kv_shard **shards;
	unsigned n;
};

/* import_shard -- the shard that owns a key. */
static struct kv_shard *
import_shard(void *ctx, const char *key, size_t klen)
{
	struct import_ctx *ic = ctx;

	return ic->shards[kv_key_shard(key, klen, ic->n)];
}

/*
 * log_restore -- log a key as RESTORE key <abs ms or 0> <payload>
 * REPLACE ABSTTL, the effect replay recreates it with.
 */
static int
log_restore(struct kv_shard *s, unsigned db, const struct kv_entry *e)
{
	struct kv_rdb_buf b = { 0 };
	char ttl[24];
	int rc = kv_rdb_dump(&b, e);

	if (rc != 0) {
		kv_rdb_buf_free(&b);
		return rc;
	}
	int n = kv_ll2str(ttl, sizeof(ttl), (long long)e->expire_ms);
	struct kv_arg argv[6] = {
		{ "RESTORE", 7 }, { e->key, e->klen }, { ttl, (size_t)n },
		{ (const char *)b.p, b.len }, { "REPLACE", 7 },
		{ "ABSTTL", 6 },
	};
	if (!kv_log_has_room(s, b.len + e->klen + 64))
		rc = -ENOSPC;
	else
		kv_propagate(s, db, 6, argv);
	kv_rdb_buf_free(&b);
	return rc;
}

/*
 * attach_key -- put a decoded value (v, taken over) at key in db of s,
 * with its expire time; *out receives the entry.
 */
static int
attach_key(struct kv_shard *s, unsigned db, const char *key, size_t klen,
	   struct kv_entry *v, uint64_t expire_ms, struct kv_entry **out,
	   char *err, size_t errlen)
{
	if (kv_lookup(s, db, key, klen, false) != NULL) {
		kv_value_free(s, v);
		snprintf(err, errlen, "key '%.*s' appears twice in db %u",
			 (int)(klen < 128 ? klen : 128), key, db);
		return -EBADMSG;
	}
	struct kv_entry *e = kv_create(s, db, key, klen);
	if (e == NULL) {
		kv_value_free(s, v);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	e->type = v->type;
	e->encoding = v->encoding;
	e->v = v->v;
	if (expire_ms != 0)
		kv_set_expire(s, db, e, expire_ms);
	*out = e;
	return 0;
}

/* import_key -- install an imported value and log it. */
static int
import_key(void *ctx, struct kv_shard *s, unsigned db, const char *key,
	   size_t klen, struct kv_entry *v, uint64_t expire_ms, char *err,
	   size_t errlen)
{
	struct kv_entry *e;
	int rc;

	(void)ctx;
	if ((rc = attach_key(s, db, key, klen, v, expire_ms, &e, err,
			     errlen)) != 0)
		return rc;
	rc = log_restore(s, db, e);
	if (rc != 0)
		snprintf(err, errlen, "cannot log key '%.*s': %s",
			 (int)(klen < 128 ? klen : 128), key,
			 rc == -ENOSPC ? "the pmem log is full" :
			 strerror(-rc));
	return rc;
}

/* load_snapshot_key -- a shard's own snapshot: keys attached, not logged. */
static int
load_snapshot_key(void *ctx, struct kv_shard *s, unsigned db, const char *key,
		  size_t klen, struct kv_entry *v, uint64_t expire_ms,
		  char *err, size_t errlen)
{
	struct kv_entry *e;

	(void)ctx;
	return attach_key(s, db, key, klen, v, expire_ms, &e, err, errlen);
}

struct snapshot_ctx {
	struct kv_shard *s;
	uint64_t seq;
	bool has_seq;
};

/* snapshot_shard -- every key of a shard's snapshot is its own. */
static struct kv_shard *
snapshot_shard(void *ctx, const char *key, size_t klen)
{
	(void)key;
	(void)klen;
	return ((struct snapshot_ctx *)ctx)->s;
}

/* snapshot_aux -- the log position the snapshot covers. */
static int
snapshot_aux(void *ctx, const char *k, size_t klen, const char *v,
	     size_t vlen)
{
	struct snapshot_ctx *sc = ctx;
	long long seq;

	size_t xl = strlen(KV_RDB_AUX_XTX);
	long long origin;

	if (klen == strlen(KV_RDB_AUX_SEQ) &&
	    memcmp(k, KV_RDB_AUX_SEQ, klen) == 0 &&
	    kv_str2ll(v, vlen, &seq) && seq >= 0) {
		sc->seq = (uint64_t)seq;
		sc->has_seq = true;
	} else if (klen > xl && memcmp(k, KV_RDB_AUX_XTX, xl) == 0 &&
		   kv_str2ll(k + xl, klen - xl, &origin) && origin >= 0 &&
		   origin < KV_TX_MAX_SHARDS && kv_str2ll(v, vlen, &seq) &&
		   seq > 0) {
		/* Cross-shard parts of that origin the snapshot holds. */
		sc->s->tx_hwm[origin] = (uint64_t)seq;
	}
	return 0;
}

int
kv_rdb_load_snapshot(struct kv_shard *s, const void *p, size_t len,
		     uint64_t *seq, uint64_t *keys, char *err, size_t errlen)
{
	struct snapshot_ctx sc = { .s = s };
	struct kv_rdb_loader ld = {
		.shard = snapshot_shard, .key = load_snapshot_key,
		.aux = snapshot_aux, .ctx = &sc, .n_db = s->n_db,
		.now_ms = kv_now_refresh(s),
	};
	int rc = kv_rdb_load(p, len, &ld, err, errlen);

	if (rc == 0 && !sc.has_seq) {
		snprintf(err, errlen, "no %s field: not a redpoll snapshot",
			 KV_RDB_AUX_SEQ);
		rc = -EBADMSG;
	}
	*seq = sc.seq;
	*keys = ld.keys;
	return rc;
}

/* read_file -- the whole file at path in a malloc'ed buffer. */
static int
read_file(const char *path, unsigned char **out, size_t *len, char *err,
	  size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	unsigned char *p = malloc(st.st_size ? (size_t)st.st_size : 1);
	size_t got = 0;
	if (p == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (rc != 0) {
		free(p);
		return rc;
	}
	*out = p;
	*len = got;
	return 0;
}

int
kv_rdb_import(struct kv_shard **shards, unsigned n, const char *path,
	      uint64_t *keys, char *err, size_t errlen)
{
	struct import_ctx ic = { shards, n };
	struct kv_rdb_loader ld = {
		.shard = import_shard, .key = import_key, .ctx = &ic,
	};
	unsigned char *p = NULL;
	size_t len = 0;
	char why[CFG_ERR_LEN];
	int rc;

	*keys = 0;
	for (unsigned i = 0; i < n; i++)
		for (unsigned db = 0; db < shards[i]->n_db; db++)
			if (kv_dbsize(shards[i], db) != 0) {
				snprintf(err, errlen, "import-rdb %s: the "
					 "keyspace is not empty (db %u)", path,
					 db);
				return -EEXIST;
			}
	if ((rc = read_file(path, &p, &len, err, errlen)) != 0)
		return rc;
	ld.n_db = shards[0]->n_db;
	for (unsigned i = 0; i < n; i++)
		ld.now_ms = kv_now_refresh(shards[i]);
	why[0] = '\0';
	rc = kv_rdb_load(p, len, &ld, why, sizeof(why));
	free(p);
	for (unsigned i = 0; i < n; i++)
		kv_commit(shards[i]);
	*keys = ld.keys;
	if (rc != 0)
		snprintf(err, errlen, "import-rdb %s: %s", path, why);
	return rc;
}

void
kv_set_logging(struct kv_shard *s, bool on)
{
	s->nolog = !on;
}

void
kv_set_restore_exact(struct kv_shard *s, bool on)
{
	s->restore_exact = on;
}

int
kv_key_log_state(struct kv_shard *s, unsigned db, const char *key,
		 size_t len)
{
	struct kv_entry *e = kv_lookup(s, db, key, len, false);

	kv_now_refresh(s);
	if (e == NULL) {
		const struct kv_arg del[2] = { { "DEL", 3 }, { key, len } };
		kv_log_effect(s, db, 2, del);
		return 0;
	}
	struct kv_rdb_buf b = { 0 };
	char ttl[24];
	if (kv_rdb_dump(&b, e) != 0) {
		kv_rdb_buf_free(&b);
		return -1;
	}
	int tl = snprintf(ttl, sizeof(ttl), "%llu",
			  (unsigned long long)e->expire_ms);
	const struct kv_arg restore[6] = {
		{ "RESTORE", 7 }, { key, len }, { ttl, (size_t)tl },
		{ (const char *)b.p, b.len }, { "REPLACE", 7 },
		{ "ABSTTL", 6 },
	};
	kv_log_effect(s, db, 6, restore);
	kv_rdb_buf_free(&b);
	return 0;
}

/* Commands. */

void
cmd_dump(struct kv_req *r)
{
	struct kv_entry *e = kv_lookup(r->s, r->c->db, r->argv[1].ptr,
				       r->argv[1].len, true);
	struct kv_rdb_buf b = { 0 };

	if (e == NULL) {
		kv_reply_null(r->c);
		return;
	}
	if (kv_rdb_dump(&b, e) != 0)
		kv_reply_error(r->c, "OOM out of memory");
	else
		kv_reply_bulk(r->c, b.p, b.len);
	kv_rdb_buf_free(&b);
}

/* parse_ll_or_reply -- an integer argument; false after an error reply. */
static bool
parse_ll_or_reply(struct kv_req *r, const struct kv_arg *a, long long *v)
{
	if (kv_str2ll(a->ptr, a->len, v))
		return true;
	kv_reply_error(r->c, KV_ERR_NOT_INT);
	return false;
}

/*
 * RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]:
 * Redis's checks in Redis's order. IDLETIME and FREQ are checked and
 * ignored (redpoll keeps no access times). Logged as RESTORE with an
 * absolute TTL, REPLACE and ABSTTL, so that replay recreates the value.
 */
void
cmd_restore(struct kv_req *r)
{
	struct kv_shard *s = r->s;
	unsigned db = r->c->db;
	const struct kv_arg *key = &r->argv[1];
	long long ttl, idle = -1, freq = -1;
	bool replace = false, absttl = false;
	struct kv_entry v;
	char why[128];

	for (int j = 4; j < r->argc; j++) {
		int more = r->argc - j - 1;
		if (kv_arg_is(&r->argv[j], "replace")) {
			replace = true;
		} else if (kv_arg_is(&r->argv[j], "absttl")) {
			absttl = true;
		} else if (kv_arg_is(&r->argv[j], "idletime") && more >= 1 &&
			   freq == -1) {
			if (!parse_ll_or_reply(r, &r->argv[j + 1], &idle))
				return;
			if (idle < 0) {
				kv_reply_error(r->c, "ERR Invalid IDLETIME "
					       "value, must be >= 0");
				return;
			}
			j++;
		} else if (kv_arg_is(&r->argv[j], "freq") && more >= 1 &&
			   idle == -1) {
			if (!parse_ll_or_reply(r, &r->argv[j + 1], &freq))
				return;
			if (freq < 0 || freq > 255) {
				kv_reply_error(r->c, "ERR Invalid FREQ value, "
					       "must be >= 0 and <= 255");
				return;
			}
			j++;
		} else {
			kv_reply_error(r->c, KV_ERR_SYNTAX);
			return;
		}
	}
	struct kv_entry *old = kv_lookup(s, db, key->ptr, key->len, false);
	if (!replace && old != NULL) {
		kv_reply_error(r->c, "BUSYKEY Target key name already exists.");
		return;
	}
	if (!parse_ll_or_reply(r, &r->argv[2], &ttl))
		return;
	if (ttl < 0) {
		kv_reply_error(r->c, "ERR Invalid TTL value, must be >= 0");
		return;
	}
	int rc = kv_rdb_restore(s, r->argv[3].ptr, r->argv[3].len, &v, why,
				sizeof(why));
	if (rc == -EPROTO) {
		kv_reply_error(r->c, "ERR DUMP payload version or checksum "
			       "are wrong");
		return;
	}
	if (rc == -ENOMEM) {
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	if (rc != 0) {
		kv_reply_error(r->c, "ERR Bad data format");
		return;
	}
	bool deleted = false;
	if (replace && old != NULL) {
		kv_delete(s, db, old);
		deleted = true;
	}
	/* A relative TTL past LLONG_MAX wraps negative, as in Redis: the
	 * key is then already expired. */
	if (ttl != 0 && !absttl)
		ttl = (long long)((unsigned long long)ttl + s->now_ms);
	if (ttl != 0 && !s->replaying && ttl <= (long long)s->now_ms) {
		/* Already expired: only the deletion of the old key. */
		kv_value_free(s, &v);
		kv_reply_ok(r->c);
		if (deleted) {
			struct kv_arg del[2] = { { "DEL", 3 }, *key };
			kv_propagate(s, db, 2, del);
		}
		return;
	}
	struct kv_entry *e = kv_create(s, db, key->ptr, key->len);
	if (e == NULL) {
		kv_value_free(s, &v);
		kv_reply_error(r->c, "OOM out of memory");
		return;
	}
	e->type = v.type;
	e->encoding = v.encoding;
	e->v = v.v;
	if (ttl != 0)
		kv_set_expire(s, db, e, (uint64_t)ttl);
	kv_reply_ok(r->c);

	char num[24];
	int n = kv_ll2str(num, sizeof(num), ttl);
	struct kv_arg argv[6] = {
		r->argv[0], *key, { num, (size_t)n }, r->argv[3],
		{ "REPLACE", 7 }, { "ABSTTL", 6 },
	};
	kv_propagate(s, db, 6, argv);
}


/*
 * snapshot_body -- the keys part of a snapshot file: after the header and
 * its AUX fields, before EOF and the checksum (which is checked).
 */
static int
snapshot_body(const unsigned char *p, size_t len, size_t *start, size_t *end,
	      char *err, size_t errlen)
{
	struct rd r = { p, len, 9, err, errlen };
	int rc;

	if (len < 18 || memcmp(p, "REDIS", 5) != 0 || p[len - 9] !=
	    KV_RDB_OP_EOF)
		return rd_fail(&r, -EBADMSG, "not a whole RDB file");
	uint64_t crc = 0;
	for (int i = 0; i < 8; i++)
		crc |= (uint64_t)p[len - 8 + i] << (8 * i);
	if (crc != kv_rdb_crc64(0, p, len - 8))
		return rd_fail(&r, -EBADMSG, "wrong checksum");
	while (r.pos < len - 9 && p[r.pos] == KV_RDB_OP_AUX) {
		r.pos++;
		if ((rc = skip_string(&r)) != 0 || (rc = skip_string(&r)) != 0)
			return rc;
	}
	*start = r.pos;
	*end = len - 9;
	return 0;
}

int
kv_rdb_export(const char *const *snapshots, unsigned n, const char *path,
	      char *err, size_t errlen)
{
	char tmp[PATH_MAX + 32], dir[PATH_MAX], why[CFG_ERR_LEN];
	struct kv_rdb_writer w = { .flush = write_all };
	const char *bad = NULL;         /* the snapshot that failed */
	struct timespec now;
	int fd, rc;

	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {   /* create the folder */
		*slash = '\0';
		if ((rc = kv_mkdir_p(dir, 0755)) != 0) {
			snprintf(err, errlen, "cannot create %s: %s", dir,
				 strerror(-rc));
			return rc;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", tmp,
			 strerror(errno));
		return rc;
	}
	w.ctx = &fd;
	clock_gettime(CLOCK_REALTIME, &now);
	rc = kv_rdb_writer_begin(&w, (uint64_t)now.tv_sec * 1000, 0);
	why[0] = '\0';
	for (unsigned i = 0; rc == 0 && i < n; i++) {
		unsigned char *p = NULL;
		size_t len = 0, start = 0, end = 0;

		rc = read_file(snapshots[i], &p, &len, why, sizeof(why));
		if (rc == 0 && (rc = snapshot_body(p, len, &start, &end, why,
						   sizeof(why))) != 0)
			bad = snapshots[i];
		if (rc == 0)
			rc = kv_rdb_writer_raw(&w, p + start, end - start);
		free(p);
	}
	if (rc == 0)
		rc = kv_rdb_writer_end(&w);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc == 0)
		rc = pm_sync_dir(path);
	kv_rdb_writer_fini(&w);
	if (rc != 0) {
		if (bad != NULL)
			snprintf(err, errlen, "cannot export to %s: %s: %s",
				 path, bad, why);
		else if (why[0] != '\0')
			snprintf(err, errlen, "cannot export to %s: %s", path,
				 why);
		else
			snprintf(err, errlen, "cannot write %s: %s", path,
				 strerror(-rc));
		unlink(tmp);
	}
	return rc;
}
